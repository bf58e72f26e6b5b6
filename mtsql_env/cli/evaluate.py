"""``mtsql evaluate``: the official CoSQL/SParC evaluation (EM, EX, QM/IM, per hardness and per turn).

    mtsql evaluate --gold G --pred P --db DB_DIR --table TABLES [--etype all|exec|match]
                   [--strict] [--keep-distinct] [--timeout S] [--per-item OUT.jsonl] [--json OUT.json]
                   [--cache-dir DIR | --no-cache]

Prints the official-looking tables. ``--per-item`` writes one JSON line per paired turn (``interaction`` and
``turn`` 0-based, ``exact``/``exec`` 0/1 or null, ``hardness``, errors, partial components); ``--json``
writes the summary. A gold turn that does not parse or run is excluded from the counts, listed in a
warning and in the per-item file; it never aborts the run. Bad inputs (missing files, mismatched
interaction counts, malformed gold lines) are one clear message and exit code 1.

The gold side (parse, hardness, gold results) is cached on disk, keyed by the gold queries, the database
and tables.json files (size, mtime, inode), the settings and the evaluator's source code, so re-scoring the
same dev set (every checkpoint of a run) skips it; ``--no-cache`` turns that off.

Imports stay inside the handler and pandas is never loaded here, so the command starts fast.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``evaluate`` command."""
    parser = subparsers.add_parser(
        "evaluate",
        help="score predicted SQL with the official CoSQL/SParC metrics (EM, EX, QM, IM)",
        description="Score a prediction file against a gold file with the official CoSQL/SParC/Spider "
        "semantics: exact set match (EM), execution match (EX), per hardness level and per turn, "
        "question match (QM) and interaction match (IM).",
    )
    parser.add_argument(
        "--gold", required=True, help="gold file: 'SQL<TAB>db_id' lines, a blank line between interactions"
    )
    parser.add_argument("--pred", required=True, help="prediction file: one SQL per line, same blank lines")
    parser.add_argument("--db", required=True, help="folder of database folders (<db>/<db_id>/<db_id>.sqlite)")
    parser.add_argument("--table", help="tables.json (required for --etype match or all)")
    parser.add_argument(
        "--etype", choices=("all", "exec", "match"), default="all", help="what to score (default: all)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="fix the known official bugs instead of replicating them"
    )
    parser.add_argument(
        "--keep-distinct",
        "--keep_distinct",
        dest="keep_distinct",
        action="store_true",
        help="EX keeps DISTINCT and every statement (official --keep_distinct)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per-query timeout in seconds (default: 30)")
    parser.add_argument(
        "--cache-dir",
        help="folder of the on-disk gold cache (default: $MTSQL_CACHE_DIR/evaluation, else ~/.cache/mtsql/evaluation)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the on-disk gold cache"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes that score turns (default 0: one per idle core; 1: none)"
    )
    parser.add_argument("--per-item", metavar="OUT.jsonl", help="write one JSON line per scored turn")
    parser.add_argument("--json", metavar="OUT.json", help="write the summary as JSON")
    parser.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import json
    import logging
    import sys

    from mtsql_env.evaluation.evaluator import EvaluatorConfig, evaluate_files

    log = logging.getLogger("mtsql.evaluate")
    if args.etype != "exec" and not args.table:
        print("mtsql evaluate: --table is required when --etype is match or all", file=sys.stderr)
        return 1
    cache_dir = None
    if not args.no_cache:
        from mtsql_env.evaluation.gold_cache import default_gold_cache_dir

        cache_dir = args.cache_dir or str(default_gold_cache_dir())
    try:
        config = EvaluatorConfig(
            etype=args.etype,
            strict=args.strict,
            keep_distinct=args.keep_distinct,
            timeout_s=args.timeout,
            workers=args.workers,
            cache_dir=cache_dir,
        )
        result = evaluate_files(args.gold, args.pred, args.db, args.table, config)
    except (OSError, ValueError) as err:
        print(f"mtsql evaluate: {err}", file=sys.stderr)
        return 1
    print(result.format_tables())
    if args.per_item:
        with open(args.per_item, "w", encoding="utf-8") as out:
            for record in result.records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.info("per-item results: %s (%d turns)", args.per_item, len(result.records))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result.to_json(), out, indent=2, ensure_ascii=False)
            out.write("\n")
        log.info("summary: %s", args.json)
    return 0
