"""The ``mtsql`` command line.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` (called with the parsed namespace, returning an exit code). Modules keep their
heavy imports inside ``func`` so ``mtsql --help`` stays instant.

Errors are handled once, in :func:`main`: an expected problem (:class:`~mtsql_env.errors.MtsqlError`, a
missing file or unreachable server, a missing optional extra, a bad value) is printed as one line and exits
2; anything else is reported as an internal error on one line and exits 1. ``--debug`` (or
``MTSQL_DEBUG=1``) lets the exception through with its traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from mtsql_env.errors import MtsqlError

#: Subcommand modules, in the order ``mtsql --help`` lists them.
COMMAND_MODULES = ("data", "evaluate", "run", "play", "bench", "train", "serve", "testsuite")
#: Exit status of an expected error (the same as argparse's for a bad argument).
EXIT_USAGE = 2
#: Exit status of an unexpected error (a bug).
EXIT_INTERNAL = 1
#: Environment variable that turns on --debug.
DEBUG_ENV_VAR = "MTSQL_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtsql",
        description="Multi-turn Text-to-SQL (CoSQL, SParC) as a Gymnasium environment.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--debug", action="store_true", help=f"show the traceback of an error (also ${DEBUG_ENV_VAR}=1)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:  # a subcommand whose module is not there yet
            if err.name != f"{__name__}.{name}":
                raise
            continue
        module.register(subparsers)
    _add_debug_flag(subparsers)
    return parser


def _add_debug_flag(subparsers: argparse._SubParsersAction) -> None:
    """Accept ``--debug`` after any (sub)command too: ``mtsql evaluate ... --debug``."""
    for sub in subparsers.choices.values():
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_debug_flag(action)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """What counts as a user-fixable error: ours, the OS's (files, connections), a missing extra, a bad
    value; and the agent backends' errors when that package is installed."""
    errors: tuple[type[BaseException], ...] = (MtsqlError, OSError, ImportError, ValueError)
    try:
        from mtsql_agents.backends.base import BackendError

        errors = (*errors, BackendError)
    except ImportError:
        pass
    if "yaml" in sys.modules:  # a config file that is not valid YAML
        errors = (*errors, sys.modules["yaml"].YAMLError)
    return errors


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 2000 else text[:2000] + " …"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    debug = args.debug or os.environ.get(DEBUG_ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")
    prog = " ".join(["mtsql", args.command, *filter(None, [getattr(args, f"{args.command}_command", None)])])
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exit_:  # `raise SystemExit("message")` is a usage error too: exit 2, not 1
        if debug or not isinstance(exit_.code, str):
            raise
        print(_one_line(exit_), file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:
        if debug:
            raise
        if isinstance(err, _expected_errors()):
            print(f"{prog}: {_one_line(err)}", file=sys.stderr)
            return EXIT_USAGE
        print(
            f"{prog}: internal error: {type(err).__name__}: {_one_line(err)} "
            f"(a bug: rerun with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
