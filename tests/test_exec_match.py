"""Execution match: string preparation, result comparison and the real-SQLite matcher (spec §5, §7)."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from itertools import permutations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtsql_env.evaluation.exec_match import (
    ExecMatchConfig,
    ExecMatcher,
    database_files,
    order_matters,
    prepare_for_execution,
    remove_distinct,
    results_equal,
)
from mtsql_env.evaluation.tokenizer import rewrite_value_placeholder

FIXTURES = Path(__file__).parent / "fixtures" / "evaluation" / "exec_match.txt"


def load_cases(path: Path = FIXTURES) -> list[dict[str, str]]:
    """Parse a `# title:` fixture file into dicts of its `key: value` fields."""
    cases: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# title:"):
            cases.append({"title": line.removeprefix("# title:").strip()})
        elif cases and line.strip() and not line.startswith("#"):
            key, _, value = line.partition(": ")
            cases[-1][key.strip()] = value
    return cases


CASES = load_cases()


# -- string preparation (§5.1) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT DISTINCT a FROM t", "SELECT  a FROM t"),
        ("select count(distinct a) from t", "select count( a) from t"),
        ("SELECT a FROM t WHERE b = 'DISTINCT'", "SELECT a FROM t WHERE b = 'DISTINCT'"),
        ('SELECT a FROM t WHERE b = "distinct"', 'SELECT a FROM t WHERE b = "distinct"'),
        ("SELECT distinct_count FROM t", "SELECT distinct_count FROM t"),
        ("SELECT a FROM t ; SELECT b FROM u", "SELECT a FROM t "),
        ("SELECT a FROM t WHERE b = 'x;y'", "SELECT a FROM t WHERE b = 'x;y'"),
        ("SELECT a FROM t -- note; DISTINCT\nWHERE c", "SELECT a FROM t -- note; DISTINCT\nWHERE c"),
        ("SELECT a FROM t WHERE b = 'it''s; DISTINCT'", "SELECT a FROM t WHERE b = 'it''s; DISTINCT'"),
        # a stray `)` lowers the level below 0, where a `;` still ends the statement
        ("SELECT a FROM t WHERE b = 1 ) ; SELECT 2", "SELECT a FROM t WHERE b = 1 ) "),
    ],
)
def test_remove_distinct(sql: str, expected: str) -> None:
    assert remove_distinct(sql) == expected


_sqlish = st.lists(
    st.sampled_from(
        [
            "SELECT",
            " ",
            "distinct",
            "DISTINCT",
            "Distinct_x",
            "'",
            '"',
            "`",
            ";",
            "(",
            ")",
            "END",
            "--",
            "\n",
            "/*",
            "*/",
            "a",
            "$",
            "#",
            "''",
            "\\",
            "x.distinct",
            "1",
        ]
    ),
    max_size=25,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_sqlish)
def test_remove_distinct_fast_paths_agree_with_the_lexer(sql: str) -> None:
    from mtsql_env.evaluation.exec_match import _remove_distinct_lexed

    assert remove_distinct(sql) == _remove_distinct_lexed(sql)


def test_prepare_joins_spaced_operators_and_year() -> None:
    prepared = prepare_for_execution("SELECT a FROM t WHERE b > = 1 AND c < = 2 AND d ! = YEAR(CURDATE())")
    assert prepared == "SELECT a FROM t WHERE b >= 1 AND c <= 2 AND d != 2020"
    # only exactly one space is joined
    assert prepare_for_execution("SELECT a FROM t WHERE b >  = 1") == "SELECT a FROM t WHERE b >  = 1"


def test_keep_distinct_keeps_everything() -> None:
    sql = "SELECT DISTINCT a FROM t; SELECT 1"
    assert prepare_for_execution(sql, keep_distinct=True) == sql


def test_value_rewrite_is_a_plain_substring_replacement() -> None:
    assert rewrite_value_placeholder("SELECT total_value_x FROM t WHERE a = 'value'") == (
        "SELECT total_1_x FROM t WHERE a = '1'"
    )
    assert rewrite_value_placeholder("SELECT a FROM t WHERE b = VALUE") == "SELECT a FROM t WHERE b = VALUE"


@pytest.mark.parametrize(
    ("gold", "expected", "expected_strict"),
    [
        ("SELECT a FROM t ORDER BY b", True, True),
        ("select a from t order by b", True, True),
        ("SELECT a FROM t ORDER  BY b", False, True),
        ("SELECT a FROM t ORDER\nBY b", False, True),
        ("SELECT a FROM t WHERE b IN (SELECT b FROM u ORDER BY c LIMIT 3)", True, True),
        ("SELECT a FROM t WHERE note = 'sorted: order by'", True, True),
        ("SELECT border_by FROM t", False, False),
    ],
)
def test_order_matters(gold: str, expected: bool, expected_strict: bool) -> None:
    assert order_matters(gold) is expected
    assert order_matters(gold, strict=True) is expected_strict


# -- result comparison (§5.3) --------------------------------------------------------------------------


def test_both_empty_are_equal_whatever_the_columns() -> None:
    assert results_equal([], [], order_matters=True)


@pytest.mark.parametrize(
    ("gold", "pred"),
    [
        ([(1,)], []),
        ([(1,), (2,)], [(1,)]),
        ([(1, 2)], [(1,)]),
        ([(1,)], [(1, 1)]),
    ],
)
def test_shape_mismatch_is_not_equal(gold: list, pred: list) -> None:
    assert not results_equal(gold, pred, order_matters=False)
    assert not results_equal(gold, pred, order_matters=False, strict=True)


def test_duplicates_count_when_unordered() -> None:
    assert not results_equal([(1,), (1,), (2,)], [(1,), (2,), (2,)], order_matters=False)
    assert results_equal([(1,), (1,), (2,)], [(2,), (1,), (1,)], order_matters=False)


def test_order_counts_only_when_it_matters() -> None:
    gold, pred = [(1, "a"), (2, "b")], [(2, "b"), (1, "a")]
    assert results_equal(gold, pred, order_matters=False)
    assert not results_equal(gold, pred, order_matters=True)


def test_python_equality_of_values() -> None:
    assert results_equal([(1,)], [(1.0,)], order_matters=True)
    assert not results_equal([("2",)], [(2,)], order_matters=False)
    assert results_equal([(None, "x")], [("x", None)], order_matters=False)
    assert not results_equal([(0.1 + 0.2,)], [(0.3,)], order_matters=False)


def test_text_sort_quirk_and_its_strict_fix() -> None:
    # The quick reject sorts row values by str(value)+str(type): (1, 1.5) sorts as (1.5, 1) but (1.0, 1.5)
    # stays, so the official verdict is "not equal"; (2, 1.5) vs (2.0, 1.5) sort alike and are equal.
    assert not results_equal([(1, 1.5)], [(1.0, 1.5)], order_matters=False)
    assert results_equal([(2, 1.5)], [(2.0, 1.5)], order_matters=False)
    assert results_equal([(1, 1.5)], [(1.0, 1.5)], order_matters=False, strict=True)


def test_columns_are_permuted() -> None:
    gold = [(1, "a", 2.5), (2, "b", 3.5)]
    pred = [(2.5, 1, "a"), (3.5, 2, "b")]
    assert results_equal(gold, pred, order_matters=True)


def test_permutation_must_be_one_for_all_rows() -> None:
    # Each row matches under some permutation, but no single permutation matches both rows.
    assert not results_equal([(1, 2), (3, 4)], [(2, 1), (3, 4)], order_matters=False, strict=True)


def test_wide_results_use_sampling_deterministically() -> None:
    gold = [(i, i + 1, i % 3, str(i), i * 2.5) for i in range(30)]
    perm = (3, 0, 4, 1, 2)
    pred = [tuple(row[c] for c in perm) for row in gold]
    random.Random(7).shuffle(pred)
    verdicts = {results_equal(gold, pred, order_matters=False, seed=s) for s in range(5)}
    assert verdicts == {True}
    pred[0] = (*pred[0][:4], -1.0)
    assert {results_equal(gold, pred, order_matters=False, seed=s) for s in range(5)} == {False}


def _brute_force_equal(gold: list[tuple], pred: list[tuple], ordered: bool) -> bool:
    """Reference for strict mode: some column permutation makes the results equal (list or multiset)."""
    if not gold and not pred:
        return True
    if len(gold) != len(pred) or len(gold[0]) != len(pred[0]):
        return False
    for perm in permutations(range(len(gold[0]))):
        permuted = [tuple(row[c] for c in perm) for row in pred]
        if (permuted == gold) if ordered else (Counter(permuted) == Counter(gold)):
            return True
    return False


_values = st.one_of(
    st.integers(-3, 3), st.sampled_from(["a", "b", "3"]), st.none(), st.sampled_from([1.0, 2.5])
)


@settings(max_examples=300, deadline=None)
@given(
    ncols=st.integers(1, 5),
    data=st.data(),
    ordered=st.booleans(),
    seed=st.integers(0, 10),
)
def test_strict_comparison_matches_brute_force(
    ncols: int, data: st.DataObject, ordered: bool, seed: int
) -> None:
    rows = st.lists(st.tuples(*[_values] * ncols), min_size=0, max_size=6)
    gold = data.draw(rows)
    # Build a pred that is often equal: permute the columns and shuffle the rows of gold, maybe mutate one.
    perm = data.draw(st.permutations(range(ncols)))
    pred = [tuple(row[c] for c in perm) for row in gold]
    if data.draw(st.booleans()):
        random.Random(seed).shuffle(pred)
    if pred and data.draw(st.booleans()):
        pred[0] = data.draw(st.tuples(*[_values] * ncols))
    assert results_equal(gold, pred, order_matters=ordered, strict=True, seed=seed) == _brute_force_equal(
        gold, pred, ordered
    )
    # The official quick reject can only turn "equal" into "not equal".
    if results_equal(gold, pred, order_matters=ordered, seed=seed):
        assert _brute_force_equal(gold, pred, ordered)


# -- databases and the matcher (§5.2) -----------------------------------------------------------------


def _make_db(path: Path, rows: list[tuple[int, str]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER, name TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
    conn.close()


def test_database_files_takes_every_name_containing_sqlite(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    for name in ("db.sqlite", "db_2.sqlite", "extra.sqlite.bak", "db.db", "schema.sql"):
        (folder / name).write_bytes(b"")
    (folder / "dir.sqlite").mkdir()
    assert [p.name for p in database_files(tmp_path, "db")] == [
        "db.sqlite",
        "db_2.sqlite",
        "extra.sqlite.bak",
    ]
    assert database_files(tmp_path, "missing") == ()


def test_pred_must_match_on_every_database_file(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    _make_db(folder / "toy.sqlite", [(1, "a"), (2, "b")])
    _make_db(folder / "toy_variant.sqlite", [(1, "a"), (5, "b")])
    matcher = ExecMatcher(tmp_path)
    gold = matcher.run_gold("SELECT name FROM t WHERE id < 3", "toy")
    assert gold.error is None and len(gold.results) == 2
    # Same rows on the first file, different on the second: the test-suite setting says "not equal".
    assert matcher.match("SELECT name FROM t WHERE id < 10", gold).correct is False
    assert matcher.match("SELECT name FROM t WHERE id <= 2", gold).correct is True


def test_gold_errors_are_reported_not_raised(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    _make_db(folder / "toy.sqlite", [(1, "a")])
    matcher = ExecMatcher(tmp_path)
    bad = matcher.run_gold("SELECT name FROM t WHERE id = 1 )", "toy")
    assert bad.error is not None and "syntax" in bad.error
    missing = matcher.run_gold("SELECT 1", "nowhere")
    assert missing.error is not None and "not found" in missing.error
    with pytest.raises(ValueError):
        matcher.match("SELECT 1", bad)


def test_pred_error_message_and_identical_shortcut(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    _make_db(folder / "toy.sqlite", [(1, "a")])
    matcher = ExecMatcher(tmp_path)
    gold = matcher.run_gold("SELECT name FROM t", "toy")
    verdict = matcher.match("SELECT nope FROM t", gold)
    assert verdict.correct is False and "no such column" in (verdict.pred_error or "")
    assert matcher.match("SELECT DISTINCT name FROM t", gold).correct is True
    assert matcher.run_gold("SELECT name FROM t", "toy") is gold  # memoised


def test_timeout_scores_pred_zero(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    _make_db(folder / "toy.sqlite", [(1, "a")])
    matcher = ExecMatcher(tmp_path, ExecMatchConfig(timeout_s=0.05))
    gold = matcher.run_gold("SELECT count(*) FROM t", "toy")
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
        "SELECT count(*) FROM c"
    )
    verdict = matcher.match(slow, gold)
    assert verdict.correct is False and "timeout" in (verdict.pred_error or "")


# -- spec §7 and extra fixtures on the real CoSQL databases ---------------------------------------------


@pytest.fixture(scope="module")
def matchers(cosql_dir: Path) -> dict[bool, ExecMatcher]:
    db_dir = cosql_dir / "database"
    return {kd: ExecMatcher(db_dir, ExecMatchConfig(keep_distinct=kd)) for kd in (False, True)}


def test_fixture_file_is_complete() -> None:
    assert len(CASES) >= 40
    assert all({"db", "gold", "pred", "ex", "ex_kd"} <= case.keys() for case in CASES)


@pytest.mark.realdata
@pytest.mark.parametrize("case", CASES, ids=[c["title"] for c in CASES])
def test_spec_cases(case: dict[str, str], matchers: dict[bool, ExecMatcher]) -> None:
    pred = rewrite_value_placeholder(case["pred"])
    for keep_distinct, key in ((False, "ex"), (True, "ex_kd")):
        matcher = matchers[keep_distinct]
        gold = matcher.run_gold(case["gold"], case["db"])
        assert gold.error is None, gold.error
        assert int(matcher.match(pred, gold).correct) == int(case[key]), f"{key} for {case['title']}"


def test_exec_strict_fixes_are_documented() -> None:
    from mtsql_env.evaluation.exec_match import EXEC_STRICT_FIXES

    assert set(EXEC_STRICT_FIXES) == {"exec_no_text_sort_reject", "exec_order_by_any_spacing"}
    assert all(desc and not desc.endswith(".") for desc in EXEC_STRICT_FIXES.values())
