"""The two-choice task: a small, deterministic learning check for RL trainers (PPO and GRPO share it).

## What an episode is
One user turn of the data (turn mode, gold history). The prompt shows the turn's question and two
candidate SQL queries labelled A and B: one is the turn's gold SQL, the other a **distractor**, the gold
SQL of another turn on the same database, kept only if the official evaluator scores it EX = 0 and
EM = 0 against this turn's gold (so exactly one candidate is right). Which letter holds the gold is drawn
per item from a seeded generator (about half A, half B).

## How a reply becomes an action
The **first non-blank character** of the reply decides: ``A``/``a`` chooses candidate A, ``B``/``b``
candidate B (`parse_choice`). A choice is sent to the real `MTSQLEnv` as ``Action("answer", sql=...)``,
so the environment executes and scores it: the reward is the env's ``outcome`` preset, ``EX + EM``
(2 for the gold, 0 for the distractor). A reply that chooses nothing goes to the environment verbatim;
it is almost always a format error (reward 0), and the episode ends after that one step
(``max_steps_per_turn=1``).

## What it measures
Mean reward = 2 × (fraction of episodes that chose the gold). Two skills move it:

1. *answering in the format*: a random policy rarely starts its reply with A or B; learning to do so
   lifts the mean reward towards 1.0 even without reading the candidates (the gold is A about half the
   time);
2. *discriminating*: a mean reward above 1.0 means the policy picks the gold more often than chance.

A ~45k-parameter random model (`mtsql_agents.tiny`) learns (1) in a few dozen RL steps; that is what the
trainer tests check. A real model should reach (2). The schema and the dialogue history are left out of
the prompt on purpose, to keep sequences short enough for CPU tests.

## API
- `two_choice_dataset(split, n, ...)` → list of `TwoChoiceItem` (``item.messages()`` is the chat prompt
  the agents would build; ``item.to_row()`` a dataset row with ``prompt`` and the item's ids);
- `TwoChoiceEnv`: a Gymnasium wrapper over `MTSQLEnv` playing these items (``reset(options={"item": i})``);
- `parse_choice(reply)`, `score_choice(reply, item, env)`, `score_choices(replies, items, env)`: reward
  functions through the same environment, for trainers that generate outside an env loop (e.g. TRL GRPO).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from mtsql_env.actions import Action
from mtsql_env.config import EnvConfig
from mtsql_env.env import MTSQLEnv
from mtsql_env.evaluation.evaluator import Evaluator

logger = logging.getLogger(__name__)

__all__ = [
    "TWO_CHOICE_SYSTEM_PROMPT",
    "TwoChoiceEnv",
    "TwoChoiceItem",
    "parse_choice",
    "score_choice",
    "score_choices",
    "two_choice_dataset",
]

#: The system message of two-choice episodes (replaces the action protocol of the full task).
TWO_CHOICE_SYSTEM_PROMPT = (
    "Choose the SQL query that answers the user's question. Start your reply with its letter: A or B."
)
CHOICES = ("A", "B")


@dataclass(frozen=True)
class TwoChoiceItem:
    """One two-choice question: a data turn, its two candidates, and where the gold is."""

    index: int  # position in the dataset list (what ``reset(options={"item": index})`` takes)
    dialogue_id: str
    turn: int  # 0-based turn of the dialogue
    db_id: str
    question: str
    candidates: tuple[str, str]  # SQL shown as A and B
    gold_choice: str  # "A" or "B"

    @property
    def observation(self) -> str:
        """The user message of the episode."""
        return (
            f"## Question\n{self.question}\n\n## Candidates\nA: {self.candidates[0]}\nB: {self.candidates[1]}\n\n"
            "Reply with the letter of the query that answers the question: A or B."
        )

    def messages(self, system_prompt: str = TWO_CHOICE_SYSTEM_PROMPT) -> list[dict[str, Any]]:
        """The chat prompt, built by the agents' own message code (`build_initial_messages`)."""
        from mtsql_agents.llm import build_initial_messages

        return build_initial_messages(self.observation, system_prompt=system_prompt)

    def to_row(self) -> dict[str, Any]:
        """A dataset row: ``prompt`` (messages) plus the ids a reward function needs."""
        return {
            "prompt": self.messages(),
            "item": self.index,
            "dialogue_id": self.dialogue_id,
            "turn": self.turn,
            "gold_choice": self.gold_choice,
        }


def parse_choice(reply: str) -> str | None:
    """The choice a reply makes: its first non-blank character, ``A``/``a`` or ``B``/``b``; else None.

    Example:
        >>> parse_choice("  B, because it filters on age")
        'B'
        >>> parse_choice("a") , parse_choice("Answer: B"), parse_choice("")
        ('A', 'A', None)
    """
    stripped = reply.lstrip()
    first = stripped[:1].upper()
    return first if first in CHOICES else None


def _inner_env(split: str, data_dir: str | None, benchmark: str, **env_kwargs: Any) -> MTSQLEnv:
    config = EnvConfig(
        benchmark=benchmark,
        split=split,
        data_dir=data_dir,
        mode="turn",
        reward="outcome",
        max_steps_per_turn=1,
        **env_kwargs,
    )
    return MTSQLEnv(config=config)


def _build_items(env: MTSQLEnv, n: int | None, seed: int) -> list[TwoChoiceItem]:
    dataset = env.dataset
    evaluator = Evaluator(dataset.database_dir, dataset.tables_path)
    rng = np.random.default_rng(seed)
    turns = [(d, t) for d in dataset.dialogues for t in range(len(d.turns))]
    by_db: dict[str, list[str]] = {}
    for dialogue, t in turns:
        by_db.setdefault(dialogue.db_id, []).append(dialogue.turns[t].query)
    items: list[TwoChoiceItem] = []
    for dialogue, t in turns:
        gold = dialogue.turns[t].query
        own = evaluator.score_turn(gold, gold, dialogue.db_id)
        if own.gold_error or not (own.exec and own.exact):
            continue  # the gold must itself score EX = EM = 1
        pool = [sql for sql in dict.fromkeys(by_db[dialogue.db_id]) if sql != gold]
        order = rng.permutation(len(pool))
        distractor = None
        for k in order[:20]:
            score = evaluator.score_turn(pool[k], gold, dialogue.db_id)
            if not score.exec and not score.exact:
                distractor = pool[k]
                break
        if distractor is None:
            continue
        gold_first = bool(rng.integers(2) == 0)
        candidates = (gold, distractor) if gold_first else (distractor, gold)
        items.append(
            TwoChoiceItem(
                index=len(items),
                dialogue_id=dialogue.dialogue_id,
                turn=t,
                db_id=dialogue.db_id,
                question=dialogue.turns[t].utterance,
                candidates=candidates,
                gold_choice="A" if gold_first else "B",
            )
        )
        if n is not None and len(items) >= n:
            break
    if not items:
        raise ValueError(f"no two-choice items could be built from {dataset.source} {dataset.split}")
    return items


def two_choice_dataset(
    split: str = "train",
    n: int | None = None,
    *,
    data_dir: str | None = "sample",
    benchmark: str = "cosql",
    seed: int = 0,
) -> list[TwoChoiceItem]:
    """Build the two-choice items of a split, deterministically (same arguments, same items).

    Args:
        split: ``"train"`` or ``"dev"``.
        n: keep the first ``n`` items (data order); None keeps all.
        data_dir: where the data is; ``"sample"`` (default) is the bundled sample.
        benchmark: ``"cosql"`` or ``"sparc"``.
        seed: seeds the choice of distractors and of the gold's letter.

    Returns:
        The items, ``items[i].index == i``.
    """
    env = _inner_env(split, data_dir, benchmark)
    try:
        return _build_items(env, n, seed)
    finally:
        env.close()


class TwoChoiceEnv(gym.Wrapper):
    """Two-choice episodes on the real `MTSQLEnv` (see the module docstring for the rules).

    ``reset(seed=..., options={"item": i})`` starts item ``i`` (without ``item``, one is drawn with a
    generator seeded by ``seed``); the observation is `TwoChoiceItem.observation`. ``step(reply)`` maps
    the reply with `parse_choice` and lets the wrapped environment score it; ``info`` adds ``item``,
    ``choice`` (``"A"``, ``"B"`` or None) and ``gold_choice``.

    With ``steps=1`` (the default) an episode is one question. With ``steps=k`` it is k questions in a
    row (the next one drawn from the generator, shown as the next observation) and the reward is
    **delayed**: every step but the last earns 0 and the last earns the sum of the k scores. A trainer
    then has to carry the final reward back to the replies that earned it (multi-turn credit assignment).

    Args:
        items: the items to play (default: ``two_choice_dataset(split, n, ...)``).
        split, n, data_dir, benchmark, seed: passed to `two_choice_dataset` when ``items`` is None.
        steps: questions per episode (agent steps); the reward arrives at the last one.
    """

    def __init__(
        self,
        items: Sequence[TwoChoiceItem] | None = None,
        *,
        split: str = "train",
        n: int | None = None,
        data_dir: str | None = "sample",
        benchmark: str = "cosql",
        seed: int = 0,
        steps: int = 1,
    ) -> None:
        if steps < 1:
            raise ValueError(f"steps must be at least 1, not {steps}")
        env = _inner_env(split, data_dir, benchmark)
        super().__init__(env)
        self.steps = steps
        self._done_steps, self._held = 0, 0.0
        self.items = list(items) if items is not None else _build_items(env, n, seed)
        if not self.items:
            raise ValueError("TwoChoiceEnv needs at least one item")
        self._rng = np.random.default_rng(seed)
        self._item: TwoChoiceItem | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        options = dict(options or {})
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        index = int(options.pop("item", self._rng.integers(len(self.items))))
        if options:
            raise ValueError(f"unknown reset option(s) {sorted(options)}; TwoChoiceEnv takes 'item'")
        if not 0 <= index < len(self.items):
            raise ValueError(f"item must be in [0, {len(self.items)}), not {index}")
        self._done_steps, self._held = 0, 0.0
        return self._start(index, seed)

    def _start(self, index: int, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        item = self._item = self.items[index]
        _, info = self.env.reset(seed=seed, options={"dialogue_id": item.dialogue_id, "turn": item.turn})
        return item.observation, {**info, "item": index, "choice": None, "gold_choice": item.gold_choice}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._item is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        item = self._item
        choice = parse_choice(action) if isinstance(action, str) else None
        sent = Action("answer", sql=item.candidates[CHOICES.index(choice)]) if choice else action
        obs, reward, terminated, truncated, info = self.env.step(sent)
        info = {**info, "item": item.index, "choice": choice, "gold_choice": item.gold_choice}
        if self.steps == 1:
            return obs, float(reward), terminated, truncated, info
        self._done_steps += 1
        self._held += float(reward)
        if self._done_steps < self.steps:  # the next question; this one's score is held back
            obs, _ = self._start(int(self._rng.integers(len(self.items))))
            return obs, 0.0, False, False, {**info, "reward_components": {}, "turn_result": None}
        return obs, self._held, True, False, {**info, "reward_components": {}}


def score_choice(reply: str, item: TwoChoiceItem, env: TwoChoiceEnv) -> float:
    """The environment's reward (EX + EM) for ``reply`` on ``item``: one episode on ``env``.

    ``env`` must have been built with the same items (``env.items[item.index] == item``).
    """
    if env.items[item.index] != item:
        raise ValueError("env was built with other items; build it with TwoChoiceEnv(items)")
    env.reset(options={"item": item.index})
    return env.step(reply)[1]


def score_choices(replies: Sequence[str], items: Sequence[TwoChoiceItem], env: TwoChoiceEnv) -> list[float]:
    """`score_choice` for each (reply, item) pair, e.g. as the body of a TRL reward function."""
    if len(replies) != len(items):
        raise ValueError(f"{len(replies)} replies for {len(items)} items")
    return [score_choice(reply, item, env) for reply, item in zip(replies, items)]
