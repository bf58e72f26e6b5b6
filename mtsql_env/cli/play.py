"""``mtsql play``: a person plays a dialogue at the terminal, typing actions."""

from __future__ import annotations

import argparse

from .run import add_env_arguments, make_env

_HELP = "Type an action (e.g. <propose>SELECT ...</propose>, <execute/>, <answer/>), 'quit' to stop."


def play(args: argparse.Namespace) -> int:
    env = make_env(args)
    try:
        options = {"dialogue_id": args.dialogue} if args.dialogue else None
        observation, info = env.reset(seed=args.seed, options=options)
        print(observation)
        print(f"\n{_HELP}")
        total = 0.0
        while True:
            try:
                line = input("> ")
            except EOFError:
                break
            if line.strip().lower() in ("quit", "exit"):
                break
            observation, reward, terminated, truncated, info = env.step(line)
            total += reward
            print(observation)
            print(f"[reward {reward:+.3f}, total {total:.3f}]")
            if terminated or truncated:
                print("Episode over.")
                break
    finally:
        env.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play a dialogue yourself by typing actions")
    add_env_arguments(parser)
    parser.add_argument("--dialogue", help="dialogue id to play (default: chosen by --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=play)
