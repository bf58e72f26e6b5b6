"""The memory check: structural diffs against the previous turn (memory_diff) and result sanity (sanity)."""

from __future__ import annotations

import doctest
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_DATA_DIR
from sqlglot import exp

from mtsql_env.sql import (
    QueryDiff,
    SanityReport,
    canonical_tree,
    check_result,
    clause_f1,
    clean_sql,
    diff_queries,
)
from mtsql_env.sql import memory_diff as memory_diff_module
from mtsql_env.sql import sanity as sanity_module

FIXTURES = Path(__file__).parent / "fixtures" / "sql"

DIFF_CASES = json.loads((FIXTURES / "memory_diff_cases.json").read_text())["cases"]


@pytest.fixture(scope="module")
def cosql_dev() -> list[dict]:
    path = REAL_DATA_DIR / "cosql_dataset" / "sql_state_tracking" / "cosql_dev.json"
    if not path.exists():
        pytest.skip(f"real CoSQL dev set not found at {path} (set MTSQL_DATA_DIR)")
    return json.loads(path.read_text())


def _db_path(db_id: str) -> Path:
    return REAL_DATA_DIR / "cosql_dataset" / "database" / db_id / f"{db_id}.sqlite"


def _pairs(dialogues: list[dict]) -> list[tuple[str, str]]:
    """(candidate, previous) for every consecutive gold pair."""
    pairs = []
    for item in dialogues:
        queries = [turn["query"] for turn in item["interaction"]]
        pairs.extend(zip(queries[1:], queries))
    return pairs


# -- doctests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [memory_diff_module, sanity_module])
def test_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# -- memory diff on hand-written queries -------------------------------------------------------------


def test_diff_reports_what_could_not_be_compared() -> None:
    assert diff_queries("SELECT a FROM t", None).note == "no previous SQL to compare with (first turn)"
    assert diff_queries("SELECT a FROM t", "").changes == ()
    assert "candidate SQL does not parse" in diff_queries("SELEC a FRM t", "SELECT a FROM t").summary()
    both = diff_queries("SELEC a", "FROM b WHERE").summary()
    assert both == "cannot compare: the candidate and the previous SQL does not parse"


def test_diff_ignores_spelling_and_sees_value_changes() -> None:
    same = diff_queries(
        "select T1.Name from Singer as T1 where T1.Age > 20", "SELECT name FROM singer WHERE age > 20"
    )
    assert same.identical and all(not c.changed for c in same.changes)
    other = diff_queries("SELECT name FROM singer WHERE age > 30", "SELECT name FROM singer WHERE age > 20")
    assert not other.identical
    assert other.change("filters").added == ("age > 30",) and other.change("filters").dropped == ("age > 20",)


def test_diff_limit_and_order_phrasing() -> None:
    diff = diff_queries(
        "SELECT name FROM singer ORDER BY age LIMIT 3", "SELECT name FROM singer ORDER BY age DESC LIMIT 1"
    )
    assert (
        diff.summary() == "keeps tables [singer]; keeps select [name]; ORDER BY age DESC -> age; LIMIT 1 -> 3"
    )
    reordered = diff_queries(
        "SELECT name FROM singer ORDER BY age, name", "SELECT name FROM singer ORDER BY name, age"
    )
    assert reordered.change("orderBy").changed  # same keys, other priority: a different sort


def test_diff_distinct_marker_and_duplicates() -> None:
    diff = diff_queries("SELECT DISTINCT country FROM singer", "SELECT country FROM singer")
    assert diff.change("select").added == ("DISTINCT",) and diff.change("select").kept == ("country",)


def test_diff_set_operation_added() -> None:
    diff = diff_queries(
        "SELECT name FROM singer EXCEPT SELECT name FROM singer WHERE age > 20", "SELECT name FROM singer"
    )
    change = diff.change("setOperation")
    assert (
        change.added == ("EXCEPT SELECT singer.name FROM singer WHERE singer.age > 20",)
        and not change.dropped
    )


def test_summary_respects_max_chars_and_keeps_changes_first() -> None:
    previous = "SELECT a, b, c, d, e FROM t JOIN u ON t.id = u.id WHERE t.x = 1 AND u.y = 2 GROUP BY t.a, t.b"
    candidate = previous + " ORDER BY t.a DESC LIMIT 1"
    diff = diff_queries(candidate, previous)
    full = diff.summary(max_chars=1000)
    assert full.startswith("keeps tables [t, u]; keeps filters [") and full.endswith("adds LIMIT 1")
    short = diff.summary(max_chars=90)
    assert len(short) <= 90
    # `a` stays qualified: the select list names it bare (two tables, no schema), so it is ambiguous.
    assert short == "adds ORDER BY t.a DESC; adds LIMIT 1; unchanged: tables, filters, select, GROUP BY"
    assert len(diff.summary(max_chars=20)) == 20


# -- memory diff on real CoSQL follow-ups ------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize("case", DIFF_CASES, ids=[c["title"] for c in DIFF_CASES])
def test_diff_fixture_on_real_followups(case: dict, cosql_dev: list[dict]) -> None:
    item = cosql_dev[case["dialogue"]]
    assert item["database_id"] == case["db_id"], "fixture no longer points at the intended dialogue"
    candidate = item["interaction"][case["turn"]]["query"]
    previous = item["interaction"][case["turn"] - 1]["query"]
    diff = diff_queries(candidate, previous)
    assert diff.note is None
    assert diff.identical == case.get("identical", False)
    for part, expected in case["expect"].items():
        change = diff.change(part)
        assert change is not None, part
        assert sorted(change.kept) == sorted(expected["kept"]), part
        assert sorted(change.added) == sorted(expected["added"]), part
        assert sorted(change.dropped) == sorted(expected["dropped"]), part
    for part in case["unchanged"]:
        assert not diff.change(part).changed, part
    if "summary" in case:
        assert diff.summary() == case["summary"]


def _tables(sql: str) -> set[str]:
    return {t.name for t in canonical_tree(sql).find_all(exp.Table)}


@pytest.mark.realdata
def test_diff_every_consecutive_dev_pair(cosql_dev: list[dict]) -> None:
    pairs = _pairs(cosql_dev)
    assert len(pairs) == 1007 - len(cosql_dev)
    lengths = []
    for candidate, previous in pairs:
        diff = diff_queries(candidate, previous)
        assert isinstance(diff, QueryDiff) and diff.note is None
        # identical exactly when every clause agrees
        assert diff.identical == (clause_f1(candidate, previous) == 1.0), (candidate, previous)
        tables = diff.change("tables")
        assert set(tables.kept) | set(tables.added) == _tables(candidate)
        assert set(tables.kept) | set(tables.dropped) == _tables(previous)
        text = diff.summary()
        assert 0 < len(text) <= 400 and "\n" not in text
        assert len(diff.summary(max_chars=150)) <= 150
        lengths.append(len(text))
        assert diff_queries(candidate, candidate).identical
    assert sum(lengths) / len(lengths) < 250  # compact enough to feed back to an LLM


@pytest.mark.realdata
def test_shown_items_equal_shortened_copies(cosql_dev: list[dict]) -> None:
    """Items are shown by a column-shortening generator; the reference is a transformed copy."""
    from itertools import combinations

    from mtsql_env.sql.dialect import short_column_text

    checked = 0
    for item in cosql_dev:
        for turn in item["interaction"]:
            parts = memory_diff_module._parts(canonical_tree(turn["query"]))
            for part in parts.values():
                for entry in part:
                    if entry.node is None:
                        continue
                    names = sorted(entry.names)
                    for size in range(len(names) + 1):
                        for keep in combinations(names, size):
                            ambiguous = frozenset(keep) | {"not_a_column"}
                            expected = memory_diff_module._shown_from_copy(entry.node, ambiguous)
                            assert short_column_text(entry.node, ambiguous) == expected
                            assert entry.shown(ambiguous) == expected
                            checked += 1
    assert checked > 3000


# -- sanity reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandInResult:
    """Minimal object with ExecutionResult's attributes (the duck type check_result reads)."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated: bool = False
    error: Any = None
    message: str = ""
    extra: dict = field(default_factory=dict)


def test_sanity_on_a_stand_in_result() -> None:
    report = check_result(StandInResult(("a", "b"), ((1, None), (1, None), (2, None)), truncated=True))
    assert report == SanityReport("ok", None, 3, ("b",), 1, True)
    assert (
        report.summary() == "ok: 3+ rows; all NULL in [b]; 1 duplicate row; result truncated at the row cap"
    )
    assert check_result(StandInResult(error="syntax", message="near x")).summary() == "error: syntax: near x"
    assert check_result(StandInResult(("a",))).status == "empty"


def _execute(db_id: str, sql: str):
    from mtsql_env.executor import SQLiteExecutor

    path = _db_path(db_id)
    if not path.exists():
        pytest.skip(f"database {db_id} not found at {path}")
    with SQLiteExecutor() as executor:
        return executor.execute(path, sql)


def _independent(db_id: str) -> sqlite3.Connection:
    """A plain read-only sqlite3 connection, to check reports without the code under test."""
    return sqlite3.connect(f"file:{_db_path(db_id)}?mode=ro", uri=True)


@pytest.mark.realdata
def test_sanity_on_real_results(cosql_dev: list[dict]) -> None:
    # duplicates: compare with SQLite's own DISTINCT count
    sql = "SELECT country FROM singer"
    report = check_result(_execute("concert_singer", sql))
    with _independent("concert_singer") as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT country) FROM singer").fetchone()
    assert report.status == "ok" and report.row_count == total
    assert report.duplicate_rows == total - distinct > 0
    # NULL-only columns: compare with SQLite's count(column) over the same rows
    report = check_result(_execute("cre_Doc_Template_Mgt", "SELECT * FROM Documents"))
    with _independent("cre_Doc_Template_Mgt") as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(Documents)")]
        counts = {c: conn.execute(f"SELECT count({c}) FROM Documents").fetchone()[0] for c in columns}
    expected = tuple(c for c in columns if counts[c] == 0)
    assert expected and report.null_only_columns == expected
    # empty and error
    empty = check_result(_execute("concert_singer", "SELECT name FROM singer WHERE age > 1000"))
    assert empty.status == "empty" and empty.summary().startswith("empty")
    error = check_result(_execute("concert_singer", "SELECT nme FROM singer"))
    assert error.status == "error" and error.error.startswith("unknown_column: no such column")


@pytest.mark.realdata
def test_sanity_over_all_runnable_dev_gold(cosql_dev: list[dict]) -> None:
    statuses: dict[str, int] = {}
    for item in cosql_dev:
        db_id = item["database_id"]
        if not _db_path(db_id).exists():  # wta_1 is not shipped (data README)
            continue
        for turn in item["interaction"]:
            result = _execute(db_id, clean_sql(turn["query"]))
            report = check_result(result)
            statuses[report.status] = statuses.get(report.status, 0) + 1
            assert report.status == result.status
            assert report.row_count == len(result.rows)
            assert report.duplicate_rows == len(result.rows) - len(set(result.rows))
            assert len(report.summary()) <= 200
    assert statuses["ok"] > 800 and statuses.get("empty", 0) > 0
    # Only the gold with a stray ")" fails once Spider's spaced operators are cleaned.
    assert statuses.get("error", 0) == 1


def test_a_long_run_keeps_a_bounded_number_of_sqlglot_trees() -> None:
    """Distinct queries (every RL sample differs) must not pile up trees: ~17 KB each, and GC walks them all."""
    import gc

    from mtsql_env.sql import cache_clear, clause_f1
    from mtsql_env.sql.parsing import TREE_CACHE_SIZE

    def play(start: int, stop: int) -> None:
        for i in range(start, stop):
            sql = f"SELECT name FROM singer WHERE age > {i} AND country = 'c{i}' ORDER BY name"
            clause_f1(sql, "SELECT name FROM singer WHERE age > 3")
            diff_queries(sql, f"SELECT name FROM singer WHERE age > {i - 1}")

    def live_trees() -> int:
        gc.collect()
        return sum(isinstance(o, exp.Expression) for o in gc.get_objects())

    cache_clear()
    play(0, 2 * TREE_CACHE_SIZE)
    after_some = live_trees()
    play(2 * TREE_CACHE_SIZE, 8 * TREE_CACHE_SIZE)
    assert live_trees() <= after_some * 1.05
    cache_clear()
