"""Step a batch of environments at once, in threads, so a batch waits for its slowest query, not their sum.

SQLite releases the GIL while a statement runs, and each `SQLiteExecutor` keeps one connection per thread,
so envs stepped from different threads run their SQL in parallel (up to the number of cores), and a runaway
query that ends at the time limit no longer stalls every step queued behind it. The Python part of a step
(parsing, scoring) still holds the GIL: threads help exactly as much as a batch's time is SQL.

- `EnvStepPool`: ``pool.step(envs, actions)`` for the batched paths that hold a list of envs (the rollout
  collector behind GRPO's ``rollout_func``, the Ray pool's actors).
- `ThreadedVectorEnv`: a Gymnasium `SyncVectorEnv` whose sub-envs step in threads, for
  `mtsql_agents.vector_runner.run_vector` (``make_threaded_vec`` builds one from an env id).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import iterate

__all__ = ["EnvStepPool", "ThreadedVectorEnv", "default_workers", "make_threaded_vec"]


def default_workers(batch: int) -> int:
    """Threads for a batch: one per env up to 4 per core (a timed-out query mostly waits on its deadline)."""
    return max(1, min(batch, 4 * (os.cpu_count() or 1), 64))


class EnvStepPool:
    """A thread pool that steps many envs at once; results come back in the envs' order.

    Each env must be stepped by one caller at a time (true of a batch: one action per env).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    def map(self, fn: Callable[..., Any], *iterables: Sequence[Any]) -> list[Any]:
        """``[fn(*args) ...]`` computed in threads (a batch of one runs inline)."""
        batches = [list(items) for items in iterables]
        if len(batches[0]) <= 1 or self.max_workers == 1:
            return [fn(*args) for args in zip(*batches)]
        if self._pool is None:
            workers = self.max_workers or default_workers(len(batches[0]))
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="mtsql-step")
        return list(self._pool.map(fn, *batches))

    def step(
        self, envs: Sequence[gym.Env], actions: Sequence[Any]
    ) -> list[tuple[Any, float, bool, bool, dict]]:
        """``[env.step(action) ...]`` for the whole batch at once."""
        return self.map(lambda env, action: env.step(action), envs, actions)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class _Prefetched(gym.Wrapper):
    """Hands `SyncVectorEnv` a step result that a thread has already computed (or steps inline)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.pending: Future | None = None

    def step(self, action: Any) -> Any:
        pending, self.pending = self.pending, None
        return pending.result() if pending is not None else self.env.step(action)


class ThreadedVectorEnv(SyncVectorEnv):
    """`SyncVectorEnv` with the sub-envs' ``step`` run in threads; everything else (autoreset, infos,
    ``reset_mask``) is Gymnasium's own code, so it behaves exactly like ``SyncVectorEnv``.

    Args:
        env_fns: functions that each build one env.
        max_workers: threads (default: `default_workers` of the number of envs).
        **kwargs: `SyncVectorEnv` keywords (``autoreset_mode``, ``copy``, ...).
    """

    def __init__(
        self, env_fns: Sequence[Callable[[], gym.Env]], max_workers: int | None = None, **kwargs: Any
    ):
        super().__init__([lambda fn=fn: _Prefetched(fn()) for fn in env_fns], **kwargs)
        self._pool = ThreadPoolExecutor(
            max_workers or default_workers(self.num_envs), thread_name_prefix="mtsql-vec"
        )

    def step(self, actions: Any) -> Any:
        for index, action in enumerate(iterate(self.action_space, actions)):
            if self.autoreset_mode is AutoresetMode.NEXT_STEP and self._autoreset_envs[index]:
                continue  # this sub-env is reset, not stepped, by SyncVectorEnv.step
            env = self.envs[index]
            env.pending = self._pool.submit(env.env.step, action)
        return super().step(actions)

    def close_extras(self, **kwargs: Any) -> None:
        self._pool.shutdown(wait=True)
        super().close_extras(**kwargs)


def make_threaded_vec(
    env_id: str, num_envs: int, *, max_workers: int | None = None, **env_kwargs: Any
) -> ThreadedVectorEnv:
    """``gym.make_vec(env_id, num_envs, vectorization_mode="sync", ...)``, but with threaded steps.

    Example:
        >>> envs = make_threaded_vec("MTSQL-CoSQL-v0", 2, data_dir="sample")
        >>> observations, infos = envs.reset(seed=0)
        >>> len(observations), envs.num_envs
        (2, 2)
        >>> envs.close()
    """
    import mtsql_env  # noqa: F401 - registers the ids

    return ThreadedVectorEnv([lambda: gym.make(env_id, **env_kwargs)] * num_envs, max_workers=max_workers)
