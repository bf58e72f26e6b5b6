"""Test suites: the generator (determinism, constraints, separation), the multi-database verdict, CLI and env.

The verdict rule checked here is the official test-suite evaluator's (taoyds/test-suite-sql-eval,
``exec_eval.eval_exec_match``): a prediction is EX-correct only if, on every file whose name contains
``.sqlite`` in ``<db>/<db_id>/``, it runs and its rows equal the gold's by the official comparison.
``_official_verdict`` below is a literal, independent loop over that rule (plain ``sqlite3``, ``os.listdir``,
stop at the first mismatch) and every item of :class:`Evaluator` is compared with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL_RELEASE

import mtsql_env
from mtsql_env.cli import main
from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig
from mtsql_env.evaluation.exec_match import order_matters, prepare_for_execution, results_equal
from mtsql_env.evaluation.files import write_gold
from mtsql_env.executor import SQLiteExecutor
from mtsql_env.testsuite import SuiteConfig, build_suite
from mtsql_env.testsuite.build import golds_by_database
from mtsql_env.testsuite.neighbours import neighbour_queries

SAMPLE = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"
TRIVIAL = ("SELECT 1", "SELECT 1 WHERE 0")


def _sample_gold(path: Path) -> Path:
    dialogues = json.loads((SAMPLE / "sql_state_tracking" / "cosql_dev.json").read_text())
    return write_gold(path, [[(t["query"], d["database_id"]) for t in d["interaction"]] for d in dialogues])


@pytest.fixture(scope="module")
def sample_suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sample_suite")
    gold = _sample_gold(root / "gold.txt")
    build_suite(SAMPLE / "database", gold, root / "suite", SuiteConfig(seed=3), show_progress=False)
    return gold, root / "suite"


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.sqlite"))
    }


def _official_verdict(db_dir: Path, db_id: str, gold: str, pred: str) -> int:
    """The official test-suite loop, written out: every ``*.sqlite*`` file, first mismatch or pred error -> 0."""
    gold, pred = prepare_for_execution(gold), prepare_for_execution(pred)
    ordered = order_matters(gold)
    folder = db_dir / db_id
    for name in os.listdir(folder):
        if ".sqlite" not in name:
            continue
        with sqlite3.connect(f"{(folder / name).as_uri()}?mode=ro", uri=True) as conn:
            gold_rows = conn.execute(gold).fetchall()  # the official script asserts the gold runs
            try:
                pred_rows = conn.execute(pred).fetchall()
            except sqlite3.Error:
                return 0
        if not results_equal(gold_rows, pred_rows, order_matters=ordered):
            return 0
    return 1


def _false_positive(gold: str, db_id: str) -> str | None:
    """A neighbour of the gold that the original sample database alone scores EX-correct, if there is one."""
    return next(
        (n for n in neighbour_queries(gold) if _official_verdict(SAMPLE / "database", db_id, gold, n)), None
    )


def _check_constraints(path: Path) -> None:
    """PK and UNIQUE without duplicates or NULLs, NOT NULL respected, every foreign key pointing at a parent row."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        lower = {t.lower(): t for t in tables}
        for table in tables:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            keys = [tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))]
            for index in conn.execute(f'PRAGMA index_list("{table}")').fetchall():
                if index[2]:
                    keys.append(tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index[1]}")')))
            for key in (k for k in keys if k):
                cols = ", ".join(f'"{c}"' for c in key)
                total = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                distinct = conn.execute(
                    f'SELECT count(*) FROM (SELECT DISTINCT {cols} FROM "{table}")'
                ).fetchone()[0]
                assert total == distinct, f"{path.name}: duplicate key {key} in {table}"
                if key == keys[0]:
                    nulls = " OR ".join(f'"{c}" IS NULL' for c in key)
                    assert not conn.execute(f'SELECT count(*) FROM "{table}" WHERE {nulls}').fetchone()[0]
            for column in (r[1] for r in info if r[3]):
                assert not conn.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NULL'
                ).fetchone()[0]
            for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                parent = lower.get(fk[2].lower())
                if parent is None or fk[4] is None:
                    continue
                parent_columns = {r[1].lower() for r in conn.execute(f'PRAGMA table_info("{parent}")')}
                if fk[4].lower() not in parent_columns or fk[3].lower() not in {r[1].lower() for r in info}:
                    continue  # a Spider foreign key to a column that does not exist
                orphans = conn.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{fk[3]}" IS NOT NULL '
                    f'AND "{fk[3]}" NOT IN (SELECT "{fk[4]}" FROM "{parent}")'
                ).fetchone()[0]
                assert not orphans, f"{path.name}: {table}.{fk[3]} has {orphans} rows without a parent"
    finally:
        conn.close()


def test_build_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    gold = _sample_gold(tmp_path / "gold.txt")
    config = SuiteConfig(variants=4, budget=20, seed=7)
    build_suite(
        SAMPLE / "database", gold, tmp_path / "a", config, db_ids=["music_store"], show_progress=False
    )
    # the same seed in another process with another string-hash seed: nothing may depend on set order
    command = [sys.executable, "-m", "mtsql_env.cli", "testsuite", "build", "--db-dir", str(SAMPLE / "database"),
               "--gold", str(gold), "--out", str(tmp_path / "b"), "--variants", "4", "--budget", "20",
               "--seed", "7", "--db-id", "music_store", "--no-progress"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    build_suite(
        SAMPLE / "database", gold, tmp_path / "c", SuiteConfig(variants=4, budget=20, seed=8),
        db_ids=["music_store"], show_progress=False,
    )  # fmt: skip
    first, second, other = (_digest(tmp_path / n) for n in "abc")
    assert first == second and len(first) >= 3
    assert "music_store/music_store.sqlite" in first and "music_store/music_store_0.sqlite" in first
    assert first != other


def test_variants_respect_keys_uniqueness_and_not_null(sample_suite: tuple[Path, Path]) -> None:
    _, suite = sample_suite
    variants = sorted(suite.glob("*/*_*.sqlite"))
    assert len(variants) >= 8
    for path in variants:
        _check_constraints(path)
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_gold_never_fails_its_own_suite_and_rewrites_stay_correct(sample_suite: tuple[Path, Path]) -> None:
    gold_path, suite = sample_suite
    executor = SQLiteExecutor()
    evaluator = Evaluator(suite, SAMPLE / "tables.json", EvaluatorConfig(etype="exec"))
    for db_id, golds in golds_by_database(gold_path).items():
        files = sorted((suite / db_id).glob("*.sqlite"))
        assert len(files) >= 2
        for gold in golds:
            for path in files:
                assert executor.execute(path, prepare_for_execution(gold)).error is None, (gold, path.name)
            rewrite = "  " + gold  # same query, different text: it really runs on every file
            assert evaluator.score_turn(rewrite, gold, db_id).exec == 1, gold


def test_suite_separates_a_neighbour_the_original_does_not(tmp_path: Path) -> None:
    db = tmp_path / "db" / "club"
    db.mkdir(parents=True)
    with sqlite3.connect(db / "club.sqlite") as conn:
        conn.execute("CREATE TABLE member (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT)")
        conn.executemany(
            "INSERT INTO member VALUES (?, ?, ?)", [(1, "Ann", 41), (2, "Bob", 52), (3, "Cy", 35)]
        )
    gold_sql = "SELECT name FROM member WHERE age > 30"
    gold = write_gold(tmp_path / "gold.txt", [[(gold_sql, "club")]])
    dropped, swapped = "SELECT name FROM member", "SELECT name FROM member WHERE age > 31"
    assert {dropped, swapped} <= set(neighbour_queries(gold_sql, {"member": ["id", "name", "age"]}))
    report = build_suite(tmp_path / "db", gold, tmp_path / "suite", show_progress=False)
    (stats,) = report.databases[0].golds
    assert (
        stats.separated == stats.neighbours > stats.by_original
    )  # the variants separate what the original cannot
    single = Evaluator(tmp_path / "db", None, EvaluatorConfig(etype="exec"))
    suite = Evaluator(tmp_path / "suite", None, EvaluatorConfig(etype="exec"))
    for pred in (dropped, swapped):
        assert single.score_turn(pred, gold_sql, "club").exec == 1
        assert suite.score_turn(pred, gold_sql, "club").exec == 0
    assert suite.score_turn("SELECT name FROM member WHERE 30 < age", gold_sql, "club").exec == 1


def test_multi_database_verdict_rule(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    rows = {
        "shop.sqlite": [(1, 5), (2, 7)],
        "shop_1.sqlite": [(1, 5), (2, 9)],
        "shop.sqlite.extra": [(3, 5), (4, 5.5)],
    }
    for name, data in rows.items():
        with sqlite3.connect(folder / name) as conn:
            conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, price INT)")
            conn.executemany("INSERT INTO item VALUES (?, ?)", data)
    (folder / "notes.txt").write_text("not a database")
    evaluator = Evaluator(tmp_path, None, EvaluatorConfig(etype="exec"))
    gold = "SELECT id FROM item WHERE price < 6"
    cases = {
        "SELECT id FROM item WHERE price <= 5": 0,  # equal on shop.sqlite and shop_1, not on .extra (name has .sqlite)
        "SELECT id FROM item WHERE price < 7": 1,
        "SELECT id FROM item WHERE price < 8": 0,  # equal on shop_1.sqlite only
        "SELECT id FROM item WHERE price < 6 ORDER BY id DESC": 1,  # the gold has no ORDER BY: sets
        "SELECT nope FROM item": 0,
    }
    for pred, expected in cases.items():
        assert (
            evaluator.score_turn(pred, gold, "shop").exec
            == expected
            == _official_verdict(tmp_path, "shop", gold, pred)
        )
    # a gold that fails on one file of the suite is a gold error (the official script aborts), never a verdict
    with sqlite3.connect(folder / "shop_2.sqlite") as conn:
        conn.execute("CREATE TABLE other (x INT)")
    fresh = Evaluator(tmp_path, None, EvaluatorConfig(etype="exec"))
    score = fresh.score_turn("SELECT id FROM item", gold, "shop")
    assert score.exec is None and "shop_2.sqlite" in score.gold_error


def _agreement(db_dir: Path, tables: Path, golds: dict[str, list[str]], per_db: int) -> int:
    evaluator = Evaluator(db_dir, tables, EvaluatorConfig(etype="exec"))
    checked = 0
    for db_id, queries in golds.items():
        for gold in queries[:per_db]:
            preds = [*TRIVIAL, *neighbour_queries(gold, max_neighbours=8), gold.upper()]
            for pred in preds:
                ours = evaluator.score_turn(pred, gold, db_id).exec
                assert ours == _official_verdict(db_dir, db_id, gold, pred), (db_id, gold, pred)
                checked += 1
    return checked


def test_verdicts_agree_with_the_official_rule_on_the_sample_suite(sample_suite: tuple[Path, Path]) -> None:
    gold_path, suite = sample_suite
    assert _agreement(suite, SAMPLE / "tables.json", golds_by_database(gold_path), per_db=12) > 300


@pytest.mark.realdata
def test_suite_over_cosql_dev_databases(tmp_path: Path) -> None:
    if not (REAL_RELEASE / "tables.json").is_file():
        pytest.skip("real CoSQL data not found: set MTSQL_DATA_DIR")
    gold = REAL_RELEASE.parent / "reference" / "cosql_dev_gold.txt"
    db_ids = ["concert_singer", "pets_1", "car_1"]
    report = build_suite(
        REAL_RELEASE / "database", gold, tmp_path, SuiteConfig(variants=5, budget=25), db_ids=db_ids,
        show_progress=False,
    )  # fmt: skip
    assert sorted(d.db_id for d in report.databases) == sorted(db_ids)
    for db in report.databases:
        assert db.variants and db.separated > db.neighbours * 0.9
        for path in db.variants:
            _check_constraints(path)
    golds = {d: g for d, g in golds_by_database(gold).items() if d in db_ids}
    assert _agreement(tmp_path, REAL_RELEASE / "tables.json", golds, per_db=8) > 200


def test_cli_build_then_evaluate_on_the_suite(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gold = _sample_gold(tmp_path / "gold.txt")
    out = tmp_path / "suite"
    args = ["testsuite", "build", "--db-dir", str(SAMPLE / "database"), "--gold", str(gold), "--out", str(out),
            "--variants", "3", "--budget", "15", "--seed", "1", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    report = capsys.readouterr().out
    assert "neighbours separated" in report and "library_lending" in report and "variants" in report
    assert sorted(p.name for p in (out / "music_store").iterdir())[:2] == [
        "music_store.sqlite",
        "music_store_0.sqlite",
    ]
    # predictions: a neighbour the original database scores correct where there is one, else the gold
    preds = []
    for line in gold.read_text().splitlines():
        sql, _, db_id = line.partition("\t")
        preds.append((_false_positive(sql, db_id) or sql) if line else "")
    (tmp_path / "pred.txt").write_text("\n".join(preds) + "\n")
    scores = {}
    for name, db in (("single", SAMPLE / "database"), ("suite", out)):
        summary = tmp_path / f"{name}.json"
        code = main(["evaluate", "--gold", str(gold), "--pred", str(tmp_path / "pred.txt"), "--db", str(db),
                     "--etype", "exec", "--no-cache", "--json", str(summary)])  # fmt: skip
        assert code == 0
        scores[name] = json.loads(summary.read_text())["qm_exec"]
    assert scores["single"] == 1 and scores["suite"] < 0.85


def test_cli_bad_database_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "db" / "broken").mkdir(parents=True)
    (tmp_path / "db" / "broken" / "broken.sqlite").write_text("this is not a database")
    gold = write_gold(tmp_path / "gold.txt", [[("SELECT 1", "broken")]])
    code = main(["testsuite", "build", "--db-dir", str(tmp_path / "db"), "--gold", str(gold),
                 "--out", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not a usable SQLite database" in err
    assert (tmp_path / "db" / "broken" / "broken.sqlite").read_text() == "this is not a database"


def test_cli_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["testsuite", "build", "--db-dir", str(SAMPLE / "database"), "--gold", str(tmp_path / "no.txt"),
                 "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    gold = _sample_gold(tmp_path / "gold.txt")
    code = main(["testsuite", "build", "--db-dir", str(SAMPLE / "database"), "--gold", str(gold),
                 "--out", str(tmp_path / "o"), "--db-id", "nope"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "nope" in err and not (tmp_path / "o").exists()


def test_env_rewards_test_suite_ex(sample_suite: tuple[Path, Path]) -> None:
    import gymnasium as gym

    _, suite = sample_suite
    results = {}
    for name, extra in (("single", {}), ("suite", {"test_suite": str(suite)})):
        env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True, **extra)
        seen = []
        for index in range(0, env.unwrapped.num_episodes, 4):
            _, info = env.reset(options={"index": index})
            wrong = _false_positive(info["gold_sql"], info["db_id"])
            if wrong is not None:
                _, reward, _, _, info = env.step(f"<answer>{wrong}</answer>")
                seen.append((info["turn_result"]["exec"], reward))
        env.close()
        results[name] = seen
    assert len(results["single"]) > 10 and all(ex == 1 for ex, _ in results["single"])
    caught = sum(ex == 0 for ex, _ in results["suite"])
    assert caught >= 0.8 * len(results["suite"])
    assert sum(r for _, r in results["suite"]) < sum(r for _, r in results["single"])
    with pytest.raises(ValueError, match="lacks"):
        gym.make("MTSQL-CoSQL-v0", data_dir="sample", test_suite=str(suite / "music_store"))


def test_bench_takes_the_test_suite(sample_suite: tuple[Path, Path], tmp_path: Path) -> None:
    _, suite = sample_suite
    ex = {}
    for name, extra in (("single", []), ("suite", ["--test-suite", str(suite)])):
        out = tmp_path / name
        args = [
            "bench",
            "--data-dir",
            "sample",
            "--agent",
            "previous-turn",
            "--out",
            str(out),
            "--no-progress",
        ]
        assert main(args + extra) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["env_kwargs"].get("test_suite") == (str(suite) if extra else None)
        ex[name] = summary["agents"]["previous-turn"]["summary"]["EX"]
    assert ex["suite"] < ex["single"]  # previous-turn's lucky single-database matches are caught
