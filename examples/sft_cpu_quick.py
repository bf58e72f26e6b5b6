"""The self-taught SFT warm start on the bundled sample, on CPU, with a tiny model built on the spot (~1 min).

    python examples/sft_cpu_quick.py [--sampler noisy|oracle|policy] [--rounds 2] [--max_steps 8] [--key value ...]

Every field of `SelfTaughtConfig` and of TRL's `SFTConfig` is a flag (the same keys as
``mtsql train sft --config examples/configs/sft_cpu_quick.yaml``). The tiny model is untrained and solves
nothing, so by default a scripted teacher (the noisy self-correcting oracle) writes the trajectories;
``--sampler policy`` samples the tiny model itself and shows that no trajectory survives selection.
The script prints, per round, what was sampled, kept and trained, and the training loss going down.
For the real setup (Qwen3-1.7B/4B, vLLM, several GPUs) see examples/README.md.
"""

from __future__ import annotations

import logging
import os
import tempfile

from transformers import HfArgumentParser

from mtsql_trainers.sft import train_sft
from mtsql_trainers.sft_config import SelfTaughtConfig, SFTConfig

CPU_DEFAULTS = dict(
    model_name_or_path="mtsql-tiny",  # built in run_dir/tiny_model
    sampler="noisy",  # a scripted teacher: the tiny model cannot solve anything
    data_dir="sample",  # the bundled sample dataset
    split="train",
    max_items=8,  # the first 8 user turns
    num_samples=4,  # paper: 20
    max_new_tokens=32,  # --sampler policy: the tiny model's junk replies stay short
    rounds=2,  # paper: 3
    run_dir=os.path.join(tempfile.gettempdir(), "mtsql-sft-quick"),
    # SFTConfig
    use_cpu=True,
    bf16=False,  # bf16 is ~25x slower on CPU
    activation_checkpointing=False,
    per_device_train_batch_size=2,
    max_steps=8,
    learning_rate=3e-3,  # a tiny random model needs large steps
    lr_scheduler_type="constant",
    logging_steps=1,
    save_strategy="no",
    report_to="none",
    seed=0,
)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = HfArgumentParser((SelfTaughtConfig, SFTConfig))
    parser.set_defaults(**CPU_DEFAULTS)
    config, training_args = parser.parse_args_into_dataclasses()
    result = train_sft(config, training_args)
    for stats in result.rounds:
        losses = [entry["loss"] for entry in stats.log_history if "loss" in entry]
        trend = (
            f"loss {losses[0]:.2f} -> {losses[-1]:.2f} over {stats.global_step} steps"
            if losses
            else "not trained"
        )
        print(
            f"round {stats.round}: {stats.items} items, {stats.correct_samples}/{stats.samples} correct samples, "
            f"{stats.solved_items} items solved, {stats.selected} trajectories kept; {trend}"
        )
    print(f"run folder: {result.output_dir}; last model: {result.model_dir}")


if __name__ == "__main__":
    main()
