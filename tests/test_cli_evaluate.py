"""``mtsql evaluate`` end to end: tables, --per-item, --json, error handling, and a light import path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mtsql_env
from mtsql_env.cli import main
from mtsql_env.evaluation.files import read_gold, write_gold, write_pred

SAMPLE = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the on-disk gold cache of every CLI run here (also inherited by subprocesses)."""
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "evaluation"


@pytest.fixture()
def sample_files(tmp_path: Path) -> tuple[Path, Path]:
    gold = [
        [("SELECT name FROM artist", "music_store"), ("SELECT count(*) FROM artist", "music_store")],
        [("SELECT name FROM artist WHERE formed_year > 2000", "music_store")],
    ]
    pred = [
        ["SELECT name FROM artist", "SELECT count(*) FROM album"],
        ["SELECT name FROM artist WHERE formed_year > value"],
    ]
    return write_gold(tmp_path / "gold.txt", gold), write_pred(tmp_path / "pred.txt", pred)


def _run(args: list[str]) -> int:
    return main(["evaluate", *args])


def test_cli_on_sample_data(
    sample_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    gold, pred = sample_files
    items, summary = tmp_path / "items.jsonl", tmp_path / "summary.json"
    code = _run(
        ["--gold", str(gold), "--pred", str(pred), "--db", str(SAMPLE / "database"), "--table",
         str(SAMPLE / "tables.json"), "--per-item", str(items), "--json", str(summary)]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "EXECUTION ACCURACY" in out and "EXACT MATCHING ACCURACY" in out and "turn 1" in out
    lines = [json.loads(line) for line in items.read_text().splitlines()]
    assert [(r["interaction"], r["turn"], r["exact"], r["exec"]) for r in lines] == [
        (0, 0, 1, 1), (0, 1, 0, 0), (1, 0, 1, 0)
    ]  # fmt: skip
    assert all(r["hardness"] == "easy" for r in lines)
    data = json.loads(summary.read_text())
    assert data["qm_exec"] == pytest.approx(1 / 3) and data["im_exact"] == 0.5


def test_cli_gold_cache_is_written_then_reused(
    sample_files: tuple[Path, Path], tmp_path: Path, private_cache: Path, capsys: pytest.CaptureFixture
) -> None:
    gold, pred = sample_files
    args = ["--gold", str(gold), "--pred", str(pred), "--db", str(SAMPLE / "database"), "--table",
            str(SAMPLE / "tables.json")]  # fmt: skip
    assert _run([*args, "--no-cache"]) == 0
    assert not private_cache.exists()
    captured = capsys.readouterr()
    first = captured.out
    assert "cached the gold side" not in captured.err
    assert _run(args) == 0
    assert len(list(private_cache.glob("*.gold.pkl"))) == 1
    told = capsys.readouterr().err
    assert f"cached the gold side in {private_cache}" in told and "--no-cache turns this off" in told
    assert _run(args) == 0
    captured = capsys.readouterr()
    assert captured.out == first and "cached the gold side" not in captured.err  # said once
    other = tmp_path / "elsewhere"
    assert _run([*args, "--cache-dir", str(other)]) == 0
    assert len(list(other.glob("*.gold.pkl"))) == 1


def test_cli_exec_only_needs_no_tables(
    sample_files: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    gold, pred = sample_files
    assert (
        _run(["--gold", str(gold), "--pred", str(pred), "--db", str(SAMPLE / "database"), "--etype", "exec"])
        == 0
    )
    out = capsys.readouterr().out
    assert "EXECUTION ACCURACY" in out and "EXACT MATCHING" not in out


def test_cli_reports_bad_inputs(
    sample_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    gold, pred = sample_files
    db = str(SAMPLE / "database")
    assert (
        _run(["--gold", str(gold), "--pred", str(pred), "--db", db, "--etype", "match"]) == 2
    )  # expected errors exit 2 (issue 9)
    assert "--table is required" in capsys.readouterr().err
    short = write_pred(tmp_path / "short.txt", [["SELECT 1"]])
    assert _run(["--gold", str(gold), "--pred", str(short), "--db", db, "--etype", "exec"]) == 2
    assert "interactions" in capsys.readouterr().err
    bad = tmp_path / "bad_gold.txt"
    bad.write_text("SELECT 1\n")
    assert _run(["--gold", str(bad), "--pred", str(pred), "--db", db, "--etype", "exec"]) == 2
    assert "bad_gold.txt:1" in capsys.readouterr().err
    assert (
        _run(["--gold", str(tmp_path / "none.txt"), "--pred", str(pred), "--db", db, "--etype", "exec"]) == 2
    )


def test_cli_path_does_not_import_pandas(sample_files: tuple[Path, Path]) -> None:
    gold, pred = sample_files
    code = (
        "import sys; from mtsql_env.cli import main; "
        f"rc = main(['evaluate', '--gold', {str(gold)!r}, '--pred', {str(pred)!r}, "
        f"'--db', {str(SAMPLE / 'database')!r}, '--table', {str(SAMPLE / 'tables.json')!r}]); "
        "assert rc == 0; print('PANDAS', 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "PANDAS False" in out


@pytest.mark.realdata
@pytest.mark.slow
def test_cli_real_dev_gold_against_itself(cosql_dir: Path, tmp_path: Path) -> None:
    gold = cosql_dir.parent / "reference" / "cosql_dev_gold.txt"
    if not gold.is_file():
        pytest.skip(f"{gold} not found")
    pred = write_pred(tmp_path / "pred.txt", [[sql for sql, _ in turns] for turns in read_gold(gold)])
    items, summary = tmp_path / "items.jsonl", tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, "-m", "mtsql_env.cli", "evaluate", "--gold", str(gold), "--pred", str(pred),
         "--db", str(cosql_dir / "database"), "--table", str(cosql_dir / "tables.json"),
         "--per-item", str(items), "--json", str(summary)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "60 gold turn(s) failed" in proc.stderr and "wta_1: database not found (59 turns)" in proc.stderr
    assert "QM (question match)     EX 1.000   EM 1.000   (947 turns)" in proc.stdout
    records = [json.loads(line) for line in items.read_text().splitlines()]
    assert len(records) == 1007
    assert all(r["exact"] == 1 and r["exec"] == 1 for r in records if r["gold_error"] is None)
    assert sum(r["gold_error"] is not None for r in records) == 60
    data = json.loads(summary.read_text())
    assert data["qm_exact"] == data["im_exec"] == 1.0 and len(data["gold_errors"]) == 60


def test_gold_file_round_trip_keeps_empty_interactions(tmp_path: Path) -> None:
    gold = [[("SELECT a FROM t", "d")], [], [], [("SELECT b FROM t", "d"), ("SELECT c FROM t", "d")]]
    assert read_gold(write_gold(tmp_path / "g.txt", gold)) == gold
