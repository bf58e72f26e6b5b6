"""Drive an agent through the environment and turn the episodes into per-turn records and a summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from tqdm.auto import tqdm

from mtsql_env.rewards import COMPONENTS

from .base import Agent

logger = logging.getLogger(__name__)

__all__ = ["RunResult", "run_episode", "run_agent", "summarize"]


def run_episode(env: gym.Env, agent: Agent, *, seed: int | None = None, options: dict | None = None) -> list[dict[str, Any]]:
    """Play one episode; return one record per answered (or truncated) user turn."""
    observation, info = env.reset(seed=seed, options=options)
    agent.reset(observation, info)
    turns: list[dict[str, Any]] = []
    steps = format_errors = 0
    while True:
        observation, reward, terminated, truncated, info = env.step(agent.act(observation, info))
        steps += 1
        format_errors += info["format_error"] is not None
        result = info["turn_result"]
        if result is not None or truncated:
            turns.append(
                {
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
                    "steps": steps,
                    "format_errors": format_errors,
                    **{f"reward_{name}": value for name, value in info["turn_reward_components"].items()},
                }
            )
            steps = format_errors = 0
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
    env: gym.Env, agent: Agent, episodes: int | None = None, *, progress: bool = True, seed: int = 0
) -> RunResult:
    """Play ``episodes`` episodes in order (all of them by default) and summarise.

    Episodes are visited by index (``options={"index": i}``), so every dialogue is played once and the
    run is reproducible; ``seed`` seeds the env's RNG on the first reset.
    """
    total = env.unwrapped.num_episodes
    count = total if episodes is None else min(episodes, total)
    turns: list[dict[str, Any]] = []
    start = time.perf_counter()
    for index in tqdm(range(count), desc=f"{agent.name}", unit="episode", disable=not progress):
        turns += run_episode(env, agent, seed=seed if index == 0 else None, options={"index": index})
    result = RunResult(agent.name, turns, time.perf_counter() - start)
    result.summary = summarize(turns)
    logger.info("%s: %d episodes, %d turns in %.2fs", agent.name, count, len(turns), result.wall_time_s)
    return result
