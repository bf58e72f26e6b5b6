"""Wall time and peak-RSS growth of the SQL-execution bombs of issue 9, each in a fresh process.

Run: ``python benchmarks/bench_exec_bombs.py [--data-dir DIR] [--code ROOT] [--kill-after S]``. Every bomb
runs in its own child process (so one bomb's memory is not another's baseline) on the real CoSQL dev
databases, with the env's defaults (``query_timeout_s=2``). For each it prints the wall time of the step,
reset or call and how far it pushed the process's peak RSS above where it was just before. ``--code``
points at another checkout (e.g. an export of ``main``) to measure the code before a change; a child
still running after ``--kill-after`` seconds is killed and reported as such. The database files'
SHA-256 are compared before and after the whole run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]

SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
PRINTF = "SELECT printf('%.*c', 2147483647, 'x')"
LTRIM = "SELECT length(ltrim(printf('%.*c', 250000, 'a'), printf('%.*c', 20000, 'b') || 'a'))"
BIG_ROW = "SELECT " + ", ".join(["hex(zeroblob(131071))"] * 24)  # one 6 MB row, over the 5 MB byte cap
WIDE_ROWS = "SELECT " + ", ".join(["hex(zeroblob(131071))"] * 64) + " FROM city"  # 16 MiB rows

# name -> what the child does; each measures one call between two timestamps.
BOMBS = {
    "execute printf('%.*c', 2147483647)": ("step", "world_1", [f"<execute>{PRINTF}</execute>"]),
    "execute four such printf calls": (
        "step",
        "world_1",
        ["<execute>SELECT " + ", ".join([PRINTF[7:]] * 4) + "</execute>"],
    ),
    "execute ltrim with a 20k-char set": ("step", "world_1", [f"<execute>{LTRIM}</execute>"]),
    "answer a slow query": ("step", "world_1", [f"<answer>{SLOW}</answer>"]),
    "forced commit at the step limit": (
        "step",
        "world_1",
        [f"<propose>{SLOW}</propose>"] + ['<verify target="memory"/>'] * 8 + ["<execute/>"],
    ),
    "turn-mode reset, 8 slow history queries": ("reset", "singer", []),
    "answer hex(zeroblob(499999)) FROM city": (
        "step",
        "world_1",
        ["<answer>SELECT hex(zeroblob(499999)) FROM city</answer>"],
    ),
    "answer hex(zeroblob(131071)) FROM city": (
        "step",
        "world_1",
        ["<answer>SELECT hex(zeroblob(131071)) FROM city</answer>"],
    ),
    "answer 64 columns of 256 KiB FROM city": ("step", "world_1", [f"<answer>{WIDE_ROWS}</answer>"]),
    "execute one 6 MB row": ("step", "world_1", [f"<execute>{BIG_ROW}</execute>"]),
    'cache: SELECT "random"() twice': ("repeat", "world_1", ['<execute>SELECT "random"()</execute>']),
    "cache: random /**/ () twice": ("repeat", "world_1", ["<execute>SELECT random /**/ ()</execute>"]),
    "exec match, crafted 9-column result": ("compare", "", [9]),
}

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
kind, db_id, actions = json.loads(sys.argv[2])
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {}
if kind == "compare":
    import random
    from mtsql_env.evaluation.exec_match import results_equal
    n = actions[0]
    rng = random.Random(0)
    gold = [tuple(rng.randrange(2) for _ in range(n)) for _ in range(200)]
    pred = [tuple(rng.sample(row, n)) for row in gold]  # rows shuffled one by one: no permutation fits
    gold = [tuple(row[(i + k) % n] for i in range(n)) for k in range(n) for row in gold]  # equal columns
    pred = [tuple(row[(i + k) % n] for i in range(n)) for k in range(n) for row in pred]
    before, start = peak(), time.perf_counter()
    kwargs = {"deadline": time.perf_counter() + 2.0} if "deadline" in results_equal.__code__.co_varnames else {}
    try:
        out["result"] = results_equal(gold, pred, order_matters=False, **kwargs)
    except TimeoutError:
        out["result"] = "timeout"
else:
    import gymnasium as gym
    import mtsql_env  # noqa: F401
    if kind == "reset":
        probe = gym.make("MTSQL-CoSQL-v0", skip_missing_databases=True).unwrapped
        dialogue = max((d for d in probe.dataset.dialogues if d.db_id == db_id), key=lambda d: len(d.turns))
        slow = sys.argv[3]
        env = gym.make("MTSQL-CoSQL-v0", skip_missing_databases=True, mode="turn", history={dialogue.dialogue_id: [slow] * 8}).unwrapped
        env.reset(options={"dialogue_id": dialogue.dialogue_id, "turn": 0})
        before, start = peak(), time.perf_counter()
        env.reset(options={"dialogue_id": dialogue.dialogue_id, "turn": 8})
        out["result"] = "reset done"
    else:
        env = gym.make("MTSQL-CoSQL-v0", skip_missing_databases=True, max_steps_per_turn=max(len(actions), 3)).unwrapped
        dialogue = next(d for d in env.dataset.dialogues if d.db_id == db_id)
        env.reset(options={"dialogue_id": dialogue.dialogue_id})
        for action in actions[:-1]:
            env.step(action)
        if kind == "repeat":
            first = env.step(actions[-1])[0]
        before, start = peak(), time.perf_counter()
        obs, reward, terminated, truncated, info = env.step(actions[-1])
        out["result"] = obs.splitlines()[0][:90]
        if kind == "repeat":
            out["result"] = "same value twice (stale)" if obs == first else "fresh value"
out["wall_s"] = time.perf_counter() - start
out["rss_growth_mb"] = peak() - before
print(json.dumps(out))
"""


def _hashes(database_dir: Path) -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(database_dir.rglob("*.sqlite"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("MTSQL_DATA_DIR", _REPO.parent / "shared" / "data")),
    )
    parser.add_argument("--code", type=Path, default=_REPO, help="checkout whose mtsql_env is measured")
    parser.add_argument("--kill-after", type=float, default=30.0, help="seconds before a child is killed")
    args = parser.parse_args()
    database_dir = args.data_dir / "cosql_dataset" / "database"
    if not database_dir.is_dir():
        raise SystemExit(f"CoSQL data not found under {args.data_dir} (set MTSQL_DATA_DIR)")
    env = dict(os.environ, MTSQL_DATA_DIR=str(args.data_dir), PYTHONDONTWRITEBYTECODE="1")
    before = _hashes(database_dir)
    print(f"code: {args.code}")
    print(f"{'bomb':42s} {'wall s':>8s} {'peak RSS +MB':>13s}  outcome")
    for name, spec in BOMBS.items():
        command = [sys.executable, "-c", _CHILD, str(args.code), json.dumps(spec), SLOW]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=args.kill_after, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            print(
                f"{name:42s} {'>' + format(args.kill_after, 'g'):>8s} {'-':>13s}  killed after {args.kill_after:g} s"
            )
            continue
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name:42s} {time.perf_counter() - start:8.2f} {'-':>13s}  failed: {tail[:80]}")
            continue
        out = json.loads(lines[-1])
        print(f"{name:42s} {out['wall_s']:8.2f} {out['rss_growth_mb']:13.1f}  {out['result']}")
    changed = [path for path, digest in _hashes(database_dir).items() if before.get(path) != digest]
    print(f"database files unchanged: {not changed} ({len(before)} files hashed)")


if __name__ == "__main__":
    main()
