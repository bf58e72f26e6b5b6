"""A bounded, shared cache of query results for :class:`~mtsql_env.executor.SQLiteExecutor`.

Why: the databases are opened read-only and watched for changes, so one deterministic SQL text on one
unchanged file always gives the same rows, and an RL environment asks for the same rows again and again:
the candidate at ``execute`` and once more as the prediction (or the gold) scored by execution match at
``answer``; a GRPO group that samples the same SQL several times; the same gold across epochs. One cache
shared by the environment's executor and its evaluator's makes each of those a dictionary lookup.

What is kept: complete results (no row or byte cap hit) and errors the SQL itself causes (syntax, unknown
column ...), bounded by an estimate of their size in bytes, least recently used first out. Never kept:
timeouts (they depend on the machine's load) and SQL whose result may change between runs: the executor
marks a result ``deterministic=False`` when SQLite's authorizer reported a call to ``random()``, a date/time
function ... at prepare time (:data:`~mtsql_env.executor.NONDETERMINISTIC_FUNCTIONS`), whatever the
spelling (``"random"()``, ``random /**/ ()``). A cut result is reused only under the same caps.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtsql_env.executor import ExecutionResult

__all__ = ["ResultCache"]

# CPython object sizes (64-bit) behind `_memory_bytes`: an entry's key, result and bookkeeping; a tuple and
# each of its slots; a str or bytes header; any other value (int, float) with its slot.
_ENTRY_BYTES = 400
_TUPLE_BYTES, _SLOT_BYTES = 40, 8
_TEXT_BYTES = 49
_SCALAR_BYTES = 32


def _memory_bytes(result: ExecutionResult) -> int:
    """Estimated memory the result holds, as CPython lays it out (the executor's row-byte caps count less)."""
    rows = result.rows
    used = _ENTRY_BYTES + len(result.message) + _TUPLE_BYTES + _SLOT_BYTES * len(rows)
    for row in rows:
        used += _TUPLE_BYTES
        for value in row:
            cls = value.__class__
            used += _SLOT_BYTES + (_TEXT_BYTES + len(value) if cls is str or cls is bytes else _SCALAR_BYTES)
    return used


# Live caches, to give each a fresh lock in a forked child (another thread may have held it at the fork).
_LIVE: weakref.WeakSet[ResultCache] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for cache in list(_LIVE):
        cache._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class ResultCache:
    """Least-recently-used query results holding at most ``max_bytes`` of memory (estimated).

    Thread-safe and fork-safe; a pickled cache arrives empty.

    Example:
        >>> import os, sqlite3, tempfile
        >>> from mtsql_env.executor import SQLiteExecutor
        >>> path = os.path.join(tempfile.mkdtemp(), "tiny.sqlite")
        >>> with sqlite3.connect(path) as db:
        ...     _ = db.execute("CREATE TABLE t(x INT)")
        >>> db.close()
        >>> cache = ResultCache()
        >>> with SQLiteExecutor(cache=cache) as executor:
        ...     first = executor.execute(path, "SELECT count(*) FROM t")
        ...     again = executor.execute(path, "SELECT count(*) FROM t")
        >>> again is first, cache.hits, cache.misses
        (True, 1, 1)
    """

    def __init__(self, max_bytes: int = 4 * 1024 * 1024) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        # key -> (result, its memory estimate, its row-byte estimate, the row and byte caps it was fetched under)
        self._entries: OrderedDict[Hashable, tuple[ExecutionResult, int, int, int, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __getstate__(self) -> dict[str, int]:
        return {"max_bytes": self.max_bytes}  # results stay behind, like an executor's connections

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["max_bytes"])  # type: ignore[misc]

    def get(self, key: Hashable, max_rows: int, max_bytes: int) -> ExecutionResult | None:
        """The result stored under ``key`` if it answers a query fetched under these caps, else None.

        A complete result answers any caps it fits in; a cut one only the caps it was cut by.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                result, _, row_bytes, rows_cap, bytes_cap = entry
                if (
                    (rows_cap, bytes_cap) == (max_rows, max_bytes)
                    if result.truncated
                    else len(result.rows) <= max_rows and row_bytes <= max_bytes
                ):
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return result
            self.misses += 1
            return None

    def put(
        self, key: Hashable, result: ExecutionResult, row_bytes: int, max_rows: int, max_bytes: int
    ) -> None:
        """Store ``result``, fetched under these caps (``row_bytes``: its size as the executor's byte cap
        counts it), evicting the least recently used entries to fit. The caller stores only
        deterministic results."""
        size = _memory_bytes(result)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (result, size, row_bytes, max_rows, max_bytes)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """Estimated memory held now, in bytes."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(entries={len(self)}, bytes={self._bytes}/{self.max_bytes}, "
            f"hits={self.hits}, misses={self.misses})"
        )
