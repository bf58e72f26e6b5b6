"""mtsql's GRPO and PPO across processes on CPU: 2 optimiser steps each, every process on its own envs
and its own shard of the data.

    accelerate launch --multi_gpu --num_processes 2 examples/distributed_cpu.py --output_dir DIR

The command shape is the GPU recipes' (docs/training.md), which add ``--config_file`` (DeepSpeed ZeRO or
FSDP, examples/accelerate/). A tiny untrained model is built on the spot (no downloads). Each process
writes ``DIR/rank<r>.json``: the episodes (dialogue id, turn) its envs were reset to, per trainer, and the
steps taken, so a test can check that the shards are distinct.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def run_grpo(output_dir: Path, model_dir: Path, seen: list) -> int:
    from mtsql_trainers.grpo import train_grpo
    from mtsql_trainers.grpo_config import MTSQLGRPOConfig

    def record(completions: list, dialogue_id: list, turn: list, **_: Any) -> list[float]:
        """A zero-weight reward function: notes which training rows reached this process."""
        seen.extend(zip(dialogue_id, turn))
        return [0.0] * len(completions)

    config = MTSQLGRPOConfig(
        output_dir=str(output_dir / "grpo"),
        data_dir="sample",
        split="train",
        max_rows=8,
        num_generations=2,
        per_device_train_batch_size=2,  # 2 processes x 2 = 4 rollouts = 2 groups per step: one per process
        max_completion_length=16,
        max_steps=2,
        learning_rate=1e-3,
        reward_weights=[0.0],
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        seed=0,
    )
    return train_grpo(config, str(model_dir), reward_funcs=[record]).global_step


def run_ppo(output_dir: Path, model_dir: Path, seen: list) -> int:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtsql_trainers.ppo import PPOTrainer
    from mtsql_trainers.ppo_config import PPOConfig

    config = PPOConfig(
        task="env",
        data_dir="sample",
        split="train",
        env_mode="turn",
        max_steps_per_turn=2,
        num_envs=2,
        episodes_per_iteration=2,
        per_device_train_batch_size=1,  # 2 episodes, one per minibatch ...
        num_ppo_epochs=1,  # ... one pass: 2 optimiser steps
        num_iterations=1,
        max_new_tokens=8,
        learning_rate=1e-3,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_model=False,
        output_dir=str(output_dir / "ppo"),
        seed=0,
    )
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    trainer = PPOTrainer(model, AutoTokenizer.from_pretrained(model_dir), config)
    rollouts = trainer.collect()
    seen.extend((r.episode["dialogue_id"], r.episode["turn_index"]) for r in rollouts)
    trainer.step(rollouts)
    return trainer.global_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from accelerate import PartialState

    from mtsql_agents.tiny import build_tiny_model

    state = PartialState(cpu=True)  # the trainers run with use_cpu=True: the same (shared) state
    output_dir = Path(args.output_dir)
    model_dir = output_dir / "tiny"
    if state.is_main_process:
        build_tiny_model(model_dir)
    state.wait_for_everyone()
    grpo_rows: list = []
    ppo_episodes: list = []
    report = {
        "rank": state.process_index,
        "world_size": state.num_processes,
        "backend": str(state.backend),
        "grpo_steps": run_grpo(output_dir, model_dir, grpo_rows),
        "ppo_steps": run_ppo(output_dir, model_dir, ppo_episodes),
    }
    report["grpo_rows"] = sorted({f"{d}#{t}" for d, t in grpo_rows})
    report["ppo_episodes"] = sorted({f"{d}#{t}" for d, t in ppo_episodes})
    (output_dir / f"rank{state.process_index}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
