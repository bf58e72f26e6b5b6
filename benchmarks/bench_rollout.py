"""Rollout benchmark: is the environment ever the bottleneck of an LLM rollout? Prints its figures.

An `LLMAgent` on the transformers backend (the tiny model of `mtsql_agents.tiny` unless ``--model`` names a
checkpoint) plays dialogues on a synchronous vector env through `mtsql_agents.vector_runner.run_vector`.
Every step is one generation batch (``act_batch``) followed by one vector ``step``; both are timed, and the
table shows, per batch, the episodes in it, the tokens generated, generation seconds and env seconds.
Target: env time under 5% of the rollout's wall time. The tiny model is the *hardest* case for this
target (its generation is far cheaper than a real model's), so passing here means passing everywhere.

The untrained model mostly writes replies that hold no action, which the env rejects cheaply. So the script
also times the env on the same dialogues and sub-envs with the noisy scripted agent, whose every step is a
real action (propose, execute SQL, memory checks, corrections, scoring): its env time per batch, set against
the model's generation time per batch, bounds the env share of a rollout whose model acts well.

Usage: python benchmarks/bench_rollout.py [--model PATH] [--data-dir sample] [--episodes 4] [--num-envs 4]
                                         [--max-new-tokens 32] [--max-steps-per-turn 3] [--rows 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents import NoisyCorrectingAgent
from mtsql_agents.backends import GenerationConfig, TransformersBackend
from mtsql_agents.llm import LLMAgent
from mtsql_agents.vector_runner import run_vector


def _timed(function: Callable[..., Any], log: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            log.append(time.perf_counter() - start)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: build the tiny model in a temporary folder)")
    parser.add_argument("--data-dir", default="sample")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-steps-per-turn", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10, help="batches shown in the table (all are counted)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from mtsql_agents.tiny import build_tiny_model

            model = str(build_tiny_model(tmp))
        agent = LLMAgent(
            TransformersBackend(model, dtype="float32"), GenerationConfig(max_new_tokens=args.max_new_tokens)
        )
        envs = gym.make_vec(
            "MTSQL-CoSQL-v0",
            num_envs=args.num_envs,
            vectorization_mode="sync",
            data_dir=args.data_dir,
            max_steps_per_turn=args.max_steps_per_turn,
        )
        generation_s: list[float] = []
        env_step_s: list[float] = []
        env_reset_s: list[float] = []
        batches: list[tuple[int, int]] = []  # (episodes in the batch, tokens generated)
        act_batch = _timed(agent.act_batch, generation_s)

        def act_and_count(*a: Any, **k: Any) -> Any:
            actions = act_batch(*a, **k)
            tokens = sum(step.generation.completion_tokens or 0 for step in agent.last_generations)
            batches.append((len(agent.last_generations), tokens))
            return actions

        agent.act_batch = act_and_count  # type: ignore[method-assign]
        envs.step = _timed(envs.step, env_step_s)  # type: ignore[method-assign]
        envs.reset = _timed(envs.reset, env_reset_s)  # type: ignore[method-assign]
        start = time.perf_counter()
        result = run_vector(envs, agent, args.episodes, progress=False)
        wall = time.perf_counter() - start
        envs.close()

    print(f"model: {args.model or 'tiny (mtsql_agents.tiny)'}; {args.episodes} dialogues of {args.data_dir} on "
          f"{args.num_envs} sub-envs; {len(result.turns)} turns; max {args.max_new_tokens} new tokens per reply")  # fmt: skip
    print(
        f"{'batch':>5} {'episodes':>8} {'tokens':>7} {'generate (ms)':>14} {'env step (ms)':>14} {'env share':>10}"
    )
    for number, ((size, tokens), gen, env) in enumerate(zip(batches, generation_s, env_step_s)):
        if number < args.rows:
            print(
                f"{number:>5} {size:>8} {tokens:>7} {1000 * gen:>14.1f} {1000 * env:>14.2f} {env / (gen + env):>10.2%}"
            )
    if len(batches) > args.rows:
        print(f"  ... {len(batches) - args.rows} more batches")
    env_total = sum(env_step_s) + sum(env_reset_s)
    gen_total = sum(generation_s)
    tokens = sum(t for _, t in batches)
    print(f"\nbatches: {len(batches)}, tokens generated: {tokens} ({tokens / gen_total:.0f} tokens/s)")
    print(f"wall {wall:.2f}s = generation {gen_total:.2f}s + env (steps and resets) {env_total:.3f}s "
          f"+ runner bookkeeping {wall - gen_total - env_total:.3f}s")  # fmt: skip
    share = env_total / wall
    print(f"env share of wall time: {share:.2%} (target < 5%: {'PASS' if share < 0.05 else 'FAIL'})")
    gen_per_batch = gen_total / len(batches)
    print(
        f"per batch: generation {1000 * gen_per_batch:.1f} ms, env step {1000 * sum(env_step_s) / len(batches):.2f} ms"
    )

    # The env doing real work on every step: the noisy scripted agent on the same dialogues and sub-envs.
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0",
        num_envs=args.num_envs,
        vectorization_mode="sync",
        data_dir=args.data_dir,
        expose_gold=True,
    )
    busy_step_s: list[float] = []
    envs.step = _timed(envs.step, busy_step_s)  # type: ignore[method-assign]
    noisy = run_vector(envs, NoisyCorrectingAgent(), args.episodes, progress=False)
    envs.close()
    env_per_batch = sum(busy_step_s) / len(busy_step_s)
    print(f"\nenv with every step a real action (noisy agent, {len(noisy.turns)} turns, {len(busy_step_s)} batches): "
          f"{1000 * env_per_batch:.2f} ms per batch of {args.num_envs}")  # fmt: skip
    bound = env_per_batch / (env_per_batch + gen_per_batch)
    print(
        f"env share with this model's generation time: {bound:.2%} (target < 5%: {'PASS' if bound < 0.05 else 'FAIL'})"
    )


if __name__ == "__main__":
    main()
