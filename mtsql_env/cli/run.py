"""``mtsql run``: play a built-in agent through an environment and print its scores."""

from __future__ import annotations

import argparse
import json
import logging

logger = logging.getLogger(__name__)


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by the commands that build an environment."""
    parser.add_argument(
        "--env", default="MTSQL-CoSQL-v0", help="environment id (MTSQL-CoSQL-v0 or MTSQL-SParC-v0)"
    )
    parser.add_argument(
        "--data-dir", help="release folder or its parent (default: env vars, cache, then the bundled sample)"
    )
    parser.add_argument("--split", default="dev", help="dev or train")
    parser.add_argument("--mode", choices=("dialogue", "turn"), default="dialogue")
    parser.add_argument("--reward", choices=("process", "outcome", "process_guarded"), default="process")
    parser.add_argument(
        "--skip-missing-databases",
        action="store_true",
        help="skip (and count) dialogues whose database file is missing",
    )


def make_env(args: argparse.Namespace, **overrides):
    """Build the environment the shared options describe."""
    import gymnasium as gym

    import mtsql_env  # noqa: F401 - registers the ids

    return gym.make(
        args.env,
        data_dir=args.data_dir,
        split=args.split,
        mode=args.mode,
        reward=args.reward,
        skip_missing_databases=args.skip_missing_databases,
        **overrides,
    )


def run(args: argparse.Namespace) -> int:
    from mtsql_agents import make_agent, run_agent
    from mtsql_agents.report import format_bench_table, format_components_table

    summaries = {}
    for name in args.agent:
        agent = make_agent(name)
        env = make_env(args, expose_gold=agent.needs_gold)
        try:
            result = run_agent(env, agent, args.episodes, progress=not args.no_progress)
        finally:
            env.close()
        dataset = env.unwrapped.dataset
        summaries[name] = {**result.summary, "wall_time_s": result.wall_time_s}
    source = "the bundled SAMPLE dataset" if dataset.is_sample else f"{dataset.source} {dataset.split}"
    print(f"Results on {source} ({args.mode} mode, {args.reward} reward)")
    print(format_bench_table(summaries))
    print("\nMean reward per turn by component")
    print(format_components_table(summaries))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {"dataset": dataset.source, "split": dataset.split, "agents": summaries}, handle, indent=2
            )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run built-in agents through an environment and print scores")
    add_env_arguments(parser)
    parser.add_argument(
        "--agent",
        action="append",
        default=None,
        help="oracle, previous-turn, noisy, noisy-no-correct, farmer (repeatable)",
    )
    parser.add_argument("--episodes", type=int, help="number of episodes (default: all)")
    parser.add_argument("--json", help="write the summaries to this JSON file")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=lambda args: run(_with_default_agent(args)))


def _with_default_agent(args: argparse.Namespace) -> argparse.Namespace:
    args.agent = args.agent or ["oracle"]
    return args
