"""`mtsql run` and `mtsql play` end to end on the bundled sample."""

from __future__ import annotations

import io
import json

import pytest

from mtsql_env.cli import main


def test_run_prints_scores_and_writes_json(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    out = tmp_path / "summary.json"
    assert (
        main(
            [
                "run",
                "--data-dir",
                "sample",
                "--agent",
                "oracle",
                "--episodes",
                "3",
                "--no-progress",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "bundled SAMPLE dataset" in printed and "oracle" in printed
    summary = json.loads(out.read_text())
    assert summary["dataset"] == "sample" and summary["agents"]["oracle"]["EX"] == 1.0


def test_play_takes_typed_actions_from_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = "<propose>SELECT count(*) FROM book</propose>\n<execute/>\nnot an action\n<answer/>\nquit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    assert main(["play", "--data-dir", "sample", "--dialogue", "dev-0000"]) == 0
    printed = capsys.readouterr().out
    assert "How many books does the library have?" in printed
    assert "Execution ok" in printed and "Format error" in printed
    assert "[turn 1: EX ✓  EM ✓  reward +2.800]" in printed  # EX + EM + 0.8 x the proposal's clause F1
    assert "How many of them are Fantasy books?" in printed  # the next question arrived
