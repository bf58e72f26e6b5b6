"""`mtsql serve` for real on loopback: OpenEnv's server, OpenEnv's clients, the oracle over the bundled sample."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("openenv")
websockets = pytest.importorskip("websockets")

from openenv.core.generic_client import GenericEnvClient
from test_serve_concurrency import ENV_KWARGS, play_in_process

from mtsql_agents.scripted import OracleAgent
from mtsql_env.integrations.openenv_server import (
    MTSQLAction,
    MTSQLEnvClient,
    ServerConfig,
    running_server,
)

NUM_EPISODES = 44  # the sample's dev dialogues


async def play_remote(url: str, index: int) -> list[tuple[float, dict]]:
    agent = OracleAgent()
    async with MTSQLEnvClient(base_url=url) as env:
        result = await env.reset(index=index)
        agent.reset(result.observation.text, result.observation.metadata)
        steps = []
        while not result.done:
            action = agent.act(result.observation.text, result.observation.metadata)
            result = await env.step(MTSQLAction.of(action))
            steps.append((result.reward, result.observation.metadata["reward_components"]))
    return steps


@pytest.fixture(scope="module")
def server_url():
    with running_server(
        ServerConfig(env_kwargs=ENV_KWARGS, port=0, max_sessions=64, max_request_bytes=4096)
    ) as url:
        yield url


def test_64_concurrent_sessions_match_in_process_play(server_url):
    indices = [i % NUM_EPISODES for i in range(64)]

    async def all_sessions():
        return await asyncio.gather(*(play_remote(server_url, i) for i in indices))

    remote = asyncio.run(all_sessions())
    expected = {i: play_in_process(i) for i in set(indices)}
    for index, steps in zip(indices, remote):
        assert steps == expected[index], f"episode {index} differs"
    assert (
        sum(r for steps in remote for r, _ in steps) > 64
    )  # the oracle earns reward; components came through
    assert all(set(c) >= {"exec_match", "exact_match", "generation"} for steps in remote for _, c in steps)


def test_generic_openenv_client_and_text_actions(server_url):
    with GenericEnvClient(base_url=server_url).sync() as env:
        result = env.reset(dialogue_id="dev-0001")
        assert result.observation["metadata"]["dialogue_id"] == "dev-0001"
        gold = result.observation["metadata"]["gold_sql"]
        result = env.step({"text": f"<propose>{gold}</propose>"})
        assert (
            result.reward == pytest.approx(0.8) and result.metadata["reward_components"]["generation"] == 0.8
        )
        result = env.step({"text": "no action here"})
        assert result.metadata["format_error"] and not result.done
        assert env.state()["step_count"] == 2


async def _exchange(url: str, messages: list[str]) -> list[dict]:
    async with websockets.connect(url + "/ws", max_size=2**24) as ws:
        replies = []
        for message in messages:
            await ws.send(message)
            replies.append(json.loads(await ws.recv()))
        return replies


def test_malformed_and_oversized_requests_get_errors_and_the_session_goes_on(server_url):
    reset = json.dumps({"type": "reset", "data": {"index": 0}})
    replies = asyncio.run(
        _exchange(
            server_url,
            [
                "{not json",
                json.dumps({"type": "teleport"}),
                reset,
                json.dumps({"type": "step", "data": {"txt": "typo in the field name"}}),
                json.dumps({"type": "step", "data": {"text": "a", "typed": {"kind": "answer"}}}),
                json.dumps({"type": "reset", "data": {"index": 10_000}}),
                json.dumps({"type": "step", "data": {"text": "x" * 10_000}}),
                json.dumps(
                    {"type": "step", "data": {"text": "<propose>SELECT count(*) FROM book</propose>"}}
                ),
            ],
        )
    )
    codes = [r["data"].get("code") if r["type"] == "error" else r["type"] for r in replies]
    assert codes == [
        "INVALID_JSON",
        "UNKNOWN_TYPE",
        "observation",
        "VALIDATION_ERROR",
        "VALIDATION_ERROR",
        "EXECUTION_ERROR",  # index out of range: the env's ValueError, as a reply
        "REQUEST_TOO_LARGE",
        "observation",
    ]
    assert "index must be in" in replies[5]["data"]["message"]
    assert replies[-1]["data"]["reward"] == pytest.approx(0.8)
    http = server_url.replace("ws://", "http://")
    request = urllib.request.Request(http + "/step", data=b"{" + b" " * 10_000 + b"}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 413
    with urllib.request.urlopen(http + "/health", timeout=10) as response:
        assert response.status == 200
    assert len(asyncio.run(play_remote(server_url, 3))) > 0  # still serving


def test_max_sessions_and_idle_timeout_are_enforced():
    config = ServerConfig(env_kwargs=ENV_KWARGS, port=0, max_sessions=2, idle_timeout_s=1.0)
    with running_server(config) as url:

        async def scenario():
            first, second = MTSQLEnvClient(base_url=url), MTSQLEnvClient(base_url=url)
            await first.reset(index=0)
            await second.reset(index=1)
            third = MTSQLEnvClient(base_url=url)
            with pytest.raises(RuntimeError, match="CAPACITY_REACHED"):
                await third.reset(index=2)
            await third.close()
            await second.close()  # frees a slot
            await asyncio.sleep(0.2)
            fourth = MTSQLEnvClient(base_url=url)
            await fourth.reset(index=2)
            # OpenEnv's reaper runs every max(timeout / 4, 5 s): after that, the idle sessions are closed.
            start = time.monotonic()
            await asyncio.sleep(6.5)
            with pytest.raises(RuntimeError, match="idle timeout"):
                await first.step(MTSQLAction(text="<answer/>"))
            assert time.monotonic() - start < 30
            fresh = [MTSQLEnvClient(base_url=url) for _ in range(2)]  # both slots were freed
            for client in fresh:
                await client.reset(index=0)
            for client in (first, fourth, *fresh):
                await client.close()

        asyncio.run(scenario())


def test_bad_server_config_fails_early():
    with pytest.raises(ValueError, match="max_sessions"):
        ServerConfig(max_sessions=0)
    with (
        pytest.raises(ValueError),
        running_server(ServerConfig(env_kwargs={"data_dir": "sample", "split": "x"}, port=0)),
    ):
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mtsql_serve_command_serves_and_reports_bad_options_in_one_line():
    port = _free_port()
    command = [sys.executable, "-m", "mtsql_env.cli", "serve", "--data-dir", "sample", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mtsql serve did not start"
                time.sleep(0.25)
        with GenericEnvClient(base_url=f"ws://127.0.0.1:{port}").sync() as env:
            result = env.reset(index=2)
            assert result.observation["metadata"]["gold_sql"] is None  # not exposed by default
            assert env.step({"text": "<execute>SELECT 1</execute>"}).metadata["execution"]["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtsql_env.cli",
            "serve",
            "--data-dir",
            "/no/such/folder",
            "--port",
            str(port),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "/no/such/folder" in bad.stderr
