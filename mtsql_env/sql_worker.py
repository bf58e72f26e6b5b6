"""Worker processes for statements that SQLite cannot interrupt, killed at their deadline.

A few built-in functions do all their work inside one VM instruction: ``printf('%.*c', 2147483647, 'x')``
loops for 14 s, ``instr``/``replace`` with a long near-miss needle and ``ltrim``/``rtrim``/``trim`` with a long
character set are quadratic (68 s for one ``ltrim`` within the 1 MB value cap). Neither
``Connection.interrupt()`` nor a progress handler fires inside an instruction, so the executor sends every
statement that calls one of them (the authorizer names them at prepare time) to a worker process instead,
and kills the worker when the deadline passes. Ordinary queries never come here.

Workers are plain ``python`` subprocesses (no ``multiprocessing`` start method, so no re-import of the
caller's ``__main__`` and no fork of a threaded process) that import only the executor and the standard
library. Idle workers are kept for reuse; each serves one query at a time, so concurrent threads each get
their own.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .executor import ExecutionResult, ExecutorConfig

__all__ = ["run_in_worker"]

logger = logging.getLogger(__name__)

#: Idle workers kept for reuse; more are stopped after their query.
MAX_IDLE_WORKERS = 4

_PACKAGE_DIR = Path(__file__).resolve().parent

# The child imports `mtsql_env.executor` under a bare package module, skipping the package's __init__
# (it imports gymnasium: 0.6 s of start-up that a query waiting for its worker would pay).
_BOOTSTRAP = (
    "import sys, types; pkg = types.ModuleType('mtsql_env'); pkg.__path__ = [sys.argv[1]]; "
    "sys.modules['mtsql_env'] = pkg; from mtsql_env.sql_worker import serve; serve(int(sys.argv[2]))"
)


def serve(fd: int) -> None:
    """Child side: answer ``(config, db_path, sql, timeout_s, max_rows)`` requests until the parent goes."""
    from .executor import SQLiteExecutor

    channel = Connection(fd)
    executors: dict[object, SQLiteExecutor] = {}
    while True:
        try:
            config, db_path, sql, timeout_s, max_rows = channel.recv()
        except (EOFError, OSError):
            return
        key = repr(config)
        executor = executors.get(key)
        if executor is None:
            executor = executors[key] = SQLiteExecutor(config, _in_worker=True)
        try:
            reply: object = executor.execute(db_path, sql, timeout_s=timeout_s, max_rows=max_rows)
        except Exception as exc:  # noqa: BLE001 - a broken file is raised again in the parent
            reply = exc
        channel.send(reply)


class _Worker:
    def __init__(self) -> None:
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _BOOTSTRAP, str(_PACKAGE_DIR), str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            child.close()
        self.channel = Connection(parent.detach())
        self.generation = _generation

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait()
        finally:
            self.channel.close()


_lock = threading.Lock()
_idle: list[_Worker] = []
_generation = 0  # bumped in a forked child: the parent's workers are not ours to use


def _forget_parent_workers() -> None:
    global _lock, _idle, _generation
    _lock, _idle, _generation = threading.Lock(), [], _generation + 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parent_workers)


@atexit.register
def _stop_idle_workers() -> None:
    with _lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.kill()


def run_in_worker(
    config: ExecutorConfig, db_path: str, sql: str, deadline: float, max_rows: int
) -> ExecutionResult | None:
    """Run ``sql`` in a worker process; None when the deadline passed first (the worker is then killed).

    Raises whatever the executor raised in the worker for a missing or broken database file.
    """
    with _lock:
        worker = _idle.pop() if _idle else None
    if worker is None:
        worker = _Worker()
    remaining = deadline - time.perf_counter()
    try:
        worker.channel.send((config, db_path, sql, max(remaining, 1e-3), max_rows))
        ready = worker.channel.poll(max(deadline - time.perf_counter(), 0.0))
        reply = worker.channel.recv() if ready else None
    except (OSError, EOFError):
        logger.warning("SQL worker %d died; the query counts as timed out", worker.process.pid)
        ready, reply = False, None
    if not ready:
        worker.kill()
        return None
    with _lock:
        keep = worker.generation == _generation and len(_idle) < MAX_IDLE_WORKERS
        if keep:
            _idle.append(worker)
    if not keep:
        worker.kill()
    if isinstance(reply, Exception):
        raise reply
    return reply
