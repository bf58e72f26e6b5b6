"""Speed of ``mtsql evaluate --etype all`` on the real CoSQL dev set, with and without a test suite.

Run: ``python benchmarks/bench_evaluate.py [--data-dir DIR] [--repeat N] [--gold-share 0.5] [--suite DIR]``.

It writes (to a temporary folder) a prediction file that mixes gold queries with perturbed ones (a number
changed, WHERE dropped, ASC/DESC swapped, LIMIT dropped, DISTINCT added, garbage), then times:

1. where the time goes, in process: importing the evaluator, loading the schemas, the gold side (parse,
   hardness, execution), the predictions' EM (parse + compare) and their execution (EX), each alone;
2. in process (``Evaluator.evaluate`` on the parsed files): the first call of the process, a fresh
   ``Evaluator`` in the same process (schemas cached), the same ``Evaluator`` again with only the gold side
   memoised, and with turn scores memoised too (what an RL environment pays for repeated queries);
3. the command line ``python -m mtsql_env.cli evaluate ... --etype all`` as a subprocess (wall and CPU time,
   interpreter start and imports included), cold (``--no-cache``) with one process, two, and the default
   (one per idle core: cores minus the load average), then with the on-disk gold cache cold (first run) and
   warm; best and median of ``--repeat`` runs; then the same cold and warm runs with ``--db`` a test suite
   (built here with ``mtsql testsuite build`` defaults unless ``--suite`` gives one), i.e. test-suite EX;
4. with ``--baseline DIR`` (another checkout), its CLI and this one's cold, alternating: a measured ratio;
5. the cost of just starting the CLI (``mtsql evaluate --help``) and the bare interpreter.

The verdicts of every subprocess (``--per-item``) and the in-process run are checked to be identical.

Reference: the official evaluator (taoyds/test-suite-sql-eval ``evaluation.py --etype all``) cannot run here:
it is not on the package registry and its code is not vendored, so its time is the constant
``OFFICIAL_SECONDS`` = 4.43 s, measured by the filer of issue 14 on this machine for the same 944 runnable
turns (an earlier, unrecorded measurement gave ~6.5 s). The goal is >= 15x that, cold: about 0.3 s.
Wall times depend on the machine's load (printed); CPU time is what the command itself costs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
OFFICIAL_SECONDS = 4.43
TARGET_RATIO = 15.0

PERTURBATIONS = ("number", "drop_where", "swap_direction", "drop_limit", "add_distinct", "garbage")


def perturb(sql: str, kind: str) -> str | None:
    """A deliberately changed gold query, or None when ``kind`` does not apply to it."""
    if kind == "number":
        match = re.search(r"(?<![\w.'\"%])(\d+)(?![\w.'\"%])", sql)
        return None if not match else sql[: match.start()] + str(int(match.group(1)) + 3) + sql[match.end() :]
    if kind == "drop_where":
        parts = re.split(r"\bwhere\b", sql, maxsplit=1, flags=re.IGNORECASE)
        return parts[0] if len(parts) == 2 else None
    if kind == "swap_direction":
        if not re.search(r"\b(asc|desc)\b", sql, re.IGNORECASE):
            return None
        return re.sub(
            r"\b(asc|desc)\b",
            lambda m: "ASC" if m.group(1).lower() == "desc" else "DESC",
            sql,
            flags=re.IGNORECASE,
        )
    if kind == "drop_limit":
        return (
            re.sub(r"\blimit\s+\d+", "", sql, flags=re.IGNORECASE)
            if re.search(r"\blimit\s+\d+", sql, re.IGNORECASE)
            else None
        )
    if kind == "add_distinct":
        return re.sub(r"^\s*select\s+(?!distinct)", "SELECT DISTINCT ", sql, count=1, flags=re.IGNORECASE)
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
    return [
        (r["interaction"], r["turn"], r["exact"], r["exec"], r["hardness"], r["gold_error"]) for r in records
    ]


def _breakdown(db_dir: Path, tables: Path, gold: list, preds: list) -> dict[str, float]:
    """CPU seconds of each phase alone, in this process (imports timed in a fresh interpreter), immune to load."""
    from mtsql_env.evaluation.evaluator import Evaluator, EvaluatorConfig

    code = "import time; t = time.process_time(); import mtsql_env.evaluation.evaluator; print(time.process_time() - t)"
    imports = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout) for _ in range(3))  # fmt: skip
    pairs = [
        (sql, db_id, pred)
        for turns, pred_turns in zip(gold, preds)
        for (sql, db_id), pred in zip(turns, pred_turns)
    ]
    times = {"imports": imports}
    evaluator = Evaluator(db_dir, tables, EvaluatorConfig(etype="all", score_cache_size=0))
    start = time.process_time()
    for db_id in dict.fromkeys(db for _, db, _ in pairs):
        try:
            evaluator._schema(db_id)
        except FileNotFoundError:
            pass
    times["schema"] = time.process_time() - start
    start = time.process_time()
    for sql, db_id, _ in pairs:
        evaluator.gold_side(sql, db_id)
    times["gold (parse, hardness, run)"] = time.process_time() - start
    for etype, label in (("match", "pred EM (parse, compare)"), ("exec", "pred EX (run, compare)")):
        scorer = Evaluator(db_dir, tables, EvaluatorConfig(etype=etype, score_cache_size=0))
        for sql, db_id, _ in pairs:
            scorer.gold_side(sql, db_id)
        start = time.process_time()
        for sql, db_id, pred in pairs:
            scorer.score_turn(pred, sql, db_id)
        times[label] = time.process_time() - start
    return times


def _side_by_side(baseline: Path, command: list[str], db_dir: Path, repeat: int) -> None:
    """Cold runs of the baseline checkout's CLI and this one's, alternating, wall and CPU best of ``repeat``."""
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "this, --workers 1": [], "this": []}
    plain = command[: command.index("--per-item")] + ["--db", str(db_dir), "--no-cache"]
    for _ in range(repeat):
        for label, root, extra in (("baseline", baseline, []), ("this, --workers 1", _REPO, ["--workers", "1"]),
                                   ("this", _REPO, [])):  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(plain + extra, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, check=True,
                           capture_output=True)  # fmt: skip
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[label].append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    print(
        f"side by side with {baseline} (cold, --no-cache, alternating, {repeat} runs each): wall best, CPU best"
    )
    best = {label: (min(w for w, _ in r), min(c for _, c in r)) for label, r in runs.items()}
    for label, (wall, cpu) in best.items():
        print(f"  {label:20} {wall:.3f} s   CPU {cpu:.3f} s   "
              f"(baseline / this: wall x{best['baseline'][0] / wall:.2f}, CPU x{best['baseline'][1] / cpu:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("MTSQL_DATA_DIR", str(_REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--repeat", type=int, default=3, help="subprocess runs (best and median reported)")
    parser.add_argument(
        "--gold-share", type=float, default=0.5, help="share of predictions that are the gold"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--suite", help="a test suite folder for CoSQL dev (default: build one, ~30 s)")
    parser.add_argument(
        "--baseline",
        help="another checkout of this project (e.g. `git archive` of an older commit): its `mtsql evaluate` cold "
        "runs interleaved with this one's, for a side-by-side ratio on the same machine",
    )
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
    predictions = build_predictions(gold, args.gold_share, args.seed)
    pred_path = write_pred(tmp / "pred.txt", predictions)
    config = EvaluatorConfig(etype="all")

    def run(evaluator: Evaluator) -> tuple[float, list[dict]]:
        start = time.perf_counter()
        result = evaluator.evaluate(read_gold(gold_path), read_pred(pred_path))
        return time.perf_counter() - start, result.records

    import logging

    logging.basicConfig(level=logging.ERROR)
    phases = _breakdown(db_dir, tables, gold, predictions)
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
    print(
        f"CoSQL dev: {len(records)} paired turns, {len(scored)} scored ({len(records) - len(scored)} gold errors); "
        f"{n_gold_preds} predictions are the gold, {len(scored) - n_gold_preds} perturbed"
    )
    ex, em = (sum(r[k] for r in scored) / len(scored) for k in ("exec", "exact"))
    print(f"  EX {ex:.3f}  EM {em:.3f}")
    print("where the time goes (CPU time of each phase alone, in process, one core):")
    for label, seconds in phases.items():
        print(f"  {label:34} {seconds:7.3f} s")
    print("in-process evaluate (read files + score + aggregate, one process):")
    print(f"  imports + read gold                        {t_import:7.3f} s")
    print(f"  first call in a process                    {t_first:7.3f} s")
    print(f"  fresh Evaluator, same process              {t_fresh:7.3f} s")
    print(f"  same Evaluator, gold side memoised only    {t_gold_memo:7.3f} s")
    print(f"  same Evaluator, turn scores memoised too   {t_warm:7.3f} s")

    # -- subprocess CLI ----------------------------------------------------------------------------------
    items = tmp / "items.jsonl"
    base = [sys.executable, "-m", "mtsql_env.cli", "evaluate", "--gold", str(gold_path), "--pred", str(pred_path),
            "--table", str(tables), "--etype", "all", "--per-item", str(items)]  # fmt: skip
    same = True

    def timed(db: Path, extra: list[str], expected: list[tuple]) -> tuple[float, float]:
        """Wall and CPU time (user + sys of the command and its workers) of one CLI run; checks the verdicts."""
        nonlocal same
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(base + ["--db", str(db), *extra], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"CLI failed:\n{proc.stderr}")
        same = same and _verdicts([json.loads(line) for line in items.read_text().splitlines()]) == expected
        return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    def report(label: str, runs: list[tuple[float, float]]) -> float:
        walls = [w for w, _ in runs]
        print(
            f"  {label:36} {min(walls):.3f} / {statistics.median(walls):.3f} s   CPU {min(c for _, c in runs):.3f} s"
        )
        return min(walls)

    expected = _verdicts(records)
    print(f"subprocess `mtsql evaluate --etype all` ({args.repeat} runs each): wall best / median, CPU best")
    results: dict[str, float] = {}
    for label, db, extra in (
        ("cold, --no-cache, --workers 1", db_dir, ["--no-cache", "--workers", "1"]),
        ("cold, --no-cache, --workers 2", db_dir, ["--no-cache", "--workers", "2"]),
        ("cold, --no-cache (default workers)", db_dir, ["--no-cache"]),
    ):
        results[label] = report(label, [timed(db, extra, expected) for _ in range(args.repeat)])
    cache_dir = tmp / "gold_cache"
    report("disk gold cache, first (cold) run", [timed(db_dir, ["--cache-dir", str(cache_dir)], expected)])
    results["warm"] = report(
        "disk gold cache, warm",
        [timed(db_dir, ["--cache-dir", str(cache_dir)], expected) for _ in range(args.repeat)],
    )

    # -- the same with a test suite ---------------------------------------------------------------------
    suite = Path(args.suite) if args.suite else tmp / "suite"
    if not args.suite:
        from mtsql_env.testsuite import build_suite

        start = time.perf_counter()
        built = build_suite(db_dir, gold_path, suite, show_progress=False)
        print(f"test suite built in {time.perf_counter() - start:.1f} s: "
              f"{sum(len(d.variants) for d in built.databases)} variants over {len(built.databases)} databases")  # fmt: skip
    suite_records = (
        Evaluator(suite, tables, config).evaluate(read_gold(gold_path), read_pred(pred_path)).records
    )
    suite_expected = _verdicts(suite_records)
    suite_ex = sum(r["exec"] for r in suite_records if r["gold_error"] is None) / len(scored)
    print(f"with --db the test suite (test-suite EX {suite_ex:.3f} vs {ex:.3f} on the single database):")
    suite_cold = report("cold, --no-cache (default workers)", [timed(suite, ["--no-cache"], suite_expected)
                                                               for _ in range(args.repeat)])  # fmt: skip
    suite_cache = tmp / "suite_cache"
    timed(suite, ["--cache-dir", str(suite_cache)], suite_expected)
    report("disk gold cache, warm", [timed(suite, ["--cache-dir", str(suite_cache)], suite_expected)
                                     for _ in range(args.repeat)])  # fmt: skip

    if args.baseline:
        _side_by_side(Path(args.baseline), base, db_dir, args.repeat)

    help_walls, bare = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mtsql_env.cli", "evaluate", "--help"], capture_output=True, check=True
        )
        help_walls.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    print(f"  (load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    print(f"  verdicts identical to the in-process run (every subprocess, per item): {same}")
    print(
        f"  start-up alone: python -c pass {min(bare):.3f} s, `mtsql evaluate --help` {min(help_walls):.3f} s"
    )
    print(
        f"official evaluator {OFFICIAL_SECONDS} s for 944 turns (a constant: it cannot run here, see the docstring)"
    )
    for label, value in (*results.items(), ("test suite, cold", suite_cold)):
        ratio = OFFICIAL_SECONDS / value
        verdict = "MET" if ratio >= TARGET_RATIO else "NOT MET"
        print(f"  {label:36} {value:.3f} s wall, x{ratio:.1f} (goal x{TARGET_RATIO:.0f}: {verdict})")
    if not same:
        sys.exit("verdicts differ between the CLI and the in-process run")


if __name__ == "__main__":
    main()
