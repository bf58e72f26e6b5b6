"""Hostile inputs to the loaders, `mtsql data install` and `mtsql evaluate` (issue 9): each gets a clear
error naming the file or argument, never a traceback, nothing written past the caps, nothing changed
outside the target.

Archives are built here (zip bombs with low caps, a header that claims 3 GB with the default caps, nested
zips, traversal and absolute names, symlink, encrypted and deflate64 members, long names, ``x`` and
``x/y``); JSON, tables.json and dialogue files are fuzzed with hypothesis. A SParC dev file in the official
shape is built at run time from the real CoSQL dev dialogues.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest
from conftest import REAL_RELEASE  # tests/ is on sys.path (pytest rootdir-relative import)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_datasets import TINY_TABLES, make_release, tiny_items, zip_folder

# one zip-header patcher for this test and the benchmark
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_hardening_inputs import add_nested_bomb, patch_member, wrong_place

import mtsql_env
from mtsql_env import datasets
from mtsql_env.cli import main
from mtsql_env.data_cache import InstallLimits, install_release, parse_size
from mtsql_env.datasets import (
    DataError,
    DataFormatError,
    DataNotFoundError,
    load_dataset,
    load_schemas,
    read_json,
)
from mtsql_env.errors import MtsqlError, UsageError
from mtsql_env.evaluation.files import read_gold, read_pred
from mtsql_env.evaluation.schema import load_eval_schema, load_foreign_key_maps

SAMPLE = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"
ENV_VARS = (
    "MTSQL_DATA_DIR",
    "MTSQL_COSQL_DIR",
    "MTSQL_SPARC_DIR",
    "MTSQL_CACHE_DIR",
    "XDG_CACHE_HOME",
    "MTSQL_DEBUG",
)
realdata = pytest.mark.skipif(
    not (REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json").is_file(),
    reason=f"real CoSQL dev release not found at {REAL_RELEASE}",
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the user's data variables or cache."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def snapshot(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """Path -> content hash of every file under ``folder`` (except under ``skip``)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def leftovers(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []


# --------------------------------------------------------------------------------------------------
# JSON, tables.json and dialogue files


def test_read_json_names_the_file_for_every_failure(tmp_path: Path) -> None:
    cases = {
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "digits.json": b"[" + b"7" * 5000 + b"]",
        "utf16.json": "[1, 2]".encode("utf-16"),
        "binary.json": bytes(range(256)) * 4,
        "bad.json": b"[{",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataFormatError) as err:
            read_json(tmp_path / name)
        assert str(tmp_path / name) in str(err.value), name
    with pytest.raises(DataFormatError, match="is a folder"):
        read_json(tmp_path)
    assert "nested too deeply" in _error_of(read_json, tmp_path / "deep.json")


def _error_of(function: Any, *args: Any) -> str:
    try:
        function(*args)
    except MtsqlError as err:
        return str(err)
    raise AssertionError("no error")


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzz_read_json_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    try:
        read_json(path)
    except DataFormatError as err:
        assert str(path) in str(err)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 9) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(key=st.sampled_from(sorted(TINY_TABLES) + ["extra"]), value=JSON_VALUES)
def test_fuzz_tables_json_entries(tmp_path: Path, key: str, value: Any) -> None:
    """Any value for any key of a tables.json entry: a schema, or a DataFormatError naming the file; the
    evaluator's foreign-key maps read the same file the same way."""
    path = tmp_path / "tables.json"
    path.write_text(json.dumps([dict(TINY_TABLES, **{key: value})]))
    for read in (load_schemas, load_foreign_key_maps):
        try:
            read(path)
        except DataFormatError as err:
            assert str(path) in str(err)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"table_names_original": 5}, "'table_names_original' should be a list of strings"),
        ({"db_id": ["tiny"]}, "'db_id' should be a str, got list"),
        ({"db_id": "../../etc"}, "not a usable database folder name"),
        ({"column_names_original": [[7, "x"]]}, "list of \\[table index, name\\] pairs"),
        ({"foreign_keys": [[-1, 1]]}, "not a column index"),
        ({"primary_keys": "1"}, "'primary_keys' should be a list"),
    ],
)
def test_tables_json_wrong_types_are_data_errors(tmp_path: Path, change: dict, expected: str) -> None:
    path = tmp_path / "tables.json"
    path.write_text(json.dumps([dict(TINY_TABLES, **change)]))
    with pytest.raises(DataFormatError, match=expected) as err:
        load_schemas(path)
    assert str(path) in str(err.value)


@FUZZ
@given(
    where=st.sampled_from(["item", "turn", "final"]),
    key=st.sampled_from(["database_id", "interaction", "interaction_id", "utterance", "query", "final", "x"]),
    value=JSON_VALUES,
)
def test_fuzz_dialogue_files(tmp_path: Path, where: str, key: str, value: Any) -> None:
    items = tiny_items()
    target = {"item": items[0], "turn": items[0]["interaction"][0], "final": items[0]["final"]}[where]
    target[key] = value
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(items))
    try:
        dialogues = datasets.load_dialogues(path)
    except DataFormatError as err:
        assert str(path) in str(err)
    else:
        assert len({d.dialogue_id for d in dialogues}) == len(dialogues)


def test_dialogue_db_id_must_be_a_folder_name(tmp_path: Path) -> None:
    for bad in (["tiny"], "../tiny", "", "a/b"):
        items = tiny_items()
        items[0]["database_id"] = bad
        path = tmp_path / "dev.json"
        path.write_text(json.dumps(items))
        with pytest.raises(DataFormatError, match="database_id"):
            datasets.load_dialogues(path)


# --------------------------------------------------------------------------------------------------
# Explicit but wrong data locations


@pytest.mark.parametrize("kind", ["missing", "empty", "file"])
@pytest.mark.parametrize("var", ["MTSQL_DATA_DIR", "MTSQL_COSQL_DIR"])
def test_configured_location_without_a_release_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, var: str
) -> None:
    place = wrong_place(tmp_path, kind)
    monkeypatch.setenv(var, str(place))
    with pytest.raises(DataNotFoundError) as err:
        load_dataset("cosql", fallback_to_sample=True)  # no quiet fallback to the sample
    assert str(place) in str(err.value) and f"${var}" in str(err.value)
    with pytest.raises(DataNotFoundError, match=str(place)):
        gym.make("MTSQL-CoSQL-v0")  # the environment's default allows the fallback; it must not apply


@pytest.mark.parametrize("kind", ["missing", "empty", "file", "blank"])
def test_data_dir_argument_without_a_release_is_an_error(tmp_path: Path, kind: str) -> None:
    place = wrong_place(tmp_path, kind)
    with pytest.raises(DataNotFoundError, match="data_dir"):
        load_dataset("sparc", data_dir=place, fallback_to_sample=True)


def test_data_dir_var_with_the_other_benchmark_only_gives_no_sample(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_release(tmp_path / "shared" / "cosql_dataset")
    monkeypatch.setenv("MTSQL_DATA_DIR", str(tmp_path / "shared"))
    with pytest.raises(DataNotFoundError, match="not used instead because a data location is configured"):
        load_dataset("sparc", fallback_to_sample=True)


def test_sample_fallback_only_when_nothing_is_configured(
    isolated: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated / "evaluation").mkdir(
        parents=True
    )  # the cache exists (the gold cache lives there) but is empty
    monkeypatch.setattr(datasets, "_fallback_warned", False)  # it warns once per process
    with caplog.at_level("WARNING", logger="mtsql_env.datasets"):
        dataset = load_dataset("cosql", fallback_to_sample=True)
    assert dataset.is_sample and "bundled sample" in caplog.text
    assert gym.make("MTSQL-SParC-v0").unwrapped.dataset.is_sample


def test_cache_that_is_a_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cachefile").write_text("x")
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "cachefile"))
    with pytest.raises(DataNotFoundError, match="is a file"):
        load_dataset("cosql", fallback_to_sample=True)


# --------------------------------------------------------------------------------------------------
# The official SParC dev shape


def build_sparc_shaped_release(cosql: Path, folder: Path, without_ids: int = 3) -> tuple[Path, list[dict]]:
    """A SParC dev file in the released shape, from the real CoSQL dev dialogues: ``interaction_id`` counts
    from 0 within each database and is absent on every item of ``without_ids`` databases; turns carry
    ``utterance``, ``utterance_toks``, ``query`` and ``sql`` only. tables.json and the databases are
    symlinked from the real release (never copied)."""
    items = json.loads((cosql / "sql_state_tracking" / "cosql_dev.json").read_text())
    by_db = collections.Counter(item["database_id"] for item in items)
    present = sorted(db for db in by_db if (cosql / "database" / db / f"{db}.sqlite").is_file())
    no_ids = set(present[1 : 1 + without_ids])
    counters: collections.Counter[str] = collections.Counter()
    out = []
    for item in items:
        db_id = item["database_id"]
        new: dict[str, Any] = {"database_id": db_id}
        if db_id not in no_ids:
            new["interaction_id"] = counters[db_id]
            counters[db_id] += 1
        new["final"] = item["final"]
        new["interaction"] = [
            {k: turn[k] for k in ("utterance", "utterance_toks", "query", "sql")}
            for turn in item["interaction"]
        ]
        out.append(new)
    folder.mkdir(parents=True)
    (folder / "dev.json").write_text(json.dumps(out))
    (folder / "tables.json").symlink_to(cosql / "tables.json")
    (folder / "database").symlink_to(cosql / "database", target_is_directory=True)
    return folder, out


@realdata
@pytest.mark.realdata
def test_official_sparc_shape_loads_with_unique_stable_ids(tmp_path: Path) -> None:
    _, items = build_sparc_shaped_release(REAL_RELEASE, tmp_path / "sparc")
    with_ids = [i for i in items if "interaction_id" in i]
    assert (
        0 < len(with_ids) < len(items)
        and len({i["database_id"] for i in items if "interaction_id" not in i}) == 3
    )
    assert max(collections.Counter(i["interaction_id"] for i in with_ids).values()) > 1  # ids alone repeat
    dataset = load_dataset("sparc", "dev", tmp_path, skip_missing_databases=True)
    ids = [d.dialogue_id for d in dataset.dialogues]
    assert len(set(ids)) == len(ids) == len(items) - dataset.skipped_dialogues
    kept = [(pos, i) for pos, i in enumerate(items) if i["database_id"] not in dataset.skipped_db_ids]
    expected = [
        f"{i['database_id']}/{i['interaction_id']}" if "interaction_id" in i else f"dev-{pos:04d}"
        for pos, i in kept
    ]
    assert ids == expected
    datasets._load_dialogues_cached.cache_clear()
    assert [
        d.dialogue_id for d in load_dataset("sparc", "dev", tmp_path, skip_missing_databases=True).dialogues
    ] == ids


@realdata
@pytest.mark.realdata
def test_oracle_scores_100_percent_through_the_official_sparc_shape(tmp_path: Path) -> None:
    from mtsql_agents import OracleAgent, run_agent

    build_sparc_shaped_release(REAL_RELEASE, tmp_path / "sparc")
    env = gym.make("MTSQL-SParC-v0", data_dir=str(tmp_path), skip_missing_databases=True, expose_gold=True)
    assert env.unwrapped.dataset.source == "sparc"
    s = run_agent(env, OracleAgent(), progress=False).summary
    assert s["dialogues"] == 276 and s["turns"] == 948
    assert s["gold_errors"] == 1  # the car_1 gold with a stray ")", as on CoSQL
    assert s["EX"] == 1.0 and s["EM"] == 1.0 and s["IM_EX"] == 1.0 and s["format_errors"] == 0


# --------------------------------------------------------------------------------------------------
# Hostile archives


def tiny_zip(tmp_path: Path, name: str = "release.zip") -> Path:
    source = make_release(tmp_path / f"src-{name}" / "cosql_dataset")
    return zip_folder(source, tmp_path / name, prefix="cosql_dataset/")


def add_member(archive: Path, info: zipfile.ZipInfo | str, data: bytes | str = b"x", **kwargs: Any) -> Path:
    with zipfile.ZipFile(archive, "a", **kwargs) as out:
        out.writestr(info, data)
    return archive


def assert_refused(archive: Path, cache: Path, match: str, limits: InstallLimits | None = None) -> None:
    outside = snapshot(archive.parent, skip=cache)
    with pytest.raises(DataFormatError, match=match) as err:
        install_release(archive, cache, limits=limits)
    assert str(archive) in str(err.value)
    assert leftovers(cache) == []  # nothing half-installed, no staging folder
    assert snapshot(archive.parent, skip=cache) == outside


def test_zip_bomb_is_refused_before_writing(tmp_path: Path) -> None:
    archive = tiny_zip(tmp_path)
    info = zipfile.ZipInfo("cosql_dataset/database/bomb.bin")
    info.compress_type = zipfile.ZIP_DEFLATED
    add_member(archive, info, b"\0" * (40 << 20))  # 40 MB of zeros, about 40 KB zipped
    assert archive.stat().st_size < 1 << 20
    assert_refused(archive, tmp_path / "cache", "past the cap of 10.0 MiB", InstallLimits(max_bytes=10 << 20))


def test_default_cap_refuses_a_header_claiming_3_gb(tmp_path: Path) -> None:
    archive = add_member(tiny_zip(tmp_path), "cosql_dataset/database/huge.bin", b"x" * 1000)
    patch_member(archive, "cosql_dataset/database/huge.bin", size=3 << 30)
    assert_refused(archive, tmp_path / "cache", r"would unpack to 3\.0 GiB, past the cap of 2\.0 GiB")


def test_header_that_understates_the_size_is_caught_while_writing(tmp_path: Path) -> None:
    archive = add_member(tiny_zip(tmp_path), "cosql_dataset/database/liar.bin", b"y" * (1 << 20))
    patch_member(archive, "cosql_dataset/database/liar.bin", size=10)
    assert_refused(archive, tmp_path / "cache", "cannot unpack|larger than its header")


def test_nested_zip_bomb_counts_towards_the_same_cap(tmp_path: Path) -> None:
    archive = add_nested_bomb(tiny_zip(tmp_path))
    assert_refused(
        archive,
        tmp_path / "cache",
        "inner cosql_dataset/database/more.zip.*past the cap",
        InstallLimits(max_bytes=20 << 20),
    )


def test_too_many_members_is_refused(tmp_path: Path) -> None:
    archive = tiny_zip(tmp_path)
    with zipfile.ZipFile(archive, "a") as out:
        for i in range(60):
            out.writestr(f"cosql_dataset/junk/{i}.txt", "x")
    assert_refused(archive, tmp_path / "cache", "more than the cap of 50", InstallLimits(max_members=50))


@pytest.mark.parametrize(
    ("member", "match"),
    [
        ("../x", "unsafe member"),
        ("cosql_dataset/../../x", "unsafe member"),
        ("/tmp/mtsql-hardening-abs", "unsafe member"),
        ("C:/x", "unsafe member"),
        ("..\\x", "unsafe member"),
        ("cosql_dataset/" + "n" * 300, "longer than 255 bytes"),
        ("cosql_dataset/tables.json/inside", "sits below a member that is a file"),
        ("cosql_dataset/tables.json", "appears twice"),
    ],
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_unsafe_member_names(tmp_path: Path, member: str, match: str) -> None:
    archive = tiny_zip(tmp_path)
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(member, "x") if "appears" not in match else out.writestr(zipfile.ZipInfo(member), "dup")
    assert_refused(archive, tmp_path / "cache", match)
    assert not Path("/tmp/mtsql-hardening-abs").exists()


def test_symlink_encrypted_and_deflate64_members(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("cosql_dataset/database/link")
    link.external_attr = (0o120777) << 16
    archive = add_member(tiny_zip(tmp_path, "link.zip"), link, "/etc")
    assert_refused(archive, tmp_path / "cache", "symbolic link")
    archive = add_member(tiny_zip(tmp_path, "enc.zip"), "cosql_dataset/secret.txt", "x")
    patch_member(archive, "cosql_dataset/secret.txt", flags=0x1)
    assert_refused(archive, tmp_path / "cache", "encrypted")
    archive = add_member(tiny_zip(tmp_path, "d64.zip"), "cosql_dataset/d64.bin", b"z" * 100)
    patch_member(archive, "cosql_dataset/d64.bin", method=9)
    assert_refused(archive, tmp_path / "cache", "compression method 9")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(
    names=st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=40), max_size=6
    )
)
def test_fuzz_member_names_never_escape(tmp_path: Path, names: list[str]) -> None:
    run = tmp_path / f"run-{abs(hash(tuple(names)))}"
    run.mkdir()
    archive = run / "fuzz.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in names:
            out.writestr(name, "x")
    before = snapshot(tmp_path, skip=run)
    try:
        install_release(archive, run / "cache")
    except DataFormatError as err:
        assert str(archive) in str(err)
    assert snapshot(tmp_path, skip=run) == before  # nothing outside this run's folder
    assert [p for p in leftovers(run / "cache") if ".install-" in p] == []
    shutil.rmtree(run)


def test_install_keeps_an_earlier_install_when_the_new_one_fails(tmp_path: Path) -> None:
    good = install_release(tiny_zip(tmp_path, "good.zip"), tmp_path / "cache")
    before = snapshot(good)
    archive = add_member(tiny_zip(tmp_path, "bad.zip"), "cosql_dataset/../x", "x")
    with pytest.raises(DataFormatError):
        install_release(archive, tmp_path / "cache")
    assert snapshot(good) == before
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".install-")]


def test_folder_installs_refuse_links_out_and_loops(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    release = make_release(tmp_path / "out" / "cosql_dataset")
    (release / "database" / "leak.txt").symlink_to(outside)
    with pytest.raises(DataFormatError, match="symbolic link to .*secret.txt"):
        install_release(tmp_path / "out", tmp_path / "cache")
    release = make_release(tmp_path / "loop" / "cosql_dataset")
    (release / "database" / "loop").symlink_to(release / "database", target_is_directory=True)
    with pytest.raises(DataFormatError, match="symbolic link"):
        install_release(tmp_path / "loop", tmp_path / "cache")
    (release / "database" / "loop").unlink()
    (release / "database" / "self").symlink_to("self")
    with pytest.raises(DataFormatError, match="dangling or a loop"):
        install_release(tmp_path / "loop", tmp_path / "cache")
    assert leftovers(tmp_path / "cache") == []
    # a link to a file inside the folder is copied as that file
    (release / "database" / "self").unlink()
    (release / "copy-of-tables.json").symlink_to(release / "tables.json")
    installed = install_release(tmp_path / "loop", tmp_path / "cache")
    assert not (installed / "copy-of-tables.json").is_symlink()
    assert (installed / "copy-of-tables.json").read_text() == (release / "tables.json").read_text()


def test_folder_installs_refuse_a_pipe(tmp_path: Path) -> None:
    release = make_release(tmp_path / "fifo" / "cosql_dataset")
    os.mkfifo(release / "database" / "pipe")
    with pytest.raises(DataFormatError, match="not a regular file"):
        install_release(tmp_path / "fifo", tmp_path / "cache")  # would block forever if opened
    assert leftovers(tmp_path / "cache") == []


def test_folder_installs_are_capped_before_copying(tmp_path: Path) -> None:
    release = make_release(tmp_path / "big" / "cosql_dataset")
    (release / "database" / "big.bin").write_bytes(b"\0" * (3 << 20))
    with pytest.raises(DataFormatError, match="past the cap of 1.0 MiB"):
        install_release(tmp_path / "big", tmp_path / "cache", limits=InstallLimits(max_bytes=1 << 20))
    assert leftovers(tmp_path / "cache") == []


def test_cache_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "cache-file").write_text("keep me")
    with pytest.raises(DataError, match="is a file"):
        install_release(tiny_zip(tmp_path), tmp_path / "cache-file")
    assert (tmp_path / "cache-file").read_text() == "keep me"


def test_limits_and_sizes() -> None:
    assert parse_size("2G") == 2 << 30 and parse_size("1.5MiB") == 3 << 19 and parse_size("100") == 100
    for bad in ("", "-1", "2X", "nan", "0"):
        with pytest.raises(UsageError):
            parse_size(bad)
    with pytest.raises(UsageError):
        InstallLimits(max_members=0)


# --------------------------------------------------------------------------------------------------
# `mtsql evaluate` inputs


@pytest.fixture
def eval_files(tmp_path: Path) -> dict[str, Path]:
    gold = tmp_path / "gold.txt"
    gold.write_text("SELECT count(*) FROM artist\tmusic_store\nSELECT name FROM artist\tmusic_store\n\n")
    pred = tmp_path / "pred.txt"
    pred.write_text("SELECT count(*) FROM artist\nSELECT name FROM artist\n\n")
    return {"gold": gold, "pred": pred, "db": SAMPLE / "database", "table": SAMPLE / "tables.json"}


def evaluate(files: dict[str, Path], *extra: str, **override: Any) -> list[str]:
    values = {**files, **override}
    args = ["evaluate", "--no-cache"]
    for key in ("gold", "pred", "db", "table"):
        if values.get(key) is not None:
            args += [f"--{key}", str(values[key])]
    return args + list(extra)


def assert_cli_error(capsys: pytest.CaptureFixture[str], args: list[str], *needles: str) -> str:
    """The command exits 2 (argparse's own exit for a bad value included) with one line naming the needles."""
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    for needle in needles:
        assert needle in last, (needle, last)
    return last


def test_evaluate_runs_on_good_inputs(
    eval_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(evaluate(eval_files)) == 0
    assert "EXACT MATCHING ACCURACY" in capsys.readouterr().out


def test_evaluate_bad_tables_json(
    eval_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "tables.json"
    cases = {
        "deep": "[" * 100_000 + "]" * 100_000,
        "types": json.dumps(
            [{**json.loads((SAMPLE / "tables.json").read_text())[0], "table_names_original": 5}]
        ),
        "dict": "{}",
        "utf16": None,
    }
    for text in cases.values():
        if text is None:
            bad.write_bytes("[]".encode("utf-16"))
        else:
            bad.write_text(text)
        assert_cli_error(capsys, evaluate(eval_files, table=bad), str(bad))
    bad.write_text("[]")
    assert_cli_error(capsys, evaluate(eval_files, table=bad), "--table", "describes no database")


def test_evaluate_garbage_sqlite_pages(
    eval_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "db"
    shutil.copytree(SAMPLE / "database", db)
    path = db / "music_store" / "music_store.sqlite"
    data = path.read_bytes()
    path.write_bytes(data[:100] + bytes((i * 151 + 7) % 256 for i in range(len(data) - 100)))
    assert_cli_error(capsys, evaluate(eval_files, db=db), str(path))


def test_evaluate_binary_and_utf16_inputs(
    eval_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("gold", "pred"):
        for name, data in (
            ("utf16", "SELECT 1\tmusic_store\n".encode("utf-16")),
            ("bin", bytes(range(256)) * 8),
        ):
            path = tmp_path / f"{key}-{name}.txt"
            path.write_bytes(data)
            assert_cli_error(capsys, evaluate(eval_files, **{key: path}), str(path))
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"SELECT 1\0\n")
    assert_cli_error(capsys, evaluate(eval_files, pred=nul), str(nul), "NUL")
    with pytest.raises(ValueError, match="UTF-16"):
        read_gold(tmp_path / "gold-utf16.txt")
    assert read_pred(eval_files["pred"]) == [["SELECT count(*) FROM artist", "SELECT name FROM artist"]]


def test_evaluate_outputs_into_a_missing_folder_fail_before_the_run(
    eval_files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mtsql_env.evaluation import evaluator

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(evaluator, "evaluate_files", never)
    for flag in ("--per-item", "--json"):
        target = tmp_path / "no" / "such" / "out.json"
        assert_cli_error(capsys, evaluate(eval_files, flag, str(target)), flag, str(tmp_path / "no" / "such"))
        assert_cli_error(capsys, evaluate(eval_files, flag, str(tmp_path)), flag, "is a folder")
    before = eval_files["gold"].read_bytes()
    assert_cli_error(capsys, evaluate(eval_files, "--json", str(eval_files["gold"])), "input files")
    assert eval_files["gold"].read_bytes() == before


def test_evaluate_unusable_arguments(
    eval_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_cli_error(capsys, evaluate(eval_files, db=eval_files["gold"]), "--db", "is a file")
    assert_cli_error(capsys, evaluate(eval_files, db=tmp_path / "nowhere"), "--db", "no such folder")
    assert_cli_error(capsys, evaluate(eval_files, gold=tmp_path / "none.txt"), "--gold", "no such file")
    assert_cli_error(capsys, evaluate(eval_files, table=tmp_path), "--table", "is a folder")
    for value in ("nan", "-1", "inf", "0", "soon"):
        assert_cli_error(capsys, evaluate(eval_files, "--timeout", value), "--timeout")


def test_evaluate_fails_when_nothing_is_scored(
    eval_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty_db = tmp_path / "empty-db"
    empty_db.mkdir()
    assert_cli_error(capsys, evaluate(eval_files, db=empty_db), "nothing was scored", "--db")
    blank = tmp_path / "blank.txt"
    blank.write_text("\n")
    assert_cli_error(capsys, evaluate(eval_files, pred=blank), "nothing was scored", "--pred")
    other = tmp_path / "other-gold.txt"
    other.write_text("SELECT 1 FROM t\tno_such_db\n\n")
    assert_cli_error(capsys, evaluate(eval_files, gold=other, pred=eval_files["pred"]), "nothing was scored")


LINES = st.lists(
    st.sampled_from(["", "SELECT count(*) FROM artist", "SELECT name FROM artist\tmusic_store", "\t", "x\ty\tz",
                     "SELECT * FROM nope\tmusic_store", "SELECT 1\tno_db", "SELECT (((1", "\u00e9\U0001f600\tmusic_store"]),
    max_size=8,
)  # fmt: skip


@FUZZ
@given(gold=LINES, pred=LINES, data=st.binary(max_size=40))
def test_fuzz_evaluate_files_never_crash(
    eval_files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gold: list,
    pred: list,
    data: bytes,
) -> None:
    """Any gold/pred file: a score (exit 0) or one clear line (exit 2); exit 1 would be an internal error."""
    (tmp_path / "g.txt").write_text("\n".join(gold) + "\n")
    (tmp_path / "p.txt").write_bytes(("\n".join(pred) + "\n").encode() + data)
    code = main(evaluate(eval_files, gold=tmp_path / "g.txt", pred=tmp_path / "p.txt"))
    err = capsys.readouterr().err
    assert code in (0, 2) and "internal error" not in err, err


# --------------------------------------------------------------------------------------------------
# The real `mtsql` entry point


def mtsql(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "mtsql"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mtsql_env.cli"]
    full_env = {k: v for k, v in os.environ.items() if k not in ENV_VARS} | (env or {})
    return subprocess.run(
        [*command, *args], check=False, capture_output=True, text=True, timeout=120, env=full_env, cwd=cwd
    )


def test_entry_point_prints_one_line_and_exits_2(eval_files: dict[str, Path], tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    bomb = tiny_zip(tmp_path)
    add_member(bomb, "cosql_dataset/database/huge.bin", b"x" * 10)
    patch_member(bomb, "cosql_dataset/database/huge.bin", size=3 << 30)
    runs = {
        "deep tables.json": mtsql(*evaluate(eval_files, table=deep)),
        "timeout nan": mtsql(*evaluate(eval_files, "--timeout", "nan")),
        "bomb": mtsql("data", "install", str(bomb), "--cache-dir", str(tmp_path / "cache")),
        "cache file": mtsql("data", "install", str(bomb), "--cache-dir", str(deep)),
        "bad data dir": mtsql("data", "info", env={"MTSQL_DATA_DIR": str(tmp_path / "missing")}),
        "bad max-bytes": mtsql("data", "install", str(bomb), "--max-bytes", "lots"),
        "missing split": mtsql(
            "bench", "--data-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "b")
        ),
    }
    for name, run in runs.items():
        assert run.returncode == 2, (name, run.stderr)
        assert "Traceback" not in run.stderr + run.stdout, name
        assert run.stderr.strip().splitlines()[-1].startswith(("mtsql", "usage")), (name, run.stderr)
    assert leftovers(tmp_path / "cache") == []
    debug = mtsql("--debug", *evaluate(eval_files, table=deep))
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    debug = mtsql(*evaluate(eval_files, table=deep), env={"MTSQL_DEBUG": "1"})
    assert "Traceback" in debug.stderr


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    release = make_release(
        tmp_path / "r" / "cosql_dataset",
        splits={"dev": tiny_items("gone")},
        tables=[TINY_TABLES, dict(TINY_TABLES, db_id="gone")],
    )
    run = mtsql("bench", "--data-dir", str(release), "--agent", "oracle", "--out", str(tmp_path / "b"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "gone" in run.stderr.strip().splitlines()[-1] and "skip" in run.stderr.strip().splitlines()[-1]


def test_sqlite_schema_reader_names_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a)")
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    with pytest.raises(DataFormatError, match=str(path)):
        load_eval_schema(path)
