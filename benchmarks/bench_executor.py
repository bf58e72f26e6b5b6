"""Per-call overhead of SQLiteExecutor against raw sqlite3 on the real CoSQL dev databases.

Run: ``python benchmarks/bench_executor.py [--data-dir DIR] [--repeat N]``. It prints three numbers:

1. ``SELECT count(*) FROM singer`` N times through the executor and through a bare cached
   ``sqlite3`` connection (the floor), and the difference per call;
2. every CoSQL dev gold query (the evaluator's hot path) through both, with the same row results;
3. the cost of the deadline on a CPU-bound recursive CTE, alone and from ``--threads`` threads at once:
   none, a progress handler (what the executor used before) and the executor's interrupt watchdog.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from mtsql_env.executor import ExecutorConfig, SQLiteExecutor

logger = logging.getLogger("bench_executor")

_REPO = Path(__file__).resolve().parents[1]
_SPACED_OPS = (("> =", ">="), ("< =", "<="), ("! =", "!="))


def _raw_connection(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, isolation_level=None)


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_count(db: str, n: int, repeat: int) -> None:
    sql = "SELECT count(*) FROM singer"
    conn = _raw_connection(db)
    ex = SQLiteExecutor()
    ex.execute(db, sql)

    def raw() -> None:
        for _ in range(n):
            conn.execute(sql).fetchall()

    def wrapped() -> None:
        for _ in range(n):
            ex.execute(db, sql)

    t_raw, t_ex = _best_of(raw, repeat), _best_of(wrapped, repeat)
    print(
        f"{n} x {sql!r}: raw sqlite3 {t_raw * 1e3:.2f} ms, executor {t_ex * 1e3:.2f} ms, "
        f"overhead {(t_ex - t_raw) / n * 1e6:.2f} us/call"
    )
    fast = SQLiteExecutor(ExecutorConfig(check_file_changes=False))
    fast.execute(db, sql)
    t_fast = _best_of(lambda: [fast.execute(db, sql) for _ in range(n)], repeat)
    print(
        f"  with check_file_changes=False: {t_fast * 1e3:.2f} ms, overhead {(t_fast - t_raw) / n * 1e6:.2f} us/call"
    )


def bench_gold(data_dir: Path, repeat: int) -> None:
    gold = data_dir / "reference" / "cosql_dev_gold.txt"
    database_dir = data_dir / "cosql_dataset" / "database"
    items = []
    for line in gold.read_text().splitlines():
        if not line.strip():
            continue
        sql, db_id = line.rsplit("\t", 1)
        for spaced, joined in _SPACED_OPS:
            sql = sql.replace(spaced, joined)
        path = database_dir / db_id / f"{db_id}.sqlite"
        if path.exists():
            items.append((str(path), sql))
    conns = {p: _raw_connection(p) for p, _ in items}
    for conn in conns.values():
        conn.text_factory = lambda b: b.decode(errors="ignore")
    ex = SQLiteExecutor(ExecutorConfig(max_rows=10**9, max_bytes=10**12))

    def raw() -> None:
        for path, sql in items:
            try:
                conns[path].execute(sql).fetchall()
            except sqlite3.Error:
                pass

    def wrapped() -> None:
        for path, sql in items:
            ex.execute(path, sql)

    mismatches = 0
    for path, sql in items:
        try:
            expected = conns[path].execute(sql).fetchall()
        except sqlite3.Error:
            expected = None
        got = ex.execute(path, sql)
        mismatches += (list(got.rows) if got.ok else None) != expected
    t_raw, t_ex = _best_of(raw, repeat), _best_of(wrapped, repeat)
    print(
        f"{len(items)} CoSQL dev gold queries: raw sqlite3 {t_raw * 1e3:.1f} ms, executor {t_ex * 1e3:.1f} ms, "
        f"overhead {(t_ex - t_raw) / len(items) * 1e6:.2f} us/query, result mismatches: {mismatches}"
    )


def bench_deadline(repeat: int, threads: int) -> None:
    """What the deadline costs on a CPU-bound query, alone and from several threads at once.

    Compared: no deadline at all, the progress handler the executor used before (Python called every 1000
    VM steps, which needs the GIL), and the executor's watchdog (``Connection.interrupt()`` at the deadline).
    Runs are interleaved so that load from other processes hits all alike.
    """
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000000) SELECT count(*) FROM c"
    path = os.path.join(tempfile.mkdtemp(), "empty.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t(x)")
    conn.close()
    now = time.perf_counter
    deadline = float("inf")
    executor = SQLiteExecutor(ExecutorConfig(timeout_s=60))

    def raw(handler: bool) -> None:
        conn = _raw_connection(path)
        if handler:
            conn.set_progress_handler(lambda: now() > deadline, 1000)
        conn.execute(sql).fetchall()
        conn.close()

    ways = {
        "no deadline": lambda: raw(False),
        "progress handler": lambda: raw(True),
        "watchdog": lambda: executor.execute(path, sql),
    }

    def concurrently(fn) -> None:
        workers = [threading.Thread(target=fn) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    alone = dict.fromkeys(ways, float("inf"))
    together = dict.fromkeys(ways, float("inf"))
    for _ in range(repeat):
        for name, fn in ways.items():
            alone[name] = min(alone[name], _best_of(fn, 1))
            together[name] = min(together[name], _best_of(lambda fn=fn: concurrently(fn), 1))
    base, base_together = alone["no deadline"], together["no deadline"]
    print(
        "CPU-bound CTE, alone: "
        + ", ".join(f"{name} {t * 1e3:.0f} ms ({(t / base - 1) * 100:+.1f}%)" for name, t in alone.items())
    )
    print(
        f"CPU-bound CTE, {threads} threads at once: "
        + ", ".join(
            f"{name} {t * 1e3:.0f} ms ({(t / base_together - 1) * 100:+.1f}%)" for name, t in together.items()
        )
    )
    executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("MTSQL_DATA_DIR", str(_REPO.parent / "shared" / "data"))
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2, help="threads running the CPU-bound query at once")
    args = parser.parse_args()
    db = args.data_dir / "cosql_dataset" / "database" / "concert_singer" / "concert_singer.sqlite"
    if not db.exists():
        raise SystemExit(f"CoSQL data not found under {args.data_dir} (set MTSQL_DATA_DIR)")
    bench_count(str(db), args.n, args.repeat)
    bench_gold(args.data_dir, args.repeat)
    bench_deadline(args.repeat, args.threads)


if __name__ == "__main__":
    main()
