"""mtsql: multi-turn Text-to-SQL (CoSQL, SParC) as a Gymnasium environment.

Importing this package registers ``MTSQL-CoSQL-v0`` and ``MTSQL-SParC-v0`` (also reachable as
``gym.make("mtsql_env:MTSQL-CoSQL-v0")`` without a prior import). It imports only light dependencies
(gymnasium, numpy, sqlglot, sqlite3), never torch; the environment module itself loads on first use.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

__all__ = ["ENV_IDS", "MTSQLEnv", "EnvConfig", "RewardConfig", "Action", "DISTRIBUTION", "install_hint"]

#: The name on the package registry (``mtsql`` there is an unrelated project); the command stays ``mtsql``.
DISTRIBUTION = "mtsql-gym"

ENV_IDS = ("MTSQL-CoSQL-v0", "MTSQL-SParC-v0")

# The per-turn step limit belongs to the env (it knows where turns end); no max_episode_steps here.
for _env_id, _benchmark in zip(ENV_IDS, ("cosql", "sparc")):
    if _env_id not in registry:
        register(id=_env_id, entry_point="mtsql_env.env:MTSQLEnv", kwargs={"benchmark": _benchmark})


def install_hint(extra: str) -> str:
    """How to get an optional extra, for a release and for a clone (one wording for every error message).

    >>> install_hint("plots")
    'pip install "mtsql-gym[plots]" (from a clone: pip install -e ".[plots]")'
    """
    return f'pip install "{DISTRIBUTION}[{extra}]" (from a clone: pip install -e ".[{extra}]")'


def __getattr__(name: str):  # PEP 562: keep `import mtsql_env` light
    if name == "MTSQLEnv":
        from .env import MTSQLEnv

        return MTSQLEnv
    if name == "EnvConfig":
        from .config import EnvConfig

        return EnvConfig
    if name == "RewardConfig":
        from .rewards import RewardConfig

        return RewardConfig
    if name == "Action":
        from .actions import Action

        return Action
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
