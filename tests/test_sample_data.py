"""The bundled sample dataset: layout, counts, schema agreement, gold SQL that runs and is Spider-style.

The sample is what every demo, doctest and fresh-machine run uses, so these tests hold it to the same
bar as the real release: tables.json must describe the SQLite files exactly, every gold query must run
(read-only) and return rows, and every gold must be written the way the official evaluator's strict
parser accepts.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "mtsql_env" / "sample_data" / "cosql_dataset"
SPLITS = ("cosql_dev.json", "cosql_train.json")
SPIDER_TYPES = {"text", "number", "time", "others", "boolean"}
# Turns whose question expects "none" and whose gold therefore returns no rows: (split, dialogue, turn).
EXPECTED_EMPTY: set[tuple[str, int, int]] = set()


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_sample_data", REPO / "scripts" / "build_sample_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


build_script = _load_build_script()


def _dialogues(split: str) -> list[dict[str, Any]]:
    return json.loads((SAMPLE / "sql_state_tracking" / split).read_text(encoding="utf-8"))


def _tables_json() -> list[dict[str, Any]]:
    return json.loads((SAMPLE / "tables.json").read_text(encoding="utf-8"))


def _sqlite(db_id: str) -> Path:
    return SAMPLE / "database" / db_id / f"{db_id}.sqlite"


def _connect(db_id: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{_sqlite(db_id)}?mode=ro", uri=True)


def _db_catalogue(db_id: str) -> dict[str, list[str]]:
    """Table -> column names, straight from the SQLite file (lower-cased)."""
    conn = _connect(db_id)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        ]
        return {t.lower(): [c[1].lower() for c in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        conn.close()


def _all_gold(split: str) -> list[tuple[int, int, str, str]]:
    """(dialogue index, turn index, db_id, query) for every turn."""
    return [
        (d, t, item["database_id"], turn["query"])
        for d, item in enumerate(_dialogues(split))
        for t, turn in enumerate(item["interaction"])
    ]


# ----------------------------------------------------------------------------- Spider-style checker

_KEYWORDS = frozenset(
    "SELECT FROM WHERE GROUP BY ORDER HAVING LIMIT JOIN ON AS AND OR NOT IN LIKE BETWEEN DISTINCT "
    "UNION INTERSECT EXCEPT DESC ASC".split()
)
_AGGREGATES = frozenset({"count", "sum", "avg", "min", "max"})
_FORBIDDEN = re.compile(
    r"\b(LEFT|RIGHT|INNER|OUTER|CROSS|NATURAL|USING|OFFSET|IS|NULL|CASE|CAST|EXISTS|WITH)\b|\bUNION\s+ALL\b"
    r"|<>|==|;|count\(\s*1\s*\)|ORDER BY\s+\d",
    re.IGNORECASE,
)
_AFTER_TABLE = frozenset(
    {"AS", "JOIN", "ON", "WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT"}
)


def spider_style_violations(sql: str, catalogue: dict[str, list[str]]) -> list[str]:
    """List the ways ``sql`` departs from the Spider style the official parser needs (empty = fine).

    Example:
        >>> cat = {"book": ["book_id", "title", "price"], "loan": ["loan_id", "book_id"]}
        >>> spider_style_violations('SELECT T1.title FROM book AS T1 JOIN loan AS T2 ON T1.book_id = T2.book_id', cat)
        []
        >>> spider_style_violations("select title from book b where price>20", cat)[:2]
        ['lower-case keyword select', 'lower-case keyword from']
    """
    problems: list[str] = []
    if "'" in sql:
        problems.append("single-quoted literal (use double quotes)")
    if sql.count('"') % 2:
        problems.append("unbalanced double quotes")
    code = re.sub(r'"[^"]*"', '"S"', sql)
    if code != code.strip() or "  " in code:
        problems.append("irregular whitespace")
    for word in re.findall(r"[A-Za-z_]\w*", code):
        if word.upper() in _KEYWORDS and word != word.upper():
            problems.append(f"lower-case keyword {word}")
    for match in _FORBIDDEN.finditer(code):
        problems.append(f"forbidden construct {match.group(0)!r}")
    for match in re.finditer(r"\(", code):
        before = code[: match.start()]
        fn = re.search(r"(\w+)\s*$", before)
        if fn and fn.group(1).lower() in _AGGREGATES:
            continue
        if not code[match.end() :].startswith("SELECT "):
            problems.append("parenthesis that is neither an aggregate call nor a subquery")
    for match in re.finditer(r"(\w+)\s*\(", code):
        if match.group(1).lower() not in _AGGREGATES | {"in"}:
            problems.append(f"function {match.group(1)}()")
    for match in re.finditer(r"!=|>=|<=|=|<|>", code):
        left = code[match.start() - 1] if match.start() else ""
        right = code[match.end()] if match.end() < len(code) else ""
        if left != " " or right != " ":
            problems.append(f"operator {match.group(0)} without spaces around it")
    if re.search(r"\b(FROM|JOIN)\s+\w+(\s+AS\s+\w+)?\s*,", code):
        problems.append("comma join")
    for match in re.finditer(r"\b(FROM|JOIN)\s+(\w+)\s+(\w+)", code):
        if match.group(3) not in _AFTER_TABLE:
            problems.append(f"table alias without AS after {match.group(2)}")
    for match in re.finditer(r"\bJOIN\s+\w+(?:\s+AS\s+\w+)?(\s+\w+)?", code):
        if (match.group(1) or "").strip() != "ON":
            problems.append("JOIN without ON")
    aliases: dict[str, str] = {}
    for match in re.finditer(r"(\S+)\s+AS\s+(\w+)", code):
        table, alias = match.group(1).lower(), match.group(2)
        if not re.fullmatch(r"T\d+", alias):
            problems.append(f"alias {alias} (column aliases are forbidden; table aliases are T1, T2, ...)")
        if table not in catalogue:
            problems.append(f"AS after {table}, which is not a table")
        if aliases.setdefault(alias, table) != table:
            problems.append(f"alias {alias} reused for {table} and {aliases[alias]}")
    if code.count("HAVING") and not re.search(r"GROUP BY .* HAVING", code):
        problems.append("HAVING without GROUP BY")
    for match in re.finditer(r"\bLIMIT\b(\s+\d+)?", code):
        if not match.group(1):
            problems.append("LIMIT without a number")
    arithmetic = code.replace("(*)", "")
    if re.search(r"[-+*/]\s*\d|\d\s*[-+*/]", re.sub(r"\bT\d+\.", "", arithmetic)):
        problems.append("arithmetic with a literal operand")
    if re.search(r"[\w.]+\s*[-+*/]\s*[\w.]+\s*[-+*/]", arithmetic):
        problems.append("more than one arithmetic operator between columns")
    for alias, column in re.findall(r"\b(T\d+)\.(\w+)", code):
        table = aliases.get(alias)
        if table is None:
            problems.append(f"alias {alias} used but never defined")
        elif column.lower() not in catalogue.get(table, []):
            problems.append(f"{alias}.{column}: no such column in {table}")
    mentioned = {t for t in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", code)}
    known = {c for t in mentioned for c in catalogue.get(t.lower(), [])}
    stripped = re.sub(r"\bT\d+\.\w+|\"S\"", " ", code)
    for word in re.findall(r"\b[A-Za-z_]\w*\b", stripped):
        low = word.lower()
        if word in _KEYWORDS or low in _AGGREGATES or low in catalogue or re.fullmatch(r"T\d+", word):
            continue
        if low not in known:
            problems.append(f"bare name {word} is not a column of the tables in FROM")
    return problems


# ----------------------------------------------------------------------------- layout and counts


def test_release_layout_is_complete() -> None:
    for split in SPLITS:
        assert (SAMPLE / "sql_state_tracking" / split).is_file()
    assert (SAMPLE / "tables.json").is_file()
    assert (SAMPLE.parent / "README.md").is_file()
    for entry in _tables_json():
        db_dir = SAMPLE / "database" / entry["db_id"]
        assert (db_dir / f"{entry['db_id']}.sqlite").is_file()
        assert (db_dir / "schema.sql").is_file()


def test_items_have_the_release_fields() -> None:
    for split in SPLITS:
        for item in _dialogues(split):
            assert set(item) == {"database_id", "final", "interaction"}
            assert set(item["final"]) == {"utterance", "query"}
            for turn in item["interaction"]:
                assert set(turn) == {"utterance", "utterance_toks", "query", "query_toks_no_value"}
                assert turn["utterance"].strip() and turn["query"].strip()


def test_counts_and_spread() -> None:
    db_ids = {e["db_id"] for e in _tables_json()}
    assert len(db_ids) >= 4
    dev, train = _dialogues("cosql_dev.json"), _dialogues("cosql_train.json")
    assert len(dev) >= 40
    assert sum(len(i["interaction"]) for i in dev) >= 150
    assert len(train) >= 20 and sum(len(i["interaction"]) for i in train) >= 80
    for items in (dev, train):
        assert {i["database_id"] for i in items} == db_ids
        assert all(3 <= len(i["interaction"]) <= 6 for i in items)
    per_db = Counter(i["database_id"] for i in dev)
    assert min(per_db.values()) >= 8, per_db


def test_dev_and_train_ask_different_questions() -> None:
    dev = {t["utterance"] for i in _dialogues("cosql_dev.json") for t in i["interaction"]}
    train = {t["utterance"] for i in _dialogues("cosql_train.json") for t in i["interaction"]}
    generic = {"What about in 2022?"}  # short follow-ups may repeat in spirit, never whole questions
    assert not (dev & train) - generic


def test_final_repeats_the_last_turn() -> None:
    for split in SPLITS:
        for item in _dialogues(split):
            last = item["interaction"][-1]
            assert item["final"] == {"utterance": last["utterance"], "query": last["query"]}


# ----------------------------------------------------------------------------- tables.json vs SQLite


def test_tables_json_agrees_with_sqlite() -> None:
    for entry in _tables_json():
        db_id = entry["db_id"]
        catalogue = _db_catalogue(db_id)
        assert [t.lower() for t in entry["table_names_original"]] == list(catalogue)
        n = len(entry["column_names_original"])
        assert len(entry["column_names"]) == n == len(entry["column_types"])
        assert entry["column_names_original"][0] == [-1, "*"] and entry["column_names"][0] == [-1, "*"]
        assert len(entry["table_names"]) == len(entry["table_names_original"])
        assert set(entry["column_types"]) <= SPIDER_TYPES
        by_table: dict[str, list[str]] = {t: [] for t in catalogue}
        for t_index, name in entry["column_names_original"][1:]:
            by_table[entry["table_names_original"][t_index].lower()].append(name.lower())
        assert by_table == catalogue
        names = [
            f"{entry['table_names_original'][t].lower()}.{c.lower()}"
            for t, c in entry["column_names_original"][1:]
        ]

        def col(position: int, names: list[str] = names, n: int = n) -> str:
            assert 1 <= position < n
            return names[position - 1]

        conn = _connect(db_id)
        try:
            real_fks = {
                (f"{t}.{row[3].lower()}", f"{row[2].lower()}.{row[4].lower()}")
                for t in catalogue
                for row in conn.execute(f'PRAGMA foreign_key_list("{t}")')
            }
            real_pks = {
                f"{t}.{row[1].lower()}"
                for t in catalogue
                for row in conn.execute(f'PRAGMA table_info("{t}")')
                if row[5]
            }
        finally:
            conn.close()
        assert {(col(a), col(b)) for a, b in entry["foreign_keys"]} == real_fks
        assert {col(p) for p in entry["primary_keys"]} == real_pks
        assert real_fks, f"{db_id} has no foreign keys"


def test_tables_json_is_generated_from_the_databases() -> None:
    entries = {e["db_id"]: e for e in _tables_json()}
    for db_id, entry in entries.items():
        assert build_script.schema_entry(db_id, _sqlite(db_id)) == entry


def test_databases_are_small_and_varied() -> None:
    for entry in _tables_json():
        assert 4 <= len(entry["table_names_original"]) <= 7
        assert {"text", "number", "time"} <= set(entry["column_types"])
        conn = _connect(entry["db_id"])
        try:
            for table in entry["table_names_original"]:
                rows = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                assert 5 <= rows <= 400, (table, rows)
            nulls = sum(
                conn.execute(f'SELECT count(*) FROM "{t}" WHERE "{c}" IS NULL').fetchone()[0]
                for t_index, c in entry["column_names_original"][1:]
                for t in [entry["table_names_original"][t_index]]
            )
            assert nulls > 0, f"{entry['db_id']} has no NULLs"
        finally:
            conn.close()
    total = sum(p.stat().st_size for p in SAMPLE.parent.rglob("*") if p.is_file())
    assert total < 1_000_000


# ----------------------------------------------------------------------------- gold SQL


@pytest.mark.parametrize("split", SPLITS)
def test_every_gold_runs_read_only_and_returns_rows(split: str) -> None:
    empty, errors = [], []
    for d, t, db_id, query in _all_gold(split):
        conn = _connect(db_id)
        try:
            rows = conn.execute(query).fetchall()
        except sqlite3.Error as exc:
            errors.append(f"{d}.{t} {exc}: {query}")
            continue
        finally:
            conn.close()
        if not rows and (split, d, t) not in EXPECTED_EMPTY:
            empty.append(f"{d}.{t}: {query}")
    assert not errors
    assert not empty


@pytest.mark.parametrize("split", SPLITS)
def test_gold_is_spider_style(split: str) -> None:
    catalogues = {e["db_id"]: _db_catalogue(e["db_id"]) for e in _tables_json()}
    problems = [
        f"{d}.{t} {p}: {query}"
        for d, t, db_id, query in _all_gold(split)
        for p in spider_style_violations(query, catalogues[db_id])
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT count(*) AS n FROM book", "alias n"),
        ("SELECT title FROM book AS T1, loan AS T2", "comma join"),
        ("SELECT title FROM book WHERE price>3", "operator > without spaces"),
        ("SELECT title FROM book WHERE title = 'x'", "single-quoted"),
        ("SELECT title FROM book WHERE price IS NULL", "forbidden construct 'IS'"),
        ("SELECT lower(title) FROM book", "function lower()"),
        ("SELECT title FROM book WHERE (price > 3 OR price < 1)", "parenthesis"),
        (
            "SELECT title FROM book LEFT JOIN loan ON book.book_id = loan.book_id",
            "forbidden construct 'LEFT'",
        ),
        ("SELECT title FROM book ORDER BY 1", "forbidden construct 'ORDER BY 1'"),
        ("SELECT T1.titel FROM book AS T1", "no such column"),
        ("SELECT title FROM book HAVING count(*) > 1", "HAVING without GROUP BY"),
        ("SELECT price + 1 FROM book", "literal operand"),
        ("SELECT b.title FROM book b", "table alias without AS"),
        ("SELECT T1.title FROM book AS T1 WHERE T1.book_id IN (SELECT T1.book_id FROM loan AS T1)", "reused"),
        ("SELECT title FROM book WHERE book_id IN (1, 2)", "parenthesis"),
    ],
)
def test_style_checker_catches_violations(sql: str, problem: str) -> None:
    catalogue = {"book": ["book_id", "title", "price"], "loan": ["loan_id", "book_id"]}
    assert any(problem in p for p in spider_style_violations(sql, catalogue))


def _features(sql: str) -> set[str]:
    found = set()
    if " JOIN " in sql:
        found.add("join")
    if "(SELECT " in sql:
        found.add("nested")
    if " NOT IN (SELECT " in sql:
        found.add("not in")
    if re.search(r"[=<>] \(SELECT ", sql):
        found.add("scalar subquery")
    for keyword, name in (
        ("GROUP BY", "group by"),
        ("HAVING", "having"),
        ("ORDER BY", "order by"),
        ("LIMIT", "limit"),
        ("LIKE", "like"),
        ("BETWEEN", "between"),
        ("DISTINCT", "distinct"),
    ):
        if keyword in sql:
            found.add(name)
    if re.search(r"\b(UNION|INTERSECT|EXCEPT)\b", sql):
        found.add("set operation")
    if re.search(r"\b(count|sum|avg|min|max)\(", sql):
        found.add("aggregate")
    if len(re.findall(r"\bJOIN\b", sql)) >= 2:
        found.add("3-table join")
    return found


def test_dev_covers_every_sql_feature() -> None:
    counts = Counter(f for _d, _t, _db, q in _all_gold("cosql_dev.json") for f in _features(q))
    for feature in (
        "join",
        "3-table join",
        "nested",
        "not in",
        "scalar subquery",
        "group by",
        "having",
        "order by",
        "limit",
        "set operation",
        "aggregate",
        "like",
        "between",
        "distinct",
    ):
        assert counts[feature] >= 3, (feature, counts)
    ops = Counter(
        op
        for _d, _t, _db, q in _all_gold("cosql_dev.json")
        for op in re.findall(r"UNION|INTERSECT|EXCEPT", q)
    )
    assert all(ops[op] >= 3 for op in ("UNION", "INTERSECT", "EXCEPT")), ops


def test_token_fields_are_derived_from_the_text() -> None:
    for split in SPLITS:
        for item in _dialogues(split):
            for turn in item["interaction"]:
                assert turn["utterance_toks"] == build_script.tokenize_utterance(turn["utterance"])
                assert "".join(turn["utterance_toks"]) == re.sub(r"\s", "", turn["utterance"])
                toks = turn["query_toks_no_value"]
                assert toks == build_script.query_tokens_no_value(turn["query"])
                assert all('"' not in tok and not tok[0].isdigit() for tok in toks)
                literals = len(re.findall(r'"[^"]*"|(?<![\w.])\d+(?:\.\d+)?\b', turn["query"]))
                assert toks.count("value") == literals


def test_gold_parses_with_the_official_style_parser() -> None:
    parser = pytest.importorskip("mtsql_env.evaluation.parser")
    schema_mod = pytest.importorskip("mtsql_env.evaluation.schema")
    failures = []
    for split in SPLITS:
        for d, t, db_id, query in _all_gold(split):
            schema = schema_mod.load_eval_schema(_sqlite(db_id))
            try:
                parsed = parser.parse_sql(query, schema)
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                failures.append(f"{split} {d}.{t} {type(exc).__name__}: {exc}: {query}")
                continue
            assert parsed["from"]["table_units"]
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------------------- the build script


def test_rebuild_reproduces_everything(tmp_path: Path) -> None:
    texts = build_script.build(build_script.BuildConfig(source=SAMPLE, target=tmp_path))
    for rel, text in texts.items():
        assert (SAMPLE / rel).read_text(encoding="utf-8") == text, (
            f"{rel} is stale: run scripts/build_sample_data.py"
        )
    for entry in _tables_json():
        rel = Path("database") / entry["db_id"] / f"{entry['db_id']}.sqlite"
        assert build_script.table_contents(tmp_path / rel) == build_script.table_contents(SAMPLE / rel)
    again = tmp_path / "again"
    build_script.build(build_script.BuildConfig(source=SAMPLE, target=again))
    for entry in _tables_json():
        rel = Path("database") / entry["db_id"] / f"{entry['db_id']}.sqlite"
        assert (again / rel).read_bytes() == (tmp_path / rel).read_bytes()


def test_build_rejects_a_broken_gold(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for db_id in build_script.db_ids(SAMPLE):
        (source / "database" / db_id).mkdir(parents=True)
        (source / "database" / db_id / "schema.sql").write_bytes(
            (SAMPLE / "database" / db_id / "schema.sql").read_bytes()
        )
    items = _dialogues("cosql_dev.json")[:1]
    items[0]["interaction"][0]["query"] = "SELECT no_such_column FROM book"
    (source / "sql_state_tracking").mkdir()
    (source / "sql_state_tracking" / "cosql_dev.json").write_text(json.dumps(items))
    with pytest.raises(ValueError, match="no_such_column"):
        build_script.build(build_script.BuildConfig(source=source, target=tmp_path / "out"))


def test_build_script_doctests() -> None:
    result = doctest.testmod(build_script)
    assert result.attempted >= 4 and result.failed == 0


def test_style_checker_doctest() -> None:
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(
        spider_style_violations, globs={"spider_style_violations": spider_style_violations}
    ):
        runner.run(test)
    assert runner.tries >= 2 and runner.failures == 0


def test_readme_counts_match_the_files() -> None:
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    for split in SPLITS:
        items = _dialogues(split)
        turns = sum(len(i["interaction"]) for i in items)
        assert f"{split}" in readme and f"{len(items)} dialogues, {turns} turns" in readme
        for db_id in {i["database_id"] for i in items}:
            mine = [i for i in items if i["database_id"] == db_id]
            assert f"{len(mine)} / {sum(len(i['interaction']) for i in mine)}" in readme


def test_gold_scores_perfectly_against_itself(tmp_path: Path) -> None:
    """The oracle must get 100% EX and EM under the official semantics on every sample turn."""
    evaluator = pytest.importorskip("mtsql_env.evaluation.evaluator")
    files = pytest.importorskip("mtsql_env.evaluation.files")
    interactions = [
        [(t["query"], i["database_id"]) for t in i["interaction"]] for i in _dialogues("cosql_dev.json")
    ]
    gold = files.write_gold(tmp_path / "gold.txt", interactions)
    pred = files.write_pred(tmp_path / "pred.txt", [[q for q, _ in turns] for turns in interactions])
    result = evaluator.evaluate_files(gold, pred, SAMPLE / "database", SAMPLE / "tables.json")
    summary = result.summary
    assert summary["num_paired_turns"] == sum(len(t) for t in interactions)
    assert summary["qm_exec"] == summary["qm_exact"] == summary["im_exec"] == summary["im_exact"] == 1.0
    levels = {level: summary["by_level"][level]["count"] for level in ("easy", "medium", "hard", "extra")}
    assert all(count >= 10 for count in levels.values()), levels
    assert summary["by_turn"][">4"]["count"] > 0
