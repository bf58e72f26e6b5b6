"""Per-query cost of the two sqlglot-heavy paths the env runs at every step, on the gold of a dev split.

Run: ``python benchmarks/bench_sql_analysis.py [--data-dir DIR] [--repeat N]`` (default: the real CoSQL
dev set when ``$MTSQL_DATA_DIR`` finds it, else the bundled sample). It prints:

1. the memory diff (`mtsql_env.sql.diff_queries`) of every consecutive gold pair, parse caches warm and
   the diff caches cleared (what a new candidate costs in the env), in µs per pair;
2. exact set match of every gold against its prepared self (`match_prepared`), in µs per prediction.

These were timing assertions in the tests (3000 µs per diff, 400 µs per prediction); speed belongs here.
"""

from __future__ import annotations

import argparse
import time

from mtsql_env.datasets import load_dataset, load_sample
from mtsql_env.evaluation.exact_match import match_prepared, prepare_gold
from mtsql_env.evaluation.parser import SQLParseError
from mtsql_env.evaluation.schema import load_eval_schema, load_foreign_key_maps
from mtsql_env.sql import canonical_tree, diff_queries
from mtsql_env.sql import memory_diff as memory_diff_module


def _best_us(fn, items: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best / max(1, items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="a CoSQL release (or its parent); 'sample' for the bundled sample")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    if args.data_dir == "sample":
        dataset = load_sample("dev")
    else:
        dataset = load_dataset(
            "cosql", "dev", args.data_dir, skip_missing_databases=True, fallback_to_sample=True
        )
    print(f"data: {dataset.source} dev, {len(dataset.dialogues)} dialogues, {dataset.num_turns} turns")

    pairs = [(b.query, a.query) for d in dataset.dialogues for a, b in zip(d.turns, d.turns[1:])]
    for candidate, previous in pairs:  # the env diffs against memory SQL whose trees are cached
        canonical_tree(candidate), canonical_tree(previous)

    def diffs() -> None:
        memory_diff_module._diff.cache_clear()
        memory_diff_module._facts.cache_clear()
        for candidate, previous in pairs:
            diff_queries(candidate, previous)

    print(f"memory diff: {_best_us(diffs, len(pairs), args.repeat):.0f} µs per pair ({len(pairs)} pairs)")

    kmaps = load_foreign_key_maps(dataset.tables_path)
    prepared = []
    for dialogue in dataset.dialogues:
        schema = load_eval_schema(dataset.db_path(dialogue.db_id))
        for turn in dialogue.turns:
            try:
                kmap = kmaps[dialogue.db_id]
                prepared.append((turn.query, prepare_gold(turn.query, schema, kmap), schema, kmap))
            except SQLParseError:
                continue

    def matches() -> None:
        for sql, gold, schema, kmap in prepared:
            match_prepared(sql, gold, schema, kmap)

    print(
        f"exact match: {_best_us(matches, len(prepared), args.repeat):.0f} µs per prediction ({len(prepared)} golds)"
    )


if __name__ == "__main__":
    main()
