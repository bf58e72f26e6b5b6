"""Gymnasium conformance of every registered MTSQL env: check_env, seeding, vector envs, docs vs info."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import mtsql_env
from mtsql_env.env import INFO_KEYS, MTSQLEnv

MODES = ("dialogue", "turn")


def make(env_id: str = "MTSQL-CoSQL-v0", **kwargs) -> gym.Env:
    return gym.make(env_id, data_dir="sample", **kwargs)


@pytest.mark.parametrize("env_id", mtsql_env.ENV_IDS)
@pytest.mark.parametrize("mode", MODES)
def test_check_env(env_id: str, mode: str) -> None:
    env = make(env_id, mode=mode)
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


def test_make_with_module_prefix_in_fresh_interpreter() -> None:
    code = (
        "import gymnasium as gym, sys\n"
        "env = gym.make('mtsql_env:MTSQL-SParC-v0', data_dir='sample')\n"
        "obs, info = env.reset(seed=0)\n"
        "assert info['dataset'] == 'sample' and 'Question' in obs\n"
        "assert 'torch' not in sys.modules, 'importing mtsql_env must not import torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("mode", MODES)
def test_seeded_reset_is_deterministic(mode: str) -> None:
    env_a, env_b = make(mode=mode), make(mode=mode)
    for seed in (0, 1, 7):
        obs_a, info_a = env_a.reset(seed=seed)
        obs_b, info_b = env_b.reset(seed=seed)
        assert obs_a == obs_b and info_a["dialogue_id"] == info_b["dialogue_id"]
        assert info_a["turn_index"] == info_b["turn_index"]
        for action in ("<propose>SELECT 1</propose>", "<execute/>", "junk"):
            step_a, step_b = env_a.step(action), env_b.step(action)
            assert step_a[:4] == step_b[:4]
    seen = {make(mode=mode).reset(seed=s)[1]["dialogue_id"] for s in range(20)}
    assert len(seen) > 3, "different seeds should reach different dialogues"


def test_options_select_dialogue_and_turn() -> None:
    env = make(mode="turn", expose_gold=True)
    dialogue = env.unwrapped.dataset.dialogues[3]
    obs, info = env.reset(options={"dialogue_id": dialogue.dialogue_id, "turn": 1})
    assert info["dialogue_id"] == dialogue.dialogue_id and info["turn_index"] == 1
    assert info["gold_sql"] == dialogue.turns[1].query
    assert dialogue.turns[0].query in obs, "turn mode shows the gold history in the memory"
    with pytest.raises(ValueError, match="turn must be in"):
        env.reset(options={"dialogue_id": dialogue.dialogue_id, "turn": 99})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"dialog": 1})


def test_info_keys_are_documented_and_identical_from_reset_and_step() -> None:
    env = make()
    _, reset_info = env.reset(seed=0)
    *_, step_info = env.step("<propose>SELECT 1</propose>")
    assert tuple(reset_info) == INFO_KEYS == tuple(step_info)
    doc = MTSQLEnv.__doc__.split("## Information", 1)[1].split("## Version History", 1)[0]
    for key in INFO_KEYS:
        assert f"`{key}`" in doc, f"info key {key!r} is not documented in the class docstring"
    for key in mtsql_env.EnvConfig.__dataclass_fields__:
        assert key in mtsql_env.EnvConfig.__doc__, f"EnvConfig field {key!r} is not in its docstring"


def test_spaces_print_as_one_short_line() -> None:
    env = make()
    for space in (env.observation_space, env.action_space):
        text = repr(space)
        assert "\n" not in text and len(text) < 100, text
        assert f"<{len(space.character_set)} characters>" in text and str(space.max_length) in text
    env.close()


def test_a_tool_call_dict_drives_the_env_like_its_json_string() -> None:
    env = make()
    env.reset(options={"index": 0})
    _, _, _, _, info = env.step({"name": "propose", "arguments": '{"sql": "SELECT 1"}'})
    assert not info["format_error"]
    _, _, _, _, info = env.step({"name": "execute", "arguments": {}})
    assert not info["format_error"]
    env.close()


def test_unknown_keyword_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="unknown MTSQL env argument"):
        make(max_steps=3)


@pytest.mark.parametrize("vectorization_mode", ["sync", "async"])
def test_vector_envs_return_intact_text(vectorization_mode: str) -> None:
    single = make()
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0", num_envs=2, vectorization_mode=vectorization_mode, data_dir="sample"
    )
    try:
        observations, infos = envs.reset(seed=[3, 4])
        for i, seed in enumerate((3, 4)):
            expected, _ = single.reset(seed=seed)
            assert observations[i] == expected
        observations, rewards, terminated, truncated, infos = envs.step(
            ["<propose>SELECT 1</propose>", "<execute/>"]
        )
        assert observations[0].startswith("Candidate set")
        assert observations[1].startswith("Format error")
    finally:
        envs.close()


def test_render_modes_and_idempotent_close() -> None:
    env = make(render_mode="ansi")
    env.reset(seed=0)
    env.step("<propose>SELECT 1</propose>")
    text = env.render()
    assert "## Schema" in text and "<propose>SELECT 1</propose>" in text
    env.close()
    env.close()


@pytest.mark.parametrize("vectorization_mode", ["sync", "async"])
def test_vector_info_merges_when_sub_envs_are_out_of_step(vectorization_mode: str) -> None:
    # One sub-env answers while the other does not, in both orders: info values keep their types.
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0", num_envs=2, vectorization_mode=vectorization_mode, data_dir="sample", mode="turn"
    )
    try:
        envs.reset(seed=[0, 1])
        for actions in (["<answer>SELECT 1</answer>", "junk"], ["junk", "<answer>SELECT 1</answer>"]):
            *_, infos = envs.step(actions)
            answered = [actions.index(a) for a in actions if a.startswith("<answer>")][0]
            assert list(infos["turn_result"]["_sql"]) == [i == answered for i in range(2)]
            assert infos["turn_result"]["sql"][answered] == "SELECT 1"
            envs.reset(seed=[2, 3])
    finally:
        envs.close()
