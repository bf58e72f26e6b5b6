"""Trajectories: record every step of an episode, save them as JSONL, load them back, and replay them.

A `Trajectory` is one episode: which environment (id and every `EnvConfig` field, so it can be rebuilt),
which episode (reset ``seed`` and ``options``), the first observation, and per step the agent's raw reply,
the action the environment received, the parsed action, the feedback, the reward and its components,
the turn result at an answer, and timings; LLM agents add token counts and generation latency (from
``agent.last_generations``, see `mtsql_agents.llm`), scripted agents have none.

- `TrajectoryRecorder` implements the runner's `EpisodeRecorder` hook: pass it to
  `mtsql_agents.runner.run_agent` / `run_episode` and read ``recorder.trajectories``.
- `save_trajectories` / `load_trajectories`: JSONL, one episode per line, each with ``schema_version``.
- `load_trajectory_dataset`: the same file(s) as a Hugging Face `datasets.Dataset` (plus a chat
  ``messages`` column); ``datasets`` is imported only there.
- `replay`: rebuild the environment, reset with the same seed and options, send the same actions and
  compare rewards, components and turn results step by step.

Why replay matters: a recorded trajectory is only trustworthy training or analysis data if the
environment gives the same rewards for it again; replay is the check.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from mtsql_env import install_hint
from mtsql_env.actions import Action

from .base import ActionLike, Agent

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

__all__ = [
    "SCHEMA_VERSION",
    "RecordEpisodes",
    "ReplayResult",
    "StepRecord",
    "Trajectory",
    "TrajectoryRecorder",
    "env_spec",
    "load_trajectories",
    "load_trajectory_dataset",
    "replay",
    "replay_all",
    "save_trajectories",
]

#: Version of the JSONL layout; bumped whenever a field changes meaning or is removed.
SCHEMA_VERSION = 1
_ACTION_FIELDS = ("kind", "sql", "target", "verdict")
_ENV_IDS = {"cosql": "MTSQL-CoSQL-v0", "sparc": "MTSQL-SParC-v0"}


@dataclass
class StepRecord:
    """One agent step and what the environment answered.

    ``reply`` is what the agent said: a model's raw text (thinking included), or the tag-grammar text of a
    typed action. Exactly one of ``action_text`` (a text action, as sent) and ``action_typed`` (a typed
    action as ``{kind, sql, target, verdict}``) holds what the environment received; replay sends it again.
    """

    turn_index: int  # the user turn this step acted in (0-based)
    reply: str
    action_text: str | None
    action_typed: dict[str, Any] | None
    action: dict[str, Any] | None  # the parsed action as a tool call, or None on a format error
    format_error: str | None
    ignored_actions: int
    feedback: str  # the next observation
    reward: float
    reward_components: dict[str, float]
    turn_result: dict[str, Any] | None
    terminated: bool
    truncated: bool
    agent_time_s: float | None
    env_time_s: float | None
    generation: dict[str, Any] | None = None  # token counts, finish reason, latency (LLM agents)

    def env_action(self) -> ActionLike:
        """The action to send to the environment again (text, or a typed action as a dict)."""
        if self.action_typed is not None:
            return dict(self.action_typed)
        return self.action_text if self.action_text is not None else ""

    @property
    def is_correction(self) -> bool:
        """True when this step replaced the candidate (a ``correct`` action)."""
        return bool(self.action) and self.action.get("name") == "correct"


@dataclass
class Trajectory:
    """One recorded episode (see the module docstring)."""

    env_id: str
    env_kwargs: dict[str, Any]
    agent: str
    seed: int | None
    options: dict[str, Any] | None
    dataset: str
    split: str
    mode: str
    dialogue_id: str
    db_id: str
    num_turns: int
    first_observation: str
    steps: list[StepRecord] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    # --- derived views ----------------------------------------------------------------------------

    @property
    def total_reward(self) -> float:
        return float(sum(step.reward for step in self.steps))

    @property
    def turn_results(self) -> list[dict[str, Any]]:
        """The turn results, in order (one per answered turn)."""
        return [step.turn_result for step in self.steps if step.turn_result is not None]

    def tokens(self) -> tuple[int, int]:
        """(prompt tokens, completion tokens) over the episode; (0, 0) for agents that report none."""
        prompt = completion = 0
        for step in self.steps:
            generation = step.generation or {}
            prompt += generation.get("prompt_tokens") or 0
            completion += generation.get("completion_tokens") or 0
        return prompt, completion

    def messages(self) -> list[dict[str, str]]:
        """The episode as chat messages: the first observation, then alternating reply and feedback."""
        messages = [{"role": "user", "content": self.first_observation}]
        for step in self.steps:
            messages.append({"role": "assistant", "content": step.reply})
            messages.append({"role": "user", "content": step.feedback})
        return messages

    # --- serialisation ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; totals are added for convenience and ignored by `from_dict`."""
        data = asdict(self)
        prompt, completion = self.tokens()
        data["totals"] = {
            "reward": self.total_reward,
            "steps": len(self.steps),
            "format_errors": sum(step.format_error is not None for step in self.steps),
            "corrections": sum(step.is_correction for step in self.steps),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "agent_time_s": sum(step.agent_time_s or 0.0 for step in self.steps),
            "env_time_s": sum(step.env_time_s or 0.0 for step in self.steps),
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trajectory:
        """Rebuild from `to_dict` output; a newer ``schema_version`` is refused with a clear message."""
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"trajectory schema_version {version!r} is not supported (this mtsql reads version {SCHEMA_VERSION})"
            )
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        step_fields = {f.name for f in fields(StepRecord)}
        values["steps"] = [
            StepRecord(**{k: v for k, v in s.items() if k in step_fields}) for s in data["steps"]
        ]
        return cls(**values)


# --- recording ----------------------------------------------------------------------------------------


def env_spec(env: gym.Env) -> tuple[str, dict[str, Any]]:
    """The id and the keyword arguments that rebuild ``env`` with ``gym.make`` (every `EnvConfig` field).

    The reward is stored as its weights, so a replay does not depend on what a preset name means later.
    """
    unwrapped = env.unwrapped
    config = unwrapped.config
    kwargs = _jsonable(asdict(config))
    spec = getattr(env, "spec", None)
    env_id = spec.id if spec is not None else _ENV_IDS[config.benchmark]
    return env_id, kwargs


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _typed_action(action: Any) -> dict[str, Any] | None:
    """``{kind, sql, target, verdict}`` for a typed action; None when it must be replayed as text."""
    if isinstance(action, Action):
        return {
            name: getattr(getattr(action, name), "value", getattr(action, name)) for name in _ACTION_FIELDS
        }
    if isinstance(action, Mapping) and set(action) <= set(_ACTION_FIELDS):
        typed = {name: getattr(action.get(name), "value", action.get(name)) for name in _ACTION_FIELDS}
        if all(v is None or isinstance(v, str) for v in typed.values()):
            return typed
    return None


def _reply_text(action: Any) -> str:
    if isinstance(action, Action):
        return action.to_text()
    if isinstance(action, Mapping):
        return json.dumps(_jsonable(dict(action)), default=str)
    return str(action)


def generation_info(agent: Agent, slot: int = 0) -> tuple[str | None, dict[str, Any] | None]:
    """(raw reply text, generation info) of ``agent``'s last step for ``slot``, from ``last_generations``.

    Agents without ``last_generations`` (the scripted ones) give ``(None, None)``.
    """
    for step in getattr(agent, "last_generations", None) or ():
        if getattr(step, "slot", None) != slot:
            continue
        generation = step.generation
        reply = generation.text
        if getattr(generation, "tool_calls", None):
            reply = f"{reply}\n{step.action_text}" if reply else step.action_text
        info = {
            "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens,
            "finish_reason": generation.finish_reason,
            "latency_s": float(step.latency_s),
            "batch_size": int(step.batch_size),
        }
        return reply, info
    return None, None


@dataclass
class _OpenEpisode:
    trajectory: Trajectory
    turn_index: int


class TrajectoryRecorder:
    """Collects one `Trajectory` per episode from runner callbacks (the runner's `EpisodeRecorder`).

    Example:
        >>> import gymnasium as gym, mtsql_env
        >>> from mtsql_agents import OracleAgent, run_agent
        >>> env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True)
        >>> recorder = TrajectoryRecorder()
        >>> result = run_agent(env, OracleAgent(), episodes=2, progress=False, recorder=recorder)
        >>> [len(t.turn_results) for t in recorder.trajectories]
        [6, 4]
        >>> all(replay(t, env).matches for t in recorder.trajectories)
        True
    """

    def __init__(self) -> None:
        self.trajectories: list[Trajectory] = []
        self._open: dict[int, _OpenEpisode] = {}

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
        env_id, env_kwargs = env_spec(env)
        trajectory = Trajectory(
            env_id=env_id,
            env_kwargs=env_kwargs,
            agent=getattr(agent, "name", type(agent).__name__),
            seed=seed,
            options=_jsonable(dict(options)) if options else None,
            dataset=info["dataset"],
            split=info["split"],
            mode=info["mode"],
            dialogue_id=info["dialogue_id"],
            db_id=info["db_id"],
            num_turns=info["num_turns"],
            first_observation=observation,
        )
        self._open[slot] = _OpenEpisode(trajectory, info["turn_index"])

    def is_open(self, slot: int = 0) -> bool:
        """True while an episode started in ``slot`` has not ended."""
        return slot in self._open

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
        episode = self._open.get(slot)
        if episode is None:
            raise RuntimeError(f"on_step for slot {slot} without on_reset")
        typed = _typed_action(action)
        raw_reply, generation = generation_info(agent, slot)
        episode.trajectory.steps.append(
            StepRecord(
                turn_index=episode.turn_index,
                reply=raw_reply if raw_reply is not None else _reply_text(action),
                action_text=None if typed is not None else _reply_text(action),
                action_typed=typed,
                action=info["action"] or None,
                format_error=info["format_error"],
                ignored_actions=int(info["ignored_actions"]),
                feedback=observation,
                reward=float(reward),
                reward_components={k: float(v) for k, v in info["reward_components"].items()},
                turn_result=_jsonable(info["turn_result"]) if info["turn_result"] else None,
                terminated=bool(terminated),
                truncated=bool(truncated),
                agent_time_s=float(agent_time_s),
                env_time_s=float(env_time_s),
                generation=generation,
            )
        )
        episode.turn_index = info["turn_index"]
        if terminated or truncated:
            self.trajectories.append(self._open.pop(slot).trajectory)


class RecordEpisodes(gym.Wrapper):
    """Feeds one sub-env's resets and steps to a `TrajectoryRecorder`, for runners without a recorder hook.

    Wrap each sub-env of a *synchronous* vector env (the recorder lives in this process) and give each its
    ``slot``, so ``agent.last_generations`` entries of that slot are joined to its steps. The agent time of
    a step is the wall time since this env's previous reset or step returned (in a vector env it also
    covers the other sub-envs' steps; ``generation["latency_s"]`` is the backend's own time). Steps taken
    while no episode is open are not recorded.

    Example:
        >>> import gymnasium as gym, mtsql_env
        >>> from mtsql_agents import OracleAgent, run_episode
        >>> recorder, agent = TrajectoryRecorder(), OracleAgent()
        >>> env = RecordEpisodes(gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True), recorder, agent)
        >>> turns = run_episode(env, agent, options={"index": 1})
        >>> len(recorder.trajectories), recorder.trajectories[0].options
        (1, {'index': 1})
    """

    def __init__(self, env: gym.Env, recorder: TrajectoryRecorder, agent: Agent, slot: int = 0) -> None:
        super().__init__(env)
        if not isinstance(recorder, TrajectoryRecorder):
            raise TypeError(f"recorder must be a TrajectoryRecorder, not {type(recorder).__name__}")
        self.recorder = recorder
        self.agent = agent
        self.slot = slot
        self._last_return = time.perf_counter()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        recorded_options = dict(options) if options else None  # the env may consume the dict
        observation, info = self.env.reset(seed=seed, options=options)
        self.recorder.on_reset(
            self.env, self.agent, observation, info, seed=seed, options=recorded_options, slot=self.slot
        )
        self._last_return = time.perf_counter()
        return observation, info

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        start = time.perf_counter()
        observation, reward, terminated, truncated, info = self.env.step(action)
        end = time.perf_counter()
        if self.recorder.is_open(self.slot):
            self.recorder.on_step(
                self.agent, action, observation, reward, terminated, truncated, info,
                agent_time_s=start - self._last_return, env_time_s=end - start, slot=self.slot,
            )  # fmt: skip
        self._last_return = end
        return observation, reward, terminated, truncated, info


# --- files --------------------------------------------------------------------------------------------


def save_trajectories(
    path: str | os.PathLike[str], trajectories: Iterable[Trajectory], *, append: bool = False
) -> Path:
    """Write trajectories as JSONL, one episode per line; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a" if append else "w", encoding="utf-8") as handle:
        for trajectory in trajectories:
            handle.write(json.dumps(trajectory.to_dict(), ensure_ascii=False) + "\n")
    return path


def iter_trajectories(path: str | os.PathLike[str]) -> Iterator[Trajectory]:
    """Read a JSONL trajectory file lazily; a bad line is an error naming the file and line."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Trajectory.from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError) as err:
                raise ValueError(f"{path}:{number}: not a trajectory: {err}") from err


def load_trajectories(path: str | os.PathLike[str]) -> list[Trajectory]:
    """Read a JSONL trajectory file written by `save_trajectories`."""
    return list(iter_trajectories(path))


def dataset_row(trajectory: Trajectory) -> dict[str, Any]:
    """One `datasets` row: the JSONL record plus ``messages``; ``env_kwargs`` as a JSON string.

    ``env_kwargs`` mixes value types across runs (a preset name or a dict of weights, a history mapping),
    which Arrow columns cannot hold, so it stays JSON text; everything else keeps its structure.
    """
    row = trajectory.to_dict()
    row["env_kwargs"] = json.dumps(row["env_kwargs"], sort_keys=True)
    row["messages"] = trajectory.messages()
    return row


def load_trajectory_dataset(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> datasets.Dataset:
    """Load one or more JSONL trajectory files as a Hugging Face `datasets.Dataset` (one row per episode).

    Columns: every `Trajectory` field, ``totals`` (reward, steps, format errors, corrections, tokens,
    times) and ``messages`` (chat format, ready for SFT); ``env_kwargs`` is JSON text.
    """
    try:
        import datasets
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("load_trajectory_dataset needs `datasets`: " + install_hint("train")) from err
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rows = [dataset_row(t) for path in paths for t in iter_trajectories(path)]
    return datasets.Dataset.from_list(rows)


# --- replay -------------------------------------------------------------------------------------------


@dataclass
class ReplayResult:
    """Rewards of a replay next to the recorded ones, and every difference found (empty when it matches)."""

    dialogue_id: str
    rewards: list[float]
    recorded_rewards: list[float]
    mismatches: list[str]

    @property
    def matches(self) -> bool:
        return not self.mismatches


def _close(a: float, b: float, atol: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=atol)


def replay(trajectory: Trajectory, env: gym.Env | None = None, *, atol: float = 1e-9) -> ReplayResult:
    """Send a trajectory's actions through the environment again and compare what comes back.

    Args:
        trajectory: the recorded episode.
        env: an environment built with the same settings; by default one is made from
            ``trajectory.env_id`` and ``trajectory.env_kwargs`` (and closed afterwards).
        atol: tolerance on rewards and reward components.

    Returns:
        The replayed and recorded rewards, and a list of mismatches (rewards, components, turn results,
        episode end); ``matches`` is True when there are none.
    """
    own = env is None
    if env is None:
        import mtsql_env  # noqa: F401 - registers the ids

        env = gym.make(trajectory.env_id, **trajectory.env_kwargs)
    mismatches: list[str] = []
    rewards: list[float] = []
    try:
        _, info = env.reset(seed=trajectory.seed, options=trajectory.options)
        if info["dialogue_id"] != trajectory.dialogue_id:
            mismatches.append(
                f"reset gave dialogue {info['dialogue_id']!r}, recorded {trajectory.dialogue_id!r}"
            )
            return ReplayResult(
                trajectory.dialogue_id, rewards, [s.reward for s in trajectory.steps], mismatches
            )
        for number, step in enumerate(trajectory.steps):
            _, reward, terminated, truncated, info = env.step(step.env_action())
            rewards.append(float(reward))
            where = f"step {number} (turn {step.turn_index})"
            if not _close(reward, step.reward, atol):
                mismatches.append(f"{where}: reward {reward!r}, recorded {step.reward!r}")
            for name, value in step.reward_components.items():
                if not _close(info["reward_components"].get(name, 0.0), value, atol):
                    mismatches.append(
                        f"{where}: {name} {info['reward_components'].get(name)!r}, recorded {value!r}"
                    )
            replayed_result = _jsonable(info["turn_result"]) if info["turn_result"] else None
            if replayed_result != step.turn_result:
                mismatches.append(f"{where}: turn result {replayed_result!r}, recorded {step.turn_result!r}")
            if (bool(terminated), bool(truncated)) != (step.terminated, step.truncated):
                mismatches.append(
                    f"{where}: ended {(terminated, truncated)}, recorded {(step.terminated, step.truncated)}"
                )
    finally:
        if own:
            env.close()
    return ReplayResult(trajectory.dialogue_id, rewards, [s.reward for s in trajectory.steps], mismatches)


def replay_all(trajectories: Iterable[Trajectory], *, atol: float = 1e-9) -> list[ReplayResult]:
    """Replay many trajectories, building one environment per distinct (env id, env kwargs)."""
    import mtsql_env  # noqa: F401 - registers the ids

    envs: dict[str, gym.Env] = {}
    results = []
    try:
        for trajectory in trajectories:
            key = json.dumps([trajectory.env_id, trajectory.env_kwargs], sort_keys=True)
            if key not in envs:
                envs[key] = gym.make(trajectory.env_id, **trajectory.env_kwargs)
            results.append(replay(trajectory, envs[key], atol=atol))
    finally:
        for env in envs.values():
            env.close()
    return results
