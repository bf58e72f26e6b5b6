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
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
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
from mtsql_env.errors import UsageError

__all__ = ["InstallLimits", "data_info", "install_release", "parse_size", "safe_extract"]

logger = logging.getLogger(__name__)

#: Archive debris that is never part of a release.
_JUNK = ("__MACOSX", ".DS_Store")
#: How deep below the unpacked archive a release folder may sit.
_MAX_DEPTH = 4
#: How many rounds of zips inside zips are unpacked.
_MAX_NESTING = 3
#: Compression methods the standard library can read (deflate64, PPMd, ... cannot be unpacked).
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: Longest file or folder name most filesystems accept, in bytes.
_MAX_NAME_BYTES = 255
_CHUNK = 1 << 20
_GIB = 1 << 30


@dataclass
class InstallLimits:
    """Caps on what one install may write, so a hostile or broken archive cannot fill the disk.

    The official releases are far below the defaults: the biggest, Spider 1.0 with its 200 databases,
    unpacks to about 1 GB in about 1,000 files; CoSQL and SParC ship the same databases plus their JSON.
    Zips inside the archive count towards the same totals. Raise the caps for a bigger custom release
    (``mtsql data install --max-bytes 8G --max-members 100000``).
    """

    max_bytes: int = field(default=2 * _GIB, metadata={"help": "Most bytes one install may unpack in total."})
    max_members: int = field(
        default=20_000, metadata={"help": "Most files and folders one install may unpack."}
    )

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_members"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"InstallLimits.{name} must be a positive integer, got {value!r}")


def parse_size(text: str) -> int:
    """Read a byte count such as ``2147483648``, ``500M``, ``2G`` or ``1.5GiB`` (powers of 1024).

    Example:
        >>> parse_size("2G"), parse_size("512k"), parse_size("10")
        (2147483648, 524288, 10)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise UsageError(f"not a size: {text!r} (use bytes, or a number with K, M, G or T)")
    value = float(match.group(1)) * 1024 ** " kmgt".index(match.group(2).lower() or " ")
    if value < 1 or value > 1 << 62:
        raise UsageError(f"size out of range: {text!r}")
    return int(value)


def _human(size: int) -> str:
    for unit, scale in (("GiB", _GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


class _Budget:
    """What an install has written so far, against its :class:`InstallLimits` (shared by nested zips)."""

    def __init__(self, limits: InstallLimits, source: Path) -> None:
        self.limits, self.source = limits, source
        self.bytes = self.members = 0

    def _refuse(self, what: str) -> DataFormatError:
        return DataFormatError(
            f"{self.source}: {what}; nothing was installed. If this is a genuine release, raise the cap "
            "(mtsql data install --max-bytes SIZE --max-members N; InstallLimits in Python)"
        )

    def reserve(self, members: int, size: int, where: str) -> None:
        """Refuse before writing when the declared sizes would pass a cap."""
        where = where.removeprefix(str(self.source)).strip() or "it"
        if self.members + members > self.limits.max_members:
            raise self._refuse(
                f"{where} holds {members} members, more than the cap of {self.limits.max_members} "
                f"({self.members} already unpacked)"
            )
        if self.bytes + size > self.limits.max_bytes:
            raise self._refuse(
                f"{where} would unpack to {_human(size)}, past the cap of {_human(self.limits.max_bytes)} "
                f"({_human(self.bytes)} already unpacked)"
            )
        self.members += members

    def count(self, size: int, where: str) -> None:
        """Count bytes as they are written, in case the declared sizes lie."""
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            where = where.removeprefix(str(self.source)).strip() or "it"
            raise self._refuse(f"unpacking {where} passed the cap of {_human(self.limits.max_bytes)}")


def _unsafe_name(member: zipfile.ZipInfo) -> str | None:
    """Why a member's name or kind cannot be unpacked safely, or None."""
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        return "absolute path, '..' or drive letter"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "symbolic link"
    if "\0" in name or any(len(part.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES for part in parts):
        return f"a name part longer than {_MAX_NAME_BYTES} bytes or a NUL character"
    return None


def _plan(archive: zipfile.ZipFile, root: Path, label: str) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Check every member from the central directory and say where each goes, before anything is written."""
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    files: set[Path] = set()
    folders: set[Path] = set()
    for member in archive.infolist():
        problem = _unsafe_name(member)
        if problem is not None:
            raise DataFormatError(f"{label}: refusing unsafe member {member.filename!r} ({problem})")
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        if not parts or parts[0] in _JUNK or parts[-1] in _JUNK:
            continue
        if member.flag_bits & 0x1:
            raise DataFormatError(f"{label}: member {member.filename!r} is encrypted; unpack it yourself")
        if not member.is_dir() and member.compress_type not in _READABLE_METHODS:
            raise DataFormatError(
                f"{label}: member {member.filename!r} uses compression method {member.compress_type} "
                "(e.g. deflate64), which Python cannot unpack; re-zip it with plain deflate"
            )
        target = root.joinpath(*parts)
        if target in files or (not member.is_dir() and target in folders):
            raise DataFormatError(
                f"{label}: member {member.filename!r} appears twice or is both a file and a folder"
            )
        parents = set(target.parents) - set(root.parents) - {root}
        if parents & files:
            raise DataFormatError(f"{label}: member {member.filename!r} sits below a member that is a file")
        folders |= parents | ({target} if member.is_dir() else set())
        if not member.is_dir():
            files.add(target)
        plan.append((member, target))
    return plan


def safe_extract(
    archive: zipfile.ZipFile,
    destination: Path,
    limits: InstallLimits | None = None,
    *,
    _budget: _Budget | None = None,
) -> list[Path]:
    """Extract every member of ``archive`` under ``destination``, refusing anything unsafe before writing.

    Refused from the central directory, before any byte is written: absolute names, ``..`` components,
    drive letters, symbolic links, names over 255 bytes, encrypted members, compression methods Python
    cannot read (deflate64), a name that is both a file and a folder (``x`` and ``x/y``), and archives
    whose declared sizes or member count pass ``limits``. While writing, bytes are counted again in case
    the declared sizes lie. A hostile archive cannot touch files outside ``destination``.

    Raises:
        DataFormatError: a member is unsafe or unreadable, or a cap would be passed.
    """
    label = str(archive.filename or "archive")
    budget = _budget or _Budget(limits or InstallLimits(), Path(label))
    root = destination.resolve()
    plan = _plan(archive, root, label)
    budget.reserve(len(plan), sum(m.file_size for m, _ in plan if not m.is_dir()), label)
    written = []
    try:
        for member, target in plan:
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as sink:
                left = member.file_size
                while chunk := source.read(min(_CHUNK, left + 1)):
                    left -= len(chunk)
                    if left < 0:
                        raise DataFormatError(
                            f"{label}: member {member.filename!r} is larger than its header says"
                        )
                    budget.count(len(chunk), label)
                    sink.write(chunk)
            written.append(target)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        raise DataFormatError(f"{label}: cannot unpack ({err})") from None
    except OSError as err:
        raise DataFormatError(f"{label}: cannot write the unpacked files ({err.strerror or err})") from None
    return written


def _unzip(path: Path, destination: Path, budget: _Budget, label: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.filename = label
            safe_extract(archive, destination, _budget=budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        if isinstance(err, DataFormatError):
            raise
        raise DataFormatError(f"{label}: not a readable zip archive ({err})") from None


def _expand_nested_zips(folder: Path, budget: _Budget, source: Path) -> None:
    """Unpack zips found inside the unpacked tree (e.g. a ``database.zip``) next to where they sit."""
    for _ in range(_MAX_NESTING):
        nested = [
            p for p in folder.rglob("*.zip") if p.is_file() and not any(part in _JUNK for part in p.parts)
        ]
        if not nested:
            return
        for archive in nested:
            inner = archive.relative_to(folder)
            logger.info("unpacking nested archive %s", inner)
            _unzip(archive, archive.parent, budget, f"{source} (inner {inner.as_posix()})")
            archive.unlink()
    if any(p.is_file() for p in folder.rglob("*.zip")):
        raise DataFormatError(f"{source}: zips nested more than {_MAX_NESTING} deep; unpack it yourself")


def _copy_tree(source: Path, destination: Path, budget: _Budget) -> None:
    """Copy file contents only (release folders may be read-only and their modes must not follow).

    Symbolic links are never followed out of ``source``: a link to a file inside it is copied as that
    file, and any other link (to a folder, out of the folder, dangling, a loop) is refused. Sizes are
    checked against the caps before the first byte is written.
    """
    root = source.resolve()
    plan: list[tuple[Path, Path, int]] = []
    for current, dirs, files in os.walk(source, onerror=_raise_walk_error):
        dirs[:] = [d for d in dirs if d not in _JUNK]
        here = Path(current)
        for name in list(dirs) + files:
            path = here / name
            if not path.is_symlink():
                continue
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                raise DataFormatError(
                    f"{path}: symbolic link that is dangling or a loop; refusing to copy it"
                ) from None
            if root not in target.parents or not target.is_file():
                raise DataFormatError(
                    f"{path}: symbolic link to {target}, which is not a file inside {source}; "
                    "folder installs never follow links (copy the real files in, or install the zip)"
                )
        for name in files:
            if name not in _JUNK:
                path = here / name
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):  # a FIFO would block the copy forever
                    raise DataFormatError(
                        f"{path}: not a regular file (a pipe, socket or device); refusing to copy it"
                    )
                plan.append((path, destination / path.relative_to(source), info.st_size))
        budget.reserve(len(dirs) + 1, 0, str(here))
    budget.reserve(len(plan), sum(size for _, _, size in plan), str(source))
    for path, target, _ in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as reader, target.open("wb") as sink:
            while chunk := reader.read(_CHUNK):
                budget.count(len(chunk), str(path))
                sink.write(chunk)
    destination.mkdir(parents=True, exist_ok=True)


def _raise_walk_error(err: OSError) -> None:
    raise DataFormatError(f"{err.filename}: cannot be read ({err.strerror or err})")


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
            raise DataFormatError(
                f"{path}: database ids not described in {tables_path}: {', '.join(unknown)}"
            )
        missing[split] = missing_databases(dialogues, release / DATABASE_FOLDER)
    return missing


def install_release(
    source: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    benchmark: str | None = None,
    limits: InstallLimits | None = None,
) -> Path:
    """Install a downloaded CoSQL or SParC release into the cache and return the installed release folder.

    ``source`` is the official zip (with or without a top-level folder, possibly holding further zips) or an
    unpacked folder. The benchmark is detected from the layout unless ``benchmark`` says which to take.
    The release is checked (tables.json and every split file parse; databases without a SQLite file are
    logged with the dialogues they affect) before it replaces any earlier install at
    ``<cache>/<benchmark>/<cosql_dataset|sparc>``.

    The install is atomic: everything is unpacked into a temporary folder inside the cache, checked, and
    renamed into place; on any error the temporary folder is removed and an earlier install is left as it
    was. ``limits`` caps what is unpacked (:class:`InstallLimits`); archives are checked against it before
    the first byte is written.

    Raises:
        DataNotFoundError: ``source`` does not exist.
        DataFormatError: the archive is unreadable or unsafe, would pass a cap, holds no release, or a
            file does not parse (the message names the source and the file inside it).
        DataError: the cache location is not a usable folder.
    """
    source = Path(source).expanduser()
    if benchmark is not None and benchmark.lower() not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {', '.join(BENCHMARKS)}")
    benchmark = benchmark.lower() if benchmark else None
    if not source.exists():
        raise DataNotFoundError(
            f"{source} does not exist; give the downloaded zip or the unpacked release folder"
        )
    cache = _usable_cache(Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir())
    budget = _Budget(limits or InstallLimits(), source)
    staging = Path(
        tempfile.mkdtemp(prefix=".install-", dir=cache)
    )  # same filesystem: the final move is a rename
    try:
        unpacked = staging / "unpacked"
        try:
            _unpack(source, unpacked, budget)
            kind, release = _check_unpacked(source, unpacked, benchmark)
        except DataFormatError as err:  # say where inside the source, not where in the staging folder
            raise DataFormatError(str(err).replace(f"{unpacked}{os.sep}", f"{source}: ")) from None
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
    logger.info("installed %s release at %s (%s unpacked)", kind, target, _human(budget.bytes))
    return target


def _usable_cache(cache: Path) -> Path:
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DataError(
            f"{cache}: the install cache is a file, not a folder; give another --cache-dir"
        ) from None
    except OSError as err:
        raise DataError(f"{cache}: cannot create the install cache ({err.strerror or err})") from None
    if not os.access(cache, os.W_OK | os.X_OK):
        raise DataError(f"{cache}: the install cache is not writable; give another --cache-dir")
    return cache


def _unpack(source: Path, unpacked: Path, budget: _Budget) -> None:
    if source.is_dir():
        logger.info("copying %s", source)
        _copy_tree(source, unpacked, budget)
    elif zipfile.is_zipfile(source):
        logger.info("unpacking %s", source)
        _unzip(source, unpacked, budget, str(source))
    else:
        raise DataFormatError(f"{source}: neither a folder nor a zip archive")
    _expand_nested_zips(unpacked, budget, source)


def _check_unpacked(source: Path, unpacked: Path, benchmark: str | None) -> tuple[str, Path]:
    """Find the one release in the unpacked tree and validate it; return (benchmark, release folder)."""
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
    return kind, release


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
            sum(1 for d in database_dir.iterdir() if (d / f"{d.name}.sqlite").is_file())
            if database_dir.is_dir()
            else 0
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
