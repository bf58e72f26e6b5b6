"""Split a (canonical) query into the ten Spider clauses and render each as text.

The clause keys are the Spider parse keys that MTSQL-R1's clause-level F1 uses. A set operation
``A UNION B`` gives A's clauses plus ``union`` holding B rendered canonically (a chain ``A UNION B
EXCEPT C`` gives ``union``: ``B EXCEPT C``, the way Spider nests it); an ``ORDER BY``/``LIMIT`` after the
set operation is reported as the main query's ``orderBy``/``limit``.
"""

from __future__ import annotations

from sqlglot import exp

from mtsql_env.sql.dialect import text as _text

#: Spider's clause keys, in SQL order.
CLAUSES: tuple[str, ...] = (
    "select",
    "from",
    "where",
    "groupBy",
    "having",
    "orderBy",
    "limit",
    "intersect",
    "union",
    "except",
)
#: SQL keyword of each clause, for rendering a whole query from its clauses.
KEYWORDS: dict[str, str] = {
    "select": "SELECT",
    "from": "FROM",
    "where": "WHERE",
    "groupBy": "GROUP BY",
    "having": "HAVING",
    "orderBy": "ORDER BY",
    "limit": "LIMIT",
    "intersect": "INTERSECT",
    "union": "UNION",
    "except": "EXCEPT",
}
_SET_KEYS = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "except"}


def set_operation_key(node: exp.Expression) -> str | None:
    """``union``/``intersect``/``except`` for a set operation node, else None."""
    for cls, key in _SET_KEYS.items():
        if isinstance(node, cls):
            return key
    return None


def unwrap(query: exp.Expression) -> exp.Expression:
    """Strip parentheses around a query: ``((SELECT ...))`` is ``SELECT ...``."""
    while isinstance(query, (exp.Subquery, exp.Paren)) and not query.alias:
        query = query.this
    return query


SetChain = list[tuple[str, bool, exp.Expression]]


def split_set_operations(query: exp.Expression) -> tuple[exp.Expression, SetChain]:
    """``A op1 B op2 C`` -> ``(A, [(op1, distinct1, B), (op2, distinct2, C)])`` (left to right)."""
    chain: SetChain = []
    query = unwrap(query)
    while (key := set_operation_key(query)) is not None:
        distinct = query.args.get("distinct") is not False
        chain.append((key, distinct, unwrap(query.expression)))
        query = unwrap(query.this)
    chain.reverse()
    return query, chain


def render_from(select: exp.Select) -> str | None:
    """FROM as ``tables ON conditions``: tables and conditions sorted, since join order is free.

    An outer join keeps its side (``LEFT JOIN t``); a CTE is written in front (``WITH ...``).
    """
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        return None
    sources = [_text(from_.this)]
    conditions: list[str] = []
    for join in select.args.get("joins") or ():
        side = join.args.get("side")
        sources.append(f"{side.upper()} JOIN {_text(join.this)}" if side else _text(join.this))
        on = join.args.get("on")
        if on is not None:
            parts = on.flatten() if isinstance(on, exp.And) else [on]
            conditions.extend(_text(part) for part in parts)
        for column in join.args.get("using") or ():
            conditions.append(f"USING {_text(column)}")
    text = ", ".join(sorted(sources))
    if conditions:
        text += " ON " + " AND ".join(sorted(conditions))
    with_ = select.args.get("with_") or select.args.get("with")
    if with_ is not None:
        text = f"{_text(with_)} {text}"
    return text


def render_clauses(query: exp.Expression) -> dict[str, str]:
    """Canonical text of each clause present, in ``CLAUSES`` order (input is not modified).

    Example:
        >>> import sqlglot
        >>> render_clauses(sqlglot.parse_one(
        ...     "SELECT a FROM t WHERE b = 1 UNION SELECT a FROM u ORDER BY a DESC LIMIT 3"))
        {'select': 'a', 'from': 't', 'where': 'b = 1', 'orderBy': 'a DESC', 'limit': '3', 'union': 'SELECT a FROM u'}

    Args:
        query: a parsed query, normally the output of ``normalize.normalize``.

    Returns:
        Clause key -> text, only for clauses the query has.
    """
    outer = unwrap(query)
    main, chain = split_set_operations(outer)
    clauses: dict[str, str] = {}
    if not isinstance(main, exp.Select):  # e.g. VALUES: one opaque select clause
        clauses["select"] = _text(main)
        return clauses
    if main.expressions:
        distinct = "DISTINCT " if main.args.get("distinct") else ""
        clauses["select"] = distinct + ", ".join(_text(e) for e in main.expressions)
    from_text = render_from(main)
    if from_text is not None:
        clauses["from"] = from_text
    for key, arg in (("where", "where"), ("having", "having")):
        node = main.args.get(arg)
        if node is not None:
            clauses[key] = _text(node.this)
    group = main.args.get("group")
    if group is not None and group.expressions:
        clauses["groupBy"] = ", ".join(_text(e) for e in group.expressions)
    order = main.args.get("order") or (outer.args.get("order") if chain else None)
    if order is not None and order.expressions:
        clauses["orderBy"] = ", ".join(_text(e) for e in order.expressions)
    limit = main.args.get("limit") or (outer.args.get("limit") if chain else None)
    if limit is not None:
        text = _text(limit.expression) if limit.expression is not None else _text(limit)
        offset = main.args.get("offset") or (outer.args.get("offset") if chain else None)
        clauses["limit"] = text + (f" OFFSET {_text(offset.expression)}" if offset is not None else "")
    if chain:
        key, _, first = chain[0]
        rest = [render_query(first)]
        for op, distinct, right in chain[1:]:
            rest.append(KEYWORDS[op] + ("" if distinct else " ALL") + " " + render_query(right))
        clauses[key] = ("" if chain[0][1] else "ALL ") + " ".join(rest)
    return {key: clauses[key] for key in CLAUSES if key in clauses}


def render_query(query: exp.Expression) -> str:
    """A whole query written from its canonical clauses (``SELECT ... FROM ... WHERE ...``)."""
    return " ".join(f"{KEYWORDS[key]} {text}" for key, text in render_clauses(query).items())
