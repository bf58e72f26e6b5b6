"""Difficulty-aware rejection sampling (`mtsql_trainers.selection`) on crafted trajectory sets."""

from __future__ import annotations

import doctest

import mtsql_trainers.selection as selection
from mtsql_trainers.selection import (
    SampledTrajectory,
    select_item,
    select_long_diverse,
    select_shortest,
    select_trajectories,
    solved_items,
    unsolved_items,
)

PLAIN = ["propose", "execute", "verify:execution:pass", "answer"]
EXEC_FIX = [
    "propose",
    "execute",
    "verify:execution:fail",
    "correct",
    "execute",
    "verify:execution:pass",
    "answer",
]
MEMORY_FIX = [
    "propose",
    "execute",
    "verify:execution:pass",
    "verify:memory:fail",
    "correct",
    "execute",
    "answer",
]


def traj(
    item: str,
    index: int,
    actions: list[str],
    sqls: list[str],
    *,
    ok: bool = True,
    hardness: str = "hard",
    exact: int | None = None,
) -> SampledTrajectory:
    """A trajectory whose assistant messages are its actions (one message per step)."""
    messages = [{"role": "system", "content": "rules"}, {"role": "user", "content": "question"}]
    for step, action in enumerate(actions):
        sql = sqls[min(step, len(sqls) - 1)] if action in ("propose", "correct") else ""
        messages += [
            {"role": "assistant", "content": f"<{action}>{sql}"},
            {"role": "user", "content": "feedback"},
        ]
    return SampledTrajectory(
        item,
        index,
        messages=messages[:-1],
        actions=actions,
        sqls=sqls,
        exec=int(ok),
        exact=int(ok) if exact is None else exact,
        hardness=hardness,
    )


def test_doctests() -> None:
    result = doctest.testmod(selection)
    assert result.attempted >= 8 and result.failed == 0


def test_only_ex_and_em_correct_trajectories_are_kept() -> None:
    samples = [
        traj("d#1", 0, PLAIN, ["SELECT a"], ok=False),
        traj("d#1", 1, EXEC_FIX, ["SELECT b", "SELECT c"], exact=0),  # right rows, wrong structure
        traj("d#1", 2, PLAIN, ["SELECT c"]),
    ]
    kept = select_item(samples)
    assert [t.sample_index for t in kept] == [2]
    assert all(t.exec == 1 and t.exact == 1 for t in kept)
    assert select_item(samples[:2]) == []


def test_easy_hardness_keeps_at_most_two_shortest() -> None:
    samples = [
        traj("e#0", 0, EXEC_FIX, ["SELECT x", "SELECT a"], hardness="easy"),
        traj("e#0", 1, PLAIN, ["SELECT a"], hardness="easy"),
        traj("e#0", 2, MEMORY_FIX, ["SELECT a", "SELECT a WHERE b"], hardness="easy"),
        traj("e#0", 3, PLAIN + [], ["SELECT  A"], hardness="easy"),
        traj("e#0", 4, PLAIN, ["SELECT q"], ok=False, hardness="easy"),  # a failure does not make it hard
    ]
    kept = select_item(samples)
    assert len(kept) == 2
    assert [t.length[0] for t in kept] == [4, 4]  # the two 4-step trajectories, not the 7-step ones
    assert {t.sample_index for t in kept} == {1, 3}


def test_always_solved_item_is_easy_whatever_its_hardness() -> None:
    samples = [
        traj("x#2", i, a, ["SELECT a", "SELECT b"], hardness="extra")
        for i, a in enumerate([EXEC_FIX, PLAIN, MEMORY_FIX])
    ]
    kept = select_item(samples)
    # shortest first; 0 and 2 tie on steps and the memory loop (2) is written in fewer characters
    assert [t.sample_index for t in kept] == [1, 2]
    assert kept[1].length[0] == kept[0].length[0] + 3 and kept[1].length[1] < samples[0].length[1]
    samples.append(traj("x#2", 3, PLAIN, ["SELECT z"], ok=False, hardness="extra"))
    assert len(select_item(samples)) == 3  # one miss: a hard item keeps three


def test_hard_item_prefers_long_and_distinct_action_sequences() -> None:
    samples = [
        traj("h#3", 0, PLAIN, ["SELECT a"]),
        traj("h#3", 1, EXEC_FIX, ["SELECT a_x", "SELECT a"]),
        traj("h#3", 2, EXEC_FIX, ["SELECT a_y", "SELECT a"]),
        traj("h#3", 3, MEMORY_FIX, ["SELECT a", "SELECT a WHERE b"]),
        traj("h#3", 4, PLAIN, ["SELECT a"], ok=False),
    ]
    kept = select_item(samples, max_other=3)
    # both long action sequences first, then the plain one (a new action sequence beats a new SQL set)
    assert {tuple(t.actions) for t in kept[:2]} == {tuple(EXEC_FIX), tuple(MEMORY_FIX)}
    assert tuple(kept[2].actions) == tuple(PLAIN)
    # with only 2 slots the two distinct long loops win
    assert {tuple(t.actions) for t in select_item(samples, max_other=2)} == {
        tuple(EXEC_FIX),
        tuple(MEMORY_FIX),
    }


def test_long_diverse_uses_sql_diversity_then_length_and_never_duplicates() -> None:
    same_actions = [traj("h#0", i, EXEC_FIX, [f"SELECT {c}", "SELECT a"]) for i, c in enumerate("bbc")]
    kept = select_long_diverse(same_actions, 3)
    # sample 1 duplicates sample 0 exactly: only two distinct trajectories exist
    assert [t.sample_index for t in kept] == [0, 2]
    assert len(select_shortest(same_actions, 5)) == 2


def test_select_trajectories_respects_caps_per_item_and_item_order() -> None:
    samples = []
    for item, hardness in (("b#0", "easy"), ("a#1", "hard")):
        for i in range(6):
            actions = EXEC_FIX if i % 2 else PLAIN
            samples.append(traj(item, i, actions, [f"SELECT {i}", f"SELECT {i} + 1"], hardness=hardness))
    samples.append(traj("a#1", 6, PLAIN, ["SELECT 9"], ok=False, hardness="hard"))  # a#1 not always solved
    samples.append(traj("c#2", 0, PLAIN, ["SELECT 1"], ok=False))
    kept = select_trajectories(samples, max_easy=2, max_other=3)
    per_item = [t.item_id for t in kept]
    assert per_item == ["b#0"] * 2 + ["a#1"] * 3
    assert all(t.length[0] == 4 for t in kept[:2])  # easy: the short ones
    assert [t.length[0] for t in kept[2:]] == [7, 4, 7]  # hard: long, new action sequence, then new SQL
    assert solved_items(samples) == {"a#1", "b#0"}
    assert unsolved_items(["b#0", "c#2", "a#1"], samples) == ["c#2"]


def test_round_trip_through_dict() -> None:
    t = traj("d#0", 7, EXEC_FIX, ["SELECT 1", "SELECT 2"])
    again = SampledTrajectory.from_dict({**t.to_dict(), "unknown_future_field": 1})
    assert again == t and again.correct
