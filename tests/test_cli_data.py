"""Tests for ``mtsql data install`` and ``mtsql data info`` (mtsql_env/cli/data.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REAL_DATA_DIR, REAL_RELEASE

from mtsql_env.cli import main

realdata = pytest.mark.skipif(
    not (REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json").is_file(),
    reason=f"real CoSQL dev release not found at {REAL_RELEASE} (set MTSQL_DATA_DIR to the shared data folder)",
)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Hide the user's data variables and cache from every test."""
    for var in ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def tiny_sparc_zip(tmp_path: Path) -> Path:
    """A SParC-layout zip with one real SQLite database and two dialogues (one over a database left out)."""
    tables = [
        {
            "db_id": db_id,
            "table_names": ["item"],
            "table_names_original": ["Item"],
            "column_names": [[-1, "*"], [0, "id"]],
            "column_names_original": [[-1, "*"], [0, "Id"]],
            "column_types": ["text", "number"],
            "primary_keys": [1],
            "foreign_keys": [],
        }
        for db_id in ("shop", "absent_db")
    ]
    dialogues = [
        {
            "database_id": db_id,
            "interaction": [{"utterance": "How many items?", "query": "SELECT count(*) FROM Item"}],
        }
        for db_id in ("shop", "absent_db")
    ]
    db_path = tmp_path / "shop.sqlite"
    db_path.unlink(missing_ok=True)
    connection = sqlite3.connect(db_path)
    connection.executescript("CREATE TABLE Item (Id INTEGER PRIMARY KEY); INSERT INTO Item VALUES (1), (2);")
    connection.close()
    archive = tmp_path / "sparc.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("sparc/tables.json", json.dumps(tables))
        out.writestr("sparc/dev.json", json.dumps(dialogues))
        out.write(db_path, "sparc/database/shop/shop.sqlite")
    return archive


@realdata
@pytest.mark.realdata
def test_info_on_real_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", "--data-dir", str(REAL_DATA_DIR)]) == 0
    out = capsys.readouterr().out
    assert f"cosql: {REAL_RELEASE}" in out and "(166 schemas)" in out and "SQLite files: 19" in out
    dev_row = next(line for line in out.splitlines() if line.startswith("dev "))
    assert dev_row.split()[:4] == ["dev", "293", "1007", "19/20"]
    assert "wta_1 (17 dialogues, 59 turns)" in dev_row
    assert "sparc: not found" in out


@realdata
@pytest.mark.realdata
def test_info_follows_env_var(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MTSQL_DATA_DIR", str(REAL_DATA_DIR))
    assert main(["data", "info"]) == 0
    assert "(found via $MTSQL_DATA_DIR)" in capsys.readouterr().out


def test_info_with_nothing_installed(capsys: pytest.CaptureFixture[str], isolated_env: Path) -> None:
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "No CoSQL or SParC release found." in out
    looked = f"$MTSQL_COSQL_DIR (unset); $MTSQL_DATA_DIR (unset); cache ({isolated_env})"
    assert f"cosql: not found. Looked in: {looked}" in out
    assert "mtsql data install" in out
    from mtsql_env.datasets import sample_dir

    if (sample_dir() / "sql_state_tracking" / "cosql_dev.json").is_file():
        assert "The bundled sample" in out and "fallback_to_sample=True" in out


def test_info_bad_data_dir_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["data", "info", "--data-dir", str(tmp_path / "nowhere")]) == 2
    )  # expected errors exit 2 (issue 9)
    captured = capsys.readouterr()
    assert "nowhere does not exist" in captured.err and "Traceback" not in captured.err + captured.out


def test_install_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tiny_sparc_zip(tmp_path)
    cache = tmp_path / "elsewhere"
    assert main(["data", "install", str(archive), "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert f"Installed {cache / 'sparc' / 'sparc'}" in out
    assert "absent_db (1 dialogues, 1 turns)" in out
    assert "(found via cache)" in out and "data_dir argument" not in out  # no --data-dir was given
    assert "No train split in this release" in out  # dev.json only: say so before `mtsql train` fails
    assert main(["data", "info", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "sparc: " in out and "(found via cache)" in out and "No train split in this release" in out
    assert next(line for line in out.splitlines() if line.startswith("dev ")).split()[:4] == [
        "dev",
        "2",
        "2",
        "1/2",
    ]


def test_install_errors_exit_nonzero_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "install", str(tmp_path / "missing.zip")]) == 2
    assert "missing.zip does not exist" in capsys.readouterr().err
    evil = tiny_sparc_zip(tmp_path)
    with zipfile.ZipFile(evil, "a") as out:
        out.writestr("../../escape.txt", "x")
    assert main(["data", "install", str(evil)]) == 2
    err = capsys.readouterr().err
    assert "unsafe member '../../escape.txt'" in err and "Traceback" not in err
    assert main(["data", "install", str(tiny_sparc_zip(tmp_path)), "--benchmark", "cosql"]) == 2
    assert "holds no CoSQL release" in capsys.readouterr().err


def test_bare_data_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data"]) == 2
    out = capsys.readouterr().out
    assert "install" in out and "info" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "install", "x", "--benchmark", "spider"])
    assert exit_info.value.code == 2


def test_module_entry_point(tmp_path: Path) -> None:
    env = {**os.environ, "MTSQL_CACHE_DIR": str(tmp_path / "cache")}
    for var in ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR"):
        env.pop(var, None)
    result = subprocess.run(
        [sys.executable, "-m", "mtsql_env.cli", "data", "info"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "cosql: not found" in result.stdout
