"""mtsql: multi-turn Text-to-SQL (CoSQL, SParC) as a Gymnasium environment.

Importing this package registers ``MTSQL-CoSQL-v0`` and ``MTSQL-SParC-v0`` (also reachable as
``gym.make("mtsql_env:MTSQL-CoSQL-v0")`` without a prior import). It imports no third-party package itself:
when gymnasium is already loaded the ids are registered at once, otherwise right after gymnasium's registry
module is first imported (a post-import hook on ``sys.meta_path``). So ``import mtsql_env`` followed by
``gym.make("MTSQL-CoSQL-v0")`` works, while ``mtsql evaluate``, which never needs gymnasium, numpy or pandas,
does not pay for importing them. The environment module itself loads on first use.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

__all__ = ["DISTRIBUTION", "ENV_IDS", "Action", "EnvConfig", "MTSQLEnv", "RewardConfig", "install_hint"]

#: The name on the package registry (``mtsql`` there is an unrelated project); the command stays ``mtsql``.
DISTRIBUTION = "mtsql-gym"

ENV_IDS = ("MTSQL-CoSQL-v0", "MTSQL-SParC-v0")
_REGISTRY_MODULE = "gymnasium.envs.registration"


def _register_envs() -> None:
    from gymnasium.envs.registration import register, registry

    # The per-turn step limit belongs to the env (it knows where turns end); no max_episode_steps here.
    for env_id, benchmark in zip(ENV_IDS, ("cosql", "sparc")):
        if env_id not in registry:
            register(id=env_id, entry_point="mtsql_env.env:MTSQLEnv", kwargs={"benchmark": benchmark})


class _RegisterAfterGymnasium:
    """A ``sys.meta_path`` finder that finds nothing itself: when gymnasium's registry module is being imported,
    it wraps that module's loader so the MTSQL ids are registered as soon as the module has run, then leaves.

    (Duck-typed rather than an ``importlib.abc.MetaPathFinder``: importing ``importlib.abc`` costs more than
    everything else ``import mtsql_env`` does.)"""

    def find_spec(self, fullname, path, target=None):
        if fullname != _REGISTRY_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = next(
            (
                found
                for finder in sys.meta_path
                if (found := finder.find_spec(fullname, path, target)) is not None
            ),
            None,
        )
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module) -> None:
            run_module(module)
            _register_envs()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if _REGISTRY_MODULE in sys.modules:
    _register_envs()
elif not any(isinstance(finder, _RegisterAfterGymnasium) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterGymnasium())


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
