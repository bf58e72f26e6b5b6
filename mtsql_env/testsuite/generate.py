"""Random database variants that keep the original schema and its constraints.

A variant has the original's DDL (tables and indexes, copied from ``sqlite_master``) and a few random rows
per table. Rows respect declared types (by SQLite affinity), primary keys, UNIQUE indexes, NOT NULL and
foreign keys: tables are filled parents first, and a foreign-key column only takes values its parent rows
have. Values mix three sources (Zhong, Yu and Klein 2020, §4): the original database's values for the
column, the constants the gold queries compare that column with, and near variants of those constants
(:func:`~mtsql_env.testsuite.neighbours.near_values`), plus a few fresh values. Everything is drawn from one
``random.Random`` in a fixed iteration order, so a variant is a pure function of its seed.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtsql_env.testsuite.neighbours import near_values

__all__ = [
    "Column",
    "ForeignKey",
    "Table",
    "ValuePools",
    "connect_read_only",
    "fill_variant",
    "read_schema",
]

logger = logging.getLogger(__name__)

#: Distinct original values read per column.
ORIGINAL_VALUES_PER_COLUMN = 200
#: Attempts at drawing a row that satisfies the uniqueness constraints before the row is given up.
ROW_ATTEMPTS = 8
#: Chance that a nullable, non-key column is NULL.
NULL_CHANCE = 0.05
#: Chance that a column of a candidate takes only 1-3 distinct values (see ``_CandidateValues``).
NARROW_CHANCE = 0.35
#: Chance that a table of a candidate gets up to three times ``max_rows`` rows (large enough groups).
LARGE_TABLE_CHANCE = 0.25


@dataclass(frozen=True)
class Column:
    name: str
    declared_type: str
    not_null: bool
    affinity: str  # "integer", "real", "text", "numeric" or "blob" (SQLite's rules, §3.1 of its datatype doc)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: str  # lower-cased table name
    parent_columns: tuple[str, ...]


@dataclass
class Table:
    name: str
    columns: list[Column]
    unique: list[tuple[str, ...]] = field(default_factory=list)  # the primary key and each UNIQUE index
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def affinity(declared_type: str) -> str:
    """SQLite's column affinity for a declared type (the five rules, in order)."""
    upper = declared_type.upper()
    if "INT" in upper:
        return "integer"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in upper or not upper:
        return "blob"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to a database file (the schema and value reads; queries use the executor)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def read_schema(conn: sqlite3.Connection) -> dict[str, Table]:
    """Tables (lower-cased name -> :class:`Table`) with their keys, read with SQLite's pragmas."""
    names = [
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
    ]
    names = [n for n in names if not n.startswith("sqlite_")]
    tables: dict[str, Table] = {}
    for name in names:
        info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
        columns = [Column(r[1], r[2] or "", bool(r[3]), affinity(r[2] or "")) for r in info]
        table = Table(name, columns)
        primary = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        if primary:
            table.unique.append(primary)
        for index in conn.execute(f"PRAGMA index_list({_quote(name)})").fetchall():
            if index[2]:  # unique
                cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({_quote(index[1])})"))
                if cols and None not in cols and cols not in table.unique:
                    table.unique.append(cols)
        tables[name.lower()] = table
    by_column = {t: {c.name.lower(): c.name for c in table.columns} for t, table in tables.items()}
    for key, table in tables.items():
        groups: dict[int, list[tuple[str, str | None, str]]] = {}
        for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table.name)})"):
            groups.setdefault(row[0], []).append((row[3], row[4], row[2]))
        for pairs in groups.values():
            parent = pairs[0][2].lower()
            if parent not in tables:
                continue  # Spider has foreign keys to tables that do not exist: nothing to respect
            parent_table = tables[parent]
            targets = [p[1] for p in pairs]
            if None in targets:  # REFERENCES parent without columns: its primary key
                targets = list(parent_table.unique[0]) if parent_table.unique else []
            own = [by_column[key].get(p[0].lower()) for p in pairs]
            theirs = [by_column[parent].get((t or "").lower()) for t in targets]
            if len(own) != len(theirs) or None in own or None in theirs:
                continue
            table.foreign_keys.append(ForeignKey(tuple(own), parent, tuple(theirs)))  # type: ignore[arg-type]
    return tables


def fill_order(tables: Mapping[str, Table]) -> list[str]:
    """Tables with every parent before its children (a cycle is broken at its first table in file order)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name):
            return
        state[name] = 1
        for fk in tables[name].foreign_keys:
            if fk.parent != name:
                visit(fk.parent)
        state[name] = 2
        order.append(name)

    for name in tables:
        visit(name)
    return order


def _coerce(value: Any, column: Column) -> Any:
    """A constant as the column would store it: numbers for numeric affinities when it reads as one, else as is.

    SQLite keeps text that is not a number as text even in an INTEGER column (Spider has dates in DATE, that is
    NUMERIC, columns), so such a constant is still a value rows may hold.
    """
    if column.affinity in ("integer", "real", "numeric") and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and column.affinity != "real" else number
    if column.affinity == "text" and isinstance(value, (int, float)):
        return str(value)
    return value


class ValuePools:
    """Where a column's values come from: the original database, the gold's constants and their neighbours.

    ``constants`` holds, per gold query, the ``(table, column, constant)`` triples of its conditions. A constant
    compared with a foreign-key column also goes to the referenced column (the child only copies parent values).
    Besides the pooled constants, each gold's own set is kept (``focus[i]`` for the i-th gold): a candidate
    may favour one gold's constants on all its columns at once, so conjunctions such as
    ``year < 1945 AND country = 'US'`` are met by one row.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        tables: Mapping[str, Table],
        constants: Iterable[Iterable[tuple[str, str, Any]]] = (),
    ) -> None:
        self.original: dict[tuple[str, str], list[Any]] = {}
        self.constants: dict[tuple[str, str], list[Any]] = {}
        self.focus: list[dict[tuple[str, str], list[Any]]] = []
        for key, table in tables.items():
            for column in table.columns:
                rows = conn.execute(
                    f"SELECT DISTINCT {_quote(column.name)} FROM {_quote(table.name)} "
                    f"WHERE {_quote(column.name)} IS NOT NULL LIMIT {ORIGINAL_VALUES_PER_COLUMN}"
                ).fetchall()
                self.original[(key, column.name.lower())] = [r[0] for r in rows]
        columns = {(t, c.name.lower()): c for t, table in tables.items() for c in table.columns}
        parents = {
            (t, child.lower()): (fk.parent, parent.lower())
            for t, table in tables.items()
            for fk in table.foreign_keys
            for child, parent in zip(fk.columns, fk.parent_columns)
        }
        for group in constants:
            focus: dict[tuple[str, str], list[Any]] = {}
            for table_name, column_name, value in group:
                key: tuple[str, str] | None = (table_name.lower(), column_name.lower())
                seen: set[tuple[str, str]] = set()
                while key in columns and key not in seen:  # the column, then up its foreign-key chain
                    seen.add(key)
                    for candidate in (value, *near_values(value)):
                        coerced = _coerce(candidate, columns[key])
                        for pool in (self.constants.setdefault(key, []), focus.setdefault(key, [])):
                            if coerced not in pool:
                                pool.append(coerced)
                    key = parents.get(key)
            self.focus.append(focus)

    def draw(self, table: str, column: Column, rng: random.Random) -> Any:
        """One value for ``table.column``: constants and their neighbours 40%, original 45%, fresh 15%."""
        key = (table, column.name.lower())
        original = self.original.get(key, [])
        constants = self.constants.get(key, [])
        roll = rng.random()
        if constants and roll < 0.4:
            return rng.choice(constants)
        if original and roll < 0.85:
            return rng.choice(original)
        return _fresh(column, original, rng)


class _CandidateValues:
    """The values of one candidate: some columns are narrowed to 1-3 values, so rows collide and groups form.

    Without it, a condition like ``HAVING count(*) > 8`` or ``= (SELECT max ...)`` ties are almost never met by
    a few random rows, and neighbours that differ only there (``> 9``, ``>= 8``) stay unseparated.
    """

    def __init__(self, pools: ValuePools, rng: random.Random, focus: int | None) -> None:
        self.pools, self.rng = pools, rng
        self.narrowed: dict[tuple[str, str], list[Any] | None] = {}
        self.focus = pools.focus[focus] if focus is not None else {}

    def draw(self, table: str, column: Column) -> Any:
        key = (table, column.name.lower())
        focus = self.focus.get(key)
        if focus and self.rng.random() < 0.6:
            return self.rng.choice(focus)
        if key not in self.narrowed:
            narrow = self.rng.random() < NARROW_CHANCE
            k = self.rng.randint(1, 3)
            self.narrowed[key] = (
                [self.pools.draw(table, column, self.rng) for _ in range(k)] if narrow else None
            )
        values = self.narrowed[key]
        return self.rng.choice(values) if values else self.pools.draw(table, column, self.rng)


def _fresh(column: Column, seen: Sequence[Any], rng: random.Random) -> Any:
    numbers = [v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
    numeric = (
        numbers and len(numbers) == len(seen) if seen else column.affinity in ("integer", "real", "numeric")
    )
    if numeric:
        low, high = (min(numbers), max(numbers)) if numbers else (0, 100)
        span = max(1, int(high - low))
        if column.affinity == "real" or any(isinstance(v, float) for v in numbers):
            return round(rng.uniform(low - span * 0.1, high + span * 0.1), 2)
        return rng.randint(int(low) - 2, int(high) + 2)
    texts = [v for v in seen if isinstance(v, str)]
    if texts and rng.random() < 0.5:  # a near variant of an original value
        return rng.choice(near_values(rng.choice(texts)))
    return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 8)))


def fill_variant(
    source: sqlite3.Connection,
    tables: Mapping[str, Table],
    pools: ValuePools,
    target: str | Path,
    rng: random.Random,
    *,
    max_rows: int = 12,
    focus: int | None = None,
) -> dict[str, int]:
    """Write a database at ``target``: the original's tables, indexes and views, random rows (count per table).

    ``focus`` is the index of a gold (in the ``constants`` given to ``pools``) whose constants are favoured.
    """
    target = Path(target)
    target.unlink(missing_ok=True)
    ddl = [
        row[0]
        for row in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
    ]
    out = sqlite3.connect(target)
    try:
        out.execute("PRAGMA page_size = 1024")  # a few rows per table: small pages, small files
        out.execute("PRAGMA journal_mode = OFF")  # a scratch file: no journal, no fsync
        out.execute("PRAGMA synchronous = OFF")
        for statement in ddl:
            out.execute(statement)
        kept: dict[str, list[dict[str, Any]]] = {}
        values = _CandidateValues(pools, rng, focus)
        for name in fill_order(tables):
            kept[name] = _fill_table(out, name, tables[name], values, kept, rng, max_rows)
        out.commit()
    finally:
        out.close()
    return {tables[name].name: len(rows) for name, rows in kept.items()}


def _fill_table(
    out: sqlite3.Connection,
    key: str,
    table: Table,
    values: _CandidateValues,
    kept: Mapping[str, list[dict[str, Any]]],
    rng: random.Random,
    max_rows: int,
) -> list[dict[str, Any]]:
    names = [c.name for c in table.columns]
    columns, marks = ", ".join(map(_quote, names)), ", ".join("?" * len(names))
    insert = f"INSERT INTO {_quote(table.name)} ({columns}) VALUES ({marks})"
    used: list[set[tuple[Any, ...]]] = [set() for _ in table.unique]
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    rows: list[dict[str, Any]] = []
    most = max_rows * 3 if rng.random() < LARGE_TABLE_CHANCE else max_rows
    for _ in range(rng.randint(1, most)):
        for _attempt in range(ROW_ATTEMPTS):
            row = _draw_row(key, table, values, kept, fk_columns, rng)
            if row is None:
                break
            keys = [tuple(row[c] for c in cols) for cols in table.unique]
            if any(k in seen and None not in k for k, seen in zip(keys, used)):
                continue
            try:
                out.execute(insert, [row[n] for n in names])
            except sqlite3.DatabaseError as err:  # a CHECK constraint or a type the DDL refuses
                logger.debug("row refused by %s: %s", table.name, err)
                continue
            for k, seen in zip(keys, used):
                seen.add(k)
            rows.append(row)
            break
    return rows


def _draw_row(
    key: str,
    table: Table,
    values: _CandidateValues,
    kept: Mapping[str, list[dict[str, Any]]],
    fk_columns: set[str],
    rng: random.Random,
) -> dict[str, Any] | None:
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in fk_columns:
            continue
        row[column.name] = (
            None if _nullable(table, column.name) and rng.random() < NULL_CHANCE else values.draw(key, column)
        )
    for fk in table.foreign_keys:
        parents = kept.get(fk.parent, [])
        if fk.parent == key:
            parents = parents + ([row] if all(c in row for c in fk.parent_columns) else [])
        nullable = all(_nullable(table, c) for c in fk.columns)
        if not parents or (nullable and rng.random() < NULL_CHANCE):
            if not nullable:
                return None  # no parent row to point at: this table cannot have rows
            chosen: Sequence[Any] = [None] * len(fk.columns)
        else:
            favoured = values.focus.get((key, fk.columns[0].lower()))
            if favoured and rng.random() < 0.6:  # the focused gold compares this column with a constant
                parents = [p for p in parents if p[fk.parent_columns[0]] in favoured] or parents
            parent = rng.choice(parents)
            chosen = [parent[c] for c in fk.parent_columns]
        for column, value in zip(fk.columns, chosen):
            if row.get(column, value) != value:  # two foreign keys on one column disagree
                return None
            row[column] = value
    return row


def _nullable(table: Table, name: str) -> bool:
    """NULL is allowed: no NOT NULL and not part of the primary key (SQLite would accept NULL there) or a UNIQUE."""
    column = next(c for c in table.columns if c.name == name)
    return not column.not_null and not any(name in cols for cols in table.unique)
