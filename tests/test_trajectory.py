"""Trajectories: recording through the runner, JSONL round trip, `datasets` loading, and replay."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents import Agent, NoisyCorrectingAgent, OracleAgent, PreviousTurnAgent, run_agent
from mtsql_agents.trajectory import (
    SCHEMA_VERSION,
    Trajectory,
    TrajectoryRecorder,
    load_trajectories,
    load_trajectory_dataset,
    replay,
    replay_all,
    save_trajectories,
)
from mtsql_env.rewards import COMPONENTS


def _record(agent: Agent, episodes: int | None = None, **env_kwargs: Any) -> tuple[list[Trajectory], Any]:
    env = gym.make("MTSQL-CoSQL-v0", expose_gold=agent.needs_gold, **env_kwargs)
    recorder = TrajectoryRecorder()
    try:
        result = run_agent(env, agent, episodes, progress=False, recorder=recorder)
    finally:
        env.close()
    return recorder.trajectories, result


class TextOracle(Agent):
    """The oracle speaking text: one unparsable reply at the start of every turn, then tag-grammar actions."""

    name = "text-oracle"
    needs_gold = True

    def __init__(self) -> None:
        self.oracle = OracleAgent()

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        self.oracle.reset(observation, info)
        self._turn = None

    def act(self, observation: str, info: dict[str, Any]) -> str:
        if info["turn_index"] != self._turn:
            self._turn = info["turn_index"]
            return "Let me think about the schema first."  # no action: a format error
        return "Thinking... " + self.oracle.act(observation, info).to_text()


class FakeLLM(Agent):
    """Exposes ``last_generations`` like `mtsql_agents.llm.LLMAgent` (duck-typed), acting as the oracle."""

    name = "fake-llm"
    needs_gold = True

    def __init__(self) -> None:
        self.oracle = OracleAgent()
        self.last_generations: list[Any] = []
        self.calls = 0

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        self.oracle.reset(observation, info)

    def act(self, observation: str, info: dict[str, Any]) -> str:
        self.calls += 1
        text = "<think>plan</think>" + self.oracle.act(observation, info).to_text()
        generation = SimpleNamespace(
            text=text,
            prompt_tokens=100 + self.calls,
            completion_tokens=7,
            finish_reason="stop",
            tool_calls=None,
        )
        self.last_generations = [
            SimpleNamespace(slot=0, generation=generation, action_text=text, latency_s=0.01, batch_size=1)
        ]
        return text


def test_recorder_captures_every_step_and_turn_on_the_sample() -> None:
    trajectories, result = _record(NoisyCorrectingAgent(), data_dir="sample")
    assert len(trajectories) == 44
    assert [t.options for t in trajectories] == [{"index": i} for i in range(44)]
    assert sum(len(t.turn_results) for t in trajectories) == len(result.turns) == 176
    assert sum(len(t.steps) for t in trajectories) == sum(turn["steps"] for turn in result.turns)
    # Rewards per episode equal the runner's per-turn component totals.
    by_dialogue: dict[str, float] = {}
    for turn in result.turns:
        by_dialogue[turn["dialogue_id"]] = by_dialogue.get(turn["dialogue_id"], 0.0) + sum(
            turn[f"reward_{c}"] for c in COMPONENTS
        )
    for trajectory in trajectories:
        assert trajectory.total_reward == pytest.approx(by_dialogue[trajectory.dialogue_id])
        assert trajectory.steps[-1].terminated and not any(s.terminated for s in trajectory.steps[:-1])
        assert trajectory.steps[0].reply.startswith("<propose>")  # typed actions shown in the tag grammar
        assert (
            trajectory.steps[0].action_typed["kind"] == "propose" and trajectory.steps[0].action_text is None
        )
        assert all(s.generation is None for s in trajectory.steps)  # scripted agents report no tokens
        assert all(s.env_time_s is not None and s.env_time_s >= 0 for s in trajectory.steps)
    # The noisy agent corrects some turns; the corrections are visible in the recorded actions.
    assert sum(s.is_correction for t in trajectories for s in t.steps) > 0
    assert (
        trajectories[0].env_kwargs["data_dir"] == "sample"
        and trajectories[0].env_kwargs["expose_gold"] is True
    )


def test_jsonl_round_trip_and_replay_on_the_sample(tmp_path) -> None:
    trajectories = []
    for agent in (OracleAgent(), PreviousTurnAgent(), NoisyCorrectingAgent(), TextOracle()):
        trajectories += _record(agent, data_dir="sample")[0]
    path = save_trajectories(tmp_path / "t.jsonl", trajectories)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(trajectories) == 4 * 44
    assert all(json.loads(line)["schema_version"] == SCHEMA_VERSION for line in lines)
    loaded = load_trajectories(path)
    assert [t.to_dict() for t in loaded] == [t.to_dict() for t in trajectories]
    results = replay_all(loaded)  # fresh environments built from the recorded env kwargs
    assert all(r.matches for r in results), [r.mismatches for r in results if not r.matches][:3]
    assert [r.rewards for r in results] == [r.recorded_rewards for r in results]


def test_text_replies_and_format_errors_are_recorded_and_replayed() -> None:
    reward = {"format_penalty": 0.5, "exec_match": 1.0, "exact_match": 1.0}
    trajectories, result = _record(TextOracle(), episodes=5, data_dir="sample", reward=reward)
    first = trajectories[0].steps[0]
    assert first.action_text == "Let me think about the schema first." and first.action_typed is None
    assert first.format_error and first.action is None
    assert first.reward_components["format_penalty"] == -0.5 and first.reward == -0.5
    assert trajectories[0].steps[1].action == {
        "name": "propose",
        "arguments": {"sql": trajectories[0].steps[1].action["arguments"]["sql"]},
    }
    assert trajectories[0].to_dict()["totals"]["format_errors"] == trajectories[0].num_turns
    assert all(replay(t).matches for t in trajectories)
    assert result.summary["EX"] == 1.0


def test_replay_detects_a_changed_action() -> None:
    trajectories, _ = _record(OracleAgent(), episodes=3, data_dir="sample")
    trajectory = trajectories[2]
    propose = next(s for s in trajectory.steps if s.action_typed and s.action_typed["kind"] == "propose")
    propose.action_typed = {**propose.action_typed, "sql": "SELECT 1"}
    result = replay(trajectory)
    assert not result.matches
    assert any("generation" in m for m in result.mismatches)  # the clause F1 of the proposal drops
    assert any("turn result" in m for m in result.mismatches)  # the answer is now SELECT 1: wrong


def test_replay_of_a_different_episode_is_reported() -> None:
    trajectory = _record(OracleAgent(), episodes=2, data_dir="sample")[0][1]
    trajectory.options = {"index": 0}
    result = replay(trajectory)
    assert not result.matches and "reset gave dialogue" in result.mismatches[0]


def test_turn_mode_trajectories_replay_with_seed_and_options() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True)
    recorder = TrajectoryRecorder()
    run_agent(env, NoisyCorrectingAgent(), 30, progress=False, recorder=recorder, seed=7)
    env.close()
    assert len(recorder.trajectories) == 30 and recorder.trajectories[0].seed == 7
    assert {t.mode for t in recorder.trajectories} == {"turn"}
    assert all(len(t.turn_results) == 1 for t in recorder.trajectories)
    assert all(r.matches for r in replay_all(recorder.trajectories))


def test_generation_info_tokens_and_timings_from_llm_style_agents(tmp_path) -> None:
    trajectories, _ = _record(FakeLLM(), episodes=2, data_dir="sample")
    step = trajectories[0].steps[0]
    assert step.reply.startswith("<think>plan</think><propose>")  # the raw reply, thinking included
    assert step.action_text == step.reply
    assert step.generation == {
        "prompt_tokens": 101, "completion_tokens": 7, "finish_reason": "stop", "latency_s": 0.01, "batch_size": 1,
    }  # fmt: skip
    prompt, completion = trajectories[0].tokens()
    assert completion == 7 * len(trajectories[0].steps) and prompt > 100 * len(trajectories[0].steps)
    dataset = load_trajectory_dataset(save_trajectories(tmp_path / "llm.jsonl", trajectories))
    assert dataset[0]["totals"]["completion_tokens"] == completion
    assert dataset[0]["steps"][0]["generation"]["prompt_tokens"] == 101


def test_datasets_loading(tmp_path) -> None:
    oracle, _ = _record(OracleAgent(), data_dir="sample")
    noisy, _ = _record(NoisyCorrectingAgent(), data_dir="sample")
    paths = [
        save_trajectories(tmp_path / "oracle.jsonl", oracle),
        save_trajectories(tmp_path / "noisy.jsonl", noisy),
    ]
    dataset = load_trajectory_dataset(paths)
    assert dataset.num_rows == 88
    assert set(dataset.column_names) >= {
        "agent",
        "dialogue_id",
        "steps",
        "messages",
        "totals",
        "env_kwargs",
        "schema_version",
    }
    assert sorted(dataset.unique("agent")) == ["noisy", "oracle"]
    row = dataset[50]
    trajectory = noisy[50 - 44]
    assert row["dialogue_id"] == trajectory.dialogue_id
    assert row["messages"] == trajectory.messages()
    roles = [m["role"] for m in row["messages"]]
    assert roles[0] == "user" and roles[1::2] == ["assistant"] * len(trajectory.steps)
    assert row["totals"]["reward"] == pytest.approx(trajectory.total_reward)
    assert json.loads(row["env_kwargs"]) == trajectory.env_kwargs
    assert [s["turn_result"]["exec"] for s in row["steps"] if s["turn_result"]] == [
        r["exec"] for r in trajectory.turn_results
    ]


def test_unknown_schema_version_is_refused(tmp_path) -> None:
    trajectory = _record(OracleAgent(), episodes=1, data_dir="sample")[0][0]
    data = trajectory.to_dict() | {"schema_version": SCHEMA_VERSION + 1}
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"future.jsonl:1: .*schema_version"):
        load_trajectories(path)


@pytest.mark.realdata
@pytest.mark.slow
def test_replay_on_real_cosql_dev(cosql_dir, tmp_path) -> None:
    """Every runnable CoSQL dev dialogue: record, save, load, replay in a fresh env, same rewards."""
    kwargs = {"data_dir": str(cosql_dir), "skip_missing_databases": True}
    trajectories = []
    for agent in (NoisyCorrectingAgent(), PreviousTurnAgent()):
        trajectories += _record(agent, **kwargs)[0]
    assert len(trajectories) == 2 * (293 - 17)  # wta_1's 17 dialogues have no database here
    loaded = load_trajectories(save_trajectories(tmp_path / "dev.jsonl", trajectories))
    results = replay_all(loaded)
    assert all(r.matches for r in results), [r.mismatches for r in results if not r.matches][:3]
    # Gold errors (the stray `)` in car_1, the unknown column in battle_death) are recorded as such.
    gold_errors = [r for t in loaded for r in t.turn_results if r["gold_error"]]
    assert gold_errors and all(r["exec"] is None for r in gold_errors)
