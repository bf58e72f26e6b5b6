"""Greedy distillation: keep a random variant only if it tells some gold apart from a neighbour not yet told apart.

"Told apart" is the official execution-match verdict (:mod:`mtsql_env.evaluation.exec_match`): both queries get
the official string preparation (DISTINCT deleted, spaced operators joined), and a neighbour is separated on a
database when it fails there or its rows differ from the gold's by :func:`results_equal`. The original database
comes first: what it already separates needs no variant. A candidate on which any gold fails (an error or a
timeout) is rejected outright, because the official evaluator aborts when a gold fails on a suite database.
Queries run read-only through :class:`~mtsql_env.executor.SQLiteExecutor`, with its timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtsql_env.evaluation.exec_match import (
    Row,
    order_matters,
    prepare_for_execution,
    results_equal,
)
from mtsql_env.executor import ErrorKind, SQLiteExecutor

__all__ = ["DistillResult", "GoldReport", "distill"]

logger = logging.getLogger(__name__)


@dataclass
class GoldReport:
    """One gold's neighbours: how many, how many the original and the kept variants separate."""

    sql: str
    neighbours: int = 0
    by_original: int = 0
    separated: int = 0
    gold_error: str | None = None
    unseparated: list[str] = field(default_factory=list)


@dataclass
class DistillResult:
    kept: list[Path]
    tried: int
    rejected: int  # candidates on which some gold failed
    golds: list[GoldReport]


@dataclass
class _Pending:
    index: int  # of the gold in ``golds``
    report: GoldReport
    sql: str  # prepared gold
    ordered: bool
    neighbours: list[tuple[str, str]]  # (original text, prepared text), not yet separated


def _rows(executor: SQLiteExecutor, path: Path, sql: str) -> tuple[tuple[Row, ...] | None, ErrorKind | None]:
    result = executor.execute(path, sql)
    if result.error is not None:
        return None, result.error
    return tuple(result.rows), None


def _separates(
    executor: SQLiteExecutor,
    path: Path,
    gold: tuple[Row, ...],
    ordered: bool,
    neighbour: str,
) -> bool:
    rows, error = _rows(executor, path, neighbour)
    if error is ErrorKind.TIMEOUT:
        return False  # unknown: the official evaluator would have waited for it
    return rows is None or not results_equal(gold, rows, order_matters=ordered)


def distill(
    original: Path,
    golds: Sequence[str],
    neighbours: Sequence[Sequence[str]],
    make_candidate: Callable[[int, Path, int | None], None],
    scratch: Path,
    keep_as: Callable[[int], Path],
    executor: SQLiteExecutor,
    *,
    max_variants: int,
    budget: int,
    batch: int = 4,
    progress: Callable[[], None] | None = None,
) -> DistillResult:
    """Try up to ``budget`` candidates, keep at most ``max_variants``; stop once every neighbour is separated.

    Args:
        original: the original database (already in the suite).
        golds: the gold queries of this database, distinct.
        neighbours: the neighbour queries of each gold.
        make_candidate: writes candidate ``i`` at the given path, favouring the constants of the gold whose index
            is the third argument (None: no gold favoured); deterministic in its arguments. All but the
            last candidate of a round favour a gold that still has unseparated neighbours, in turn.
        scratch: where candidates are written while judged (a digit is appended; must not contain ``.sqlite``).
        keep_as: the suite path of the ``k``-th kept variant.
        executor: runs every query read-only with a timeout.
        max_variants: variants kept at most.
        budget: candidates tried at most.
        batch: candidates generated per round; the one that separates the most pending neighbours is kept
            (greedy set cover), so the variant cap is spent on the most useful databases.
        progress: called once per candidate tried (a progress bar's update).
    """
    pending: list[_Pending] = []
    reports: list[GoldReport] = []
    for index, (gold, near) in enumerate(zip(golds, neighbours)):
        sql = prepare_for_execution(gold)
        prepared = {
            text: p for text in near if (p := prepare_for_execution(text)) != sql
        }  # else identical to EX
        report = GoldReport(gold, neighbours=len(prepared))
        reports.append(report)
        rows, error = _rows(executor, original, sql)
        if rows is None:
            report.gold_error = f"gold fails on the original database: {error.value if error else 'error'}"
            continue
        ordered = order_matters(sql)
        left = [(t, p) for t, p in prepared.items() if not _separates(executor, original, rows, ordered, p)]
        report.by_original = report.separated = len(prepared) - len(left)
        if left:
            pending.append(_Pending(index, report, sql, ordered, left))
    runnable = list(
        dict.fromkeys(prepare_for_execution(g) for g, r in zip(golds, reports) if r.gold_error is None)
    )
    kept: list[Path] = []
    tried = rejected = 0
    while tried < budget and len(kept) < max_variants and any(p.neighbours for p in pending):
        best: tuple[int, Path, list[list[tuple[str, str]]]] | None = None
        open_golds = [item.index for item in pending if item.neighbours]
        for slot in range(min(batch, budget - tried)):
            path = scratch.with_name(f"{scratch.name}{slot}")
            focus = open_golds[(tried - tried // batch) % len(open_golds)] if slot < batch - 1 else None
            make_candidate(tried, path, focus)
            tried += 1
            if progress is not None:
                progress()
            separated = _judge(executor, path, runnable, pending)
            if separated is None:
                rejected += 1
                continue
            count = sum(map(len, separated))
            if count and (best is None or count > best[0]):
                best = (count, path, separated)
        executor.close()  # the scratch files are about to be renamed or overwritten
        if best is None:
            continue
        _, path, separated = best
        target = keep_as(len(kept))
        path.replace(target)
        kept.append(target)
        for item, done in zip(pending, separated):
            if done:
                item.neighbours = [n for n in item.neighbours if n not in done]
                item.report.separated += len(done)
    for slot in range(batch):
        scratch.with_name(f"{scratch.name}{slot}").unlink(missing_ok=True)
    for item in pending:
        item.report.unseparated = [n for n, _ in item.neighbours]
    return DistillResult(kept, tried, rejected, reports)


def _judge(
    executor: SQLiteExecutor, path: Path, golds: Sequence[str], pending: Sequence[_Pending]
) -> list[list[tuple[str, str]]] | None:
    """The pending neighbours a candidate separates, per gold; None when some gold fails on it."""
    gold_rows: dict[str, tuple[Row, ...]] = {}
    for sql in golds:
        rows, _error = _rows(executor, path, sql)
        if rows is None:
            return None
        gold_rows[sql] = rows
    return [
        [
            (n, p)
            for n, p in item.neighbours
            if _separates(executor, path, gold_rows[item.sql], item.ordered, p)
        ]
        for item in pending
    ]
