"""Safe, fast execution of untrusted SQL on read-only SQLite databases.

Agents (and the execution-match evaluator) send arbitrary SQL, so every query runs behind four
independent guards:

- the file is opened through a read-only URI (``mode=ro``, and ``immutable=1`` by default, which
  also works on read-only files and folders and skips file locking);
- ``PRAGMA query_only=ON``;
- an allow-list authorizer: only reads, ``SELECT``, functions, recursive CTEs and a few introspection
  PRAGMAs (``table_info`` ...) pass; writes, ``ATTACH``/``DETACH`` (so ``VACUUM INTO`` and
  ``ATTACH 'new.db'`` create no file), transactions and every other PRAGMA are denied at prepare time;
- one statement per call: CPython's ``sqlite3`` prepares the first statement with SQLite's own
  tokenizer and refuses a non-empty tail *before running anything*, so ``SELECT 1; DROP TABLE t`` is
  refused while a semicolon inside a string literal, one trailing ``;`` or a trailing comment are fine.
  This is the exact rule the official evaluator's ``cursor.execute`` applies, so results agree.

Each query has a deadline, enforced by one watchdog thread that calls ``Connection.interrupt()`` when
it passes (SQLite stops at its next VM instruction, also while rows are fetched, since it produces them
lazily). Unlike a progress handler, nothing runs Python inside SQLite's loop, so queries in other threads
keep running in parallel (SQLite releases the GIL). The few built-in functions that can run for seconds
inside a single instruction (``printf``, ``instr``, ``trim`` ...: :data:`SLOW_FUNCTIONS`) are named by the
authorizer at prepare time; a statement calling one runs in a worker process killed at the deadline
(:mod:`mtsql_env.sql_worker`). Rows are fetched in batches sized so that the row and byte caps hold while
fetching. Anything wrong with the SQL comes back as an :class:`ExecutionResult` with an
:class:`ErrorKind`; only a missing or broken database file (not the agent's fault) raises.

Connections are cached per database path and per thread, and reopened after ``fork`` or when the file
changes on disk, so the per-call cost stays at a few microseconds above SQLite itself.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import sqlite3
import stat
import threading
import time
import urllib.parse
import weakref
from dataclasses import dataclass, field
from typing import Any

from . import sql_worker
from .result_cache import ResultCache

__all__ = [
    "NONDETERMINISTIC_FUNCTIONS",
    "SLOW_FUNCTIONS",
    "DatabaseFileError",
    "ErrorKind",
    "ExecutionResult",
    "ExecutorConfig",
    "SQLiteExecutor",
    "classify_error",
]

logger = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"

# Authorizer action codes that a read-only query needs. Everything else (writes, DDL, ATTACH/DETACH,
# transactions, savepoints, ANALYZE, REINDEX, ALTER, virtual-table creation) is denied.
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})

# PRAGMAs that only describe the schema. Any other PRAGMA, in particular an assignment such as
# ``writable_schema=1`` or ``query_only=0``, is denied.
_ALLOWED_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "collation_list",
    }
)

# Functions that are never needed for a query and are risky on some builds.
_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})

#: Built-in functions that can run for seconds inside one VM instruction, where no interrupt reaches them
#: (measured on SQLite 3.40 with 1 MB values: ``printf('%.*c', 2147483647, 'x')`` 14 s, ``ltrim`` with a
#: 50,000-character set 68 s, ``instr``/``replace`` with a long near-miss needle quadratic). A statement
#: that calls one runs in a worker process that is killed at the deadline. ``like``/``glob`` (bounded by
#: SQLite's own wildcard-match cut-off), ``zeroblob``/``randomblob``/``group_concat``/``char``/``substr``/``hex``
#: (bounded by the value-size limit) measured below 25 ms and stay in-process.
SLOW_FUNCTIONS = frozenset({"printf", "format", "instr", "replace", "trim", "ltrim", "rtrim"})

#: Functions whose value may change between two runs on the same file. The date/time functions count
#: always (conservatively: the authorizer names a function, not its arguments, so ``date('now')`` and
#: ``date('2020-01-01')`` look alike); their results are simply not cached.
NONDETERMINISTIC_FUNCTIONS = frozenset(
    {
        "random",
        "randomblob",
        "changes",
        "total_changes",
        "last_insert_rowid",
        "date",
        "time",
        "datetime",
        "julianday",
        "unixepoch",
        "strftime",
        "timediff",
        "current_date",
        "current_time",
        "current_timestamp",
    }
)

# SQLite result codes that mean the database file itself is broken: not the agent's fault, so raise.
_FILE_ERROR_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})

_FILE_ERROR_MESSAGES = frozenset({"database disk image is malformed", "file is not a database"})

_DECODE_ERROR_PREFIX = "Could not decode to UTF-8"

# Rows pulled by the first fetchmany call (one call answers most queries) and at most per later call.
# A batch is materialised before it is counted, so the first one holds at most _FIRST_BATCH_BYTES even
# if every value had the largest allowed size; later batches hold the rows that still fit the byte cap
# at the mean row size seen so far.
_FIRST_BATCH = 32
_FIRST_BATCH_BYTES = 16 * 1024 * 1024
_FETCH_BATCH = 128

# Result columns per statement (SQLite's default is 2000). The widest Spider table has 48 columns; the
# limit bounds one row to _MAX_COLUMNS values of max_value_bytes each.
_MAX_COLUMNS = 64

# Seconds between two interrupts of a query past its deadline that has not stopped yet.
_REINTERRUPT_S = 0.005

# Deterministic SQL texts remembered per connection (see _Handle.deterministic); past it the memo restarts.
_DETERMINISM_MEMO = 4096

# Sizes used by the cheap byte estimate: a non-text value counts as 8 bytes, and each row adds a
# fixed overhead so that many tiny rows still count.
_SCALAR_BYTES = 8
_ROW_OVERHEAD_BYTES = 16

# Connections inherited through fork() must never be closed or used in the child (SQLite forbids
# it), so they are parked here for the life of the child process.
_FORK_ORPHANS: list[Any] = []

# Bumped in every forked child; an executor whose generation differs drops its inherited connections.
# Cheaper than comparing os.getpid() on every call (a system call on current glibc).
_fork_generation = 0


def _bump_fork_generation() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_bump_fork_generation)


class ErrorKind(str, enum.Enum):
    """Why a query failed, classified from SQLite's message (see :func:`classify_error`)."""

    SYNTAX = "syntax"
    UNKNOWN_TABLE = "unknown_table"
    UNKNOWN_COLUMN = "unknown_column"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    FORBIDDEN = "forbidden"
    OTHER = "other"


class _QueryTimeout(Exception):
    """Internal: the deadline passed while Python was between fetches."""


class DatabaseFileError(ValueError):
    """The database file exists but is not a usable SQLite database (empty, corrupt, a directory...)."""


def classify_error(message: str) -> ErrorKind:
    """Classify an SQLite (or sqlite3 module) error message.

    ``no such column`` and ``ambiguous column name`` both count as :attr:`ErrorKind.UNKNOWN_COLUMN`:
    both mean the query names a column the schema cannot resolve. Prefix matches come first because
    SQLite quotes user text after the colon (``no such column: syntax error`` is a column error).

    Example:
        >>> classify_error("no such column: T1.id").value
        'unknown_column'
        >>> classify_error('near "FORM": syntax error').value
        'syntax'
        >>> classify_error("not authorized").value
        'forbidden'

    Args:
        message: the exception text, e.g. ``str(exc)`` of an ``sqlite3.OperationalError``.

    Returns:
        The :class:`ErrorKind`; :attr:`ErrorKind.OTHER` when nothing matches.
    """
    text = message.strip().lower()
    for prefix, kind in _MESSAGE_PREFIXES:
        if text.startswith(prefix):
            return kind
    if "syntax error" in text:
        return ErrorKind.SYNTAX
    return ErrorKind.OTHER


_MESSAGE_PREFIXES: tuple[tuple[str, ErrorKind], ...] = (
    ("no such table", ErrorKind.UNKNOWN_TABLE),
    ("no such column", ErrorKind.UNKNOWN_COLUMN),
    ("ambiguous column", ErrorKind.UNKNOWN_COLUMN),
    ("incomplete input", ErrorKind.SYNTAX),
    ("unrecognized token", ErrorKind.SYNTAX),
    ("near ", ErrorKind.SYNTAX),
    ("interrupted", ErrorKind.TIMEOUT),
    ("not authorized", ErrorKind.FORBIDDEN),
    ("string or blob too big", ErrorKind.TOO_LARGE),
    ("authorization denied", ErrorKind.FORBIDDEN),
    ("attempt to write a readonly database", ErrorKind.FORBIDDEN),
    ("you can only execute one statement", ErrorKind.FORBIDDEN),
    ("too many attached databases", ErrorKind.FORBIDDEN),
)


def _format_value(value: Any, limit: int = 40) -> str:
    """Render one cell compactly for a preview."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<blob {len(value)} B>"
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max(max_chars - 1, 0)] + "…"


@dataclass(frozen=True)
class ExecutionResult:
    """Outcome of one query: rows, or an error kind with SQLite's message.

    ``status`` is the three-way class the process reward uses: ``"error"``, ``"empty"`` (ran, no
    rows) or ``"ok"``. ``deterministic`` is False when the statement calls a function whose value may
    change between runs (:data:`NONDETERMINISTIC_FUNCTIONS`), as SQLite's authorizer reported it.
    """

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated: bool = False
    error: ErrorKind | None = None
    message: str = ""
    elapsed_s: float = 0.0
    deterministic: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def empty(self) -> bool:
        return self.error is None and not self.rows

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "ok" if self.rows else "empty"

    def preview(self, max_rows: int = 5, max_chars: int = 200) -> str:
        """Compact text for feedback to an LLM: an error line, or a small ``|`` table.

        The text never exceeds ``max_chars``; when rows are left out it says how many there were.

        Example:
            >>> ExecutionResult(columns=("name",), rows=(("Joe",), ("Ann",))).preview()
            'name\\nJoe\\nAnn\\n(2 rows)'
            >>> ExecutionResult(error=ErrorKind.UNKNOWN_TABLE, message="no such table: x").preview()
            'ERROR (unknown_table): no such table: x'
        """
        if self.error is not None:
            return _clip(f"ERROR ({self.error.value}): {self.message}", max_chars)
        if not self.rows:
            cols = ", ".join(self.columns)
            return _clip(f"EMPTY: no rows (columns: {cols})" if cols else "EMPTY: no rows", max_chars)
        plural = "" if len(self.rows) == 1 and not self.truncated else "s"
        count = f"{len(self.rows)}{'+' if self.truncated else ''} row{plural}"
        footer = f"({count}, truncated)" if self.truncated else f"({count})"
        lines = [_clip(" | ".join(self.columns), max_chars)]
        used = len(lines[0]) + len(footer) + 5  # newlines and a possible "... " before the footer
        for row in self.rows[:max_rows]:
            line = " | ".join(_format_value(v) for v in row)
            if used + len(line) + 1 > max_chars:
                if len(lines) == 1:  # not even one row fits whole: show the start of the first
                    lines.append(_clip(line, max(max_chars - used - 1, 1)))
                break
            lines.append(line)
            used += len(line) + 1
        if len(lines) - 1 < len(self.rows):
            footer = f"... {footer}"
        return _clip("\n".join(lines) + "\n" + footer, max_chars)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (rows as lists), e.g. for an env ``info`` dict."""
        return {
            "status": self.status,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "truncated": self.truncated,
            "error": None if self.error is None else self.error.value,
            "message": self.message,
            "elapsed_s": self.elapsed_s,
        }

    def __repr__(self) -> str:  # rows can be huge: show their count, not their content
        return (
            f"ExecutionResult(status={self.status!r}, columns={self.columns!r}, rows=<{len(self.rows)}>, "
            f"truncated={self.truncated}, error={self.error}, message={self.message!r}, "
            f"elapsed_s={self.elapsed_s:.6f})"
        )


@dataclass
class ExecutorConfig:
    """Limits and connection options of :class:`SQLiteExecutor`.

    Parameters:
        > Parameters that control limits

        timeout_s (`float`, *optional*, defaults to `2.0`):
            Wall-clock limit per query, including fetching rows. ``math.inf`` disables it.
        max_rows (`int`, *optional*, defaults to `10000`):
            Rows kept per query; more rows set ``truncated=True``.
        max_bytes (`int`, *optional*, defaults to `5000000`):
            Estimated bytes of row data kept per query; more set ``truncated=True``.
        max_value_bytes (`int`, *optional*, defaults to `262144`):
            Largest string or blob SQLite may build (``SQLITE_LIMIT_LENGTH``).

        > Parameters that control connections

        immutable (`bool`, *optional*, defaults to `True`):
            Open with ``immutable=1``: no locks, works on read-only folders.
        check_file_changes (`bool`, *optional*, defaults to `True`):
            ``fstat`` the file on each call and reopen it when it was rewritten or replaced.
        cached_statements (`int`, *optional*, defaults to `256`):
            Prepared statements cached per connection.
    """

    # Parameters that control limits
    timeout_s: float = field(
        default=2.0,
        metadata={
            "help": "Wall-clock limit per query in seconds, covering execution and fetching rows. "
            "A query past it returns ErrorKind.TIMEOUT. math.inf disables the limit (the official "
            "evaluator has none in practice)."
        },
    )
    max_rows: int = field(
        default=10_000,
        metadata={"help": "Rows kept per query; a longer result is cut and marked truncated=True."},
    )
    max_bytes: int = field(
        default=5_000_000,
        metadata={
            "help": "Estimated bytes of row data kept per query (text/blob length, 8 per other value, "
            "16 per row); past it the result is cut and marked truncated=True."
        },
    )
    max_value_bytes: int = field(
        default=256 * 1024,
        metadata={
            "help": "Largest string or blob SQLite may build (SQLITE_LIMIT_LENGTH); a bigger one is a "
            "TOO_LARGE error ('string or blob too big'). With at most 64 result columns it bounds one row, "
            "which is built whole before any cap can count it, to 16 MiB (the largest value in the CoSQL "
            "dev databases is 60 bytes)."
        },
    )

    # Parameters that control connections
    immutable: bool = field(
        default=True,
        metadata={
            "help": "Open with immutable=1 (no locking, no journal lookups), which works on read-only "
            "files and folders. Set False only if another process may write the database meanwhile."
        },
    )
    check_file_changes: bool = field(
        default=True,
        metadata={
            "help": "fstat() the open database file on each call (about 1 us) and reopen it when it was "
            "rewritten (size or mtime changed), deleted or replaced, so a rebuilt file is never read "
            "through a stale immutable connection. Turn off only for files that never change."
        },
    )
    cached_statements: int = field(
        default=256,
        metadata={"help": "Prepared statements cached per connection (sqlite3.connect's option)."},
    )

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 (use math.inf for no limit), got {self.timeout_s}")
        for name in ("max_rows", "max_bytes", "max_value_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.cached_statements < 0:
            raise ValueError(f"cached_statements must be >= 0, got {self.cached_statements}")


class _Prepare:
    """What the authorizer saw while SQLite prepared the last statement on one connection."""

    __slots__ = ("allow_slow", "called", "nondeterministic", "slow")

    def __init__(self, allow_slow: bool) -> None:
        self.called = self.nondeterministic = self.slow = False
        self.allow_slow = allow_slow

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None
    ) -> int:
        """Allow-list authorizer, called by SQLite while it prepares a statement (never per row)."""
        if not self.called:  # the first call for this statement (the executor only resets `called`)
            self.called = True
            self.nondeterministic = self.slow = False
        if action in _ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            if name in _DENIED_FUNCTIONS:
                return sqlite3.SQLITE_DENY
            if name in NONDETERMINISTIC_FUNCTIONS:
                self.nondeterministic = True
            if name in SLOW_FUNCTIONS and not self.allow_slow:
                self.slow = True  # refused here; the executor reruns the statement in a worker process
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _ALLOWED_PRAGMAS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY


class _Watchdog:
    """One daemon thread that interrupts each query whose deadline has passed.

    A query registers with one dict store in ``active`` (and wakes the thread only when its deadline is
    nearer than the one the thread sleeps until) and leaves with one dict pop; the thread sleeps until the
    nearest deadline, so it runs about once per ``timeout_s``, not per query, and interrupts a query past
    its deadline every ``_REINTERRUPT_S`` until it has left. Nothing is locked per query:
    should a query end (and the next one start on the same connection) just as the thread interrupts it,
    the next one sees SQLITE_INTERRUPT before its own deadline and the executor runs it again.
    """

    def __init__(self) -> None:
        self.active: dict[_Handle, float] = {}
        self.wake_at = math.inf  # when the thread wakes next; inf while it scans, so any query wakes it
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="mtsql-sql-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        active = self.active
        with self._cond:
            while True:
                self.wake_at = math.inf  # a query registered during the scan (unseen by it) wakes us again
                now = time.perf_counter()
                nearest = math.inf
                for handle, deadline in active.copy().items():
                    if deadline > now:
                        nearest = min(nearest, deadline)
                    elif active.get(handle) == deadline:  # still the same query
                        try:
                            handle.conn.interrupt()
                        except sqlite3.ProgrammingError:  # closed meanwhile
                            continue
                        # SQLite forgets an interrupt that lands before the statement starts running:
                        # repeat it until the query has noticed and left.
                        nearest = min(nearest, now + _REINTERRUPT_S)
                self.wake_at = nearest
                self._cond.wait(None if nearest == math.inf else nearest - now)


_watchdog = _Watchdog()


def _new_watchdog_after_fork() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's thread does not exist in the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_watchdog_after_fork)


_new_object = object.__new__


def _ok_result(
    columns: tuple[str, ...], rows: tuple[tuple[Any, ...], ...], truncated: bool, elapsed_s: float
) -> ExecutionResult:
    """Build a successful result without the frozen-dataclass ``__init__``.

    The generated ``__init__`` calls ``object.__setattr__`` once per field (about 1 us here), a quarter
    of the executor's whole overhead; filling ``__dict__`` directly gives the identical object.
    """
    result = _new_object(ExecutionResult)
    fields = result.__dict__
    fields["columns"] = columns
    fields["rows"] = rows
    fields["truncated"] = truncated
    fields["error"] = None
    fields["message"] = ""
    fields["elapsed_s"] = elapsed_s
    return result


def _read_header(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(len(_SQLITE_HEADER))


def _lenient_text(data: bytes) -> str:
    """Decode like the official evaluator: invalid UTF-8 bytes are dropped."""
    return data.decode("utf-8", errors="ignore")


def _row_bytes(rows: list[tuple[Any, ...]]) -> int:
    """Cheap size estimate: text/blob length, 8 bytes per other value, 16 per row."""
    used = _ROW_OVERHEAD_BYTES * len(rows)
    for row in rows:
        for value in row:
            cls = value.__class__
            used += len(value) if (cls is str or cls is bytes) else _SCALAR_BYTES
    return used


def _deterministic(handle: _Handle, sql: str) -> bool:
    """Whether the statement just run calls no nondeterministic function, as its authorizer reported.

    A statement served from ``sqlite3``'s statement cache is not authorized again: the handle's memo
    answers for it, and a text it does not know (a syntax error, or a memo restarted) counts as
    nondeterministic, which only means its result is not cached.
    """
    memo = handle.deterministic
    if not handle.prepare.called:
        return sql in memo
    if handle.prepare.nondeterministic:
        return False
    if len(memo) >= _DETERMINISM_MEMO:
        memo.clear()
    memo.add(sql)
    return True


def _fit_bytes(batch: list[tuple[Any, ...]], budget: int) -> list[tuple[Any, ...]]:
    """The longest prefix of ``batch`` whose estimated size fits ``budget``."""
    for index, row in enumerate(batch):
        budget -= _row_bytes([row])
        if budget < 0:
            return batch[:index]
    return batch


def _fetch(
    conn: sqlite3.Connection, sql: str, max_rows: int, max_bytes: int, max_value_bytes: int, deadline: float
) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...], bool]:
    """Run ``sql`` and fetch at most ``max_rows`` rows / ``max_bytes`` bytes: (columns, rows, truncated)."""
    cursor = conn.execute(sql)
    description = cursor.description
    if description is None:  # no statement at all, or one that returns no columns
        return (), (), False
    columns = tuple([d[0] for d in description])
    want = max_rows + 1  # one extra row tells whether the result was cut
    size = _FIRST_BATCH_BYTES // (len(columns) * max_value_bytes)  # rows that fit even at the largest values
    if size >= _FIRST_BATCH:  # plain comparisons: min() would cost a tenth of the whole per-call overhead
        size = _FIRST_BATCH
    elif size < 1:
        size = 1
    if want < size:
        size = want
    batch = cursor.fetchmany(size)
    used = _row_bytes(batch)
    if len(batch) < size and used <= max_bytes:
        return columns, tuple(batch), False  # the common case: a small result in one call
    rows: list[tuple[Any, ...]] = []
    while True:
        if used > max_bytes:
            rows += _fit_bytes(batch, max_bytes - _row_bytes(rows))
            return columns, tuple(rows[:max_rows]), True
        rows += batch
        if len(rows) > max_rows:
            return columns, tuple(rows[:max_rows]), True
        if len(batch) < size:
            return columns, tuple(rows), False
        if time.perf_counter() > deadline:  # time spent in Python between steps also counts
            raise _QueryTimeout
        fits = (max_bytes - used) * len(rows) // used + 1  # rows of the mean size seen that still fit
        size = min(_FETCH_BATCH, fits, max_rows + 1 - len(rows))
        batch = cursor.fetchmany(size)
        used += _row_bytes(batch)


class _Handle:
    """One open connection, what its authorizer saw, and a watch on its file.

    ``fd`` is our own descriptor on the database file: ``fstat`` on it (about 1 us, a third of a path
    ``stat``) sees an in-place rewrite (size or mtime change) and a deletion or replacement by rename
    (the old inode's link count drops to 0), which is what an ``immutable=1`` connection cannot see.

    ``deterministic`` remembers the SQL texts whose statement was prepared here and calls no
    nondeterministic function: a statement served from ``sqlite3``'s statement cache is not authorized
    again, so this memo answers for it (a text not in it counts as nondeterministic: never cached).
    """

    __slots__ = ("__weakref__", "conn", "deterministic", "fd", "path", "prepare", "signature")

    def __init__(
        self, conn: sqlite3.Connection, prepare: _Prepare, path: str, fd: int, signature: tuple[int, int]
    ) -> None:
        self.conn = conn
        self.prepare = prepare
        self.deterministic: set[str] = set()
        self.path = path
        self.fd = fd
        self.signature = signature

    def unchanged(self) -> bool:
        """True while the file is still linked and has the size and mtime it had when opened."""
        st = os.fstat(self.fd)
        return st.st_nlink > 0 and (st.st_size, st.st_mtime_ns) == self.signature

    def close(self) -> None:
        self.conn.close()
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:  # a thread's handles die with it: release the descriptor too
        try:
            if self.fd >= 0:
                os.close(self.fd)
        except (AttributeError, OSError, TypeError):  # pragma: no cover - interpreter shutdown
            pass


class SQLiteExecutor:
    """Runs one untrusted SQL statement at a time on read-only SQLite databases.

    ``execute`` never raises because of the SQL: errors, forbidden statements and timeouts come back
    as an :class:`ExecutionResult`. It raises ``FileNotFoundError`` for a missing database and
    :class:`DatabaseFileError` for a file that is not a usable SQLite database.

    Connections are cached per (thread, path), opened lazily, dropped after ``fork`` and on
    :meth:`close`; the executor is picklable (only the config travels) and a context manager. With a
    :class:`~mtsql_env.result_cache.ResultCache` (which several executors may share), a deterministic query
    already run on the unchanged file is answered from it.

    Example:
        >>> import os, sqlite3, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "tiny.sqlite")
        >>> with sqlite3.connect(path) as db:
        ...     _ = db.execute("CREATE TABLE singer(name TEXT, age INT)")
        ...     _ = db.execute("INSERT INTO singer VALUES ('Joe', 52), ('Ann', 30)")
        >>> db.close()
        >>> with SQLiteExecutor() as ex:
        ...     print(ex.execute(path, "SELECT name FROM singer ORDER BY age").rows)
        ...     print(ex.execute(path, "DROP TABLE singer").error.value)
        (('Ann',), ('Joe',))
        forbidden
    """

    def __init__(
        self,
        config: ExecutorConfig | None = None,
        cache: ResultCache | None = None,
        *,
        _in_worker: bool = False,
    ) -> None:
        self.config = config if config is not None else ExecutorConfig()
        self.cache = cache
        self._in_worker = _in_worker  # inside sql_worker: slow functions run here
        self._generation = _fork_generation
        self._local = threading.local()
        self._lock = threading.Lock()
        self._registry: weakref.WeakSet[_Handle] = weakref.WeakSet()

    # -- public API --------------------------------------------------------------------------------

    def execute(
        self,
        db_path: str | os.PathLike,
        sql: str,
        *,
        timeout_s: float | None = None,
        max_rows: int | None = None,
    ) -> ExecutionResult:
        """Run one SQL statement read-only and fetch its rows within the limits.

        Args:
            db_path: the ``.sqlite`` file.
            sql: one statement; a trailing ``;`` or comment is fine, a second statement is FORBIDDEN.
                Text with no statement at all (empty, only comments) runs nothing and returns an empty
                result, as SQLite and the official evaluator do.
            timeout_s: overrides ``config.timeout_s`` for this call.
            max_rows: overrides ``config.max_rows`` for this call.

        Returns:
            The :class:`ExecutionResult`.

        Raises:
            FileNotFoundError: ``db_path`` does not exist.
            DatabaseFileError: ``db_path`` is not a usable SQLite database.
        """
        handle = self._handle(db_path)
        config = self.config
        limit = config.timeout_s if timeout_s is None else timeout_s
        cap = config.max_rows if max_rows is None else max_rows
        if not limit > 0 or cap < 1:
            raise ValueError(f"timeout_s must be > 0 and max_rows >= 1, got {limit!r} and {cap!r}")
        cache = self.cache
        if cache is None:
            return self._run(handle, sql, limit, cap)
        key = (handle.path, handle.signature, config.max_value_bytes, sql)
        result = cache.get(key, cap, config.max_bytes)  # only deterministic results are ever stored
        if result is None:
            result = self._run(handle, sql, limit, cap)
            if result.deterministic and result.error is not ErrorKind.TIMEOUT:
                cache.put(key, result, _row_bytes(result.rows), cap, config.max_bytes)
        return result

    def close(self) -> None:
        """Close every cached connection (all threads); the executor reopens lazily if used again.

        Call it when no other thread is inside :meth:`execute`: a query racing with ``close`` gets an
        OTHER error ("Cannot operate on a closed database") rather than its rows.
        """
        with self._lock:
            handles = list(self._registry)
            self._registry = weakref.WeakSet()
            self._local = threading.local()
        for handle in handles:
            try:
                handle.close()
            except sqlite3.Error:  # pragma: no cover - closing is best effort
                logger.debug("error closing %s", handle.path, exc_info=True)
        if handles:
            logger.debug("closed %d SQLite connection(s)", len(handles))

    def __enter__(self) -> SQLiteExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    # -- execution ---------------------------------------------------------------------------------

    def _run(self, handle: _Handle, sql: str, limit: float, cap: int, retry: bool = True) -> ExecutionResult:
        config = self.config
        start = time.perf_counter()
        deadline = start + limit
        prepare = handle.prepare
        prepare.called = False
        watchdog = _watchdog
        active = watchdog.active
        active[handle] = deadline
        if deadline < watchdog.wake_at:
            watchdog.wake()
        value_cap = config.max_value_bytes
        try:
            try:
                columns, rows, truncated = _fetch(
                    handle.conn, sql, cap, config.max_bytes, value_cap, deadline
                )
            except sqlite3.OperationalError as exc:
                if not str(exc).startswith(_DECODE_ERROR_PREFIX):
                    raise
                # Rare path: invalid UTF-8 in a text value. Rerun with the evaluator's lenient
                # decoding; keeping the C-level str decoder otherwise is much faster.
                handle.conn.text_factory = _lenient_text
                try:
                    columns, rows, truncated = _fetch(
                        handle.conn, sql, cap, config.max_bytes, value_cap, deadline
                    )
                finally:
                    handle.conn.text_factory = str
        except _QueryTimeout:
            return self._timeout_result(limit, start)
        except Exception as exc:  # noqa: BLE001 - anything about the SQL becomes a result
            if not (prepare.called and prepare.slow):
                return self._error_result(exc, handle, sql, limit, cap, start, retry)
            columns = None  # refused only because it calls a slow function: run it in a worker below
        finally:
            active.pop(handle, None)
        if columns is None:
            return self._run_in_worker(handle, sql, limit, cap, start)
        deterministic = _deterministic(handle, sql) if prepare.called else sql in handle.deterministic

        if truncated and not rows:
            return ExecutionResult(
                columns=columns,
                error=ErrorKind.TOO_LARGE,
                message=f"result too large: its first row alone exceeds the {config.max_bytes}-byte cap",
                elapsed_s=time.perf_counter() - start,
                deterministic=deterministic,
            )
        result = _ok_result(columns, rows, truncated, time.perf_counter() - start)
        if not deterministic:
            result.__dict__["deterministic"] = False
        return result

    def _run_in_worker(
        self, handle: _Handle, sql: str, limit: float, cap: int, start: float
    ) -> ExecutionResult:
        """Run a statement that calls a :data:`SLOW_FUNCTIONS` member in a worker killed at the deadline."""
        result = sql_worker.run_in_worker(self.config, handle.path, sql, start + limit, cap)
        if result is None:
            return self._timeout_result(limit, start)
        return result

    def _timeout_result(self, limit: float, start: float) -> ExecutionResult:
        elapsed = time.perf_counter() - start
        logger.debug("query interrupted after %.3f s (limit %.3f s)", elapsed, limit)
        return ExecutionResult(
            error=ErrorKind.TIMEOUT,
            message=f"interrupted: query exceeded the {limit:.3g} s time limit",
            elapsed_s=elapsed,
        )

    def _error_result(
        self, exc: Exception, handle: _Handle, sql: str, limit: float, cap: int, start: float, retry: bool
    ) -> ExecutionResult:
        code = getattr(exc, "sqlite_errorcode", None)
        message = str(exc)
        if code is not None:
            code &= 0xFF  # extended result codes carry the primary code in the low byte
        elif isinstance(exc, sqlite3.DatabaseError) and message in _FILE_ERROR_MESSAGES:
            code = sqlite3.SQLITE_CORRUPT  # Python 3.10 exceptions carry no error code
        if code in _FILE_ERROR_CODES:
            self._discard(handle)
            raise DatabaseFileError(f"{handle.path}: {message}") from exc
        if code == sqlite3.SQLITE_INTERRUPT:
            left = start + limit - time.perf_counter()
            if left > 0 and retry:  # meant for the previous query on this connection (see _Watchdog)
                return self._run(handle, sql, left, cap, retry=False)
            return self._timeout_result(limit, start)

        if code in (sqlite3.SQLITE_AUTH, sqlite3.SQLITE_READONLY):
            kind = ErrorKind.FORBIDDEN
        elif isinstance(exc, UnicodeError):
            kind, message = ErrorKind.OTHER, f"SQL text is not valid Unicode: {message}"
        elif isinstance(exc, (sqlite3.ProgrammingError, ValueError)) and "null character" in message:
            kind = ErrorKind.SYNTAX
        elif isinstance(exc, TypeError) or not isinstance(exc, (sqlite3.Error, ValueError, OverflowError)):
            kind = ErrorKind.OTHER
            message = message or type(exc).__name__
            logger.debug(
                "unexpected %s while executing on %s", type(exc).__name__, handle.path, exc_info=True
            )
        else:
            kind = classify_error(message)
        return ExecutionResult(
            error=kind,
            message=message,
            elapsed_s=time.perf_counter() - start,
            deterministic=_deterministic(handle, sql),
        )

    # -- connections -------------------------------------------------------------------------------

    def _handle(self, db_path: str | os.PathLike) -> _Handle:
        """The calling thread's cached connection for ``db_path``, opened or reopened as needed."""
        if self._generation != _fork_generation:
            self._after_fork()
        key = db_path if db_path.__class__ is str else os.fspath(db_path)
        if not isinstance(key, str):
            raise TypeError(f"db_path must be a str or os.PathLike[str], got {db_path!r}")
        if key[:1] != "/" and not os.path.isabs(key):  # relative: resolve now, the cwd may change
            key = os.path.abspath(key)
        try:
            handles = self._local.handles
        except AttributeError:
            handles = self._local.handles = {}
        handle = handles.get(key)
        if handle is not None:
            if not self.config.check_file_changes or handle.unchanged():
                return handle
            logger.debug("%s changed on disk; reopening", key)
            del handles[key]
            self._discard(handle)
        handle = self._open(key)
        handles[key] = handle
        return handle

    def _open(self, path: str) -> _Handle:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise FileNotFoundError(f"SQLite database not found: {path}") from None
        try:
            return self._connect(path, fd)
        except BaseException:
            os.close(fd)
            raise

    def _connect(self, path: str, fd: int) -> _Handle:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DatabaseFileError(f"{path}: is a directory, not an SQLite database file")
        header = os.pread(fd, len(_SQLITE_HEADER), 0) if hasattr(os, "pread") else _read_header(path)
        if header != _SQLITE_HEADER:
            what = "empty file" if not header else "file has no SQLite header"
            raise DatabaseFileError(f"{path}: not an SQLite database ({what})")

        config = self.config
        uri = "file:" + urllib.parse.quote(path) + "?mode=ro" + ("&immutable=1" if config.immutable else "")
        conn = sqlite3.connect(
            uri,
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=config.cached_statements,
        )
        try:
            conn.execute("PRAGMA query_only=ON")
            if hasattr(conn, "setlimit"):  # Python >= 3.11; on 3.10 the authorizer alone stops ATTACH
                conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
                conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, config.max_value_bytes)
                conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, _MAX_COLUMNS)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads and checks the schema
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseFileError(f"{path}: not a usable SQLite database ({exc})") from exc
        prepare = _Prepare(allow_slow=self._in_worker)
        conn.set_authorizer(prepare.authorize)
        handle = _Handle(conn, prepare, path, fd, (st.st_size, st.st_mtime_ns))
        with self._lock:
            self._registry.add(handle)
        logger.debug("opened %s read-only in thread %s", path, threading.get_ident())
        return handle

    def _discard(self, handle: _Handle) -> None:
        with self._lock:
            self._registry.discard(handle)
        handle.close()

    def _after_fork(self) -> None:
        """Forget connections inherited from the parent; SQLite must not touch them in the child."""
        _FORK_ORPHANS.extend(list(self._registry))
        _FORK_ORPHANS.append(self._local)
        self._generation = _fork_generation
        self._lock = threading.Lock()  # the parent's lock may have been held by another thread
        self._registry = weakref.WeakSet()
        self._local = threading.local()
        logger.debug("process forked; reopening SQLite connections lazily in pid %d", os.getpid())
