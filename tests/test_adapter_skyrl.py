"""The SkyRL-Gym adapter, through skyrl-gym's own registry and ``make``/``init``/``step`` (skyrl-gym 0.4)."""

from __future__ import annotations

import pytest

skyrl_gym = pytest.importorskip("skyrl_gym", reason="skyrl-gym not installed: pip install skyrl-gym==0.4.0")

from adapter_play import (
    DIALOGUE_ID,
    ENV_KWARGS,
    assert_nontrivial,
    import_without,
    play_in_process,
)

from mtsql_env.integrations.skyrl_env import MTSQLTextEnv
from mtsql_env.rewards import COMPONENTS


def play_skyrl(env_class: str, texts: list[str], env_config: dict, extras: dict):
    env = skyrl_gym.make(env_class, env_config=env_config, extras=extras)
    prompt, _ = env.init([])
    outputs = [env.step(text) for text in texts]
    metrics = env.get_metrics()
    env.close()
    return env, prompt, outputs, metrics


def test_registered_ids_make_the_adapter():
    assert isinstance(skyrl_gym.make("mtsql-cosql", env_config=ENV_KWARGS, extras={}), MTSQLTextEnv)
    sparc = skyrl_gym.make("mtsql-sparc", env_config={"data_dir": "sample"}, extras={})
    assert sparc.session.env.unwrapped.config.benchmark == "sparc"


def test_dialogue_step_rewards_match_in_process_play():
    script = play_in_process()
    assert_nontrivial(script)
    _, prompt, outputs, metrics = play_skyrl(
        "mtsql-cosql",
        script.texts,
        ENV_KWARGS,
        {"extra_info": {"dialogue_id": DIALOGUE_ID}, "max_turns": 64},
    )
    assert prompt == [{"role": "user", "content": script.first_observation}]
    assert [out["reward"] for out in outputs] == pytest.approx(script.rewards)
    assert [out["metadata"]["components"] for out in outputs] == [pytest.approx(c) for c in script.components]
    # Per-step components sum to the step reward; done only at the last answer, with no observation then.
    for out in outputs:
        assert sum(out["metadata"]["components"].values()) == pytest.approx(out["reward"])
    assert [out["done"] for out in outputs] == [False] * (len(outputs) - 1) + [True]
    assert outputs[-1]["observations"] == [] and outputs[0]["observations"][0]["role"] == "user"
    answers = [out["metadata"]["turn_result"] for out in outputs if out["metadata"]["turn_result"]]
    assert [a["turn_index"] for a in answers] == list(range(6))
    assert metrics["reward"] == pytest.approx(script.total)
    assert sum(metrics[name] for name in COMPONENTS) == pytest.approx(script.total)
    assert metrics["turns_answered"] == 6 and metrics["exec_accuracy"] == 1.0
    assert MTSQLTextEnv.aggregate_metrics([metrics, metrics])["reward"] == pytest.approx(script.total)


def test_turn_mode_row_from_top_level_extras_and_kept_prompt():
    script = play_in_process(options={"dialogue_id": DIALOGUE_ID, "turn": 2}, mode="turn")
    env = skyrl_gym.make(
        "mtsql-cosql",
        env_config={**ENV_KWARGS, "mode": "turn"},
        extras={"dialogue_id": DIALOGUE_ID, "turn": 2},
    )
    prompt = [{"role": "user", "content": "my own prompt"}]
    assert env.init(prompt)[0] == prompt
    outputs = [env.step(text) for text in script.texts]
    assert [out["reward"] for out in outputs] == pytest.approx(script.rewards)
    assert outputs[-1]["done"] and outputs[-1]["metadata"]["turn_result"]["turn_index"] == 2


def test_bad_reply_is_a_format_error_step_not_a_crash():
    env = skyrl_gym.make("mtsql-cosql", env_config=ENV_KWARGS, extras={"dialogue_id": DIALOGUE_ID})
    env.init([])
    out = env.step("I think the answer is 42")
    assert not out["done"] and out["metadata"]["format_error"]
    assert "Format error" in out["observations"][0]["content"]
    assert env.get_metrics()["format_errors"] == 1.0


def test_unknown_dialogue_is_a_clear_error():
    env = skyrl_gym.make("mtsql-cosql", env_config=ENV_KWARGS, extras={"dialogue_id": "no-such-dialogue"})
    with pytest.raises(ValueError, match="no dialogue 'no-such-dialogue'"):
        env.init([])


def test_missing_package_error_names_what_to_install(monkeypatch):
    error = import_without(monkeypatch, "mtsql_env.integrations.skyrl_env", "skyrl_gym")
    assert "needs skyrl-gym==0.4.0" in str(error) and 'pip install "mtsql-gym[skyrl]"' in str(error)
