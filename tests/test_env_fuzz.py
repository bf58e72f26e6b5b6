"""Property-based fuzzing of env.step: 10,000 random and adversarial actions.

No exception escapes, every step returns within the query time limit (plus a small margin), and no
database file changes.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mtsql_env  # noqa: F401 - registers the env ids

TIMEOUT_S = 0.05
ACTIONS_PER_EXAMPLE = 5
EXAMPLES = 2_000  # x 5 actions = 10,000 steps

ADVERSARIAL_SQL = [
    "DROP TABLE {t}",
    "DELETE FROM {t}",
    "INSERT INTO {t} VALUES (1)",
    "UPDATE {t} SET rowid = rowid + 1",
    "CREATE TABLE pwned (x)",
    "ATTACH DATABASE '/tmp/mtsql_fuzz_attach.db' AS x",
    "VACUUM INTO '/tmp/mtsql_fuzz_vacuum.db'",
    "PRAGMA writable_schema = 1",
    "SELECT 1; DROP TABLE {t}",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "SELECT * FROM {t} AS a JOIN {t} AS b JOIN {t} AS c JOIN {t} AS d",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, randomblob(1000) FROM c",
    "SELECT * FROM {t}",
    "SELECT count(*) FROM {t} WHERE",
    "SELECT '{junk}' FROM {t}",
]

_sql = st.builds(
    lambda template, table, junk: template.format(t=table, junk=junk.replace("'", "''")),
    st.sampled_from(ADVERSARIAL_SQL),
    st.sampled_from(["book", "member", "loan", "nonexistent", "sqlite_master"]),
    st.text(max_size=20),
)
_kind = st.sampled_from(["propose", "execute", "correct", "answer", "verify", "bogus"])
_tagged = st.builds(lambda k, sql: f"<{k}>{sql}</{k}>", _kind, _sql)
_verify = st.builds(
    lambda target, verdict: f'<verify target="{target}" verdict="{verdict}"/>',
    st.sampled_from(["execution", "memory", "elsewhere", ""]),
    st.sampled_from(["pass", "fail", "maybe", ""]),
)
_unbalanced = st.builds(lambda k, sql: f"<{k}>{sql}", _kind, _sql) | st.builds(
    lambda sql: f"{sql}</answer>", _sql
)
_tool_call = st.builds(
    lambda name, args: json.dumps({"name": name, "arguments": args}),
    _kind,
    st.dictionaries(
        st.sampled_from(["sql", "target", "verdict", "x"]),
        st.one_of(st.text(max_size=30), st.integers(), _sql),
    ),
) | st.builds(lambda s: "<tool_call>" + s + "</tool_call>", st.text(max_size=50))
_binary = st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
_huge = st.integers(min_value=16_000, max_value=40_000).map(
    lambda n: "<propose>SELECT " + "1," * (n // 2) + "1</propose>"
)
ACTION = st.one_of(
    st.text(max_size=200),
    _binary,
    _tagged,
    _verify,
    _unbalanced,
    _tool_call,
    _huge,
    st.just("<execute/>"),
    st.just("<answer/>"),
)


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.sqlite"))}


@pytest.mark.slow
def test_ten_thousand_adversarial_actions() -> None:
    env = gym.make(
        "MTSQL-CoSQL-v0", data_dir="sample", mode="turn", query_timeout_s=TIMEOUT_S, max_steps_per_turn=6
    )
    database_dir = env.unwrapped.dataset.database_dir
    before = _hashes(database_dir)
    env.reset(seed=0)
    stats = {"steps": 0, "format_errors": 0, "slowest": 0.0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(st.lists(ACTION, min_size=ACTIONS_PER_EXAMPLE, max_size=ACTIONS_PER_EXAMPLE))
    def run(actions: list[str]) -> None:
        for action in actions:
            start = time.perf_counter()
            obs, reward, terminated, truncated, info = env.step(action)
            elapsed = time.perf_counter() - start
            stats["slowest"] = max(stats["slowest"], elapsed)
            assert elapsed < 2 * TIMEOUT_S + 0.5, f"step took {elapsed:.2f}s for {action[:80]!r}"
            assert isinstance(obs, str) and env.observation_space.contains(obs)
            assert isinstance(reward, float)
            stats["steps"] += 1
            stats["format_errors"] += info["format_error"] is not None
            if terminated or truncated:
                env.reset()

    run()
    env.close()
    assert stats["steps"] >= 10_000
    assert stats["format_errors"] > 1_000, "junk must be counted as format errors"
    assert _hashes(database_dir) == before, "a database file changed"
    assert not Path("/tmp/mtsql_fuzz_attach.db").exists() and not Path("/tmp/mtsql_fuzz_vacuum.db").exists()
