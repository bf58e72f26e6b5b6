"""Spider hardness levels of a parsed gold query (evaluation-spec.md §4), bugs included by default.

Computed on the gold's top level, before exact-match normalisation. Three counts decide the level:
``c1`` (clauses, extra FROM units, ``or`` connectors, LIKEs), ``c2`` (condition subqueries and set
operations) and ``o`` (aggregates, several SELECT items / WHERE conditions / GROUP BY columns).
Upstream's aggregate count looks at WHERE negations and at any truthy first field of the HAVING list
(connectors included) instead of at aggregates; ``strict=True`` counts the aggregates of the WHERE and
HAVING left-hand sides instead (STRICT_FIXES ``hardness_counts_aggregates``).
"""

from __future__ import annotations

from typing import Any

from mtsql_env.evaluation.parser import WHERE_OPS

__all__ = ["HARDNESS_LEVELS", "hardness", "hardness_counts"]

HARDNESS_LEVELS = ("easy", "medium", "hard", "extra")
_LIKE = WHERE_OPS.index("like")


def _condition_units(sql: dict[str, Any]) -> tuple:
    return sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]


def _component1(sql: dict[str, Any]) -> int:
    count = sum(1 for key in ("where", "groupBy", "orderBy") if len(sql[key]) > 0)
    count += sql["limit"] is not None
    if sql["from"]["table_units"]:
        count += len(sql["from"]["table_units"]) - 1
    connectors = sql["from"]["conds"][1::2] + sql["where"][1::2] + sql["having"][1::2]
    count += sum(1 for tok in connectors if tok == "or")
    count += sum(1 for unit in _condition_units(sql) if unit[1] == _LIKE)
    return count


def _component2(sql: dict[str, Any]) -> int:
    count = 0
    for unit in _condition_units(sql):
        count += isinstance(unit[3], dict) + isinstance(unit[4], dict)
    return count + sum(1 for op in ("intersect", "except", "union") if sql[op] is not None)


def _has_agg(unit: Any) -> bool:
    # Upstream tests `unit[0] != 0` on whatever it is given: an aggregate id, a not-flag, or the first
    # letter of an `and`/`or` connector.
    return unit[0] != 0


def _val_unit_aggs(val_unit: tuple) -> int:
    return sum(1 for col_unit in val_unit[1:] if col_unit and col_unit[0] != 0)


def _others(sql: dict[str, Any], strict: bool) -> int:
    select_items = sql["select"][1]
    aggs = sum(1 for item in select_items if _has_agg(item))
    aggs += sum(1 for unit in sql["groupBy"] if _has_agg(unit))
    if len(sql["orderBy"]) > 0:
        for val_unit in sql["orderBy"][1]:
            aggs += sum(1 for col_unit in val_unit[1:] if col_unit and _has_agg(col_unit))
    if strict:
        aggs += sum(_val_unit_aggs(unit[2]) for unit in sql["where"][::2] + sql["having"][::2])
    else:
        aggs += sum(1 for unit in sql["where"][::2] if _has_agg(unit))
        aggs += sum(1 for unit in sql["having"] if _has_agg(unit))
    count = int(aggs > 1)
    count += len(select_items) > 1
    count += len(sql["where"]) > 1
    count += len(sql["groupBy"]) > 1
    return count


def hardness_counts(parsed: dict[str, Any], *, strict: bool = False) -> tuple[int, int, int]:
    """Return ``(c1, c2, o)`` for a parsed query (spec §4)."""
    return _component1(parsed), _component2(parsed), _others(parsed, strict)


def hardness(parsed: dict[str, Any], *, strict: bool = False) -> str:
    """Classify a parsed (un-normalised) gold query as easy, medium, hard or extra.

    Example:
        >>> from mtsql_env.evaluation.parser import parse_sql
        >>> from mtsql_env.evaluation.schema import EvalSchema
        >>> s = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"]})
        >>> hardness(parse_sql("SELECT name FROM singer ORDER BY age DESC LIMIT 1", s))
        'medium'
        >>> q = "SELECT count(*) FROM singer WHERE singer_id NOT IN (SELECT singer_id FROM singer)"
        >>> hardness(parse_sql(q, s)), hardness(parse_sql(q, s), strict=True)
        ('extra', 'hard')

    Args:
        parsed: the output of :func:`~mtsql_env.evaluation.parser.parse_sql`.
        strict: count real WHERE/HAVING aggregates instead of upstream's proxies.

    Returns:
        One of :data:`HARDNESS_LEVELS`.
    """
    c1, c2, others = hardness_counts(parsed, strict=strict)
    if c1 <= 1 and others == 0 and c2 == 0:
        return "easy"
    if c2 == 0 and ((c1 <= 1 and others <= 2) or (c1 <= 2 and others <= 1)):
        return "medium"
    if (
        (c2 == 0 and c1 <= 2 and others > 2)
        or (c2 == 0 and c1 == 3 and others <= 2)
        or (c1 <= 1 and others == 0 and c2 <= 1)
    ):
        return "hard"
    return "extra"
