"""Tests for finding, loading and installing CoSQL/SParC releases (mtsql_env.datasets, mtsql_env.data_cache).

Location and parsing rules run on tiny releases built here with real SQLite files; the counts and the
missing-database behaviour run on the real CoSQL dev set (skipped, with the reason, where it is absent).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REAL_DATA_DIR, REAL_RELEASE

from mtsql_env import data_cache, datasets
from mtsql_env.data_cache import data_info, install_release
from mtsql_env.datasets import (
    DataError,
    DataFormatError,
    DataNotFoundError,
    MissingDatabaseError,
    default_cache_dir,
    find_release,
    load_dataset,
    load_dialogues,
    load_sample,
    load_schemas,
    read_sqlite_schema,
)

SPARC_FIXTURE = Path(__file__).parent / "fixtures" / "sparc" / "sparc" / "dev.json"
realdata = pytest.mark.skipif(
    not (REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json").is_file(),
    reason=f"real CoSQL dev release not found at {REAL_RELEASE} (set MTSQL_DATA_DIR to the shared data folder)",
)
ENV_VARS = ("MTSQL_DATA_DIR", "MTSQL_COSQL_DIR", "MTSQL_SPARC_DIR", "MTSQL_CACHE_DIR", "XDG_CACHE_HOME")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test may see the user's data variables or cache: the cache is an empty tmp folder."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(cache))
    return cache


# --------------------------------------------------------------------------------------------------
# A tiny release, written here: one real SQLite database and its tables.json entry.

TINY_TABLES = {
    "db_id": "tiny",
    "table_names": ["owner", "pet"],
    "table_names_original": ["Owner", "Pet"],
    "column_names": [[-1, "*"], [0, "id"], [0, "name"], [1, "pet id"], [1, "owner id"], [1, "kind"]],
    "column_names_original": [[-1, "*"], [0, "Id"], [0, "Name"], [1, "PetId"], [1, "OwnerId"], [1, "Kind"]],
    "column_types": ["text", "number", "text", "number", "number", "text"],
    "primary_keys": [1, [3]],
    "foreign_keys": [[4, 1]],
}
TINY_SQL = """
CREATE TABLE Owner (Id INTEGER PRIMARY KEY, Name TEXT);
CREATE TABLE Pet (PetId INTEGER PRIMARY KEY, OwnerId INTEGER REFERENCES Owner, Kind VARCHAR(10));
INSERT INTO Owner VALUES (1, 'Ada'), (2, 'Bo');
INSERT INTO Pet VALUES (1, 1, 'cat'), (2, 1, 'dog'), (3, 2, 'dog');
"""


def tiny_items(db_id: str = "tiny", n: int = 2) -> list[dict[str, Any]]:
    return [
        {
            "database_id": db_id,
            "final": {"utterance": f"final {i}", "query": "SELECT count(*) FROM Pet"},
            "interaction": [
                {"utterance": "How many owners?", "query": "SELECT count(*) FROM Owner", "sql": {}},
                {"utterance": "And pets?", "query": "SELECT count(*) FROM Pet"},
            ],
        }
        for i in range(n)
    ]


def make_release(
    folder: Path,
    benchmark: str = "cosql",
    splits: dict[str, list[dict[str, Any]]] | None = None,
    *,
    tables: list[dict[str, Any]] | None = None,
    databases: tuple[str, ...] = ("tiny",),
) -> Path:
    """Write a release in the official layout; returns the release folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tables.json").write_text(json.dumps(tables if tables is not None else [TINY_TABLES]))
    for split, items in (splits if splits is not None else {"dev": tiny_items()}).items():
        path = datasets.split_path(folder, benchmark, split)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(items, indent=1))
    for db_id in databases:
        db_path = folder / "database" / db_id / f"{db_id}.sqlite"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(db_path)
        connection.executescript(TINY_SQL)
        connection.close()
    return folder


def make_sparc_fixture_release(folder: Path) -> Path:
    """The hand-written SParC dev file beside the real tables.json and databases (symlinked, not copied)."""
    folder.mkdir(parents=True)
    shutil.copyfile(SPARC_FIXTURE, folder / "dev.json")
    (folder / "tables.json").symlink_to(REAL_RELEASE / "tables.json")
    (folder / "database").symlink_to(REAL_RELEASE / "database", target_is_directory=True)
    return folder


# --------------------------------------------------------------------------------------------------
# Where releases are found


def test_default_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MTSQL_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("MTSQL_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "mtsql"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "mtsql"


def test_find_release_accepts_the_release_or_a_parent(tmp_path: Path) -> None:
    release = make_release(tmp_path / "dl" / "cosql_dataset")
    assert find_release("cosql", release) == release
    assert find_release("cosql", tmp_path / "dl") == release
    assert find_release("cosql", str(tmp_path / "dl")) == release


def test_find_release_search_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_env: Path
) -> None:
    in_cache = make_release(isolated_env / "cosql" / "cosql_dataset")
    in_data_dir_var = make_release(tmp_path / "shared" / "cosql_dataset")
    in_cosql_var = make_release(tmp_path / "mine" / "cosql_dataset")
    explicit = make_release(tmp_path / "explicit")
    assert find_release("cosql") == in_cache
    monkeypatch.setenv("MTSQL_DATA_DIR", str(tmp_path / "shared"))
    assert find_release("cosql") == in_data_dir_var
    monkeypatch.setenv("MTSQL_COSQL_DIR", str(in_cosql_var))
    assert find_release("cosql") == in_cosql_var
    assert find_release("cosql", explicit) == explicit
    assert find_release("cosql", cache_dir=tmp_path / "elsewhere", data_dir=explicit) == explicit


def test_find_release_returns_none_when_nothing_anywhere(tmp_path: Path) -> None:
    assert find_release("cosql") is None
    assert find_release("sparc") is None


def test_data_dir_var_without_this_benchmark_falls_through(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_env: Path
) -> None:
    make_release(tmp_path / "shared" / "cosql_dataset")
    sparc = make_release(isolated_env / "sparc" / "sparc", "sparc")
    monkeypatch.setenv("MTSQL_DATA_DIR", str(tmp_path / "shared"))  # holds CoSQL only
    assert find_release("sparc") == sparc


def test_explicit_data_dir_without_release_is_an_error(tmp_path: Path, isolated_env: Path) -> None:
    make_release(isolated_env / "cosql" / "cosql_dataset")  # must not be used silently instead
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="holds no CoSQL release") as err:
        find_release("cosql", tmp_path / "empty")
    assert str(tmp_path / "empty") in str(err.value)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_dataset("cosql", data_dir=tmp_path / "typo")


def test_explicit_data_dir_with_the_other_benchmark_says_so(tmp_path: Path) -> None:
    make_release(tmp_path / "cosql_dataset")
    with pytest.raises(DataNotFoundError, match="holds a CoSQL release, not SParC"):
        find_release("sparc", tmp_path)


def test_benchmark_env_var_pointing_nowhere_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MTSQL_SPARC_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataNotFoundError, match=r"\$MTSQL_SPARC_DIR"):
        find_release("sparc")


def test_not_found_message_says_where_and_how(isolated_env: Path) -> None:
    with pytest.raises(DataNotFoundError) as err:
        load_dataset("sparc")
    message = str(err.value)
    needles = (
        "$MTSQL_SPARC_DIR",
        "$MTSQL_DATA_DIR",
        str(isolated_env),
        "mtsql data install sparc.zip",
        "data_dir",
    )
    for needle in needles:
        assert needle in message


def test_unknown_benchmark_or_split() -> None:
    with pytest.raises(ValueError, match="benchmark"):
        load_dataset("spider")
    with pytest.raises(ValueError, match="split"):
        load_dataset("cosql", "test")


# --------------------------------------------------------------------------------------------------
# Parsing


def test_load_tiny_release_records(tmp_path: Path) -> None:
    items = tiny_items(n=3)
    items[1]["interaction_id"] = "given-7"
    del items[2]["final"]
    release = make_release(tmp_path / "r", splits={"dev": items})
    dataset = load_dataset("cosql", "dev", release)
    assert dataset.source == "cosql" and dataset.split == "dev" and not dataset.is_sample
    assert [d.dialogue_id for d in dataset.dialogues] == ["dev-0000", "tiny/given-7", "dev-0002"]
    first = dataset.dialogues[0]
    assert first.db_id == "tiny" and len(first) == 2
    assert [(t.index, t.utterance, t.query) for t in first.turns] == [
        (0, "How many owners?", "SELECT count(*) FROM Owner"),
        (1, "And pets?", "SELECT count(*) FROM Pet"),
    ]
    assert (first.final_utterance, first.final_query) == ("final 0", "SELECT count(*) FROM Pet")
    assert dataset.dialogues[2].final_query is None
    assert dataset.tables_path == release / "tables.json"
    assert dataset.db_path("tiny") == release / "database" / "tiny" / "tiny.sqlite"
    assert dataset.db_path("tiny").is_file() and dataset.num_turns == 6
    assert (dataset.skipped_dialogues, dataset.skipped_db_ids) == (0, ())


def test_schema_from_tables_json(tmp_path: Path) -> None:
    schema = load_schemas(make_release(tmp_path / "r") / "tables.json")["tiny"]
    assert [(t.name, t.original_name) for t in schema.tables] == [("owner", "Owner"), ("pet", "Pet")]
    pet = schema.table("PET")
    assert [(c.name, c.original_name, c.type, c.is_primary_key) for c in pet.columns] == [
        ("pet id", "PetId", "number", True),  # composite-style [3] primary key entry
        ("owner id", "OwnerId", "number", False),
        ("kind", "Kind", "text", False),
    ]
    assert all(c.original_name != "*" for t in schema.tables for c in t.columns)
    assert schema.foreign_keys == (datasets.ForeignKey("Pet", "OwnerId", "Owner", "Id"),)
    assert schema.raw == TINY_TABLES


def test_read_sqlite_schema_matches_the_database(tmp_path: Path) -> None:
    db_path = make_release(tmp_path / "r") / "database" / "tiny" / "tiny.sqlite"
    before = db_path.stat().st_mtime_ns
    schema = read_sqlite_schema(db_path)
    assert schema.db_id == "tiny"
    assert [t.original_name for t in schema.tables] == ["Owner", "Pet"]
    assert [(c.original_name, c.type, c.is_primary_key) for c in schema.table("pet").columns] == [
        ("PetId", "INTEGER", True),
        ("OwnerId", "INTEGER", False),
        ("Kind", "VARCHAR(10)", False),
    ]
    # "REFERENCES Owner" names no column: it means Owner's primary key.
    assert schema.foreign_keys == (datasets.ForeignKey("Pet", "OwnerId", "Owner", "Id"),)
    assert db_path.stat().st_mtime_ns == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["tiny.sqlite"]  # no journal left behind


def test_read_sqlite_schema_errors(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="no such SQLite file"):
        read_sqlite_schema(tmp_path / "nope.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataFormatError, match="junk.sqlite"):
        read_sqlite_schema(junk)


def test_malformed_split_json_names_file_and_position(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r")
    split_file = release / "sql_state_tracking" / "cosql_dev.json"
    split_file.write_text('[\n  {"database_id": "tiny",\n   "interaction": [}\n]')
    with pytest.raises(DataFormatError) as err:
        load_dataset("cosql", data_dir=release)
    assert str(split_file) in str(err.value) and "line 3, column" in str(err.value)


def test_malformed_tables_json_names_it(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r")
    (release / "tables.json").write_text('[{"db_id": "tiny",')
    with pytest.raises(DataFormatError, match=r"tables\.json: invalid JSON at line 1"):
        load_dataset("cosql", data_dir=release)


def test_missing_tables_json_names_it(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r")
    (release / "tables.json").unlink()
    with pytest.raises(DataFormatError) as err:
        load_dataset("cosql", data_dir=release)
    assert str(release / "tables.json") in str(err.value)


def test_tables_entry_with_bad_indexes(tmp_path: Path) -> None:
    bad = dict(TINY_TABLES, foreign_keys=[[4, 99]])
    release = make_release(tmp_path / "r", tables=[bad])
    with pytest.raises(
        DataFormatError, match=r"entry 0 \(tiny\): .foreign_keys. has an entry that is not a column index"
    ):
        load_schemas(release / "tables.json")
    del bad["column_types"]
    (release / "tables.json").write_text(json.dumps([bad]))
    with pytest.raises(DataFormatError, match="missing key.*column_types"):
        load_schemas(release / "tables.json")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda items: items[1].pop("database_id"), r"item 1: missing required key 'database_id'"),
        (lambda items: items[0].pop("interaction"), r"item 0: missing required key 'interaction'"),
        (
            lambda items: items[1]["interaction"][1].pop("query"),
            r"item 1, turn 1: missing required key 'query'",
        ),
        (
            lambda items: items[0]["interaction"][0].pop("utterance"),
            r"item 0, turn 0: missing required key 'utterance'",
        ),
        (
            lambda items: items[0]["interaction"][0].update(query=None),
            r"item 0, turn 0: 'query' should be a str",
        ),
    ],
)
def test_missing_required_keys_name_file_and_item(tmp_path: Path, mutate: Any, expected: str) -> None:
    items = tiny_items()
    mutate(items)
    release = make_release(tmp_path / "r", splits={"dev": items})
    with pytest.raises(DataFormatError, match=expected) as err:
        load_dataset("cosql", data_dir=release)
    assert "cosql_dev.json" in str(err.value)


def test_db_id_absent_from_tables_json(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r", splits={"dev": tiny_items() + tiny_items("ghost", 1)})
    with pytest.raises(DataFormatError, match="not described in .*tables.json: ghost"):
        load_dataset("cosql", data_dir=release)


def test_duplicate_release_ids_are_rejected(tmp_path: Path) -> None:
    items = tiny_items()
    for item in items:
        item["interaction_id"] = 5
    release = make_release(tmp_path / "r", splits={"dev": items})
    with pytest.raises(DataFormatError, match="not unique: tiny/5"):
        load_dataset("cosql", data_dir=release)


def test_dialogues_without_turns_are_left_out_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items = tiny_items(n=3)
    items[1]["interaction"] = []
    release = make_release(tmp_path / "r", splits={"dev": items})
    with caplog.at_level(logging.WARNING, logger="mtsql_env.datasets"):
        dataset = load_dataset("cosql", data_dir=release)
    assert [d.dialogue_id for d in dataset.dialogues] == ["dev-0000", "dev-0002"]
    assert "1 dialogue(s) have no turns" in caplog.text


def test_missing_split_file_names_it(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r")
    with pytest.raises(DataNotFoundError, match="no train split.*cosql_train.json"):
        load_dataset("cosql", "train", release)


def test_reload_sees_an_edited_file(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r")
    first = load_dataset("cosql", data_dir=release)
    assert load_dataset("cosql", data_dir=release).dialogues == first.dialogues
    split_file = release / "sql_state_tracking" / "cosql_dev.json"
    split_file.write_text(json.dumps(tiny_items(n=5)))
    os.utime(split_file, ns=(1, 1))  # a different mtime even on coarse-clock filesystems
    assert len(load_dataset("cosql", data_dir=release).dialogues) == 5


def test_missing_database_raises_or_skips_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = dict(TINY_TABLES, db_id="gone")
    items = tiny_items(n=2) + tiny_items("gone", 3)
    release = make_release(tmp_path / "r", splits={"dev": items}, tables=[TINY_TABLES, other])
    with pytest.raises(MissingDatabaseError) as err:
        load_dataset("cosql", data_dir=release)
    assert err.value.db_ids == ("gone",)
    assert err.value.dialogues_affected == {"gone": 3}
    assert err.value.turns_affected == {"gone": 6}
    assert "skip_missing_databases=True" in str(err.value) and "--skip-missing-databases" in str(err.value)
    with caplog.at_level(logging.WARNING, logger="mtsql_env.datasets"):
        dataset = load_dataset("cosql", data_dir=release, skip_missing_databases=True)
    assert [d.dialogue_id for d in dataset.dialogues] == ["dev-0000", "dev-0001"]
    assert (dataset.skipped_dialogues, dataset.skipped_db_ids) == (3, ("gone",))
    assert "left out 3 dialogue(s)" in caplog.text and "gone" in caplog.text


def test_sparc_layout_loads(tmp_path: Path) -> None:
    items = tiny_items()
    for item in items:
        for turn in item["interaction"]:
            turn.pop("sql", None)
    items[0]["interaction_id"] = 42
    release = make_release(tmp_path / "sparc", "sparc", {"dev": items, "train": tiny_items(n=1)})
    dataset = load_dataset("sparc", "dev", tmp_path)
    assert dataset.source == "sparc" and dataset.root == release
    assert [d.dialogue_id for d in dataset.dialogues] == ["tiny/42", "dev-0001"]
    assert [d.dialogue_id for d in load_dataset("sparc", "train", tmp_path).dialogues] == ["train-0000"]


def test_fallback_to_sample_is_loud_and_only_without_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_sample = make_release(tmp_path / "pkg" / "cosql_dataset")
    monkeypatch.setattr(datasets, "sample_dir", lambda: fake_sample)
    with caplog.at_level(logging.WARNING, logger="mtsql_env.datasets"):
        dataset = load_dataset("sparc", "dev", fallback_to_sample=True)
    assert dataset.is_sample and dataset.source == "sample" and len(dataset.dialogues) == 2
    assert "bundled sample" in caplog.text
    with pytest.raises(DataNotFoundError):
        load_dataset("sparc", "dev")  # no opt-in: no fallback
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError):
        load_dataset("sparc", "dev", tmp_path / "empty", fallback_to_sample=True)  # explicit path wins


@pytest.mark.skipif(
    not (datasets.sample_dir() / "sql_state_tracking" / "cosql_dev.json").is_file(),
    reason="the bundled sample's dialogues (mtsql_env/sample_data/cosql_dataset/sql_state_tracking) "
    "are not in this checkout yet",
)
def test_bundled_sample_loads() -> None:
    dataset = load_sample("dev")
    assert dataset.is_sample and dataset.dialogues
    for dialogue in dataset.dialogues:
        assert dialogue.turns and dataset.db_path(dialogue.db_id).is_file()
        assert dialogue.db_id in dataset.schemas


# --------------------------------------------------------------------------------------------------
# The real CoSQL dev set


@realdata
@pytest.mark.realdata
def test_real_cosql_dev_counts() -> None:
    dialogues = load_dialogues(REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json", "dev")
    assert len(dialogues) == 293
    assert sum(len(d.turns) for d in dialogues) == 1007
    assert len({d.db_id for d in dialogues}) == 20
    assert len({d.dialogue_id for d in dialogues}) == 293
    assert dialogues[0].dialogue_id == "dev-0000" and dialogues[-1].dialogue_id == "dev-0292"


@realdata
@pytest.mark.realdata
def test_real_cosql_missing_wta_1_needs_opt_in(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(MissingDatabaseError) as err:
        load_dataset("cosql", "dev", REAL_DATA_DIR)
    assert err.value.db_ids == ("wta_1",)
    assert err.value.dialogues_affected == {"wta_1": 17}
    assert err.value.turns_affected == {"wta_1": 59}
    assert "wta_1 (17 dialogues, 59 turns)" in str(err.value)
    with caplog.at_level(logging.WARNING, logger="mtsql_env.datasets"):
        dataset = load_dataset("cosql", "dev", REAL_DATA_DIR, skip_missing_databases=True)
    assert len(dataset.dialogues) == 276 and dataset.num_turns == 1007 - 59
    assert (dataset.skipped_dialogues, dataset.skipped_db_ids) == (17, ("wta_1",))
    assert "left out 17 dialogue(s) (59 turns)" in caplog.text
    assert all(dataset.db_path(d.db_id).is_file() for d in dataset.dialogues)
    # ids keep their positions in the release, so they mean the same dialogue with or without the skip
    full = {d.dialogue_id: d for d in load_dialogues(REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json")}
    assert all(full[d.dialogue_id] == d for d in dataset.dialogues)


@realdata
@pytest.mark.realdata
def test_real_schemas_all_load_and_agree_with_sqlite() -> None:
    schemas = load_schemas(REAL_RELEASE / "tables.json")
    assert len(schemas) == 166
    raw = json.loads((REAL_RELEASE / "tables.json").read_text())
    for entry in raw:
        schema = schemas[entry["db_id"]]
        assert sum(len(t.columns) for t in schema.tables) == len(entry["column_names_original"]) - 1
        assert len(schema.foreign_keys) == len(entry["foreign_keys"])
    on_disk = sorted(
        p.name for p in (REAL_RELEASE / "database").iterdir() if (p / f"{p.name}.sqlite").is_file()
    )
    assert len(on_disk) == 19 and "wta_1" not in on_disk
    for db_id in on_disk:
        from_sqlite = read_sqlite_schema(
            REAL_RELEASE / "database" / db_id / f"{db_id}.sqlite", include_internal=True
        )
        from_json = schemas[db_id]

        def key(schema: datasets.Schema) -> tuple[set[Any], set[Any]]:
            columns = {(c.table.lower(), c.original_name.lower()) for t in schema.tables for c in t.columns}
            fks = {
                tuple(x.lower() for x in (f.table, f.column, f.ref_table, f.ref_column))
                for f in schema.foreign_keys
            }
            return columns, fks

        assert key(from_sqlite) == key(from_json), db_id
    world = read_sqlite_schema(REAL_RELEASE / "database" / "world_1" / "world_1.sqlite")
    assert "sqlite_sequence" not in [t.original_name for t in world.tables]


@realdata
@pytest.mark.realdata
def test_real_data_found_through_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTSQL_DATA_DIR", str(REAL_DATA_DIR))
    dataset = load_dataset("cosql", "dev", skip_missing_databases=True)
    assert dataset.root.resolve() == REAL_RELEASE.resolve() and len(dataset.dialogues) == 276
    monkeypatch.setenv("MTSQL_COSQL_DIR", str(REAL_RELEASE))
    assert find_release("cosql") == REAL_RELEASE


@realdata
@pytest.mark.realdata
def test_sparc_fixture_over_real_databases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    release = make_sparc_fixture_release(tmp_path / "sparc")
    monkeypatch.setenv("MTSQL_SPARC_DIR", str(tmp_path))
    dataset = load_dataset("sparc", "dev")
    assert dataset.root == release and dataset.source == "sparc"
    assert [d.dialogue_id for d in dataset.dialogues] == [
        "concert_singer/101",
        "dev-0001",
        "car_1/103",
        "dev-0003",
    ]
    assert [d.db_id for d in dataset.dialogues] == ["concert_singer", "pets_1", "car_1", "concert_singer"]
    assert dataset.num_turns == 10
    for dialogue in dataset.dialogues:  # every gold query runs on the real database, opened read-only
        uri = dataset.db_path(dialogue.db_id).resolve().as_uri() + "?mode=ro"
        with sqlite3.connect(uri, uri=True) as connection:
            for turn in dialogue.turns:
                assert connection.execute(turn.query).fetchall(), turn.query
        assert dialogue.final_query == dialogue.turns[-1].query


# --------------------------------------------------------------------------------------------------
# Installing releases


def zip_folder(
    folder: Path, archive: Path, *, prefix: str = "", only_dbs: tuple[str, ...] | None = None
) -> Path:
    """Zip ``folder`` (following symlinks) under ``prefix``; keep only ``only_dbs`` of its databases."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            is_db = rel.parts[0] == "database" and len(rel.parts) > 1
            if is_db and only_dbs is not None and rel.parts[1] not in only_dbs:
                continue
            if path.is_file():
                out.write(path, f"{prefix}{rel.as_posix()}")
    return archive


@realdata
@pytest.mark.realdata
def test_install_official_style_zip(
    tmp_path: Path, isolated_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = zip_folder(
        REAL_RELEASE, tmp_path / "cosql_dataset.zip", prefix="cosql_dataset/", only_dbs=("car_1", "pets_1")
    )
    with caplog.at_level(logging.WARNING):
        release = install_release(archive)
    assert release == isolated_env / "cosql" / "cosql_dataset"
    assert "wta_1 has no SQLite file (17 dialogues, 59 turns" in caplog.text
    assert find_release("cosql") == release
    with pytest.raises(MissingDatabaseError) as err:
        load_dataset("cosql")
    assert len(err.value.db_ids) == 18 and err.value.dialogues_affected["wta_1"] == 17
    dataset = load_dataset("cosql", skip_missing_databases=True)
    assert {d.db_id for d in dataset.dialogues} == {"car_1", "pets_1"}
    assert len(dataset.dialogues) == 30 + 13
    assert len(dataset.schemas) == 166


def test_install_zip_without_top_folder_and_nested_zip(tmp_path: Path) -> None:
    release = make_release(tmp_path / "src" / "cosql_dataset")
    flat = zip_folder(release, tmp_path / "flat.zip")
    installed = install_release(flat, tmp_path / "c1")
    assert installed == tmp_path / "c1" / "cosql" / "cosql_dataset"
    assert len(load_dataset("cosql", cache_dir=tmp_path / "c1").dialogues) == 2
    inner = zip_folder(release, tmp_path / "cosql_dataset.zip", prefix="cosql_dataset/")
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as outer:
        outer.write(inner, "download/cosql_dataset.zip")
        outer.writestr("__MACOSX/._cosql_dataset.zip", b"junk")
    installed = install_release(tmp_path / "download.zip", tmp_path / "c2")
    assert sorted(p.name for p in installed.iterdir()) == ["database", "sql_state_tracking", "tables.json"]
    assert len(load_dataset("cosql", cache_dir=tmp_path / "c2").dialogues) == 2


def test_install_from_folder_copies_and_replaces(tmp_path: Path) -> None:
    source = make_release(tmp_path / "src" / "sparc", "sparc")
    (source / ".DS_Store").write_bytes(b"x")
    source.chmod(0o555)  # release folders may be read-only; the copy must not inherit that
    try:
        installed = install_release(tmp_path / "src", tmp_path / "cache")
    finally:
        source.chmod(0o755)
    assert installed == tmp_path / "cache" / "sparc" / "sparc"
    assert not (installed / ".DS_Store").exists()
    assert stat.S_IMODE(installed.stat().st_mode) & 0o200
    (source / "dev.json").write_text(json.dumps(tiny_items(n=4)))
    assert install_release(source, tmp_path / "cache") == installed
    assert len(load_dataset("sparc", cache_dir=tmp_path / "cache").dialogues) == 4
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["sparc"]  # no staging folders left


@realdata
@pytest.mark.realdata
def test_install_from_folder_never_follows_links_out_of_it(tmp_path: Path) -> None:
    # Folder installs used to follow these links and copy whatever they pointed at; now they are refused.
    make_sparc_fixture_release(tmp_path / "dl" / "sparc")
    with pytest.raises(DataFormatError, match="symbolic link to .* not a file inside"):
        install_release(tmp_path / "dl", tmp_path / "cache", benchmark="sparc")
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []  # nothing half-installed
    # the same release with its files copied in (the three databases the fixture uses) installs
    release = tmp_path / "copy" / "sparc"
    (release / "database").mkdir(parents=True)
    shutil.copyfile(SPARC_FIXTURE, release / "dev.json")
    shutil.copyfile(REAL_RELEASE / "tables.json", release / "tables.json")
    for db_id in ("concert_singer", "pets_1", "car_1"):
        shutil.copytree(REAL_RELEASE / "database" / db_id, release / "database" / db_id)
    installed = install_release(tmp_path / "copy", tmp_path / "cache", benchmark="sparc")
    assert (installed / "database" / "car_1" / "car_1.sqlite").is_file()
    assert len(load_dataset("sparc", cache_dir=tmp_path / "cache").dialogues) == 4


def test_install_both_benchmarks_needs_a_choice(tmp_path: Path) -> None:
    make_release(tmp_path / "both" / "cosql_dataset")
    make_release(tmp_path / "both" / "sparc", "sparc")
    with pytest.raises(DataFormatError, match="both a CoSQL and a SParC"):
        install_release(tmp_path / "both", tmp_path / "cache")
    assert install_release(tmp_path / "both", tmp_path / "cache", benchmark="sparc").name == "sparc"


def test_install_rejects_what_is_not_a_release(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="does not exist"):
        install_release(tmp_path / "nothing.zip", tmp_path / "cache")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataFormatError, match="neither a folder nor a zip"):
        install_release(tmp_path / "notes.txt", tmp_path / "cache")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("spider/README.txt", "not a multi-turn release")
    with pytest.raises(DataFormatError, match="holds no CoSQL or SParC release"):
        install_release(tmp_path / "other.zip", tmp_path / "cache")


def test_install_validates_before_replacing(tmp_path: Path) -> None:
    good = install_release(make_release(tmp_path / "good" / "cosql_dataset"), tmp_path / "cache")
    bad = make_release(tmp_path / "bad" / "cosql_dataset")
    (bad / "sql_state_tracking" / "cosql_dev.json").write_text("[{")
    with pytest.raises(DataFormatError, match="invalid JSON"):
        install_release(bad, tmp_path / "cache")
    assert len(load_dataset("cosql", data_dir=good).dialogues) == 2  # the earlier install is intact


@pytest.mark.parametrize(
    "member",
    ["../evil.txt", "cosql_dataset/../../evil.txt", "/tmp/mtsql-evil.txt", "C:/evil.txt", "..\\evil.txt"],
)
def test_install_rejects_path_traversal(tmp_path: Path, member: str) -> None:
    archive = zip_folder(
        make_release(tmp_path / "src" / "cosql_dataset"), tmp_path / "x.zip", prefix="cosql_dataset/"
    )
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(member, "owned")
    with pytest.raises(DataFormatError, match="unsafe member"):
        install_release(archive, tmp_path / "cache" / "inner")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "cache" / "evil.txt").exists()
    assert not Path("/tmp/mtsql-evil.txt").exists()
    assert not (tmp_path / "cache" / "inner" / "cosql").exists()


def test_install_rejects_symlink_members(tmp_path: Path) -> None:
    archive = zip_folder(
        make_release(tmp_path / "src" / "cosql_dataset"), tmp_path / "x.zip", prefix="cosql_dataset/"
    )
    link = zipfile.ZipInfo("cosql_dataset/database/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(link, "/etc")
    with pytest.raises(DataFormatError, match="symbolic link"):
        install_release(archive, tmp_path / "cache")


# --------------------------------------------------------------------------------------------------
# data_info


@realdata
@pytest.mark.realdata
def test_data_info_on_real_data(tmp_path: Path) -> None:
    entries = data_info(data_dir=REAL_DATA_DIR)
    assert [e["benchmark"] for e in entries] == ["cosql"]
    (entry,) = entries
    assert (
        entry["found_via"] == "data_dir argument" and entry["schemas"] == 166 and entry["sqlite_files"] == 19
    )
    (dev,) = entry["splits"]
    assert (dev["split"], dev["dialogues"], dev["turns"], dev["databases"], dev["databases_present"]) == (
        "dev",
        293,
        1007,
        20,
        19,
    )
    assert dev["missing_databases"] == {"wta_1": 17} and dev["missing_turns"] == {"wta_1": 59}


def test_data_info_reports_cache_and_broken_splits(tmp_path: Path, isolated_env: Path) -> None:
    assert data_info() == []
    release = install_release(make_release(tmp_path / "src" / "sparc", "sparc"))
    (release / "train.json").write_text("{oops")
    (entry,) = data_info()
    assert (
        entry["benchmark"] == "sparc" and entry["found_via"] == "cache" and entry["release"] == str(release)
    )
    splits = {s["split"]: s for s in entry["splits"]}
    assert splits["dev"]["dialogues"] == 2 and splits["dev"]["missing_databases"] == {}
    assert "invalid JSON" in splits["train"]["error"]
    with pytest.raises(DataNotFoundError):
        data_info(data_dir=tmp_path / "nowhere")


def test_every_error_is_a_data_error() -> None:
    for error in (DataNotFoundError, DataFormatError, MissingDatabaseError):
        assert issubclass(error, DataError)
    assert data_cache.safe_extract.__doc__
