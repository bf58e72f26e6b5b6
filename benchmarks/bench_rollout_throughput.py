"""Rollout throughput with the transformers backend on CPU; prints env steps/s and generated tokens/s.

`mtsql_trainers.rollout.RolloutCollector` plays turn-mode episodes of the real environment on the bundled
sample (``train`` split) with a random model, several environments per generate call, and the time is
split into generation (the backend's ``generate``) and the environment (``reset`` + ``step``: parsing,
SQLite execution, scoring). Models:

- ``tiny``: `mtsql_agents.tiny` (~45k parameters; its tokenizer is shared by the other models);
- ``small``: a random Qwen2 with hidden 256, 4 layers (~3.7M parameters), to show how generation
  dominates as the model grows.

Random models write junk, so most steps are format errors: env time here is a lower bound (parsing and
feedback only, little SQL), generation time a fair figure for the given lengths.

Usage: python benchmarks/bench_rollout_throughput.py [--models tiny,small] [--envs 1,8] [--episodes 16]
       [--max-new-tokens 32] [--max-steps-per-turn 3] [--threads N]
"""

from __future__ import annotations

import argparse
import logging
import tempfile

import gymnasium as gym
import torch

import mtsql_env  # noqa: F401  (registers the ids)
from mtsql_agents.backends.base import GenerationConfig
from mtsql_agents.tiny import TinyModelConfig, build_tiny_model
from mtsql_trainers.rollout import RolloutCollector

SIZES = {
    "tiny": TinyModelConfig(),
    "small": TinyModelConfig(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
                             num_key_value_heads=2, initializer_range=0.05),
}  # fmt: skip


def run(model_name: str, num_envs: int, args: argparse.Namespace, folder: str) -> dict[str, float]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = build_tiny_model(f"{folder}/{model_name}", seed=0, config=SIZES[model_name])
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    envs = [
        gym.make(
            "MTSQL-CoSQL-v0",
            data_dir="sample",
            split="train",
            mode="turn",
            max_steps_per_turn=args.max_steps_per_turn,
        )
        for _ in range(num_envs)
    ]
    config = GenerationConfig(temperature=1.0, max_new_tokens=args.max_new_tokens)
    collector = RolloutCollector(model, tokenizer, envs, generation_config=config, seed=0)
    collector.collect([{"seed": 10_000 + s} for s in range(num_envs)])  # warm-up (schema cache, first calls)
    collector.stats = type(collector.stats)()
    rollouts = collector.collect([{"seed": s} for s in range(args.episodes)])
    stats = collector.stats.as_dict()
    stats["params"] = model.num_parameters()
    stats["mean_tokens"] = sum(len(r) for r in rollouts) / len(rollouts)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny,small")
    parser.add_argument(
        "--envs", default="1,8", help="comma-separated numbers of environments per generate call"
    )
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-steps-per-turn", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.episodes} episodes, "
          f"<= {args.max_steps_per_turn} replies of <= {args.max_new_tokens} tokens")  # fmt: skip
    header = f"{'model':>6} {'params':>9} {'envs':>4} {'steps':>5} {'tokens':>6} {'seq len':>7} {'wall s':>7} " \
             f"{'gen s':>6} {'env s':>6} {'steps/s':>8} {'tok/s':>7} {'gen tok/s':>9} {'env-only steps/s':>16}"  # fmt: skip
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for model_name in args.models.split(","):
            for num_envs in (int(n) for n in args.envs.split(",")):
                s = run(model_name, num_envs, args, folder)
                print(
                    f"{model_name:>6} {s['params']:>9,} {num_envs:>4} {s['env_steps']:>5} {s['generated_tokens']:>6} "
                    f"{s['mean_tokens']:>7.0f} {s['wall_s']:>7.2f} {s['generate_s']:>6.2f} {s['env_s']:>6.3f} "
                    f"{s['env_steps_per_s']:>8.2f} {s['tokens_per_s']:>7.1f} {s['generate_tokens_per_s']:>9.1f} "
                    f"{s['env_only_steps_per_s']:>16.0f}"
                )


if __name__ == "__main__":
    main()
