"""The official evaluator's SQL parser, re-implemented over its token stream (evaluation-spec.md §2.3–§2.5).

A recursive-descent parser with one method per clause. It accepts exactly what the official parser
accepts, because exact set match is decided as much by *which* predictions fail to parse (they become
:func:`empty_sql`) as by how the rest compare. That includes its quirks: the FROM clause is found by
the first ``from`` token of the (sub)query and parsed before SELECT, a bare column resolves to the first
FROM table that has it, a right-hand column value swallows everything up to the next stop token, LIMIT
always stores ``1``, and anything after a complete top-level query is ignored.

Structure produced (spec §2.4), with tuples wherever upstream uses lists (equality is unaffected, and
tuples make cached gold structures immutable):

- col_unit ``(agg_id, column_id, distinct)``; val_unit ``(unit_op, col_unit, col_unit | None)``
- cond_unit ``(not, op_id, val_unit, val1, val2)``; condition ``(cond_unit, "and" | "or", cond_unit, ...)``
- query ``{"select": (distinct, ((agg_id, val_unit), ...)), "from": {"table_units": ..., "conds": ...},
  "where", "groupBy", "having", "orderBy": () | (direction, (val_unit, ...)), "limit": None | 1,
  "intersect" / "union" / "except": None | query}``; table_unit ``("table_unit", "__t__") | ("sql", query)``
"""

from __future__ import annotations

from typing import Any

from mtsql_env.evaluation.schema import EvalSchema
from mtsql_env.evaluation.tokenizer import SQLParseError, tokenize

__all__ = [
    "AGG_OPS",
    "UNIT_OPS",
    "WHERE_OPS",
    "SQLParseError",
    "empty_sql",
    "parse_sql",
    "parse_tokens",
]

AGG_OPS = ("none", "max", "min", "count", "sum", "avg")
UNIT_OPS = ("none", "-", "+", "*", "/")
WHERE_OPS = ("not", "between", "=", ">", "<", ">=", "<=", "!=", "in", "like", "is", "exists")
SET_OPS = ("intersect", "union", "except")

_AGG = {name: i for i, name in enumerate(AGG_OPS)}
_UNIT = {name: i for i, name in enumerate(UNIT_OPS)}
_WHERE = {name: i for i, name in enumerate(WHERE_OPS)}
_BETWEEN = _WHERE["between"]
_CLAUSE_KEYWORDS = frozenset(("select", "from", "where", "group", "order", "limit") + SET_OPS)
_JOIN_KEYWORDS = frozenset(("join", "on", "as"))
_COND_OPS = frozenset(("and", "or"))
_ORDER_DIRECTIONS = frozenset(("asc", "desc"))
_END_OF_LIST = _CLAUSE_KEYWORDS | {")", ";"}
_END_OF_CONDITION = _END_OF_LIST | _JOIN_KEYWORDS
# A right-hand column value runs until one of these (note: `or` and `having` are not among them).
_END_OF_COLUMN_VALUE = _CLAUSE_KEYWORDS | _JOIN_KEYWORDS | {",", ")", "and"}

Query = dict[str, Any]


def empty_sql() -> Query:
    """The query a prediction that fails to parse is scored as (spec §2.6): nothing selected, no tables.

    Example:
        >>> empty_sql()["select"], empty_sql()["from"]
        ((False, ()), {'table_units': (), 'conds': ()})
    """
    return {
        "select": (False, ()),
        "from": {"table_units": (), "conds": ()},
        "where": (),
        "groupBy": (),
        "having": (),
        "orderBy": (),
        "limit": None,
        "intersect": None,
        "union": None,
        "except": None,
    }


class _Parser:
    """Parser state for one token list: the tokens, the query-wide alias map and the schema.

    Methods take a token position and return ``(next_position, node)``. Running off the end of the
    tokens raises IndexError, which :func:`parse_tokens` reports as a parse failure, as upstream fails.
    """

    __slots__ = ("toks", "n", "aliases", "schema", "strict")

    def __init__(self, toks: list[str], aliases: dict[str, str], schema: EvalSchema, strict: bool) -> None:
        self.toks = toks
        self.n = len(toks)
        self.aliases = aliases
        self.schema = schema
        self.strict = strict

    # -- query ---------------------------------------------------------------------------------
    def query(self, start: int) -> tuple[int, Query]:
        """``[(] select … from … [where] [group by [having]] [order by] [limit] [;] [)] [;] [setop query]``."""
        toks = self.toks
        idx = start
        block = toks[idx] == "("
        if block:
            idx += 1
        # FROM first: its tables are the default tables for bare columns everywhere else.
        from_end, table_units, conds, default_tables = self.from_clause(start)
        select = self.select_clause(idx, default_tables)
        idx, where = self.where_clause(from_end, default_tables)
        idx, group_by = self.group_by_clause(idx, default_tables)
        idx, having = self.having_clause(idx, default_tables)
        idx, order_by = self.order_by_clause(idx, default_tables)
        idx, limit = self.limit_clause(idx)
        idx = self.skip_semicolons(idx)
        if block:
            self.expect(idx, ")")
            idx += 1
        idx = self.skip_semicolons(idx)
        sql: Query = {
            "select": select,
            "from": {"table_units": table_units, "conds": conds},
            "where": where,
            "groupBy": group_by,
            "having": having,
            "orderBy": order_by,
            "limit": limit,
            "intersect": None,
            "union": None,
            "except": None,
        }
        if idx < self.n and toks[idx] in SET_OPS:
            op = toks[idx]
            idx, sql[op] = self.query(idx + 1)
        return idx, sql

    def skip_semicolons(self, idx: int) -> int:
        while idx < self.n and self.toks[idx] == ";":
            idx += 1
        return idx

    def expect(self, idx: int, token: str) -> None:
        if self.toks[idx] != token:
            raise SQLParseError(f"expected {token!r} at token {idx}, got {self.toks[idx]!r}")

    # -- FROM ----------------------------------------------------------------------------------
    def from_clause(self, start: int) -> tuple[int, tuple, tuple, list[str]]:
        """``from unit [join unit] [on condition] …`` starting at the first ``from`` after ``start``."""
        toks, n = self.toks, self.n
        try:
            idx = toks.index("from", start) + 1
        except ValueError:
            raise SQLParseError("'from' not found") from None
        default_tables: list[str] = []
        table_units: list[tuple] = []
        conds: list[Any] = []
        while idx < n:
            block = toks[idx] == "("
            if block:
                idx += 1
            if toks[idx] == "select":
                idx, sub = self.query(idx)
                table_units.append(("sql", sub))
            else:
                if idx < n and toks[idx] == "join":
                    idx += 1
                idx, table_id, table_name = self.table_unit(idx)
                table_units.append(("table_unit", table_id))
                default_tables.append(table_name)
            if idx < n and toks[idx] == "on":
                idx, on_conds = self.condition(idx + 1, default_tables)
                if conds:
                    conds.append("and")
                conds.extend(on_conds)
            if block:
                self.expect(idx, ")")
                idx += 1
            if idx < n and toks[idx] in _END_OF_LIST:
                break
        return idx, tuple(table_units), tuple(conds), default_tables

    def table_unit(self, idx: int) -> tuple[int, str, str]:
        """``name [as alias]``; ``name`` may itself be an alias defined anywhere in the query."""
        tok = self.toks[idx]
        table = self.aliases.get(tok)
        if table is None:
            raise SQLParseError(f"unknown table or alias {tok!r}")
        table_id = self.schema.id_map.get(table)
        if table_id is None:
            raise SQLParseError(f"unknown table {table!r}")
        idx += 3 if idx + 1 < self.n and self.toks[idx + 1] == "as" else 1
        return idx, table_id, table

    # -- SELECT --------------------------------------------------------------------------------
    def select_clause(self, idx: int, default_tables: list[str]) -> tuple[bool, tuple]:
        """``select [distinct] [agg] val_unit [,] …`` up to the next clause keyword."""
        toks, n = self.toks, self.n
        self.expect(idx, "select")
        idx += 1
        distinct = idx < n and toks[idx] == "distinct"
        if distinct:
            idx += 1
        items = []
        while idx < n and toks[idx] not in _CLAUSE_KEYWORDS:
            agg = _AGG.get(toks[idx], 0)
            if toks[idx] in _AGG:
                idx += 1
            idx, val_unit = self.val_unit(idx, default_tables)
            items.append((agg, val_unit))
            if idx < n and toks[idx] == ",":
                idx += 1
        return distinct, tuple(items)

    # -- WHERE / GROUP BY / HAVING / ORDER BY / LIMIT -------------------------------------------
    def where_clause(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        if idx >= self.n or self.toks[idx] != "where":
            return idx, ()
        return self.condition(idx + 1, default_tables)

    def group_by_clause(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        """``group by col_unit, …``; anything else after a column ends the list silently."""
        toks, n = self.toks, self.n
        if idx >= n or toks[idx] != "group":
            return idx, ()
        idx += 1
        self.expect(idx, "by")
        idx += 1
        units = []
        while idx < n and toks[idx] not in _END_OF_LIST:
            idx, col_unit = self.col_unit(idx, default_tables)
            units.append(col_unit)
            if idx < n and toks[idx] == ",":
                idx += 1
            else:
                break
        return idx, tuple(units)

    def having_clause(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        if idx >= self.n or self.toks[idx] != "having":
            return idx, ()
        return self.condition(idx + 1, default_tables)

    def order_by_clause(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        """``order by val_unit [asc|desc], …``: one direction for the clause, the last explicit one.

        In strict mode (STRICT_FIXES ``order_direction_per_key``) the direction is a tuple with one entry
        per key instead.
        """
        toks, n = self.toks, self.n
        if idx >= n or toks[idx] != "order":
            return idx, ()
        idx += 1
        self.expect(idx, "by")
        idx += 1
        direction = "asc"
        per_key: list[str] = []
        units = []
        while idx < n and toks[idx] not in _END_OF_LIST:
            idx, val_unit = self.val_unit(idx, default_tables)
            units.append(val_unit)
            key_direction = "asc"
            if idx < n and toks[idx] in _ORDER_DIRECTIONS:
                direction = key_direction = toks[idx]
                idx += 1
            per_key.append(key_direction)
            if idx < n and toks[idx] == ",":
                idx += 1
            else:
                break
        return idx, ((tuple(per_key) if self.strict else direction), tuple(units))

    def limit_clause(self, idx: int) -> tuple[int, int | None]:
        """``limit <token>``: the token is required but its value is never read (always ``1``)."""
        if idx < self.n and self.toks[idx] == "limit":
            if idx + 1 >= self.n:
                raise SQLParseError("LIMIT without a value")
            return idx + 2, 1
        return idx, None

    # -- conditions ----------------------------------------------------------------------------
    def condition(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        """``val_unit [not] op value [and value] (and|or …)*`` until a clause/join keyword, ``)`` or ``;``."""
        toks, n = self.toks, self.n
        conds: list[Any] = []
        while idx < n:
            idx, val_unit = self.val_unit(idx, default_tables)
            negated = toks[idx] == "not"
            if negated:
                idx += 1
            if idx >= n or toks[idx] not in _WHERE:
                raise SQLParseError(f"bad condition operator at token {idx}")
            op = _WHERE[toks[idx]]
            idx, val1 = self.value(idx + 1, default_tables)
            val2 = None
            if op == _BETWEEN:
                self.expect(idx, "and")
                idx, val2 = self.value(idx + 1, default_tables)
            conds.append((negated, op, val_unit, val1, val2))
            if idx < n and toks[idx] in _END_OF_CONDITION:
                break
            if idx < n and toks[idx] in _COND_OPS:
                conds.append(toks[idx])
                idx += 1
        return idx, tuple(conds)

    def value(self, idx: int, default_tables: list[str]) -> tuple[int, Any]:
        """A subquery, a quoted string, a number, or else the first col_unit of the following run."""
        toks, n = self.toks, self.n
        start = idx
        block = toks[idx] == "("
        if block:
            idx += 1
        tok = toks[idx]
        if tok == "select":
            idx, val = self.query(idx)
        elif '"' in tok:
            val = tok
            idx += 1
        else:
            try:
                val = float(tok)
                idx += 1
            except ValueError:
                end = idx
                while end < n and toks[end] not in _END_OF_COLUMN_VALUE:
                    end += 1
                # Upstream parses the slice from `start` (a leading `(` included), so `= (col)` fails.
                window = _Parser(toks[start:end], self.aliases, self.schema, self.strict)
                _, val = window.col_unit(0, default_tables)
                idx = end
        if block:
            self.expect(idx, ")")
            idx += 1
        return idx, val

    # -- units ---------------------------------------------------------------------------------
    def val_unit(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        """``[(] col_unit [op col_unit] [)]``."""
        toks, n = self.toks, self.n
        block = toks[idx] == "("
        if block:
            idx += 1
        idx, col_unit1 = self.col_unit(idx, default_tables)
        unit_op, col_unit2 = 0, None
        if idx < n and toks[idx] in _UNIT:
            unit_op = _UNIT[toks[idx]]
            idx, col_unit2 = self.col_unit(idx + 1, default_tables)
        if block:
            self.expect(idx, ")")
            idx += 1
        return idx, (unit_op, col_unit1, col_unit2)

    def col_unit(self, idx: int, default_tables: list[str]) -> tuple[int, tuple]:
        """``agg ( [distinct] column )`` or ``[(] [distinct] column [)]``."""
        toks, n = self.toks, self.n
        block = toks[idx] == "("
        if block:
            idx += 1
        tok = toks[idx]
        if tok in _AGG:
            idx += 1
            if idx >= n or toks[idx] != "(":
                raise SQLParseError(f"expected '(' after {tok!r}")
            idx += 1
            distinct = toks[idx] == "distinct"
            if distinct:
                idx += 1
            idx, column_id = self.column(idx, default_tables)
            if idx >= n or toks[idx] != ")":
                raise SQLParseError(f"expected ')' closing {tok!r}")
            # Upstream returns here without consuming the `)` of an enclosing block.
            return idx + 1, (_AGG[tok], column_id, distinct)
        distinct = tok == "distinct"
        if distinct:
            idx += 1
        idx, column_id = self.column(idx, default_tables)
        if block:
            self.expect(idx, ")")
            idx += 1
        return idx, (0, column_id, distinct)

    def column(self, idx: int, default_tables: list[str]) -> tuple[int, str]:
        """``*``, ``alias.column``, or a bare column taken from the first default table that has it."""
        tok = self.toks[idx]
        if tok == "*":
            return idx + 1, "__all__"
        schema = self.schema
        if "." in tok:
            parts = tok.split(".")
            if len(parts) != 2:
                raise SQLParseError(f"bad column {tok!r}")
            table = self.aliases.get(parts[0])
            column_id = None if table is None else schema.id_map.get(f"{table}.{parts[1]}")
            if column_id is None:
                raise SQLParseError(f"unknown column {tok!r}")
            return idx + 1, column_id
        if not default_tables:
            raise SQLParseError(f"no FROM table to resolve {tok!r}")
        for alias in default_tables:
            table = self.aliases.get(alias)
            columns = None if table is None else schema.column_sets.get(table)
            if columns is None:
                raise SQLParseError(f"unknown table {alias!r}")
            if tok in columns:
                return idx + 1, schema.id_map[f"{table}.{tok}"]
        raise SQLParseError(f"unknown column {tok!r}")


def _alias_map(toks: list[str], schema: EvalSchema) -> dict[str, str]:
    """Every ``x as y`` in the whole query (last one wins), plus each table as its own alias."""
    aliases: dict[str, str] = {}
    if "as" in toks:
        last = len(toks) - 1
        for i, tok in enumerate(toks):
            if tok == "as":
                if i == last:
                    raise SQLParseError("'as' at the end of the query")
                aliases[toks[i + 1]] = toks[i - 1]
    for table in schema.tables:
        if table in aliases:
            raise SQLParseError(f"alias {table!r} has the same name as a table")
        aliases[table] = table
    return aliases


def parse_tokens(toks: list[str], schema: EvalSchema, *, strict: bool = False) -> Query:
    """Parse an official token stream (see :func:`parse_sql`); trailing tokens are ignored."""
    try:
        parser = _Parser(toks, _alias_map(toks, schema), schema, strict)
        return parser.query(0)[1]
    except IndexError:
        raise SQLParseError("unexpected end of query") from None
    except RecursionError:
        raise SQLParseError("query nested too deeply") from None


def parse_sql(sql: str, schema: EvalSchema, *, strict: bool = False) -> Query:
    """Parse a query into the official nested structure, or fail where the official parser fails.

    Example:
        >>> schema = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"]})
        >>> q = parse_sql("SELECT name FROM singer AS T1 WHERE T1.age > 30 ORDER BY age DESC LIMIT 3", schema)
        >>> q["select"]
        (False, ((0, (0, (0, '__singer.name__', False), None)),))
        >>> q["where"]
        ((False, 3, (0, (0, '__singer.age__', False), None), 30.0, None),)
        >>> q["orderBy"], q["limit"]
        (('desc', ((0, (0, '__singer.age__', False), None),)), 1)
        >>> parse_sql("SELECT name FROM singer WHERE age=30", schema)
        Traceback (most recent call last):
        ...
        mtsql_env.evaluation.tokenizer.SQLParseError: unknown column 'age=30'

    Args:
        sql: the query text (a prediction should go through ``rewrite_value_placeholder`` first).
        schema: the database's :class:`EvalSchema`.
        strict: store one ORDER BY direction per key (STRICT_FIXES ``order_direction_per_key``).

    Returns:
        The parsed query dict.

    Raises:
        SQLParseError: wherever the official parser raises.
    """
    return parse_tokens(tokenize(sql), schema, strict=strict)
