"""Render a database schema as compact text for the agent's first message."""

from __future__ import annotations

import os

from .executor import SQLiteExecutor
from .records import Schema

__all__ = ["render_schema"]


def _cell(value: object, width: int = 24) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def render_schema(
    schema: Schema,
    db_path: str | os.PathLike,
    executor: SQLiteExecutor,
    *,
    sample_rows: int = 2,
    max_chars: int = 8000,
) -> str:
    """Tables with typed columns, primary and foreign keys, and a few sample rows.

    Column names are the database's own spellings (tables.json ``*_original``), since those are what the
    SQL must use. Output longer than ``max_chars`` is cut with a marker, never silently.
    """
    lines = [f"Database: {schema.db_id}"]
    for table in schema.tables:
        columns = ", ".join(
            f"{c.original_name} {c.type}{' PRIMARY KEY' if c.is_primary_key else ''}" for c in table.columns
        )
        lines.append(f"Table {table.original_name}({columns})")
        if sample_rows > 0:
            result = executor.execute(
                db_path, f'SELECT * FROM "{table.original_name}" LIMIT {int(sample_rows)}'
            )
            for row in result.rows:
                lines.append("  e.g. (" + ", ".join(_cell(v) for v in row) + ")")
    if schema.foreign_keys:
        lines.append("Foreign keys:")
        lines.extend(
            f"  {fk.table}.{fk.column} -> {fk.ref_table}.{fk.ref_column}" for fk in schema.foreign_keys
        )
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = text[: max_chars - 40].rsplit("\n", 1)[0] + f"\n[schema cut at {max_chars} characters]"
    return text
