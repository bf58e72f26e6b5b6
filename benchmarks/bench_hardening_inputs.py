"""Hostile inputs against the loaders, ``mtsql data install/info``, ``mtsql evaluate`` and bad arguments.

Run: ``python benchmarks/bench_hardening_inputs.py [--fuzz N] [--json [OUT.json]]`` (about a minute).

Each attack is one input an attacker or a careless user could give. It is **handled** when the outcome is
the documented one: a library call raises an ``MtsqlError`` whose message names the file or place (or,
for a fuzzed input that happens to be valid, returns normally); a command exits 2 with one last line
starting ``mtsql`` that names the file or argument, and no traceback; an install leaves nothing in the
cache, writes no byte past its cap, and changes no file outside its target. The figures printed: attacks
tried / handled per group, tracebacks seen, the most bytes any refused install wrote against its cap, files
changed outside the targets, and each failure. ``--json`` prints (or writes to OUT.json) one object
``{"tried", "handled", "tracebacks", "failures", ...}`` that ``bench_hardening.py`` adds to its totals.

The attacks are built here at run time from the bundled sample (ours); nothing of third-party data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtsql_env import data_cache, datasets
from mtsql_env.data_cache import InstallLimits, install_release
from mtsql_env.datasets import load_dataset, load_dialogues, load_schemas, read_json, sample_dir
from mtsql_env.errors import MtsqlError

DATA_VARS = ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR", "MTSQL_CACHE_DIR", "MTSQL_DEBUG")


@dataclass
class Outcome:
    handled: bool
    detail: str = ""
    traceback: bool = False


@dataclass
class Attack:
    group: str
    name: str
    run: Callable[[Path], Outcome]


@dataclass
class Tally:
    rows: list[dict[str, Any]] = field(default_factory=list)
    max_written: int = 0
    cap_of_max: int = 0
    outside_changed: int = 0


# --------------------------------------------------------------------------------------------------
# Helpers


def snapshot(folder: Path, skip: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and skip not in p.parents
    }


def library(call: Callable[[], Any], needle: str, *, valid_ok: bool = False) -> Outcome:
    """A library call must raise an MtsqlError naming ``needle`` (or return, for fuzzed valid inputs)."""
    try:
        call()
    except MtsqlError as err:
        named = needle in str(err)
        return Outcome(named, "" if named else f"message does not name {needle}: {str(err)[:160]}")
    except Exception as err:  # noqa: BLE001 - the point is to catch what escapes
        return Outcome(False, f"{type(err).__name__}: {str(err)[:160]}", traceback=True)
    return Outcome(valid_ok, "" if valid_ok else "no error raised")


def command(args: list[str], *needles: str, env: dict[str, str] | None = None) -> Outcome:
    """The real ``mtsql`` entry point must exit 2 with one last ``mtsql ...`` line naming the needles."""
    script = Path(sys.executable).parent / "mtsql"
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "mtsql_env.cli"]
    full_env = {k: v for k, v in os.environ.items() if k not in DATA_VARS} | (env or {})
    try:
        done = subprocess.run(
            [*prefix, *args], check=False, capture_output=True, text=True, timeout=60, env=full_env
        )
    except subprocess.TimeoutExpired:
        return Outcome(False, "stalled past 60 s")
    seen_traceback = "Traceback" in done.stderr + done.stdout
    last = (done.stderr.strip().splitlines() or [""])[-1]
    problems = []
    if done.returncode != 2:
        problems.append(f"exit {done.returncode}")
    if seen_traceback:
        problems.append("traceback")
    if not last.startswith(("mtsql", "usage:")):
        problems.append(f"last line {last[:80]!r}")
    problems += [f"does not name {n!r}" for n in needles if n not in last]
    return Outcome(
        not problems, "; ".join(problems) + (f" [{last[:160]}]" if problems else ""), seen_traceback
    )


def sample_zip(folder: Path, name: str = "release.zip") -> Path:
    """The bundled sample zipped as a release (``cosql_dataset/...``)."""
    archive = folder / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(sample_dir().rglob("*")):
            if path.is_file():
                out.write(path, f"cosql_dataset/{path.relative_to(sample_dir()).as_posix()}")
    return archive


def patch_member(archive: Path, member: str, *, flags: int | None = None, method: int | None = None,
                 size: int | None = None) -> None:  # fmt: skip
    """Rewrite a member's flags, method or declared size in both headers (zipfile cannot write these)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        local = z.getinfo(member).header_offset
    central, encoded = 0, member.encode()
    while True:
        central = data.index(b"PK\x01\x02", central)
        length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + length]) == encoded:
            break
        central += 4
    for offset, flags_at, method_at, size_at in ((central, 8, 10, 24), (local, 6, 8, 22)):
        for value, at, fmt in ((flags, flags_at, "<H"), (method, method_at, "<H"), (size, size_at, "<I")):
            if value is not None:
                struct.pack_into(fmt, data, offset + at, value)
    archive.write_bytes(bytes(data))


def add_nested_bomb(archive: Path, layers: int = 4, layer_bytes: int = 8 << 20) -> Path:
    """Add ``cosql_dataset/database/more.zip`` holding ``layers`` members of zeros (32 MB in about 32 KB)."""
    inner = archive.with_name("inner.zip")
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as out:
        for i in range(layers):
            out.writestr(f"layer/{i}.bin", b"\0" * layer_bytes)
    with zipfile.ZipFile(archive, "a") as out:
        out.write(inner, "cosql_dataset/database/more.zip")
    inner.unlink()
    return archive


class _Recorder:
    """Records the most bytes any install counted as written (wraps data_cache's budget)."""

    peak = 0

    @classmethod
    def install(cls) -> None:
        original = data_cache._Budget.count

        def count(self: Any, size: int, where: str) -> None:
            cls.peak = max(cls.peak, self.bytes + size)
            original(self, size, where)

        data_cache._Budget.count = count  # type: ignore[method-assign]


def install_attack(build: Callable[[Path], Path], needle: str, limits: InstallLimits | None = None,
                   tally: Tally | None = None) -> Callable[[Path], Outcome]:  # fmt: skip
    """Build an archive or folder, install it; it must be refused with nothing left and nothing changed."""

    def run(work: Path) -> Outcome:
        source = build(work)
        cache = work / "cache"
        before = snapshot(work, cache)
        _Recorder.peak = 0
        outcome = library(lambda: install_release(source, cache, limits=limits), needle)
        cap = (limits or InstallLimits()).max_bytes
        if tally is not None and _Recorder.peak >= tally.max_written:
            tally.max_written, tally.cap_of_max = _Recorder.peak, cap
        left = [p for p in cache.rglob("*")] if cache.exists() else []
        changed = sum(1 for k, v in snapshot(work, cache).items() if before.get(k) != v) + len(
            set(before) - set(snapshot(work, cache))
        )
        if tally is not None:
            tally.outside_changed += changed
        problems = [outcome.detail] if not outcome.handled else []
        if left:
            problems.append(f"{len(left)} paths left in the cache")
        if _Recorder.peak > cap:
            problems.append(f"wrote {_Recorder.peak} bytes past the cap {cap}")
        if changed:
            problems.append(f"{changed} files changed outside the target")
        return Outcome(not problems, "; ".join(problems), outcome.traceback)

    return run


# --------------------------------------------------------------------------------------------------
# The catalogue


def json_attacks() -> list[Attack]:
    blobs = {
        "JSON nested 100k deep": b"[" * 100_000 + b"]" * 100_000,
        "objects nested 100k deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "a 5,000-digit integer": b"[" + b"9" * 5000 + b"]",
        "UTF-16 text": "[1]".encode("utf-16"),
        "binary bytes": bytes(range(256)) * 16,
        "truncated": b'[{"database_id": "x"',
        "empty file": b"",
    }
    attacks = []
    for label, blob in blobs.items():
        for reader_name, reader in (("read_json", read_json), ("load_schemas", load_schemas),
                                    ("load_dialogues", load_dialogues)):  # fmt: skip

            def run(work: Path, blob: bytes = blob, reader: Callable = reader) -> Outcome:
                path = work / "file.json"
                path.write_bytes(blob)
                return library(lambda: reader(path), str(path))

            attacks.append(Attack("loaders", f"{reader_name}: {label}", run))
    return attacks


def _tables_entry() -> dict[str, Any]:
    return json.loads((sample_dir() / "tables.json").read_text())[0]


def tables_attacks(fuzz: int, seed: int) -> list[Attack]:
    named = {
        '"table_names_original": 5': {"table_names_original": 5},
        "db_id a list": {"db_id": ["x"]},
        "db_id with ../": {"db_id": "../../etc"},
        "column pairs that are strings": {"column_names_original": ["a", "b"]},
        "column table index out of range": {"column_names_original": [[-1, "*"], [99, "x"]]},
        "negative foreign-key index": {"foreign_keys": [[-2, 1]]},
        "foreign key of three": {"foreign_keys": [[1, 2, 3]]},
        "primary_keys a string": {"primary_keys": "1"},
        "column_types a dict": {"column_types": {"a": 1}},
        "booleans as indexes": {"foreign_keys": [[True, False]]},
    }
    attacks = []
    for label, change in named.items():

        def run(work: Path, change: dict = change) -> Outcome:
            path = work / "tables.json"
            path.write_text(json.dumps([_tables_entry() | change]))
            return library(lambda: load_schemas(path), str(path))

        attacks.append(Attack("loaders", f"tables.json {label}", run))
    for label, text in (("[]", "[]"), ("{}", "{}"), ("a list of numbers", "[1, 2]")):

        def run(work: Path, text: str = text) -> Outcome:
            path = work / "tables.json"
            path.write_text(text)
            if text == "[]":  # an empty list is a valid (empty) file; `mtsql evaluate` refuses it
                return library(lambda: load_schemas(path), str(path), valid_ok=True)
            return library(lambda: load_schemas(path), str(path))

        attacks.append(Attack("loaders", f"tables.json {label}", run))
    values = [None, True, -1, 3, 1.5, float("nan"), "", "x", [], [[]], [[-1]], {}, {"a": [1]}, [None, "x"]]
    rng = random.Random(seed)
    entry = _tables_entry()
    for i in range(fuzz):
        key = rng.choice([*entry, "extra"])
        value = rng.choice(values)

        def run(work: Path, key: str = key, value: Any = value) -> Outcome:
            path = work / "tables.json"
            path.write_text(json.dumps([entry | {key: value}]))
            from mtsql_env.evaluation.schema import load_foreign_key_maps

            first = library(lambda: load_schemas(path), str(path), valid_ok=True)
            second = library(lambda: load_foreign_key_maps(path), str(path), valid_ok=True)
            return first if not first.handled else second

        attacks.append(Attack("loaders", f"tables.json fuzz {i}: {key}={value!r}"[:80], run))
    return attacks


def dialogue_attacks(fuzz: int, seed: int) -> list[Attack]:
    base = json.loads((sample_dir() / "sql_state_tracking" / "cosql_dev.json").read_text())[:2]
    values = [None, True, 7, -1, "", "a/b", "..", [], ["x"], {}, {"utterance": 1}, "x" * 300]
    rng = random.Random(seed + 1)
    attacks = []
    for i in range(fuzz):
        where = rng.choice(["item", "turn", "final"])
        key = rng.choice(["database_id", "interaction", "interaction_id", "utterance", "query", "final"])
        value = rng.choice(values)

        def run(work: Path, where: str = where, key: str = key, value: Any = value) -> Outcome:
            items = json.loads(json.dumps(base))
            target = {"item": items[0], "turn": items[0]["interaction"][0], "final": items[0]["final"]}[where]
            target[key] = value
            path = work / "dev.json"
            path.write_text(json.dumps(items))
            return library(lambda: load_dialogues(path), str(path), valid_ok=True)

        attacks.append(Attack("loaders", f"dialogues fuzz {i}: {where}.{key}={value!r}"[:80], run))
    return attacks


def wrong_place(folder: Path, kind: str) -> Path | str:
    """A data location that holds no release: ``missing``, an ``empty`` folder, a ``file``, or ``blank``."""
    if kind == "blank":
        return ""
    place = folder / "where"
    if kind == "empty":
        place.mkdir()
    elif kind == "file":
        place.write_text("not a folder")
    return place


def location_attacks() -> list[Attack]:
    attacks = []
    for var in ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR"):
        for kind in ("missing", "empty", "file"):

            def run(work: Path, var: str = var, kind: str = kind) -> Outcome:
                place = wrong_place(work, kind)
                benchmark = "sparc" if "SPARC" in var else "cosql"
                saved = {v: os.environ.pop(v, None) for v in DATA_VARS}
                os.environ[var] = str(place)
                os.environ["MTSQL_CACHE_DIR"] = str(work / "cache")
                try:
                    return library(lambda: load_dataset(benchmark, fallback_to_sample=True), str(place))
                finally:
                    for v, value in saved.items():
                        os.environ.pop(v, None)
                        if value is not None:
                            os.environ[v] = value

            attacks.append(Attack("loaders", f"${var} {kind}: no quiet sample fallback", run))
    for kind in ("missing", "empty", "file", "blank"):

        def run(work: Path, kind: str = kind) -> Outcome:
            place = wrong_place(work, kind)
            return library(lambda: load_dataset("cosql", data_dir=place, fallback_to_sample=True), "data_dir")

        attacks.append(Attack("loaders", f"data_dir= {kind}", run))
    return attacks


def archive_attacks(tally: Tally, fuzz: int, seed: int) -> list[Attack]:
    def with_member(name: str, data: bytes | str = b"x", **patch: Any) -> Callable[[Path], Path]:
        def build(work: Path) -> Path:
            archive = sample_zip(work)
            with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as out:
                out.writestr(name, data)
            if patch:
                patch_member(archive, name, **patch)
            return archive

        return build

    def nested_bomb(work: Path) -> Path:
        return add_nested_bomb(sample_zip(work))

    def many_members(work: Path) -> Path:
        archive = sample_zip(work)
        with zipfile.ZipFile(archive, "a") as out:
            for i in range(120):
                out.writestr(f"cosql_dataset/junk/{i}", "x")
        return archive

    def symlink_member(work: Path) -> Path:
        archive = sample_zip(work)
        info = zipfile.ZipInfo("cosql_dataset/database/link")
        info.external_attr = 0o120777 << 16
        with zipfile.ZipFile(archive, "a") as out:
            out.writestr(info, "/etc")
        return archive

    def duplicate(work: Path) -> Path:
        archive = sample_zip(work)
        with zipfile.ZipFile(archive, "a") as out:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.writestr("cosql_dataset/tables.json", "[]")
        return archive

    def folder(link: str) -> Callable[[Path], Path]:
        def build(work: Path) -> Path:
            release = work / "src" / "cosql_dataset"
            shutil.copytree(sample_dir(), release)
            secret = work / "secret.txt"
            secret.write_text("secret")
            target = {
                "out": secret,
                "loop": release / "database",
                "dangling": work / "nope",
                "self": Path("self"),
            }
            name = "self" if link == "self" else "link"
            (release / "database" / name).symlink_to(target[link])
            return work / "src"

        return build

    def fifo_folder(work: Path) -> Path:
        release = work / "src" / "cosql_dataset"
        shutil.copytree(sample_dir(), release)
        os.mkfifo(release / "database" / "pipe")
        return work / "src"

    def big_folder(work: Path) -> Path:
        release = work / "src" / "cosql_dataset"
        shutil.copytree(sample_dir(), release)
        (release / "database" / "big.bin").write_bytes(b"\0" * (3 << 20))
        return work / "src"

    def not_a_zip(work: Path) -> Path:
        path = work / "fake.zip"
        path.write_bytes(b"PK\x03\x04" + os.urandom(500))
        return path

    def truncated(work: Path) -> Path:
        archive = sample_zip(work)
        archive.write_bytes(archive.read_bytes()[:-200])
        return archive

    small = InstallLimits(max_bytes=10 << 20)
    cases: list[tuple[str, Callable[[Path], Path], str, InstallLimits | None]] = [
        ("zip bomb: 40 MB of zeros in a 40 KB member, cap 10 MiB",
         with_member("cosql_dataset/database/bomb.bin", b"\0" * (40 << 20)), "past the cap", small),
        ("header claiming 3 GB, default caps", with_member("cosql_dataset/x.bin", b"x" * 100, size=3 << 30),
         "past the cap of 2.0 GiB", None),
        ("header understating the size (1 MB declared as 10 bytes)",
         with_member("cosql_dataset/liar.bin", b"y" * (1 << 20), size=10), "release.zip", None),
        ("nested zip bomb (4 x 8 MB inside), cap 20 MiB", nested_bomb, "past the cap", InstallLimits(max_bytes=20 << 20)),
        ("120 extra members, cap 100", many_members, "more than the cap", InstallLimits(max_members=100)),
        ("traversal ../x", with_member("../x"), "unsafe member", None),
        ("traversal cosql_dataset/../../x", with_member("cosql_dataset/../../x"), "unsafe member", None),
        ("absolute /tmp/name", with_member("/tmp/mtsql-bench-abs"), "unsafe member", None),
        ("drive letter C:/x", with_member("C:/x"), "unsafe member", None),
        ("backslash ..\\x", with_member("..\\x"), "unsafe member", None),
        ("symlink member", symlink_member, "symbolic link", None),
        ("encrypted member", with_member("cosql_dataset/secret.txt", flags=0x1), "encrypted", None),
        ("deflate64 member", with_member("cosql_dataset/d64.bin", b"z" * 50, method=9), "compression method", None),
        ("member name over 255 bytes", with_member("cosql_dataset/" + "n" * 300), "255 bytes", None),
        ("members x and x/y", with_member("cosql_dataset/tables.json/y"), "below a member that is a file", None),
        ("the same member twice", duplicate, "appears twice", None),
        ("not a zip behind a zip signature", not_a_zip, "fake.zip", None),
        ("truncated zip", truncated, "release.zip", None),
        ("folder: symlink out of the folder", folder("out"), "symbolic link", None),
        ("folder: symlink loop to a parent", folder("loop"), "symbolic link", None),
        ("folder: dangling symlink", folder("dangling"), "dangling", None),
        ("folder: self-referencing symlink", folder("self"), "dangling or a loop", None),
        ("folder: 3 MB file, cap 1 MiB", big_folder, "past the cap", InstallLimits(max_bytes=1 << 20)),
        ("folder: a named pipe (would block a copy)", fifo_folder, "not a regular file", None),
    ]  # fmt: skip
    attacks = [
        Attack("install", label, install_attack(build, needle, limits, tally))
        for label, build, needle, limits in cases
    ]

    def cache_is_file(work: Path) -> Outcome:
        (work / "cachefile").write_text("keep")
        outcome = library(lambda: install_release(sample_zip(work), work / "cachefile"), "cachefile")
        if (work / "cachefile").read_text() != "keep":
            return Outcome(False, "the file was changed")
        return outcome

    attacks.append(Attack("install", "--cache-dir a file", cache_is_file))
    rng = random.Random(seed + 2)
    alphabet = "ab./\\:~ \n\t-_é\u202e%"
    for i in range(fuzz):
        names = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 4))
        ]

        def build(work: Path, names: list[str] = names) -> Path:
            archive = work / "fuzz.zip"
            import warnings

            with zipfile.ZipFile(archive, "w") as out, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name in names:
                    out.writestr(name, "x")
            return archive

        attacks.append(
            Attack(
                "install",
                f"member-name fuzz {i}: {names!r}"[:80],
                install_attack(build, "fuzz.zip", None, tally),
            )
        )
    return attacks


def cli_attacks() -> list[Attack]:
    sample = sample_dir()

    def files(work: Path) -> dict[str, Path]:
        gold = work / "gold.txt"
        gold.write_text("SELECT count(*) FROM artist\tmusic_store\nSELECT name FROM artist\tmusic_store\n\n")
        pred = work / "pred.txt"
        pred.write_text("SELECT count(*) FROM artist\nSELECT name FROM artist\n\n")
        return {"gold": gold, "pred": pred, "db": sample / "database", "table": sample / "tables.json"}

    def evaluate(work: Path, *extra: str, needles: tuple[str, ...], **override: Path) -> Outcome:
        values = files(work) | override
        args = ["evaluate", "--no-cache"] + [
            a for k in ("gold", "pred", "db", "table") for a in (f"--{k}", str(values[k]))
        ]
        return command(args + list(extra), *needles)

    def write(work: Path, name: str, data: bytes) -> Path:
        path = work / name
        path.write_bytes(data)
        return path

    def garbage_db(work: Path) -> Outcome:
        db = work / "db"
        shutil.copytree(sample / "database", db)
        path = db / "music_store" / "music_store.sqlite"
        data = path.read_bytes()
        path.write_bytes(data[:100] + bytes((i * 151 + 7) % 256 for i in range(len(data) - 100)))
        return evaluate(work, needles=(str(path),), db=db)

    entry = json.dumps([_tables_entry() | {"table_names_original": 5}])
    cases: list[tuple[str, Callable[[Path], Outcome]]] = [
        ("evaluate: .sqlite with a valid header and garbage pages", garbage_db),
        ("evaluate: tables.json nested 100k deep",
         lambda w: evaluate(w, needles=("tables.json",), table=write(w, "tables.json", b"[" * 100_000 + b"]" * 100_000))),
        ('evaluate: tables.json "table_names_original": 5',
         lambda w: evaluate(w, needles=("tables.json", "table_names_original"), table=write(w, "tables.json", entry.encode()))),
        ("evaluate: tables.json []", lambda w: evaluate(w, needles=("--table",), table=write(w, "tables.json", b"[]"))),
        ("evaluate: tables.json {}", lambda w: evaluate(w, needles=("tables.json",), table=write(w, "tables.json", b"{}"))),
        ("evaluate: UTF-16 gold", lambda w: evaluate(w, needles=("g16.txt",), gold=write(w, "g16.txt", "SELECT 1\tx\n".encode("utf-16")))),
        ("evaluate: binary pred", lambda w: evaluate(w, needles=("bin.txt",), pred=write(w, "bin.txt", bytes(range(256)) * 8))),
        ("evaluate: NUL byte in pred", lambda w: evaluate(w, needles=("nul.txt",), pred=write(w, "nul.txt", b"SELECT 1\0\n"))),
        ("evaluate: --per-item into a missing folder",
         lambda w: evaluate(w, "--per-item", str(w / "no" / "x.jsonl"), needles=("--per-item",))),
        ("evaluate: --json into a missing folder", lambda w: evaluate(w, "--json", str(w / "no" / "x.json"), needles=("--json",))),
        ("evaluate: --json over the gold file", lambda w: evaluate(w, "--json", str(w / "gold.txt"), needles=("--json",))),
        ("evaluate: --db a file", lambda w: evaluate(w, needles=("--db",), db=write(w, "db.txt", b"x"))),
        ("evaluate: --db a missing folder", lambda w: evaluate(w, needles=("--db",), db=w / "nowhere")),
        ("evaluate: --db an empty folder (nothing scored)", lambda w: evaluate(w, needles=("nothing was scored",), db=w)),
        ("evaluate: no gold line pairs a prediction", lambda w: evaluate(w, needles=("nothing was scored",), pred=write(w, "p.txt", b"\n"))),
        ("evaluate: gold over unknown databases",
         lambda w: evaluate(w, needles=("nothing was scored",), gold=write(w, "g.txt", b"SELECT 1 FROM t\tnope\n\n"), pred=write(w, "p.txt", b"SELECT 1\n\n"))),
        ("evaluate: --gold missing", lambda w: evaluate(w, needles=("--gold",), gold=w / "none.txt")),
        ("evaluate: --table a folder", lambda w: evaluate(w, needles=("--table",), table=w)),
        ("evaluate: interaction counts differ", lambda w: evaluate(w, needles=("interactions",), pred=write(w, "p.txt", b"SELECT 1\n\nSELECT 2\n\n"))),
        ("evaluate: gold line without db_id", lambda w: evaluate(w, needles=("g.txt:1",), gold=write(w, "g.txt", b"SELECT 1\n"))),
    ]  # fmt: skip
    for value in ("nan", "-1", "inf", "0", "soon"):
        cases.append(
            (
                f"evaluate: --timeout {value}",
                lambda w, v=value: evaluate(w, "--timeout", v, needles=("--timeout",)),
            )
        )

    def bomb(work: Path) -> Path:
        archive = sample_zip(work)
        with zipfile.ZipFile(archive, "a") as out:
            out.writestr("cosql_dataset/huge.bin", b"x" * 10)
        patch_member(archive, "cosql_dataset/huge.bin", size=3 << 30)
        return archive

    cases += [
        ("data install: 3 GB header", lambda w: command(["data", "install", str(bomb(w)), "--cache-dir", str(w / "c")], "past the cap")),
        ("data install: --cache-dir a file",
         lambda w: command(["data", "install", str(sample_zip(w)), "--cache-dir", str(write(w, "f", b"x"))], "is a file")),
        ("data install: missing archive", lambda w: command(["data", "install", str(w / "none.zip")], "none.zip")),
        ("data install: --max-bytes lots", lambda w: command(["data", "install", "x.zip", "--max-bytes", "lots"], "--max-bytes")),
        ("data install: --max-members -5", lambda w: command(["data", "install", "x.zip", "--max-members", "-5"], "--max-members")),
        ("data info: $MTSQL_DATA_DIR missing", lambda w: command(["data", "info"], str(w / "m"), env={"MTSQL_DATA_DIR": str(w / "m")})),
        ("data info: --data-dir a file", lambda w: command(["data", "info", "--data-dir", str(write(w, "f", b"x"))], "f")),
        ("bench: --data-dir missing", lambda w: command(["bench", "--data-dir", str(w / "m"), "--agent", "oracle", "--out", str(w / "o")], str(w / "m"))),
        ("bench: missing database", lambda w: command(["bench", "--data-dir", str(_release_missing_db(w)), "--agent", "oracle", "--out", str(w / "o")], "gone")),
        ("run: missing split", lambda w: command(["run", "--data-dir", str(_release_no_train(w)), "--split", "train"], "train")),
        ("unknown command", lambda w: command(["frobnicate"], "frobnicate")),
        ("bench: unreachable model server", lambda w: command(
            ["bench", "--data-dir", "sample", "--agent", "openai:m@http://127.0.0.1:9/v1", "--episodes", "1",
             "--out", str(w / "o"), "--no-progress"], "127.0.0.1:9")),
        ("bench: missing model folder", lambda w: command(
            ["bench", "--data-dir", "sample", "--agent", f"hf:{w / 'no-model'}", "--out", str(w / "o")], "no-model")),
        ("train: config file that is not YAML", lambda w: command(
            ["train", "sft", "--config", str(write(w, "c.yaml", b"a: [1"))], "mtsql train")),
    ]  # fmt: skip
    return [Attack("cli", label, run) for label, run in cases]


def _release_missing_db(work: Path) -> Path:
    release = work / "r" / "cosql_dataset"
    shutil.copytree(sample_dir(), release)
    items = json.loads((release / "sql_state_tracking" / "cosql_dev.json").read_text())
    items[0]["database_id"] = "gone"
    (release / "sql_state_tracking" / "cosql_dev.json").write_text(json.dumps(items))
    tables = json.loads((release / "tables.json").read_text())
    (release / "tables.json").write_text(json.dumps(tables + [tables[0] | {"db_id": "gone"}]))
    return release


def _release_no_train(work: Path) -> Path:
    release = work / "r" / "cosql_dataset"
    shutil.copytree(sample_dir(), release)
    (release / "sql_state_tracking" / "cosql_train.json").unlink(missing_ok=True)
    return release


# --------------------------------------------------------------------------------------------------


def run_all(attacks: list[Attack], tally: Tally) -> None:
    for attack in attacks:
        with tempfile.TemporaryDirectory(prefix="mtsql-bench-inputs-") as tmp:
            work = Path(tmp)
            try:
                outcome = attack.run(work)
            except Exception:  # noqa: BLE001 - the harness itself must not hide an escape
                outcome = Outcome(False, "harness: " + traceback.format_exc().strip().splitlines()[-1], True)
            datasets._load_dialogues_cached.cache_clear()
            datasets._load_schemas_cached.cache_clear()
        tally.rows.append({"group": attack.group, "attack": attack.name, "handled": outcome.handled,
                           "traceback": outcome.traceback, "detail": outcome.detail})  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz", type=int, default=40, help="random cases per fuzzed file kind (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", nargs="?", const="-", metavar="OUT.json",
                        help="print the tallies as one JSON object (or write them to OUT.json)")  # fmt: skip
    args = parser.parse_args(argv)
    _Recorder.install()
    tally = Tally()
    attacks = (
        json_attacks() + tables_attacks(args.fuzz, args.seed) + dialogue_attacks(args.fuzz, args.seed)
        + location_attacks() + archive_attacks(tally, args.fuzz, args.seed) + cli_attacks()
    )  # fmt: skip
    start = time.perf_counter()
    import logging

    logging.disable(logging.WARNING)  # the loaders' warnings about what they refuse are expected here
    run_all(attacks, tally)
    elapsed = time.perf_counter() - start
    rows = tally.rows
    failures = [f"[{r['group']}] {r['attack']}: {r['detail']}" for r in rows if not r["handled"]]
    result = {
        "tried": len(rows),
        "handled": sum(r["handled"] for r in rows),
        "tracebacks": sum(r["traceback"] for r in rows),
        "failures": failures,
        "groups": {
            g: {
                "tried": sum(r["group"] == g for r in rows),
                "handled": sum(r["group"] == g and r["handled"] for r in rows),
            }
            for g in dict.fromkeys(r["group"] for r in rows)
        },
        "max_bytes_written_by_a_refused_install": tally.max_written,
        "its_cap": tally.cap_of_max,
        "files_changed_outside_targets": tally.outside_changed,
        "seconds": round(elapsed, 1),
    }
    if args.json == "-":
        print(json.dumps(result))
        return result
    print(f"hostile inputs: {result['handled']}/{result['tried']} handled in {elapsed:.0f} s")
    for group, counts in result["groups"].items():
        print(f"  {group:8s} {counts['handled']:4d}/{counts['tried']:<4d} handled")
    print(f"tracebacks seen: {result['tracebacks']}")
    print(
        f"most bytes a refused install wrote: {tally.max_written:,} (its cap {tally.cap_of_max:,}); "
        f"files changed outside the targets: {tally.outside_changed}"
    )
    print(f"failures: {len(failures)}")
    for line in failures:
        print(f"  {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
