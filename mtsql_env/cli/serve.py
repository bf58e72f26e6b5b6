"""``mtsql serve``: the environment over the network (OpenEnv's protocol), many sessions at once."""

from __future__ import annotations

import argparse

from .run import add_env_arguments


def serve(args: argparse.Namespace) -> int:
    """Expected errors (bad options, missing or broken data, a port in use, the extra not installed) reach
    `mtsql_env.cli.main`, which prints them as one line and exits 2."""
    from mtsql_env import install_hint

    try:
        from mtsql_env.integrations.openenv_server import ServerConfig
        from mtsql_env.integrations.openenv_server import serve as run_server
    except ImportError as err:
        raise ImportError(f"{err.name or err} is not installed; {install_hint('serve')}") from err
    env_kwargs = {
        "data_dir": args.data_dir,
        "split": args.split,
        "mode": args.mode,
        "reward": args.reward,
        "skip_missing_databases": args.skip_missing_databases,
        "expose_gold": args.expose_gold,
    }
    config = ServerConfig(
        env_id=args.env,
        env_kwargs=env_kwargs,
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout_s=args.idle_timeout or None,
        max_request_bytes=args.max_request_kb * 1024,
        ray_workers=args.ray_workers,
        ray_address=args.ray_address,
    )
    run_server(config)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the environment to OpenEnv clients (WebSocket sessions)"
    )
    add_env_arguments(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: loopback only)",
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=64,
        help="concurrent sessions; more are refused",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=300.0,
        help="seconds before an idle session is closed (0: never)",
    )
    parser.add_argument(
        "--max-request-kb",
        type=int,
        default=256,
        help="largest accepted message, in KiB",
    )
    parser.add_argument(
        "--expose-gold",
        action="store_true",
        help="put the gold SQL in info (scripted baselines and tests only)",
    )
    parser.add_argument(
        "--ray-workers",
        type=int,
        default=0,
        help="run the sessions' envs on this many Ray actors (0: in process)",
    )
    parser.add_argument("--ray-address", help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray)")
    parser.set_defaults(func=serve)
