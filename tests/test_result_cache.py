"""The shared query-result cache: what it reuses, what it never does, and that the env scores the same with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401
from mtsql_agents import NoisyCorrectingAgent, OracleAgent
from mtsql_env.executor import ErrorKind, ExecutorConfig, SQLiteExecutor
from mtsql_env.result_cache import ResultCache

COUNT_ROWS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) SELECT x FROM c"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE t(x INTEGER, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');"
    )
    conn.close()
    return path


def _executor(cache: ResultCache, **config) -> SQLiteExecutor:
    return SQLiteExecutor(ExecutorConfig(**config), cache=cache)


def test_repeat_is_answered_from_the_cache_across_executors(db: Path) -> None:
    cache = ResultCache()
    first = _executor(cache).execute(db, "SELECT x FROM t ORDER BY x")
    second = _executor(cache).execute(str(db), "SELECT x FROM t ORDER BY x")  # another executor, str path
    assert second is first and first.rows == ((1,), (2,), (3,))
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)


def test_errors_are_cached_but_timeouts_are_not(db: Path) -> None:
    cache = ResultCache()
    executor = _executor(cache, timeout_s=0.05)
    assert executor.execute(db, "SELECT nope FROM t").error is ErrorKind.UNKNOWN_COLUMN
    assert executor.execute(db, "SELECT nope FROM t").error is ErrorKind.UNKNOWN_COLUMN
    assert cache.hits == 1
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    assert executor.execute(db, endless).error is ErrorKind.TIMEOUT
    assert executor.execute(db, endless).error is ErrorKind.TIMEOUT
    assert cache.hits == 1 and len(cache) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT random() FROM t",
        "SELECT x, RANDOMBLOB (4) FROM t",
        "SELECT date('now')",
        "SELECT current_timestamp",
    ],
)
def test_nondeterministic_sql_always_runs(db: Path, sql: str) -> None:
    cache = ResultCache()
    executor = _executor(cache)
    executor.execute(db, sql)
    executor.execute(db, sql)
    assert len(cache) == 0 and cache.hits == 0


def test_complete_result_serves_larger_caps_and_a_cut_one_only_its_own(db: Path) -> None:
    cache = ResultCache()
    small, large = _executor(cache, max_rows=10), _executor(cache, max_rows=1000)
    cut = small.execute(db, COUNT_ROWS)
    assert cut.truncated and len(cut.rows) == 10
    assert small.execute(db, COUNT_ROWS) is cut  # same caps: reused
    whole = large.execute(db, COUNT_ROWS)
    assert not whole.truncated and len(whole.rows) == 50  # a cut result never answers larger caps
    assert large.execute(db, COUNT_ROWS) is whole
    assert _executor(cache, max_rows=100).execute(db, COUNT_ROWS) is whole  # complete and fits
    again = small.execute(db, COUNT_ROWS)  # complete but too long for 10 rows: run again, cut
    assert again.truncated and again.rows == cut.rows


def test_changed_file_is_not_served_stale_rows(db: Path) -> None:
    cache = ResultCache()
    executor = _executor(cache)
    assert executor.execute(db, "SELECT count(*) FROM t").rows == ((3,),)
    conn = sqlite3.connect(db)
    conn.executescript("INSERT INTO t VALUES (4, 'dddddddd');")
    conn.close()
    assert executor.execute(db, "SELECT count(*) FROM t").rows == ((4,),)


def test_least_recently_used_results_leave_within_the_byte_budget(db: Path) -> None:
    cache = ResultCache(max_bytes=1500)
    executor = _executor(cache)
    queries = [f"SELECT x + {i} FROM t" for i in range(10)]
    for sql in queries:
        executor.execute(db, sql)
        executor.execute(db, queries[0])  # keep the first one recently used
    assert cache.size_bytes <= 1500 and 1 < len(cache) < 10
    hits = cache.hits
    executor.execute(db, queries[0])
    assert cache.hits == hits + 1
    executor.execute(db, queries[1])  # long evicted
    assert cache.hits == hits + 1
    with pytest.raises(ValueError, match="max_bytes"):
        ResultCache(max_bytes=0)


def _play(env: gym.Env, agent, seed: int) -> list[tuple]:
    observation, info = env.reset(seed=seed)
    agent.reset(observation, info)
    steps, done = [], False
    while not done:
        observation, reward, terminated, truncated, info = env.step(agent.act(observation, info))
        steps.append((observation, reward, info))
        done = terminated or truncated
    return steps


@pytest.mark.parametrize("agent", [OracleAgent, NoisyCorrectingAgent])
def test_env_scores_identically_with_and_without_the_cache(agent) -> None:
    """Same observations, rewards and infos; with the cache the gold scored at answer is not run again."""
    runs = {}
    for megabytes in (0.0, 64.0):
        env = gym.make(
            "MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True, reward="process", result_cache_mb=megabytes
        )
        player = agent()
        runs[megabytes] = [_play(env, player, seed) for seed in range(8)]
        cache = env.unwrapped._executor.cache
        assert (cache is None) if not megabytes else cache.hits > 0
        env.close()
    assert runs[0.0] == runs[64.0]


def test_pickled_cache_arrives_empty_with_its_budget(db: Path) -> None:
    import pickle

    cache = ResultCache(max_bytes=10_000)
    _executor(cache).execute(db, "SELECT 1")
    clone = pickle.loads(pickle.dumps(cache))
    assert (clone.max_bytes, len(clone), len(cache)) == (10_000, 0, 1)
    assert _executor(clone).execute(db, "SELECT 2").rows == ((2,),)


def test_forked_child_uses_the_cache_even_if_its_lock_was_held_at_the_fork(db: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    executor = _executor(ResultCache())
    executor.execute(db, "SELECT count(*) FROM t")
    hits = context.Queue()
    with executor.cache._lock:  # as if another thread were inside the cache when the process forks
        child = context.Process(
            target=_hits_in_child, args=(executor, str(db), hits)
        )  # inherited, not pickled
        child.start()
    child.join(timeout=10)
    if child.exitcode is None:  # stuck on the inherited lock
        child.kill()
    assert child.exitcode == 0 and hits.get(timeout=5) == (1, 1)  # the parent's miss, then its own hit


def _hits_in_child(executor: SQLiteExecutor, db: str, hits) -> None:
    executor.execute(db, "SELECT count(*) FROM t")
    hits.put((executor.cache.hits, executor.cache.misses))
