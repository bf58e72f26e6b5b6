"""Environment benchmarks (issue [2/4]); prints its figures.

(a) The oracle through the env (``process`` preset) over every runnable real CoSQL dev dialogue, against
    `mtsql evaluate` scoring the same gold against itself, and against the floor: executing the same gold
    SQL with raw sqlite3 in a loop. Target: env <= 1.5x evaluate.
(b) Steps per second of 2 async workers against 1 env. Target: >= 1.7x.
(c) Resident memory after 10,000 episodes against after 100. Target: growth <= 10%.

Usage: python benchmarks/bench_env.py [--data-dir ../shared/data] [--only a,b,c]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path

import gymnasium as gym

import mtsql_env  # noqa: F401
from mtsql_agents import OracleAgent, run_agent, run_episode
from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_oracle_vs_evaluate(data_dir: str) -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir=data_dir, skip_missing_databases=True, expose_gold=True, reward="process")
    dataset = env.unwrapped.dataset
    gold = [[(t.query, d.db_id) for t in d.turns] for d in dataset.dialogues]
    # Warm-up outside the timings: imports, schema rendering, sqlite page cache.
    run_agent(env, OracleAgent(), 3, progress=False)

    env = gym.make("MTSQL-CoSQL-v0", data_dir=data_dir, skip_missing_databases=True, expose_gold=True, reward="process")
    start = time.perf_counter()
    result = run_agent(env, OracleAgent(), progress=False)
    env_s = time.perf_counter() - start

    evaluator = Evaluator(dataset.database_dir, dataset.tables_path, EvaluatorConfig(etype="all"))
    start = time.perf_counter()
    evaluation = evaluator.evaluate(gold, [[sql for sql, _ in interaction] for interaction in gold])
    eval_s = time.perf_counter() - start

    start = time.perf_counter()
    connections: dict[str, sqlite3.Connection] = {}
    for interaction in gold:
        for sql, db_id in interaction:
            if db_id not in connections:
                connections[db_id] = sqlite3.connect(f"file:{dataset.db_path(db_id)}?mode=ro", uri=True)
            try:
                connections[db_id].execute(sql.replace("> =", ">=").replace("< =", "<=").replace("! =", "!=")).fetchall()
            except sqlite3.Error:
                pass
    raw_s = time.perf_counter() - start

    s = result.summary
    print("(a) oracle through the env vs scoring the same gold")
    print(f"    dialogues {s['dialogues']}, turns {s['turns']} (gold errors {s['gold_errors']}), EX {s['EX']:.3f}, EM {s['EM']:.3f}")
    print(f"    env (oracle, process preset): {env_s:.3f} s")
    print(f"    evaluate (gold vs gold, all): {eval_s:.3f} s   ({evaluation.summary['by_level']['all']['count']} turns)")
    print(f"    raw sqlite3 loop (floor):     {raw_s:.3f} s")
    print(f"    ratio env / evaluate = {env_s / eval_s:.2f}x (target <= 1.5x)")


def _steps_per_second(envs, seconds: float) -> float:
    actions = ["<propose>SELECT count(*) FROM book</propose>", "<execute/>", '<verify target="execution" verdict="pass"/>', "<answer/>"]
    envs.reset(seed=0)
    steps, i = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        envs.step([actions[i % len(actions)]] * envs.num_envs)
        steps += envs.num_envs
        i += 1
    return steps / (time.perf_counter() - start)


def bench_async(seconds: float = 5.0) -> None:
    kwargs = dict(data_dir="sample", mode="turn", reward="process")
    single = gym.make_vec("MTSQL-CoSQL-v0", num_envs=1, vectorization_mode="sync", **kwargs)
    double = gym.make_vec("MTSQL-CoSQL-v0", num_envs=2, vectorization_mode="async", **kwargs)
    one = _steps_per_second(single, seconds)
    two = _steps_per_second(double, seconds)
    single.close()
    double.close()
    print("(b) vector env throughput (sample data, turn mode)")
    print(f"    1 env:            {one:8.0f} steps/s")
    print(f"    2 async workers:  {two:8.0f} steps/s   ratio {two / one:.2f}x (target >= 1.7x; {os.cpu_count()} cores)")


def bench_memory(episodes: int = 10_000) -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True)
    agent = OracleAgent()
    rss = {}
    for i in range(1, episodes + 1):
        run_episode(env, agent, seed=i)
        if i in (100, episodes):
            rss[i] = _rss_mb()
    growth = rss[episodes] / rss[100] - 1
    print("(c) resident memory over episodes (sample data, turn mode, oracle)")
    print(f"    after 100: {rss[100]:.1f} MB, after {episodes}: {rss[episodes]:.1f} MB, growth {growth:+.1%} (target <= +10%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("MTSQL_DATA_DIR") or str(Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--data-dir", default=default)
    parser.add_argument("--only", default="a,b,c")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if "a" in parts:
        bench_oracle_vs_evaluate(args.data_dir)
    if "b" in parts:
        bench_async()
    if "c" in parts:
        bench_memory()


if __name__ == "__main__":
    sys.exit(main())
