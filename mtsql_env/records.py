"""Typed records for dialogues, turns and database schemas.

Every loader (CoSQL, SParC, the bundled sample) produces these, so the environment, the evaluator and
the agents never touch raw JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Turn:
    """One user turn: the utterance and its gold SQL."""

    index: int
    utterance: str
    query: str


@dataclass(frozen=True)
class Dialogue:
    """A whole interaction over one database.

    ``dialogue_id`` is stable across runs (``<database_id>/<interaction_id>`` where the release numbers the
    item, else ``<split>-<position>``), so a seed or an ``options={"dialogue_id": ...}`` reset always
    reaches the same dialogue.
    """

    dialogue_id: str
    db_id: str
    turns: tuple[Turn, ...]
    final_utterance: str | None = None
    final_query: str | None = None

    def __len__(self) -> int:
        return len(self.turns)


@dataclass(frozen=True)
class Column:
    """A column as tables.json names it (``name``) and as the database spells it (``original_name``)."""

    table: str
    name: str
    original_name: str
    type: str
    is_primary_key: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """``table.column`` references ``ref_table.ref_column`` (original spellings)."""

    table: str
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    name: str
    original_name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Schema:
    """One database's schema, from its tables.json entry.

    ``raw`` keeps the tables.json entry untouched: the official evaluator's foreign-key map is built
    from its ``column_names_original`` / ``foreign_keys`` positions.
    """

    db_id: str
    tables: tuple[Table, ...]
    foreign_keys: tuple[ForeignKey, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    def table(self, original_name: str) -> Table:
        """Look a table up by its original name, case-insensitively."""
        wanted = original_name.lower()
        for table in self.tables:
            if table.original_name.lower() == wanted:
                return table
        raise KeyError(f"{self.db_id} has no table {original_name!r}")


@dataclass(frozen=True)
class Dataset:
    """A loaded split: dialogues, schemas, and where the SQLite files live.

    ``source`` says where it came from (``"cosql"``, ``"sparc"`` or ``"sample"``) so logs and results can
    say clearly when the bundled sample, not a real release, was used.
    """

    source: str
    split: str
    root: Path
    database_dir: Path
    tables_path: Path
    dialogues: tuple[Dialogue, ...]
    schemas: dict[str, Schema] = field(repr=False)
    skipped_dialogues: int = 0
    skipped_db_ids: tuple[str, ...] = ()

    def db_path(self, db_id: str) -> Path:
        """Path of ``<database_dir>/<db_id>/<db_id>.sqlite``, the official layout."""
        return self.database_dir / db_id / f"{db_id}.sqlite"

    @property
    def num_turns(self) -> int:
        return sum(len(d.turns) for d in self.dialogues)

    @property
    def is_sample(self) -> bool:
        return self.source == "sample"
