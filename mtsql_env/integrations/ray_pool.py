"""A Ray actor pool of environments, so rollouts on many nodes share env workers (``pip install "ray==2.60.0"``).

`RayEnvPool` starts ``num_workers`` actors; each holds many sessions (one `MTSQLEnv` each) and runs their
steps in its own threads (a threaded actor), so a batch's SQL overlaps inside an actor and across actors.
`RayEnvPool.session` returns a `RayEnvSession`, a `gymnasium.Env` whose reset/step run on one actor: it plugs
into `mtsql_agents.runner.run_agent`, into `mtsql_env.parallel.ThreadedVectorEnv` (`RayEnvPool.vector_env`, for
`mtsql_agents.vector_runner.run_vector`) and into `mtsql serve` (`create_server_app(..., env_factory=...)`).

When an actor dies (node lost, OOM, ``ray.kill``), the pool starts a replacement at once; the sessions it held
are lost, not replayed: their next ``step`` raises `SessionLost` (an episode is not replayed behind the
caller's back, since its actions came from a policy that may not repeat them), and a ``reset`` on the same
handle starts a fresh episode on a live actor. Sessions on other actors never notice.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

import gymnasium as gym
import ray
from ray.exceptions import RayActorError

from mtsql_env.parallel import ThreadedVectorEnv

logger = logging.getLogger(__name__)

__all__ = ["RayEnvPool", "RayEnvSession", "SessionLost"]


class SessionLost(RuntimeError):
    """The actor holding this session died; ``reset()`` starts a new episode on a live actor."""


class _EnvWorker:
    """One actor: many sessions, each its own env, stepped from the actor's threads."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any]) -> None:
        import mtsql_env  # noqa: F401 - registers the ids

        self._env_id, self._env_kwargs = env_id, env_kwargs
        self._envs: dict[int, gym.Env] = {}
        self._lock = threading.Lock()

    def describe(self) -> tuple[gym.Space, gym.Space, int]:
        env = gym.make(self._env_id, **self._env_kwargs)
        env.close()
        return env.observation_space, env.action_space, env.unwrapped.num_episodes

    def reset(self, session: int, seed: int | None, options: dict | None) -> tuple[str, dict]:
        with self._lock:
            env = self._envs.get(session)
        if env is None:
            env = gym.make(self._env_id, **self._env_kwargs)
            with self._lock:
                self._envs[session] = env
        return env.reset(seed=seed, options=options)

    def step(self, session: int, action: Any) -> tuple[str, float, bool, bool, dict]:
        with self._lock:
            env = self._envs.get(session)
        if env is None:
            raise KeyError(f"no session {session} on this worker; reset first")
        return env.step(action)

    def close(self, session: int) -> None:
        with self._lock:
            env = self._envs.pop(session, None)
        if env is not None:
            env.close()

    def num_sessions(self) -> int:
        return len(self._envs)


class RayEnvPool:
    """``num_workers`` env actors; sessions go to the actor holding the fewest.

    Args:
        env_id: ``"MTSQL-CoSQL-v0"`` or ``"MTSQL-SParC-v0"``.
        num_workers: actors to start (anywhere in the Ray cluster; ``ray.init`` first, or it starts a local one).
        threads_per_worker: steps one actor runs at once (Ray's ``max_concurrency``).
        num_cpus: CPUs Ray reserves per actor (fractions allowed: an actor mostly waits on SQLite).
        **env_kwargs: ``gym.make`` keywords; data paths must exist on the nodes the actors run on.
    """

    def __init__(
        self,
        env_id: str = "MTSQL-CoSQL-v0",
        num_workers: int = 2,
        *,
        threads_per_worker: int = 16,
        num_cpus: float = 0.5,
        **env_kwargs: Any,
    ) -> None:
        if num_workers < 1:
            raise ValueError(f"num_workers must be at least 1, not {num_workers}")
        self._actor_cls = ray.remote(_EnvWorker).options(
            max_concurrency=threads_per_worker, num_cpus=num_cpus
        )
        self._env_id, self._env_kwargs = env_id, env_kwargs
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self.workers: list[Any] = [self._start() for _ in range(num_workers)]
        self._load = [0] * num_workers
        self.observation_space, self.action_space, self.num_episodes = ray.get(
            self.workers[0].describe.remote()
        )
        self.replaced = 0

    def _start(self) -> Any:
        return self._actor_cls.remote(self._env_id, self._env_kwargs)

    def session(self) -> RayEnvSession:
        """A new session handle (the env is built on its actor at the first ``reset``)."""
        return RayEnvSession(self)

    def vector_env(self, num_envs: int, **kwargs: Any) -> ThreadedVectorEnv:
        """``num_envs`` sessions as one vector env whose sub-envs step at once (for ``run_vector``)."""
        return ThreadedVectorEnv([self.session] * num_envs, **kwargs)

    def _assign(self) -> tuple[int, int, Any]:
        with self._lock:
            index = min(range(len(self.workers)), key=self._load.__getitem__)
            self._load[index] += 1
            return next(self._ids), index, self.workers[index]

    def _release(self, index: int, worker: Any) -> None:
        with self._lock:
            if self.workers[index] is worker:
                self._load[index] -= 1

    def _replace(self, index: int, dead: Any) -> None:
        """Start a new actor in place of ``dead`` (once, however many sessions notice)."""
        with self._lock:
            if self.workers[index] is not dead:
                return
            logger.warning("env worker %d died; starting a replacement", index)
            self.workers[index] = self._start()
            self._load[index] = 0
            self.replaced += 1

    def close(self) -> None:
        for worker in self.workers:
            ray.kill(worker)
        self.workers = []


class RayEnvSession(gym.Env):
    """One episode at a time on one actor of a `RayEnvPool`; the Gymnasium API, the env's own results."""

    def __init__(self, pool: RayEnvPool) -> None:
        self._pool = pool
        self.observation_space, self.action_space = pool.observation_space, pool.action_space
        self.num_episodes = pool.num_episodes  # what the runners read to know how many episodes there are
        self._where: tuple[int, int, Any] | None = None
        self._lost = False

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        if self._where is None or self._lost:
            self._where, self._lost = self._pool._assign(), False
        return self._call("reset", seed, options)

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if self._lost:
            raise SessionLost("this session's env worker died; call reset() to start a new episode")
        if self._where is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        return self._call("step", action)

    def close(self) -> None:
        if self._where is not None and not self._lost:
            session, index, worker = self._where
            try:
                ray.get(worker.close.remote(session))
            except RayActorError:
                pass
            self._pool._release(index, worker)
        self._where = None

    def _call(self, method: str, *args: Any) -> Any:
        session, index, worker = self._where
        try:
            return ray.get(getattr(worker, method).remote(session, *args))
        except RayActorError as err:
            self._lost = True
            self._pool._replace(index, worker)
            raise SessionLost(
                f"the env worker holding this session died ({type(err).__name__}); call reset() for a new episode"
            ) from err
