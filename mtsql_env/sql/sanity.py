"""Execution sanity of a query result: the signals a verifier needs besides the rows themselves.

An answer can run and still be suspect: no rows (a filter value that matches nothing), a column that
is NULL everywhere (a wrong join or a missing value), repeated rows (a join that fans out, a missing
DISTINCT or GROUP BY). ``check_result`` reads an ``mtsql_env.executor.ExecutionResult`` (duck-typed:
any object with ``columns``, ``rows``, ``truncated``, ``error`` and ``message``) and reports them.
Counts cover the rows actually fetched; ``truncated`` says when that is not the whole result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

#: Longest error message kept in a summary (messages quote user SQL and can be long).
MAX_ERROR_CHARS = 160


class ResultLike(Protocol):
    """What ``check_result`` reads; ``mtsql_env.executor.ExecutionResult`` satisfies it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    error: Any
    message: str


@dataclass(frozen=True)
class SanityReport:
    """Sanity of one execution: ``status`` is ``"error"``, ``"empty"`` or ``"ok"`` (as R_execverify)."""

    status: str
    error: str | None
    row_count: int
    null_only_columns: tuple[str, ...]
    duplicate_rows: int
    truncated: bool

    @property
    def suspicious(self) -> bool:
        """True when anything beyond plain rows deserves a look (error, empty, NULLs, duplicates)."""
        return self.status != "ok" or bool(self.null_only_columns) or self.duplicate_rows > 0

    def summary(self) -> str:
        """One short line for the model.

        Example:
            >>> SanityReport("ok", None, 4, ("age",), 1, False).summary()
            'ok: 4 rows; all NULL in [age]; 1 duplicate row'
            >>> SanityReport("error", "unknown_column: no such column: T1.id", 0, (), 0, False).summary()
            'error: unknown_column: no such column: T1.id'
        """
        if self.status == "error":
            text = self.error or "unknown error"
            return "error: " + (text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…")
        if self.status == "empty":
            return "empty: the query ran and returned no rows"
        more = "+" if self.truncated else ""
        parts = [f"ok: {self.row_count}{more} row{'' if self.row_count == 1 else 's'}"]
        if self.null_only_columns:
            parts.append(f"all NULL in [{', '.join(self.null_only_columns)}]")
        if self.duplicate_rows:
            parts.append(f"{self.duplicate_rows} duplicate row{'' if self.duplicate_rows == 1 else 's'}")
        if self.truncated:
            parts.append("result truncated at the row cap")
        return "; ".join(parts)


def _error_text(result: ResultLike) -> str:
    kind = getattr(result.error, "value", result.error)
    message = (result.message or "").strip()
    return f"{kind}: {message}" if message else str(kind)


def check_result(result: ResultLike) -> SanityReport:
    """Report error / empty / all-NULL columns / duplicate rows of an execution result.

    Example:
        >>> from mtsql_env.executor import ExecutionResult
        >>> check_result(ExecutionResult(columns=("name", "age"),
        ...                              rows=(("Joe", None), ("Ann", None), ("Joe", None)))).summary()
        'ok: 3 rows; all NULL in [age]; 1 duplicate row'

    Args:
        result: an ``ExecutionResult`` or any object with the same attributes.

    Returns:
        The ``SanityReport``. ``duplicate_rows`` counts rows beyond the first of each distinct row.
    """
    rows = tuple(result.rows)
    if result.error is not None:
        return SanityReport("error", _error_text(result), 0, (), 0, bool(result.truncated))
    if not rows:
        return SanityReport("empty", None, 0, (), 0, bool(result.truncated))
    columns = tuple(result.columns) or tuple(f"column {i + 1}" for i in range(len(rows[0])))
    null_only = tuple(
        name for i, name in enumerate(columns) if all(i < len(row) and row[i] is None for row in rows)
    )
    try:
        duplicates = sum(n - 1 for n in Counter(rows).values())
    except TypeError:  # an unhashable value (not produced by sqlite3, but a stand-in may hold lists)
        duplicates = sum(n - 1 for n in Counter(repr(r) for r in rows).values())
    return SanityReport("ok", None, len(rows), null_only, duplicates, bool(result.truncated))
