"""The dialogue memory: what earlier turns asked, answered and returned, and the coherence check.

The check is what the agent gets when it verifies against memory: a structural diff (sqlglot) of the
candidate against the previous turn's answered SQL (what it keeps, adds, drops or changes: tables,
select columns, filters, grouping, ordering, limit) and an execution sanity report (error, empty,
all-NULL columns, duplicate rows). A follow-up that silently drops an earlier filter shows up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .executor import ExecutionResult
from .records import Schema
from .sql import check_result, diff_queries

__all__ = ["DialogueMemory", "MemoryEntry"]


@dataclass(frozen=True)
class MemoryEntry:
    """One earlier turn as the memory keeps it."""

    turn: int
    question: str
    sql: str
    result_preview: str


class DialogueMemory:
    """Earlier turns of the current dialogue, in order."""

    def __init__(self, schema: Schema | None = None) -> None:
        self._entries: list[MemoryEntry] = []
        self._schema = schema  # places bare columns of joined queries in the diff

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[MemoryEntry, ...]:
        return tuple(self._entries)

    @property
    def previous(self) -> MemoryEntry | None:
        return self._entries[-1] if self._entries else None

    def add(self, entry: MemoryEntry) -> None:
        self._entries.append(entry)

    def truncate(self, size: int) -> None:
        """Keep only the first ``size`` entries (undoes the adds of a step that failed half-way)."""
        del self._entries[size:]

    def render(self) -> str:
        """The dialogue so far, as shown at the start of a turn."""
        if not self._entries:
            return "(no earlier turns)"
        return "\n".join(
            f"Turn {e.turn + 1}: {e.question}\n  SQL: {e.sql}\n  Result: {e.result_preview}"
            for e in self._entries
        )

    def check(self, candidate_sql: str, result: ExecutionResult | None, max_chars: int = 600) -> str:
        """The coherence report for ``candidate_sql`` (and its last execution result, if any)."""
        previous = self.previous
        if previous is None:
            coherence = "This is the first turn: there is no earlier SQL to stay coherent with."
        else:
            diff = diff_queries(candidate_sql, previous.sql, self._schema)
            coherence = (
                f"Against turn {previous.turn + 1} ({previous.sql}): {diff.summary(max_chars=max_chars)}"
            )
        sanity = "not executed yet" if result is None else check_result(result).summary()
        report = f"Memory check. {coherence}\nExecution sanity: {sanity}"
        return report if len(report) <= max_chars else report[: max_chars - 3] + "..."
