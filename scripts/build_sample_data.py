#!/usr/bin/env python
"""Rebuild the bundled sample dataset (``mtsql_env/sample_data/cosql_dataset``) from its sources.

The sample ships in the official CoSQL release layout so every loader, the evaluator and the env run on a
fresh machine without a download. Its sources of truth are human-readable and committed:

* ``database/<db_id>/schema.sql``: DDL and INSERT statements of each database;
* ``sql_state_tracking/cosql_{dev,train}.json``: utterances and gold SQL written for mtsql.

Everything else is derived here, so it cannot drift from those sources:

* ``database/<db_id>/<db_id>.sqlite`` is rebuilt from ``schema.sql``;
* ``tables.json`` (Spider schema file) is generated from the SQLite files plus :data:`NATURAL_NAMES`;
* ``utterance_toks`` and ``query_toks_no_value`` of every turn are re-tokenised, and every gold query is
  executed (read-only) on its database; a failing query stops the build.

Usage::

    python scripts/build_sample_data.py            # rebuild in place
    python scripts/build_sample_data.py --out DIR  # write a fresh copy under DIR (sources are copied)
    python scripts/build_sample_data.py --check    # exit 1 if anything derived is out of date
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOGGER = logging.getLogger("build_sample_data")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ROOT = REPO_ROOT / "mtsql_env" / "sample_data" / "cosql_dataset"
SPLITS = ("cosql_dev.json", "cosql_train.json")

# Natural-language names for tables.json where "original name with underscores as spaces" reads badly.
# Keys are lower-case original names; a "table.column" key wins over a bare "column" key.
NATURAL_NAMES: dict[str, str] = {
    "dept_id": "department id",
    "major_dept_id": "major department id",
    "gpa": "grade point average",
    "elevation_m": "elevation in meters",
    "distance_km": "distance in kilometers",
    "duration_seconds": "duration in seconds",
    "is_active": "is active",
    "airport.name": "airport name",
    "origin_code": "origin airport code",
    "destination_code": "destination airport code",
    "course.code": "course code",
}

# Spider's column types, from the declared SQLite type (first matching substring wins).
_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("bool", "others"),
    ("date", "time"),
    ("time", "time"),
    ("int", "number"),
    ("real", "number"),
    ("floa", "number"),
    ("doub", "number"),
    ("num", "number"),
    ("dec", "number"),
    ("char", "text"),
    ("text", "text"),
    ("clob", "text"),
)

_UTTERANCE_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:[-']\w+)*|[^\w\s]")
_QUERY_TOKEN = re.compile(r"\"[^\"]*\"|'[^']*'|\d+(?:\.\d+)?(?![\w.])|!=|>=|<=|\w+|[^\w\s]")


@dataclass(frozen=True)
class BuildConfig:
    """Where to read the sources and where to write the derived files.

    ``source`` and ``target`` are both roots in the CoSQL layout; they are the same directory for an
    in-place rebuild.
    """

    source: Path = SAMPLE_ROOT
    target: Path = SAMPLE_ROOT


def spider_type(declared: str) -> str:
    """Map a declared SQLite column type to Spider's ``text``/``number``/``time``/``others``.

    Example:
        >>> spider_type("INTEGER"), spider_type("DATE"), spider_type("BOOLEAN"), spider_type("TEXT")
        ('number', 'time', 'others', 'text')
    """
    lowered = declared.lower()
    for needle, kind in _TYPE_RULES:
        if needle in lowered:
            return kind
    return "others"


def natural_name(original: str, table: str | None = None) -> str:
    """Return the tables.json natural name of a table or column (see :data:`NATURAL_NAMES`).

    Example:
        >>> natural_name("dept_id", "course"), natural_name("loan_date", "loan"), natural_name("code", "course")
        ('department id', 'loan date', 'course code')
    """
    key = original.lower()
    if table is not None and f"{table.lower()}.{key}" in NATURAL_NAMES:
        return NATURAL_NAMES[f"{table.lower()}.{key}"]
    return NATURAL_NAMES.get(key, key.replace("_", " "))


def tokenize_utterance(text: str) -> list[str]:
    """Split an utterance into words and punctuation, as the release's ``utterance_toks`` does.

    Example:
        >>> tokenize_utterance("Which books cost more than $20.50?")
        ['Which', 'books', 'cost', 'more', 'than', '$', '20.50', '?']
    """
    return _UTTERANCE_TOKEN.findall(text)


def query_tokens_no_value(sql: str) -> list[str]:
    """Lower-cased query tokens with every literal (string or number) replaced by ``value``.

    Example:
        >>> query_tokens_no_value('SELECT T1.name FROM genre AS T1 WHERE T1.name = "Jazz" LIMIT 3')
        ['select', 't1', '.', 'name', 'from', 'genre', 'as', 't1', 'where', 't1', '.', 'name', '=', 'value', 'limit', 'value']
    """
    tokens = []
    for tok in _QUERY_TOKEN.findall(sql):
        if tok[0] in "\"'" or tok[0].isdigit():
            tokens.append("value")
        else:
            tokens.append(tok.lower())
    return tokens


def build_database(schema_sql: Path, sqlite_path: Path) -> None:
    """(Re)create ``sqlite_path`` from the statements in ``schema_sql`` with foreign keys enforced.

    The file is written to a temporary name first so a failing script never leaves half a database.
    """
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = sqlite_path.with_suffix(".sqlite.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        # schema.sql runs in autocommit mode (its PRAGMA foreign_keys must sit outside a transaction), so
        # skip the per-statement fsync; a crash only loses the temporary file.
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.executescript(schema_sql.read_text(encoding="utf-8"))
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise ValueError(f"{schema_sql}: foreign key violations {problems[:5]}")
        conn.execute("VACUUM")
    finally:
        conn.close()
    tmp.replace(sqlite_path)


def connect_read_only(sqlite_path: Path) -> sqlite3.Connection:
    """Open a database read-only, so no gold query or check can change the shipped file."""
    return sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)


def schema_entry(db_id: str, sqlite_path: Path) -> dict[str, Any]:
    """Build the Spider tables.json entry of one database from its SQLite catalogue.

    Tables keep their ``sqlite_master`` order and columns their declaration order, which is what the
    official evaluator sees when it reads the same file.
    """
    conn = connect_read_only(sqlite_path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        column_names: list[list[Any]] = [[-1, "*"]]
        column_names_original: list[list[Any]] = [[-1, "*"]]
        column_types: list[str] = ["text"]
        primary_keys: list[int] = []
        position: dict[tuple[str, str], int] = {}
        for t_index, table in enumerate(tables):
            for _cid, name, declared, _notnull, _default, pk in conn.execute(f'PRAGMA table_info("{table}")'):
                position[(table.lower(), name.lower())] = len(column_names)
                if pk:
                    primary_keys.append(len(column_names))
                column_names.append([t_index, natural_name(name, table)])
                column_names_original.append([t_index, name])
                column_types.append(spider_type(declared))
        foreign_keys: list[list[int]] = []
        for table in tables:
            rows = conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
            # foreign_key_list lists constraints in reverse declaration order; sort by constraint id descending
            # gives declaration order back.
            for row in sorted(rows, key=lambda r: (-r[0], r[1])):
                ref_table, src, dst = row[2], row[3], row[4]
                foreign_keys.append(
                    [position[(table.lower(), src.lower())], position[(ref_table.lower(), dst.lower())]]
                )
    finally:
        conn.close()
    return {
        "column_names": column_names,
        "column_names_original": column_names_original,
        "column_types": column_types,
        "db_id": db_id,
        "foreign_keys": foreign_keys,
        "primary_keys": primary_keys,
        "table_names": [natural_name(t) for t in tables],
        "table_names_original": tables,
    }


def _dump_dialogues(items: list[dict[str, Any]]) -> str:
    """Serialise dialogues readably: one line per field, token lists kept on one line."""
    out = ["["]
    for i, item in enumerate(items):
        out.append("  {")
        out.append(f'    "database_id": {json.dumps(item["database_id"])},')
        out.append(f'    "final": {json.dumps(item["final"], ensure_ascii=False)},')
        out.append('    "interaction": [')
        for j, turn in enumerate(item["interaction"]):
            fields = [f"      {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in turn.items()]
            out.append(
                "     {\n"
                + ",\n".join(fields)
                + "\n     }"
                + ("," if j < len(item["interaction"]) - 1 else "")
            )
        out.append("    ]")
        out.append("  }" + ("," if i < len(items) - 1 else ""))
    out.append("]")
    return "\n".join(out) + "\n"


def refresh_dialogues(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return dialogues with derived token fields recomputed and a fixed key order."""
    fresh = []
    for item in items:
        turns = [
            {
                "utterance": turn["utterance"],
                "utterance_toks": tokenize_utterance(turn["utterance"]),
                "query": turn["query"],
                "query_toks_no_value": query_tokens_no_value(turn["query"]),
            }
            for turn in item["interaction"]
        ]
        final = {"utterance": item["final"]["utterance"], "query": item["final"]["query"]}
        fresh.append({"database_id": item["database_id"], "final": final, "interaction": turns})
    return fresh


def check_gold_runs(items: Iterable[dict[str, Any]], database_dir: Path) -> list[str]:
    """Execute every gold query (and every ``final`` query) read-only; return error descriptions."""
    errors = []
    for d_index, item in enumerate(items):
        db_id = item["database_id"]
        conn = connect_read_only(database_dir / db_id / f"{db_id}.sqlite")
        try:
            queries = [turn["query"] for turn in item["interaction"]] + [item["final"]["query"]]
            for query in queries:
                try:
                    conn.execute(query).fetchall()
                except sqlite3.Error as exc:
                    errors.append(f"dialogue {d_index} ({db_id}): {exc}: {query}")
        finally:
            conn.close()
    return errors


def db_ids(source: Path) -> list[str]:
    """The databases of the sample: every ``database/<db_id>/schema.sql``, sorted."""
    return sorted(p.parent.name for p in (source / "database").glob("*/schema.sql"))


def build(config: BuildConfig) -> dict[str, str]:
    """Rebuild everything derived under ``config.target``; return ``{relative path: text}`` of text outputs.

    The returned texts let ``--check`` compare against the committed files without writing them.
    """
    source, target = config.source, config.target
    if source.resolve() != target.resolve():
        for db_id in db_ids(source):
            dest = target / "database" / db_id
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / "database" / db_id / "schema.sql", dest / "schema.sql")
    texts: dict[str, str] = {}
    entries = []
    for db_id in db_ids(source):
        sqlite_path = target / "database" / db_id / f"{db_id}.sqlite"
        build_database(target / "database" / db_id / "schema.sql", sqlite_path)
        entries.append(schema_entry(db_id, sqlite_path))
        LOGGER.info("built %s", sqlite_path)
    texts["tables.json"] = json.dumps(entries, indent=2) + "\n"
    for split in SPLITS:
        path = source / "sql_state_tracking" / split
        if not path.exists():
            continue
        items = refresh_dialogues(json.loads(path.read_text(encoding="utf-8")))
        errors = check_gold_runs(items, target / "database")
        if errors:
            raise ValueError(f"{split}: {len(errors)} gold queries fail:\n" + "\n".join(errors))
        texts[f"sql_state_tracking/{split}"] = _dump_dialogues(items)
    for rel, text in texts.items():
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return texts


def table_contents(sqlite_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order: what a rebuild must reproduce exactly."""
    conn = connect_read_only(sqlite_path)
    try:
        names = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall() for name in names}
    finally:
        conn.close()


def check(source: Path) -> list[str]:
    """Rebuild into a temporary directory and list every derived file that differs from ``source``."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        texts = build(BuildConfig(source=source, target=Path(tmp)))
        for rel, text in texts.items():
            current = source / rel
            if not current.exists() or current.read_text(encoding="utf-8") != text:
                problems.append(f"{rel} is out of date")
        for db_id in db_ids(source):
            rel = f"database/{db_id}/{db_id}.sqlite"
            if not (source / rel).exists() or table_contents(source / rel) != table_contents(Path(tmp) / rel):
                problems.append(f"{rel} is out of date")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SAMPLE_ROOT, help="root of the sources (CoSQL layout)")
    parser.add_argument("--out", type=Path, default=None, help="write a fresh copy here instead of in place")
    parser.add_argument("--check", action="store_true", help="only report derived files that are out of date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        problems = check(args.source)
        for problem in problems:
            LOGGER.error(problem)
        return 1 if problems else 0
    build(BuildConfig(source=args.source, target=args.out or args.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
