"""The official tokenizer, parser and schema maps (evaluation-spec.md §1.3-§2.6)."""

from __future__ import annotations

import doctest
import importlib
import json
import sqlite3
from pathlib import Path

import pytest

from mtsql_env.evaluation.parser import SQLParseError, empty_sql, parse_sql
from mtsql_env.evaluation.schema import (
    EvalSchema,
    build_foreign_key_map,
    load_eval_schema,
    load_foreign_key_maps,
)
from mtsql_env.evaluation.tokenizer import rewrite_value_placeholder, tokenize

SCHEMA = EvalSchema.from_tables(
    {
        "singer": ["singer_id", "name", "age", "country"],
        "concert": ["concert_id", "stadium_id", "year"],
        "singer_in_concert": ["concert_id", "singer_id"],
        "stadium": ["stadium_id", "name", "capacity"],
    }
)


def col(name: str, agg: int = 0, distinct: bool = False) -> tuple:
    return (agg, f"__{name}__", distinct)


def val(name: str, agg: int = 0, distinct: bool = False) -> tuple:
    return (0, col(name, agg, distinct), None)


@pytest.mark.parametrize("module", ["tokenizer", "parser", "schema"])
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"mtsql_env.evaluation.{module}"))
    assert result.attempted > 0 and result.failed == 0


# -- tokenizer (spec §2.2) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "tokens"),
    [
        # quotes: ' becomes ", literals keep their case, everything else is lower-cased
        ("SELECT A FROM T WHERE b = 'MiXed'", ["select", "a", "from", "t", "where", "b", "=", '"MiXed"']),
        ('WHERE b = "x y"', ["where", "b", "=", '"x y"']),
        # comma and colon split unless a digit follows
        ("a,b , c:d", ["a", ",", "b", ",", "c", ":", "d"]),
        ("IN (1,2)", ["in", "(", "1,2", ")"]),
        # a period splits only at the very end; inside a token it stays
        ("T1.name = T2.name.", ["t1.name", "=", "t2.name", "."]),
        ("x.)", ["x", ".", ")"]),
        # =, +, -, / do not split; >, <, ! do and merge with a separate =
        ("age=20 a-b a+b a/b", ["age=20", "a-b", "a+b", "a/b"]),
        ("a >=20", ["a", ">", "=20"]),
        ("a > = 1 b ! = 2 c<= 3 d!= 4", ["a", ">=", "1", "b", "!=", "2", "c", "<=", "3", "d", "!=", "4"]),
        ("c<=3", ["c", "<", "=3"]),
        ("a <> b", ["a", "<", ">", "b"]),
        ("a == b", ["a", "==", "b"]),
        # always-split characters, backtick runs and --
        ("count(*);@x#$%&?", ["count", "(", "*", ")", ";", "@", "x", "#", "$", "%", "&", "?"]),
        ("[a]{b}``c`", ["[", "a", "]", "{", "b", "}", "``", "c", "`"]),
        ("a--b ...", ["a", "--", "b", "..."]),
        # contractions on whole words
        (
            "cannot gonna gotta gimme lemme wanna",
            ["can", "not", "gon", "na", "got", "ta", "gim", "me", "lem", "me", "wan", "na"],
        ),
        ("cannoted", ["cannoted"]),
        # two quoted spans stuck together stay one unknown token
        ("x = 'It''s'", ["x", "=", "__val_4_7____val_8_10__"]),
    ],
)
def test_tokenize(sql: str, tokens: list[str]) -> None:
    assert tokenize(sql) == tokens


def test_odd_quote_count_fails() -> None:
    with pytest.raises(SQLParseError, match="odd number of quotes"):
        tokenize('SELECT a FROM t WHERE b = "Fran\'ce"')


def test_value_rewrite() -> None:
    rewritten = rewrite_value_placeholder("a = value AND b = 'value' AND c_value = VALUE")
    assert rewritten == "a = 1 AND b = '1' AND c_1 = VALUE"
    assert (
        rewrite_value_placeholder("a = value AND c_value = values", strict=True)
        == "a = 1 AND c_value = values"
    )


# -- parsed structure (spec §2.4-§2.5) -------------------------------------------------------------------


def test_select_items_keep_aggregate_at_item_level() -> None:
    q = parse_sql("SELECT DISTINCT count(DISTINCT country), max(age - singer_id), name FROM singer", SCHEMA)
    assert q["select"] == (
        True,
        (
            (3, (0, col("singer.country", distinct=True), None)),
            (1, (1, col("singer.age"), col("singer.singer_id"))),
            (0, val("singer.name")),
        ),
    )


def test_conditions_store_aggregates_in_col_units_and_values() -> None:
    q = parse_sql(
        "SELECT country FROM singer GROUP BY country HAVING max(age) - min(age) > 1 OR count(*) BETWEEN 2 AND 'x'",
        SCHEMA,
    )
    assert q["groupBy"] == (col("singer.country"),)
    assert q["having"] == (
        (False, 3, (1, col("singer.age", 1), col("singer.age", 2)), 1.0, None),
        "or",
        (False, 1, (0, col("all", 3), None), 2.0, '"x"'),
    )


def test_from_joins_concatenate_on_conditions() -> None:
    q = parse_sql(
        "SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id "
        "JOIN concert AS T3 ON T2.concert_id = T3.concert_id",
        SCHEMA,
    )
    assert q["from"]["table_units"] == (
        ("table_unit", "__singer__"),
        ("table_unit", "__singer_in_concert__"),
        ("table_unit", "__concert__"),
    )
    conds = q["from"]["conds"]
    assert conds[1] == "and" and len(conds) == 3
    assert conds[0] == (False, 2, val("singer.singer_id"), col("singer_in_concert.singer_id"), None)


def test_bare_column_resolves_to_first_from_table() -> None:
    q = parse_sql(
        "SELECT stadium_id FROM concert AS T1 JOIN stadium AS T2 ON T1.stadium_id = T2.stadium_id", SCHEMA
    )
    assert q["select"][1][0] == (0, val("concert.stadium_id"))
    q = parse_sql(
        "SELECT stadium_id FROM stadium AS T2 JOIN concert AS T1 ON T1.stadium_id = T2.stadium_id", SCHEMA
    )
    assert q["select"][1][0] == (0, val("stadium.stadium_id"))


def test_order_by_direction_and_limit() -> None:
    q = parse_sql("SELECT name FROM singer ORDER BY age DESC , name LIMIT 10", SCHEMA)
    assert q["orderBy"] == ("desc", (val("singer.age"), val("singer.name")))
    assert q["limit"] == 1
    strict = parse_sql("SELECT name FROM singer ORDER BY age DESC , name LIMIT 10", SCHEMA, strict=True)
    assert strict["orderBy"] == (("desc", "asc"), (val("singer.age"), val("singer.name")))
    assert parse_sql("SELECT name FROM singer", SCHEMA)["orderBy"] == ()


def test_subqueries_and_set_operations() -> None:
    q = parse_sql(
        "SELECT name FROM singer WHERE singer_id NOT IN (SELECT singer_id FROM singer_in_concert) "
        "UNION SELECT name FROM stadium EXCEPT SELECT name FROM singer",
        SCHEMA,
    )
    negated, op, _, sub, _ = q["where"][0]
    assert (negated, op) == (True, 8) and sub["from"]["table_units"] == (
        ("table_unit", "__singer_in_concert__"),
    )
    assert q["union"]["except"]["from"]["table_units"] == (
        ("table_unit", "__singer__"),
    )  # nests to the right
    assert q["except"] is None and q["intersect"] is None
    q = parse_sql("SELECT count(*) FROM (SELECT name FROM singer WHERE age > 3)", SCHEMA)
    kind, sub = q["from"]["table_units"][0]
    assert kind == "sql" and sub["where"][0][3] == 3.0


def test_right_hand_column_reads_one_col_unit() -> None:
    q = parse_sql("SELECT name FROM singer WHERE age = singer_id + age OR country = 'x'", SCHEMA)
    assert q["where"] == ((False, 2, val("singer.age"), col("singer.singer_id"), None),)


def test_trailing_text_is_ignored() -> None:
    for tail in (" )", " OFFSET 2", " NULLS LAST", " ; SELECT 1", " ; ;"):
        q = parse_sql("SELECT name FROM singer ORDER BY age" + tail, SCHEMA)
        assert q["orderBy"] == ("asc", (val("singer.age"),))


def test_empty_sql_shape() -> None:
    keys = {
        "select",
        "from",
        "where",
        "groupBy",
        "having",
        "orderBy",
        "limit",
        "intersect",
        "union",
        "except",
    }
    assert set(empty_sql()) == keys
    assert empty_sql() is not empty_sql()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name FROM singer WHERE age=3",
        "SELECT T1.name FROM singer AS T1 , concert AS T2",
        "SELECT T1.name FROM singer AS T1 LEFT JOIN concert AS T2 ON T1.singer_id = T2.concert_id",
        "SELECT T1.name FROM singer AS T1 INNER JOIN concert AS T2 ON T1.singer_id = T2.concert_id",
        "SELECT T1.name FROM singer AS T1 CROSS JOIN concert AS T2",
        "SELECT T1.name FROM singer AS T1 NATURAL JOIN concert AS T2",
        "SELECT name FROM singer T1",
        "SELECT name FROM singer AS singer",
        "SELECT count(*) AS n FROM singer",
        "SELECT count(*) FROM (SELECT name FROM singer) AS t",
        "SELECT T1.* FROM singer AS T1",
        "SELECT a.b.c FROM singer",
        "SELECT name FROM singer WHERE age IN (1, 2)",
        "SELECT name FROM singer WHERE age IS NULL",
        "SELECT name FROM singer WHERE NOT age > 1",
        "SELECT name FROM singer WHERE (age > 1)",
        "SELECT name FROM singer WHERE age <> 1",
        "SELECT name FROM singer WHERE age + 1 > 1",
        "SELECT name FROM singer WHERE age > (singer_id)",
        "SELECT name FROM singer HAVING count(*) > 1",
        "SELECT name FROM singer ORDER BY 1",
        "SELECT name FROM singer LIMIT",
        "SELECT name FROM singer UNION ALL SELECT name FROM stadium",
        "SELECT lower(name) FROM singer",
        "SELECT count(1) FROM singer",
        "SELECT max(age) - min(age) FROM singer",
        "SELECT 1",
        "SELECT name FROM singer AS",
        "SELECT unknown FROM singer",
        "SELECT name FROM nowhere",
        "",
    ],
)
def test_official_parse_failures(sql: str) -> None:
    with pytest.raises(SQLParseError):
        parse_sql(sql, SCHEMA)


def test_alias_map_is_query_wide_and_last_definition_wins() -> None:
    # T1 is rebound to singer_in_concert by the subquery, so the outer T1.name no longer resolves.
    with pytest.raises(SQLParseError, match="t1.name"):
        parse_sql(
            "SELECT T1.name FROM singer AS T1 WHERE T1.singer_id IN (SELECT T1.singer_id FROM singer_in_concert AS T1)",
            SCHEMA,
        )
    # A table name works as its own alias even when the table is not in FROM.
    q = parse_sql("SELECT singer_in_concert.singer_id FROM singer", SCHEMA)
    assert q["select"][1][0] == (0, val("singer_in_concert.singer_id"))


# -- schema and foreign keys (spec §1.3-§1.4) ---------------------------------------------------------


def test_eval_schema_reads_sqlite_lower_cased(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE Singer (Singer_ID int, Name text)")
        conn.execute("CREATE TABLE Concert (ID int)")
    schema = load_eval_schema(path)
    assert schema.tables == {"singer": ("singer_id", "name"), "concert": ("id",)}
    assert (
        schema.id_map["singer.singer_id"] == "__singer.singer_id__"
        and schema.id_map["concert"] == "__concert__"
    )
    assert schema.table_column_ids["__concert__"] == frozenset({"__concert.id__"})
    assert load_eval_schema(str(path)) is schema


def test_foreign_key_groups_are_never_merged_unless_strict() -> None:
    entry = {
        "table_names_original": ["A", "B", "C"],
        "column_names_original": [[-1, "*"], [0, "id"], [1, "a_id"], [2, "b_id"], [2, "a_id"], [1, "id"]],
        "foreign_keys": [[2, 1], [3, 5], [4, 1], [4, 5]],
    }
    official = build_foreign_key_map(entry)
    # groups {1,2,4,5} (the first to hold 4, and later 5) and {3,5}: b.id sits in both, the later wins
    assert official["__b.a_id__"] == official["__c.a_id__"] == "__a.id__"
    assert official["__b.id__"] == official["__c.b_id__"] == "__c.b_id__"
    strict = build_foreign_key_map(entry, strict=True)
    assert set(strict.values()) == {"__a.id__"} and len(strict) == 5


@pytest.mark.realdata
def test_real_foreign_key_maps(cosql_dir: Path) -> None:
    kmaps = load_foreign_key_maps(cosql_dir / "tables.json")
    kmap = kmaps["student_transcripts_tracking"]
    assert kmap["__students.current_address_id__"] == "__addresses.address_id__"
    assert kmap["__students.permanent_address_id__"] == "__addresses.address_id__"
    assert kmaps["concert_singer"]["__singer_in_concert.singer_id__"] == "__singer.singer_id__"
    # Only cre_Drama_Workshop_Groups (not a dev database) differs from a true union-find (spec §1.4).
    strict = load_foreign_key_maps(cosql_dir / "tables.json", strict=True)
    entries = json.loads((cosql_dir / "tables.json").read_text(encoding="utf-8"))
    differing = {e["db_id"] for e in entries if _groups(kmaps[e["db_id"]]) != _groups(strict[e["db_id"]])}
    assert differing == {"cre_Drama_Workshop_Groups"}


def _groups(kmap: dict[str, str]) -> set[frozenset[str]]:
    by_rep: dict[str, set[str]] = {}
    for column, rep in kmap.items():
        by_rep.setdefault(rep, set()).add(column)
    return {frozenset(members) for members in by_rep.values()}
