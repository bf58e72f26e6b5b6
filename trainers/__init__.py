"""Trainers that drive a policy through the mtsql environment (installed as ``mtsql_trainers``)."""

from __future__ import annotations

import importlib
from typing import Any

# PEP 562: ``import mtsql_trainers`` imports no torch/TRL; each name loads its module on first use.
# name -> submodule; each trainer appends its own names.
_LAZY: dict[str, str] = {}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


# GRPO (TRL GRPOTrainer adapter), its environment, training rows and the difficulty curriculum
_LAZY.update(
    {
        "MTSQLGRPOConfig": "grpo_config",
        "train_grpo": "grpo",
        "build_grpo_trainer": "grpo",
        "GRPOResult": "grpo",
        "RolloutTally": "grpo",
        "MTSQLToolEnv": "environment",
        "tool_schemas": "environment",
        "scripted_tool_conversation": "environment",
        "make_environment_factory": "environment",
        "build_turn_dataset": "datasets",
        "hardness_buckets": "curriculum",
        "solve_rate_buckets": "curriculum",
        "measure_solve_rates": "curriculum",
        "split_dataset": "curriculum",
    }
)

# Token-level rollouts with loss masks, the compact multi-turn PPO, and the two-choice learning task
_LAZY.update(
    {
        "Rollout": "rollout",
        "RolloutBatch": "rollout",
        "RolloutCollector": "rollout",
        "collate_rollouts": "rollout",
        "PPOConfig": "ppo_config",
        "PPOTrainer": "ppo",
        "PPOResult": "ppo",
        "train_ppo": "ppo",
        "TwoChoiceEnv": "tasks",
        "TwoChoiceItem": "tasks",
        "two_choice_dataset": "tasks",
        "score_choice": "tasks",
        "score_choices": "tasks",
        "parse_choice": "tasks",
    }
)

# The self-taught SFT warm start: sample, select (difficulty-aware rejection sampling), build, train
_LAZY.update(
    {
        "SelfTaughtConfig": "sft_config",
        "SFTConfig": "sft_config",
        "train_sft": "sft",
        "SFTResult": "sft",
        "RoundStats": "sft",
        "sample_trajectories": "sft",
        "build_dataset": "sft",
        "make_trainer": "sft",
        "train_on_dataset": "sft",
        "ensure_generation_template": "sft",
        "tiny_warm_start": "sft",
        "SampledTrajectory": "selection",
        "select_trajectories": "selection",
        "select_item": "selection",
    }
)
