"""The CPU quick runs show life: `mtsql train grpo|ppo|sft --config examples/configs/*_cpu_quick.yaml` make
real tool calls and env steps, earn nonzero rewards, take nonzero gradient steps, save a model that loads,
and print a summary saying so. Slow: each is a real (small) training run on the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

from mtsql_env.cli import main

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "configs"


def run_quick(capsys, trainer: str, out: Path) -> tuple[dict, str]:
    flag = "--run_dir" if trainer == "sft" else "--output_dir"
    assert (
        main(["train", trainer, "--config", str(CONFIGS / f"{trainer}_cpu_quick.yaml"), flag, str(out)]) == 0
    )
    stdout = capsys.readouterr().out
    start = stdout.rindex('{\n  "output_dir"')
    return json.loads(stdout[start:]), stdout[:start]


def assert_loads(model_dir: str) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    assert model.num_parameters() > 0 and tokenizer.eos_token


@pytest.mark.slow
def test_grpo_quick_run_calls_tools_and_learns_something(tmp_path, capsys):
    summary, text = run_quick(capsys, "grpo", tmp_path)
    assert summary["optimizer_steps"] == 4
    assert summary["rollouts"] == 16  # 4 steps x one group of 4
    assert summary["tool_calls"] > 0 and summary["env_steps"] > 0
    # (the tiny warm start proposes, executes and verifies but rarely reaches `answer` in TRL's tool loop: the
    # process reward's generation and exec-verify terms are what it earns)
    assert max(summary["reward_first"], summary["reward_last"]) > 0
    assert summary["grad_norm_mean"] > 0
    assert summary["model_dir"] == str(tmp_path)
    assert_loads(summary["model_dir"])
    assert f"model saved to {tmp_path}" in text and "tool calls" in text


@pytest.mark.slow
def test_ppo_quick_run_steps_the_env_and_learns_something(tmp_path, capsys):
    summary, text = run_quick(capsys, "ppo", tmp_path)
    assert summary["optimizer_steps"] == 16  # 8 iterations x 2 epochs x 1 minibatch
    assert summary["env_steps"] == summary["rollouts"] == 8 * 16
    assert summary["answered"] > 0  # some replies chose, and the env scored the chosen SQL
    assert max(summary["reward_first"], summary["reward_last"]) > 0
    assert summary["grad_norm_mean"] > 0
    assert_loads(summary["model_dir"])
    assert "model saved to" in text


@pytest.mark.slow
def test_sft_quick_run_trains_on_teacher_trajectories(tmp_path, capsys):
    summary, text = run_quick(capsys, "sft", tmp_path)
    assert summary["optimizer_steps"] == 4
    assert summary["env_steps"] > 0 and summary["rollouts"] == 24  # 8 items x 3 samples of the teacher
    assert summary["reward_first"] > 0
    assert summary["loss_last"] < summary["loss_first"]
    assert summary["grad_norm_mean"] > 0
    assert_loads(summary["model_dir"])
    assert "loss" in text
