"""The mtsql environment as a SkyRL-Gym ``BaseTextEnv``, registered as ``mtsql-cosql`` and ``mtsql-sparc``.

SkyRL's generator makes one env per trajectory with ``skyrl_gym.make(env_class, env_config=..., extras=row)``,
calls ``init(prompt)``, then ``step(model_reply)`` until ``done``. Here ``env_config`` holds the ``gym.make``
keywords of `mtsql_env.MTSQLEnv` (``data_dir``, ``split``, ``mode``, ``reward``, ...) and the row's extras
(top level or under ``extra_info``) name the episode: ``dialogue_id`` (plus ``turn`` in turn mode), ``index``
or ``seed``. Each step returns the env's own step reward, and its weighted components in ``metadata``, so a
trainer can assign credit turn by turn (SkyRL's step-wise trajectories); ``get_metrics`` gives the totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .steps import EnvSession, missing_framework

try:
    from skyrl_gym.envs.base_text_env import (
        BaseTextEnv,
        BaseTextEnvStepOutput,
        ConversationType,
    )
    from skyrl_gym.envs.registration import register, registry
except ImportError as err:
    raise missing_framework("skyrl-gym==0.4.0", "skyrl") from err

__all__ = ["SKYRL_ENV_IDS", "MTSQLTextEnv"]

#: SkyRL env id -> the Gymnasium id it plays.
SKYRL_ENV_IDS = {"mtsql-cosql": "MTSQL-CoSQL-v0", "mtsql-sparc": "MTSQL-SParC-v0"}


def _plain(config: Any) -> dict[str, Any]:
    """An OmegaConf ``DictConfig`` (what SkyRL passes) or a mapping, as a plain dict."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        from omegaconf import OmegaConf

        return dict(OmegaConf.to_container(config, resolve=True))
    return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in config.items()}


class MTSQLTextEnv(BaseTextEnv):
    """One trajectory: a text-in/text-out episode of `mtsql_env.MTSQLEnv` (tag-grammar or JSON tool-call replies).

    Args:
        env_config: ``gym.make`` keywords for the env (a dict or SkyRL's ``DictConfig``).
        extras: the dataset row's extra fields, naming the episode (see the module docstring).
        env_id: the Gymnasium id played (CoSQL or SParC); set by the registered SkyRL id.
    """

    def __init__(
        self,
        env_config: Any = None,
        extras: Mapping[str, Any] | None = None,
        env_id: str = "MTSQL-CoSQL-v0",
    ) -> None:
        super().__init__()
        config = _plain(env_config)
        config.pop("env_class", None)  # SkyRL's own key in the per-env config
        env_id = config.pop("env_id", env_id)
        extras = dict(extras or {})
        self.episode = {**_plain(extras.get("extra_info")), **extras}
        self.max_turns = int(extras.get("max_turns") or 0)  # SkyRL's cap; the env has its own per-turn limit
        self.session = EnvSession(env_id, **config)

    def init(self, prompt: ConversationType) -> tuple[ConversationType, dict[str, Any]]:
        """Reset to the row's episode. A row's own prompt is kept (build it from this same observation);
        an empty prompt is replaced by the env's first observation as a user message."""
        observation = self.session.reset(self.episode)
        info = self.session.info
        metadata = {k: info[k] for k in ("dialogue_id", "db_id", "turn_index", "num_turns")}
        if prompt:
            return prompt, metadata
        return [{"role": "user", "content": observation}], metadata

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        observation, record = self.session.step(action)
        return BaseTextEnvStepOutput(
            observations=[] if record.done else [{"role": "user", "content": observation}],
            reward=record.reward,
            done=record.done,
            metadata=record.to_dict(),
            postprocessed_action=None,
        )

    def get_metrics(self) -> dict[str, Any]:
        """Episode totals: each reward component, the reward, steps, format errors, EX/EM over answered turns."""
        return self.session.metrics()

    def close(self) -> None:
        self.session.close()


for _skyrl_id, _gym_id in SKYRL_ENV_IDS.items():
    if _skyrl_id not in registry:
        register(
            id=_skyrl_id,
            entry_point=f"{__name__}:MTSQLTextEnv",
            kwargs={"env_id": _gym_id},
        )
