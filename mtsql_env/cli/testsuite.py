"""``mtsql testsuite build``: distil database variants so that execution match cannot be fooled.

    mtsql testsuite build --db-dir D --gold G --out OUT [--variants K] [--budget N] [--seed S] [--db-id ID ...]

Writes ``OUT/<db_id>/<db_id>.sqlite`` (a copy of the original) and ``OUT/<db_id>/<db_id>_<k>.sqlite`` for every
database of the gold file, then prints a report (neighbours separated per database, variants kept, bytes,
time). ``mtsql evaluate --db OUT`` then scores test-suite EX. The same inputs and seed give the same files.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]

#: Exit status of a bad input (argparse's, and the ``mtsql`` convention for expected errors).
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the ``testsuite`` command (one action so far: ``build``)."""
    parser = subparsers.add_parser(
        "testsuite",
        help="build a test suite of database variants for execution match (Zhong et al., 2020)",
        description="Test suites for execution match: database variants on which every gold query differs "
        "from its near-miss neighbours.",
    )
    actions = parser.add_subparsers(dest="testsuite_command", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="generate and distil the variants of each database of a gold file",
        description="Generate random, constraint-respecting variants of each database used by a gold file "
        "and keep those that tell a gold apart from one of its neighbours.",
    )
    build.add_argument("--db-dir", required=True, help="folder of database folders (<db_id>/<db_id>.sqlite)")
    build.add_argument("--gold", required=True, help="gold file: 'SQL<TAB>db_id' lines")
    build.add_argument("--out", required=True, help="suite folder to write (OUT/<db_id>/...)")
    build.add_argument(
        "--variants", type=int, default=20, help="variants kept at most per database (default 20)"
    )
    build.add_argument(
        "--budget", type=int, default=100, help="candidates tried at most per database (default 100)"
    )
    build.add_argument("--seed", type=int, default=0, help="seed (default 0): same seed, same files")
    build.add_argument("--max-rows", type=int, default=12, help="rows per table at most (default 12)")
    build.add_argument("--db-id", action="append", dest="db_ids", help="only this database (repeatable)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=_build)


def _build(args: argparse.Namespace) -> int:
    import os
    import sys

    from mtsql_env.testsuite import SuiteConfig, build_suite

    for flag, path in (("--db-dir", args.db_dir), ("--gold", args.gold)):
        if not os.path.exists(path):
            print(f"mtsql testsuite build: {flag} {path} does not exist", file=sys.stderr)
            return EXIT_USAGE
    if os.path.realpath(args.out) == os.path.realpath(args.db_dir):
        print("mtsql testsuite build: --out must not be the --db-dir folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = SuiteConfig(
            variants=args.variants, budget=args.budget, seed=args.seed, max_rows=args.max_rows
        )
        report = build_suite(
            args.db_dir, args.gold, args.out, config, db_ids=args.db_ids, show_progress=not args.no_progress
        )
    except (OSError, ValueError) as err:
        print(f"mtsql testsuite build: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(report.format())
    return 0
