"""Environment benchmarks (issue [2/4]); prints its figures.

(a) The oracle through the env (``process`` preset) over every runnable real CoSQL dev dialogue, against
    the evaluator behind `mtsql evaluate` scoring the same gold against itself in process, and against the
    floor: executing the same gold SQL with raw sqlite3 in a loop. Target: env <= 1.5x evaluate. Also where
    the env's time goes, and the env with its sqlglot work (clause F1, memory report) stubbed out.
(b) Steps per second of 2 async workers against 1 env (oracle, real CoSQL dev, turn mode). Target: >= 1.7x.
    Also the vector env's own cost: a batched step of trivial actions, and a masked reset.
(c) Resident memory after 10,000 episodes against after 100. Target: growth <= 10%.

Usage: python benchmarks/bench_env.py [--data-dir ../shared/data] [--only a,b,c] [--memory-episodes 10000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path
from unittest import mock

import gymnasium as gym

import mtsql_env  # noqa: F401
from mtsql_agents import OracleAgent, run_agent, run_episode
from mtsql_agents.vector_runner import run_vector
from mtsql_env.env import MTSQLEnv
from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig
from mtsql_env.memory import DialogueMemory
from mtsql_env.sql import cache_clear, clean_sql


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_cold(run, repeat: int, setup=lambda: None) -> float:
    """Best wall time of ``run(setup())`` over ``repeat`` tries, each from cold: the package's SQL caches
    emptied and ``setup`` (not timed) done first."""
    times = []
    for _ in range(repeat):
        cache_clear()
        made = setup()
        start = time.perf_counter()
        run(made)
        times.append(time.perf_counter() - start)
    return min(times)


def _time_parts(run, parts: dict[str, list[tuple[type, str]]]) -> dict[str, float]:
    """Seconds ``run()`` spends inside each group of methods (timing wrappers patched in), and in all."""
    spent = dict.fromkeys(parts, 0.0)

    def timed(owner: type, name: str, part: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - start

        return mock.patch.object(owner, name, wrapper)

    patches = [timed(owner, name, part) for part, methods in parts.items() for owner, name in methods]
    for patch in patches:
        patch.start()
    try:
        start = time.perf_counter()
        run()
        spent["total"] = time.perf_counter() - start
    finally:
        for patch in patches:
            patch.stop()
    return spent


def bench_oracle_vs_evaluate(data_dir: str, repeat: int = 3) -> None:
    kwargs = dict(data_dir=data_dir, skip_missing_databases=True, expose_gold=True, reward="process")
    dataset = gym.make("MTSQL-CoSQL-v0", **kwargs).unwrapped.dataset
    gold = [[(t.query, d.db_id) for t in d.turns] for d in dataset.dialogues]
    pred = [[sql for sql, _ in interaction] for interaction in gold]
    # Warm-up outside the timings: imports, sqlite page cache.
    run_agent(gym.make("MTSQL-CoSQL-v0", **kwargs), OracleAgent(), 3, progress=False)
    results = {}

    def new_env():  # a new env each time: its schema texts, evaluator and result cache start empty
        return gym.make("MTSQL-CoSQL-v0", **kwargs)

    def through_env(env) -> None:
        results["env"] = run_agent(env, OracleAgent(), progress=False)

    def new_evaluator():
        return Evaluator(dataset.database_dir, dataset.tables_path, EvaluatorConfig(etype="all"))

    def evaluate(evaluator) -> None:
        results["evaluate"] = evaluator.evaluate(gold, pred)

    def raw_sqlite(_) -> None:
        connections: dict[str, sqlite3.Connection] = {}
        for interaction in gold:
            for sql, db_id in interaction:
                if db_id not in connections:
                    connections[db_id] = sqlite3.connect(f"file:{dataset.db_path(db_id)}?mode=ro", uri=True)
                try:
                    connections[db_id].execute(clean_sql(sql)).fetchall()
                except sqlite3.Error:
                    pass

    env_s = _best_cold(through_env, repeat, new_env)
    eval_s = _best_cold(evaluate, repeat, new_evaluator)
    raw_s = _best_cold(raw_sqlite, repeat)
    with (
        mock.patch.object(MTSQLEnv, "_gen", lambda self, sql: 1.0),
        mock.patch.object(DialogueMemory, "check", lambda self, *args: "Memory check skipped."),
    ):
        stubbed_s = _best_cold(through_env, repeat, new_env)
    cache_clear()
    env = new_env()
    parts = _time_parts(
        lambda: through_env(env),
        {
            "scoring at the answers (the evaluator)": [(Evaluator, "score_turn")],
            "sqlglot: clause F1 and memory report": [(MTSQLEnv, "_gen"), (DialogueMemory, "check")],
            "executing the candidate": [(MTSQLEnv, "_run")],
        },
    )
    s = results["env"].summary
    print(f"(a) oracle through the env vs scoring the same gold (best of {repeat} cold runs each)")
    print(
        f"    dialogues {s['dialogues']}, turns {s['turns']} (gold errors {s['gold_errors']}), EX {s['EX']:.3f}, EM {s['EM']:.3f}"
    )
    print(f"    env (oracle, process preset): {env_s:.3f} s")
    print(
        f"    evaluate (gold vs gold, all): {eval_s:.3f} s   ({results['evaluate'].summary['by_level']['all']['count']} turns)"
    )
    print(f"    raw sqlite3 loop (floor):     {raw_s:.3f} s")
    print(f"    ratio env / evaluate = {env_s / eval_s:.2f}x (target <= 1.5x)")
    print(
        f"    env with the sqlglot work stubbed out (clause F1 = 1, no memory report): {stubbed_s:.3f} s = {stubbed_s / eval_s:.2f}x"
    )
    total = parts.pop("total")
    print(f"    where one env run's {total:.3f} s go (timing wrappers add a little):")
    for part, seconds in parts.items():
        print(f"      {part:40s} {seconds:.3f} s")
    print(
        f"      {'the rest: steps, actions, observations, info, agent':40s} {total - sum(parts.values()):.3f} s"
    )


# A different bound each step, so the env's result cache cannot answer it.
_HEAVY_QUERY = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c"
)


def _oracle_steps_per_second(envs, episodes: int) -> float:
    """Oracle episodes through a vector env (one batched step call for all sub-envs); env steps per second."""
    result = run_vector(envs, OracleAgent(), episodes, progress=False)
    steps = sum(turn["steps"] for turn in result.turns)
    return steps / result.wall_time_s


def _query_steps(bound: int):
    """Steps that each run a recursive query counting to about ``bound`` (~0.1 us per row here)."""

    def measure(envs, steps: int) -> float:
        envs.reset(seed=0)
        start = time.perf_counter()
        for step in range(steps // envs.num_envs):
            base = bound + step * envs.num_envs
            envs.step([f"<execute>{_HEAVY_QUERY.format(base + i)}</execute>" for i in range(envs.num_envs)])
        return steps / (time.perf_counter() - start)

    return measure


def _spin(n: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def _machine_parallelism(n: int = 5_000_000) -> float:
    """How much faster two independent CPU-bound processes finish than one after the other: the ceiling."""
    import multiprocessing

    one = _spin(n)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - start
    return 2 * one / two


def bench_async(data_dir: str, episodes: int = 600) -> None:
    kwargs = dict(
        data_dir=data_dir, skip_missing_databases=True, mode="turn", reward="process", expose_gold=True
    )
    heavy = dict(kwargs, max_steps_per_turn=100_000)
    rows = []
    for name, measure, env_kwargs, amount in (
        (f"oracle, {episodes} turn episodes", _oracle_steps_per_second, kwargs, episodes),
        ("a ~1 ms query per step", _query_steps(10_000), heavy, 2000),
        ("a ~10 ms query per step", _query_steps(100_000), heavy, 400),
    ):
        single = gym.make_vec("MTSQL-CoSQL-v0", num_envs=1, vectorization_mode="sync", **env_kwargs)
        double = gym.make_vec("MTSQL-CoSQL-v0", num_envs=2, vectorization_mode="async", **env_kwargs)
        measure(single, 20)  # warm-up: imports, schema rendering, page cache
        measure(double, 20)
        rows.append((name, measure(single, amount), measure(double, amount)))
        single.close()
        double.close()
    print(
        f"(b) vector env throughput on real CoSQL dev ({os.cpu_count()} cores); target: 2 async workers >= 1.7x of 1 env"
    )
    print(
        f"    this machine runs two CPU-bound processes {_machine_parallelism():.2f}x as fast as one (the ceiling)"
    )
    for name, one, two in rows:
        print(
            f"    {name:32s} 1 env {one:8.0f} steps/s, 2 async workers {two:8.0f} steps/s, ratio {two / one:.2f}x"
        )
    print("    the vector env's own cost (main process wall time):")
    for mode, num_envs in (("sync", 1), ("async", 2)):
        step_us, reset_us = _vector_overhead_us(mode, num_envs, dict(kwargs, max_steps_per_turn=100_000))
        print(
            f"      {mode} with {num_envs}: a batched step of cheap actions {step_us:5.0f} us, a masked reset {reset_us:5.0f} us"
        )


def _vector_overhead_us(
    mode: str, num_envs: int, env_kwargs: dict, repeat: int = 1000
) -> tuple[float, float]:
    """Microseconds per batched step whose actions cost the env almost nothing, and per one-slot reset."""
    import numpy as np

    envs = gym.make_vec("MTSQL-CoSQL-v0", num_envs=num_envs, vectorization_mode=mode, **env_kwargs)
    envs.reset(seed=0)
    cheap = ["<verify>x</verify>"] * num_envs  # a format error: parsed, answered, counted
    mask = np.zeros(num_envs, dtype=np.bool_)
    mask[0] = True
    timings = []
    for call in (
        lambda i: envs.step(cheap),
        lambda i: envs.reset(options={"reset_mask": mask, "index": i % 500}),
    ):
        for i in range(repeat // 10):  # warm-up
            call(i)
        start = time.perf_counter()
        for i in range(repeat):
            call(i)
        timings.append((time.perf_counter() - start) / repeat * 1e6)
    envs.close()
    return timings[0], timings[1]


class _FreshSQLAgent(OracleAgent):
    """The oracle's loop on SQL never seen before, as sampled RL rollouts are: the gold under a new alias."""

    def __init__(self) -> None:
        self._count = 0

    def plan(self, observation, info):
        self._count += 1
        return self._check_and_answer(info, f"SELECT * FROM ({info['gold_sql']}) AS fresh_{self._count}")


def _memory_curve(fresh_sql: bool, checkpoints: tuple[int, ...]) -> dict[int, float]:
    """Resident MB at each checkpoint of one workload (run in a fresh process: nothing else in its heap)."""
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True, reward="process")
    agent = _FreshSQLAgent() if fresh_sql else OracleAgent()
    rss = {}
    for i in range(1, checkpoints[-1] + 1):
        run_episode(env, agent, seed=i)
        if i in checkpoints:
            rss[i] = _rss_mb()
    env.close()
    return rss


def bench_memory(episodes: int = 10_000) -> None:
    import multiprocessing

    print(
        f"(c) resident memory over episodes (sample data, turn mode); target: growth from 100 to {episodes} <= +10%"
    )
    checkpoints = (100, episodes // 2, episodes)
    for name, fresh_sql in (
        ("oracle (the same SQL again and again)", False),
        ("fresh SQL every episode", True),
    ):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rss = pool.apply(_memory_curve, (fresh_sql, checkpoints))
        first, middle, last = (rss[i] for i in checkpoints)
        print(
            f"    {name:38s} after {checkpoints[0]}: {first:.1f} MB, {checkpoints[1]}: {middle:.1f} MB, "
            f"{episodes}: {last:.1f} MB; growth {last / first - 1:+.1%} ({last / middle - 1:+.1%} over the second half)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = os.environ.get("MTSQL_DATA_DIR") or str(Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--data-dir", default=default)
    parser.add_argument("--only", default="a,b,c")
    parser.add_argument(
        "--memory-episodes", type=int, default=10_000, help="episodes of (c); its target is at 10,000"
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if "a" in parts:
        bench_oracle_vs_evaluate(args.data_dir)
    if "b" in parts:
        bench_async(args.data_dir)
    if "c" in parts:
        bench_memory(args.memory_episodes)


if __name__ == "__main__":
    sys.exit(main())
