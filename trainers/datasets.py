"""Training rows for GRPO: one row per (dialogue, user turn) of the env's turn-mode episodes.

Each row holds the conversational ``prompt`` (system + the first observation, built by the same code the
LLM agents use, `mtsql_agents.llm.build_initial_messages`, in native tool mode) and the ids the environment
needs to start that very episode again in ``reset(**row)``: ``dialogue_id`` and ``turn``. GRPO's groups
come from TRL itself: every row is rolled out ``num_generations`` times.

Rows also carry ``db_id``, ``num_turns`` and ``question`` (for inspection and curricula); the gold SQL is
never put in a row. In dialogue mode there is one row per dialogue (``turn`` is 0).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

__all__ = ["ROW_COLUMNS", "turn_rows", "build_turn_dataset"]

#: The columns of every row.
ROW_COLUMNS = ("prompt", "dialogue_id", "turn", "db_id", "num_turns", "question")


def turn_rows(
    env_id: str = "MTSQL-CoSQL-v0",
    *,
    dialogue_ids: Sequence[str] | None = None,
    turns: Sequence[int] | None = None,
    max_rows: int | None = None,
    few_shot: bool = False,
    system_prompt: str | None = None,
    **env_kwargs: Any,
) -> list[dict[str, Any]]:
    """The training rows as plain dicts, in dataset order (dialogue, then turn).

    Example:
        >>> rows = turn_rows(data_dir="sample", split="train", dialogue_ids=["train-0000"])
        >>> [(r["dialogue_id"], r["turn"]) for r in rows]
        [('train-0000', 0), ('train-0000', 1), ('train-0000', 2), ('train-0000', 3)]
        >>> [m["role"] for m in rows[1]["prompt"]], rows[1]["prompt"][-1]["content"].endswith(rows[1]["question"])
        (['system', 'user'], True)

    Args:
        env_id: registered environment id.
        dialogue_ids: keep only these dialogues (all by default).
        turns: keep only these 0-based turn indices (turn mode).
        max_rows: stop after this many rows.
        few_shot: put the worked example (tool-call form) in the prompt.
        system_prompt: replaces the env's instructions as the system message.
        **env_kwargs: ``gym.make`` keywords (``data_dir``, ``split``, ``mode``, ...); ``mode`` defaults to "turn".

    Returns:
        One dict per row with the columns `ROW_COLUMNS`.
    """
    import gymnasium as gym

    import mtsql_env  # noqa: F401 - registers the ids
    from mtsql_agents.llm import build_initial_messages

    env_kwargs.setdefault("mode", "turn")
    env = gym.make(env_id, **env_kwargs)
    try:
        dataset = env.unwrapped.dataset
        wanted = None if dialogue_ids is None else set(dialogue_ids)
        if wanted is not None:
            missing = wanted - {d.dialogue_id for d in dataset.dialogues}
            if missing:
                raise ValueError(f"no dialogue(s) {sorted(missing)} in {dataset.source} {dataset.split}")
        rows: list[dict[str, Any]] = []
        for dialogue in dataset.dialogues:
            if wanted is not None and dialogue.dialogue_id not in wanted:
                continue
            indices = range(len(dialogue.turns)) if env_kwargs["mode"] == "turn" else [0]
            for turn in indices:
                if turns is not None and turn not in turns:
                    continue
                options = {"dialogue_id": dialogue.dialogue_id}
                if env_kwargs["mode"] == "turn":
                    options["turn"] = turn
                observation, info = env.reset(options=options)
                prompt = build_initial_messages(
                    observation, system_prompt=system_prompt, few_shot=few_shot, native_tools=True
                )
                rows.append(
                    {
                        "prompt": prompt,
                        "dialogue_id": dialogue.dialogue_id,
                        "turn": turn,
                        "db_id": dialogue.db_id,
                        "num_turns": len(dialogue.turns),
                        "question": info["question"],
                    }
                )
                if max_rows is not None and len(rows) >= max_rows:
                    return rows
        return rows
    finally:
        env.close()


def build_turn_dataset(env_id: str = "MTSQL-CoSQL-v0", **kwargs: Any) -> datasets.Dataset:
    """`turn_rows` as a Hugging Face `datasets.Dataset` (conversational ``prompt`` column), for `GRPOTrainer`.

    Takes the same arguments as `turn_rows`.
    """
    from datasets import Dataset

    rows = turn_rows(env_id, **kwargs)
    if not rows:
        raise ValueError("no training rows: the selection (dialogue_ids, turns, max_rows) left nothing")
    logger.info("%d training rows from %s", len(rows), env_id)
    return Dataset.from_list(rows)
