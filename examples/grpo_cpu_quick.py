"""GRPO on the bundled sample, on CPU, from a tiny model that has learned the tool protocol (no downloads).

    python examples/grpo_cpu_quick.py [--curriculum hardness] [--rollout_mode rollout_func] [--max_steps 8]

Every `MTSQLGRPOConfig` field (TRL's GRPOConfig ones included) is a command-line flag; the defaults are those
of examples/configs/grpo_cpu_quick.yaml. Without ``--model_name_or_path`` the start is
`mtsql_trainers.sft.tiny_warm_start`: the tiny model after 40 SFT steps on the oracle's tool-call
trajectories of the same rows, so it makes real tool calls and earns rewards that differ within a group.
It prints each logged step and the run's summary. The full guide: docs/training.md.
"""

from __future__ import annotations

import logging
import os
import tempfile

from transformers import HfArgumentParser

from mtsql_trainers.grpo import train_grpo
from mtsql_trainers.grpo_config import MTSQLGRPOConfig
from mtsql_trainers.sft import tiny_warm_start

CPU_DEFAULTS = {
    "output_dir": os.path.join(tempfile.gettempdir(), "mtsql-grpo-quick"),
    "data_dir": "sample",  # the bundled sample dataset
    "split": "train",
    "max_rows": 2,  # the rows the warm start learned
    "env_kwargs": '{"schema_sample_rows": 0}',  # shorter prompts
    "num_generations": 4,
    "per_device_train_batch_size": 4,
    "max_completion_length": 256,
    "temperature": 1.0,
    "max_steps": 4,
    "learning_rate": 1e-4,
    "logging_steps": 1,
    "save_strategy": "no",
    "report_to": "none",
    "use_cpu": True,
    "bf16": False,  # bf16 is ~25x slower on CPU
    "activation_checkpointing": False,
    "seed": 0,
}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    parser = HfArgumentParser(MTSQLGRPOConfig)
    parser.set_defaults(**CPU_DEFAULTS)
    (config,) = parser.parse_args_into_dataclasses()
    model = config.model_name_or_path or str(
        tiny_warm_start(
            os.path.join(config.output_dir, "warm_start"),
            data_dir=config.data_dir,
            split=config.split,
            max_items=config.max_rows,
            env_kwargs=config.env_kwargs,
        )
    )
    result = train_grpo(config, model)
    for entry in result.log_history:
        if "reward" in entry:
            components = {
                k: round(v, 3) for k, v in entry.items() if k.startswith("rewards/") and k.endswith("/mean")
            }
            print(f"[{entry['bucket']}] step {entry['step']}: reward {entry['reward']:.3f} {components}")
    print(result.summary())


if __name__ == "__main__":
    main()
