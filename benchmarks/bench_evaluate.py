"""Speed of ``mtsql evaluate --etype all`` on the real CoSQL dev set, against the official script's time.

Run: ``python benchmarks/bench_evaluate.py [--data-dir DIR] [--repeat N] [--gold-share 0.5]``.

It writes (to a temporary folder) a prediction file that mixes gold queries with perturbed ones (a number
changed, WHERE dropped, ASC/DESC swapped, LIMIT dropped, DISTINCT added, garbage), then times:

1. in process (``Evaluator.evaluate`` on the parsed files): the first call of the process (lazy imports,
   schema loading, gold parsing and execution), a fresh ``Evaluator`` in the same process (schemas
   cached), the same ``Evaluator`` again with only the gold side memoised, and with turn scores memoised
   too (what an RL environment pays for repeated queries);
2. the command line ``python -m mtsql_env.cli evaluate ... --etype all`` as a subprocess (wall time,
   interpreter start and imports included): with ``--no-cache``, then with the on-disk gold cache cold
   (first run) and warm, best and median of ``--repeat`` runs;
3. the cost of just starting the CLI (``mtsql evaluate --help``) and the bare interpreter.

The verdicts of the subprocess (``--per-item``) and the in-process run are checked to be identical.
Reference: the official evaluator takes about 6.5 s for the 944 runnable CoSQL dev turns; the target
is under 0.7 s with the same verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
OFFICIAL_SECONDS = 6.5
TARGET_SECONDS = 0.7

PERTURBATIONS = ("number", "drop_where", "swap_direction", "drop_limit", "add_distinct", "garbage")


def perturb(sql: str, kind: str) -> str | None:
    """A deliberately changed gold query, or None when ``kind`` does not apply to it."""
    if kind == "number":
        match = re.search(r"(?<![\w.'\"%])(\d+)(?![\w.'\"%])", sql)
        return None if not match else sql[: match.start()] + str(int(match.group(1)) + 3) + sql[match.end() :]
    if kind == "drop_where":
        parts = re.split(r"\bwhere\b", sql, maxsplit=1, flags=re.I)
        return parts[0] if len(parts) == 2 else None
    if kind == "swap_direction":
        if not re.search(r"\b(asc|desc)\b", sql, re.I):
            return None
        return re.sub(r"\b(asc|desc)\b", lambda m: "ASC" if m.group(1).lower() == "desc" else "DESC", sql, flags=re.I)
    if kind == "drop_limit":
        return re.sub(r"\blimit\s+\d+", "", sql, flags=re.I) if re.search(r"\blimit\s+\d+", sql, re.I) else None
    if kind == "add_distinct":
        return re.sub(r"^\s*select\s+(?!distinct)", "SELECT DISTINCT ", sql, count=1, flags=re.I)
    if kind == "garbage":
        return "SELECT name FORM WHERE"
    raise ValueError(kind)


def build_predictions(gold: list[list[tuple[str, str]]], gold_share: float, seed: int) -> list[list[str]]:
    """Gold queries with probability ``gold_share``, otherwise an applicable perturbation."""
    rng = random.Random(seed)
    preds = []
    for turns in gold:
        interaction = []
        for sql, _db in turns:
            pred = sql
            if rng.random() >= gold_share:
                kinds = list(PERTURBATIONS)
                rng.shuffle(kinds)
                pred = next((p for k in kinds if (p := perturb(sql, k)) is not None), sql)
            interaction.append(pred)
        preds.append(interaction)
    return preds


def _verdicts(records: list[dict]) -> list[tuple]:
    return [(r["interaction"], r["turn"], r["exact"], r["exec"], r["hardness"], r["gold_error"]) for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("MTSQL_DATA_DIR", str(_REPO.parent / "shared" / "data")))
    parser.add_argument("--repeat", type=int, default=5, help="subprocess runs (best and median reported)")
    parser.add_argument("--gold-share", type=float, default=0.5, help="share of predictions that are the gold")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = Path(args.data_dir)
    cosql = data / "cosql_dataset"
    gold_path = data / "reference" / "cosql_dev_gold.txt"
    db_dir, tables = cosql / "database", cosql / "tables.json"
    if not gold_path.is_file():
        sys.exit(f"CoSQL dev gold not found under {data} (set --data-dir or MTSQL_DATA_DIR)")

    # -- in-process ------------------------------------------------------------------------------------
    t0 = time.perf_counter()
    from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig
    from mtsql_env.evaluation.files import read_gold, read_pred, write_pred

    gold = read_gold(gold_path)
    t_import = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="bench_evaluate_"))
    pred_path = write_pred(tmp / "pred.txt", build_predictions(gold, args.gold_share, args.seed))
    config = EvaluatorConfig(etype="all")

    def run(evaluator: Evaluator) -> tuple[float, list[dict]]:
        start = time.perf_counter()
        result = evaluator.evaluate(read_gold(gold_path), read_pred(pred_path))
        return time.perf_counter() - start, result.records

    import logging

    logging.basicConfig(level=logging.ERROR)
    t_first, records = run(Evaluator(db_dir, tables, config))
    t_fresh, _ = run(Evaluator(db_dir, tables, config))
    warm = Evaluator(db_dir, tables, config)
    run(warm)
    t_warm, warm_records = run(warm)
    assert _verdicts(warm_records) == _verdicts(records)
    gold_only = Evaluator(db_dir, tables, EvaluatorConfig(etype="all", score_cache_size=0))
    run(gold_only)
    t_gold_memo, _ = run(gold_only)

    scored = [r for r in records if r["gold_error"] is None]
    n_gold_preds = sum(r["pred"] == r["gold"] for r in scored)
    print(f"CoSQL dev: {len(records)} paired turns, {len(scored)} scored ({len(records) - len(scored)} gold errors); "
          f"{n_gold_preds} predictions are the gold, {len(scored) - n_gold_preds} perturbed")
    ex, em = (sum(r[k] for r in scored) / len(scored) for k in ("exec", "exact"))
    print(f"  EX {ex:.3f}  EM {em:.3f}")
    print("in-process evaluate (read files + score + aggregate):")
    print(f"  imports + read gold                        {t_import:7.3f} s")
    print(f"  first call in a process                    {t_first:7.3f} s")
    print(f"  fresh Evaluator, same process              {t_fresh:7.3f} s")
    print(f"  same Evaluator, gold side memoised only    {t_gold_memo:7.3f} s")
    print(f"  same Evaluator, turn scores memoised too   {t_warm:7.3f} s")

    # -- subprocess CLI ----------------------------------------------------------------------------------
    items = tmp / "items.jsonl"
    cache_dir = tmp / "gold_cache"
    cmd = [sys.executable, "-m", "mtsql_env.cli", "evaluate", "--gold", str(gold_path), "--pred", str(pred_path),
           "--db", str(db_dir), "--table", str(tables), "--etype", "all", "--per-item", str(items)]  # fmt: skip

    cpu: dict[str, list[float]] = {}

    def timed(extra: list[str], label: str = "") -> float:
        """Wall time of one CLI run; its CPU time (user + sys, immune to other load) goes to ``cpu[label]``."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd + extra, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.setdefault(label, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            sys.exit(f"CLI failed:\n{proc.stderr}")
        return wall

    no_cache = [timed(["--no-cache"], "no_cache") for _ in range(args.repeat)]
    same = _verdicts([json.loads(line) for line in items.read_text().splitlines()]) == _verdicts(records)
    cold = timed(["--cache-dir", str(cache_dir)], "cold")
    same_cold = _verdicts([json.loads(line) for line in items.read_text().splitlines()]) == _verdicts(records)
    warm_walls = [timed(["--cache-dir", str(cache_dir)], "warm") for _ in range(args.repeat)]
    same_warm = _verdicts([json.loads(line) for line in items.read_text().splitlines()]) == _verdicts(records)
    same = same and same_cold and same_warm
    help_walls = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mtsql_env.cli", "evaluate", "--help"], capture_output=True, check=True)
        help_walls.append(time.perf_counter() - start)
    bare = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)

    print(f"subprocess `mtsql evaluate --etype all` ({args.repeat} runs each): wall best / median, CPU best")
    print(f"  --no-cache                        {min(no_cache):.3f} / {statistics.median(no_cache):.3f} s   "
          f"CPU {min(cpu['no_cache']):.3f} s")
    print(f"  disk gold cache, first (cold) run {cold:.3f} s           CPU {cpu['cold'][0]:.3f} s")
    print(f"  disk gold cache, warm             {min(warm_walls):.3f} / {statistics.median(warm_walls):.3f} s   "
          f"CPU {min(cpu['warm']):.3f} s")
    print(f"  (load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; CPU time is what the "
          "command itself costs)")
    print(f"  verdicts identical to the in-process run: {same}")
    print(f"  start-up alone: python -c pass {min(bare):.3f} s, `mtsql evaluate --help` {min(help_walls):.3f} s")
    for label, value in (("--no-cache", min(no_cache)), ("warm cache", min(warm_walls))):
        verdict = "MET" if value < TARGET_SECONDS else "NOT MET"
        print(f"official evaluator ~{OFFICIAL_SECONDS} s for 944 turns; {label}: {value:.3f} s wall, "
              f"x{OFFICIAL_SECONDS / value:.1f}, target < {TARGET_SECONDS} s {verdict}")
    if not same:
        sys.exit("verdicts differ between the CLI and the in-process run")


if __name__ == "__main__":
    main()
