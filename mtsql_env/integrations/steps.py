"""One episode of the env played step by step, keeping each step's reward and components.

Every framework adapter wraps one `EnvSession` per trajectory, so all of them start episodes from a dataset
row the same way and hand their trainer the same per-step record (for turn-level credit assignment), not
only the episode total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mtsql_env.rewards import COMPONENTS

__all__ = ["EnvSession", "StepRecord", "missing_framework", "summarize_steps"]


def missing_framework(package: str, extra: str, then: str = "") -> ImportError:
    """The error an adapter raises when its framework is not installed: the package, the extra that brings
    it, and any step that must follow the extra (``then``)."""
    from mtsql_env import install_hint

    return ImportError(f"this adapter needs {package}: {install_hint(extra)}{then}")


@dataclass(frozen=True)
class StepRecord:
    """What one env step earned: the reward, its weighted components (they sum to it) and the turn's outcome."""

    step: int  # 0-based agent step in the episode
    turn_index: int  # the user turn the step acted in
    reward: float
    components: dict[str, float]
    done: bool
    format_error: str | None
    turn_result: dict[str, Any]  # at an answer step: exec, exact, hardness, ...; else {}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EnvSession:
    """A `mtsql_env.MTSQLEnv` made with ``gym.make(env_id, **env_kwargs)``, played one episode at a time.

    Attributes:
        steps: the `StepRecord` of every step of the current episode.
        done: the episode ended (terminated or truncated); later steps are not sent to the env.
    """

    def __init__(self, env_id: str = "MTSQL-CoSQL-v0", **env_kwargs: Any) -> None:
        import gymnasium as gym

        import mtsql_env  # noqa: F401 - registers the ids

        self.env = gym.make(env_id, **env_kwargs)
        self.steps: list[StepRecord] = []
        self.done = False
        self.info: dict[str, Any] = {}

    def reset(self, row: Mapping[str, Any] | None = None) -> str:
        """Start the episode a dataset row names and return the first observation.

        The row may give ``dialogue_id`` (plus ``turn`` in turn mode) or ``index``, and ``seed``; a row
        naming no episode gets one drawn from the seed. Other keys are ignored.
        """
        row = row or {}
        options: dict[str, Any] = {}
        if row.get("dialogue_id") is not None:
            options["dialogue_id"] = str(row["dialogue_id"])
            if row.get("turn") is not None and self.env.unwrapped.config.mode == "turn":
                options["turn"] = int(row["turn"])
        elif row.get("index") is not None:
            options["index"] = int(row["index"])
        seed = row.get("seed")
        observation, self.info = self.env.reset(seed=None if seed is None else int(seed), options=options)
        self.steps, self.done = [], False
        return observation

    def step(self, action: Any) -> tuple[str, StepRecord]:
        """One env step with a text, dict or `Action` action: (observation, the step's record)."""
        if self.done:
            raise RuntimeError("the episode has ended; call reset()")
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.done = bool(terminated or truncated)
        self.info = info
        record = StepRecord(
            step=len(self.steps),
            turn_index=int(info["turn_index"]),
            reward=float(reward),
            components={k: float(v) for k, v in info["reward_components"].items()},
            done=self.done,
            format_error=info["format_error"],
            turn_result=dict(info["turn_result"]),
        )
        self.steps.append(record)
        return observation, record

    @property
    def reward(self) -> float:
        """The episode's reward so far: the sum of its step rewards."""
        return sum(record.reward for record in self.steps)

    def metrics(self) -> dict[str, float]:
        """Episode totals for logging (see `summarize_steps`)."""
        return summarize_steps(record.to_dict() for record in self.steps)

    def close(self) -> None:
        self.env.close()


def summarize_steps(steps: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Episode totals from step records (`StepRecord.to_dict`): each reward component, the reward, steps,
    format errors, turns answered and the EX/EM rates over them."""
    steps = list(steps)
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for record in steps:
        for name, value in record["components"].items():
            totals[name] = totals.get(name, 0.0) + float(value)
    answers = [record["turn_result"] for record in steps if record["turn_result"]]
    return {
        **totals,
        "reward": sum(float(record["reward"]) for record in steps),
        "num_steps": float(len(steps)),
        "format_errors": float(sum(record["format_error"] is not None for record in steps)),
        "turns_answered": float(len(answers)),
        "exec_accuracy": sum(bool(a.get("exec")) for a in answers) / len(answers) if answers else 0.0,
        "exact_accuracy": sum(bool(a.get("exact")) for a in answers) / len(answers) if answers else 0.0,
    }
