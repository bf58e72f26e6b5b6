"""An on-disk cache of the gold side of an evaluation (parse, normalisation, hardness, execution results).

Scoring a dev set twice (every checkpoint of a training run, several systems) repeats the same gold work,
which is about half of ``mtsql evaluate``'s time. This cache stores it in one pickle file per *key*, where
the key covers everything the gold side depends on, so a stale entry is never read:

* the gold queries themselves (their ``(db_id, sql)`` pairs, in order);
* the settings that change gold results: ``etype`` (whether golds are executed), ``strict``,
  ``keep_distinct`` and ``timeout_s``;
* every database file the golds use: each ``*.sqlite*`` file of ``<db_dir>/<db_id>/`` by name, size,
  modification time (ns) and inode, and a missing folder as such; and the tables.json file the same way;
* the source code of the evaluator itself (the ``mtsql_env.evaluation`` modules and the executor), so
  upgrading mtsql invalidates everything;
* a format version.

Files are written atomically (temporary file, then rename) and only the newest :data:`MAX_FILES` are kept.
A cache file that cannot be read is ignored and rewritten. Like any pickle cache, the folder must not be
writable by people you do not trust (the default is under ``~/.cache/mtsql``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Bump when the cached objects change shape.
CACHE_VERSION = 1
#: Cache files kept per folder (the newest by modification time).
MAX_FILES = 32
_SUFFIX = ".gold.pkl"


def default_gold_cache_dir() -> Path:
    """``<mtsql cache>/evaluation``: ``$MTSQL_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtsql``, else ``~/.cache/mtsql``."""
    from mtsql_env.datasets import default_cache_dir

    return default_cache_dir() / "evaluation"


def _file_signature(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _database_signature(db_dir: Path, db_id: str) -> str:
    folder = db_dir / db_id
    try:
        names = sorted(name for name in os.listdir(folder) if ".sqlite" in name)
    except OSError:
        return f"{folder}:missing"
    return "|".join(_file_signature(folder / name) for name in names) or f"{folder}:empty"


def _code_fingerprint() -> str:
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")) + [package.parent / "executor.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    return digest.hexdigest()


def gold_cache_key(
    gold_pairs: Iterable[tuple[str, str]],
    db_dir: str | os.PathLike[str],
    tables_path: str | os.PathLike[str] | None,
    settings: dict[str, Any],
) -> str:
    """The hex key of a gold set under the given databases, tables file and settings.

    Example:
        >>> k1 = gold_cache_key([("concert_singer", "SELECT 1")], "/nowhere", None, {"strict": False})
        >>> k2 = gold_cache_key([("concert_singer", "SELECT 2")], "/nowhere", None, {"strict": False})
        >>> len(k1), k1 == k2
        (64, False)

    Args:
        gold_pairs: the ``(db_id, gold_sql)`` pairs, in order.
        db_dir: the folder of database folders.
        tables_path: tables.json (or None).
        settings: the settings the gold side depends on (must be repr-stable).

    Returns:
        A sha256 hex digest.
    """
    db_dir = Path(db_dir).resolve()
    digest = hashlib.sha256(f"mtsql-gold-cache-v{CACHE_VERSION}\n".encode())
    digest.update(_code_fingerprint().encode())
    digest.update(repr(sorted(settings.items())).encode())
    digest.update(_file_signature(Path(tables_path).resolve()).encode() if tables_path else b"no-tables")
    db_ids: dict[str, None] = {}
    for db_id, sql in gold_pairs:
        db_ids.setdefault(db_id, None)
        digest.update(f"\x00{db_id}\x01{sql}".encode())
    for db_id in db_ids:
        digest.update(f"\x02{_database_signature(db_dir, db_id)}".encode())
    return digest.hexdigest()


def load_gold_cache(cache_dir: str | os.PathLike[str], key: str) -> dict[Any, Any] | None:
    """The cached entries for ``key``, or None when absent or unreadable."""
    path = Path(cache_dir) / f"{key}{_SUFFIX}"
    try:
        with open(path, "rb") as handle:
            payload = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as err:  # noqa: BLE001 - a broken cache file is only a cache miss
        logger.warning("ignoring unreadable gold cache %s: %s", path, err)
        return None
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION or payload.get("key") != key:
        return None
    logger.debug("gold cache hit: %s (%d entries)", path, len(payload["entries"]))
    return payload["entries"]


def save_gold_cache(cache_dir: str | os.PathLike[str], key: str, entries: dict[Any, Any]) -> Path | None:
    """Write ``entries`` atomically under ``key`` and prune old files; returns the path (None on failure)."""
    folder = Path(cache_dir)
    path = folder / f"{key}{_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump({"version": CACHE_VERSION, "key": key, "entries": entries}, handle, protocol=5)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        logger.warning("could not write the gold cache in %s: %s", folder, err)
        return None
    _prune(folder)
    logger.debug("gold cache written: %s (%d entries)", path, len(entries))
    return path


def _prune(folder: Path) -> None:
    dated = []
    for path in folder.glob(f"*{_SUFFIX}"):
        try:
            dated.append((path.stat().st_mtime_ns, path))
        except OSError:  # removed meanwhile by another run
            continue
    for _, old in sorted(dated, reverse=True)[MAX_FILES:]:
        try:
            old.unlink()
        except OSError:
            pass
