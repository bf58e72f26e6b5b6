"""The evaluation driver: pairing, aggregation (levels, turns, QM/IM), gold errors, and the real CoSQL dev set."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from test_exec_match import load_cases  # tests/ is on sys.path (pytest rootdir-relative import)

import mtsql_env
from mtsql_env.evaluation.evaluator import (
    LEVELS,
    RECORD_COLUMNS,
    TURN_BUCKETS,
    EvaluationResult,
    Evaluator,
    EvaluatorConfig,
    evaluate_files,
)
from mtsql_env.evaluation.exact_match import PARTIAL_COMPONENTS
from mtsql_env.evaluation.exec_match import prepare_for_execution
from mtsql_env.evaluation.files import read_gold, write_gold, write_pred

SAMPLE = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"
CASES = load_cases()
EM_CASES = [c for c in CASES if "em" in c]


@pytest.fixture(scope="module")
def sample_evaluator() -> Evaluator:
    return Evaluator(SAMPLE / "database", SAMPLE / "tables.json")


# Small gold interactions on the bundled sample database (no real data needed).
Q_ALL = ("SELECT name FROM artist", "music_store")
Q_WHERE = ("SELECT name FROM artist WHERE formed_year > 2000", "music_store")
Q_COUNT = ("SELECT count(*) FROM artist", "music_store")
Q_ORDER = ("SELECT name FROM artist ORDER BY formed_year DESC LIMIT 1", "music_store")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="etype"):
        EvaluatorConfig(etype="both")
    with pytest.raises(ValueError, match="timeout"):
        EvaluatorConfig(timeout_s=0)
    with pytest.raises(ValueError, match="tables"):
        Evaluator(SAMPLE / "database", None, EvaluatorConfig(etype="all"))


def test_score_turn_and_gold_memo(sample_evaluator: Evaluator) -> None:
    score = sample_evaluator.score_turn("SELECT name FROM artist WHERE formed_year > 2010", *Q_WHERE)
    assert (score.exact, score.exec, score.hardness, score.gold_error) == (1, 0, "easy", None)
    assert set(score.partial) == set(PARTIAL_COMPONENTS)
    side = sample_evaluator.gold_side(*Q_WHERE)
    sample_evaluator.score_turn("garbage", *Q_WHERE)
    assert sample_evaluator.gold_side(*Q_WHERE) is side


def test_garbage_pred_reports_both_errors(sample_evaluator: Evaluator) -> None:
    score = sample_evaluator.score_turn("SELEC name FRM artist", *Q_ALL)
    assert (score.exact, score.exec) == (0, 0)
    assert score.pred_parse_error and score.pred_exec_error and "syntax" in score.pred_exec_error


def test_pairing_stops_at_the_shorter_side_and_empty_interaction_is_correct(
    sample_evaluator: Evaluator,
) -> None:
    gold = [[Q_ALL, Q_WHERE, Q_COUNT], [], [Q_COUNT], [Q_ALL]]
    pred = [[Q_ALL[0]], ["SELECT 1"], [], [Q_ALL[0], "SELECT extra FROM nowhere"]]
    result = sample_evaluator.evaluate(gold, pred)
    assert [(r["interaction"], r["turn"]) for r in result.records] == [(0, 0), (3, 0)]
    summary = result.summary
    assert summary["by_level"]["all"]["count"] == 2
    assert summary["unpaired_gold_turns"] == 3 and summary["unpaired_pred_turns"] == 2
    # every interaction has all its paired turns right (none in interactions 1 and 2): IM = 4/4
    assert summary["by_level"]["joint_all"]["count"] == 4
    assert summary["im_exec"] == summary["im_exact"] == 1.0


def test_interaction_count_mismatch_is_an_error(sample_evaluator: Evaluator) -> None:
    with pytest.raises(ValueError, match="interactions"):
        sample_evaluator.evaluate([[Q_ALL], [Q_ALL]], [[Q_ALL[0]]])


def test_im_is_independent_for_ex_and_em(sample_evaluator: Evaluator) -> None:
    gold = [[Q_WHERE, Q_ALL], [Q_WHERE]]
    # interaction 0: turn 0 has EM right / EX wrong (a changed value), turn 1 EM wrong / EX right (a filter
    # that keeps every row); interaction 1 is right on both
    pred = [
        ["SELECT name FROM artist WHERE formed_year > 2010", "SELECT name FROM artist WHERE artist_id > 0"],
        [Q_WHERE[0]],
    ]
    result = sample_evaluator.evaluate(gold, pred)
    assert [(r["exact"], r["exec"]) for r in result.records] == [(1, 0), (0, 1), (1, 1)]
    s = result.summary
    assert s["qm_exact"] == pytest.approx(2 / 3) and s["qm_exec"] == pytest.approx(2 / 3)
    assert s["im_exact"] == 0.5 and s["im_exec"] == 0.5


def test_turn_buckets(sample_evaluator: Evaluator) -> None:
    gold = [[Q_ALL] * 7]
    pred = [[Q_ALL[0]] * 5 + ["SELECT artist_id FROM artist"] * 2]
    summary = sample_evaluator.evaluate(gold, pred).summary
    assert [summary["by_turn"][b]["count"] for b in TURN_BUCKETS] == [1, 1, 1, 1, 3]
    assert summary["by_turn"][">4"]["exec"] == pytest.approx(1 / 3)
    assert summary["by_turn"]["1"]["exact"] == 1.0


def test_etype_exec_and_match(sample_evaluator: Evaluator) -> None:
    exec_only = Evaluator(SAMPLE / "database", None, EvaluatorConfig(etype="exec"))
    score = exec_only.score_turn("SELECT name FROM artist WHERE formed_year > 2010", *Q_WHERE)
    assert (score.exact, score.exec, score.hardness, score.partial) == (None, 0, "easy", {})
    match_only = Evaluator(SAMPLE / "database", SAMPLE / "tables.json", EvaluatorConfig(etype="match"))
    # a gold that parses but does not run is only an error when EX is computed
    bad_run = ("SELECT name FROM artist WHERE formed_year > 2000 ) ", "music_store")
    assert match_only.score_turn(bad_run[0], *bad_run).exact == 1
    assert match_only.score_turn(bad_run[0], *bad_run).exec is None
    assert sample_evaluator.score_turn(bad_run[0], *bad_run).gold_error is not None
    summary = match_only.evaluate([[Q_ALL]], [[Q_ALL[0]]]).summary
    assert summary["qm_exec"] is None and summary["qm_exact"] == 1.0


def test_gold_errors_are_excluded_and_reported(
    sample_evaluator: Evaluator, caplog: pytest.LogCaptureFixture
) -> None:
    bad_parse = ("SELECT nonexistent_column FROM artist", "music_store")
    missing_db = ("SELECT 1 FROM t", "no_such_db")
    gold = [[Q_ALL, bad_parse], [missing_db, missing_db], [Q_COUNT]]
    pred = [[Q_ALL[0], "SELECT 1"], ["SELECT 1", "SELECT 1"], ["SELECT 2"]]
    with caplog.at_level("WARNING"):
        result = sample_evaluator.evaluate(gold, pred)
    s = result.summary
    assert [e["turn"] for e in s["gold_errors"]] == [1, 0, 1]
    assert "does not parse" in s["gold_errors"][0]["error"]
    assert "not found" in s["gold_errors"][1]["error"]
    assert s["by_level"]["all"]["count"] == 2
    # interaction 0 is judged on its valid turn (correct); interaction 1 has only gold errors (left out);
    # interaction 2 is wrong
    assert s["by_level"]["joint_all"]["count"] == 2 and s["im_exec"] == 0.5
    assert (
        "3 gold turn(s) failed" in caplog.text and "no_such_db: database not found (2 turns)" in caplog.text
    )
    frame = result.items
    assert frame["gold_error"].notna().sum() == 3


def test_partial_matching_aggregation(sample_evaluator: Evaluator) -> None:
    gold = [[Q_ORDER, Q_ORDER]]
    pred = [["SELECT name FROM artist ORDER BY formed_year DESC LIMIT 1", "SELECT name FROM artist"]]
    summary = sample_evaluator.evaluate(gold, pred).summary
    order = summary["by_level"]["medium"]["partial"]["order"]
    # accuracy: only the first pred has an ORDER BY (1/1); recall: both golds have one (1/2)
    assert order == {"acc": 1.0, "rec": 0.5, "f1": pytest.approx(2 / 3)}
    assert summary["by_level"]["joint_all"]["partial"]["order"] == {"acc": 0.0, "rec": 0.0, "f1": 1.0}
    assert summary["by_level"]["easy"]["partial"]["order"]["f1"] == 1.0  # nothing qualifies: 0/0 -> F1 1


def test_and_or_partial_row_follows_the_official_order() -> None:
    """Upstream's eval_partial_match unpacks eval_and_or's (pred, gold, 0) as (gold_total, pred_total, cnt),
    so where the connector sets differ and/or's accuracy and recall are the other way round; by default we
    print what upstream prints, and --strict puts them right."""
    gold_sql = "SELECT name FROM artist WHERE formed_year > 2000 AND country = 'UK'"
    gold = [[(gold_sql, "music_store"), (gold_sql, "music_store")]]
    pred = [["SELECT name FROM artist", gold_sql]]
    official = Evaluator(SAMPLE / "database", SAMPLE / "tables.json").evaluate(gold, pred)
    row = official.summary["by_level"]["all"]["partial"]["and/or"]
    # item 1: pred has no connector, gold has one -> upstream counts it for accuracy (score 0), not recall
    assert row == {"acc": 0.5, "rec": 1.0, "f1": pytest.approx(2 / 3)}
    assert official.records[0]["partial"]["and/or"] == [0, 1, 0]
    # the printed accuracy block comes first, then the recall block
    acc_line, rec_line = [
        line for line in official.format_tables().splitlines() if line.startswith("and/or")
    ][:2]
    assert "0.500" in acc_line and "0.500" not in rec_line
    strict = Evaluator(SAMPLE / "database", SAMPLE / "tables.json", EvaluatorConfig(strict=True)).evaluate(
        gold, pred
    )
    assert strict.summary["by_level"]["all"]["partial"]["and/or"] == {
        "acc": 1.0,
        "rec": 0.5,
        "f1": pytest.approx(2 / 3),
    }


def test_result_items_json_and_tables(sample_evaluator: Evaluator) -> None:
    result = sample_evaluator.evaluate([[Q_ALL, Q_ORDER], [Q_COUNT]], [[Q_ALL[0], "x"], [Q_COUNT[0]]])
    frame = result.items
    assert list(frame.columns[: len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    assert {f"partial:{c}" for c in PARTIAL_COMPONENTS} <= set(frame.columns)
    assert frame["exec"].tolist() == [1, 0, 1]
    json.dumps(result.to_json())
    tables = result.format_tables()
    assert re.search(r"^count\s+2\s+1\s+0\s+0\s+3\s+2$", tables, re.M)
    assert re.search(r"^execution\s+1\.000\s+0\.000\s+0\.000\s+0\.000\s+0\.667\s+0\.500$", tables, re.M)
    assert "turn > 4" in tables and "QM (question match)" in tables
    assert EvaluationResult([], result.summary).items.empty


def test_single_interaction_prints_no_turn_table(sample_evaluator: Evaluator) -> None:
    tables = sample_evaluator.evaluate([[Q_ALL]], [[Q_ALL[0]]]).format_tables()
    assert "joint_all" not in tables.splitlines()[0] and "turn 1" not in tables


# -- spec §7 through the whole driver (real databases) --------------------------------------------------


@pytest.fixture(scope="module")
def cosql_evaluators(cosql_dir: Path) -> dict[bool, Evaluator]:
    return {
        kd: Evaluator(cosql_dir / "database", cosql_dir / "tables.json", EvaluatorConfig(keep_distinct=kd))
        for kd in (False, True)
    }


@pytest.mark.realdata
@pytest.mark.parametrize("case", EM_CASES, ids=[c["title"] for c in EM_CASES])
def test_spec_table_through_the_driver(case: dict[str, str], cosql_evaluators: dict[bool, Evaluator]) -> None:
    score = cosql_evaluators[False].score_turn(case["pred"], case["gold"], case["db"])
    assert (score.exact, score.exec, score.hardness) == (int(case["em"]), int(case["ex"]), case["hardness"])
    assert cosql_evaluators[True].score_turn(case["pred"], case["gold"], case["db"]).exec == int(
        case["ex_kd"]
    )


# -- the real CoSQL dev set --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_gold(cosql_dir: Path) -> list[list[tuple[str, str]]]:
    path = cosql_dir.parent / "reference" / "cosql_dev_gold.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return read_gold(path)


@pytest.fixture(scope="module")
def dev_self_score(cosql_evaluators: dict[bool, Evaluator], dev_gold: list) -> EvaluationResult:
    return cosql_evaluators[False].evaluate(dev_gold, [[sql for sql, _ in turns] for turns in dev_gold])


@pytest.mark.realdata
def test_dev_gold_scores_itself_perfectly(dev_self_score: EvaluationResult, dev_gold: list) -> None:
    records = dev_self_score.records
    assert len(dev_gold) == 293 and len(records) == 1007
    valid = [r for r in records if r["gold_error"] is None]
    assert all(r["exact"] == 1 and r["exec"] == 1 for r in valid)
    errors = dev_self_score.summary["gold_errors"]
    by_db = Counter(e["db_id"] for e in errors)
    assert by_db == {"wta_1": 59, "car_1": 1}
    assert "syntax" in next(e["error"] for e in errors if e["db_id"] == "car_1")
    summary = dev_self_score.summary
    assert summary["by_level"]["all"]["count"] == 1007 - 60
    assert sum(summary["by_level"][lv]["count"] for lv in LEVELS[:4]) == 1007 - 60
    wta_interactions = {r["interaction"] for r in records if r["db_id"] == "wta_1"}
    assert summary["by_level"]["joint_all"]["count"] == 293 - len(wta_interactions)
    assert summary["qm_exact"] == summary["qm_exec"] == summary["im_exact"] == summary["im_exec"] == 1.0
    assert all(summary["by_turn"][b]["exec"] == 1.0 for b in TURN_BUCKETS)


def _perturb(sql: str, kind: str) -> str | None:
    """A deliberately wrong variant of a gold query, or None when this kind does not apply."""
    if kind == "number":
        where = re.search(r"\bwhere\b", sql, re.I)
        if not where or "FROM (" in sql.upper().replace("FROM  (", "FROM ("):
            return None
        tail = sql[where.end() :]
        number = re.search(r"(?<![\w.'\"%])(\d+)(?![\w.'\"%])", tail)
        if not number or re.search(r"limit\s*$", tail[: number.start()], re.I):
            return None
        cut = where.end() + number.start()
        return sql[:cut] + str(int(number.group(1)) + 7) + sql[where.end() + number.end() :]
    if kind == "drop_where":
        if sql.upper().count("WHERE") != 1 or re.search(
            r"\b(GROUP|ORDER|UNION|INTERSECT|EXCEPT|LIMIT)\b", sql, re.I
        ):
            return None
        return re.split(r"\bwhere\b", sql, flags=re.I)[0]
    if kind == "swap_direction":
        if not re.search(r"\bDESC\b", sql, re.I) or re.search(r"\bASC\b", sql, re.I):
            return None
        return re.sub(r"\bDESC\b", "ASC", sql, flags=re.I)
    if kind == "drop_limit":
        if not re.search(r"\bLIMIT\s+\d+\s*$", sql, re.I):
            return None
        return re.sub(r"\bLIMIT\s+\d+\s*$", "", sql, flags=re.I)
    if kind == "garbage":
        return "SELECT FROM WHERE ;;"
    raise ValueError(kind)


def _reference_exec(db_dir: Path, db_id: str, gold: str, pred: str) -> int:
    """Independent EX for same-column-order variants: run both and compare as lists or multisets."""
    uri = (db_dir / db_id / f"{db_id}.sqlite").resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        g_sql, p_sql = prepare_for_execution(gold), prepare_for_execution(pred)
        g = conn.execute(g_sql).fetchall()
        try:
            p = conn.execute(p_sql).fetchall()
        except sqlite3.Error:
            return 0
    finally:
        conn.close()
    if not g and not p:
        return 1
    if "order by" in g_sql.lower():
        return int(g == p)
    return int(Counter(g) == Counter(p))


EXPECTED_EM = {"number": 1, "drop_where": 0, "swap_direction": 0, "drop_limit": 0, "garbage": 0}


@pytest.mark.realdata
@pytest.mark.parametrize("kind", list(EXPECTED_EM))
def test_perturbed_predictions_on_sampled_dev_items(
    kind: str, cosql_dir: Path, cosql_evaluators: dict[bool, Evaluator], dev_self_score: EvaluationResult
) -> None:
    valid = [r for r in dev_self_score.records if r["gold_error"] is None]
    rng = random.Random(f"perturb-{kind}")
    candidates = [(r, p) for r in valid if (p := _perturb(r["gold"], kind)) is not None and p != r["gold"]]
    assert len(candidates) >= 5, f"too few dev items for {kind}"
    evaluator = cosql_evaluators[False]
    for record, pred in rng.sample(candidates, min(12, len(candidates))):
        score = evaluator.score_turn(pred, record["gold"], record["db_id"])
        expected_ex = _reference_exec(cosql_dir / "database", record["db_id"], record["gold"], pred)
        assert score.exec == expected_ex, (kind, record["gold"], pred)
        assert score.exact == EXPECTED_EM[kind], (kind, record["gold"], pred)
    if kind == "garbage":
        assert score.pred_parse_error and score.pred_exec_error


@pytest.mark.realdata
def test_files_round_trip_with_mixed_predictions(tmp_path: Path, cosql_dir: Path, dev_gold: list) -> None:
    gold = [turns for turns in dev_gold[:40] if turns and turns[0][1] != "wta_1"][:20]
    preds = [
        [sql if i % 2 == 0 else _perturb(sql, "garbage") for i, (sql, _) in enumerate(turns)]
        for turns in gold
    ]
    gold_path = write_gold(tmp_path / "gold.txt", gold)
    pred_path = write_pred(tmp_path / "pred.txt", preds)
    result = evaluate_files(gold_path, pred_path, cosql_dir / "database", cosql_dir / "tables.json")
    for record in result.records:
        if record["gold_error"] is None:
            expected = 1 if record["turn"] % 2 == 0 else 0
            assert (record["exact"], record["exec"]) == (expected, expected)


# -- official file formats (§1.1-1.2) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\td\nb\td\n", [[("a", "d"), ("b", "d")]]),  # no blank line: one (Spider) interaction
        ("a\td\n\nb\td\n", [[("a", "d")], [("b", "d")]]),  # last interaction kept without a closing blank
        ("a\td\n\nb\td\n\n", [[("a", "d")], [("b", "d")]]),
        ("a\td\n\n\nb\td\n", [[("a", "d")], [], [("b", "d")]]),  # two blank lines: an empty interaction
        ("a\td\n \t \n  b\td  \n", [[("a", "d")], [("b", "d")]]),  # whitespace-only line separates; strip
        ("\na\td\n", [[], [("a", "d")]]),
        ("", [[]]),
    ],
)
def test_read_gold_blank_line_rules(tmp_path: Path, text: str, expected: list) -> None:
    path = tmp_path / "gold.txt"
    path.write_text(text)
    assert read_gold(path) == expected


def test_read_gold_rejects_wrong_field_counts(tmp_path: Path) -> None:
    path = tmp_path / "gold.txt"
    path.write_text("SELECT a FROM t\td\n\nSELECT b FROM t\td\textra\n")
    with pytest.raises(ValueError, match=r"gold.txt:3: .*got 3"):
        read_gold(path)


def test_read_pred_uses_the_first_field_and_the_same_blank_lines(tmp_path: Path) -> None:
    from mtsql_env.evaluation.files import read_pred

    path = tmp_path / "pred.txt"
    path.write_text("SELECT a FROM t\tdb\n\n\n  SELECT b  \n")
    assert read_pred(path) == [["SELECT a FROM t"], [], ["SELECT b"]]


def test_write_pred_keeps_interactions_aligned(tmp_path: Path) -> None:
    from mtsql_env.evaluation.files import EMPTY_PREDICTION, read_pred

    preds = [["SELECT a\nFROM t", "  "], [], ["SELECT 'x\ty'"]]
    assert read_pred(write_pred(tmp_path / "p.txt", preds)) == [
        ["SELECT a FROM t", EMPTY_PREDICTION], [], ["SELECT 'x y'"]
    ]  # fmt: skip
    with pytest.raises(ValueError):
        write_gold(tmp_path / "g.txt", [[("  ", "db")]])


# -- the on-disk gold cache ----------------------------------------------------------------------------------


def _copy_sample_db(tmp_path: Path) -> Path:
    import shutil

    db_dir = tmp_path / "database"
    shutil.copytree(SAMPLE / "database" / "music_store", db_dir / "music_store")
    return db_dir


def test_disk_cache_round_trip_and_invalidation(tmp_path: Path) -> None:
    import os

    from mtsql_env.evaluation.gold_cache import gold_cache_key, load_gold_cache

    db_dir = _copy_sample_db(tmp_path)
    cache = tmp_path / "cache"
    config = EvaluatorConfig(cache_dir=str(cache))
    gold = [[Q_ALL, Q_WHERE], [Q_ORDER]]
    pred = [[Q_ALL[0], "SELECT name FROM artist WHERE formed_year > 1990"], ["SELECT 1"]]

    first = Evaluator(db_dir, SAMPLE / "tables.json", config)
    result = first.evaluate(gold, pred)
    files = list(cache.glob("*.gold.pkl"))
    assert len(files) == 1

    second = Evaluator(db_dir, SAMPLE / "tables.json", config)
    assert second.evaluate(gold, pred).records == result.records
    assert second.gold_side(*Q_WHERE) is not None and len(second._gold_cache) == 3
    assert len(list(cache.glob("*.gold.pkl"))) == 1  # a hit writes nothing new

    pairs = [(db, sql) for turns in gold for sql, db in turns]
    key = gold_cache_key(pairs, db_dir, SAMPLE / "tables.json", second._gold_settings())
    assert load_gold_cache(cache, key) is not None
    # the key changes with the settings, the gold set and the database file
    other = Evaluator(
        db_dir, SAMPLE / "tables.json", EvaluatorConfig(cache_dir=str(cache), keep_distinct=True)
    )
    assert gold_cache_key(pairs, db_dir, SAMPLE / "tables.json", other._gold_settings()) != key
    assert gold_cache_key(pairs[:2], db_dir, SAMPLE / "tables.json", second._gold_settings()) != key
    db_file = db_dir / "music_store" / "music_store.sqlite"
    stat = db_file.stat()
    os.utime(db_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert gold_cache_key(pairs, db_dir, SAMPLE / "tables.json", second._gold_settings()) != key


def test_disk_cache_ignores_a_broken_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_dir = _copy_sample_db(tmp_path)
    cache = tmp_path / "cache"
    config = EvaluatorConfig(cache_dir=str(cache))
    gold, pred = [[Q_ALL]], [[Q_ALL[0]]]
    Evaluator(db_dir, SAMPLE / "tables.json", config).evaluate(gold, pred)
    (path,) = cache.glob("*.gold.pkl")
    path.write_bytes(b"not a pickle")
    with caplog.at_level("WARNING"):
        result = Evaluator(db_dir, SAMPLE / "tables.json", config).evaluate(gold, pred)
    assert result.records[0]["exec"] == 1 and "unreadable gold cache" in caplog.text
    assert path.read_bytes() != b"not a pickle"  # rewritten


def test_identical_pred_shortcut_matches_the_full_parse(dev_gold: list, cosql_evaluators: dict) -> None:
    from mtsql_env.evaluation.exact_match import match_prepared

    evaluator = cosql_evaluators[False]
    rng = random.Random(3)
    turns = [t for turns in dev_gold for t in turns if t[1] != "wta_1"]
    for sql, db_id in rng.sample(turns, 150):
        side = evaluator.gold_side(sql, db_id)
        if side.prepared is None:
            continue
        full = match_prepared(sql, side.prepared, evaluator._schema(db_id), evaluator._kmap(db_id))
        score = evaluator.score_turn(sql, sql, db_id)
        assert (score.exact, score.partial) == (int(full.exact), dict(full.partial))
