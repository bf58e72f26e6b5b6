"""Near-miss neighbours of a gold query: the wrong answers a test suite must tell apart from the gold.

Each neighbour is the gold with one small edit (Zhong, Yu and Klein 2020, §3): a droppable span removed (one
conjunct, WHERE, HAVING, GROUP BY, ORDER BY, LIMIT, a SELECT item, one side of a set operation), an aggregate,
a comparison, a column, ASC/DESC, AND/OR, LIKE/NOT LIKE or IN/NOT IN swapped, or a literal perturbed. Edits are
made on a sqlglot tree: the gold is parsed once, and the k-th node of the walk order is edited in a copy, so
every neighbour is a well-formed query. DISTINCT edits are left out: the official EX deletes DISTINCT before
running anything, so they could never be told apart.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence

from sqlglot import exp

from mtsql_env.sql.dialect import text
from mtsql_env.sql.parsing import parse

__all__ = [
    "constant_value",
    "literal_contexts",
    "near_values",
    "neighbour_queries",
    "resolve_table",
]

#: Schema as the generator reads it: lower-cased table name -> its column names (original spelling).
Columns = Mapping[str, Sequence[str]]

_AGGREGATE_SWAPS: dict[type[exp.Expr], tuple[type[exp.Expr], ...]] = {
    exp.Max: (exp.Min, exp.Avg),
    exp.Min: (exp.Max, exp.Avg),
    exp.Avg: (exp.Max, exp.Sum),
    exp.Sum: (exp.Avg, exp.Max),
}
_COMPARISON_SWAPS: dict[type[exp.Expr], tuple[type[exp.Expr], ...]] = {
    exp.EQ: (exp.NEQ, exp.GT, exp.LT),
    exp.NEQ: (exp.EQ,),
    exp.GT: (exp.GTE, exp.LT, exp.EQ),
    exp.GTE: (exp.GT, exp.LTE),
    exp.LT: (exp.LTE, exp.GT, exp.EQ),
    exp.LTE: (exp.LT, exp.GTE),
}
_DROPPABLE_ARGS = ("where", "having", "group", "order", "limit")
#: Column swaps tried per column reference (sampled): they are the most numerous edits.
COLUMN_SWAPS_PER_REFERENCE = 2


def near_values(value: float | str) -> list[int | float | str]:
    """Values next to a constant: ±1 for numbers; for text, case changes, a letter added or dropped, LIKE parts.

    Example:
        >>> near_values(20), near_values("%ab%")
        ([19, 21], ['ab', '%AB%', 'Ab', '%ab%x', '%ab'])
    """
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value - 1, value + 1]
    if isinstance(value, float):
        return [value - 1, value + 1, round(value + 0.5, 6)]
    out: list[int | float | str] = []
    core = value.strip("%")
    if core != value:
        out.append(core)
    for candidate in (
        value.upper(),
        value.lower(),
        core.capitalize(),
        value + "x" if value else "x",
        value[:-1],
    ):
        if candidate != value and candidate not in out:
            out.append(candidate)
    return out


def _literal_value(node: exp.Literal) -> int | float | str:
    if node.is_string:
        return node.this
    try:
        return int(node.this)
    except ValueError:
        return float(node.this)


def _literal(value: float | str) -> exp.Expr:
    if isinstance(value, str):
        return exp.Literal.string(value)
    literal = exp.Literal.number(abs(value))
    return exp.Neg(this=literal) if value < 0 else literal


def table_aliases(tree: exp.Expr) -> dict[str, str]:
    """Alias (or name), lower-cased -> lower-cased table name, over the whole query (subqueries included)."""
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        aliases.setdefault(name, name)
        if table.alias:
            aliases[table.alias.lower()] = name
    return aliases


def resolve_table(column: exp.Column, aliases: Mapping[str, str], columns: Columns) -> str | None:
    """The table a column reference belongs to: its qualifier's table, else the first query table that has it."""
    if column.table:
        table = aliases.get(column.table.lower())
        return table if table in columns else None
    name = column.name.lower()
    for table in dict.fromkeys(aliases.values()):
        if any(c.lower() == name for c in columns.get(table, ())):
            return table
    return None


def constant_value(
    node: exp.Expr, aliases: Mapping[str, str], columns: Columns | None
) -> int | float | str | None:
    """The constant a node stands for: a literal, or a double-quoted name that is no column of the query's tables.

    SQLite reads ``"Stark s Park"`` as a string when no column has that name, and Spider gold writes most
    strings that way; sqlglot parses them as quoted identifiers.
    """
    if isinstance(node, exp.Literal):
        return _literal_value(node)
    if not (isinstance(node, exp.Column) and not node.table and node.this.args.get("quoted")):
        return None
    if columns is not None and resolve_table(node, aliases, columns) is not None:
        return None
    return node.name


def literal_contexts(sql: str, columns: Columns) -> list[tuple[str, str, int | float | str]]:
    """``(table, column, constant)`` for every ``column <op> literal`` of the query (LIKE, IN, BETWEEN too).

    The generator puts these constants (and :func:`near_values` of them) into that column's value pool, so
    random databases contain rows on both sides of the gold's conditions.
    """
    tree = parse(sql)
    if tree is None:
        return []
    aliases = table_aliases(tree)
    found: list[tuple[str, str, int | float | str]] = []
    for literal in tree.find_all(exp.Literal, exp.Column):
        value = constant_value(literal, aliases, columns)
        if value is None:
            continue
        parent = literal.parent
        while isinstance(parent, (exp.Neg, exp.Paren, exp.Tuple)):
            parent = parent.parent
        column = parent.this if isinstance(parent, (exp.Predicate, exp.In, exp.Between)) else None
        if isinstance(column, (exp.Avg, exp.Max, exp.Min, exp.Sum)):
            column = column.this  # HAVING avg(x) > 72: rows with x = 72 put a group on the boundary
        if not isinstance(column, exp.Column) or column is literal:
            continue
        table = resolve_table(column, aliases, columns)
        if table is None:
            continue
        if isinstance(literal.parent, exp.Neg) and not isinstance(value, str):
            value = -value
        found.append((table, column.name, value))
    return found


# -- edits: each yields replacements for one node (None: remove the node) -----------------------------------


def _drops(node: exp.Expr) -> Iterator[exp.Expr | None]:
    if isinstance(node, (exp.Connector, exp.SetOperation)):
        yield node.left.copy()
        yield node.right.copy()
    elif isinstance(node, (exp.Where, exp.Having, exp.Group, exp.Order, exp.Limit)) or (
        isinstance(node.parent, exp.Select)
        and node.arg_key == "expressions"
        and len(node.parent.expressions) > 1
    ):
        yield None


def _swaps(node: exp.Expr) -> Iterator[exp.Expr | None]:
    kind = type(node)
    if kind in _AGGREGATE_SWAPS:
        for other in _AGGREGATE_SWAPS[kind]:
            yield other(this=node.this.copy())
    elif isinstance(node, exp.Count) and not isinstance(node.this, exp.Star):
        yield exp.Sum(this=node.this.copy())
    elif kind in _COMPARISON_SWAPS:
        for other in _COMPARISON_SWAPS[kind]:
            yield other(this=node.this.copy(), expression=node.expression.copy())
    elif isinstance(node, exp.Ordered):
        flipped = node.copy()
        desc = not node.args.get("desc")
        flipped.set("desc", desc)
        flipped.set("nulls_first", not desc)  # SQLite's default: NULLs sort first ascending, last descending
        yield flipped
    elif isinstance(node, exp.And):
        yield exp.Or(this=node.this.copy(), expression=node.expression.copy())
    elif isinstance(node, exp.Or):
        yield exp.And(this=node.this.copy(), expression=node.expression.copy())
    elif isinstance(node, exp.Not) and isinstance(node.this, (exp.Like, exp.In)):
        yield node.this.copy()
    elif isinstance(node, (exp.Like, exp.In)) and not isinstance(node.parent, exp.Not):
        yield exp.Not(this=node.copy())


def _literal_swaps(columns: Columns | None, aliases: Mapping[str, str]) -> Callable:
    def swaps(node: exp.Expr) -> Iterator[exp.Expr | None]:
        if isinstance(node.parent, exp.Limit):
            return
        value = constant_value(node, aliases, columns)
        if value is None:
            return
        for near in near_values(value):
            if isinstance(node.parent, exp.Like) and str(near).lower() == str(value).lower():
                continue  # SQLite's LIKE ignores case: never separable
            yield _literal(near)

    return swaps


def _column_swaps(columns: Columns, aliases: Mapping[str, str], rng: random.Random) -> Callable:
    def swaps(node: exp.Expr) -> Iterator[exp.Expr | None]:
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            return
        if constant_value(node, aliases, columns) is not None:
            return
        table = resolve_table(node, aliases, columns)
        if table is None:
            return
        others = [c for c in columns[table] if c.lower() != node.name.lower()]
        for other in rng.sample(others, min(COLUMN_SWAPS_PER_REFERENCE, len(others))):
            swapped = node.copy()
            swapped.set("this", exp.to_identifier(other))
            yield swapped

    return swaps


def neighbour_queries(
    sql: str, columns: Columns | None = None, *, max_neighbours: int = 60, seed: int = 0
) -> list[str]:
    """One-edit neighbours of ``sql`` (SQLite text), deterministic for a seed: the empty-result query first, then
    at most ``max_neighbours`` distinct edits.

    Example:
        >>> for query in neighbour_queries("SELECT name FROM singer WHERE age > 20")[:3]:
        ...     print(query)
        SELECT * FROM (SELECT name FROM singer WHERE age > 20) LIMIT 0
        SELECT name FROM singer
        SELECT name FROM singer WHERE age >= 20

    Args:
        sql: the gold query.
        columns: the schema (lower-cased table -> column names) for column swaps; None skips them.
        max_neighbours: keep a seeded sample of this many when there are more.
        seed: seed of the sampling (column choice and the cap).

    Returns:
        Neighbour queries, none equal to the gold's own rendering; empty when the gold does not parse.
    """
    tree = parse(sql)
    if tree is None:
        return []
    rng = random.Random(f"neighbours:{seed}:{sql}")
    aliases = table_aliases(tree)
    edits: list[Callable[[exp.Expr], Iterator[exp.Expr | None]]] = [
        _drops,
        _swaps,
        _literal_swaps(columns, aliases),
    ]
    if columns:
        edits.append(_column_swaps(columns, aliases, rng))
    original = text(tree)
    found: dict[str, None] = {}
    for index, node in enumerate(tree.walk()):
        for edit in edits:
            for replacement in edit(node):
                edited = tree.copy()
                target = next(n for i, n in enumerate(edited.walk()) if i == index)
                if replacement is None:
                    target.pop()
                elif target is edited:
                    edited = replacement
                else:
                    target.replace(replacement)
                rendered = text(edited)
                if rendered != original:
                    found.setdefault(rendered)
    result = list(found)
    if len(result) > max_neighbours:
        result = sorted(rng.sample(result, max_neighbours), key=result.index)
    # No rows at all: separated only where the gold returns rows, so the suite gets a database where it does
    # (else `SELECT 1 WHERE 0` would pass wherever the gold is empty everywhere).
    return [f"SELECT * FROM ({original}) LIMIT 0", *result]
