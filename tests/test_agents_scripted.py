"""The built-in agents through the real environment: the oracle is perfect, correcting pays off."""

from __future__ import annotations

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401
from mtsql_agents import (
    NoisyCorrectingAgent,
    OracleAgent,
    PreviousTurnAgent,
    make_agent,
    run_agent,
    run_episode,
)


def _env(data_dir, **kwargs):
    return gym.make(
        "MTSQL-CoSQL-v0", data_dir=str(data_dir), skip_missing_databases=True, expose_gold=True, **kwargs
    )


@pytest.mark.slow
@pytest.mark.realdata
def test_oracle_scores_100_percent_on_every_runnable_real_cosql_dev_turn(cosql_dir) -> None:
    env = _env(cosql_dir)
    result = run_agent(env, OracleAgent(), progress=False)
    s = result.summary
    assert s["dialogues"] == 276 and s["turns"] == 948
    # The one car_1 gold with a stray ")" cannot run; it is reported, not scored.
    assert s["gold_errors"] == 1
    assert s["EX"] == 1.0 and s["EM"] == 1.0 and s["IM_EX"] == 1.0 and s["format_errors"] == 0


@pytest.mark.slow
@pytest.mark.realdata
def test_noisy_agent_corrects_and_beats_its_uncorrected_self_on_real_cosql(cosql_dir) -> None:
    corrected = run_agent(_env(cosql_dir), NoisyCorrectingAgent(seed=1), 60, progress=False).summary
    uncorrected = run_agent(
        _env(cosql_dir), NoisyCorrectingAgent(seed=1, self_correct=False), 60, progress=False
    ).summary
    assert corrected["EX"] > uncorrected["EX"] + 0.2
    assert corrected["EM"] > uncorrected["EM"] + 0.2
    assert corrected["steps_per_turn"] > uncorrected["steps_per_turn"]


def test_noisy_corrections_are_visible_in_the_trajectory() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True, render_mode="ansi")
    agent = NoisyCorrectingAgent(error_rate=1.0, seed=0)
    turns = run_episode(env, agent, options={"index": 0})
    transcript = env.render()
    assert "<correct>" in transcript and 'verdict="fail"' in transcript
    assert "Execution error" in transcript or "Verdict on memory: fail" in transcript
    assert all(t["exec"] == 1 and t["exact"] == 1 for t in turns)


def test_previous_turn_baseline_repeats_the_previous_gold() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True)
    dialogue = env.unwrapped.dataset.dialogues[0]
    turns = run_episode(env, PreviousTurnAgent(), options={"index": 0})
    assert [t["sql"] for t in turns[1:]] == [turn.query for turn in dialogue.turns[:-1]]
    assert turns[0]["sql"].startswith("SELECT * FROM ")


def test_make_agent_names() -> None:
    assert make_agent("noisy-no-correct").self_correct is False
    with pytest.raises(ValueError, match="built-in agents"):
        make_agent("gpt-7")


@pytest.mark.realdata
def test_sparc_env_over_a_sparc_format_release(cosql_dir, tmp_path) -> None:
    # The hand-written SParC-format fixture beside the real tables.json and databases (symlinked, not copied).
    from pathlib import Path

    release = tmp_path / "sparc"
    release.mkdir()
    (release / "dev.json").write_text(
        (Path(__file__).parent / "fixtures" / "sparc" / "sparc" / "dev.json").read_text()
    )
    (release / "tables.json").symlink_to(cosql_dir / "tables.json")
    (release / "database").symlink_to(cosql_dir / "database", target_is_directory=True)
    env = gym.make("MTSQL-SParC-v0", data_dir=str(tmp_path), expose_gold=True)
    assert env.unwrapped.dataset.source == "sparc"
    s = run_agent(env, OracleAgent(), progress=False).summary
    assert s["dialogues"] == 4 and s["turns"] == 10 and s["EX"] == 1.0 and s["EM"] == 1.0
