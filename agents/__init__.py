"""Agents for the mtsql environment (installed as ``mtsql_agents``).

One interface (`Agent`), scripted baselines, and `make_agent` to build one from a short name such as
``oracle``, ``previous-turn``, ``noisy`` or ``noisy-no-correct``.
"""

from __future__ import annotations

from .base import ActionLike, Agent
from .runner import RunResult, run_agent, run_episode, summarize
from .scripted import NoisyCorrectingAgent, OracleAgent, PreviousTurnAgent, RewardFarmingAgent

__all__ = [
    "ActionLike",
    "Agent",
    "NoisyCorrectingAgent",
    "OracleAgent",
    "PreviousTurnAgent",
    "RewardFarmingAgent",
    "RunResult",
    "make_agent",
    "run_agent",
    "run_episode",
    "summarize",
    "BUILTIN_AGENTS",
]

BUILTIN_AGENTS = {
    "oracle": OracleAgent,
    "previous-turn": PreviousTurnAgent,
    "noisy": NoisyCorrectingAgent,
    "noisy-no-correct": lambda: NoisyCorrectingAgent(self_correct=False),
    "farmer": RewardFarmingAgent,
}


def make_agent(name: str) -> Agent:
    """Build a built-in agent by name."""
    if name not in BUILTIN_AGENTS:
        raise ValueError(f"unknown agent {name!r}; built-in agents: {', '.join(BUILTIN_AGENTS)}")
    return BUILTIN_AGENTS[name]()


# PEP 562: the LLM layer loads on first use, so `import mtsql_agents` never imports torch or openai.
_LAZY_EXPORTS = {
    "LLMAgent": "llm",
    "AgentStep": "llm",
    "run_vector": "vector_runner",
    "build_tiny_model": "tiny",
    "Generation": "backends",
    "GenerationBackend": "backends",
    "GenerationConfig": "backends",
    "BackendError": "backends",
    "BackendUnavailableError": "backends",
    "TransformersBackend": "backends",
    "OpenAIBackend": "backends",
}


def __getattr__(name: str):
    if name in _LAZY_EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
