"""`mtsql serve` against in-process play: steps/s and p50/p99 step latency at 1, 16 and 64 sessions.

The server runs in its own process (``mtsql serve`` on 127.0.0.1, bundled sample, the oracle's gold exposed);
N OpenEnv clients (`MTSQLEnvClient`, one asyncio loop) each play the oracle closed-loop, timing every step
from send to reply. In-process: N threads, each owning one env, play the same episodes the same way, timing
``env.step``. Overhead = remote minus in-process at the same N. Client and server share this machine's cores.

    python benchmarks/bench_serve.py [--sessions 1 16 64] [--episodes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import gymnasium as gym

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents.scripted import OracleAgent
from mtsql_env.integrations.openenv_server import MTSQLAction, MTSQLEnvClient

ENV_KWARGS = {"data_dir": "sample", "expose_gold": True}
NUM_DIALOGUES = 44


def in_process(sessions: int, episodes: int) -> tuple[list[float], float]:
    latencies: list[list[float]] = [[] for _ in range(sessions)]
    envs = [gym.make("MTSQL-CoSQL-v0", **ENV_KWARGS) for _ in range(sessions)]

    def play(slot: int) -> None:
        env, agent = envs[slot], OracleAgent()
        for episode in range(episodes):
            observation, info = env.reset(options={"index": (slot * episodes + episode) % NUM_DIALOGUES})
            agent.reset(observation, info)
            done = False
            while not done:
                action = agent.act(observation, info)
                start = time.perf_counter()
                observation, _, terminated, truncated, info = env.step(action)
                latencies[slot].append(time.perf_counter() - start)
                done = terminated or truncated

    threads = [threading.Thread(target=play, args=(slot,)) for slot in range(sessions)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [x for per in latencies for x in per], time.perf_counter() - start


async def remote(url: str, sessions: int, episodes: int) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def play(slot: int) -> None:
        agent = OracleAgent()
        async with MTSQLEnvClient(base_url=url) as env:
            for episode in range(episodes):
                result = await env.reset(index=(slot * episodes + episode) % NUM_DIALOGUES)
                agent.reset(result.observation.text, result.observation.metadata)
                while not result.done:
                    action = MTSQLAction.of(agent.act(result.observation.text, result.observation.metadata))
                    start = time.perf_counter()
                    result = await env.step(action)
                    latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(play(slot) for slot in range(sessions)))
    return latencies, time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def start_server(max_sessions: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mtsql_env.cli", "serve", "--data-dir", "sample", "--expose-gold"]
    command += ["--port", str(port), "--max-sessions", str(max_sessions)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return server, f"ws://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the server exited at startup") from None
            time.sleep(0.25)
    server.kill()
    raise SystemExit("the server did not start within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--episodes", type=int, default=2, help="episodes per session")
    args = parser.parse_args()
    server, url = start_server(max(args.sessions))
    print(f"{os.cpu_count()} CPUs, shared with other work; server and clients on this machine")
    print(f"{'sessions':>8} {'where':>10} {'steps':>6} {'steps/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    try:
        for sessions in args.sessions:
            rows = {}
            for where in ("in-process", "server"):
                if where == "server":
                    latencies, wall = asyncio.run(remote(url, sessions, args.episodes))
                else:
                    latencies, wall = in_process(sessions, args.episodes)
                p50, p99 = 1000 * percentile(latencies, 50), 1000 * percentile(latencies, 99)
                rows[where] = (p50, p99, len(latencies) / wall)
                print(
                    f"{sessions:8d} {where:>10} {len(latencies):6d} {len(latencies) / wall:8.0f} {p50:7.2f} {p99:7.2f}"
                )
            overhead = [rows["server"][i] - rows["in-process"][i] for i in (0, 1)]
            print(f"{sessions:8d} {'overhead':>10} {'':6} {'':8} {overhead[0]:7.2f} {overhead[1]:7.2f}")
            added_ms = 1000 * (1 / rows["server"][2] - 1 / rows["in-process"][2])
            print(
                f"{'':8} {'':>10} added CPU+wait per step at full load: {added_ms:.2f} ms (1/steps_s difference)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
