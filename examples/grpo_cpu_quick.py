"""GRPO on the bundled sample, on CPU, with a tiny model built on the spot (about a minute, no downloads).

    python examples/grpo_cpu_quick.py [--curriculum hardness] [--rollout_mode rollout_func] [--max_steps 4]

Every `MTSQLGRPOConfig` field (TRL's GRPOConfig ones included) is a command-line flag. The tiny model is
untrained, so rewards stay near 0: this shows the wiring (environment tools, rewards and their components
in the logs, curriculum buckets), not learning. For the real setup see examples/grpo_qwen3_gpu.md.
"""

from __future__ import annotations

import logging
import os
import tempfile

from transformers import HfArgumentParser

from mtsql_agents.tiny import build_tiny_model
from mtsql_trainers.grpo import train_grpo
from mtsql_trainers.grpo_config import MTSQLGRPOConfig

CPU_DEFAULTS = dict(
    output_dir=os.path.join(tempfile.gettempdir(), "mtsql-grpo-quick"),
    data_dir="sample",  # the bundled sample dataset
    split="train",
    max_rows=6,  # six dialogue turns
    num_generations=2,  # small groups
    per_device_train_batch_size=2,
    max_completion_length=64,
    max_steps=4,
    learning_rate=1e-3,
    logging_steps=1,
    save_strategy="no",
    report_to="none",
    use_cpu=True,
    bf16=False,  # bf16 is ~25x slower on CPU
    gradient_checkpointing=False,
)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    parser = HfArgumentParser(MTSQLGRPOConfig)
    parser.set_defaults(**CPU_DEFAULTS)
    (config,) = parser.parse_args_into_dataclasses()
    model = config.model_name_or_path or str(build_tiny_model(os.path.join(config.output_dir, "tiny-model")))
    result = train_grpo(config, model)
    for entry in result.log_history:
        if "reward" in entry:
            components = {k: round(v, 3) for k, v in entry.items() if k.startswith("rewards/") and k.endswith("/mean")}
            print(f"[{entry['bucket']}] step {entry['step']}: reward {entry['reward']:.3f} {components}")


if __name__ == "__main__":
    main()
