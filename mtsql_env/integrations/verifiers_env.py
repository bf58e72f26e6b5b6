"""The mtsql environment as a verifiers 0.4 environment (``verifiers.v1``): a taskset whose env plays the user.

verifiers 0.4 has no ``MultiTurnEnv``/``ToolEnv`` any more: a multi-turn environment is an ``Env`` whose
``run(task, agents)`` holds the model's rollout open turn by turn (``agents.player.interaction(task)``) and
answers each reply itself, as verifiers' own TextArena and OpenEnv tasksets do. Here each reply is one
`mtsql_env.MTSQLEnv` step (tag grammar or JSON tool call in the text) and the env's feedback is the next
user turn, until the episode ends. One env instance per rollout: the state lives in ``run``.

Scoring: the rollout's reward is the env's reward (``mtsql_reward``, the sum of its step rewards under the
preset); each reward component, EX/EM rates, steps and format errors are recorded as metrics; the step
records (reward and components of every step, in reply order) are in ``trace.info["mtsql_steps"]`` for
turn-level credit assignment, since verifiers' trace carries rewards per rollout only.

Discovery: verifiers imports a taskset id as a top-level module and takes the ``Taskset`` and ``Env``
subclasses from its ``__all__``; dotted ids do not import, so this module is also installed as
``mtsql_verifiers`` (id ``mtsql-verifiers``): ``vf-eval mtsql-verifiers`` or `load_environment`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from pydantic import Field

from .steps import EnvSession, missing_framework

try:
    import verifiers.v1 as vf
except ImportError as err:
    raise missing_framework("verifiers==0.4.0", "verifiers") from err

__all__ = [
    "TASKSET_ID",
    "MTSQLData",
    "MTSQLEnvConfig",
    "MTSQLTask",
    "MTSQLTaskset",
    "MTSQLTasksetConfig",
    "MTSQLVerifiersEnv",
    "load_environment",
]

#: The id verifiers finds this taskset under (the installed ``mtsql_verifiers`` module).
TASKSET_ID = "mtsql-verifiers"


class MTSQLTasksetConfig(vf.TasksetConfig):
    """``--env.taskset.*``: which env and which episodes."""

    env_id: str = "MTSQL-CoSQL-v0"
    """Gymnasium id: ``MTSQL-CoSQL-v0`` or ``MTSQL-SParC-v0``."""
    env: dict[str, Any] = Field(default_factory=dict)
    """``gym.make`` keywords of the env (``data_dir``, ``split``, ``mode``, ``reward``, ...)."""
    episodes: list[dict[str, Any]] | None = None
    """Reset rows (``dialogue_id``, plus ``turn`` in turn mode); None = every episode of the split."""


class MTSQLData(vf.TaskData):
    episode: dict[str, Any]
    """The reset row the env replays this task from."""


class MTSQLTask(vf.Task[MTSQLData, vf.State, vf.TaskConfig]):
    @property
    def key(self) -> str:
        return "/".join(str(v) for v in self.data.episode.values())


class MTSQLTaskset(vf.Taskset[MTSQLTask, MTSQLTasksetConfig]):
    def load(self) -> Iterator[MTSQLTask]:
        episodes = self.config.episodes
        if episodes is None:
            session = EnvSession(self.config.env_id, **self.config.env)
            env = session.env.unwrapped
            dialogues = env.dataset.dialogues
            turn_mode = env.config.mode == "turn"
            episodes = [
                {"dialogue_id": d.dialogue_id, **({"turn": t} if turn_mode else {})}
                for d in dialogues
                for t in (range(len(d.turns)) if turn_mode else [0])
            ]
            session.close()
        for episode in episodes:
            name = "/".join(str(v) for v in episode.values())
            # No prompt: the env opens the conversation with its first observation.
            yield MTSQLTask(MTSQLData(name=name, prompt=None, episode=dict(episode)), self.config.task)


class MTSQLEnvConfig(vf.EnvConfig):
    # The plain chat harness: the model only writes replies; the env runs the SQL host-side.
    player: vf.AgentConfig = vf.AgentConfig.model_validate({"harness": {"id": "null"}})


class MTSQLVerifiersEnv(vf.Env[MTSQLEnvConfig]):
    """One rollout = one env episode; the model's replies are the actions, the env's feedback the user turns."""

    async def run(self, task: MTSQLTask, agents: vf.Agents) -> None:
        config = self.taskset.config
        session = await asyncio.to_thread(EnvSession, config.env_id, **config.env)
        try:
            observation = await asyncio.to_thread(session.reset, task.data.episode)
            async with agents.player.interaction(task) as interaction:
                segment = await interaction.turn(observation)
                while not segment.terminated:
                    observation, record = await asyncio.to_thread(session.step, segment.last_reply)
                    if record.done:
                        break  # episode over: end the exchange
                    segment = await interaction.turn(observation)
                # Scored before the exchange closes, so the finished rollout reports it.
                trace = interaction.trace
                trace.record_reward("mtsql_reward", session.reward)
                trace.record_metrics(session.metrics())
                trace.info["mtsql_steps"] = [record.to_dict() for record in session.steps]
        finally:
            session.close()


def load_environment(player: dict[str, Any] | None = None, **taskset: Any) -> MTSQLVerifiersEnv:
    """The env through verifiers' own loader; keywords are `MTSQLTasksetConfig` fields, ``player`` the
    agent's `vf.AgentConfig` overrides (e.g. ``{"runtime": {"type": "subprocess"}}`` to run locally).

    Example: ``load_environment(env={"data_dir": "sample", "split": "dev"}, episodes=[{"dialogue_id": "dev-0000"}])``
    """
    data: dict[str, Any] = {"taskset": {"id": TASKSET_ID, **taskset}}
    if player is not None:
        data["player"] = player
    config = vf.resolve_env_config(data)
    return vf.load_environment(config)
