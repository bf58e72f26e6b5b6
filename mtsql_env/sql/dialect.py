"""The SQLite dialect of sqlglot, looked up once: parse and render without per-call overhead.

``node.sql(dialect="sqlite")`` resolves the dialect name and builds a new ``Generator`` on every call
(about a third of the cost of rendering one small node), and the canonical clauses render dozens of
small nodes per query; ``sqlglot.parse`` likewise builds a tokenizer and a parser per call (~10 us).
Here the dialect is resolved once and each thread keeps one tokenizer, parser and generator (they
carry per-call state, so threads do not share them). ``text(node)`` is exactly
``node.sql(dialect="sqlite", copy=False)`` and ``parse_statements(sql)`` is ``sqlglot.parse(sql,
read="sqlite")``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator

__all__ = ["DIALECT", "SQLITE", "parse_statements", "text", "short_column_text"]

DIALECT = "sqlite"
#: The resolved dialect instance (``Dialect.get_or_raise`` once, not per call).
SQLITE: Dialect = Dialect.get_or_raise(DIALECT)

_local = threading.local()


def _generator() -> Generator:
    generator = getattr(_local, "generator", None)
    if generator is None:
        generator = _local.generator = SQLITE.generator()
    return generator


def parse_statements(sql: str) -> list[exp.Expr | None]:
    """``sqlglot.parse(sql, read="sqlite")`` with a reused tokenizer and parser (raises like it).

    Both reset their state at the start of every call, so one per thread is enough.

    Example:
        >>> [type(s).__name__ for s in parse_statements("SELECT 1; SELECT a FROM t UNION SELECT b FROM u")]
        ['Select', 'Union']
    """
    tools = getattr(_local, "parsing", None)
    if tools is None:
        tools = _local.parsing = (SQLITE.tokenizer(), SQLITE.parser())
    tokenizer, parser = tools
    return parser.parse(tokenizer.tokenize(sql), sql)


def text(node: exp.Expr) -> str:
    """SQLite text of ``node``, rendered in place (read-only: sqlite trees trigger no generator rewrite).

    Example:
        >>> text(parse_statements("select count ( * ) from singer")[0])
        'SELECT COUNT(*) FROM singer'
    """
    return _generator().generate(node, copy=False)


def _short_generator() -> Generator:
    generator = getattr(_local, "short", None)
    if generator is None:
        generator = _local.short = SQLITE.generator()
        dispatch = dict(generator._dispatch)
        column_sql = dispatch[exp.Column]
        dispatch[exp.Column] = _shortening(column_sql)
        generator._dispatch = dispatch
    return generator


def _shortening(column_sql: Callable[[Generator, exp.Column], str]) -> Callable[[Generator, exp.Column], str]:
    def render(generator: Generator, column: exp.Column) -> str:
        if column.table and column.name not in _local.keep_qualified:
            return generator.sql(column.this)
        return column_sql(generator, column)

    return render


def short_column_text(node: exp.Expr, keep_qualified: frozenset[str]) -> str:
    """Text of ``node`` with ``table.col`` written ``col`` unless ``col`` is in ``keep_qualified``.

    Same text as rendering a copy of ``node`` whose qualified columns (other than ``keep_qualified``
    names) were replaced by bare ``exp.column(name)`` nodes, without copying the tree.

    Example:
        >>> where = parse_statements("SELECT 1 FROM t JOIN u WHERE t.a = u.b AND t.c > 1")[0].args["where"]
        >>> short_column_text(where.this, frozenset({"c"}))
        'a = b AND t.c > 1'
    """
    generator = _short_generator()
    _local.keep_qualified = keep_qualified
    return generator.generate(node, copy=False)
