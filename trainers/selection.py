"""Difficulty-aware rejection sampling for the self-taught warm start of MTSQL-R1 (arXiv 2510.12831), as pure functions.

The recipe: sample N trajectories per training item, keep those whose answer is both execution- and
exact-set-match correct, then keep few of them per item, chosen by how hard the item is:

- **easy items** (the gold SQL's hardness is ``easy``, or *every* sample solved it): at most
  ``max_easy`` (2) trajectories, the **shortest** ones: the model already knows these, so the data should
  teach it to answer them directly;
- **other items**: at most ``max_other`` (3) trajectories, the **longest and most diverse** ones: those
  are where checking, reading feedback and correcting pay off, so the data keeps the loops that show it.

What "short", "long" and "diverse" mean here, concretely:

- *length* = the number of assistant messages (steps), ties broken by the characters the assistant wrote,
  then by the sample's index (so the choice is deterministic);
- *diverse* = the chosen trajectories differ first in their **action sequence** (kinds with verify
  target and verdict, e.g. ``propose execute verify:execution:fail correct ...``), then in the **set of SQL
  queries** they wrote (whitespace- and case-normalised); an exact duplicate (same assistant texts) is
  never kept twice, on either side.

Items with at least one correct trajectory are *solved*; the next round samples only the others
(`unsolved_items`). Nothing here imports torch or touches the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = [
    "DEFAULT_EASY_HARDNESS",
    "SampledTrajectory",
    "action_signature",
    "group_by_item",
    "is_easy_item",
    "normalize_sql",
    "select_item",
    "select_long_diverse",
    "select_shortest",
    "select_trajectories",
    "solved_items",
    "unsolved_items",
]

#: Gold hardness levels (official evaluator names) that make an item "easy".
DEFAULT_EASY_HARDNESS = ("easy",)

_SPACE_RE = re.compile(r"\s+")


def normalize_sql(sql: str) -> str:
    """Lower-case and collapse whitespace, so trivially different spellings count as one query.

    Example:
        >>> normalize_sql("SELECT  name\\nFROM Singer ;")
        'select name from singer'
    """
    return _SPACE_RE.sub(" ", sql.strip().rstrip(";").strip()).lower()


def action_signature(action: dict[str, Any] | None) -> str:
    """A short name for one parsed action (a tool call dict as the env's ``info["action"]``; empty: none parsed).

    Example:
        >>> action_signature({"name": "verify", "arguments": {"target": "execution", "verdict": "fail"}})
        'verify:execution:fail'
        >>> action_signature({"name": "propose", "arguments": {"sql": "SELECT 1"}})
        'propose'
        >>> action_signature({})
        'format_error'
    """
    if not action:
        return "format_error"
    name = str(action.get("name"))
    arguments = action.get("arguments") or {}
    if name == "verify":
        return ":".join(
            [name, str(arguments.get("target", "execution")), str(arguments.get("verdict") or "none")]
        )
    return name


@dataclass
class SampledTrajectory:
    """One sampled episode (one user turn, gold history) and how it ended.

    ``messages`` is the chat conversation the policy saw and wrote (system, user, assistant, tool roles),
    ending on the assistant's last action; ``actions`` holds one `action_signature` per step and ``sqls``
    the SQL of every propose/correct/answer-with-SQL step. ``exec``/``exact`` are the turn result (1, 0,
    or None when the turn was not answered or the gold SQL failed).
    """

    item_id: str  # "<dialogue_id>#<turn>"
    sample_index: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    sqls: list[str] = field(default_factory=list)
    answer_sql: str | None = None
    exec: int | None = None
    exact: int | None = None
    hardness: str | None = None  # of the gold SQL (official evaluator levels)
    gold_error: str | None = None  # the gold SQL failed to run: the item cannot be scored
    dialogue_id: str = ""
    turn: int = 0
    db_id: str = ""
    format_errors: int = 0
    truncated: bool = False
    reward: float = 0.0
    round: int = 0
    sampler: str = ""
    tools: str | None = None  # JSON of the tool schemas the policy was given (native tool mode), else None

    @property
    def correct(self) -> bool:
        """True when the answer is both execution- and exact-set-match correct."""
        return bool(self.exec) and bool(self.exact)

    @property
    def assistant_texts(self) -> tuple[str, ...]:
        """What the assistant wrote, message by message (tool calls included)."""
        out = []
        for message in self.messages:
            if message.get("role") == "assistant":
                calls = message.get("tool_calls") or []
                out.append(
                    str(message.get("content") or "") + "".join(str(c.get("function", c)) for c in calls)
                )
        return tuple(out)

    @property
    def length(self) -> tuple[int, int]:
        """(steps, assistant characters): the order "short" and "long" refer to."""
        texts = self.assistant_texts
        steps = len(texts) if texts else len(self.actions)
        return steps, sum(len(text) for text in texts)

    @property
    def sql_signature(self) -> frozenset[str]:
        """The set of normalised SQL queries the trajectory wrote."""
        return frozenset(normalize_sql(sql) for sql in self.sqls)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampledTrajectory:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _identity(trajectory: SampledTrajectory) -> tuple:
    """What makes two trajectories duplicates: the same assistant texts (or actions and SQL when no messages)."""
    return trajectory.assistant_texts or (tuple(trajectory.actions), tuple(trajectory.sqls))


def _dedupe(trajectories: Iterable[SampledTrajectory]) -> list[SampledTrajectory]:
    seen: set[tuple] = set()
    out = []
    for trajectory in trajectories:
        key = _identity(trajectory)
        if key not in seen:
            seen.add(key)
            out.append(trajectory)
    return out


def group_by_item(trajectories: Iterable[SampledTrajectory]) -> dict[str, list[SampledTrajectory]]:
    """Trajectories per item id, items in first-seen order, samples in their given order."""
    groups: dict[str, list[SampledTrajectory]] = {}
    for trajectory in trajectories:
        groups.setdefault(trajectory.item_id, []).append(trajectory)
    return groups


def is_easy_item(
    samples: Sequence[SampledTrajectory], easy_hardness: Sequence[str] = DEFAULT_EASY_HARDNESS
) -> bool:
    """An item is easy when its gold hardness is in ``easy_hardness`` or every one of its samples is correct.

    Example:
        >>> ok = dict(exec=1, exact=1)
        >>> is_easy_item([SampledTrajectory("d#0", 0, hardness="hard", **ok), SampledTrajectory("d#0", 1, hardness="hard", **ok)])
        True
        >>> is_easy_item([SampledTrajectory("d#0", 0, hardness="hard", **ok), SampledTrajectory("d#0", 1, hardness="hard")])
        False
        >>> is_easy_item([SampledTrajectory("d#1", 0, hardness="easy")])
        True
    """
    if not samples:
        return False
    if any(t.hardness in easy_hardness for t in samples if t.hardness is not None):
        return True
    return all(t.correct for t in samples)


def select_shortest(trajectories: Sequence[SampledTrajectory], k: int) -> list[SampledTrajectory]:
    """The ``k`` shortest distinct trajectories (fewest steps, then fewest characters, then sample order).

    Example:
        >>> ts = [SampledTrajectory("d#0", i, actions=["propose"] * n) for i, n in enumerate([5, 3, 4, 3])]
        >>> [t.sample_index for t in select_shortest(ts, 2)]  # sample 3 duplicates sample 1
        [1, 2]
    """
    ordered = sorted(trajectories, key=lambda t: (t.length, t.sample_index))
    return _dedupe(ordered)[: max(k, 0)]


def select_long_diverse(trajectories: Sequence[SampledTrajectory], k: int) -> list[SampledTrajectory]:
    """Up to ``k`` long trajectories that differ: new action sequences first, then new SQL sets, then length.

    Three greedy passes over the trajectories from longest to shortest: (1) take one whose action sequence
    is not yet chosen; (2) take one whose set of SQL queries is not yet chosen; (3) fill with the longest
    remaining ones. Exact duplicates are dropped first.

    Example:
        >>> fix = ["propose", "execute", "verify:execution:fail", "correct", "execute", "answer"]
        >>> plain = ["propose", "execute", "verify:execution:pass", "answer"]
        >>> ts = [SampledTrajectory("d#0", 0, actions=fix, sqls=["SELECT a", "SELECT b"]),
        ...       SampledTrajectory("d#0", 1, actions=fix, sqls=["SELECT c", "SELECT b"]),
        ...       SampledTrajectory("d#0", 2, actions=fix, sqls=["SELECT a", "SELECT b"]),
        ...       SampledTrajectory("d#0", 3, actions=plain, sqls=["SELECT b"])]
        >>> [t.sample_index for t in select_long_diverse(ts, 2)]  # a long one, then a new action sequence
        [0, 3]
        >>> [t.sample_index for t in select_long_diverse(ts, 3)]  # then new SQL; 2 duplicates 0
        [0, 3, 1]
    """
    ordered = _dedupe(sorted(trajectories, key=lambda t: (-t.length[0], -t.length[1], t.sample_index)))
    chosen: list[SampledTrajectory] = []
    passes = (lambda t: tuple(t.actions), lambda t: t.sql_signature, None)
    for key in passes:
        seen = {key(t) for t in chosen} if key else set()
        for trajectory in ordered:
            if len(chosen) >= k:
                return chosen
            if any(trajectory is c for c in chosen):
                continue
            if key is None or key(trajectory) not in seen:
                chosen.append(trajectory)
                if key is not None:
                    seen.add(key(trajectory))
    return chosen


def select_item(
    samples: Sequence[SampledTrajectory],
    *,
    max_easy: int = 2,
    max_other: int = 3,
    easy_hardness: Sequence[str] = DEFAULT_EASY_HARDNESS,
) -> list[SampledTrajectory]:
    """The trajectories to keep for one item: its correct samples, chosen by the item's difficulty.

    Example:
        >>> ok = dict(exec=1, exact=1, hardness="medium")
        >>> ts = [SampledTrajectory("d#0", i, actions=["propose"] * (i + 3), **ok) for i in range(4)]
        >>> [t.sample_index for t in select_item(ts)]  # all four solved it: easy, two shortest
        [0, 1]
        >>> ts.append(SampledTrajectory("d#0", 4, actions=["propose"], exec=1, exact=0, hardness="medium"))
        >>> [t.sample_index for t in select_item(ts)]  # one wrong sample: not easy, three longest
        [3, 2, 1]
    """
    correct = [t for t in samples if t.correct]
    if not correct:
        return []
    if is_easy_item(samples, easy_hardness):
        return select_shortest(correct, max_easy)
    return select_long_diverse(correct, max_other)


def select_trajectories(
    samples: Iterable[SampledTrajectory],
    *,
    max_easy: int = 2,
    max_other: int = 3,
    easy_hardness: Sequence[str] = DEFAULT_EASY_HARDNESS,
) -> list[SampledTrajectory]:
    """`select_item` over every item, in item order (first-seen)."""
    selected: list[SampledTrajectory] = []
    for group in group_by_item(samples).values():
        selected += select_item(group, max_easy=max_easy, max_other=max_other, easy_hardness=easy_hardness)
    return selected


def solved_items(samples: Iterable[SampledTrajectory]) -> set[str]:
    """Ids of the items with at least one correct sample.

    Example:
        >>> solved_items([SampledTrajectory("a#0", 0, exec=1, exact=1), SampledTrajectory("b#1", 0, exec=1, exact=0)])
        {'a#0'}
    """
    return {t.item_id for t in samples if t.correct}


def unsolved_items(items: Sequence[str], samples: Iterable[SampledTrajectory]) -> list[str]:
    """The items (in their order) that no sample solved: what the next round samples again.

    Example:
        >>> unsolved_items(["a#0", "b#1", "c#0"], [SampledTrajectory("b#1", 0, exec=1, exact=1)])
        ['a#0', 'c#0']
    """
    solved = solved_items(samples)
    return [item for item in items if item not in solved]
