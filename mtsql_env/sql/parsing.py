"""Parse SQL once, cached, and give each query its canonical clause texts.

Everything here is keyed on the SQL string and LRU-cached: the environment scores every proposal against
the same gold SQL many times, so the gold is parsed and canonicalised once. Cached trees are shared, so
they are **read-only**: callers that want to edit one call ``.copy()`` first (as sqlglot's ``optimize()``
copies once at its entry point). The dictionaries and strings handed out are fresh or immutable.

Dialect is SQLite (the Spider/CoSQL/SParC databases). Only queries count as parseable: a statement that
sqlglot reads as something else (``hello world`` parses to a column alias) is reported as unparseable.
Deeply nested SQL is never handed to sqlglot: its parser and tree walks recurse once per level and raise
``RecursionError`` a few hundred levels down, while SQLite and the evaluator's parser cope. Text nested
deeper than ``MAX_NESTING`` brackets counts as unparseable here (clause F1 0, no memory diff), and a
``RecursionError`` from any other shape (``NOT NOT ...``) is caught and read the same way.

One repair is made: unmatched ``)`` at the very end are dropped when the text fails to parse with them
(the official evaluator ignores trailing tokens; a CoSQL car_1 gold ends with a stray ``)``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from mtsql_env.sql.dialect import parse_statements
from mtsql_env.sql.normalize import SchemaKey, normalize
from mtsql_env.sql.split import render_clauses

logger = logging.getLogger(__name__)

#: Entries kept by each cache of compact results (text, tuples); CoSQL+SParC dev gold is ~2.2k strings,
#: proposals add more.
CACHE_SIZE = 1024
#: Entries kept by each cache that holds sqlglot trees (here and ``memory_diff._facts``). A tree is tens of
#: objects and kilobytes, so these stay small: they serve the reuse within and across neighbouring turns
#: (clause F1 at propose, the memory diff at verify, the previous turn's SQL), while compact results derived
#: from trees are cached under ``CACHE_SIZE``. Large tree caches grew a long run's memory by ~17 KB per
#: distinct query and slowed every garbage collection.
TREE_CACHE_SIZE = 128

#: A schema for column resolution: ``{table: [column, ...]}``, a ``records.Schema``, or a frozen key.
SchemaLike = Mapping[str, Iterable[str]] | SchemaKey | Any | None

#: Deepest bracket nesting analysed with sqlglot (the deepest CoSQL dev gold query nests 2 levels).
MAX_NESTING = 64

# A quoted string (kept as is) or a comparison operator spelled with a space before "=" (Spider gold).
_SPACED_OPERATOR = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")|([<>!])\s+=""")


@lru_cache(maxsize=CACHE_SIZE)
def clean_sql(sql: str) -> str:
    """Undo Spider's formatting quirks that SQLite and sqlglot reject.

    Spider-family gold writes ``> =``, ``< =`` and ``! =`` with a space (the official evaluator merges
    them, evaluation-spec §2.2); queries often end with ``;``. Quoted strings are left untouched.

    Example:
        >>> clean_sql("SELECT a FROM t WHERE b > = 3 AND c ! = 'x > = y' ;")
        "SELECT a FROM t WHERE b >= 3 AND c != 'x > = y'"

    Args:
        sql: raw SQL text.

    Returns:
        The SQL with operators joined and surrounding whitespace and trailing semicolons removed
        (cached on the string: every public function cleans its input first).
    """
    cleaned = _SPACED_OPERATOR.sub(lambda m: m.group(1) or m.group(2) + "=", sql)
    return cleaned.strip().rstrip(";").strip()


def nesting_depth(sql: str) -> int:
    """How deeply the brackets of ``sql`` nest (quotes are not skipped: a cheap upper bound).

    Example:
        >>> nesting_depth("SELECT (1 + (2)) FROM t WHERE a IN (SELECT b FROM u)")
        2
    """
    depth = deepest = 0
    for char in _NOT_BRACKET.sub("", sql):
        depth = depth + 1 if char == "(" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def too_deep(sql: str) -> bool:
    """Whether ``sql`` nests more than ``MAX_NESTING`` brackets, so sqlglot is not asked to read it."""
    return "(" * (MAX_NESTING + 1) in sql or nesting_depth(sql) > MAX_NESTING


_NOT_BRACKET = re.compile(r"[^()]+")


def _strip_stray_closers(sql: str) -> str:
    """Drop unmatched trailing ``)`` (one CoSQL car_1 gold has one; the official parser ignores it)."""
    excess = sql.count(")") - sql.count("(")
    while excess > 0 and sql.endswith(")"):
        sql, excess = sql[:-1].rstrip(), excess - 1
    return sql


def _parse_one(cleaned: str) -> exp.Query | None:
    try:
        statements = [s for s in parse_statements(cleaned) if s is not None]
    except (SqlglotError, RecursionError) as err:
        logger.debug("unparseable SQL %r: %s", cleaned[:200], type(err).__name__)
        return None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        logger.debug("not a single query: %r", cleaned)
        return None
    if not statements[0].selects:  # a bare "SELECT" parses to an empty select
        return None
    return statements[0]


def _parse_fresh(cleaned: str) -> exp.Query | None:
    """A new tree for ``cleaned`` (not cached: the caller owns it and may edit it)."""
    if not cleaned or too_deep(cleaned):
        return None
    tree = _parse_one(cleaned)
    if tree is None:
        repaired = _strip_stray_closers(cleaned)
        if repaired != cleaned:
            tree = _parse_one(repaired)
            if tree is not None:
                logger.info("parsed after dropping a stray ')': %r", cleaned)
    return tree


@lru_cache(maxsize=TREE_CACHE_SIZE)
def _parse_clean(cleaned: str) -> exp.Query | None:
    return _parse_fresh(cleaned)


def parse(sql: str) -> exp.Query | None:
    """Parse one SQLite query, cached on the string; the tree is shared and must be treated read-only.

    Example:
        >>> parse("SELECT count ( * ) FROM singer WHERE age > = 20;").sql()
        'SELECT COUNT(*) FROM singer WHERE age >= 20'
        >>> parse("SELECT FROM WHERE") is None
        True

    Args:
        sql: SQL text (Spider quirks are cleaned first, see ``clean_sql``).

    Returns:
        The sqlglot tree (call ``.copy()`` before mutating it), or None when the text is not exactly one
        parseable query.
    """
    return _parse_clean(clean_sql(sql))


def schema_key(schema: SchemaLike) -> SchemaKey | None:
    """Turn a schema into the hashable form the caches use.

    Accepts ``{table: columns}`` mappings, a ``mtsql_env.records.Schema`` (original spellings), an
    already frozen key, or None. Names are lower-cased (SQLite identifiers are case-insensitive).
    A ``records.Schema`` is converted once and remembered by identity; a mapping is converted on every
    call, so hot loops should pass the key this returns.

    Example:
        >>> key = schema_key({"Singer": ["Name", "Age"]})
        >>> key == (("singer", frozenset({"age", "name"})),)
        True

    Args:
        schema: the schema in any accepted form.

    Returns:
        A sorted tuple of ``(table, frozenset(columns))`` pairs, or None.
    """
    if schema is None:
        return None
    if isinstance(schema, tuple):
        return schema
    cached = _RECORD_KEYS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    key = _freeze(schema)
    if not isinstance(schema, Mapping):  # records.Schema is immutable: remember its key by identity
        if len(_RECORD_KEYS) >= 256:
            _RECORD_KEYS.clear()
        _RECORD_KEYS[id(schema)] = (schema, key)
    return key


# records.Schema objects seen recently -> their key (the object is kept so its id stays unique).
_RECORD_KEYS: dict[int, tuple[Any, SchemaKey]] = {}


def _freeze(schema: Any) -> SchemaKey:
    if isinstance(schema, Mapping):
        items = ((t, cols) for t, cols in schema.items())
    elif hasattr(schema, "tables"):  # mtsql_env.records.Schema, duck-typed to keep this module light
        items = ((t.original_name, [c.original_name for c in t.columns]) for t in schema.tables)
    else:
        raise TypeError(f"unsupported schema type {type(schema).__name__}")
    return tuple(sorted((str(t).lower(), frozenset(str(c).lower() for c in cols)) for t, cols in items))


@lru_cache(maxsize=TREE_CACHE_SIZE)
def _canonical(cleaned: str, schema: SchemaKey | None) -> exp.Query | None:
    # A fresh parse normalised in place: parsing (~40 us) costs less than parse + copy, and the
    # shared parse cache is left to callers of ``parse``.
    tree = _parse_fresh(cleaned)
    if tree is None:
        return None
    try:
        return normalize(tree, schema=schema, copy=False)
    except RecursionError:  # a shape nested too deeply for sqlglot's tree walks
        return None


def canonical_tree(sql: str, schema: SchemaLike = None) -> exp.Query | None:
    """The normalised tree of a query (see ``normalize``), cached and shared: treat it as read-only.

    Example:
        >>> canonical_tree("SELECT T1.Name FROM Singer AS T1 WHERE T1.age > 20").sql()
        'SELECT singer.name FROM singer WHERE singer.age > 20'

    Args:
        sql: SQL text.
        schema: optional schema, used to qualify bare columns in multi-table queries.

    Returns:
        The canonical tree, or None when ``sql`` does not parse.
    """
    return _canonical(clean_sql(sql), schema_key(schema))


@lru_cache(maxsize=CACHE_SIZE)
def _clauses(cleaned: str, schema: SchemaKey | None) -> tuple[tuple[str, str], ...] | None:
    tree = _canonical(cleaned, schema)
    if tree is None:
        return None
    try:
        return tuple(render_clauses(tree).items())
    except RecursionError:
        return None


def canonical_clauses(sql: str, schema: SchemaLike = None) -> dict[str, str] | None:
    """Map each clause the query has (``CLAUSES`` keys) to its canonical text.

    What is normalised, and why (two texts are "the same clause" when a reader would call them the same
    SQL, but different values stay different, because clause F1 is not value-agnostic):

    * identifiers lower-cased, keyword and function case and whitespace normalised, comments dropped
      (SQLite ignores them);
    * table aliases resolved to table names (``T1.col`` -> ``table.col``), so alias naming never counts;
      a table joined to itself keeps one name per occurrence (``t``, ``t#2``) in order of appearance;
    * bare columns qualified with their table when unambiguous: the scope has one table, or the optional
      schema says only one of its tables has the column;
    * ``SELECT`` aliases removed and their uses in ``WHERE``/``GROUP BY``/``HAVING``/``ORDER BY``
      replaced by the aliased expression;
    * string literals single-quoted; a double-quoted "value" compared with a column is a string (SQLite
      reads it that way when no such column exists, and Spider gold uses it), unless the schema has
      such a column;
    * ``ASC`` (the default) dropped; ``INNER``/``CROSS``/comma joins are all plain joins;
    * order-free parts sorted: ``AND``-ed conditions (``WHERE``, ``HAVING``, ``ON``), the operands of
      ``=``/``<>`` in join conditions, ``GROUP BY`` items, and the tables of ``FROM``;
    * ``ORDER BY``/``LIMIT`` written after a set operation belong to the main query's clauses, and the
      set-operation clause holds the canonical text of the query on its right.

    ``SELECT`` item order, ``ORDER BY`` order and all values are kept.

    Example:
        >>> canonical_clauses("select T2.name, count(*) from concert as T1 join stadium as T2 "
        ...                   "on T1.stadium_id = T2.stadium_id group by T1.stadium_id")
        ... # doctest: +NORMALIZE_WHITESPACE
        {'select': 'stadium.name, COUNT(*)',
         'from': 'concert, stadium ON concert.stadium_id = stadium.stadium_id',
         'groupBy': 'concert.stadium_id'}

    Args:
        sql: SQL text.
        schema: optional schema (``{table: columns}`` or ``records.Schema``) to qualify bare columns.

    Returns:
        A new dict from clause key to text for the clauses present, or None if ``sql`` does not parse.
    """
    clauses = _clauses(clean_sql(sql), schema_key(schema))
    return None if clauses is None else dict(clauses)


def cache_clear() -> None:
    """Empty every cache of this module (for benchmarks and memory-bound long runs)."""
    for cached in (clean_sql, _parse_clean, _canonical, _clauses):
        cached.cache_clear()
