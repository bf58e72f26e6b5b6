"""Scripted baselines: the oracle, the previous-turn baseline, a noisy self-correcting oracle, and a
blind reward farmer.

The first three read the gold SQL from ``info["gold_sql"]``: they declare ``needs_gold``, so the runners
make their env with ``expose_gold=True`` and hand them ``gold_sql`` (the one, explicit channel to the
gold; see `mtsql_env.info`). They bound what the loop can reach and show its mechanics; they are not
models. `RewardFarmingAgent` sees only what a policy sees and measures how much reward a preset pays for
never being right.
"""

from __future__ import annotations

import random
import re
from typing import Any

from sqlglot import exp

from mtsql_env.actions import Action
from mtsql_env.sql import parse

from .base import Agent

__all__ = ["OracleAgent", "PreviousTurnAgent", "NoisyCorrectingAgent", "RewardFarmingAgent"]

_FIRST_TABLE_RE = re.compile(r"^Table (\w+)\(", re.MULTILINE)


def _verdict_on(info: dict[str, Any]) -> str:
    """Honest verdict on the candidate's last execution: fail on an error, pass otherwise."""
    execution = info.get("execution") or {}
    return "fail" if execution.get("status") == "error" else "pass"


class _ScriptedAgent(Agent):
    """Plays a per-turn queue of actions, rebuilt whenever a new turn starts."""

    needs_gold = True

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        self._turn = None
        self._queue: list[Any] = []

    def act(self, observation: str, info: dict[str, Any]) -> Action:
        if info["turn_index"] != self._turn:
            self._turn = info["turn_index"]
            self._queue = self.plan(observation, info)
        step = self._queue.pop(0) if self._queue else Action("answer")
        return step(info) if callable(step) else step

    def plan(self, observation: str, info: dict[str, Any]) -> list[Any]:
        raise NotImplementedError

    @staticmethod
    def _check_and_answer(info: dict[str, Any], sql: str) -> list[Any]:
        steps: list[Any] = [
            Action("propose", sql=sql),
            Action("execute"),
            lambda i: Action("verify", target="execution", verdict=_verdict_on(i)),
        ]
        if info["turn_index"] > 0:
            steps.append(Action("verify", target="memory", verdict="pass"))
        steps.append(Action("answer"))
        return steps


class OracleAgent(_ScriptedAgent):
    """Proposes the gold SQL, executes it, verifies it (execution, then memory), and answers."""

    name = "oracle"

    def plan(self, observation: str, info: dict[str, Any]) -> list[Any]:
        return self._check_and_answer(info, info["gold_sql"])


class PreviousTurnAgent(_ScriptedAgent):
    """Answers the previous turn's gold SQL: how far one gets by assuming the user did not move on.

    At the first turn there is nothing to repeat, so it answers ``SELECT * FROM`` the schema's first table.
    """

    name = "previous-turn"

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        super().reset(observation, info)
        match = _FIRST_TABLE_RE.search(observation)
        self._previous = f"SELECT * FROM {match.group(1)}" if match else "SELECT 1"

    def plan(self, observation: str, info: dict[str, Any]) -> list[Any]:
        sql, self._previous = self._previous, info["gold_sql"]
        return [Action("propose", sql=sql), Action("execute"), Action("answer")]


def _typo_column(tree: exp.Expression, rng: random.Random) -> exp.Expression | None:
    columns = [c for c in tree.find_all(exp.Column) if c.name and c.name != "*"]
    if not columns:
        return None
    column = rng.choice(columns)
    column.set("this", exp.to_identifier(column.name + "_x"))
    return tree


def _drop_filter(tree: exp.Expression, rng: random.Random) -> exp.Expression | None:
    where = tree.find(exp.Where)
    if where is None:
        return None
    where.pop()
    return tree


class NoisyCorrectingAgent(_ScriptedAgent):
    """An oracle that first makes a realistic mistake, then finds and repairs it through the loop.

    With probability ``error_rate`` a turn starts from a corrupted gold: a misspelt column (execution
    fails, so the execution verdict is *fail*) or a dropped WHERE clause (runs, but the memory check
    shows the lost filter, so the memory verdict is *fail*). With ``self_correct=True`` it then
    corrects to the gold, executes and verifies again; with ``False`` it answers its first attempt,
    which measures what the correction loop is worth.
    """

    name = "noisy"

    def __init__(self, error_rate: float = 0.5, self_correct: bool = True, seed: int = 0) -> None:
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be in [0, 1], not {error_rate}")
        self.error_rate = error_rate
        self.self_correct = self_correct
        self._rng = random.Random(seed)
        if not self_correct:
            self.name = "noisy-no-correct"

    def plan(self, observation: str, info: dict[str, Any]) -> list[Any]:
        gold = info["gold_sql"]
        mistake = self._mistake(gold) if self._rng.random() < self.error_rate else None
        if mistake is None:
            return self._check_and_answer(info, gold)
        wrong, target = mistake
        if not self.self_correct:
            return [Action("propose", sql=wrong), Action("execute"), Action("answer")]
        steps: list[Any] = [Action("propose", sql=wrong), Action("execute")]
        if target == "execution":
            steps.append(lambda i: Action("verify", target="execution", verdict=_verdict_on(i)))
        else:
            steps += [
                Action("verify", target="execution", verdict="pass"),
                Action("verify", target="memory", verdict="fail"),
            ]
        steps += [
            Action("correct", sql=gold),
            Action("execute"),
            lambda i: Action("verify", target="execution", verdict=_verdict_on(i)),
            Action("answer"),
        ]
        return steps

    def _mistake(self, gold: str) -> tuple[str, str] | None:
        tree = parse(gold)
        if tree is None:
            return None
        if tree.find(exp.Where) is not None and self._rng.random() < 0.5:
            mutated, target = _drop_filter(tree.copy(), self._rng), "memory"
        else:
            mutated, target = _typo_column(tree.copy(), self._rng), "execution"
        if mutated is None:
            return None
        return mutated.sql(dialect="sqlite"), target


class RewardFarmingAgent(_ScriptedAgent):
    """Never tries to be right: the cheapest way to collect the process reward without the gold.

    Every turn: propose a query that cannot run, execute it, judge its execution *fail* (it errors),
    judge it against memory *fail* (its clause F1 is 0), answer it. Under the paper's ``process`` preset
    this earns 0.200 per turn with EX = EM = 0; ``process_guarded`` pays it nothing (docs/safety.md).
    """

    name = "farmer"
    needs_gold = False
    JUNK_SQL = "SELECT no_such_column FROM no_such_table"

    def plan(self, observation: str, info: dict[str, Any]) -> list[Any]:
        return [
            Action("propose", sql=self.JUNK_SQL),
            Action("execute"),
            Action("verify", target="execution", verdict="fail"),
            Action("verify", target="memory", verdict="fail"),
            Action("answer"),
        ]
