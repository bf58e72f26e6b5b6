"""Difficulty curricula: hardness buckets over the bundled sample, solve-rate buckets from a real stub policy."""

from __future__ import annotations

import pytest

pytest.importorskip("datasets")

from mtsql_env.evaluation import HARDNESS_LEVELS  # noqa: E402
from mtsql_trainers.curriculum import (  # noqa: E402
    group_levels,
    hardness_buckets,
    measure_solve_rates,
    row_key,
    solve_rate_buckets,
    solve_rates,
    split_dataset,
    turn_hardness,
)
from mtsql_trainers.datasets import build_turn_dataset  # noqa: E402


@pytest.fixture(scope="module")
def dev_rows():
    return build_turn_dataset(data_dir="sample", split="dev")


@pytest.fixture(scope="module")
def dev_grades():
    return turn_hardness(data_dir="sample", split="dev")


@pytest.mark.parametrize("num_buckets", [1, 2, 3, 4])
def test_hardness_buckets_partition_every_sample_turn(dev_rows, dev_grades, num_buckets):
    buckets = hardness_buckets(
        dev_rows, num_buckets=num_buckets, grades=dev_grades, data_dir="sample", split="dev"
    )
    keys = [key for bucket in buckets for key in bucket.keys]
    assert len(keys) == len(set(keys)) == len(dev_rows) == 176
    assert set(keys) == {row_key(r) for r in dev_rows}
    rank = {level: i for i, level in enumerate(HARDNESS_LEVELS)}
    # Easy to extra: every turn of a later bucket is at least as hard as every turn of an earlier one.
    levels = [{dev_grades[k] for k in bucket.keys} for bucket in buckets]
    for earlier, later in zip(levels, levels[1:]):
        assert max(rank[g] for g in earlier) < min(rank[g] for g in later)
    assert [b.name for b in buckets] == ["+".join(g) for g in group_levels(num_buckets)]


def test_three_buckets_in_training_order(dev_rows, dev_grades):
    buckets = hardness_buckets(dev_rows, num_buckets=3, grades=dev_grades)
    parts = split_dataset(dev_rows, buckets, seed=0)
    assert [b.name for b, _ in parts] == ["easy", "medium", "hard+extra"]
    for bucket, part in parts:
        assert sorted(row_key(r) for r in part.select_columns(["dialogue_id", "turn"])) == sorted(bucket.keys)
        assert {dev_grades[row_key(r)] for r in part} <= set(bucket.name.split("+"))
    assert sum(len(p) for _, p in parts) == len(dev_rows)


def test_hardness_computed_from_the_env_matches_the_evaluator(dev_rows):
    from mtsql_env.datasets import load_sample
    from mtsql_env.evaluation import Evaluator

    grades = turn_hardness(data_dir="sample", split="dev")
    sample = load_sample("dev")
    evaluator = Evaluator(sample.database_dir, sample.tables_path)
    dialogue = sample.dialogues[3]
    for turn in dialogue.turns:
        assert (
            grades[dialogue.dialogue_id, turn.index]
            == evaluator.score_turn(turn.query, turn.query, dialogue.db_id).hardness
        )


def test_solve_rate_buckets_from_a_stub_policy():
    """A stub policy that knows even turns (answers the gold) and not odd ones, played on the real env."""
    from mtsql_agents.base import Agent
    from mtsql_env.actions import Action

    class EvenTurnsAgent(Agent):
        name = "even-turns"
        needs_gold = True  # it reads the gold: agents see it only when they declare so (issue 9)

        def act(self, observation, info):
            return Action("answer", sql=info["gold_sql"] if info["turn_index"] % 2 == 0 else "SELECT 1")

    rows = build_turn_dataset(data_dir="sample", split="train", max_rows=12)
    rates = measure_solve_rates(
        EvenTurnsAgent(), rows, samples=2, data_dir="sample", split="train", expose_gold=True
    )
    assert rates == {row_key(r): float(r["turn"] % 2 == 0) for r in rows}
    buckets = solve_rate_buckets(rates, 3)
    assert [len(b) for b in buckets] == [4, 4, 4]
    ordered = [rates[k] for b in buckets for k in b.keys]
    assert ordered == sorted(ordered, reverse=True)  # most-solved first
    assert (
        buckets[0].keys == tuple(k for k in (row_key(r) for r in rows) if rates[k] == 1.0)[:4]
    )  # ties keep row order
    parts = split_dataset(rows, buckets)
    assert [len(p) for _, p in parts] == [4, 4, 4]


def test_solve_rates_count_only_ex_and_em():
    records = [{"dialogue_id": "d", "turn": 0, "exec": 1, "exact": 1}] * 3 + [
        {"dialogue_id": "d", "turn": 0, "exec": 1, "exact": 0}
    ]
    assert solve_rates(records) == {("d", 0): 0.75}


def test_split_dataset_rejects_missing_rows(dev_rows, dev_grades):
    buckets = hardness_buckets(dev_rows, num_buckets=2, grades=dev_grades)
    with pytest.raises(ValueError, match="in no bucket"):
        split_dataset(dev_rows, buckets[:1])
