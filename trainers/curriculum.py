"""Difficulty curricula: split the training rows into buckets, easiest first, and train bucket by bucket.

Two ways to say how hard a row (one dialogue turn) is:

- **gold hardness**: the official Spider/CoSQL grade of the turn's gold SQL (`mtsql_env.evaluation.hardness`,
  computed by the env's own evaluator): easy < medium < hard < extra. With ``num_buckets`` levels grouped
  in order: 4 → one bucket per level; 3 (MTSQL-R1's count) → easy | medium | hard+extra; 2 → easy+medium |
  hard+extra; 1 → everything. A turn whose gold does not parse has no grade and goes to the last bucket
  (with a warning). In dialogue mode a dialogue is as hard as its hardest turn.
- **solve rate** of the current policy: the share of ``samples`` rollouts per row whose answer is both
  EX- and EM-correct (the paper's "solved" test). Rows are sorted by decreasing solve rate (ties keep row
  order) and cut into ``num_buckets`` buckets of near-equal size: the most-solved first.

`split_dataset` turns buckets into one `datasets.Dataset` per bucket, in training order; `train_grpo`
runs one GRPO trainer per bucket, each continuing from the previous bucket's model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mtsql_env.evaluation import HARDNESS_LEVELS

if TYPE_CHECKING:
    import datasets

    from mtsql_agents.base import Agent

logger = logging.getLogger(__name__)

__all__ = [
    "CurriculumBucket",
    "RowKey",
    "group_levels",
    "hardness_buckets",
    "measure_solve_rates",
    "row_key",
    "solve_rate_buckets",
    "solve_rates",
    "split_dataset",
    "turn_hardness",
]

#: A training row's identity: ``(dialogue_id, turn)``.
RowKey = tuple[str, int]


@dataclass(frozen=True)
class CurriculumBucket:
    """One difficulty bucket: its name (e.g. ``"hard+extra"`` or ``"solve-rate-1"``) and its rows' keys."""

    name: str
    keys: tuple[RowKey, ...]

    def __len__(self) -> int:
        return len(self.keys)


def row_key(row: Mapping[str, Any]) -> RowKey:
    """The key of a training row (`mtsql_trainers.datasets` rows, or the runner's per-turn records)."""
    return str(row["dialogue_id"]), int(row.get("turn", 0) or 0)


def group_levels(num_buckets: int) -> list[tuple[str, ...]]:
    """The hardness levels of each bucket, easiest first.

    Example:
        >>> group_levels(3)
        [('easy',), ('medium',), ('hard', 'extra')]
        >>> group_levels(2)
        [('easy', 'medium'), ('hard', 'extra')]
    """
    levels = list(HARDNESS_LEVELS)
    if not 1 <= num_buckets <= len(levels):
        raise ValueError(f"hardness gives 1 to {len(levels)} buckets, not {num_buckets}")
    if num_buckets == len(levels):
        return [(level,) for level in levels]
    if num_buckets == 3:
        return [("easy",), ("medium",), ("hard", "extra")]
    if num_buckets == 2:
        return [("easy", "medium"), ("hard", "extra")]
    return [tuple(levels)]


def turn_hardness(env_id: str = "MTSQL-CoSQL-v0", **env_kwargs: Any) -> dict[RowKey, str | None]:
    """The gold hardness of every turn of the env's split, graded by the env's own evaluator.

    Example:
        >>> grades = turn_hardness(data_dir="sample", split="train")
        >>> len(grades), grades["train-0000", 0]
        (91, 'medium')

    Returns:
        ``{(dialogue_id, turn): "easy" | "medium" | "hard" | "extra" | None}`` (None: the gold does not parse).
    """
    import gymnasium as gym

    import mtsql_env  # noqa: F401 - registers the ids
    from mtsql_env.evaluation import Evaluator, EvaluatorConfig

    env = gym.make(env_id, **env_kwargs)
    try:
        unwrapped = env.unwrapped
        records = unwrapped.dataset
        evaluator = Evaluator(
            records.database_dir,
            records.tables_path,
            EvaluatorConfig(strict=unwrapped.config.strict_eval, etype="match"),
        )
        return {
            (dialogue.dialogue_id, turn.index): evaluator.gold_side(turn.query, dialogue.db_id).hardness
            for dialogue in records.dialogues
            for turn in dialogue.turns
        }
    finally:
        env.close()


def hardness_buckets(
    rows: Iterable[Mapping[str, Any]],
    env_id: str = "MTSQL-CoSQL-v0",
    num_buckets: int = 3,
    *,
    grades: Mapping[RowKey, str | None] | None = None,
    **env_kwargs: Any,
) -> list[CurriculumBucket]:
    """Bucket rows by the gold hardness of their turn (or hardest turn, in dialogue mode), easiest first.

    Args:
        rows: training rows (``dialogue_id``, ``turn``), e.g. a `datasets.Dataset` from `build_turn_dataset`.
        env_id: registered environment id (its data and evaluator grade the golds).
        num_buckets: 1 to 4 (see `group_levels`).
        grades: precomputed `turn_hardness`; computed from ``env_id`` and ``env_kwargs`` when None.
        **env_kwargs: ``gym.make`` keywords (``data_dir``, ``split``, ``mode``, ...).

    Returns:
        ``num_buckets`` buckets (some may be empty); every row is in exactly one.
    """
    rank = {level: i for i, level in enumerate(HARDNESS_LEVELS)}
    if grades is None:
        grades = turn_hardness(env_id, **{k: v for k, v in env_kwargs.items() if k != "mode"})
    dialogue_mode = env_kwargs.get("mode") == "dialogue"
    groups = group_levels(num_buckets)
    bucket_of = {level: i for i, group in enumerate(groups) for level in group}
    keys: list[list[RowKey]] = [[] for _ in groups]
    ungraded = 0
    for row in rows:
        key = row_key(row)
        if dialogue_mode:
            levels = [g for (d, _), g in grades.items() if d == key[0]]
        else:
            if key not in grades:
                raise KeyError(f"no gold hardness for {key}: is the row from another split or dataset?")
            levels = [grades[key]]
        if any(level is None for level in levels):
            ungraded += 1
            keys[-1].append(key)
            continue
        hardest = max(levels, key=rank.__getitem__)
        keys[bucket_of[hardest]].append(key)
    if ungraded:
        logger.warning(
            "%d row(s) have a gold query that does not parse; they go to the last bucket", ungraded
        )
    return [CurriculumBucket("+".join(group), tuple(k)) for group, k in zip(groups, keys)]


def solve_rates(records: Iterable[Mapping[str, Any]]) -> dict[RowKey, float]:
    """Per row, the share of attempts whose answer is EX- and EM-correct.

    Example:
        >>> solve_rates([
        ...     {"dialogue_id": "d", "turn": 0, "exec": 1, "exact": 1},
        ...     {"dialogue_id": "d", "turn": 0, "exec": 1, "exact": 0},
        ...     {"dialogue_id": "d", "turn": 1, "exec": 0, "exact": 0},
        ... ])
        {('d', 0): 0.5, ('d', 1): 0.0}

    Args:
        records: per-turn records with ``dialogue_id``, ``turn``, ``exec`` and ``exact``, such as
            `mtsql_agents.runner.run_episode`'s, one per attempt.
    """
    solved: dict[RowKey, list[int]] = {}
    for record in records:
        tally = solved.setdefault(row_key(record), [0, 0])
        tally[0] += int(bool(record["exec"]) and bool(record["exact"]))
        tally[1] += 1
    return {key: hits / total for key, (hits, total) in solved.items()}


def solve_rate_buckets(rates: Mapping[RowKey, float], num_buckets: int = 3) -> list[CurriculumBucket]:
    """Bucket rows by decreasing solve rate into near-equal buckets (``solve-rate-1`` is the most solved).

    Example:
        >>> rates = {("a", 0): 0.0, ("b", 0): 1.0, ("c", 0): 0.5, ("d", 0): 0.75}
        >>> [b.keys for b in solve_rate_buckets(rates, 2)]
        [(('b', 0), ('d', 0)), (('c', 0), ('a', 0))]
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets must be at least 1, not {num_buckets}")
    ordered = [key for _, key in sorted(((-rate, i), key) for i, (key, rate) in enumerate(rates.items()))]
    size, extra = divmod(len(ordered), num_buckets)
    buckets, start = [], 0
    for i in range(num_buckets):
        end = start + size + (i < extra)
        buckets.append(CurriculumBucket(f"solve-rate-{i + 1}", tuple(ordered[start:end])))
        start = end
    return buckets


def measure_solve_rates(
    agent: Agent,
    rows: Iterable[Mapping[str, Any]],
    env_id: str = "MTSQL-CoSQL-v0",
    *,
    samples: int = 4,
    **env_kwargs: Any,
) -> dict[RowKey, float]:
    """Play every row's episode ``samples`` times with ``agent`` (the current policy) and return solve rates.

    In dialogue mode a dialogue counts as solved when all its turns are.

    Args:
        agent: any `mtsql_agents.base.Agent`, e.g. an `LLMAgent` sampling at a temperature.
        rows: training rows (``dialogue_id``, ``turn``).
        env_id: registered environment id.
        samples: attempts per row.
        **env_kwargs: ``gym.make`` keywords; ``mode`` defaults to "turn".
    """
    import gymnasium as gym

    import mtsql_env  # noqa: F401 - registers the ids
    from mtsql_agents.runner import run_episode

    env_kwargs.setdefault("mode", "turn")
    env = gym.make(env_id, **env_kwargs)
    records: list[dict[str, Any]] = []
    try:
        for row in rows:
            dialogue_id, turn = row_key(row)
            options: dict[str, Any] = {"dialogue_id": dialogue_id}
            if env_kwargs["mode"] == "turn":
                options["turn"] = turn
            for _ in range(samples):
                turns = run_episode(env, agent, options=options)
                solved = bool(turns) and all(t["exec"] and t["exact"] for t in turns)
                records.append({"dialogue_id": dialogue_id, "turn": turn, "exec": solved, "exact": solved})
    finally:
        env.close()
    return solve_rates(records)


def split_dataset(
    dataset: datasets.Dataset, buckets: Sequence[CurriculumBucket], *, seed: int | None = None
) -> list[tuple[CurriculumBucket, datasets.Dataset]]:
    """One dataset per bucket, in bucket order (rows shuffled within a bucket when ``seed`` is given).

    Raises:
        ValueError: a row is in no bucket, or in several.
    """
    position = {}
    for b, bucket in enumerate(buckets):
        for key in bucket.keys:
            if key in position:
                raise ValueError(f"row {key} is in two buckets")
            position[key] = b
    indices: list[list[int]] = [[] for _ in buckets]
    for i, row in enumerate(dataset.select_columns(["dialogue_id", "turn"])):
        key = row_key(row)
        if key not in position:
            raise ValueError(f"row {key} is in no bucket")
        indices[position[key]].append(i)
    parts = []
    for bucket, idx in zip(buckets, indices):
        part = dataset.select(idx)
        parts.append((bucket, part.shuffle(seed=seed) if seed is not None and len(part) > 1 else part))
    return parts
