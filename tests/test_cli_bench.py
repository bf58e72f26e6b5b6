"""``mtsql bench`` end to end: outputs, report, plots, and agreement with ``mtsql evaluate``."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest

from mtsql_agents.trajectory import load_trajectories, replay_all
from mtsql_env.cli import main
from mtsql_env.cli.bench import AgentSpec, parse_agent_spec
from mtsql_env.evaluation.files import read_gold, read_pred

BUILTINS = ("oracle", "previous-turn", "noisy")


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _rescore(out: Path, agent_dir: str, capsys) -> dict:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    data = summary["dataset"]
    target = out / f"{agent_dir}.evaluate.json"
    code = main([
        "evaluate", "--gold", str(out / "gold.txt"), "--pred", str(out / agent_dir / "pred.txt"),
        "--db", data["database_dir"], "--table", data["tables_path"], "--json", str(target), "--no-cache",
    ])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    return json.loads(target.read_text(encoding="utf-8"))


def _assert_same_numbers(bench: dict, evaluated: dict) -> None:
    assert (bench["EX"], bench["EM"], bench["IM_EX"], bench["IM_EM"]) == (
        evaluated["qm_exec"], evaluated["qm_exact"], evaluated["im_exec"], evaluated["im_exact"],
    )  # fmt: skip
    for level, entry in bench["by_hardness"].items():
        official = evaluated["by_level"][level]
        assert (entry["count"], entry["EX"], entry["EM"]) == (
            official["count"],
            official["exec"],
            official["exact"],
        )
    for bucket, entry in bench["by_turn"].items():
        official = evaluated["by_turn"][bucket]
        assert (entry["count"], entry["EX"], entry["EM"]) == (
            official["count"],
            official["exec"],
            official["exact"],
        )
    assert bench["gold_errors"] == len(evaluated["gold_errors"])


@pytest.fixture(scope="module")
def sample_bench(tmp_path_factory) -> tuple[Path, str, float]:
    out = tmp_path_factory.mktemp("bench") / "out"
    args = ["bench", "--env", "MTSQL-CoSQL-v0", "--data-dir", "sample", "--out", str(out), "--no-progress"]
    for agent in BUILTINS:
        args += ["--agent", agent]
    start = time.perf_counter()
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(args)
    elapsed = time.perf_counter() - start
    assert code == 0
    return out, printed.getvalue(), elapsed


def test_bench_on_the_sample_writes_every_output(sample_bench) -> None:
    out, printed, elapsed = sample_bench
    assert elapsed < 60  # the README's main command must stay quick (about 3 s here)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["dataset"]["is_sample"] and summary["dataset"]["dialogues"] == 44
    assert list(summary["agents"]) == list(BUILTINS)
    gold = read_gold(out / "gold.txt")
    assert len(gold) == 44 and sum(len(turns) for turns in gold) == 176 == summary["dataset"]["turns"]
    for name, entry in summary["agents"].items():
        folder = out / entry["dir"]
        pred = read_pred(folder / "pred.txt")
        assert [len(turns) for turns in pred] == [len(turns) for turns in gold]
        items = [
            json.loads(line) for line in (folder / "items.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert len(items) == 176
        assert {
            "interaction",
            "turn",
            "exact",
            "exec",
            "hardness",
            "steps",
            "corrections",
            "reward_exec_match",
        } <= set(items[0])
        assert [i["pred"] for i in items] == [sql for turns in pred for sql in turns]
        assert [i["gold"] for i in items] == [sql for turns in gold for sql, _ in turns]
        trajectories = load_trajectories(folder / "trajectories.jsonl")
        assert [t.agent for t in trajectories] == [name] * 44
        assert sum(len(t.steps) for t in trajectories) == sum(i["steps"] for i in items)
        assert entry["summary"]["turns"] == 176
    oracle, previous, noisy = (summary["agents"][a]["summary"] for a in BUILTINS)
    assert oracle["EX"] == oracle["EM"] == oracle["IM_EX"] == 1.0
    assert previous["EX"] < 0.1 and previous["IM_EM"] == 0.0
    assert (
        noisy["EM"] == 1.0 and noisy["corrections"] > 0 and noisy["steps_per_turn"] > oracle["steps_per_turn"]
    )
    # The printed output says it is the sample and shows every agent.
    assert "bundled SAMPLE dataset" in printed and "not a real CoSQL/SParC release" in printed
    table = printed[printed.index("agent") :]
    assert all(f"\n{name} " in table for name in BUILTINS)


def test_report_and_plots(sample_bench) -> None:
    out, _, _ = sample_bench
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "bundled sample dataset, not a real CoSQL/SParC release" in report
    for name in BUILTINS:
        assert f"`{name}`" in report and f"--pred {name}/pred.txt" in report
    for heading in ("## Summary", "## Accuracy by hardness", "## Accuracy by turn", "## Run statistics"):
        assert heading in report
    for png in ("accuracy_by_turn.png", "accuracy_by_hardness.png"):
        path = out / "plots" / png
        width, height = _png_size(path)
        assert path.stat().st_size > 1000 and width > 100 and height > 100
        assert f"(plots/{png})" in report


@pytest.mark.parametrize("agent", BUILTINS)
def test_prediction_file_rescores_identically_on_the_sample(sample_bench, agent, capsys) -> None:
    out, _, _ = sample_bench
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["agents"][agent]["summary"]
    _assert_same_numbers(summary, _rescore(out, agent, capsys))


def test_written_trajectories_replay(sample_bench) -> None:
    out, _, _ = sample_bench
    results = replay_all(load_trajectories(out / "noisy" / "trajectories.jsonl"))
    assert len(results) == 44 and all(r.matches for r in results)


def test_episodes_limit_and_forced_answers(tmp_path, capsys) -> None:
    # One step per turn: the previous-turn agent only proposes, so every answer is forced from its candidate.
    out = tmp_path / "out"
    code = main(["bench", "--data-dir", "sample", "--agent", "previous-turn", "--episodes", "3",
                 "--max-steps-per-turn", "1", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    assert len(read_gold(out / "gold.txt")) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    entry = summary["agents"]["previous-turn"]["summary"]
    assert entry["forced_answers"] == entry["turns"] and entry["steps_per_turn"] == 1.0
    assert summary["env_kwargs"]["max_steps_per_turn"] == 1
    _assert_same_numbers(entry, _rescore(out, "previous-turn", capsys))


def test_agent_specs() -> None:
    assert parse_agent_spec("noisy-no-correct") == AgentSpec("builtin", "noisy-no-correct")
    assert parse_agent_spec("hf:./models/qwen") == AgentSpec("hf", "./models/qwen")
    assert parse_agent_spec("openai:gpt-4o-mini") == AgentSpec("openai", "gpt-4o-mini", None)
    spec = parse_agent_spec("openai:Qwen/Qwen3-1.7B@http://127.0.0.1:8000/v1")
    assert (spec.target, spec.url, spec.display_name) == (
        "Qwen/Qwen3-1.7B",
        "http://127.0.0.1:8000/v1",
        "openai:Qwen/Qwen3-1.7B",
    )
    for bad in ("gpt4", "hf:", "openai:", "openai:@http://x", "vllm:model"):
        with pytest.raises(ValueError, match="expected a built-in agent"):
            parse_agent_spec(bad)


def test_unknown_agent_and_missing_model_are_clear_errors(tmp_path, capsys) -> None:
    assert (
        main(
            [
                "bench",
                "--data-dir",
                "sample",
                "--agent",
                "oracle",
                "--agent",
                "gpt4",
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "unknown agent 'gpt4'" in err and "hf:PATH" in err and "openai:MODEL@URL" in err
    assert not (tmp_path / "a").exists()  # specs are checked before anything runs
    missing = tmp_path / "no-model"
    assert (
        main(["bench", "--data-dir", "sample", "--agent", f"hf:{missing}", "--out", str(tmp_path / "b")]) == 2
    )
    assert "no such model folder" in capsys.readouterr().err
    assert (
        main(
            [
                "bench",
                "--data-dir",
                "sample",
                "--agent",
                "oracle",
                "--mode",
                "turn",
                "--out",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )


def test_openai_spec_builds_an_llm_agent_and_an_unreachable_server_is_a_clear_error(tmp_path, capsys) -> None:
    pytest.importorskip("openai")
    from mtsql_env.cli.bench import build_agent

    agent = build_agent(parse_agent_spec("openai:some-model@http://127.0.0.1:9/v1"))
    assert agent.name == "openai:some-model" and agent.backend.base_url == "http://127.0.0.1:9/v1"
    assert agent.backend.model == "some-model"
    code = main(["bench", "--data-dir", "sample", "--agent", "openai:some-model@http://127.0.0.1:9/v1",
                 "--episodes", "1", "--out", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    assert code == 2  # an unreachable server is an expected error (issue 9)
    err = capsys.readouterr().err
    assert "agent openai:some-model failed" in err and "127.0.0.1:9" in err


@pytest.mark.slow
def test_bench_with_a_tiny_hf_model_batched(tmp_path, capsys) -> None:
    """hf:PATH on the transformers backend, two sub-envs: tokens and generation times are recorded."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    tiny = pytest.importorskip("mtsql_agents.tiny")
    model = tiny.build_tiny_model(tmp_path / "tiny")
    out = tmp_path / "out"
    code = main(["bench", "--data-dir", "sample", "--agent", f"hf:{model}", "--episodes", "2", "--num-envs", "2",
                 "--max-new-tokens", "8", "--max-steps-per-turn", "2", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    entry = summary["agents"]["hf:tiny"]
    assert entry["summary"]["batched"] and entry["summary"]["num_envs"] == 2
    assert (
        entry["summary"]["prompt_tokens"] > 0
        and 0 < entry["summary"]["completion_tokens"] <= 8 * 2 * entry["summary"]["turns"]
    )
    trajectories = load_trajectories(out / entry["dir"] / "trajectories.jsonl")
    assert [t.options["index"] for t in trajectories] == [0, 1]
    step = trajectories[0].steps[0]
    assert step.generation["batch_size"] in (1, 2) and step.generation["latency_s"] > 0
    assert all(r.matches for r in replay_all(trajectories))  # text replies replay to the same rewards
    # The untrained model rarely proposes anything: its forced empty answers are written as the placeholder.
    items = [
        json.loads(line)
        for line in (out / entry["dir"] / "items.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    preds = [sql for turns in read_pred(out / entry["dir"] / "pred.txt") for sql in turns]
    assert [p if i["pred"] else "" for p, i in zip(preds, items)] == [i["pred"] or "" for i in items]
    assert all(p == "EMPTY_PREDICTION" for p, i in zip(preds, items) if not i["pred"])
    _assert_same_numbers(entry["summary"], _rescore(out, entry["dir"], capsys))
    assert "hf:tiny" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.realdata
@pytest.mark.slow
def test_bench_on_real_cosql_dev_rescores_identically(cosql_dir, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["bench", "--data-dir", str(cosql_dir.parent), "--skip-missing-databases", "--agent", "previous-turn",
                 "--agent", "noisy-no-correct", "--out", str(out), "--no-progress"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "SAMPLE" not in printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    data = summary["dataset"]
    assert not data["is_sample"] and data["source"] == "cosql"
    assert data["dialogues"] == 293 - 17 and data["skipped_db_ids"] == ["wta_1"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "17 dialogues skipped: no database for wta_1" in report and "bundled sample" not in report
    for name in ("previous-turn", "noisy-no-correct"):
        entry = summary["agents"][name]["summary"]
        _assert_same_numbers(entry, _rescore(out, name, capsys))
    noisy = summary["agents"]["noisy-no-correct"]["summary"]
    assert (
        0.2 < noisy["EX"] < 0.9 and noisy["gold_errors"] >= 1
    )  # half the turns corrupted; the broken golds counted


def test_run_and_bench_print_the_same_column_titles(sample_bench, capsys) -> None:
    from mtsql_agents.report import HEADLINE

    _, bench_printed, _ = sample_bench
    assert main(["run", "--data-dir", "sample", "--agent", "oracle", "--episodes", "2", "--no-progress"]) == 0
    run_printed = capsys.readouterr().out
    for printed in (bench_printed, run_printed):
        header = next(line for line in printed.splitlines() if line.startswith("agent "))
        assert header.split()[:3] == ["agent", "EX", "EM"] and "IM-EX" in header and "reward/turn" in header
    shared = [title for _, title, _ in HEADLINE if title in run_printed]
    assert len(shared) >= 7 and all(title in bench_printed for title in shared)
    assert "IM_EX" not in run_printed and "steps_per_turn" not in run_printed


def test_report_labels_every_bar_and_explains_the_reward_ceiling(sample_bench) -> None:
    pytest.importorskip("matplotlib")
    from mtsql_agents.report import accuracy_figure

    out, _, _ = sample_bench
    result = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    figure = accuracy_figure(result, "by_turn", ("1", "2", "3", "4", ">4"), "t")
    labels = [[text.get_text() for text in ax.texts] for ax in figure.axes]
    assert all(len(texts) == 5 * len(BUILTINS) for texts in labels)
    assert "0" in labels[1]  # previous-turn at 0% EM on first turns still shows a label
    report = (out / "report.md").read_text(encoding="utf-8")
    data = result["dataset"]
    ceiling = 3 - 0.1 * data["dialogues"] / data["turns"]
    assert f"reward/turn is at most {ceiling:.3f} here" in report and "first turn" in report
    assert f"| `oracle` | 1.000 | 1.000 | 1.000 | 1.000 | {ceiling:.3f} |" in report  # the oracle reaches it


def test_the_sample_warning_is_logged_once_and_never_when_asked_for(monkeypatch, tmp_path, caplog) -> None:
    import gymnasium as gym

    from mtsql_env import datasets

    for var in ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(datasets, "_fallback_warned", False)
    with caplog.at_level("WARNING"):
        for _ in range(3):
            gym.make("MTSQL-CoSQL-v0", data_dir="sample").close()
        assert not [r for r in caplog.records if "sample" in r.getMessage()]
        for _ in range(3):
            gym.make("MTSQL-CoSQL-v0").close()  # nothing installed: falls back to the sample
    warnings = [r for r in caplog.records if "bundled sample" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
