"""verl 0.9 tools over the mtsql environment: the five actions as ``BaseTool`` s sharing one episode per trajectory.

verl's ``ToolAgentLoop`` (``actor_rollout_ref.rollout.multi_turn.tool_config_path``) parses the model's tool
calls and, for each call, runs ``create`` -> ``execute(instance_id, parameters, agent_data=...)`` ->
``release`` on the tool named by the call. The episode therefore lives with the trajectory, not the call:
the five tools (``propose``, ``execute``, ``verify``, ``correct``, ``answer``; one `MTSQLTool` each, see
``examples/verl/mtsql_tool_config.yaml``) share one `EnvSession` per ``agent_data``, started on the first
call from the row's ``tools_kwargs`` (``create_kwargs``: ``dialogue_id`` and ``turn``, as MTSQL-R1 trains
one turn per sample under gold history). Without ``agent_data`` (callers that create one instance per
trajectory and release it at the end), the instance id is the trajectory.

Step-level rewards: ``execute`` returns the env's step reward, which verl appends to the trajectory's
``tool_rewards``, and each step's record (reward and components) goes to
``agent_data.extra_fields["mtsql_steps"]``; both reach the reward function's ``extra_info``, where
`compute_score` (``custom_reward_function``) turns them into the episode score plus logged components.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from mtsql_env.actions import TOOL_SCHEMAS

from .steps import EnvSession, missing_framework, summarize_steps

try:
    from verl.tools.base_tool import BaseTool
    from verl.tools.schemas import OpenAIFunctionToolSchema, ToolResponse
except ImportError as err:
    raise missing_framework("verl==0.9.1", "verl", then=", then pip install --no-deps verl==0.9.1") from err

__all__ = ["ACTION_NAMES", "ENDED_FEEDBACK", "MTSQLTool", "compute_score", "tools_kwargs"]

ACTION_NAMES = tuple(schema["function"]["name"] for schema in TOOL_SCHEMAS)
#: What a tool returns once the trajectory's episode is over (the env is not stepped again).
ENDED_FEEDBACK = "The episode is over: no further tool calls are needed."


@dataclass
class _Trajectory:
    session: EnvSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # keeps one reply's calls in order


# One trajectory per verl AgentData (freed with it) or, without one, per tool instance id.
_BY_AGENT: weakref.WeakKeyDictionary[Any, _Trajectory] = weakref.WeakKeyDictionary()
_BY_INSTANCE: dict[str, _Trajectory] = {}
_ROWS: dict[str, dict[str, Any]] = {}  # instance id -> the create_kwargs it was made with


def tools_kwargs(**episode: Any) -> dict[str, dict[str, Any]]:
    """A dataset row's ``extra_info["tools_kwargs"]``: the episode (``dialogue_id``, ``turn``) for every tool."""
    return {name: {"create_kwargs": dict(episode)} for name in ACTION_NAMES}


class MTSQLTool(BaseTool):
    """One env action as a verl tool. Its name (from ``tool_schema``, or ``config["action"]``) is the action.

    Config (the tool's ``config`` block in the YAML): ``type: native``; ``env_id`` (default
    ``MTSQL-CoSQL-v0``) and ``env`` (the ``gym.make`` keywords: ``data_dir``, ``split``, ``mode``, ``reward``).
    """

    def __init__(self, config: dict, tool_schema: OpenAIFunctionToolSchema | None = None) -> None:
        if tool_schema is None:
            action = config.get("action")
            schemas = {schema["function"]["name"]: schema for schema in TOOL_SCHEMAS}
            if action not in schemas:
                raise ValueError(f"config 'action' must be one of {list(schemas)}, not {action!r}")
            tool_schema = OpenAIFunctionToolSchema.model_validate(schemas[action])
        super().__init__(config, tool_schema)
        if self.name not in ACTION_NAMES:
            raise ValueError(f"an MTSQLTool is named after an env action {ACTION_NAMES}, not {self.name!r}")

    async def create(self, instance_id: str | None = None, **kwargs: Any) -> tuple[str, ToolResponse]:
        instance_id = instance_id or str(uuid4())
        _ROWS[instance_id] = dict(kwargs.get("create_kwargs") or {})
        return instance_id, ToolResponse()

    async def execute(
        self, instance_id: str, parameters: dict[str, Any], **kwargs: Any
    ) -> tuple[ToolResponse, float, dict]:
        """One env step: ``{"kind": <this tool>, **parameters}``; returns (feedback, step reward, components)."""
        agent_data = kwargs.get("agent_data")
        trajectory = self._trajectory(instance_id, agent_data)
        async with trajectory.lock:
            if trajectory.session.done:
                return ToolResponse(text=ENDED_FEEDBACK), 0.0, {}
            action = {**(parameters if isinstance(parameters, dict) else {}), "kind": self.name}
            # SQL runs off the event loop, so other trajectories' generation goes on meanwhile.
            observation, record = await asyncio.to_thread(trajectory.session.step, action)
        if agent_data is not None:
            agent_data.extra_fields.setdefault("mtsql_steps", []).append(record.to_dict())
        return ToolResponse(text=observation), record.reward, dict(record.components)

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        """The trajectory's reward so far: the sum of its step rewards."""
        trajectory = self._find(instance_id, kwargs.get("agent_data"))
        return trajectory.session.reward if trajectory else 0.0

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        _ROWS.pop(instance_id, None)
        trajectory = _BY_INSTANCE.pop(instance_id, None)
        if trajectory is not None:
            trajectory.session.close()

    # --- Internals ---------------------------------------------------------------------------------

    @staticmethod
    def _find(instance_id: str, agent_data: Any) -> _Trajectory | None:
        return _BY_AGENT.get(agent_data) if agent_data is not None else _BY_INSTANCE.get(instance_id)

    def _trajectory(self, instance_id: str, agent_data: Any) -> _Trajectory:
        trajectory = self._find(instance_id, agent_data)
        if trajectory is None:
            session = EnvSession(
                self.config.get("env_id", "MTSQL-CoSQL-v0"), **dict(self.config.get("env") or {})
            )
            session.reset(_ROWS.get(instance_id, {}))
            trajectory = _Trajectory(session)
            if agent_data is not None:
                _BY_AGENT[agent_data] = trajectory
                weakref.finalize(agent_data, session.close)
            else:
                _BY_INSTANCE[instance_id] = trajectory
        return trajectory


def compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, float]:
    """verl reward function: the episode's env reward (the sum of its step rewards) and its components.

    Reads the step records the tools left in ``extra_info["mtsql_steps"]`` (verl merges the agent loop's
    ``extra_fields`` into ``extra_info``); a trajectory that called no tool scores 0.
    """
    metrics = summarize_steps((extra_info or {}).get("mtsql_steps") or [])
    return {"score": metrics.pop("reward"), **metrics}
