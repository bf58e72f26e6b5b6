"""Rewards of crafted trajectories, computed by hand (process preset unless said otherwise).

Dialogue 0 of the bundled sample (library_lending):
  turn 0: SELECT count(*) FROM book
  turn 1: SELECT count(*) FROM book WHERE genre = "Fantasy"
  turn 2: SELECT title, price FROM book WHERE genre = "Fantasy"
"""

from __future__ import annotations

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401
from mtsql_env.rewards import COMPONENTS

GOLD_1 = 'SELECT count(*) FROM book WHERE genre = "Fantasy"'
GOLD_2 = 'SELECT title, price FROM book WHERE genre = "Fantasy"'


def play(actions: list[str], turn: int, **kwargs) -> tuple[list[float], list[dict]]:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True, **kwargs)
    _, info = env.reset(options={"index": 0, "turn": turn})
    assert info["gold_sql"] == (GOLD_1, GOLD_2)[turn - 1], "the sample dialogue changed; update this test"
    rewards, infos = [], []
    for action in actions:
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        infos.append(info)
        assert sum(info["reward_components"].values()) == pytest.approx(reward)
    env.close()
    return rewards, infos


def test_error_then_fix() -> None:
    rewards, infos = play(
        [
            '<propose>SELECT count(*) FROM book WHERE genres = "Fantasy"</propose>',  # clause F1 2/3 (WHERE wrong)
            "<execute/>",  # unknown column
            '<verify target="execution" verdict="fail"/>',  # right: fail on an error scores 1
            f"<correct>{GOLD_1}</correct>",  # F1 1: R_gen mean 2/3 -> 5/6
            "<execute/>",
            '<verify target="execution" verdict="pass"/>',  # right again: R_execverify mean stays 1
            "<answer/>",  # EX 1, EM 1
        ],
        turn=1,
    )
    assert infos[1]["execution"]["status"] == "error" and infos[1]["execution"]["error"] == "unknown_column"
    expected = [0.8 * 2 / 3, 0.0, 0.1, 0.8 * (5 / 6 - 2 / 3), 0.0, 0.0, 2.0]
    assert rewards == pytest.approx(expected)
    # The dense rewards add up to the paper's formula for the turn.
    assert sum(rewards) == pytest.approx(1 + 1 + 0.1 * 1.0 + 0.1 * 0.0 + 0.8 * 5 / 6)
    assert infos[-1]["turn_result"]["exec"] == 1 and infos[-1]["turn_result"]["exact"] == 1
    assert infos[-1]["turn_reward_components"]["generation"] == pytest.approx(0.8 * 5 / 6)


def test_empty_result_judged_pass_scores_nothing_and_em_ignores_values() -> None:
    rewards, infos = play(
        [
            '<propose>SELECT title, price FROM book WHERE genre = "Cookery"</propose>',  # F1 2/3 (WHERE value)
            "<execute/>",  # empty result
            '<verify target="execution" verdict="pass"/>',  # pass on empty scores 0
            "<answer/>",  # EX 0 (rows differ), EM 1 (values are ignored by exact set match)
        ],
        turn=2,
    )
    assert infos[1]["execution"]["status"] == "empty"
    assert rewards == pytest.approx([0.8 * 2 / 3, 0.0, 0.0, 1.0])
    assert infos[-1]["turn_result"]["exec"] == 0 and infos[-1]["turn_result"]["exact"] == 1


def test_empty_result_judged_fail_scores_a_tenth() -> None:
    rewards, _ = play(
        [
            '<propose>SELECT title, price FROM book WHERE genre = "Cookery"</propose>',
            "<execute/>",
            '<verify target="execution" verdict="fail"/>',
        ],
        turn=2,
    )
    assert rewards[2] == pytest.approx(0.1 * 0.1)


def test_coherent_follow_up() -> None:
    rewards, infos = play(
        [f"<propose>{GOLD_2}</propose>", '<verify target="memory" verdict="pass"/>', "<answer/>"], turn=2
    )
    assert rewards == pytest.approx([0.8, 0.1, 2.0])
    assert infos[1]["action"] == {"name": "verify", "arguments": {"target": "memory", "verdict": "pass"}}


def test_incoherent_follow_up_drops_the_earlier_filter() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", expose_gold=True)
    env.reset(options={"index": 0, "turn": 2})
    env.step("<propose>SELECT title, price FROM book</propose>")  # forgets genre = "Fantasy": F1 2/3
    observation, reward, *_ = env.step('<verify target="memory" verdict="fail"/>')
    assert "Fantasy" in observation and "drop" in observation.lower(), observation
    assert reward == pytest.approx(0.1 * (1 - 2 / 3))
    # Passing the same incoherent candidate earns its F1 only.
    env.reset(options={"index": 0, "turn": 2})
    env.step("<propose>SELECT title, price FROM book</propose>")
    _, reward, *_ = env.step('<verify target="memory" verdict="pass"/>')
    assert reward == pytest.approx(0.1 * 2 / 3)


def test_malformed_and_out_of_order_actions_are_counted_not_raised() -> None:
    rewards, infos = play(
        ["<propose>SELECT", "<answer/>", "\x00\xff junk", f"<answer>{GOLD_1}</answer>"], turn=1
    )
    assert [i["format_error"] is not None for i in infos] == [True, True, True, False]
    assert infos[-1]["format_errors"] == 3
    assert "not closed" in infos[0]["format_error"] and "no candidate" in infos[1]["format_error"]
    # An answer with its own SQL counts as a proposal too (R_gen 1).
    assert rewards == pytest.approx([0.0, 0.0, 0.0, 0.8 + 2.0])


def test_penalties_are_options() -> None:
    rewards, _ = play(
        ["<propose>SELECT", f"<answer>{GOLD_1}</answer>"],
        turn=1,
        reward={"exec_match": 1.0, "exact_match": 1.0, "step_penalty": 0.01, "format_penalty": 0.5},
    )
    assert rewards == pytest.approx([-0.51, 2.0 - 0.01])


def test_outcome_preset_pays_only_at_the_answer() -> None:
    rewards, _ = play(
        [
            f"<propose>{GOLD_1}</propose>",
            "<execute/>",
            '<verify target="execution" verdict="pass"/>',
            "<answer/>",
        ],
        turn=1,
        reward="outcome",
    )
    assert rewards == pytest.approx([0.0, 0.0, 0.0, 2.0])


def test_turn_mode_truncates_at_the_step_limit() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", mode="turn", max_steps_per_turn=3)
    env.reset(options={"index": 0, "turn": 1})
    results = [env.step("<execute>SELECT 1</execute>") for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]
    assert "max_steps_per_turn=3" in results[-1][4]["truncation_reason"]


def test_dialogue_mode_forces_an_answer_at_the_step_limit_and_moves_on() -> None:
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", max_steps_per_turn=2, expose_gold=True)
    _, info = env.reset(options={"index": 0})
    env.step(f"<propose>{info['gold_sql']}</propose>")
    _, reward, terminated, truncated, info = env.step("<execute/>")
    assert info["turn_result"]["forced"] and info["turn_result"]["exec"] == 1
    assert info["turn_index"] == 1 and not terminated and not truncated
    assert reward == pytest.approx(2.0)


def test_every_component_is_reported() -> None:
    _, infos = play([f"<propose>{GOLD_1}</propose>"], turn=1)
    assert set(infos[0]["reward_components"]) == set(COMPONENTS)
