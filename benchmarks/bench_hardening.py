"""Attack the environment as an agent would, and print how it held (issue 9).

A catalogue of attacks (deeply nested SQL through every action, JSON bombs, lone surrogates, regex bombs,
oversized replies, bad reset options, and the execution attacks: printf width bombs, zeroblob/randomblob,
slow queries in an answer, a forced commit of a slow candidate, a turn-mode reset whose history is slow,
writes, ATTACH, VACUUM INTO, pragma writes, temp objects, multi-statement tricks) runs against the env on
the bundled sample and, when ``MTSQL_DATA_DIR`` (or ``--data-dir``) holds the real release, on CoSQL dev
(``world_1`` for the zeroblob case). Every attack runs in a forked child with a hard timeout, so a
regression cannot hang the run.

An attack is **handled** when no exception escapes ``reset``/``step``/``close``, every reset and step
returns within ``query_timeout_s + 0.25 s``, and no step's RSS grows by more than 64 MB beyond the
configured caps (result cache + the executor's byte cap). RSS growth is the step's peak (``VmHWM``, reset
before each step) minus the RSS it started from.

It also prints the database files' hashes before and after (unchanged), and the reward per turn of a blind
reward farmer and of the oracle under each preset (``outcome``, ``process``, ``process_guarded``). When
``benchmarks/bench_hardening_inputs.py`` exists, its ``--json`` tallies are added to the totals.

    python benchmarks/bench_hardening.py            # ~2-3 minutes
    python benchmarks/bench_hardening.py --json out.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

import mtsql_env  # noqa: F401 - registers the env ids
from mtsql_agents import OracleAgent, RewardFarmingAgent, run_agent
from mtsql_env.executor import ExecutorConfig
from mtsql_env.rewards import PRESETS

HERE = Path(__file__).resolve().parent
MARGIN_S = 0.25
MEMORY_MARGIN_MB = 64.0
SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
PRINTF = "printf('%.*c', 2147483647, 'x')"


@dataclass(frozen=True)
class Attack:
    """One attack: env settings, reset options and the actions sent after the reset."""

    name: str
    kind: str
    actions: tuple[Any, ...] = ()
    env: dict[str, Any] = field(default_factory=dict)
    reset: dict[str, Any] | None = None
    slow: bool = False  # run on one dataset only (CoSQL dev when present)
    expect_value_error: str | None = None  # reset must refuse with a ValueError naming this


def _deep(n: int) -> str:
    return "SELECT " + "(" * n + "1" + ")" * n


def catalogue(table: str, big_table: str) -> list[Attack]:
    """The attacks; ``table`` is a table of the dialogue's database, ``big_table`` one with many rows."""
    deep = _deep(1990)
    answer_deep = _deep(500)
    attacks = [
        Attack("deep-propose", "deep nesting", (f"<propose>{deep}</propose>",)),
        Attack("deep-propose-answer", "deep nesting", (f"<propose>{answer_deep}</propose>", "<answer/>")),
        Attack("deep-answer-sql", "deep nesting", (f"<answer>{answer_deep}</answer>",)),
        Attack("deep-execute", "deep nesting", (f"<execute>{deep}</execute>",)),
        Attack("deep-correct", "deep nesting", ("<propose>SELECT 1</propose>", f"<correct>{deep}</correct>")),
        Attack(
            "deep-memory-check",
            "deep nesting",
            (
                "<propose>SELECT 1</propose>",
                "<answer/>",
                f"<propose>{answer_deep}</propose>",
                "<execute/>",
                '<verify target="memory" verdict="fail"/>',
            ),
        ),
        Attack("deep-not-chain", "deep nesting", ("<propose>SELECT " + "NOT " * 3000 + "1</propose>",)),
        Attack(
            "deep-functions",
            "deep nesting",
            ("<propose>SELECT " + "abs(" * 2000 + "1" + ")" * 2000 + "</propose>",),
        ),
        Attack(
            "deep-subqueries",
            "deep nesting",
            (
                "<propose>SELECT * FROM " + "(SELECT * FROM " * 900 + table + ")" * 900 + "</propose>",
                "<execute/>",
            ),
        ),
        Attack(
            "json-deep-5000",
            "huge JSON",
            ('{"name": "execute", "arguments": ' + '{"a": ' * 2700 + "1" + "}" * 2701,),
        ),
        Attack("json-deep-16000", "huge JSON", ("<tool_call>" + "[" * 16_000 + "</tool_call>",)),
        Attack(
            "json-number-5000",
            "huge JSON",
            ('{"name": "execute", "arguments": {"sql": ' + "9" * 5000 + "}}",),
        ),
        Attack(
            "json-number-16000",
            "huge JSON",
            ('{"name": "answer", "arguments": {"x": ' + "9" * 16_000 + "}}",),
        ),
        Attack(
            "json-args-string-deep", "huge JSON", ('{"name": "execute", "arguments": "' + "[" * 8000 + '"}',)
        ),
        Attack("dict-action-deep", "huge JSON", ({"kind": "verify", "target": _nested(5000)},)),
        Attack(
            "surrogate-human",
            "unicode",
            ("\ud800<propose>SELECT '\udfff'</propose>", "<execute/>"),
            {"render_mode": "human"},
        ),
        Attack("surrogate-dict", "unicode", ({"kind": "propose", "sql": "SELECT 1 -- \udc80"}, "<answer/>")),
        Attack("regex-verify-attrs", "regex bomb", ("<verify " + "a" * 16_370 + "/>",)),
        Attack("regex-tool-call-spaces", "regex bomb", ("<tool_call>x" + " " * 16_370 + "y",)),
        Attack("regex-unclosed-tags", "regex bomb", ("<execute>" * 1800,)),
        Attack("regex-fence-spaces", "regex bomb", ("<execute>SELECT 1" + " " * 16_300 + "x</execute>",)),
        Attack("regex-attr-quotes", "regex bomb", ("<verify " + 'a="' * 5400 + "/>",)),
        Attack("regex-think-unclosed", "regex bomb", ("<think>" * 2300,)),
        Attack("oversized-reply", "size", ("x" * 1_000_000,)),
        Attack("oversized-sql", "size", ("<propose>SELECT '" + "x" * 10_000 + "'</propose>",)),
        Attack("after-done", "protocol", ("<propose>SELECT 1</propose>",) + ("<answer/>",) * 12),
        Attack("format-errors-to-limit", "protocol", ("junk",) * 25),
        Attack("reset-index-none", "reset options", reset={"index": None}),
        Attack(
            "reset-dialogue-list",
            "reset options",
            reset={"dialogue_id": ["x"]},
            expect_value_error="dialogue_id",
        ),
        Attack("reset-index-float", "reset options", reset={"index": 1.7}, expect_value_error="index"),
        Attack("reset-index-bool", "reset options", reset={"index": True}, expect_value_error="index"),
        Attack("reset-index-range", "reset options", reset={"index": 10**9}, expect_value_error="index"),
    ]
    writes = [
        f"DROP TABLE {table}", f"DELETE FROM {table}", f"INSERT INTO {table} DEFAULT VALUES",
        f"UPDATE {table} SET rowid = rowid", "CREATE TABLE pwned (x)", "CREATE TEMP TABLE t (x)",
        "CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "ATTACH DATABASE '/tmp/mtsql_bench_attach.db' AS x", "VACUUM INTO '/tmp/mtsql_bench_vacuum.db'",
        "PRAGMA writable_schema = 1", "PRAGMA journal_mode = WAL", "PRAGMA user_version = 7",
        f"SELECT 1; DROP TABLE {table}", "SELECT 1; ATTACH DATABASE '/tmp/mtsql_bench_attach2.db' AS y",
        "SELECT load_extension('/tmp/x')", f"REINDEX {table}", "ANALYZE", "BEGIN; DELETE FROM sqlite_master; COMMIT",
        "SAVEPOINT s", "SELECT writefile('/tmp/mtsql_bench_write', 'x')",
    ]  # fmt: skip
    for number, sql in enumerate(writes):
        attacks.append(
            Attack(f"write-{number}", "writes", (f"<execute>{sql}</execute>", f"<answer>{sql}</answer>"))
        )
    attacks += [
        Attack("printf-width", "slow query", (f"<execute>SELECT {PRINTF}</execute>",), slow=True),
        Attack(
            "printf-width-x4",
            "slow query",
            ("<execute>SELECT " + ", ".join([PRINTF] * 4) + "</execute>",),
            slow=True,
        ),
        Attack("printf-in-answer", "slow query", (f"<answer>SELECT {PRINTF}</answer>",), slow=True),
        Attack("slow-execute", "slow query", (f"<execute>{SLOW}</execute>",), slow=True),
        Attack("slow-answer", "slow query", (f"<answer>{SLOW}</answer>",), slow=True),
        Attack(
            "slow-forced-commit", "slow query", (f"<propose>{SLOW}</propose>",) + ("junk",) * 9, slow=True
        ),
        Attack("slow-history-reset", "slow query", reset={"turn": -1}, env={"mode": "turn"}, slow=True),
        Attack(
            "zeroblob-answer",
            "memory",
            (f"<answer>SELECT hex(zeroblob(499999)) FROM {big_table}</answer>",),
            slow=True,
        ),
        Attack(
            "zeroblob-execute",
            "memory",
            (f"<execute>SELECT hex(zeroblob(499999)) FROM {big_table}</execute>",),
            slow=True,
        ),
        Attack(
            "randomblob-huge",
            "memory",
            ("<execute>SELECT length(randomblob(900000000))</execute>",),
            slow=True,
        ),
        Attack("one-huge-row", "memory", ("<execute>SELECT zeroblob(20000000)</execute>",), slow=True),
    ]
    return attacks


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# --- measuring one attack in a child ----------------------------------------------------------------------


def _rss_kb(field_name: str) -> int:
    match = re.search(rf"{field_name}:\s+(\d+)", Path("/proc/self/status").read_text())
    return int(match.group(1)) if match else 0


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM := VmRSS
    except OSError:
        pass


def _measured(call):
    _reset_peak()
    before = _rss_kb("VmRSS")
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start, max(0, _rss_kb("VmHWM") - before) / 1024


def _attack_child(env: Any, attack: Attack, dialogue_id: str, slow_history: list[str], conn) -> None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the child's life: render_mode="human" prints
    out: dict[str, Any] = {"error": None, "times": [], "growth_mb": 0.0}
    try:
        if attack.env:
            kwargs = dict(env.spec.kwargs) if env.spec else {}
            kwargs.update({k: v for k, v in attack.env.items() if k != "render_mode"})
            render_mode = attack.env.get("render_mode")
            if kwargs.get("mode") == "turn":
                kwargs["history"] = {dialogue_id: slow_history}
            env = gym.make("MTSQL-CoSQL-v0", render_mode=render_mode, **kwargs).unwrapped
        options = dict(attack.reset) if attack.reset is not None else {"dialogue_id": dialogue_id}
        if options.get("turn") == -1:
            options = {"dialogue_id": dialogue_id, "turn": len(slow_history)}
        try:
            _, elapsed, growth = _measured(lambda: env.reset(options=options))
        except ValueError as err:
            if attack.expect_value_error and attack.expect_value_error in str(err):
                out["refused"] = str(err)[:120]
                conn.send(out)
                return
            raise
        out["times"].append(("reset", elapsed))
        out["growth_mb"] = growth
        if attack.expect_value_error:
            out["error"] = "reset accepted a bad option"
        for action in attack.actions:
            _, elapsed, growth = _measured(lambda a=action: env.step(a))  # steps past the end included
            out["times"].append(("step", elapsed))
            out["growth_mb"] = max(out["growth_mb"], growth)
        env.close()
    except BaseException as err:  # noqa: BLE001 - the point is to report it
        out["error"] = f"{type(err).__name__}: {str(err)[:160]}"
    conn.send(out)


def run_attack(
    env: Any, attack: Attack, dialogue_id: str, slow_history: list[str], hard_timeout_s: float
) -> dict:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_attack_child, args=(env, attack, dialogue_id, slow_history, send), daemon=True
    )
    start = time.perf_counter()
    child.start()
    result: dict[str, Any] | None = None
    if receive.poll(hard_timeout_s):
        result = receive.recv()
    child.join(1.0)
    if child.is_alive():
        child.kill()
        child.join()
    if result is None:
        result = {
            "error": f"killed after {time.perf_counter() - start:.0f} s",
            "times": [],
            "growth_mb": float("nan"),
        }
        result["times"] = [("step", time.perf_counter() - start)]
    return result


# --- the run ---------------------------------------------------------------------------------------------


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _target(env: Any, db_id: str | None) -> tuple[str, str, str, list[str]]:
    """(dialogue id, a table, the biggest table, slow history) for the attacks on ``env``."""
    dialogues = env.dataset.dialogues
    chosen = next((d for d in dialogues if d.db_id == db_id), None) if db_id else None
    chosen = chosen or max(dialogues, key=lambda d: len(d.turns))
    longest = max((d for d in dialogues if d.db_id == chosen.db_id), key=lambda d: len(d.turns))
    schema = env.dataset.schemas[chosen.db_id]
    path = env.dataset.db_path(chosen.db_id)
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        sizes = {
            t.original_name: connection.execute(f'SELECT count(*) FROM "{t.original_name}"').fetchone()[0]
            for t in schema.tables
        }
    big = max(sizes, key=sizes.get)
    # The slow-history attack resets the longest dialogue of this database at its last turn: every
    # earlier turn of its history is a slow query.
    return longest.dialogue_id, schema.tables[0].original_name, big, [SLOW] * min(8, len(longest.turns) - 1)


def rewards_per_turn(data_dir: str, **kwargs: Any) -> dict[str, dict[str, float]]:
    """Reward per turn of the blind farmer and of the oracle under each preset."""
    table: dict[str, dict[str, float]] = {}
    for preset in PRESETS:
        for agent in (RewardFarmingAgent(), OracleAgent()):
            env = gym.make(
                "MTSQL-CoSQL-v0", data_dir=data_dir, reward=preset, expose_gold=agent.needs_gold, **kwargs
            )
            table.setdefault(agent.name, {})[preset] = run_agent(env, agent, progress=False).summary["reward"]
            env.close()
    return table


def inputs_tallies() -> dict[str, Any] | None:
    """``bench_hardening_inputs.py --json`` (written by another part of the project), if it exists."""
    script = HERE / "bench_hardening_inputs.py"
    if not script.is_file():
        return None
    with_json = HERE / ".bench_hardening_inputs.json"
    try:
        subprocess.run([sys.executable, str(script), "--json", str(with_json)], check=True, timeout=300,
                       capture_output=True)  # fmt: skip
        data = json.loads(with_json.read_text())
    except (subprocess.SubprocessError, OSError, ValueError) as err:
        return {"error": f"{type(err).__name__}: {str(err)[:120]}"}
    finally:
        with_json.unlink(missing_ok=True)
    totals = data.get("totals", data)
    return {"tried": int(totals.get("tried", 0)), "handled": int(totals.get("handled", 0))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("MTSQL_DATA_DIR"),
        help="the real release (default: $MTSQL_DATA_DIR)",
    )
    parser.add_argument(
        "--hard-timeout", type=float, default=15.0, help="seconds before an attack's child is killed"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("mtsql_env").setLevel(logging.CRITICAL)  # the attacks are meant to log errors

    targets: list[tuple[str, Any, str | None]] = [
        ("sample", gym.make("MTSQL-CoSQL-v0", data_dir="sample"), None)
    ]
    real = args.data_dir and (Path(args.data_dir) / "cosql_dataset" / "tables.json").is_file()
    if real:
        real_env = gym.make("MTSQL-CoSQL-v0", data_dir=args.data_dir, skip_missing_databases=True)
        targets.append(("cosql-dev", real_env, "world_1"))
    timeout_s = targets[0][1].unwrapped.config.query_timeout_s
    cfg = targets[0][1].unwrapped.config
    memory_bound = MEMORY_MARGIN_MB + cfg.result_cache_mb + ExecutorConfig().max_bytes / 2**20

    folders = {name: Path(env.unwrapped.dataset.database_dir) for name, env, _ in targets}
    before = {name: _hashes(folder) for name, folder in folders.items()}
    rows, failures = [], []
    worst = {"step": 0.0, "reset": 0.0, "growth": 0.0}
    start = time.perf_counter()
    for name, env, db_id in targets:
        dialogue_id, table, big, history = _target(env.unwrapped, db_id)
        for attack in catalogue(table, big):
            if attack.slow and name != targets[-1][0]:
                continue
            result = run_attack(env.unwrapped, attack, dialogue_id, history, args.hard_timeout)
            steps = [s for kind, s in result["times"] if kind == "step"] or [0.0]
            resets = [s for kind, s in result["times"] if kind == "reset"] or [0.0]
            growth = result["growth_mb"]
            worst["step"], worst["reset"] = max(worst["step"], max(steps)), max(worst["reset"], max(resets))
            worst["growth"] = max(worst["growth"], 0.0 if math.isnan(growth) else growth)
            problems = [result["error"]] if result["error"] else []
            if max(steps + resets) > timeout_s + MARGIN_S:
                problems.append(f"{max(steps + resets):.1f} s > {timeout_s + MARGIN_S:.2f} s")
            if not growth <= memory_bound:
                problems.append(f"RSS +{growth:.0f} MB > {memory_bound:.0f} MB")
            rows.append({"target": name, "attack": attack.name, "kind": attack.kind, "handled": not problems,
                         "max_s": max(steps + resets), "growth_mb": growth, "problems": problems})  # fmt: skip
            if problems:
                failures.append(f"{name}/{attack.name}: {'; '.join(problems)}")
    attack_time = time.perf_counter() - start
    after = {name: _hashes(folder) for name, folder in folders.items()}
    stray = [p for p in Path("/tmp").glob("mtsql_bench_*")]
    rewards = (
        rewards_per_turn(args.data_dir, skip_missing_databases=True) if real else rewards_per_turn("sample")
    )
    inputs = inputs_tallies()

    tried, handled = len(rows), sum(r["handled"] for r in rows)
    print(f"env attacks: {handled}/{tried} handled ({attack_time:.0f} s; query_timeout_s={timeout_s})")
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        tally = by_kind.setdefault(row["kind"], [0, 0])
        tally[0] += row["handled"]
        tally[1] += 1
    for kind, (ok, total) in by_kind.items():
        print(f"  {kind:<14} {ok}/{total}")
    for failure in failures:
        print(f"  NOT HANDLED {failure}")
    if inputs is not None:
        if "error" in inputs:
            print(f"inputs bench: could not run ({inputs['error']})")
        else:
            print(f"inputs bench (bench_hardening_inputs.py): {inputs['handled']}/{inputs['tried']} handled")
            tried, handled = tried + inputs["tried"], handled + inputs["handled"]
    print(f"total: {handled}/{tried} attacks handled")
    print(f"max step wall time: {worst['step']:.2f} s = {worst['step'] / timeout_s:.2f} x query_timeout_s")
    print(f"max reset wall time: {worst['reset']:.2f} s = {worst['reset'] / timeout_s:.2f} x query_timeout_s")
    print(f"worst single step RSS growth: {worst['growth']:.1f} MB (bound {memory_bound:.0f} MB)")
    unchanged = before == after and not stray
    for name in folders:
        digest = hashlib.sha256(json.dumps(before[name], sort_keys=True).encode()).hexdigest()[:16]
        state = "unchanged" if before[name] == after[name] else "CHANGED"
        print(f"database files {name}: {len(before[name])} files, sha256 {digest} before, {state} after")
    print(f"files created by attacks: {len(stray)}" + (f" ({', '.join(map(str, stray))})" if stray else ""))
    where = "CoSQL dev" if real else "the bundled sample"
    print(f"reward per turn on {where} ({', '.join(PRESETS)}):")
    for agent, values in rewards.items():
        print(f"  {agent:<8} " + "  ".join(f"{preset} {value:.4f}" for preset, value in values.items()))
    figures = {
        "tried": tried, "handled": handled, "env_rows": rows, "inputs": inputs,
        "max_step_x_timeout": worst["step"] / timeout_s, "max_reset_x_timeout": worst["reset"] / timeout_s,
        "worst_step_rss_growth_mb": worst["growth"], "databases_unchanged": unchanged, "rewards_per_turn": rewards,
    }  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))
    return figures


if __name__ == "__main__":
    main()
