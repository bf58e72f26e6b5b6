"""The one interface every policy implements, from a script to an LLM behind an API.

An agent sees what a model would see (the observation text) plus the structured ``info``; it returns
an action in any form the environment accepts (`mtsql_env.actions.Action`, a dict, or text).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from mtsql_env.actions import Action

__all__ = ["Agent", "ActionLike"]

ActionLike = Action | dict[str, Any] | str


class Agent(ABC):
    """A policy over the mtsql environment.

    Subclasses implement `act`; `reset` is called with the first observation of every episode. Batched
    backends override `act_batch` to serve many episodes (e.g. a vector env) in one call.
    ``needs_gold`` asks the runner to create the env with ``expose_gold=True`` (oracles only).
    """

    name: str = "agent"
    needs_gold: bool = False

    def reset(self, observation: str, info: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Start a new episode."""

    @abstractmethod
    def act(self, observation: str, info: dict[str, Any]) -> ActionLike:
        """Return the next action."""

    def act_batch(self, observations: Sequence[str], infos: Sequence[dict[str, Any]]) -> list[ActionLike]:
        """One action per episode; override for backends that batch generation."""
        return [self.act(obs, info) for obs, info in zip(observations, infos)]
