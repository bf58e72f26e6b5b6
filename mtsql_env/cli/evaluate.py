"""``mtsql evaluate``: the official CoSQL/SParC evaluation (EM, EX, QM/IM, per hardness and per turn).

    mtsql evaluate --gold G --pred P --db DB_DIR --table TABLES [--etype all|exec|match]
                   [--strict] [--keep-distinct] [--timeout S] [--per-item OUT.jsonl] [--json OUT.json]
                   [--cache-dir DIR | --no-cache]

Prints the official-looking tables. ``--per-item`` writes one JSON line per paired turn (``interaction`` and
``turn`` 0-based, ``exact``/``exec`` 0/1 or null, ``hardness``, errors, partial components); ``--json``
writes the summary. A gold turn that does not parse or run is excluded from the counts, listed in a
warning and in the per-item file; it never aborts the run. Bad inputs (missing or unreadable files, a
``--db`` that is not a folder, a tables.json that is malformed or empty, an output folder that does not
exist, mismatched interaction counts, malformed gold lines) are one clear message naming the argument and
exit code 2, checked before the run where they can be. A run that scores no turn at all fails the same way.

The gold side (parse, hardness, gold results) is cached on disk, keyed by the gold queries, the database
and tables.json files (size, mtime, inode), the settings and the evaluator's source code, so re-scoring the
same dev set (every checkpoint of a run) skips it; ``--no-cache`` turns that off. The first run that creates
the cache folder says so on stderr.

Imports stay inside the handler and pandas is never loaded here, so the command starts fast.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _seconds(text: str) -> float:
    """argparse type of --timeout: a finite number of seconds above 0 (nan, inf and 0 would never stop or
    never start a query)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0, got {text!r}")
    return value


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
    parser.add_argument(
        "--db", required=True, help="folder of database folders (<db>/<db_id>/<db_id>.sqlite)"
    )
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
    parser.add_argument(
        "--timeout", type=_seconds, default=30.0, help="per-query timeout in seconds (default: 30)"
    )
    parser.add_argument(
        "--cache-dir",
        help="folder of the on-disk gold cache (default: $MTSQL_CACHE_DIR/evaluation, else ~/.cache/mtsql/evaluation)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk gold cache")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes that score turns (default 0: one per idle core; 1: none)",
    )
    parser.add_argument("--per-item", metavar="OUT.jsonl", help="write one JSON line per scored turn")
    parser.add_argument("--json", metavar="OUT.json", help="write the summary as JSON")
    parser.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import json
    import logging
    import os
    import sys

    from mtsql_env.evaluation.evaluator import EvaluatorConfig, evaluate_files

    log = logging.getLogger("mtsql.evaluate")
    _check_inputs(args)
    cache_dir = None
    if not args.no_cache:
        from mtsql_env.evaluation.gold_cache import default_gold_cache_dir

        cache_dir = args.cache_dir or str(default_gold_cache_dir())
    new_cache = cache_dir is not None and not os.path.exists(cache_dir)
    config = EvaluatorConfig(
        etype=args.etype,
        strict=args.strict,
        keep_distinct=args.keep_distinct,
        timeout_s=args.timeout,
        workers=args.workers,
        cache_dir=cache_dir,
    )
    result = evaluate_files(args.gold, args.pred, args.db, args.table, config)
    nothing_scored = _nothing_scored(result.summary, args)
    if nothing_scored is None:
        print(result.format_tables())
    if new_cache and os.path.exists(cache_dir):  # said once: when the cache folder is first created
        print(
            f"mtsql evaluate: cached the gold side in {cache_dir} so re-scoring the same gold is faster; "
            "--no-cache turns this off",
            file=sys.stderr,
        )
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
    if nothing_scored is not None:
        from mtsql_env.errors import UsageError

        raise UsageError(nothing_scored)
    return 0


def _check_inputs(args: argparse.Namespace) -> None:
    """Refuse unusable arguments before the run, naming the argument (a long run must not end in an error
    that was knowable at the start, such as an output folder that does not exist)."""
    from mtsql_env.datasets import load_schemas
    from mtsql_env.errors import UsageError

    if args.etype != "exec" and not args.table:
        raise UsageError("--table is required when --etype is match or all")
    for flag, value in (("--gold", args.gold), ("--pred", args.pred), ("--table", args.table)):
        if value is not None and not Path(value).is_file():
            problem = "is a folder, not a file" if Path(value).is_dir() else "no such file"
            raise UsageError(f"{flag} {value}: {problem}")
    if not Path(args.db).is_dir():
        problem = (
            "is a file; give the folder holding <db_id>/<db_id>.sqlite"
            if Path(args.db).exists()
            else "no such folder"
        )
        raise UsageError(f"--db {args.db}: {problem}")
    if args.table is not None and not load_schemas(args.table):
        raise UsageError(f"--table {args.table}: describes no database (an empty list)")
    if args.cache_dir is not None and Path(args.cache_dir).exists() and not Path(args.cache_dir).is_dir():
        raise UsageError(f"--cache-dir {args.cache_dir}: is a file, not a folder")
    inputs = {Path(p).resolve() for p in (args.gold, args.pred, args.table) if p is not None}
    for flag, value in (("--per-item", args.per_item), ("--json", args.json)):
        if value is None:
            continue
        path = Path(value)
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise UsageError(f"{flag} {value}: is a folder; give a file name")
        if not folder.is_dir():
            raise UsageError(f"{flag} {value}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f"{flag} {value}: cannot be written")
        if path.resolve() in inputs:
            raise UsageError(f"{flag} {value}: is one of the input files; it would be overwritten")
    if (
        args.per_item is not None
        and args.json is not None
        and Path(args.per_item).resolve() == Path(args.json).resolve()
    ):
        raise UsageError("--per-item and --json name the same file")


def _nothing_scored(summary: dict[str, Any], args: argparse.Namespace) -> str | None:
    """Why a run scored no turn at all (then it must fail), or None when something was scored."""
    if summary["by_level"]["all"]["count"]:
        return None
    paired = summary["num_paired_turns"]
    if not paired:
        return (
            f"nothing was scored: --gold {args.gold} and --pred {args.pred} pair no turn "
            f"({summary['num_interactions']} interactions; {summary['unpaired_gold_turns']} gold and "
            f"{summary['unpaired_pred_turns']} predicted turns left unpaired)"
        )
    from mtsql_env.evaluation.evaluator import describe_gold_errors

    return (
        f"nothing was scored: every one of the {paired} paired turns has a gold that fails "
        f"({describe_gold_errors(summary['gold_errors'], limit=2)}); check --db {args.db}"
        + (f" and --table {args.table}" if args.table else "")
    )
