"""Concurrent SQL under load: one batch of 256 ``execute`` tool calls, stepped one by one vs in threads.

The batch is a realistic mix over CoSQL dev (``$MTSQL_DATA_DIR``): the gold SQL of dev turns, near-miss
variants of it (a dropped WHERE, a misspelt column: what a policy writes on its way to the answer), and
about 5% runaway queries that only the time limit stops (a recursive CTE with no bound). Each call is one
``env.step({"kind": "execute", "sql": ...})`` on its own turn-mode env (result cache off, so every call runs
its SQL), and the concurrent runs use `mtsql_env.parallel.EnvStepPool`, the path the batched runners take.
Each pool is warmed first (its threads open their SQLite connections, as a long-lived pool's already have).

    MTSQL_DATA_DIR=/path/to/data python benchmarks/bench_concurrent_sql.py [--threads 2 4 8 16] [--timeout 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import time

import gymnasium as gym

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents.scripted import _drop_filter, _typo_column
from mtsql_env.parallel import EnvStepPool
from mtsql_env.sql import parse

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def build_batch(env_kwargs: dict, size: int, runaway_share: float, seed: int) -> tuple[list, list[dict]]:
    """``size`` (env, reset options) pairs, each on a dev turn, and one execute action per env."""
    rng = random.Random(seed)
    probe = gym.make("MTSQL-CoSQL-v0", **env_kwargs)
    turns = [(d.dialogue_id, t) for d in probe.unwrapped.dataset.dialogues for t in range(len(d.turns))]
    probe.close()
    chosen = rng.sample(turns, size)
    runaway = set(rng.sample(range(size), round(size * runaway_share)))
    envs, actions = [], []
    for index, (dialogue_id, turn) in enumerate(chosen):
        env = gym.make("MTSQL-CoSQL-v0", **env_kwargs)
        options = {"dialogue_id": dialogue_id, "turn": turn}
        env.reset(options=options)
        gold = env.unwrapped._gold_sql
        sql = gold
        if index in runaway:
            sql = RUNAWAY
        elif rng.random() < 0.4 and (tree := parse(gold)) is not None:
            mutated = (_drop_filter if rng.random() < 0.5 else _typo_column)(tree.copy(), rng)
            sql = mutated.sql(dialect="sqlite") if mutated is not None else gold
        envs.append((env, options))
        actions.append({"kind": "execute", "sql": sql})
    return envs, actions


def timed(run, *args) -> tuple[float, list]:
    start = time.perf_counter()
    results = run(*args)
    return time.perf_counter() - start, results


def statuses(results: list) -> list[tuple]:
    """What each call returned: observation text and execution summary (the same run to run)."""
    return [(r[0], r[4]["execution"]) for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="per-query time limit (the env's default: 2 s)"
    )
    parser.add_argument("--runaway-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data_dir = os.environ.get("MTSQL_DATA_DIR")
    if not data_dir:
        raise SystemExit("set MTSQL_DATA_DIR to the folder holding cosql_dataset/")
    env_kwargs = {
        "data_dir": data_dir,
        "split": "dev",
        "mode": "turn",
        "skip_missing_databases": True,
        "query_timeout_s": args.timeout,
        "result_cache_mb": 0,
    }
    logging.basicConfig(level=logging.ERROR)  # not one "left out wta_1" line per env
    pairs, actions = build_batch(env_kwargs, args.size, args.runaway_share, args.seed)
    envs = [env for env, _ in pairs]

    def fresh(batch: list) -> list:  # every run starts from the turn's first step
        for env, options in batch:
            env.reset(options=options)
        return [env for env, _ in batch]

    runaway = sum(a["sql"] == RUNAWAY for a in actions)
    print(
        f"batch: {len(actions)} execute calls on {len({e.unwrapped._dialogue.db_id for e in envs})} CoSQL dev DBs,"
    )
    print(
        f"       {runaway} runaway queries (time limit {args.timeout:g} s); {os.cpu_count()} CPUs (shared machine)"
    )
    for label, keep in (("full mix", lambda a: True), ("without runaways", lambda a: a["sql"] != RUNAWAY)):
        batch = [(pair, a) for pair, a in zip(pairs, actions) if keep(a)]
        sub_pairs, sub_actions = [p for p, _ in batch], [a for _, a in batch]
        sub_envs = fresh(sub_pairs)
        sequential_s, expected = timed(
            lambda envs, acts: [e.step(a) for e, a in zip(envs, acts)], sub_envs, sub_actions
        )
        print(f"\n{label} ({len(batch)} calls): sequential {sequential_s:.2f} s")
        for threads in args.threads:
            pool = EnvStepPool(max_workers=threads)
            fresh(sub_pairs)
            pool.step(
                sub_envs, [{"kind": "execute", "sql": "SELECT 1"}] * len(sub_envs)
            )  # warm: connections open
            fresh(sub_pairs)
            wall_s, got = timed(pool.step, sub_envs, sub_actions)
            pool.close()
            same = "same results" if statuses(got) == statuses(expected) else "RESULTS DIFFER"
            print(
                f"  {threads:2d} threads: {wall_s:6.2f} s = {wall_s / sequential_s:.2f}x sequential ({same})"
            )
    for env in envs:
        env.close()
    gil_check(envs[0].unwrapped.dataset.db_path(envs[0].unwrapped._dialogue.db_id))


def gil_check(db_path: str) -> None:
    """Does CPU-bound SQL run in parallel? The same query alone, then twice in two threads."""
    import sqlite3
    import threading

    from mtsql_env.executor import ExecutorConfig, SQLiteExecutor

    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c"

    def plain(handler: bool):
        def run() -> None:
            conn = sqlite3.connect(db_path, check_same_thread=False)
            if handler:
                conn.set_progress_handler(lambda: False, 1000)
            conn.execute(sql).fetchall()
            conn.close()

        return run

    executor = SQLiteExecutor(ExecutorConfig(timeout_s=60))

    def in_threads(run, n: int) -> float:
        threads = [threading.Thread(target=run) for _ in range(n)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start

    print("\nCPU-bound query (1 alone, then 2 in 2 threads; 1.0x = fully parallel, 2.0x = serialised):")
    for label, run in (
        ("sqlite3, no progress handler", plain(False)),
        ("sqlite3 + a Python progress handler", plain(True)),
        ("SQLiteExecutor (its time limit)", lambda: executor.execute(db_path, sql)),
    ):
        one, two = in_threads(run, 1), in_threads(run, 2)
        print(f"  {label:36s} {one:5.2f} s alone, {two:5.2f} s for two = {two / one:.2f}x")
    executor.close()


if __name__ == "__main__":
    main()
