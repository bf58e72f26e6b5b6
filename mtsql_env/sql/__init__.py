"""SQL analysis on sqlglot: parsing, canonical clauses, clause-level F1, memory diffs, result sanity.

One job per module:

* ``dialect``   -- sqlglot's SQLite dialect resolved once: per-thread tokenizer, parser and generator;
* ``parsing``   -- clean Spider quirks, parse (cached, read-only trees), canonical clause texts;
* ``normalize`` -- the canonicalisation passes (``RULES``) applied to a copy of a parsed tree;
* ``split``     -- the ten Spider clauses of a query and their canonical rendering;
* ``clauses``   -- clause-level F1 (MTSQL-R1's R_gen / R_coherence);
* ``memory_diff`` -- what a candidate keeps, adds or drops relative to the previous turn's SQL;
* ``sanity``    -- execution sanity of a result (error, empty, NULL-only columns, duplicates).
"""

from __future__ import annotations

from mtsql_env.sql import memory_diff, parsing
from mtsql_env.sql.clauses import CLAUSES, clause_f1, clause_matches
from mtsql_env.sql.memory_diff import ClauseChange, QueryDiff, diff_queries
from mtsql_env.sql.parsing import canonical_clauses, canonical_tree, clean_sql, parse, schema_key
from mtsql_env.sql.sanity import SanityReport, check_result


def cache_clear() -> None:
    """Empty every cache of the package (for cold-start benchmarks and memory-bound long runs)."""
    parsing.cache_clear()
    memory_diff.cache_clear()


__all__ = [
    "CLAUSES",
    "ClauseChange",
    "QueryDiff",
    "SanityReport",
    "cache_clear",
    "check_result",
    "diff_queries",
    "canonical_clauses",
    "canonical_tree",
    "clause_f1",
    "clause_matches",
    "clean_sql",
    "parse",
    "schema_key",
]
