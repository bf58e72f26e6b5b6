"""Adversarial suite for everything an agent can send into ``env.step``/``reset`` (issue 9, env section).

Crafted bombs for each attack class (deep nesting through every SQL-reading action, JSON depth and huge
numbers, lone surrogates, regex blow-ups, bad reset options), hypothesis over random unicode, tag soup and
JSON, the reward-farming floor, and what agents see. Each asserts: no exception, the state unchanged where
a step was refused, the database files unchanged, and ``info`` keeping its keys and types.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mtsql_env
from mtsql_agents import OracleAgent, RewardFarmingAgent, run_agent, run_episode
from mtsql_agents.base import Agent
from mtsql_agents.vector_runner import run_vector
from mtsql_env.actions import ActionParseError, parse_actions
from mtsql_env.env import MTSQLEnv
from mtsql_env.info import AGENT_INFO_KEYS, GOLD_INFO_KEYS, INFO_KEYS
from mtsql_env.sql import clause_f1, diff_queries, parse
from mtsql_env.sql.parsing import MAX_NESTING

SAMPLE_DB_DIR = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset" / "database"
MAX_SQL = 16_000


def _db_hashes() -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SAMPLE_DB_DIR.rglob("*.sqlite"))
    }


@pytest.fixture(scope="module")
def hashes_before() -> dict[str, str]:
    return _db_hashes()


def make(**kwargs) -> MTSQLEnv:
    kwargs.setdefault("max_sql_chars", MAX_SQL)
    return gym.make("MTSQL-CoSQL-v0", data_dir="sample", **kwargs).unwrapped


@pytest.fixture(scope="module")
def env() -> MTSQLEnv:
    env = make(render_mode="ansi")
    yield env
    env.close()


def _state(env: MTSQLEnv) -> tuple:
    """What a refused step must leave as it was."""
    return (
        env._turn.candidate,
        env._turn.candidate_result,
        env._turn_index,
        len(env._memory),
        dict(env._rewards.totals),
    )


def _check_info(info: dict) -> None:
    assert tuple(info) == INFO_KEYS
    for key in ("action", "execution", "reward_components", "turn_reward_components", "turn_result"):
        assert isinstance(info[key], dict), key
    assert isinstance(info["format_errors"], int) and isinstance(info["ignored_actions"], int)
    json.dumps(info, ensure_ascii=False).encode("utf-8")  # records can write it (no lone surrogates)


# --- Deep nesting ------------------------------------------------------------------------------------

DEEP_SHAPES = {
    "parens": lambda n: "SELECT " + "(" * n + "1" + ")" * n,
    "functions": lambda n: "SELECT " + "abs(" * n + "1" + ")" * n,
    "subqueries": lambda n: "SELECT * FROM " + "(SELECT * FROM " * n + "book" + ")" * n,
    "not_chain": lambda n: "SELECT " + "NOT " * (4 * n) + "1",
    "minus_chain": lambda n: "SELECT " + "- " * (4 * n) + "1",
    "in_chain": lambda n: "SELECT 1 WHERE 1 IN " + "(SELECT 1 WHERE 1 IN " * n + "(1)" + ")" * n,
}


@pytest.mark.parametrize("shape", sorted(DEEP_SHAPES))
@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 500, 1500])
def test_deep_sql_is_unparseable_for_analysis_and_never_raises(shape: str, depth: int) -> None:
    sql = DEEP_SHAPES[shape](depth)[:MAX_SQL]
    assert clause_f1(sql, "SELECT count(*) FROM book") == 0.0
    assert parse(sql) is None or shape.endswith("chain")  # chains may parse when shallow enough
    assert "cannot compare" in diff_queries(sql, "SELECT 1").summary() or parse(sql) is not None


@pytest.mark.parametrize("shape", sorted(DEEP_SHAPES))
def test_deep_sql_through_every_action(shape: str, hashes_before) -> None:
    env = make(reward="process")
    env.reset(options={"index": 0})
    env.step("<propose>SELECT count(*) FROM book</propose>")
    env.step("<answer/>")  # turn 2: the memory check has a previous turn to diff against
    deep = DEEP_SHAPES[shape](1500)[:MAX_SQL]
    for action in (
        f"<propose>{deep}</propose>",
        "<execute/>",
        '<verify target="execution"/>',
        '<verify target="memory"/>',
        '<verify target="memory" verdict="pass"/>',
        f"<correct>{deep}</correct>",
        f"<execute>{deep}</execute>",
        {"kind": "answer", "sql": deep},
    ):
        obs, _, _, _, info = env.step(action)
        _check_info(info)
        assert info["format_error"] is None, info["format_error"]
        assert info["reward_components"]["generation"] <= 0.0  # F1 0: never a reward for unanalysable SQL
        if action == '<verify target="memory"/>' and shape in (
            "parens",
            "functions",
            "subqueries",
            "in_chain",
        ):
            assert "nests too deeply" in obs
    assert info["turn_result"]["sql"] == deep, "the evaluator scored the deep answer"
    assert _db_hashes() == hashes_before


def test_sqlite_and_evaluator_still_run_sql_deeper_than_the_analysis_limit() -> None:
    env = make()
    env.reset(options={"index": 0})
    sql = "SELECT " + "(" * (MAX_NESTING + 10) + "count(*)" + ")" * (MAX_NESTING + 10) + " FROM book"
    obs, *_ = env.step(f"<propose>{sql}</propose>")
    obs, *_ = env.step("<execute/>")
    assert obs.startswith("Execution ok"), obs
    *_, info = env.step("<answer/>")
    assert info["turn_result"]["exec"] == 1, "same result as the gold count(*)"


def test_a_step_that_fails_half_way_is_undone(env: MTSQLEnv, monkeypatch) -> None:
    env.reset(options={"index": 0})
    before = _state(env)

    def explode(sql):
        raise RuntimeError("boom")

    monkeypatch.setattr(env, "_gen", explode)
    obs, reward, *_, info = env.step("<propose>SELECT 1</propose>")
    assert "could not be carried out" in obs and reward == 0.0
    assert _state(env) == before and info["format_errors"] == 1
    monkeypatch.setattr(env._memory, "add", explode)
    monkeypatch.setattr(env, "_gen", lambda sql: 0.0)
    env.step("<propose>SELECT count(*) FROM book</propose>")
    before = _state(env)
    obs, *_, info = env.step("<answer/>")
    assert "could not be carried out" in obs and _state(env) == before
    _check_info(info)


# --- JSON, surrogates, regexes ------------------------------------------------------------------------

JSON_BOMBS = [
    "[" * 16_000,
    "[" * 5_000 + "]" * 5_000,
    '{"name": "execute", "arguments": ' + '{"a": ' * 2_500 + "1" + "}" * 2_501,
    '{"name": "execute", "arguments": {"sql": ' + "9" * 5_000 + "}}",
    '{"name": "execute", "arguments": {"sql": "SELECT 1", "n": ' + "9" * 12_000 + "}}",
    '{"name": "verify", "arguments": {"target": ' + "[" * 800 + "]" * 800 + "}}",
    '{"name": ' + "[" * 900 + "]" * 900 + "}",
    '{"name": "execute", "arguments": "' + "[" * 5_000 + '"}',
    "1" * 16_000,
    "-" + "9" * 16_000,
    "1e99999",
]


@pytest.mark.parametrize("bomb", JSON_BOMBS, ids=lambda b: f"{b[:12]}..{len(b)}")
@pytest.mark.parametrize("wrap", ["bare", "tool_call", "tagged_text"])
def test_json_bombs_are_format_errors(env: MTSQLEnv, bomb: str, wrap: str) -> None:
    text = {
        "bare": bomb,
        "tool_call": f"<tool_call>{bomb}</tool_call>",
        "tagged_text": f"hm <tool_call>{bomb}",
    }
    text = text[wrap][:16_384]
    env.reset(options={"index": 0})
    before = _state(env)
    *_, info = env.step(text)
    _check_info(info)
    assert info["format_error"] is not None and _state(env) == before


def test_dict_actions_with_hostile_values(env: MTSQLEnv) -> None:
    env.reset(options={"index": 0})
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    for action in (
        {"kind": deep},
        {"kind": "verify", "target": deep},
        {"kind": "propose", "sql": deep},
        {"kind": "propose", "sql": 7},
        {"kind": "verify", "target": "memory", "verdict": {"x": 1}},
        {"kind": "execute", "sql": "SELECT 1", "extra": deep},
    ):
        *_, info = env.step(action)
        _check_info(info)
        assert info["format_error"] is not None


@pytest.mark.parametrize("mode", ["human", "ansi"])
def test_lone_surrogates_never_raise(mode: str, capsys) -> None:
    env = make(render_mode=mode)
    env.reset(options={"index": 0})
    for action in (
        "\ud800<propose>SELECT '\udfff' FROM book</propose>",
        "<execute/>",
        {"kind": "correct", "sql": "SELECT count(*) FROM book -- \udc80"},
        '<tool_call>{"name": "execute", "arguments": {"sql": "SELECT \'\\ud800\'"}}</tool_call>',
        "\udbff" * 100,
    ):
        obs, *_, info = env.step(action)
        _check_info(info)
        obs.encode("utf-8")
    text = env.render() if mode == "ansi" else capsys.readouterr().out
    (text or "").encode("utf-8")


REGEX_BOMBS = {
    "verify_attrs": "<verify " + "a" * 16_370 + "/>",
    "tool_call_spaces": "<tool_call>x" + " " * 16_370 + "y",
    "unclosed_execute": "<execute>" * 1_800,
    "unclosed_mixed": "<execute><answer><propose>" * 600 + "</verify>" * 100,
    "fence_spaces": "<execute>SELECT 1" + " " * 16_300 + "x</execute>",
    "attr_quotes": "<verify " + 'a="' * 5_400 + "/>",
    "attr_equals": "<verify " + "a=" * 8_000 + ">",
    "think_unclosed": "<think>" * 2_300,
    "tool_call_unclosed": "<tool_call>" * 1_480,
    "lt_run": "<" * 16_384,
    "close_tags": "</execute>" * 1_600,
    "ws_before_close": "<execute>x</execute" + " " * 16_300,
    "head_runs": "<verify a" * 1_800,
}


@pytest.mark.parametrize("name", sorted(REGEX_BOMBS))
def test_action_parser_has_no_blow_up(env: MTSQLEnv, name: str) -> None:
    text = REGEX_BOMBS[name][:16_384]
    start = time.perf_counter()
    try:
        parse_actions(text)
    except ActionParseError:
        pass
    # A hang guard, not a speed target (bench_hardening.py reports the times): these took 3-5 s when
    # the parser was quadratic, a linear parse takes milliseconds.
    assert time.perf_counter() - start < 1.0
    env.reset(options={"index": 0})
    *_, info = env.step(text)
    _check_info(info)


def test_tag_parsing_semantics_are_kept() -> None:
    kinds = [a.kind.value for a in parse_actions("<Execute>SELECT 1</EXECUTE> <answer/> <execute>x")]
    assert kinds == ["execute", "answer"]
    (action,) = parse_actions("<propose>```sql\nSELECT 1\n```</propose>")
    assert action.sql == "SELECT 1"
    (action,) = parse_actions("<verify target='memory' verdict=pass/>")
    assert (action.target.value, action.verdict.value) == ("memory", "pass")
    (action,) = parse_actions('<tool_call>\n  {"name": "answer"}  \n</tool_call>')
    assert action.kind.value == "answer"


# --- Reset options ---------------------------------------------------------------------------------------


def test_reset_none_options_mean_not_given(env: MTSQLEnv) -> None:
    assert env.reset(seed=3, options={"index": None})[1]["dialogue_id"] == env.reset(seed=3)[1]["dialogue_id"]
    assert env.reset(options={"index": np.int64(1)})[1]["dialogue_id"] == env.dataset.dialogues[1].dialogue_id


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"dialogue_id": ["x"]}, "dialogue_id"),
        ({"dialogue_id": 3}, "dialogue_id"),
        ({"dialogue_id": "no-such-dialogue"}, "no dialogue"),
        ({"index": 1.7}, "index"),
        ({"index": 1.0}, "index"),
        ({"index": True}, "index"),
        ({"index": "1"}, "index"),
        ({"index": -1}, "index"),
        ({"index": 10**30}, "index"),
        ({"index": 0, "turn": 1.5}, "turn"),
    ],
)
def test_bad_reset_options_are_clear_value_errors(options: dict, named: str) -> None:
    env = make(mode="turn")
    with pytest.raises(ValueError, match=named):
        env.reset(options=options)


# --- Random input (hypothesis) --------------------------------------------------------------------------

TAG_PARTS = [
    "<propose>", "</propose>", "<execute>", "</execute>", "<execute/>", "<answer/>", "<answer>", "</answer>",
    "<correct>", "</correct>", '<verify target="memory"', ' verdict="fail"', "/>", ">", "<", "<think>",
    "</think>", "<tool_call>", "</tool_call>", "{", "}", '"name"', ":", '"execute"', "SELECT count(*) FROM book",
    "(", ")", " ", "'", '"', "```", "\n", "\ud800", "NOT ", "=", "a",
]  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
ACTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(TAG_PARTS), max_size=40).map("".join),
    JSON.map(lambda value: json.dumps(value)),
    JSON.map(lambda value: f"<tool_call>{json.dumps({'name': 'execute', 'arguments': value})}</tool_call>"),
    st.dictionaries(st.sampled_from(["kind", "sql", "target", "verdict", "x"]), JSON, max_size=4),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=6))
def test_random_actions_never_raise(env: MTSQLEnv, actions: list) -> None:
    env.reset(options={"index": 1})
    for action in actions:
        before = _state(env)
        obs, reward, terminated, truncated, info = env.step(action)
        _check_info(info)
        assert isinstance(obs, str) and isinstance(reward, float)
        if info["format_error"] is not None and not info["turn_result"]:
            assert _state(env)[:4] == before[:4], "a refused step changes nothing but the step count"
        if terminated or truncated:
            env.reset(options={"index": 1})


def test_database_files_unchanged(hashes_before) -> None:
    assert _db_hashes() == hashes_before


# --- Rewards --------------------------------------------------------------------------------------------


def _per_turn(preset: str, agent: Agent, **kwargs) -> float:
    env = gym.make("MTSQL-CoSQL-v0", data_dir=kwargs.pop("data_dir", "sample"), reward=preset,
                   expose_gold=agent.needs_gold, **kwargs)  # fmt: skip
    return run_agent(env, agent, progress=False).summary["reward"]


def test_process_floor_and_process_guarded_on_the_sample() -> None:
    assert _per_turn("process", RewardFarmingAgent()) == pytest.approx(0.2)
    assert _per_turn("outcome", RewardFarmingAgent()) == 0.0
    assert _per_turn("process_guarded", RewardFarmingAgent()) <= 0.02
    assert _per_turn("process_guarded", OracleAgent()) == pytest.approx(_per_turn("process", OracleAgent()))


@pytest.mark.realdata
def test_process_guarded_on_cosql_dev(cosql_dir) -> None:
    kwargs = {"data_dir": str(cosql_dir), "skip_missing_databases": True}
    assert _per_turn("process", RewardFarmingAgent(), **kwargs) == pytest.approx(0.2)
    assert _per_turn("process_guarded", RewardFarmingAgent(), **kwargs) <= 0.02
    oracle = _per_turn("process", OracleAgent(), **kwargs)
    assert _per_turn("process_guarded", OracleAgent(), **kwargs) == pytest.approx(oracle)


def test_process_guarded_still_ranks_process_among_right_answers() -> None:
    env = make(reward="process_guarded")
    totals = []
    for first in ("SELECT count(*) FROM book", "SELECT nope FROM book"):
        env.reset(options={"index": 0})
        rewards = [
            env.step(a)[1]
            for a in (
                f"<propose>{first}</propose>",
                "<correct>SELECT count(*) FROM book</correct>",
                "<answer/>",
            )
        ]
        assert rewards[:2] == [0.0, 0.0], "gated terms wait for the answer"
        totals.append(sum(rewards))
    assert totals[0] > totals[1] > 2.0, "both right; the one that proposed well from the start earns more"


def test_forced_answer_charges_the_step_penalty_once() -> None:
    env = make(reward={"step_penalty": 0.01}, max_steps_per_turn=2)
    env.reset(options={"index": 0})
    assert env.step("<propose>SELECT 1</propose>")[4]["reward_components"]["step_penalty"] == -0.01
    *_, info = env.step("<execute/>")
    assert info["turn_result"]["forced"] and info["reward_components"]["step_penalty"] == -0.01
    assert info["turn_reward_components"]["step_penalty"] == pytest.approx(-0.02)


# --- What agents see ---------------------------------------------------------------------------------------


_SEEN: list[set[str]] = []  # module level: the vector runner deep-copies agents, not this list


class _Spy(Agent):
    """Records the info keys it is shown, and plays ``inner``."""

    name = "spy"

    def __init__(self, inner: Agent) -> None:
        self.inner, self.needs_gold = inner, inner.needs_gold

    def reset(self, observation, info) -> None:
        _SEEN.append(set(info))
        self.inner.reset(observation, info)

    def act(self, observation, info):
        _SEEN.append(set(info))
        return self.inner.act(observation, info)


@pytest.mark.parametrize("inner", [RewardFarmingAgent, OracleAgent])
def test_agents_see_no_gold_derived_info(inner) -> None:
    spy = _Spy(inner())
    allowed = set(AGENT_INFO_KEYS) | ({"gold_sql"} if spy.needs_gold else set())
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True)
    _SEEN.clear()
    turns = run_episode(env, spy, options={"index": 0})
    assert _SEEN and all(keys <= allowed for keys in _SEEN)
    assert all(not (keys & (set(GOLD_INFO_KEYS) - {"gold_sql"})) for keys in _SEEN)
    assert "reward_generation" in turns[0], "the records still carry the rewards"
    _SEEN.clear()
    envs = gym.vector.SyncVectorEnv(
        [lambda: gym.make("MTSQL-CoSQL-v0", data_dir="sample", expose_gold=True)] * 2
    )
    result = run_vector(envs, _Spy(inner()), 3, progress=False)
    assert result.turns and result.summary["EX"] == (1.0 if spy.needs_gold else 0.0)
    assert _SEEN and all(keys <= allowed for keys in _SEEN)


def test_sft_sampling_shows_agents_no_gold_derived_info() -> None:
    """The self-taught sampler plays through the same rule as the runners: the teacher sees the gold it
    declares it needs, and never the rewards or turn results its own episodes earn."""
    from mtsql_trainers.sft import list_items, make_envs, sample_trajectories
    from mtsql_trainers.sft_config import SelfTaughtConfig

    config = SelfTaughtConfig(data_dir="sample", num_samples=2, max_items=2)
    envs = make_envs(config, expose_gold=True)
    try:
        spy = _Spy(OracleAgent())
        allowed = set(AGENT_INFO_KEYS) | {"gold_sql"}
        _SEEN.clear()
        samples = sample_trajectories(envs, spy, list_items(envs[0], 2), num_samples=2)
    finally:
        envs[0].close()
    assert samples and all(t.exec == 1 for t in samples)
    assert _SEEN and all(keys <= allowed for keys in _SEEN)
