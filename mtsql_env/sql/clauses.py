"""Clause-level F1, the score behind MTSQL-R1's R_gen and R_coherence process rewards.

Definition (MTSQL-R1, arXiv 2510.12831): for each clause either query has (``CLAUSES``), score 1 if the two clauses
are identical after parsing, else 0; average over those clauses. "Identical after parsing" means equal
canonical text (``parsing.canonical_clauses``): spelling, case, aliases and order-free parts do not
count, values do.
"""

from __future__ import annotations

from mtsql_env.sql.parsing import SchemaLike, canonical_clauses
from mtsql_env.sql.split import CLAUSES

__all__ = ["CLAUSES", "clause_f1", "clause_matches"]


def clause_matches(pred_sql: str, gold_sql: str, schema: SchemaLike = None) -> dict[str, bool] | None:
    """For each clause either query has, whether the two agree; None if either side does not parse.

    Example:
        >>> clause_matches("SELECT name FROM singer WHERE age > 30", "SELECT name FROM singer WHERE age > 20")
        {'select': True, 'from': True, 'where': False}

    Args:
        pred_sql: the predicted SQL.
        gold_sql: the reference SQL.
        schema: optional schema used to qualify bare columns (see ``canonical_clauses``).

    Returns:
        Clause key -> match, in ``CLAUSES`` order, or None.
    """
    pred = canonical_clauses(pred_sql, schema)
    gold = canonical_clauses(gold_sql, schema)
    if pred is None or gold is None:
        return None
    return {key: pred.get(key) == gold.get(key) for key in CLAUSES if key in pred or key in gold}


def clause_f1(pred_sql: str, gold_sql: str, schema: SchemaLike = None) -> float:
    """Share of the clauses present in either query that are identical in both.

    Example:
        >>> clause_f1("SELECT T1.name FROM singer AS T1", "select Name from SINGER")
        1.0
        >>> clause_f1("SELECT name FROM singer WHERE age > 30", "SELECT name FROM singer WHERE age > 20")
        0.6666666666666666
        >>> clause_f1("SELECT name FROM singer ORDER BY age", "SELECT name FROM singer")
        0.6666666666666666
        >>> clause_f1("SELEC name FRM singer", "SELECT name FROM singer")
        0.0

    Args:
        pred_sql: the predicted SQL.
        gold_sql: the reference SQL.
        schema: optional schema used to qualify bare columns (see ``canonical_clauses``).

    Returns:
        A score in [0, 1]; 0.0 when either query does not parse (the gold never should).
    """
    matches = clause_matches(pred_sql, gold_sql, schema)
    if not matches:
        return 0.0
    return sum(matches.values()) / len(matches)
