"""Build a test suite: ``OUT/<db_id>/<db_id>.sqlite`` (the original) plus distilled ``<db_id>_<k>.sqlite`` variants.

The folder has the layout the official test-suite evaluator (and ``mtsql evaluate --db OUT``) reads: a
prediction is execution-correct only if it matches the gold on every ``.sqlite`` file of its database's folder.
Per database: the golds of the gold file are collected, their neighbours built
(:mod:`~mtsql_env.testsuite.neighbours`), random variants generated (:mod:`~mtsql_env.testsuite.generate`)
and distilled greedily (:mod:`~mtsql_env.testsuite.distill`). Candidate ``i`` of database ``d`` is drawn from
``random.Random(f"{seed}:{d}:{i}")``, so the suite is a pure function of the inputs and the seed.
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtsql_env.evaluation.files import read_gold
from mtsql_env.executor import ExecutorConfig, SQLiteExecutor
from mtsql_env.testsuite.distill import GoldReport, distill
from mtsql_env.testsuite.generate import (
    ValuePools,
    connect_read_only,
    fill_variant,
    read_schema,
)
from mtsql_env.testsuite.neighbours import literal_contexts, neighbour_queries

__all__ = [
    "DatabaseReport",
    "SuiteConfig",
    "SuiteReport",
    "build_suite",
    "golds_by_database",
]

logger = logging.getLogger(__name__)


@dataclass
class SuiteConfig:
    """Settings of :func:`build_suite`."""

    variants: int = field(default=20, metadata={"help": "Variants kept at most per database."})
    budget: int = field(default=100, metadata={"help": "Candidate databases tried at most per database."})
    batch: int = field(
        default=4, metadata={"help": "Candidates per round; the one separating the most neighbours is kept."}
    )
    seed: int = field(
        default=0,
        metadata={"help": "Seed of the neighbour sampling and the random databases."},
    )
    max_rows: int = field(default=12, metadata={"help": "Rows per table in a variant: 1 to this many."})
    max_neighbours: int = field(
        default=60, metadata={"help": "Neighbours per gold (a seeded sample above it)."}
    )
    timeout_s: float = field(default=2.0, metadata={"help": "Per-query time limit while distilling."})

    def __post_init__(self) -> None:
        if (
            self.variants < 0
            or self.budget < 0
            or self.max_neighbours < 0
            or self.max_rows < 1
            or self.batch < 1
        ):
            raise ValueError("variants, budget and max_neighbours must be >= 0, max_rows and batch >= 1")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")


@dataclass
class DatabaseReport:
    db_id: str
    golds: list[GoldReport]
    variants: list[Path]
    tried: int
    rejected: int
    bytes: int
    seconds: float

    @property
    def neighbours(self) -> int:
        return sum(g.neighbours for g in self.golds)

    @property
    def separated(self) -> int:
        return sum(g.separated for g in self.golds)


@dataclass
class SuiteReport:
    databases: list[DatabaseReport]
    missing: list[str]  # db_ids whose original database was not found
    seconds: float

    def format(self) -> str:
        """A table: per database the golds, neighbours separated (by the original / in all), variants, bytes."""
        lines = [
            (
                f"{'database':32} {'golds':>5} {'neighbours':>10} {'by orig':>8} {'separated':>9} "
                f"{'variants':>8} {'tried':>5} {'KB':>7} {'s':>6}"
            )
        ]
        for db in self.databases:
            by_original = sum(g.by_original for g in db.golds)
            lines.append(
                f"{db.db_id:32} {len(db.golds):5d} {db.neighbours:10d} {by_original:8d} {db.separated:9d} "
                f"{len(db.variants):8d} {db.tried:5d} {db.bytes / 1024:7.0f} {db.seconds:6.1f}"
            )
        neighbours = sum(db.neighbours for db in self.databases)
        separated = sum(db.separated for db in self.databases)
        share = separated / neighbours if neighbours else 1.0
        lines.append(
            f"total: {len(self.databases)} databases, {sum(len(d.golds) for d in self.databases)} golds, "
            f"{separated}/{neighbours} neighbours separated ({share:.1%}), "
            f"{sum(len(d.variants) for d in self.databases)} variants, "
            f"{sum(d.bytes for d in self.databases) / 2**20:.1f} MB, {self.seconds:.1f} s"
        )
        fully = sum(
            g.separated == g.neighbours for d in self.databases for g in d.golds if g.gold_error is None
        )
        errors = sum(g.gold_error is not None for d in self.databases for g in d.golds)
        lines.append(
            f"golds with every neighbour separated: {fully}; golds failing on the original: {errors}"
        )
        if self.missing:
            lines.append(f"skipped (database not found): {', '.join(self.missing)}")
        return "\n".join(lines)


def golds_by_database(gold_path: str | Path) -> dict[str, list[str]]:
    """The distinct gold queries of a gold file (``SQL<TAB>db_id`` lines), grouped by database, in file order."""
    grouped: dict[str, dict[str, None]] = {}
    for interaction in read_gold(gold_path):
        for sql, db_id in interaction:
            grouped.setdefault(db_id, {})[sql] = None
    return {db_id: list(sqls) for db_id, sqls in grouped.items()}


def build_database(
    db_id: str,
    golds: Sequence[str],
    source: Path,
    out_dir: Path,
    config: SuiteConfig,
    progress=None,
) -> DatabaseReport:
    """Copy the original into ``out_dir/<db_id>/`` and distill variants of it for ``golds``."""
    start = time.perf_counter()
    folder = out_dir / db_id
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{db_id}_*.sqlite"):  # a previous build's variants
        old.unlink()
    original = folder / f"{db_id}.sqlite"
    shutil.copyfile(source, original)
    conn = connect_read_only(original)
    try:
        try:
            tables = read_schema(conn)
        except sqlite3.DatabaseError as err:
            raise ValueError(f"{source}: not a usable SQLite database ({err})") from None
        columns = {key: [c.name for c in table.columns] for key, table in tables.items()}
        constants = [literal_contexts(gold, columns) for gold in golds]
        pools = ValuePools(conn, tables, constants)
        neighbours = [
            neighbour_queries(g, columns, max_neighbours=config.max_neighbours, seed=config.seed)
            for g in golds
        ]

        def make_candidate(index: int, path: Path, focus: int | None) -> None:
            rng = random.Random(f"{config.seed}:{db_id}:{index}")
            fill_variant(conn, tables, pools, path, rng, max_rows=config.max_rows, focus=focus)

        executor = SQLiteExecutor(ExecutorConfig(timeout_s=config.timeout_s))
        try:
            result = distill(
                original,
                golds,
                neighbours,
                make_candidate,
                folder / f".{db_id}.candidate",
                lambda k: folder / f"{db_id}_{k}.sqlite",
                executor,
                max_variants=config.variants,
                budget=config.budget,
                batch=config.batch,
                progress=progress,
            )
        finally:
            executor.close()
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in (original, *result.kept))
    return DatabaseReport(
        db_id,
        result.golds,
        result.kept,
        result.tried,
        result.rejected,
        size,
        time.perf_counter() - start,
    )


def build_suite(
    db_dir: str | Path,
    gold_path: str | Path,
    out_dir: str | Path,
    config: SuiteConfig | None = None,
    *,
    db_ids: Sequence[str] | None = None,
    show_progress: bool = True,
) -> SuiteReport:
    """Build the suite for every database of the gold file (or only ``db_ids``); see the module docstring.

    A database whose original file is missing is skipped, named in the report and in a warning.
    """
    from tqdm.auto import tqdm

    config = config or SuiteConfig()
    start = time.perf_counter()
    grouped = golds_by_database(gold_path)
    if db_ids is not None:
        unknown = sorted(set(db_ids) - set(grouped))
        if unknown:
            raise ValueError(f"no gold query uses database(s) {unknown}")
        grouped = {d: grouped[d] for d in grouped if d in set(db_ids)}
    out = Path(out_dir)
    reports: list[DatabaseReport] = []
    missing: list[str] = []
    with tqdm(
        total=len(grouped) * config.budget,
        desc="test suite",
        unit="db",
        disable=not show_progress,
    ) as bar:
        for db_id, golds in grouped.items():
            source = Path(db_dir) / db_id / f"{db_id}.sqlite"
            bar.set_postfix_str(db_id)
            if not source.is_file():
                missing.append(db_id)
                bar.update(config.budget)
                continue
            report = build_database(db_id, golds, source, out, config, progress=lambda: bar.update(1))
            bar.update(config.budget - report.tried)
            reports.append(report)
    if missing:
        logger.warning(
            "test suite: %d database(s) not found, skipped: %s",
            len(missing),
            ", ".join(missing),
        )
    return SuiteReport(reports, missing, time.perf_counter() - start)
