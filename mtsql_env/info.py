"""The keys of the env's ``info``, and the part of it an agent may see.

``info`` serves two readers. Runners, trainers and trajectory records need everything, including what is
computed from the gold: the reward components, the turn's score and the gold SQL itself. A policy must
see only what it could see at test time (the observation, and ``info`` without anything derived from the
gold), or it can pick among candidates by their reward: choosing the best of 6 blind candidates by
``info["reward_components"]`` lifted EX on CoSQL dev from 0.070 to 0.094. Every runner hands an agent
`agent_info` of the env's info, never the info itself.

The one channel to the gold for an agent is explicit: an agent class that sets ``needs_gold = True``
(the scripted oracles) is run on an env made with ``expose_gold=True`` and gets ``gold_sql``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AGENT_INFO_KEYS", "GOLD_INFO_KEYS", "INFO_KEYS", "agent_info"]

#: The keys of ``info``, identical from ``reset`` and ``step`` (see `mtsql_env.env.MTSQLEnv`).
INFO_KEYS = (
    "dataset",
    "split",
    "mode",
    "dialogue_id",
    "db_id",
    "turn_index",
    "num_turns",
    "question",
    "steps_in_turn",
    "candidate_sql",
    "action",
    "execution",
    "reward_components",
    "turn_reward_components",
    "format_error",
    "format_errors",
    "ignored_actions",
    "turn_result",
    "truncation_reason",
    "gold_sql",
)

#: Keys computed from the gold: for runners, trainers and records only.
GOLD_INFO_KEYS = ("reward_components", "turn_reward_components", "turn_result", "gold_sql")

#: Keys an agent may see: the episode's data, the current question and its own actions' results.
AGENT_INFO_KEYS = tuple(key for key in INFO_KEYS if key not in GOLD_INFO_KEYS)


def agent_info(info: Mapping[str, Any], *, with_gold: bool = False) -> dict[str, Any]:
    """The part of ``info`` a policy may see: `AGENT_INFO_KEYS`, plus ``gold_sql`` when ``with_gold``.

    Pass ``with_gold=agent.needs_gold``: only agents that declare they read the gold (oracles) get it.

    Example:
        >>> info = {"turn_index": 2, "execution": {}, "reward_components": {"generation": 0.8},
        ...         "gold_sql": "SELECT 1"}
        >>> agent_info(info)
        {'turn_index': 2, 'execution': {}}
        >>> agent_info(info, with_gold=True)["gold_sql"]
        'SELECT 1'
    """
    view = {key: info[key] for key in AGENT_INFO_KEYS if key in info}
    if with_gold:
        view["gold_sql"] = info.get("gold_sql")
    return view
