"""Drive a Gymnasium vector env with one agent, batching every step's generation across episodes.

`run_vector(envs, agent)` plays episodes ``0 .. episodes-1`` (by index, like `run_agent`), keeping every
sub-env busy: when a slot's episode ends it is reset (``options={"reset_mask": ..., "index": next}``) with
the next episode at once. Each step the agent acts for all busy slots in one call
(``agent.act_batch(observations, infos, slots=...)``), so an `LLMAgent` generates for all of them in one
backend batch. Per-turn records have exactly the shape `mtsql_agents.runner.run_episode` produces, and
the summary is `mtsql_agents.runner.summarize`, so results compare one to one with `run_agent`.

Agents see the observation and `mtsql_env.info.agent_info` of each sub-env's info (no rewards, scores or
gold unless the agent declares ``needs_gold``); the per-turn records are built from the full info.

Agents: an agent with ``supports_slots = True`` (`LLMAgent`) keeps one history per slot; any other
`Agent` (they keep one episode's state) is deep-copied once per slot and called slot by slot.

Works with sync and async vector envs in any autoreset mode. Slots with no episode left are stepped with
an empty action whose result is ignored (vector envs step every sub-env).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mtsql_env.info import agent_info

from .base import ActionLike, Agent
from .runner import RunResult, TurnTracker, summarize

logger = logging.getLogger(__name__)

__all__ = ["run_vector", "split_infos", "unbatch_info"]


def split_infos(infos: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """One ``info`` dict per sub-env out of a vector env's batched infos.

    Gymnasium batches each key into an array with a ``_key`` mask and nested dicts recursively; keys a
    sub-env did not report come back as None, numpy scalars as Python values. Each array is converted
    once for all sub-envs (``tolist``): this runs in the main process on every step, where an async
    vector env's speed-up is decided.

    Example:
        >>> import numpy as np
        >>> infos = {"turn": np.array([0, 2]), "_turn": np.array([True, True]),
        ...          "sql": np.array([None, "SELECT 1"], dtype=object), "_sql": np.array([False, True])}
        >>> split_infos(infos, 2)
        [{'turn': 0, 'sql': None}, {'turn': 2, 'sql': 'SELECT 1'}]
    """
    outs: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in infos.items():
        if key.__class__ is not str or key[:1] == "_":
            continue
        parts = _split_nested(value, num_envs) if value.__class__ is dict else value.tolist()
        mask = infos.get("_" + key)
        present = mask.tolist() if mask is not None else [True] * num_envs
        for out, part, here in zip(outs, parts, present):
            out[key] = part if here else None
    return outs


def _split_nested(value: dict[Any, Any], num_envs: int) -> list[dict[str, Any] | None]:
    parts: list[dict[str, Any] | None] = list(split_infos(value, num_envs))
    masks = [value.get("_" + k) for k in value if k.__class__ is str and k[:1] != "_"]
    for index in range(num_envs):
        # Gymnasium stores a None that follows another sub-env's dict under the integer key `index`.
        if (index in value and value[index] is None) or (
            masks and not any(mask is None or mask[index] for mask in masks)
        ):
            parts[index] = None
    return parts


def unbatch_info(infos: dict[str, Any], index: int) -> dict[str, Any]:
    """The ``info`` dict of sub-env ``index`` (see `split_infos`, which splits all sub-envs at once).

    Example:
        >>> import numpy as np
        >>> unbatch_info({"turn": np.array([0, 2]), "_turn": np.array([True, True])}, 1)
        {'turn': 2}
    """
    num_envs = next((len(v) for v in infos.values() if isinstance(v, np.ndarray)), index + 1)
    return split_infos(infos, num_envs)[index]


class _PerSlotAgents:
    """Adapts an agent that keeps one episode's state: one deep copy per slot."""

    def __init__(self, agent: Agent, num_slots: int) -> None:
        self.copies = [copy.deepcopy(agent) for _ in range(num_slots)]

    def reset(self, observation: str, info: dict[str, Any], *, slot: int) -> None:
        self.copies[slot].reset(observation, info)

    def act_batch(
        self, observations: list[str], infos: list[dict[str, Any]], *, slots: list[int]
    ) -> list[ActionLike]:
        return [self.copies[s].act(o, i) for s, o, i in zip(slots, observations, infos)]


def run_vector(
    envs: Any,
    agent: Agent,
    episodes: int | None = None,
    *,
    seed: int = 0,
    progress: bool = True,
) -> RunResult:
    """Play ``episodes`` episodes (all by default) across the sub-envs of ``envs``, in batched steps.

    Args:
        envs: a ``gymnasium.vector.VectorEnv`` of MTSQL envs (``gym.make_vec(..., vectorization_mode=...)``);
            for async envs keep ``shared_memory`` off or use the package's `UnicodeText` spaces;
            `mtsql_env.parallel.make_threaded_vec` steps the sub-envs in threads, so their SQL overlaps.
        agent: any `Agent`; one with ``supports_slots`` is served in one ``act_batch`` call per step.
        episodes: how many episodes, by index from 0 (capped at the env's episode count).
        seed: seeds the sub-envs on the first reset (sub-env ``i`` gets ``seed + i``).
        progress: show a tqdm bar over finished episodes.

    Returns:
        A `RunResult` whose turns are ordered by episode index, as `run_agent` orders them.
    """
    num_envs = envs.num_envs
    total = int(envs.get_attr("num_episodes")[0])
    count = total if episodes is None else min(episodes, total)
    policy = agent if getattr(agent, "supports_slots", False) else _PerSlotAgents(agent, num_envs)
    with_gold = bool(getattr(agent, "needs_gold", False))
    start_time = time.perf_counter()
    observations, _ = envs.reset(seed=seed)
    observations = list(observations)
    infos: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    episode_of: list[int | None] = [None] * num_envs
    trackers = [TurnTracker() for _ in range(num_envs)]
    turns_by_episode: dict[int, list[dict[str, Any]]] = {}
    next_episode = 0
    bar = tqdm(total=count, desc=getattr(agent, "name", "agent"), unit="episode", disable=not progress)

    def start(slot: int) -> None:
        nonlocal next_episode
        mask = np.zeros(num_envs, dtype=np.bool_)
        mask[slot] = True
        batch_obs, batch_infos = envs.reset(options={"reset_mask": mask, "index": next_episode})
        observations[slot] = batch_obs[slot]
        infos[slot] = agent_info(unbatch_info(batch_infos, slot), with_gold=with_gold)
        episode_of[slot], trackers[slot] = next_episode, TurnTracker()
        turns_by_episode[next_episode] = []
        next_episode += 1
        policy.reset(observations[slot], infos[slot], slot=slot)

    for slot in range(min(num_envs, count)):
        start(slot)
    try:
        while any(e is not None for e in episode_of):
            busy = [s for s in range(num_envs) if episode_of[s] is not None]
            chosen = policy.act_batch([observations[s] for s in busy], [infos[s] for s in busy], slots=busy)
            actions: list[ActionLike] = [""] * num_envs
            for slot, action in zip(busy, chosen):
                actions[slot] = action
            batch_obs, _, terminated, truncated, batch_infos = envs.step(tuple(actions))
            step_infos = split_infos(batch_infos, num_envs)
            for slot in busy:
                observations[slot], info = batch_obs[slot], step_infos[slot]
                infos[slot] = agent_info(info, with_gold=with_gold)  # the agent sees no gold-derived keys
                record = trackers[slot].update(info, bool(truncated[slot]))
                if record is not None:
                    turns_by_episode[episode_of[slot]].append(record)
                if terminated[slot] or truncated[slot]:
                    bar.update(1)
                    episode_of[slot] = None
                    if next_episode < count:
                        start(slot)
    finally:
        bar.close()
    turns = [record for index in sorted(turns_by_episode) for record in turns_by_episode[index]]
    result = RunResult(getattr(agent, "name", "agent"), turns, time.perf_counter() - start_time)
    result.summary = summarize(turns)
    logger.info(
        "%s: %d episodes on %d sub-envs, %d turns in %.2fs",
        result.agent,
        count,
        num_envs,
        len(turns),
        result.wall_time_s,
    )
    return result
