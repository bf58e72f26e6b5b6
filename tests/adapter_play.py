"""A sample dialogue played in process, to replay through each framework adapter (tests/test_adapter_*.py).

The noisy self-correcting oracle makes mistakes and repairs them, so the dialogue has format-valid actions
of every kind and step rewards that differ from step to step; the adapters must reproduce them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents import NoisyCorrectingAgent
from mtsql_env.actions import Action

#: The env the tests play: the bundled sample, whole dialogues, the default process reward.
ENV_KWARGS: dict[str, Any] = {"data_dir": "sample", "split": "dev", "expose_gold": True}
DIALOGUE_ID = "dev-0000"  # six user turns


@dataclass
class Script:
    """The actions taken and what the env gave back for each, step by step."""

    actions: list[Action] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    components: list[dict[str, float]] = field(default_factory=list)
    first_observation: str = ""

    @property
    def texts(self) -> list[str]:
        return [action.to_text() for action in self.actions]

    @property
    def total(self) -> float:
        return sum(self.rewards)


def play_in_process(
    env_id: str = "MTSQL-CoSQL-v0",
    options: dict[str, Any] | None = None,
    seed: int = 1,
    **env_kwargs: Any,
) -> Script:
    """Play the noisy oracle through ``gym.make(env_id)`` directly and record every step."""
    env = gym.make(env_id, **{**ENV_KWARGS, **env_kwargs})
    agent = NoisyCorrectingAgent(error_rate=0.6, seed=seed)
    script = Script()
    observation, info = env.reset(options=options or {"dialogue_id": DIALOGUE_ID})
    script.first_observation = observation
    agent.reset(observation, info)
    done = False
    while not done:
        action = agent.act(observation, info)
        observation, reward, terminated, truncated, info = env.step(action)
        script.actions.append(action)
        script.rewards.append(float(reward))
        script.components.append(dict(info["reward_components"]))
        done = terminated or truncated
    env.close()
    return script


def assert_nontrivial(script: Script) -> None:
    """The dialogue exercises a correction and step rewards that vary (else a comparison proves little)."""
    kinds = {action.kind.value for action in script.actions}
    assert {"propose", "execute", "verify", "correct", "answer"} <= kinds, kinds
    assert len({round(r, 6) for r in script.rewards}) >= 3


def import_without(monkeypatch, module: str, package: str):
    """Import ``module`` afresh as if ``package`` were not installed; returns the ImportError raised."""
    import importlib
    import sys

    import pytest

    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError) as caught:
        importlib.import_module(module)
    return caught.value
