"""Install downloaded CoSQL/SParC releases into the cache, and summarise what is installed.

Users download the official archives themselves (``cosql_dataset.zip``, ``sparc.zip``); the licence and
the size keep them out of the package. :func:`install_release` unpacks such an archive (or copies an
unpacked folder), checks it, and puts it at ``<cache>/<benchmark>/<release folder>``, where
:func:`mtsql_env.datasets.find_release` looks last. :func:`data_info` reports what each found release
holds, including databases whose SQLite file is absent.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from mtsql_env.datasets import (
    BENCHMARKS,
    DATABASE_FOLDER,
    RELEASE_FOLDER,
    SPLITS,
    TABLES_FILE,
    DataError,
    DataFormatError,
    DataNotFoundError,
    _locate,
    default_cache_dir,
    detect_benchmark,
    load_dialogues,
    load_schemas,
    missing_databases,
    split_path,
)

__all__ = ["data_info", "install_release", "safe_extract"]

logger = logging.getLogger(__name__)

#: Archive debris that is never part of a release.
_JUNK = ("__MACOSX", ".DS_Store")
#: How deep below the unpacked archive a release folder may sit.
_MAX_DEPTH = 4
#: How many rounds of zips inside zips are unpacked.
_MAX_NESTING = 3


def safe_extract(archive: zipfile.ZipFile, destination: Path) -> list[Path]:
    """Extract every member of ``archive`` under ``destination``, refusing anything that would escape it.

    Absolute names, ``..`` components, drive letters and symbolic-link members are rejected before anything
    is written, so a hostile archive cannot touch files outside ``destination``.

    Raises:
        DataFormatError: a member's name is unsafe.
    """
    root = destination.resolve()
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    for member in archive.infolist():
        name = member.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        is_link = stat.S_ISLNK(member.external_attr >> 16)
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]) or is_link:
            raise DataFormatError(
                f"{archive.filename}: refusing unsafe member {member.filename!r} "
                "(absolute path, '..', drive letter or symbolic link)"
            )
        if not parts or parts[0] in _JUNK or parts[-1] in _JUNK:
            continue
        target = (root / Path(*parts)).resolve()
        if root != target and root not in target.parents:
            raise DataFormatError(f"{archive.filename}: member {member.filename!r} would be written outside the target")
        plan.append((member, target))
    written = []
    for member, target in plan:
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        written.append(target)
    return written


def _unzip(path: Path, destination: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            safe_extract(archive, destination)
    except zipfile.BadZipFile as err:
        raise DataFormatError(f"{path}: not a readable zip archive ({err})") from None


def _expand_nested_zips(folder: Path) -> None:
    """Unpack zips found inside the unpacked tree (e.g. a ``database.zip``) next to where they sit."""
    for _ in range(_MAX_NESTING):
        nested = [p for p in folder.rglob("*.zip") if not any(part in _JUNK for part in p.parts)]
        if not nested:
            return
        for archive in nested:
            logger.info("unpacking nested archive %s", archive.relative_to(folder))
            _unzip(archive, archive.parent)
            archive.unlink()


def _copy_tree(source: Path, destination: Path) -> None:
    """Copy file contents only: release folders may be read-only and their modes must not follow."""
    for current, dirs, files in os.walk(source, followlinks=True):
        dirs[:] = [d for d in dirs if d not in _JUNK]
        target = destination / Path(current).relative_to(source)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if name not in _JUNK:
                shutil.copyfile(Path(current) / name, target / name)


def _find_releases(folder: Path, benchmark: str | None) -> list[tuple[int, Path, str]]:
    found = []
    for current, dirs, _ in os.walk(folder):
        path = Path(current)
        depth = len(path.relative_to(folder).parts)
        dirs[:] = [d for d in dirs if d not in _JUNK] if depth < _MAX_DEPTH else []
        kind = detect_benchmark(path)
        if kind and (benchmark is None or kind == benchmark):
            found.append((depth, path, kind))
            dirs[:] = []  # a release's own subfolders are not further releases
    return sorted(found, key=lambda item: (item[0], str(item[1])))


def _validate(release: Path, benchmark: str) -> dict[str, dict[str, tuple[int, int]]]:
    """Parse tables.json and every split file; return split -> missing databases (db -> dialogues, turns)."""
    tables_path = release / TABLES_FILE
    if not tables_path.is_file():
        raise DataFormatError(f"{tables_path}: file is missing; the release cannot be used without it")
    schemas = load_schemas(tables_path)
    splits = [s for s in SPLITS if split_path(release, benchmark, s).is_file()]
    if not splits:
        expected = ", ".join(str(split_path(release, benchmark, s)) for s in SPLITS)
        raise DataFormatError(f"{release}: no split file ({expected})")
    missing: dict[str, dict[str, tuple[int, int]]] = {}
    for split in splits:
        path = split_path(release, benchmark, split)
        dialogues = load_dialogues(path, split)
        unknown = sorted({d.db_id for d in dialogues} - schemas.keys())
        if unknown:
            raise DataFormatError(f"{path}: database ids not described in {tables_path}: {', '.join(unknown)}")
        missing[split] = missing_databases(dialogues, release / DATABASE_FOLDER)
    return missing


def install_release(
    source: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    benchmark: str | None = None,
) -> Path:
    """Install a downloaded CoSQL or SParC release into the cache and return the installed release folder.

    ``source`` is the official zip (with or without a top-level folder, possibly holding further zips) or an
    unpacked folder. The benchmark is detected from the layout unless ``benchmark`` says which to take.
    The release is checked (tables.json and every split file parse; databases without a SQLite file are
    logged with the dialogues they affect) before it replaces any earlier install at
    ``<cache>/<benchmark>/<cosql_dataset|sparc>``.

    Raises:
        DataNotFoundError: ``source`` does not exist.
        DataFormatError: the archive is unreadable or unsafe, holds no release, or a file does not parse.
    """
    source = Path(source).expanduser()
    if benchmark is not None and benchmark.lower() not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")
    benchmark = benchmark.lower() if benchmark else None
    if not source.exists():
        raise DataNotFoundError(f"{source} does not exist; give the downloaded zip or the unpacked release folder")
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=cache))  # same filesystem: the final move is a rename
    try:
        unpacked = staging / "unpacked"
        if source.is_dir():
            logger.info("copying %s", source)
            _copy_tree(source, unpacked)
        elif zipfile.is_zipfile(source):
            logger.info("unpacking %s", source)
            _unzip(source, unpacked)
        else:
            raise DataFormatError(f"{source}: neither a folder nor a zip archive")
        _expand_nested_zips(unpacked)
        releases = _find_releases(unpacked, benchmark)
        if not releases:
            wanted = {"cosql": "CoSQL", "sparc": "SParC"}.get(benchmark or "", "CoSQL or SParC") + " release"
            raise DataFormatError(
                f"{source} holds no {wanted}: expected a folder with tables.json and either "
                "sql_state_tracking/cosql_*.json (CoSQL) or dev.json/train.json (SParC)"
            )
        kinds = {kind for _, _, kind in releases}
        if len(kinds) > 1:
            raise DataFormatError(
                f"{source} holds both a CoSQL and a SParC release; pass benchmark='cosql' or 'sparc' "
                "(--benchmark) to choose"
            )
        _, release, kind = releases[0]
        missing = _validate(release, kind)
        for split, absent in missing.items():
            for db_id, (dialogues, turns) in absent.items():
                logger.warning(
                    "%s %s: database %s has no SQLite file (%d dialogues, %d turns use it); loading will need "
                    "skip_missing_databases=True",
                    kind,
                    split,
                    db_id,
                    dialogues,
                    turns,
                )
        target = cache / kind / RELEASE_FOLDER[kind]
        target.parent.mkdir(parents=True, exist_ok=True)
        old = staging / "previous"
        if target.exists():
            logger.info("replacing the earlier install at %s", target)
            target.rename(old)
        try:
            release.rename(target)
        except OSError:
            if old.exists():
                old.rename(target)  # keep the earlier install rather than lose both
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("installed %s release at %s", kind, target)
    return target


def _split_summary(release: Path, benchmark: str, split: str) -> dict[str, Any]:
    path = split_path(release, benchmark, split)
    summary: dict[str, Any] = {"split": split, "file": str(path)}
    try:
        dialogues = load_dialogues(path, split)
    except DataError as err:
        summary["error"] = str(err)
        return summary
    absent = missing_databases(dialogues, release / DATABASE_FOLDER)
    db_ids = {d.db_id for d in dialogues}
    summary.update(
        dialogues=len(dialogues),
        turns=sum(len(d.turns) for d in dialogues),
        databases=len(db_ids),
        databases_present=len(db_ids) - len(absent),
        missing_databases={db_id: n for db_id, (n, _) in absent.items()},
        missing_turns={db_id: t for db_id, (_, t) in absent.items()},
    )
    return summary


def data_info(
    cache_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Describe each benchmark release that can be found, one dict per benchmark found.

    Keys: ``benchmark``, ``release`` (path), ``found_via`` (which place matched), ``tables_json`` (path or
    None), ``schemas`` (databases described there, or None), ``sqlite_files`` (databases with a SQLite file),
    ``error`` (tables.json problem, if any) and ``splits``: per split file present, ``dialogues``, ``turns``,
    ``databases`` used, ``databases_present``, and ``missing_databases`` / ``missing_turns`` (db_id -> how
    many dialogues / turns use it), or ``error``.

    Raises:
        DataNotFoundError: ``data_dir`` is given but holds no release of any benchmark.
    """
    found = []
    for benchmark in BENCHMARKS:
        try:
            located = _locate(benchmark, data_dir, cache_dir)
        except DataNotFoundError:
            if data_dir is None:
                raise  # the benchmark's own environment variable points nowhere: say so
            continue  # data_dir may well hold one benchmark only
        if located is None:
            continue
        release, found_via = located
        tables_path = release / TABLES_FILE
        entry: dict[str, Any] = {
            "benchmark": benchmark,
            "release": str(release),
            "found_via": found_via,
            "tables_json": str(tables_path) if tables_path.is_file() else None,
            "schemas": None,
        }
        try:
            entry["schemas"] = len(load_schemas(tables_path))
        except DataError as err:
            entry["error"] = str(err)
        database_dir = release / DATABASE_FOLDER
        entry["sqlite_files"] = (
            sum(1 for d in database_dir.iterdir() if (d / f"{d.name}.sqlite").is_file()) if database_dir.is_dir() else 0
        )
        entry["splits"] = [
            _split_summary(release, benchmark, split)
            for split in SPLITS
            if split_path(release, benchmark, split).is_file()
        ]
        found.append(entry)
    if data_dir is not None and not found:
        if not Path(data_dir).expanduser().exists():
            raise DataNotFoundError(f"{data_dir} does not exist (given as data_dir)")
        raise DataNotFoundError(
            f"{data_dir} holds no CoSQL or SParC release: expected a folder (or a folder above one) with "
            "tables.json and sql_state_tracking/ (CoSQL) or dev.json (SParC)"
        )
    return found
