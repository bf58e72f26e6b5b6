"""The Ray actor pool, on a local two-CPU Ray: the env's own rewards, and a killed actor loses only its sessions."""

from __future__ import annotations

import gymnasium as gym
import pytest

ray = pytest.importorskip("ray")

from test_serve_concurrency import ENV_KWARGS, play_in_process

from mtsql_agents.runner import run_agent, run_episode
from mtsql_agents.scripted import OracleAgent
from mtsql_agents.vector_runner import run_vector
from mtsql_env.integrations.ray_pool import RayEnvPool, SessionLost

pytestmark = pytest.mark.slow  # starting Ray and its actors takes ~20-40 s here


@pytest.fixture(scope="module")
def pool():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    pool = RayEnvPool("MTSQL-CoSQL-v0", num_workers=2, **ENV_KWARGS)
    yield pool
    pool.close()
    ray.shutdown()


def test_pool_rewards_equal_in_process_play(pool):
    local = gym.make("MTSQL-CoSQL-v0", **ENV_KWARGS)
    expected = run_agent(local, OracleAgent(), 8, progress=False)
    remote = run_vector(pool.vector_env(4), OracleAgent(), 8, progress=False)
    assert remote.turns == expected.turns and remote.summary == expected.summary


def test_a_killed_actor_loses_only_its_sessions(pool):
    local = gym.make("MTSQL-CoSQL-v0", **ENV_KWARGS)
    sessions = [pool.session() for _ in range(4)]  # two per actor (least-loaded placement)
    agents = [OracleAgent() for _ in sessions]
    states = []
    for index, (session, agent) in enumerate(zip(sessions, agents)):
        observation, info = session.reset(options={"index": index})
        agent.reset(observation, info)
        states.append(session.step(agent.act(observation, info)))
    victim = sessions[0]._where[2]
    ray.kill(victim)
    on_victim = [s for s in sessions if s._where[2] is victim]
    survivors = [i for i, s in enumerate(sessions) if s._where[2] is not victim]
    assert len(on_victim) == 2 and len(survivors) == 2
    for session in on_victim:
        with pytest.raises(SessionLost, match="reset"):
            session.step("<answer/>")
        with pytest.raises(SessionLost):  # stays lost until reset
            session.step("<answer/>")
    assert pool.replaced == 1 and victim not in pool.workers
    for index in survivors:  # the other sessions play on as if nothing happened
        observation, reward, terminated, truncated, info = states[index]
        rewards = [reward]
        while not (terminated or truncated):
            observation, reward, terminated, truncated, info = sessions[index].step(
                agents[index].act(observation, info)
            )
            rewards.append(reward)
        assert rewards == [reward for reward, _ in play_in_process(index)]
    lost = on_victim[0]  # a reset starts over on a live actor
    assert run_episode(lost, OracleAgent(), options={"index": 5}) == run_episode(
        local, OracleAgent(), options={"index": 5}
    )


def test_server_sessions_on_the_ray_pool(pool):
    pytest.importorskip("openenv")
    import asyncio

    from test_serve import play_remote

    from mtsql_env.integrations.openenv_server import ServerConfig, running_server

    with running_server(ServerConfig(env_kwargs=ENV_KWARGS, port=0, ray_workers=2)) as url:

        async def sessions():
            return await asyncio.gather(*(play_remote(url, i) for i in range(6)))

        remote = asyncio.run(sessions())
    assert remote == [play_in_process(i) for i in range(6)]
