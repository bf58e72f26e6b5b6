"""Drive an agent through the environment and turn the episodes into per-turn records and a summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
from tqdm.auto import tqdm

from mtsql_env.info import agent_info
from mtsql_env.rewards import COMPONENTS

from .base import Agent

logger = logging.getLogger(__name__)

__all__ = ["EpisodeRecorder", "RunResult", "TurnTracker", "run_episode", "run_agent", "summarize"]


class EpisodeRecorder(Protocol):
    """What a runner tells a recorder (e.g. `mtsql_agents.trajectory.TrajectoryRecorder`) about an episode.

    ``slot`` tells apart the episodes a batched runner plays at once (0 for a sequential run); the times
    are wall seconds spent in the agent (``act``/``act_batch``) and in ``env.step``.
    """

    def on_reset(
        self,
        env: gym.Env,
        agent: Agent,
        observation: str,
        info: dict[str, Any],
        *,
        seed: int | None,
        options: dict | None,
        slot: int = 0,
    ) -> None:
        """An episode started in ``slot``."""

    def on_step(
        self,
        agent: Agent,
        action: Any,
        observation: str,
        reward: float,
        terminated: bool,
        truncated: bool,
        info: dict[str, Any],
        *,
        agent_time_s: float,
        env_time_s: float,
        slot: int = 0,
    ) -> None:
        """The episode in ``slot`` took one step (``action`` is what the agent returned)."""


class TurnTracker:
    """Turns a stream of ``env.step`` infos into one record per answered (or truncated) user turn.

    Shared by every runner, so the per-turn records mean the same whether episodes ran one by one or in a
    batch.
    """

    def __init__(self) -> None:
        self.steps = 0
        self.format_errors = 0

    def update(self, info: dict[str, Any], truncated: bool) -> dict[str, Any] | None:
        """Count one step; return the turn's record when this step ended the turn, else None."""
        self.steps += 1
        self.format_errors += info["format_error"] is not None
        result = info["turn_result"]
        if not result and not truncated:
            return None
        record = {
            "dialogue_id": info["dialogue_id"],
            "db_id": info["db_id"],
            "turn": result["turn_index"] if result else info["turn_index"],
            "sql": result["sql"] if result else None,
            "exact": (result["exact"] or 0) if result else 0,
            "exec": (result["exec"] or 0) if result else 0,
            "hardness": result["hardness"] if result else None,
            "gold_error": result["gold_error"] if result else None,
            "forced": result["forced"] if result else False,
            "truncated": truncated,
            "steps": self.steps,
            "format_errors": self.format_errors,
            **{f"reward_{name}": value for name, value in info["turn_reward_components"].items()},
        }
        self.steps = self.format_errors = 0
        return record


def run_episode(
    env: gym.Env,
    agent: Agent,
    *,
    seed: int | None = None,
    options: dict | None = None,
    recorder: EpisodeRecorder | None = None,
) -> list[dict[str, Any]]:
    """Play one episode; return one record per answered (or truncated) user turn.

    The agent sees the observation and `mtsql_env.info.agent_info` of each info (nothing computed from
    the gold, unless it declares ``needs_gold``); the records and a ``recorder`` (e.g.
    `mtsql_agents.trajectory.TrajectoryRecorder`) get the full info, rewards included.
    """
    observation, info = env.reset(seed=seed, options=options)
    agent.reset(observation, agent_info(info, with_gold=agent.needs_gold))
    if recorder is not None:
        recorder.on_reset(env, agent, observation, info, seed=seed, options=options)
    turns: list[dict[str, Any]] = []
    tracker = TurnTracker()
    while True:
        start = time.perf_counter()
        action = agent.act(observation, agent_info(info, with_gold=agent.needs_gold))
        acted = time.perf_counter()
        observation, reward, terminated, truncated, info = env.step(action)
        if recorder is not None:
            env_time = time.perf_counter() - acted
            recorder.on_step(
                agent,
                action,
                observation,
                reward,
                terminated,
                truncated,
                info,
                agent_time_s=acted - start,
                env_time_s=env_time,
            )
        record = tracker.update(info, truncated)
        if record is not None:
            turns.append(record)
        if terminated or truncated:
            return turns


@dataclass
class RunResult:
    """Per-turn records of a run and its summary (EX, EM, QM, IM, rewards, steps, format errors)."""

    agent: str
    turns: list[dict[str, Any]]
    wall_time_s: float
    summary: dict[str, Any] = field(default_factory=dict)

    def to_frame(self):
        """The per-turn records as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.turns)


def summarize(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """EX/EM over runnable turns (gold errors excluded), QM, IM and mean reward components per turn.

    QM is the share of turns answered exactly (EM) or with the same result (EX); IM is the share of
    dialogues whose every scored turn is right. In turn mode each episode is one turn, so IM is only
    meaningful in dialogue mode.
    """
    scored = [t for t in turns if t["gold_error"] is None]
    n = len(scored)
    by_dialogue: dict[str, list[dict[str, Any]]] = {}
    for t in scored:
        by_dialogue.setdefault(t["dialogue_id"], []).append(t)

    def mean(values: Iterable[float]) -> float:
        values = list(values)
        return sum(values) / len(values) if values else 0.0

    summary: dict[str, Any] = {
        "turns": len(turns),
        "scored_turns": n,
        "gold_errors": len(turns) - n,
        "dialogues": len(by_dialogue),
        "EX": mean(t["exec"] for t in scored),
        "EM": mean(t["exact"] for t in scored),
        "IM_EX": mean(all(t["exec"] for t in ts) for ts in by_dialogue.values()),
        "IM_EM": mean(all(t["exact"] for t in ts) for ts in by_dialogue.values()),
        "steps_per_turn": mean(t["steps"] for t in turns),
        "format_errors": sum(t["format_errors"] for t in turns),
        "truncated_turns": sum(bool(t["truncated"]) for t in turns),
        "forced_answers": sum(bool(t["forced"]) for t in turns),
    }
    summary["QM_EX"], summary["QM_EM"] = summary["EX"], summary["EM"]
    summary["reward"] = mean(sum(t[f"reward_{c}"] for c in COMPONENTS) for t in turns)
    for component in COMPONENTS:
        summary[f"reward_{component}"] = mean(t[f"reward_{component}"] for t in turns)
    return summary


def run_agent(
    env: gym.Env,
    agent: Agent,
    episodes: int | None = None,
    *,
    progress: bool = True,
    seed: int = 0,
    recorder: EpisodeRecorder | None = None,
) -> RunResult:
    """Play ``episodes`` episodes in order (all of them by default) and summarise.

    Episodes are visited by index (``options={"index": i}``), so every dialogue is played once and the
    run is reproducible; ``seed`` seeds the env's RNG on the first reset. ``recorder`` is passed to
    `run_episode` (record trajectories with `mtsql_agents.trajectory.TrajectoryRecorder`).
    """
    total = env.unwrapped.num_episodes
    count = total if episodes is None else min(episodes, total)
    turns: list[dict[str, Any]] = []
    start = time.perf_counter()
    for index in tqdm(range(count), desc=f"{agent.name}", unit="episode", disable=not progress):
        turns += run_episode(
            env, agent, seed=seed if index == 0 else None, options={"index": index}, recorder=recorder
        )
    result = RunResult(agent.name, turns, time.perf_counter() - start)
    result.summary = summarize(turns)
    logger.info("%s: %d episodes, %d turns in %.2fs", agent.name, count, len(turns), result.wall_time_s)
    return result
