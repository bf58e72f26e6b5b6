"""Load CoSQL and SParC releases (and the bundled sample) into typed records.

Nothing here hard-codes a data path. A release is found, in order, at an explicit ``data_dir``, at
``$MTSQL_COSQL_DIR`` / ``$MTSQL_SPARC_DIR`` (one benchmark) or ``$MTSQL_DATA_DIR`` (both), or in the cache
that ``mtsql data install`` fills (:func:`default_cache_dir`). Each location may be the release folder
itself (the one holding ``tables.json``) or a folder above it.

Layouts read (the official ones):

- CoSQL: ``<release>/sql_state_tracking/cosql_{train,dev}.json``
- SParC: ``<release>/{train,dev}.json``
- both: ``<release>/tables.json`` and ``<release>/database/<db_id>/<db_id>.sqlite``

Problems are raised as :class:`DataError` subclasses whose messages name the file and say how to fix it.
Dialogues over a database whose SQLite file is absent are never dropped silently: the loader raises
:class:`MissingDatabaseError` unless the caller opts in to a counted, logged skip.

Installing releases into the cache and summarising what is there live in :mod:`mtsql_env.data_cache`;
``install_release`` and ``data_info`` are re-exported here lazily (PEP 562) to avoid an import cycle.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mtsql_env.errors import MtsqlError
from mtsql_env.records import Column, Dataset, Dialogue, ForeignKey, Schema, Table, Turn

__all__ = [
    "BENCHMARKS",
    "SPLITS",
    "DataError",
    "DataFormatError",
    "DataNotFoundError",
    "MissingDatabaseError",
    "configured_locations",
    "default_cache_dir",
    "detect_benchmark",
    "find_release",
    "load_dataset",
    "load_dialogues",
    "load_sample",
    "load_schemas",
    "missing_databases",
    "read_sqlite_schema",
    "sample_dir",
    "search_locations",
    "split_path",
]

logger = logging.getLogger(__name__)
_fallback_warned = False  # the sample-fallback warning is logged once per process

#: Benchmarks this module can load.
BENCHMARKS = ("cosql", "sparc")
#: Splits the public releases ship (the test splits are hidden by the benchmark authors).
SPLITS = ("train", "dev")
#: Folder name of each benchmark's release inside its official zip, and inside the cache.
RELEASE_FOLDER = {"cosql": "cosql_dataset", "sparc": "sparc"}
#: Environment variable naming one benchmark's release (or a folder above it).
BENCHMARK_ENV_VARS = {"cosql": "MTSQL_COSQL_DIR", "sparc": "MTSQL_SPARC_DIR"}
#: Environment variable naming a folder that holds releases of any benchmark.
DATA_ENV_VAR = "MTSQL_DATA_DIR"
CACHE_ENV_VAR = "MTSQL_CACHE_DIR"
TABLES_FILE = "tables.json"
DATABASE_FOLDER = "database"
_DISPLAY = {"cosql": "CoSQL", "sparc": "SParC", "sample": "sample"}


class DataError(MtsqlError):
    """Base class of every data problem this module reports."""


class DataNotFoundError(DataError):
    """No release (or no file of a split) where we looked; the message says where and how to fix it."""


class DataFormatError(DataError, ValueError):
    """A file exists but cannot be used: bad JSON, a missing key, a wrong type, an inconsistent entry."""


class MissingDatabaseError(DataError):
    """Dialogues of a split use databases whose SQLite file is absent.

    Attributes:
        db_ids: the absent databases, sorted.
        dialogues_affected: db_id -> how many dialogues of the split use it.
        turns_affected: db_id -> how many turns those dialogues have.
    """

    def __init__(
        self,
        db_ids: Sequence[str],
        dialogues_affected: Mapping[str, int],
        turns_affected: Mapping[str, int] | None = None,
        *,
        where: str = "",
    ) -> None:
        self.db_ids = tuple(db_ids)
        self.dialogues_affected = dict(dialogues_affected)
        self.turns_affected = dict(turns_affected or {})
        parts = []
        for db_id in self.db_ids:
            part = f"{db_id} ({self.dialogues_affected.get(db_id, 0)} dialogues"
            if db_id in self.turns_affected:
                part += f", {self.turns_affected[db_id]} turns"
            parts.append(part + ")")
        total = sum(self.dialogues_affected.values())
        super().__init__(
            f"{len(self.db_ids)} database(s) used by {total} dialogue(s) have no SQLite file"
            f"{' under ' + where if where else ''}: {', '.join(parts)}. "
            "Add the missing <db_id>/<db_id>.sqlite files, or opt in to leaving those dialogues out with "
            "skip_missing_databases=True (command line: --skip-missing-databases); the skip is logged and "
            "counted in Dataset.skipped_dialogues."
        )


# --------------------------------------------------------------------------------------------------
# Where releases live


def default_cache_dir() -> Path:
    """Folder ``mtsql data install`` fills: ``$MTSQL_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtsql``, else
    ``~/.cache/mtsql``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "mtsql"
    return Path.home() / ".cache" / "mtsql"


def detect_benchmark(folder: str | os.PathLike[str]) -> str | None:
    """Which benchmark's release ``folder`` is (by its split files), or None if it is neither.

    CoSQL keeps its splits under ``sql_state_tracking/``; SParC keeps ``train.json`` / ``dev.json`` at the
    top. ``tables.json`` is not required here so that a release lacking it is found and then reported as
    broken, rather than reported as absent.
    """
    path = Path(folder)
    if (path / "sql_state_tracking").is_dir():
        return "cosql"
    if any((path / f"{split}.json").is_file() for split in SPLITS):
        return "sparc"
    return None


def _check_benchmark(benchmark: str) -> str:
    name = benchmark.lower()
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")
    return name


def _candidates(location: Path, benchmark: str) -> Iterable[Path]:
    """Folders at or just below ``location`` where a release of ``benchmark`` may sit."""
    yield location
    yield location / RELEASE_FOLDER[benchmark]
    yield location / benchmark  # the cache layout: <cache>/<benchmark>/<release folder>
    yield location / benchmark / RELEASE_FOLDER[benchmark]


def _release_at(location: Path, benchmark: str) -> Path | None:
    for candidate in _candidates(location, benchmark):
        if detect_benchmark(candidate) == benchmark:
            return candidate
    return None


def _other_benchmark_at(location: Path, benchmark: str) -> str | None:
    for other in BENCHMARKS:
        if other != benchmark and _release_at(location, other) is not None:
            return other
    return None


def _env_path(var: str) -> Path | None:
    """The folder an environment variable names; unset and empty both mean "not configured"."""
    value = os.environ.get(var)
    return Path(value).expanduser() if value else None


def _user_named(label: str, benchmark: str) -> bool:
    """Whether a search place was named by the user for this benchmark (then it must hold the release)."""
    return label in ("data_dir argument", f"${BENCHMARK_ENV_VARS[benchmark]}")


def configured_locations(benchmark: str) -> list[str]:
    """The places the user configured for ``benchmark`` (environment variables that are set), as text.

    The bundled-sample fallback applies only when this is empty: a configured place that holds no release
    is a mistake to report, not a reason to quietly run on the sample.
    """
    benchmark = _check_benchmark(benchmark)
    return [
        f"${var}={path}"
        for var in (BENCHMARK_ENV_VARS[benchmark], DATA_ENV_VAR)
        if (path := _env_path(var)) is not None
    ]


def _location_problem(location: Path, benchmark: str) -> str | None:
    """Why ``location`` cannot be searched at all (missing, a file, unreadable), or None."""
    try:
        if not location.exists():
            return f"{location} does not exist"
        if not location.is_dir():
            return f"{location} is a file, not a folder"
        next(iter(location.iterdir()), None)
    except OSError as err:
        return f"{location} cannot be read ({err.strerror or err})"
    return None


def search_locations(
    benchmark: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[tuple[str, Path | None]]:
    """The places :func:`find_release` looks, in order, as ``(label, path)``; path is None for an unset
    environment variable. Used for error messages and ``mtsql data info``."""
    benchmark = _check_benchmark(benchmark)
    places: list[tuple[str, Path | None]] = []
    if data_dir is not None:
        if not str(data_dir).strip():
            raise DataNotFoundError("data_dir is empty; give the release folder or a folder above it")
        places.append(("data_dir argument", Path(data_dir).expanduser()))
    for var in (BENCHMARK_ENV_VARS[benchmark], DATA_ENV_VAR):
        places.append((f"${var}", _env_path(var)))
    places.append(("cache", Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()))
    return places


def _locate(
    benchmark: str,
    data_dir: str | os.PathLike[str] | None,
    cache_dir: str | os.PathLike[str] | None,
) -> tuple[Path, str] | None:
    """Search as :func:`find_release` does; also say which place matched (for ``data info``)."""
    benchmark = _check_benchmark(benchmark)
    for label, location in search_locations(benchmark, data_dir, cache_dir=cache_dir):
        if location is None:
            continue
        problem = _location_problem(location, benchmark)
        if problem is not None and label == "cache" and not location.exists():
            logger.debug("no %s release at %s (%s)", _DISPLAY[benchmark], location, label)
            continue  # nothing installed yet
        release = _release_at(location, benchmark) if problem is None else None
        if release is not None:
            logger.debug("found %s release at %s (%s)", _DISPLAY[benchmark], release, label)
            return release, label
        if problem is None:
            if label == "cache":
                continue  # a cache without this benchmark: nothing installed (it also holds other caches)
            other = _other_benchmark_at(location, benchmark)
            if other is not None and not _user_named(label, benchmark):
                # $MTSQL_DATA_DIR may hold one benchmark only; the next places may hold this one.
                logger.debug("%s holds %s only (%s)", location, _DISPLAY[other], label)
                continue
            problem = (
                f"{location} holds a {_DISPLAY[other]} release, not {_DISPLAY[benchmark]}"
                if other
                else f"{location} holds no {_DISPLAY[benchmark]} release"
            )
        # A place the user named that holds no release is a mistake: falling through would hide a typo.
        raise DataNotFoundError(
            f"{problem} (given as {label}). {_layout_hint(benchmark)} Point it at that folder or a folder above it."
        )
    return None


def find_release(
    benchmark: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Find a benchmark's release folder, or None if no place holds one.

    Looks at ``data_dir``, then ``$MTSQL_COSQL_DIR`` / ``$MTSQL_SPARC_DIR``, then ``$MTSQL_DATA_DIR``, then the
    cache (``cache_dir`` or :func:`default_cache_dir`). Each may be the release folder or a parent of it
    (``cosql_dataset/``, ``sparc/``, or the cache's ``<benchmark>/`` folder).

    Raises:
        DataNotFoundError: a place the user named cannot be searched (missing, a file, unreadable) or holds
            no release: ``data_dir`` and ``$MTSQL_COSQL_DIR`` / ``$MTSQL_SPARC_DIR`` must hold this
            benchmark, ``$MTSQL_DATA_DIR`` must hold at least one benchmark, and a cache folder that exists
            must be a readable folder. A typo never falls through to some other copy.
    """
    found = _locate(benchmark, data_dir, cache_dir)
    return found[0] if found else None


def _layout_hint(benchmark: str) -> str:
    if benchmark == "cosql":
        return (
            "A CoSQL release is the folder (cosql_dataset/ in the official zip) holding tables.json, "
            "sql_state_tracking/cosql_dev.json and database/."
        )
    return "A SParC release is the folder (sparc/ in the official zip) holding tables.json, dev.json and database/."


def _not_found_message(benchmark: str, cache_dir: str | os.PathLike[str] | None) -> str:
    looked = []
    for label, location in search_locations(benchmark, cache_dir=cache_dir):
        looked.append(f"{label} ({'unset' if location is None else location})")
    zip_name = f"{RELEASE_FOLDER[benchmark]}.zip"
    sample_hint = (
        "For a quick try without the release, pass fallback_to_sample=True to use the small bundled sample."
        if not configured_locations(benchmark)
        else "The bundled sample is not used instead because a data location is configured."
    )
    return (
        f"No {_DISPLAY[benchmark]} release found. Looked in: {'; '.join(looked)}. {_layout_hint(benchmark)} "
        f"To fix: pass data_dir=<that folder>, set ${BENCHMARK_ENV_VARS[benchmark]} or ${DATA_ENV_VAR}, or "
        f"install the downloaded archive with `mtsql data install {zip_name}`. {sample_hint}"
    )


def split_path(release: str | os.PathLike[str], benchmark: str, split: str) -> Path:
    """Path of a split's dialogue file inside a release (whether or not it exists).

    Example:
        >>> split_path("/data/cosql_dataset", "cosql", "dev").as_posix()
        '/data/cosql_dataset/sql_state_tracking/cosql_dev.json'
        >>> split_path("/data/sparc", "sparc", "train").as_posix()
        '/data/sparc/train.json'
    """
    benchmark = _check_benchmark(benchmark)
    if benchmark == "cosql":
        return Path(release) / "sql_state_tracking" / f"cosql_{split}.json"
    return Path(release) / f"{split}.json"


def sample_dir() -> Path:
    """Folder of the bundled sample (CoSQL layout), found through importlib.resources."""
    return Path(str(importlib.resources.files("mtsql_env") / "sample_data" / "cosql_dataset"))


# --------------------------------------------------------------------------------------------------
# Reading files


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON data file; every way it can fail is a :class:`DataFormatError` naming the file.

    Besides bad syntax that covers a file that is not UTF-8 (binary, UTF-16), nesting deeper than Python's
    recursion limit, integers past Python's digit limit, a folder or an unreadable file in its place.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file is missing") from None
    except IsADirectoryError:
        raise DataFormatError(f"{path}: is a folder, not a JSON file") from None
    except OSError as err:
        raise DataFormatError(f"{path}: cannot be read ({err.strerror or err})") from None
    except json.JSONDecodeError as err:
        raise DataFormatError(
            f"{path}: invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    except UnicodeDecodeError as err:
        raise DataFormatError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except RecursionError:
        raise DataFormatError(f"{path}: JSON nested too deeply to read") from None
    except (ValueError, MemoryError) as err:  # e.g. an integer literal past sys.get_int_max_str_digits()
        raise DataFormatError(f"{path}: JSON cannot be read: {str(err).splitlines()[0][:200]}") from None


def _file_key(path: Path) -> tuple[str, int, int]:
    """Cache key that changes when the file does (resolved path, mtime, size)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file is missing") from None
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def check_db_id(value: Any, where: str, key: str = "db_id") -> str:
    """A database id is a plain folder name: it becomes ``database/<db_id>/<db_id>.sqlite``."""
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: {key!r} should be a str, got {type(value).__name__}")
    if not value or value in (".", "..") or any(c in value for c in "/\\\0") or len(value.encode()) > 200:
        raise DataFormatError(f"{where}: {key!r} {value[:80]!r} is not a usable database folder name")
    return value


def _is_index(value: Any, size: int, lowest: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value < size


def _str_list(entry: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = entry[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFormatError(f"{where}: {key!r} should be a list of strings")
    return value


def _column_list(entry: Mapping[str, Any], key: str, tables: int, where: str) -> list[tuple[int, str]]:
    """``[[table_index, name], ...]``; the index is -1 for the ``*`` entry, else a table of the entry."""
    value = entry[key]
    ok = isinstance(value, list) and all(
        isinstance(pair, list)
        and len(pair) == 2
        and _is_index(pair[0], tables, -1)
        and isinstance(pair[1], str)
        for pair in value
    )
    if not ok:
        raise DataFormatError(f"{where}: {key!r} should be a list of [table index, name] pairs")
    return [(pair[0], pair[1]) for pair in value]


def _key_indexes(entry: Mapping[str, Any], key: str, columns: int, where: str, *, pairs: bool) -> list[Any]:
    """``primary_keys`` (indexes, or lists of them for composite keys) or ``foreign_keys`` (index pairs)."""
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise DataFormatError(f"{where}: {key!r} should be a list, got {type(value).__name__}")
    for item in value:
        group = item if isinstance(item, list) else [item]
        if (pairs and (not isinstance(item, list) or len(item) != 2)) or not all(
            _is_index(i, columns) for i in group
        ):
            raise DataFormatError(
                f"{where}: {key!r} has an entry that is not a column index: {str(item)[:80]}"
            )
    return value


def _parse_schema(entry: Mapping[str, Any], where: str) -> Schema:
    required = ("db_id", "table_names_original", "column_names_original", "column_types")
    missing = [key for key in required if key not in entry]
    if missing:
        raise DataFormatError(f"{where}: missing key(s) {', '.join(missing)}")
    db_id = check_db_id(entry["db_id"], where)
    where = f"{where} ({db_id})"
    originals = _str_list(entry, "table_names_original", where)
    names = _str_list(entry, "table_names", where) if entry.get("table_names") else originals
    columns_original = _column_list(entry, "column_names_original", len(originals), where)
    columns = (
        _column_list(entry, "column_names", len(originals), where)
        if entry.get("column_names")
        else columns_original
    )
    types = _str_list(entry, "column_types", where)
    if not (len(names) == len(originals) and len(columns) == len(columns_original) == len(types)):
        raise DataFormatError(
            f"{where}: table_names/table_names_original or column_names/column_names_original/"
            "column_types have different lengths"
        )
    primary_keys = _key_indexes(entry, "primary_keys", len(columns_original), where, pairs=False)
    primary = {i for value in primary_keys for i in (value if isinstance(value, list) else [value])}
    table_columns: list[list[Column]] = [[] for _ in originals]
    for i, ((table_index, original), (_, name), type_) in enumerate(zip(columns_original, columns, types)):
        if table_index < 0:  # the [-1, "*"] entry stands for every column, not a real one
            continue
        table_columns[table_index].append(
            Column(
                table=originals[table_index],
                name=name,
                original_name=original,
                type=type_,
                is_primary_key=i in primary,
            )
        )
    foreign_keys = []
    for column_index, ref_index in _key_indexes(
        entry, "foreign_keys", len(columns_original), where, pairs=True
    ):
        table_index, column = columns_original[column_index]
        ref_table_index, ref_column = columns_original[ref_index]
        if table_index < 0 or ref_table_index < 0:
            raise DataFormatError(f"{where}: a foreign key uses the '*' column")
        foreign_keys.append(
            ForeignKey(originals[table_index], column, originals[ref_table_index], ref_column)
        )
    tables = tuple(
        Table(name=name, original_name=original, columns=tuple(cols))
        for name, original, cols in zip(names, originals, table_columns)
    )
    return Schema(db_id=db_id, tables=tables, foreign_keys=tuple(foreign_keys), raw=dict(entry))


@functools.lru_cache(maxsize=8)
def _load_schemas_cached(path: str, mtime_ns: int, size: int) -> dict[str, Schema]:
    del mtime_ns, size  # part of the cache key only
    entries = read_json(Path(path))
    if not isinstance(entries, list):
        raise DataFormatError(
            f"{path}: expected a JSON list of database entries, got {type(entries).__name__}"
        )
    schemas: dict[str, Schema] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DataFormatError(f"{path}: entry {i} is not an object")
        schema = _parse_schema(entry, f"{path}: entry {i}")
        if schema.db_id in schemas:
            logger.warning("%s: db_id %s appears twice; the later entry (%d) is used", path, schema.db_id, i)
        schemas[schema.db_id] = schema
    return schemas


def load_schemas(tables_path: str | os.PathLike[str]) -> dict[str, Schema]:
    """Read a Spider-format ``tables.json`` into ``db_id -> Schema``.

    Columns keep tables.json's natural names and original spellings and types; the ``[-1, "*"]`` entry is
    left out; composite primary keys are understood. Parsed files are cached per (path, mtime, size), so
    repeated loads are cheap; the returned dict is a fresh copy.

    Raises:
        DataFormatError: the file is missing, is not valid JSON, or has an entry with missing keys or
            impossible indexes (the message names the file, entry and problem).
    """
    path = Path(tables_path)
    return dict(_load_schemas_cached(*_file_key(path)))


def _quote(identifier: str) -> str:
    """Quote an SQLite identifier (table names in Spider contain spaces and odd case)."""
    return '"' + identifier.replace('"', '""') + '"'


def read_sqlite_schema(db_path: str | os.PathLike[str], *, include_internal: bool = False) -> Schema:
    """Read a schema straight from a SQLite file: tables, declared column types, primary and foreign keys.

    This is the schema the official evaluator parses against (tables.json can disagree with the database).
    The file is opened read-only (``mode=ro`` URI), since release folders may be read-only. Column ``name``
    is the spelling in the database (no natural-language names exist there); ``raw`` is empty.
    SQLite's own tables (``sqlite_sequence``) are left out unless ``include_internal`` is True; the official
    evaluator and tables.json (e.g. ``world_1``) do count them.

    Raises:
        DataNotFoundError: the file does not exist.
        DataFormatError: SQLite cannot read it.
    """
    path = Path(db_path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such SQLite file")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        raise DataFormatError(f"{path}: cannot open read-only: {err}") from None
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            )
            if include_internal or not row[0].lower().startswith("sqlite_")
        ]
        by_lower = {name.lower(): name for name in names}
        tables, foreign_keys = [], []
        for name in names:
            info = connection.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
            columns = tuple(
                Column(table=name, name=col, original_name=col, type=declared or "", is_primary_key=pk > 0)
                for _, col, declared, _, _, pk in info
            )
            tables.append(Table(name=name, original_name=name, columns=columns))
            for row in connection.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall():
                ref_table = by_lower.get(str(row[2]).lower(), row[2])
                ref_column = row[4]
                if ref_column is None:  # "REFERENCES t" without a column means t's primary key
                    pk_rows = connection.execute(f"PRAGMA table_info({_quote(ref_table)})").fetchall()
                    ref_column = next((r[1] for r in pk_rows if r[5] == 1), "")
                foreign_keys.append(ForeignKey(name, row[3], ref_table, ref_column))
    except sqlite3.DatabaseError as err:
        raise DataFormatError(f"{path}: SQLite cannot read it: {err}") from None
    finally:
        connection.close()
    return Schema(db_id=path.stem, tables=tuple(tables), foreign_keys=tuple(foreign_keys))


def _require(item: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in item:
        raise DataFormatError(f"{where}: missing required key {key!r}")
    value = item[key]
    if not isinstance(value, kind):
        raise DataFormatError(f"{where}: {key!r} should be a {kind.__name__}, got {type(value).__name__}")
    return value


@functools.lru_cache(maxsize=16)
def _load_dialogues_cached(path: str, mtime_ns: int, size: int, split: str) -> tuple[Dialogue, ...]:
    del mtime_ns, size  # part of the cache key only
    items = read_json(Path(path))
    if not isinstance(items, list):
        raise DataFormatError(f"{path}: expected a JSON list of dialogues, got {type(items).__name__}")
    dialogues: list[Dialogue] = []
    empty = 0
    for i, item in enumerate(items):
        where = f"{path}: item {i}"
        if not isinstance(item, dict):
            raise DataFormatError(f"{where}: expected an object, got {type(item).__name__}")
        db_id = check_db_id(_require(item, "database_id", str, where), where, "database_id")
        interaction = _require(item, "interaction", list, where)
        turns = []
        for j, raw_turn in enumerate(interaction):
            turn_where = f"{where}, turn {j}"
            if not isinstance(raw_turn, dict):
                raise DataFormatError(f"{turn_where}: expected an object, got {type(raw_turn).__name__}")
            turns.append(
                Turn(
                    index=j,
                    utterance=_require(raw_turn, "utterance", str, turn_where),
                    query=_require(raw_turn, "query", str, turn_where),
                )
            )
        if not turns:
            empty += 1
            continue
        final = item.get("final") or {}
        if not isinstance(final, dict):
            raise DataFormatError(f"{where}: 'final' should be an object, got {type(final).__name__}")
        final_utterance, final_query = final.get("utterance"), final.get("query")
        if not all(v is None or isinstance(v, str) for v in (final_utterance, final_query)):
            raise DataFormatError(f"{where}: 'final' utterance and query should be strings")
        dialogues.append(
            Dialogue(
                dialogue_id=_dialogue_id(item, db_id, split, i, where),
                db_id=db_id,
                turns=tuple(turns),
                final_utterance=final_utterance,
                final_query=final_query,
            )
        )
    if empty:
        logger.warning("%s: %d dialogue(s) have no turns and were left out", path, empty)
    seen = Counter(d.dialogue_id for d in dialogues)
    duplicates = sorted(k for k, n in seen.items() if n > 1)
    if duplicates:
        raise DataFormatError(
            f"{path}: dialogue ids are not unique: {', '.join(duplicates[:5])} "
            "(an interaction_id must be unique within its database_id)"
        )
    return tuple(dialogues)


def _dialogue_id(item: Mapping[str, Any], db_id: str, split: str, position: int, where: str) -> str:
    """``<database_id>/<interaction_id>`` where the release numbers the item, else ``<split>-<position>``.

    SParC's ``interaction_id`` counts from 0 within each database and is absent on some items, so it is
    unique only together with the database; the position in the file is unique and stays the same for
    the file as released. The two forms cannot collide: only the first has a ``/``.
    """
    release_id = item.get("interaction_id")
    if release_id is None:
        return f"{split}-{position:04d}"
    if isinstance(release_id, bool) or not isinstance(release_id, (int, str)) or not str(release_id).strip():
        raise DataFormatError(f"{where}: 'interaction_id' should be an integer or a non-empty string")
    return f"{db_id}/{release_id}"


def load_dialogues(path: str | os.PathLike[str], split: str = "dev") -> tuple[Dialogue, ...]:
    """Read one CoSQL/SParC split file into dialogues (no database checks).

    Ids are ``<database_id>/<interaction_id>`` where the item has an ``interaction_id`` (SParC numbers
    interactions within each database), else ``<split>-<position:04d>``. Optional keys
    (``final``, ``sql``, ``query_toks_no_value``, ...) may be absent; ``database_id``, ``interaction``,
    ``utterance`` and ``query`` are required. Dialogues with no turns are left out with a warning.

    Raises:
        DataFormatError: bad JSON or a missing required key (names the file, item and turn index).
    """
    return _load_dialogues_cached(*_file_key(Path(path)), split)


# --------------------------------------------------------------------------------------------------
# Building datasets


def _database_path(database_dir: Path, db_id: str) -> Path:
    return database_dir / db_id / f"{db_id}.sqlite"


def missing_databases(dialogues: Iterable[Dialogue], database_dir: Path) -> dict[str, tuple[int, int]]:
    """db_id -> (dialogues, turns) for each database the dialogues use whose SQLite file is absent."""
    counts: dict[str, list[int]] = {}
    present: dict[str, bool] = {}
    for dialogue in dialogues:
        if dialogue.db_id not in present:
            present[dialogue.db_id] = _database_path(database_dir, dialogue.db_id).is_file()
        if not present[dialogue.db_id]:
            entry = counts.setdefault(dialogue.db_id, [0, 0])
            entry[0] += 1
            entry[1] += len(dialogue.turns)
    return {db_id: (n, t) for db_id, (n, t) in sorted(counts.items())}


def _build_dataset(source: str, release: Path, split: str, split_file: Path, skip_missing: bool) -> Dataset:
    tables_path = release / TABLES_FILE
    if not tables_path.is_file():
        raise DataFormatError(
            f"{tables_path}: file is missing; a {_DISPLAY[source]} release needs tables.json next to its split files"
        )
    schemas = load_schemas(tables_path)
    dialogues = load_dialogues(split_file, split)
    unknown = sorted({d.db_id for d in dialogues} - schemas.keys())
    if unknown:
        raise DataFormatError(
            f"{split_file}: database ids not described in {tables_path}: {', '.join(unknown)}"
        )
    database_dir = release / DATABASE_FOLDER
    missing = missing_databases(dialogues, database_dir)
    skipped = 0
    if missing:
        if not skip_missing:
            raise MissingDatabaseError(
                tuple(missing),
                {db_id: n for db_id, (n, _) in missing.items()},
                {db_id: t for db_id, (_, t) in missing.items()},
                where=str(database_dir),
            )
        skipped = sum(n for n, _ in missing.values())
        logger.warning(
            "%s %s: left out %d dialogue(s) (%d turns) whose database has no SQLite file under %s: %s",
            _DISPLAY[source],
            split,
            skipped,
            sum(t for _, t in missing.values()),
            database_dir,
            ", ".join(f"{db_id} ({n})" for db_id, (n, _) in missing.items()),
        )
        dialogues = tuple(d for d in dialogues if d.db_id not in missing)
    return Dataset(
        source=source,
        split=split,
        root=release,
        database_dir=database_dir,
        tables_path=tables_path,
        dialogues=dialogues,
        schemas=schemas,
        skipped_dialogues=skipped,
        skipped_db_ids=tuple(missing),
    )


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return split


def load_dataset(
    benchmark: str = "cosql",
    split: str = "dev",
    data_dir: str | os.PathLike[str] | None = None,
    *,
    skip_missing_databases: bool = False,
    fallback_to_sample: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Dataset:
    """Load one split of a CoSQL or SParC release.

    Args:
        benchmark: ``"cosql"`` or ``"sparc"``.
        split: ``"train"`` or ``"dev"``.
        data_dir: the release folder or a folder above it; None searches as :func:`find_release` does.
        skip_missing_databases: leave out (with a WARNING, counted in ``Dataset.skipped_dialogues``) the
            dialogues whose SQLite file is absent, instead of raising.
        fallback_to_sample: when nothing is configured (no ``data_dir``, no ``$MTSQL_*_DIR`` variable) and
            the cache holds no release, log a WARNING and return :func:`load_sample` instead of raising. A
            configured place without the release is always an error.
        cache_dir: the install cache to search instead of :func:`default_cache_dir`.

    Raises:
        DataNotFoundError: no release, or the release lacks this split's file.
        DataFormatError: a file cannot be parsed, or ``tables.json`` is missing.
        MissingDatabaseError: some dialogues' databases are absent and ``skip_missing_databases`` is False.
    """
    benchmark = _check_benchmark(benchmark)
    split = _check_split(split)
    release = find_release(benchmark, data_dir, cache_dir=cache_dir)
    if release is None:
        if fallback_to_sample and data_dir is None and not configured_locations(benchmark):
            # Once per process: a vector env or a bench makes many envs, and one warning says it all.
            global _fallback_warned
            log = logger.debug if _fallback_warned else logger.warning
            _fallback_warned = True
            log(
                "No %s release found; using the small bundled sample (%s split) instead. Results on it are "
                "not benchmark numbers. Install the release with `mtsql data install`.",
                _DISPLAY[benchmark],
                split,
            )
            return load_sample(split)
        raise DataNotFoundError(_not_found_message(benchmark, cache_dir))
    path = split_path(release, benchmark, split)
    if not path.is_file():
        raise DataNotFoundError(
            f"The {_DISPLAY[benchmark]} release at {release} has no {split} split: {path} is missing. "
            f"Download the full release and run `mtsql data install {RELEASE_FOLDER[benchmark]}.zip`."
        )
    dataset = _build_dataset(benchmark, release, split, path, skip_missing_databases)
    logger.info(
        "loaded %s %s from %s: %d dialogues, %d turns",
        _DISPLAY[benchmark],
        split,
        release,
        len(dataset.dialogues),
        dataset.num_turns,
    )
    return dataset


def load_sample(split: str = "dev") -> Dataset:
    """Load the small sample bundled with the package (CoSQL layout, ``source="sample"``).

    Raises:
        DataNotFoundError: the package was installed without its sample data, or it has no such split.
    """
    split = _check_split(split)
    folder = sample_dir()
    path = split_path(folder, "cosql", split)
    if not path.is_file():
        raise DataNotFoundError(
            f"The bundled sample has no {split} split ({path} is missing); the package data may not have "
            "been installed. Reinstall mtsql or use a real release."
        )
    return _build_dataset("sample", folder, split, path, skip_missing=False)
