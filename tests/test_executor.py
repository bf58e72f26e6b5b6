"""Tests for the safe SQLite executor, on copies of real Spider/CoSQL databases and a tiny built one."""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import math
import multiprocessing
import os
import pickle
import shutil
import sqlite3
import stat
import time
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import REAL_DATA_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtsql_env.executor import (
    DatabaseFileError,
    ErrorKind,
    ExecutionResult,
    ExecutorConfig,
    SQLiteExecutor,
    classify_error,
)

DATABASE_DIR = REAL_DATA_DIR / "cosql_dataset" / "database"
GOLD_FILE = REAL_DATA_DIR / "reference" / "cosql_dev_gold.txt"
REAL_DB_IDS = ("concert_singer", "pets_1", "world_1")

needs_data = pytest.mark.skipif(
    not (DATABASE_DIR / "concert_singer" / "concert_singer.sqlite").exists(),
    reason=f"CoSQL databases not found under {REAL_DATA_DIR} (set MTSQL_DATA_DIR)",
)

INFINITE_CTE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
ENDLESS_ROWS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c"


# -- fixtures ------------------------------------------------------------------------------------------


def _build_tiny(path: Path) -> Path:
    """A small database with text, reals, blobs, NULLs, invalid UTF-8 and a 1000-row table."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, score REAL, photo BLOB);
        INSERT INTO person VALUES (1, 'Ann', 3.5, x'00ff'), (2, 'Bob', NULL, NULL), (3, 'Cé', 1.0, NULL);
        CREATE TABLE big(n INTEGER);
        CREATE TABLE messy(id INTEGER, label TEXT);
        INSERT INTO messy VALUES (1, CAST(x'61ff62' AS TEXT)), (2, 'ok'), (3, CAST(x'c3a9e2' AS TEXT));
        """
    )
    conn.executemany("INSERT INTO big VALUES (?)", [(i,) for i in range(1000)])
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    return _build_tiny(tmp_path / "tiny.sqlite")


@pytest.fixture
def real_dbs(tmp_path: Path) -> dict[str, Path]:
    """Writable copies of real Spider databases in their own folders (so any write would show)."""
    if not (DATABASE_DIR / "concert_singer" / "concert_singer.sqlite").exists():
        pytest.skip(f"CoSQL databases not found under {REAL_DATA_DIR} (set MTSQL_DATA_DIR)")
    copies = {}
    for db_id in REAL_DB_IDS:
        target = tmp_path / "db" / db_id / f"{db_id}.sqlite"
        target.parent.mkdir(parents=True)
        shutil.copyfile(DATABASE_DIR / db_id / f"{db_id}.sqlite", target)
        copies[db_id] = target
    return copies


@pytest.fixture
def executor() -> SQLiteExecutor:
    ex = SQLiteExecutor()
    yield ex
    ex.close()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256, to prove nothing was written or created."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _raw_rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = lambda b: b.decode(errors="ignore")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _count_opens(caplog: pytest.LogCaptureFixture) -> int:
    return sum("read-only in thread" in r.getMessage() for r in caplog.records)


# -- results on real databases -------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM singer",
        "SELECT * FROM singer ORDER BY Age DESC",
        "SELECT T1.Name, count(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID "
        "GROUP BY T1.Name",
        "SELECT Name FROM singer WHERE Age > 100",
        "SELECT avg(Age), max(Age), min(Age) FROM singer WHERE Country = 'France'",
    ],
)
def test_results_match_raw_sqlite_on_real_db(
    executor: SQLiteExecutor, real_dbs: dict[str, Path], sql: str
) -> None:
    path = real_dbs["concert_singer"]
    result = executor.execute(path, sql)
    assert result.ok and result.error is None and result.message == ""
    assert list(result.rows) == _raw_rows(path, sql)
    assert result.columns == tuple(d[0] for d in sqlite3.connect(path).execute(sql).description)
    assert result.status == ("ok" if result.rows else "empty")
    assert result.empty == (not result.rows)
    assert not result.truncated and result.elapsed_s >= 0


@pytest.mark.realdata
def test_every_cosql_dev_gold_query_matches_raw_sqlite(executor: SQLiteExecutor) -> None:
    """The evaluator's hot path: all runnable dev gold queries give sqlite3's own rows."""
    if not GOLD_FILE.exists():
        pytest.skip(f"{GOLD_FILE} not found")
    ran = errors = 0
    for line in GOLD_FILE.read_text().splitlines():
        if not line.strip():
            continue
        sql, db_id = line.rsplit("\t", 1)
        sql = sql.replace("> =", ">=").replace("< =", "<=").replace("! =", "!=")
        path = DATABASE_DIR / db_id / f"{db_id}.sqlite"
        if not path.exists():  # wta_1 is not shipped
            continue
        result = executor.execute(path, sql, max_rows=10**9, timeout_s=math.inf)
        try:
            expected = _raw_rows(path, sql)
        except sqlite3.Error as exc:
            assert result.error is not None and result.message == str(exc)
            errors += 1
        else:
            assert result.ok, (sql, result.message)
            assert list(result.rows) == expected, sql
        ran += 1
    assert ran > 900
    assert errors <= 5  # the release has a couple of broken gold queries (stray ")", T1.id)


@pytest.mark.realdata
@needs_data
def test_opens_shared_read_only_data_in_place(executor: SQLiteExecutor) -> None:
    """The shared data folder has no write bits in CI; opening must not need them."""
    path = DATABASE_DIR / "concert_singer" / "concert_singer.sqlite"
    result = executor.execute(path, "SELECT count(*) FROM singer")
    assert result.rows == ((len(_raw_rows(path, "SELECT * FROM singer")),),)


def test_read_only_file_in_read_only_folder(tmp_path: Path, executor: SQLiteExecutor) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _build_tiny(folder / "tiny.sqlite")
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        before = _snapshot(folder)
        assert executor.execute(path, "SELECT name FROM person ORDER BY id").rows == (
            ("Ann",),
            ("Bob",),
            ("Cé",),
        )
        assert executor.execute(path, "DELETE FROM person").error is ErrorKind.FORBIDDEN
        assert _snapshot(folder) == before
    finally:
        folder.chmod(stat.S_IRWXU)


def test_non_immutable_mode_also_reads(tiny_db: Path) -> None:
    with SQLiteExecutor(ExecutorConfig(immutable=False)) as ex:
        assert ex.execute(tiny_db, "SELECT count(*) FROM big").rows == ((1000,),)
        assert ex.execute(tiny_db, "DROP TABLE big").error is ErrorKind.FORBIDDEN
    assert _raw_rows(tiny_db, "SELECT count(*) FROM big") == [(1000,)]


# -- error classification --------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELEC Name FROM singer", ErrorKind.SYNTAX),
        ("SELECT Name FROM singer WHERE", ErrorKind.SYNTAX),  # incomplete input
        ("SELECT Name FROM singer WHERE Name = 'Joe", ErrorKind.SYNTAX),  # unrecognized token
        ("SELECT Name FORM singer", ErrorKind.SYNTAX),
        ("SELECT Name FROM singers", ErrorKind.UNKNOWN_TABLE),
        ("SELECT Nme FROM singer", ErrorKind.UNKNOWN_COLUMN),
        ("SELECT T1.id FROM singer AS T1", ErrorKind.UNKNOWN_COLUMN),
        ("SELECT Singer_ID FROM singer JOIN singer_in_concert", ErrorKind.UNKNOWN_COLUMN),  # ambiguous
        ("SELECT no_such_function(Age) FROM singer", ErrorKind.OTHER),
        ("SELECT Name FROM singer WHERE Age IN (SELECT Age, Name FROM singer)", ErrorKind.OTHER),
    ],
)
def test_errors_are_classified(
    executor: SQLiteExecutor, real_dbs: dict[str, Path], sql: str, kind: ErrorKind
) -> None:
    result = executor.execute(real_dbs["concert_singer"], sql)
    assert result.error is kind
    assert result.status == "error" and not result.ok and not result.empty
    try:
        _raw_rows(real_dbs["concert_singer"], sql)
    except sqlite3.Error as exc:
        assert result.message == str(exc)  # SQLite's own message, untouched
    else:
        pytest.fail(f"raw sqlite3 accepted {sql!r}")


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ('near "SELEC": syntax error', ErrorKind.SYNTAX),
        ("incomplete input", ErrorKind.SYNTAX),
        ('unrecognized token: "\'Joe"', ErrorKind.SYNTAX),
        ("no such table: singers", ErrorKind.UNKNOWN_TABLE),
        ("no such column: syntax error", ErrorKind.UNKNOWN_COLUMN),  # user text after the colon
        ("ambiguous column name: Singer_ID", ErrorKind.UNKNOWN_COLUMN),
        ("interrupted", ErrorKind.TIMEOUT),
        ("not authorized", ErrorKind.FORBIDDEN),
        ("attempt to write a readonly database", ErrorKind.FORBIDDEN),
        ("You can only execute one statement at a time.", ErrorKind.FORBIDDEN),
        ("no such function: foo", ErrorKind.OTHER),
        ("", ErrorKind.OTHER),
    ],
)
def test_classify_error(message: str, kind: ErrorKind) -> None:
    assert classify_error(message) is kind


# -- nothing can be written -------------------------------------------------------------------------------

FORBIDDEN_SQL = [
    "DROP TABLE singer",
    "DELETE FROM singer",
    "INSERT INTO singer (Singer_ID, Name) VALUES (99, 'x')",
    "UPDATE singer SET Age = 0",
    "CREATE TABLE t(x)",
    "CREATE TEMP TABLE t(x)",
    "CREATE VIEW v AS SELECT 1",
    "CREATE INDEX i ON singer(Age)",
    "ALTER TABLE singer ADD COLUMN x",
    "ATTACH 'attached_new.db' AS x",
    "ATTACH DATABASE ':memory:' AS m",
    "DETACH DATABASE main",
    "VACUUM",
    "VACUUM INTO 'vacuum_copy.db'",
    "PRAGMA writable_schema=1",
    "PRAGMA query_only=0",
    "PRAGMA journal_mode=DELETE",
    "REINDEX",
    "ANALYZE",
    "BEGIN",
    "SAVEPOINT s",
    "SELECT load_extension('libevil')",
    "SELECT 1; DROP TABLE singer",
    "SELECT Name FROM singer; DELETE FROM singer;",
    "SELECT ';'; DROP TABLE singer",
    "SELECT 1;;",  # CPython refuses it too, so the official evaluator scores it as an error
    "DROP TABLE singer; SELECT 1",
    "WITH x AS (SELECT 1) DELETE FROM singer",
]


@pytest.mark.realdata
@pytest.mark.parametrize("sql", FORBIDDEN_SQL)
def test_writes_and_escapes_are_forbidden(
    executor: SQLiteExecutor,
    real_dbs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sql: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # relative ATTACH / VACUUM INTO targets would land here
    path = real_dbs["concert_singer"]
    executor.execute(path, "SELECT 1")  # connection open before the attack
    before = _snapshot(tmp_path)
    result = executor.execute(path, sql)
    assert result.error is ErrorKind.FORBIDDEN, result
    assert _snapshot(tmp_path) == before  # byte-identical, and no new file anywhere
    assert executor.execute(path, "SELECT count(*) FROM singer").rows == ((6,),)


def test_vacuum_into_absolute_path_creates_nothing(
    executor: SQLiteExecutor, tiny_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere" / "copy.db"
    target.parent.mkdir()
    result = executor.execute(tiny_db, f"VACUUM INTO '{target}'")
    assert result.error is ErrorKind.FORBIDDEN
    assert not target.exists()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1;",
        "SELECT 1 ;  \n",
        "SELECT 1; -- a comment after the statement",
        "SELECT 1 /* ; DROP TABLE singer */",
        "SELECT Name FROM singer WHERE Name = 'a; DROP TABLE singer'",
        "SELECT ';' AS semi FROM singer LIMIT 1;",
    ],
)
def test_semicolons_in_literals_and_one_trailing_are_fine(
    executor: SQLiteExecutor, real_dbs: dict[str, Path], sql: str
) -> None:
    before = _snapshot(real_dbs["concert_singer"].parent)
    result = executor.execute(real_dbs["concert_singer"], sql)
    assert result.ok, result
    assert list(result.rows) == _raw_rows(real_dbs["concert_singer"], sql)
    assert _snapshot(real_dbs["concert_singer"].parent) == before


def test_text_without_a_statement_runs_nothing(executor: SQLiteExecutor, tiny_db: Path) -> None:
    for sql in ("", "   ", "-- nothing here", "/* nor here */"):
        result = executor.execute(tiny_db, sql)
        assert result.ok and result.empty and result.columns == () and result.status == "empty"


def test_read_only_pragmas_are_allowed(executor: SQLiteExecutor, tiny_db: Path) -> None:
    result = executor.execute(tiny_db, "PRAGMA table_info(person)")
    assert result.ok
    assert [row[1] for row in result.rows] == ["id", "name", "score", "photo"]
    assert executor.execute(tiny_db, "PRAGMA foreign_key_list(person)").empty


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sql=st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(
                [
                    "SELECT",
                    "*",
                    "name",
                    "FROM",
                    "person",
                    "big",
                    "WHERE",
                    "=",
                    "'x'",
                    ";",
                    "DROP",
                    "TABLE",
                    "INSERT",
                    "INTO",
                    "VALUES",
                    "(",
                    ")",
                    "1",
                    ",",
                    "ATTACH",
                    "PRAGMA",
                    "--",
                    "/*",
                    "UNION",
                ]
            ),
            max_size=12,
        ).map(" ".join),
    )
)
def test_never_raises_and_never_writes(tiny_db: Path, sql: str) -> None:
    before = _snapshot(tiny_db.parent)
    with SQLiteExecutor(ExecutorConfig(timeout_s=0.5)) as ex:
        result = ex.execute(tiny_db, sql)
        assert isinstance(result, ExecutionResult)
        assert (result.error is None) == result.ok
        assert ex.execute(tiny_db, "SELECT count(*) FROM person").rows == ((3,),)
    assert _snapshot(tiny_db.parent) == before


@pytest.mark.parametrize("sql", [None, 42, "SELECT 1\x00", "SELECT '\ud800'"])
def test_odd_inputs_become_errors(executor: SQLiteExecutor, tiny_db: Path, sql: object) -> None:
    result = executor.execute(tiny_db, sql)  # type: ignore[arg-type]
    assert result.error is not None and result.message


# -- time limit -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        INFINITE_CTE,
        "SELECT count(*) FROM big AS a, big AS b, big AS c",  # 10^9 rows
        # first row at once, the rest never: the deadline must hold while rows are fetched
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c WHERE x = 1 OR x < 0",
    ],
)
def test_timeout_within_twice_the_limit(executor: SQLiteExecutor, tiny_db: Path, sql: str) -> None:
    limit = 0.3
    start = time.perf_counter()
    result = executor.execute(tiny_db, sql, timeout_s=limit)
    wall = time.perf_counter() - start
    assert result.error is ErrorKind.TIMEOUT
    assert result.status == "error" and "interrupted" in result.message
    assert limit <= result.elapsed_s <= wall < 2 * limit
    follow_up = executor.execute(tiny_db, "SELECT count(*) FROM big")
    assert follow_up.rows == ((1000,),) and follow_up.elapsed_s < 0.1


@pytest.mark.realdata
def test_config_timeout_applies_to_real_cross_join(real_dbs: dict[str, Path]) -> None:
    with SQLiteExecutor(ExecutorConfig(timeout_s=0.25)) as ex:
        sql = "SELECT count(*) FROM city AS a, city AS b, country AS c"
        start = time.perf_counter()
        result = ex.execute(real_dbs["world_1"], sql)
        assert result.error is ErrorKind.TIMEOUT
        assert time.perf_counter() - start < 0.5
        assert ex.execute(real_dbs["world_1"], "SELECT count(*) FROM country").ok


def test_no_time_limit_with_inf(tiny_db: Path) -> None:
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200000) SELECT count(*) FROM c"
    with SQLiteExecutor(ExecutorConfig(timeout_s=math.inf)) as ex:
        assert ex.execute(tiny_db, sql).rows == ((200000,),)


# -- row and byte caps ------------------------------------------------------------------------------------


def test_endless_rows_are_capped_fast(executor: SQLiteExecutor, tiny_db: Path) -> None:
    result = executor.execute(tiny_db, ENDLESS_ROWS, max_rows=1000)
    assert result.ok and result.truncated and result.status == "ok"
    assert result.rows == tuple((i,) for i in range(1, 1001))
    assert result.elapsed_s < 0.5


def test_default_row_cap_on_cross_join(executor: SQLiteExecutor, tiny_db: Path) -> None:
    result = executor.execute(tiny_db, "SELECT * FROM big AS a, big AS b")
    assert result.truncated and len(result.rows) == executor.config.max_rows
    assert result.rows[:3] == ((0, 0), (0, 1), (0, 2))
    assert result.elapsed_s < 1.0


@pytest.mark.parametrize(
    ("cap", "truncated"), [(999, True), (1000, False), (1001, False), (128, True), (127, True)]
)
def test_row_cap_boundary(executor: SQLiteExecutor, tiny_db: Path, cap: int, truncated: bool) -> None:
    result = executor.execute(tiny_db, "SELECT n FROM big ORDER BY n", max_rows=cap)
    assert result.truncated is truncated
    assert result.rows == tuple((i,) for i in range(min(cap, 1000)))


def test_byte_cap(tiny_db: Path) -> None:
    max_bytes = 20_000
    with SQLiteExecutor(ExecutorConfig(max_bytes=max_bytes)) as ex:
        result = ex.execute(tiny_db, "SELECT n, printf('%.500c', 'x') FROM big")
        assert result.ok and result.truncated
        size = sum(16 + 8 + len(text) for _, text in result.rows)
        assert 0 < size <= max_bytes < size + 16 + 8 + 500  # as many rows as fit, no more
        assert result.rows[0] == (0, "x" * 500)
        small = ex.execute(tiny_db, "SELECT n FROM big WHERE n < 800")  # 800 * (16 + 8) bytes fit
        assert len(small.rows) == 800 and not small.truncated
        assert len(ex.execute(tiny_db, "SELECT n FROM big").rows) == max_bytes // (16 + 8)


def test_single_huge_value_is_refused(executor: SQLiteExecutor, tiny_db: Path) -> None:
    result = executor.execute(tiny_db, "SELECT randomblob(50000000)")
    assert result.error is ErrorKind.TOO_LARGE and "too big" in result.message
    assert executor.execute(tiny_db, "SELECT length(randomblob(1000))").rows == ((1000,),)


# -- decoding ---------------------------------------------------------------------------------------------


def test_invalid_utf8_bytes_are_dropped_like_the_official_evaluator(
    executor: SQLiteExecutor, tiny_db: Path
) -> None:
    result = executor.execute(tiny_db, "SELECT id, label FROM messy ORDER BY id")
    assert result.rows == ((1, "ab"), (2, "ok"), (3, "é"))
    assert list(result.rows) == _raw_rows(tiny_db, "SELECT id, label FROM messy ORDER BY id")
    # normal decoding is back for the next query, and real non-ASCII text is intact
    assert executor.execute(tiny_db, "SELECT name FROM person WHERE id = 3").rows == (("Cé",),)
    assert executor.execute(tiny_db, "SELECT photo FROM person WHERE id = 1").rows == ((b"\x00\xff",),)


# -- broken or missing database files ---------------------------------------------------------------------


def test_missing_file_raises_file_not_found(executor: SQLiteExecutor, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "nope.sqlite"
    with pytest.raises(FileNotFoundError, match="nope.sqlite"):
        executor.execute(missing, "SELECT 1")
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty file"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n", "no SQLite header"),
        (b"SQLite format 3\x00" + b"\xab" * 5000, "not a usable SQLite database"),
    ],
)
def test_non_database_file_raises(
    executor: SQLiteExecutor, tmp_path: Path, content: bytes, match: str
) -> None:
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    with pytest.raises(DatabaseFileError, match=match) as info:
        executor.execute(path, "SELECT 1")
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_directory_raises(executor: SQLiteExecutor, tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileError, match="directory"):
        executor.execute(tmp_path, "SELECT 1")


@pytest.mark.realdata
def test_corrupt_pages_raise_database_file_error(executor: SQLiteExecutor, real_dbs: dict[str, Path]) -> None:
    path = real_dbs["concert_singer"]
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)  # page 1 (schema) intact, every table page garbage
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseFileError, match=str(path)):
        executor.execute(path, "SELECT * FROM singer")


# -- connection cache, file changes, paths ----------------------------------------------------------------


def test_connection_is_reused(
    executor: SQLiteExecutor, tiny_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mtsql_env.executor")
    for _ in range(50):
        assert executor.execute(tiny_db, "SELECT count(*) FROM person").rows == ((3,),)
        assert executor.execute(str(tiny_db), "SELECT 1").ok
    assert _count_opens(caplog) == 1


def test_relative_and_special_character_paths(
    executor: SQLiteExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "with space ?#%25 and é"
    odd.mkdir()
    path = _build_tiny(odd / "x?y#z%.sqlite")
    assert executor.execute(path, "SELECT count(*) FROM person").rows == ((3,),)
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / "rel.sqlite")
    conn.execute("CREATE TABLE only_here(x)")
    conn.close()
    _build_tiny(tmp_path / "rel.sqlite")
    monkeypatch.chdir(tmp_path)
    assert executor.execute("rel.sqlite", "SELECT count(*) FROM person").rows == ((3,),)
    monkeypatch.chdir(other)  # the same relative name now means another file
    assert executor.execute("rel.sqlite", "SELECT count(*) FROM only_here").rows == ((0,),)


@pytest.mark.parametrize("how", ["rebuild", "in_place", "rename_over"])
def test_changed_file_is_reopened(
    executor: SQLiteExecutor, tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="mtsql_env.executor")
    path = _build_tiny(tmp_path / "tiny.sqlite")
    assert executor.execute(path, "SELECT count(*) FROM person").rows == ((3,),)
    assert executor.execute(path, "SELECT count(*) FROM person").rows == ((3,),)
    if how == "rebuild":
        path.unlink()
        conn = sqlite3.connect(path)
        conn.executescript("CREATE TABLE person(id); INSERT INTO person VALUES (1);")
        conn.close()
    elif how == "in_place":
        conn = sqlite3.connect(path)
        conn.executescript("INSERT INTO person(name) VALUES ('Dee'); INSERT INTO big SELECT n FROM big;")
        conn.close()
    else:
        fresh = tmp_path / "fresh.sqlite"
        conn = sqlite3.connect(fresh)
        conn.executescript("CREATE TABLE person(id); INSERT INTO person VALUES (1), (2);")
        conn.close()
        os.replace(fresh, path)
    expected = _raw_rows(path, "SELECT count(*) FROM person")
    assert executor.execute(path, "SELECT count(*) FROM person").rows == tuple(expected)
    assert expected != [(3,)]
    assert _count_opens(caplog) == 2


def test_deleted_file_raises_after_being_cached(executor: SQLiteExecutor, tiny_db: Path) -> None:
    assert executor.execute(tiny_db, "SELECT 1").ok
    tiny_db.unlink()
    with pytest.raises(FileNotFoundError, match=str(tiny_db)):
        executor.execute(tiny_db, "SELECT 1")


def test_close_is_idempotent_and_executor_reopens(tiny_db: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mtsql_env.executor")
    with SQLiteExecutor() as ex:
        assert ex.execute(tiny_db, "SELECT count(*) FROM person").rows == ((3,),)
    ex.close()
    ex.close()
    assert ex.execute(tiny_db, "SELECT count(*) FROM person").rows == ((3,),)  # lazily reopened
    assert _count_opens(caplog) == 2
    ex.close()


def test_pickle_round_trip(tiny_db: Path) -> None:
    config = ExecutorConfig(timeout_s=0.7, max_rows=5)
    ex = SQLiteExecutor(config)
    first = ex.execute(tiny_db, "SELECT n FROM big")
    clone = pickle.loads(pickle.dumps(ex))
    assert clone.config == config
    again = clone.execute(tiny_db, "SELECT n FROM big")
    assert again.rows == first.rows == tuple((i,) for i in range(5)) and again.truncated
    assert pickle.loads(pickle.dumps(again)) == again
    ex.close()
    clone.close()


# -- threads and processes --------------------------------------------------------------------------------


def _workload(paths: dict[str, Path]) -> list[tuple[Path, str]]:
    queries = {
        "concert_singer": [
            "SELECT count(*) FROM singer",
            "SELECT Name FROM singer ORDER BY Age",
            "SELECT nope FROM singer",
        ],
        "pets_1": ["SELECT count(*) FROM Pets", "SELECT * FROM Student ORDER BY StuID", "DROP TABLE Pets"],
        "world_1": [
            "SELECT Name FROM country WHERE Population > 100000000 ORDER BY Name",
            "SELECT count(*) FROM city",
        ],
    }
    return [(paths[db], sql) for db, sqls in queries.items() for sql in sqls]


def _expected(path: Path, sql: str) -> tuple | str:
    try:
        return tuple(_raw_rows(path, sql))
    except sqlite3.Error:
        return "error"


def _summary(result: ExecutionResult) -> tuple | str:
    return result.rows if result.ok else "error"


@pytest.mark.realdata
def test_threads_hammering_several_databases(
    real_dbs: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mtsql_env.executor")
    work = _workload(real_dbs) * 60
    expected = {(p, s): _expected(p, s) for p, s in set(work)}
    before = _snapshot(next(iter(real_dbs.values())).parents[1])
    threads = 8
    with SQLiteExecutor() as ex, concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda item: ex.execute(*item), work))
    assert [_summary(r) for r in results] == [expected[item] for item in work]
    assert 3 <= _count_opens(caplog) <= threads * len(real_dbs)
    assert _snapshot(next(iter(real_dbs.values())).parents[1]) == before


@pytest.mark.realdata
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_process_pools(real_dbs: dict[str, Path], method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} start method unavailable on this platform")
    work = _workload(real_dbs) * 4
    expected = [_expected(p, s) for p, s in work]
    ex = SQLiteExecutor()
    assert ex.execute(work[0][0], work[0][1]).ok  # connections exist before the fork
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = pool.starmap(ex.execute, work)  # the bound method pickles the executor's config
    assert [_summary(r) for r in results] == expected
    assert _summary(ex.execute(*work[1])) == expected[1]  # parent still fine after the children
    ex.close()


# -- preview, result helpers, config ------------------------------------------------------------------------


@pytest.mark.realdata
def test_preview_of_real_results(executor: SQLiteExecutor, real_dbs: dict[str, Path]) -> None:
    path = real_dbs["concert_singer"]
    ok = executor.execute(path, "SELECT Name, Age FROM singer ORDER BY Age")
    text = ok.preview()
    lines = text.splitlines()
    assert lines[0] == "Name | Age"
    assert lines[1] == f"{ok.rows[0][0]} | {ok.rows[0][1]}"
    assert lines[-1] == "... (6 rows)" and len(lines) == 1 + 5 + 1
    assert (
        executor.execute(path, "SELECT Name FROM singer WHERE Age > 999").preview()
        == "EMPTY: no rows (columns: Name)"
    )
    error = executor.execute(path, "SELECT Nme FROM singer")
    assert error.preview() == "ERROR (unknown_column): no such column: Nme"
    capped = executor.execute(path, "SELECT Name FROM singer", max_rows=2)
    assert capped.preview().endswith("(2+ rows, truncated)")


def test_preview_shows_nulls_and_blobs(executor: SQLiteExecutor, tiny_db: Path) -> None:
    text = executor.execute(tiny_db, "SELECT id, score, photo FROM person ORDER BY id").preview()
    assert text.splitlines() == [
        "id | score | photo",
        "1 | 3.5 | <blob 2 B>",
        "2 | NULL | NULL",
        "3 | 1.0 | NULL",
        "(3 rows)",
    ]


cell = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=300), st.binary(max_size=20)
)


@settings(max_examples=200, deadline=None)
@given(
    columns=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12),
    data=st.data(),
    max_rows=st.integers(1, 8),
    max_chars=st.integers(20, 400),
    truncated=st.booleans(),
)
def test_preview_never_exceeds_max_chars(
    columns: list[str], data: st.DataObject, max_rows: int, max_chars: int, truncated: bool
) -> None:
    rows = data.draw(st.lists(st.tuples(*[cell] * len(columns)), max_size=20))
    result = ExecutionResult(columns=tuple(columns), rows=tuple(rows), truncated=truncated)
    text = result.preview(max_rows=max_rows, max_chars=max_chars)
    assert len(text) <= max_chars
    if rows:
        assert (f"{len(rows)}" in text) or len(text) == max_chars


def test_to_dict_and_repr() -> None:
    result = ExecutionResult(columns=("a",), rows=((1,), (2,)), elapsed_s=0.01)
    assert result.to_dict() == {
        "status": "ok",
        "columns": ["a"],
        "rows": [[1], [2]],
        "truncated": False,
        "error": None,
        "message": "",
        "elapsed_s": 0.01,
    }
    assert "rows=<2>" in repr(result)
    failed = ExecutionResult(error=ErrorKind.TIMEOUT, message="interrupted")
    assert failed.to_dict()["error"] == "timeout" and failed.status == "error"
    assert ErrorKind("unknown_table") is ErrorKind.UNKNOWN_TABLE and ErrorKind.SYNTAX == "syntax"


def test_fast_built_result_equals_regular_one(executor: SQLiteExecutor, tiny_db: Path) -> None:
    got = executor.execute(tiny_db, "SELECT id, name FROM person ORDER BY id")
    same = ExecutionResult(
        columns=got.columns, rows=got.rows, truncated=got.truncated, elapsed_s=got.elapsed_s
    )
    assert got == same and hash(got) == hash(same)
    assert {f.name: getattr(got, f.name) for f in fields(got)} == {
        f.name: getattr(same, f.name) for f in fields(same)
    }
    with pytest.raises(AttributeError):
        got.rows = ()  # type: ignore[misc]


def test_config_fields_have_help_and_validate() -> None:
    for f in fields(ExecutorConfig):
        assert f.metadata.get("help"), f.name
    for bad in (
        {"timeout_s": 0},
        {"timeout_s": -1.0},
        {"max_rows": 0},
        {"max_bytes": 0},
        {"max_value_bytes": 0},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ExecutorConfig(**bad)


def test_bad_per_call_limits_raise(executor: SQLiteExecutor, tiny_db: Path) -> None:
    with pytest.raises(ValueError):
        executor.execute(tiny_db, "SELECT 1", timeout_s=0)
    with pytest.raises(ValueError):
        executor.execute(tiny_db, "SELECT 1", max_rows=0)


# -- speed ------------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_per_call_overhead_is_small(real_dbs: dict[str, Path]) -> None:
    """Generous bound (the benchmark measures ~2-4 us): catches re-opening or per-call heavy work."""
    path = real_dbs["concert_singer"]
    sql = "SELECT count(*) FROM singer"
    raw = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    n = 2000

    def best(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    with SQLiteExecutor() as ex:
        ex.execute(path, sql)
        t_ex = best(lambda: [ex.execute(path, sql) for _ in range(n)])
    t_raw = best(lambda: [raw.execute(sql).fetchall() for _ in range(n)])
    raw.close()
    assert (t_ex - t_raw) / n < 50e-6, f"executor {t_ex:.4f}s vs raw {t_raw:.4f}s for {n} calls"
