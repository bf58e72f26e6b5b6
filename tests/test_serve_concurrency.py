"""Concurrent SQL in the batched paths: same results as stepping one by one, and a timeout stalls no one else."""

from __future__ import annotations

import asyncio
import time

import gymnasium as gym
import pytest
from conftest import REAL_DATA_DIR, REAL_RELEASE

from mtsql_agents.scripted import OracleAgent
from mtsql_agents.vector_runner import run_vector
from mtsql_env.parallel import EnvStepPool, make_threaded_vec
from mtsql_trainers.environment import AsyncMTSQLToolEnv, MTSQLToolEnv

ENV_KWARGS = {"data_dir": "sample", "expose_gold": True}


def play_in_process(index: int) -> list[tuple[float, dict]]:
    """The oracle's (reward, components) per step of sample episode ``index``, in process (shared by the serve/Ray tests)."""
    env = gym.make("MTSQL-CoSQL-v0", **ENV_KWARGS)
    agent = OracleAgent()
    observation, info = env.reset(options={"index": index})
    agent.reset(observation, info)
    steps, done = [], False
    while not done:
        observation, reward, terminated, truncated, info = env.step(agent.act(observation, info))
        steps.append((reward, info["reward_components"]))
        done = terminated or truncated
    env.close()
    return steps


RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def _turn_envs(n: int, **kwargs) -> list[gym.Env]:
    envs = [gym.make("MTSQL-CoSQL-v0", mode="turn", **kwargs) for _ in range(n)]
    for index, env in enumerate(envs):
        env.reset(options={"index": index})
    return envs


def test_threaded_vector_env_plays_like_sync_vector_env():
    kwargs = {"data_dir": "sample", "expose_gold": True}
    sync = gym.make_vec("MTSQL-CoSQL-v0", num_envs=4, vectorization_mode="sync", **kwargs)
    threaded = make_threaded_vec("MTSQL-CoSQL-v0", 4, **kwargs)
    expected = run_vector(sync, OracleAgent(), 12, progress=False)
    got = run_vector(threaded, OracleAgent(), 12, progress=False)
    sync.close()
    threaded.close()
    assert got.turns == expected.turns and len(got.turns) > 12
    assert got.summary == expected.summary and got.summary["EX"] == 1.0


def test_a_timeout_in_one_thread_does_not_stall_the_others():
    envs = _turn_envs(8, data_dir="sample", query_timeout_s=1.0)
    sqls = [RUNAWAY] + ["SELECT count(*) FROM sqlite_master"] * 7
    start = time.perf_counter()

    def timed_step(env, sql):
        result = env.step({"kind": "execute", "sql": sql})
        return result, time.perf_counter() - start

    pool = EnvStepPool(max_workers=8)
    results = pool.map(timed_step, envs, sqls)
    pool.close()
    (slow, slow_s), fast = results[0], results[1:]
    assert slow[4]["execution"]["error"] == "timeout" and slow_s >= 0.9
    assert all(r[4]["execution"]["status"] == "ok" for r, _ in fast)
    assert max(t for _, t in fast) < 0.6 * slow_s  # done while the runaway query was still running


@pytest.mark.realdata
def test_concurrent_steps_equal_sequential_steps_on_cosql_dev():
    if not (REAL_RELEASE / "tables.json").is_file():
        pytest.skip("real CoSQL data not found")
    kwargs = {"data_dir": str(REAL_DATA_DIR), "split": "dev", "skip_missing_databases": True}
    sequential, concurrent = _turn_envs(24, **kwargs), _turn_envs(24, **kwargs)
    golds = [env.unwrapped._gold_sql for env in sequential]
    actions = [{"kind": "execute", "sql": sql} for sql in golds] + [
        {"kind": "propose", "sql": sql} for sql in golds
    ]
    for batch in (actions[:24], actions[24:], [{"kind": "answer"}] * 24):
        expected = [env.step(action) for env, action in zip(sequential, batch)]
        got = EnvStepPool(max_workers=8).step(concurrent, batch)
        assert got == expected


def test_async_tools_match_sync_tools_and_keep_each_envs_order():
    def calls(env):
        return [
            env.propose("SELECT name, city FROM branch"),
            env.execute(),
            env.verify("execution", "pass"),
            env.answer(),
        ]

    sync_envs = [MTSQLToolEnv(data_dir="sample", split="train") for _ in range(3)]
    async_envs = [AsyncMTSQLToolEnv(data_dir="sample", split="train") for _ in range(3)]
    for env in sync_envs + async_envs:
        env.reset(dialogue_id="train-0000", turn=0)
    expected = [calls(env) for env in sync_envs]

    async def gathered():  # every call of every env at once, as a batch-wide gather would issue them
        return await asyncio.gather(*(asyncio.gather(*calls(env)) for env in async_envs))

    got = asyncio.run(gathered())
    assert [list(g) for g in got] == expected
    assert (
        [e.get_reward() for e in async_envs]
        == [e.get_reward() for e in sync_envs]
        == [pytest.approx(2.9)] * 3
    )
    assert asyncio.iscoroutinefunction(AsyncMTSQLToolEnv.execute) and AsyncMTSQLToolEnv.execute.__doc__
