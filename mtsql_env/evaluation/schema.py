"""Schemas and foreign-key maps as the official evaluator sees them (evaluation-spec.md §1.3–§1.4).

The parser's schema comes from the SQLite file itself (not tables.json): lower-cased table names from
``sqlite_master`` and column names from ``PRAGMA table_info``, with the ids ``__table.column__``,
``__table__`` and ``__all__`` for ``*``. tables.json is used only for the foreign-key map, whose groups
are built the official way (first matching group wins, groups never merged) unless ``strict=True``.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EvalSchema", "build_foreign_key_map", "load_eval_schema", "load_foreign_key_maps"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalSchema:
    """Lower-cased tables and columns of one database, with the official column/table ids.

    Attributes:
        tables: table name -> its column names, in table order.
        id_map: ``"*"``, ``"table.column"`` and ``"table"`` -> ``"__all__"``, ``"__table.column__"``,
            ``"__table__"``.
        column_sets: table name -> frozenset of its column names (for bare-column resolution).
        table_column_ids: ``"__table__"`` -> frozenset of that table's column ids (the "valid columns"
            of exact-match normalisation).
    """

    tables: dict[str, tuple[str, ...]]
    id_map: dict[str, str]
    column_sets: dict[str, frozenset[str]]
    table_column_ids: dict[str, frozenset[str]]

    @classmethod
    def from_tables(cls, tables: dict[str, list[str]] | dict[str, tuple[str, ...]]) -> EvalSchema:
        """Build from a ``{table: [columns]}`` mapping (names are lower-cased here).

        Example:
            >>> s = EvalSchema.from_tables({"Singer": ["Singer_ID", "Name"]})
            >>> s.id_map["singer.name"], s.id_map["singer"], s.id_map["*"]
            ('__singer.name__', '__singer__', '__all__')
        """
        lowered = {t.lower(): tuple(c.lower() for c in cols) for t, cols in tables.items()}
        id_map = {"*": "__all__"}
        for table, cols in lowered.items():
            for col in cols:
                id_map[f"{table}.{col}"] = f"__{table}.{col}__"
        for table in lowered:
            id_map[table] = f"__{table}__"
        return cls(
            tables=lowered,
            id_map=id_map,
            column_sets={t: frozenset(cols) for t, cols in lowered.items()},
            table_column_ids={
                f"__{t}__": frozenset(f"__{t}.{c}__" for c in cols) for t, cols in lowered.items()
            },
        )


@functools.lru_cache(maxsize=256)
def _load_eval_schema(path: str) -> EvalSchema:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SQLite database not found: {path}")
    from mtsql_env.datasets import DataFormatError

    uri = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            tables = {}
            for name in names:
                cols = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
                tables[name] = cols
        finally:
            conn.close()
    except sqlite3.Error as err:  # a valid header over garbage pages, a truncated or locked file
        raise DataFormatError(f"{path}: SQLite cannot read its schema ({err})") from None
    logger.debug("loaded eval schema %s: %d tables", path, len(tables))
    return EvalSchema.from_tables(tables)


def load_eval_schema(db_path: str | os.PathLike[str]) -> EvalSchema:
    """Read the parser's schema from a SQLite file (read-only), cached per path.

    Example:
        >>> import sqlite3, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "x.sqlite")
        >>> with sqlite3.connect(path) as c:
        ...     _ = c.execute("CREATE TABLE Singer (Singer_ID int, Name text)")
        >>> load_eval_schema(path).tables
        {'singer': ('singer_id', 'name')}

    Args:
        db_path: the ``<db_id>.sqlite`` file.

    Returns:
        The :class:`EvalSchema` (the same object for the same path string).

    Raises:
        FileNotFoundError: there is no such file.
        DataFormatError: SQLite cannot read the file's schema (the message names the file).
    """
    return _load_eval_schema(str(db_path))


def build_foreign_key_map(table_entry: dict[str, Any], *, strict: bool = False) -> dict[str, str]:
    """Map every foreign-key column id to its group's representative (spec §1.4).

    Official grouping: each FK pair joins the *first* group holding either column, or starts a new one;
    groups are never merged, and later groups overwrite earlier mappings. ``strict=True`` merges groups
    with a real union-find (STRICT_FIXES ``fk_union_find``). The representative is the member with the
    smallest column position.

    Example:
        >>> entry = {"table_names_original": ["A", "B", "C"],
        ...          "column_names_original": [[-1, "*"], [0, "id"], [1, "a_id"], [2, "b_id"], [2, "a_id"]],
        ...          "foreign_keys": [[2, 1], [3, 4], [4, 1]]}
        >>> build_foreign_key_map(entry)["__c.b_id__"]
        '__c.b_id__'
        >>> build_foreign_key_map(entry, strict=True)["__c.b_id__"]
        '__a.id__'

    Args:
        table_entry: one tables.json entry.
        strict: merge groups that a foreign key links.

    Returns:
        ``{column_id: representative_column_id}`` for every column in some foreign key.
    """
    tables = table_entry["table_names_original"]
    col_ids = [
        "__all__" if t < 0 else f"__{tables[t].lower()}.{c.lower()}__"
        for t, c in table_entry["column_names_original"]
    ]
    pairs = [(int(a), int(b)) for a, b in table_entry["foreign_keys"]]
    groups: list[set[int]]
    if strict:
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in pairs:
            parent[find(a)] = find(b)
        by_root: dict[int, set[int]] = {}
        for x in list(parent):
            by_root.setdefault(find(x), set()).add(x)
        groups = list(by_root.values())
    else:
        groups = []
        for a, b in pairs:
            group = next((g for g in groups if a in g or b in g), None)
            if group is None:
                group = set()
                groups.append(group)
            group.update((a, b))
    kmap: dict[str, str] = {}
    for group in groups:
        rep = col_ids[min(group)]
        for member in group:
            kmap[col_ids[member]] = rep
    return kmap


def load_foreign_key_maps(
    tables_path: str | os.PathLike[str], *, strict: bool = False
) -> dict[str, dict[str, str]]:
    """Build the foreign-key map of every database in a tables.json file.

    Args:
        tables_path: the Spider-format ``tables.json``.
        strict: see :func:`build_foreign_key_map`.

    Returns:
        ``{db_id: kmap}``.

    Raises:
        DataFormatError: the file is not a tables.json whose entries have the types and indexes this needs
            (checked by :func:`mtsql_env.datasets.load_schemas`; the message names the file and entry).
    """
    from mtsql_env.datasets import load_schemas

    return {
        db_id: build_foreign_key_map(s.raw, strict=strict) for db_id, s in load_schemas(tables_path).items()
    }
