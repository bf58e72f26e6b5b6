"""The CoSQL/SParC evaluation driver: pairs gold and predicted turns, scores EM and EX, aggregates QM/IM.

It reproduces the official ``evaluation.py`` verdicts (evaluation-spec.md §1, §5, §6): turns are paired by
position inside each interaction and pairing stops at the shorter side; a turn counts under its gold
hardness, under ``all`` and under its turn bucket (1, 2, 3, 4, > 4); an interaction is correct (IM) when all
its paired turns are, separately for EX and EM, and an interaction with no paired turn counts as correct.

**Gold errors.** The official script aborts the whole run when a gold query fails to parse or to execute
(in CoSQL dev, the ``car_1`` gold with a stray ``)``; here also the 59 turns over the absent ``wta_1``
database). This driver never aborts: such a turn gets ``gold_error`` and is **excluded from every count**
(levels, turn buckets, QM) and reported separately (``summary["gold_errors"]``, a logged warning, the
per-item file). Its interaction is judged on its remaining paired turns; an interaction whose paired turns
are *all* gold errors (a missing database) is left out of the IM count. This keeps QM/IM equal to what the
official script prints once the bad gold turns are removed from both files (and interactions left empty
are removed whole), which is the only official number that exists for such data. Which turns are gold errors depends on the etype as it would officially:
the gold is always parsed (hardness needs it), but only executed when EX is computed.

Other deliberate deviations (evaluation-spec.md §8): databases are opened read-only and every query has a
real timeout (``EvaluatorConfig.timeout_s``): a pred that times out scores EX 0.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exec_match import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, ExecMatchConfig, ExecMatcher, GoldExecution
from .tokenizer import SQLParseError, rewrite_value_placeholder

if TYPE_CHECKING:  # pandas and the EM parser load only when used: the CLI's start-up time counts
    import pandas as pd

    from mtsql_env.result_cache import ResultCache

    from .exact_match import PreparedGold

logger = logging.getLogger(__name__)

ETYPES = ("all", "exec", "match")
LEVELS = ("easy", "medium", "hard", "extra", "all", "joint_all")
HARDNESS_LEVELS = LEVELS[:4]
TURN_BUCKETS = ("1", "2", "3", "4", ">4")
#: Per-turn record fields (``EvaluationResult.records``; ``items`` adds ``partial:<component>`` columns).
RECORD_COLUMNS = (
    "interaction", "turn", "db_id", "gold", "pred", "hardness", "exact", "exec",
    "gold_error", "pred_parse_error", "pred_exec_error",
)  # fmt: skip


@dataclass
class EvaluatorConfig:
    """Settings of :class:`Evaluator`; the defaults reproduce the official CoSQL/SParC evaluation."""

    etype: str = field(
        default="all", metadata={"help": "What to score: 'all' (EX and EM), 'exec' (EX) or 'match' (EM)."}
    )
    strict: bool = field(
        default=False,
        metadata={"help": "Fix the known official bugs instead of replicating them (numbers then differ)."},
    )
    keep_distinct: bool = field(
        default=False, metadata={"help": "EX keeps DISTINCT and every statement (official --keep_distinct)."}
    )
    timeout_s: float = field(
        default=30.0,
        metadata={"help": "Per-query timeout: a pred that times out scores EX 0; a gold is an error."},
    )
    max_rows: int = field(
        default=DEFAULT_MAX_ROWS,
        metadata={"help": "Row cap per EX query result; a pred past it scores EX 0."},
    )
    max_bytes: int = field(
        default=DEFAULT_MAX_BYTES,
        metadata={
            "help": "Byte cap per EX query result, enforced while fetching; a pred past it scores EX 0."
        },
    )
    seed: int = field(
        default=0, metadata={"help": "Seed of EX's row sampler (> 3 columns); never changes verdicts."}
    )
    score_cache_size: int = field(
        default=1024,
        metadata={
            "help": "Turn scores memoised per (db_id, gold, pred), oldest dropped first; 0 disables. Rollouts "
            "often repeat a query, and the databases are read-only, so a repeat costs a dict lookup."
        },
    )

    workers: int = field(
        default=1,
        metadata={
            "help": "Processes that score the turns of `evaluate` (forked, grouped by database; results identical "
            "and in order). 1 scores here; 0 means one per idle core (cores minus the load average). Where fork "
            "is unavailable, 1 is used."
        },
    )
    cache_dir: str | None = field(
        default=None,
        metadata={
            "help": "Folder of the on-disk gold cache (see gold_cache.py); None disables it. `mtsql evaluate` "
            "uses <mtsql cache>/evaluation unless --no-cache."
        },
    )

    def __post_init__(self) -> None:
        if self.etype not in ETYPES:
            raise ValueError(f"etype must be one of {ETYPES}, got {self.etype!r}")
        if not self.timeout_s > 0 or self.timeout_s == float("inf"):  # nan fails the first test
            raise ValueError(f"timeout_s must be a finite number of seconds above 0, got {self.timeout_s}")
        if self.score_cache_size < 0:
            raise ValueError(f"score_cache_size must be >= 0, got {self.score_cache_size}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0 (0: one per CPU core), got {self.workers}")

    @property
    def scores_exec(self) -> bool:
        return self.etype in ("all", "exec")

    @property
    def scores_match(self) -> bool:
        return self.etype in ("all", "match")


@dataclass(frozen=True)
class TurnScore:
    """The verdicts for one paired turn.

    ``exact``/``exec`` are 0/1, or None when not computed (etype) or when the gold failed (``gold_error``).
    ``partial`` maps each EM component to ``(score, pred_total, gold_total)``.
    """

    exact: int | None
    exec: int | None
    hardness: str | None
    gold_error: str | None
    pred_parse_error: str | None
    partial: dict[str, tuple[int, int, int]]
    pred_exec_error: str | None = None


@dataclass(frozen=True)
class _GoldSide:
    prepared: PreparedGold | None
    execution: GoldExecution | None
    hardness: str | None
    error: str | None


class Evaluator:
    """Scores predicted SQL against gold SQL with the official semantics.

    Gold-side work (parse, normalisation, hardness, execution results) is memoised per ``(db_id, gold_sql)``,
    so scoring many predictions against the same gold (an RL environment, several systems) is cheap.

    Example:
        >>> from pathlib import Path
        >>> import mtsql_env
        >>> sample = Path(mtsql_env.__file__).parent / "sample_data" / "cosql_dataset"
        >>> ev = Evaluator(sample / "database", sample / "tables.json")
        >>> score = ev.score_turn("SELECT name FROM artist WHERE formed_year > 2010",
        ...                       "SELECT Name FROM artist WHERE formed_year > 2000", "music_store")
        >>> score.exact, score.exec, score.hardness
        (1, 0, 'easy')
    """

    def __init__(
        self,
        db_dir: str | os.PathLike[str],
        tables_path: str | os.PathLike[str] | None,
        config: EvaluatorConfig | None = None,
        result_cache: ResultCache | None = None,
    ) -> None:
        self.db_dir = Path(db_dir)
        self.tables_path = Path(tables_path) if tables_path is not None else None
        self.config = config or EvaluatorConfig()
        if self.config.scores_match and self.tables_path is None:
            raise ValueError("tables_path (tables.json) is required when etype is 'match' or 'all'")
        self.exec_matcher = ExecMatcher(
            self.db_dir,
            ExecMatchConfig(
                keep_distinct=self.config.keep_distinct,
                strict=self.config.strict,
                timeout_s=self.config.timeout_s,
                max_rows=self.config.max_rows,
                max_bytes=self.config.max_bytes,
                seed=self.config.seed,
            ),
            result_cache=result_cache,
        )
        self._kmaps: dict[str, Any] | None = None
        self._gold_cache: dict[tuple[str, str], _GoldSide] = {}
        self._score_cache: dict[tuple[str, str, str], TurnScore] = {}
        self._schemas: dict[str, Any] = {}

    # -- gold side ---------------------------------------------------------------------------------------

    @property
    def kmaps(self) -> dict[str, Any]:
        """Foreign-key maps per db_id from tables.json (empty when no tables file was given)."""
        if self._kmaps is None:
            from .schema import load_foreign_key_maps

            tables, strict = self.tables_path, self.config.strict
            self._kmaps = load_foreign_key_maps(tables, strict=strict) if tables is not None else {}
        return self._kmaps

    def db_path(self, db_id: str) -> Path:
        """The official database file of ``db_id`` (its schema drives parsing)."""
        return self.db_dir / db_id / f"{db_id}.sqlite"

    def _kmap(self, db_id: str) -> Any:
        kmap = self.kmaps.get(db_id)
        if kmap is None:
            if self.config.scores_match:
                raise LookupError(f"db_id {db_id!r} is not in {self.tables_path}")
            return {}
        return kmap

    def _schema(self, db_id: str) -> Any:
        schema = self._schemas.get(db_id)
        if schema is None:
            from .schema import load_eval_schema

            path = self.db_path(db_id)
            if not path.is_file():
                raise FileNotFoundError(f"database not found: {path}")
            schema = self._schemas[db_id] = load_eval_schema(path)
        return schema

    def gold_side(self, gold_sql: str, db_id: str) -> _GoldSide:
        """Parse, grade and (for EX) execute a gold query once; a failure is kept as ``error``."""
        key = (db_id, gold_sql)
        cached = self._gold_cache.get(key)
        if cached is not None:
            return cached
        from .exact_match import prepare_gold

        prepared = execution = None
        hardness = error = None
        try:
            prepared = prepare_gold(
                gold_sql, self._schema(db_id), self._kmap(db_id), strict=self.config.strict
            )
            hardness = prepared.hardness
        except (FileNotFoundError, LookupError) as err:
            error = str(err)
        except SQLParseError as err:
            error = f"gold does not parse: {err}"
        if error is None and self.config.scores_exec:
            execution = self.exec_matcher.run_gold(gold_sql, db_id)
            error = execution.error
        side = self._gold_cache[key] = _GoldSide(prepared, execution, hardness, error)
        return side

    def _gold_settings(self) -> dict[str, Any]:
        """What the gold side depends on besides the queries and files (part of the disk-cache key)."""
        exec_config = self.exec_matcher.config
        return {
            "etype": self.config.etype,
            "strict": self.config.strict,
            "keep_distinct": self.config.keep_distinct,
            "timeout_s": self.config.timeout_s,
            "max_rows": exec_config.max_rows,
            "max_bytes": exec_config.max_bytes,
        }

    def _load_disk_cache(self, gold: Sequence[Sequence[tuple[str, str]]]) -> str | None:
        """Merge the disk cache for this gold set; return its key when it still has to be written."""
        from .gold_cache import gold_cache_key, load_gold_cache

        assert self.config.cache_dir is not None
        pairs = [(db_id, sql) for turns in gold for sql, db_id in turns]
        key = gold_cache_key(pairs, self.db_dir, self.tables_path, self._gold_settings())
        entries = load_gold_cache(self.config.cache_dir, key)
        if entries is None:
            return key
        for entry_key, side in entries.items():
            self._gold_cache.setdefault(entry_key, side)
        return None

    def _save_disk_cache(self, gold: Sequence[Sequence[tuple[str, str]]], key: str) -> None:
        from .gold_cache import save_gold_cache

        assert self.config.cache_dir is not None
        entries = {}
        for turns in gold:
            for sql, db_id in turns:
                side = self._gold_cache.get((db_id, sql))
                if side is not None:
                    entries[(db_id, sql)] = side
        save_gold_cache(self.config.cache_dir, key, entries)

    # -- scoring -----------------------------------------------------------------------------------------

    def score_turn(
        self, pred_sql: str, gold_sql: str, db_id: str, *, timeout_s: float | None = None
    ) -> TurnScore:
        """Score one predicted query against one gold query on ``db_id``.

        Args:
            pred_sql: the prediction as written (``value`` → ``1`` is applied here, as officially).
            gold_sql: the gold query.
            db_id: the database id (``<db_dir>/<db_id>/<db_id>.sqlite``).
            timeout_s: time left for the prediction's EX (default ``config.timeout_s``); a score cut off by
                it is not memoised.

        Returns:
            The turn's verdicts; a failing gold gives ``gold_error`` and no verdicts, never an exception.
        """
        key = (db_id, gold_sql, pred_sql)
        cached = self._score_cache.get(key)
        if cached is not None:
            return cached
        score = self._score_turn(pred_sql, gold_sql, db_id, timeout_s)
        if self.config.score_cache_size and not (score.pred_exec_error or "").startswith("timeout"):
            if len(self._score_cache) >= self.config.score_cache_size:
                del self._score_cache[next(iter(self._score_cache))]
            self._score_cache[key] = score
        return score

    def _score_turn(self, pred_sql: str, gold_sql: str, db_id: str, timeout_s: float | None) -> TurnScore:
        gold = self.gold_side(gold_sql, db_id)
        if gold.error is not None:
            return TurnScore(None, None, gold.hardness, gold.error, None, {})
        pred = rewrite_value_placeholder(pred_sql, strict=self.config.strict)
        exact = exec_ = None
        partial: dict[str, tuple[int, int, int]] = {}
        parse_error = exec_error = None
        if self.config.scores_match:
            from .exact_match import match_normalized, match_prepared

            assert gold.prepared is not None
            if pred == gold.prepared.sql:
                # The same text parses and normalises to the same structure: skip the pred parse.
                em = match_normalized(gold.prepared.normalized, gold.prepared.normalized)
            else:
                schema, kmap = self._schema(db_id), self._kmap(db_id)
                em = match_prepared(pred, gold.prepared, schema, kmap, strict=self.config.strict)
            exact = int(em.exact)
            partial = dict(em.partial)
            parse_error = em.pred_parse_error
        if self.config.scores_exec:
            assert gold.execution is not None
            verdict = self.exec_matcher.match(pred, gold.execution, timeout_s=timeout_s)
            exec_ = int(verdict.correct)
            exec_error = verdict.pred_error
        return TurnScore(exact, exec_, gold.hardness, None, parse_error, partial, exec_error)

    def evaluate(
        self, gold: Sequence[Sequence[tuple[str, str]]], pred: Sequence[Sequence[str]]
    ) -> EvaluationResult:
        """Score whole interactions: ``gold`` holds ``(gold_sql, db_id)`` turns, ``pred`` predicted SQL strings.

        Raises:
            ValueError: the two sides have different numbers of interactions (the official script aborts).
        """
        if len(gold) != len(pred):
            raise ValueError(
                f"gold has {len(gold)} interactions but pred has {len(pred)}; "
                "check the blank lines between interactions (an empty prediction line shifts all later ones)"
            )
        cache_key = self._load_disk_cache(gold) if self.config.cache_dir else None
        jobs: list[tuple[int, int, str, str, str]] = []
        unpaired_gold = unpaired_pred = 0
        for index, (gold_turns, pred_turns) in enumerate(zip(gold, pred)):
            unpaired_gold += max(0, len(gold_turns) - len(pred_turns))
            unpaired_pred += max(0, len(pred_turns) - len(gold_turns))
            for turn, ((gold_sql, db_id), pred_sql) in enumerate(zip(gold_turns, pred_turns)):
                jobs.append((index, turn, db_id, gold_sql, pred_sql))
        scores = self._score_jobs(jobs, keep_gold=cache_key is not None)
        records = [_record(i, t, db_id, g, p, score) for (i, t, db_id, g, p), score in zip(jobs, scores)]
        if unpaired_gold or unpaired_pred:
            logger.warning(
                "pairing stops at the shorter side: %d gold and %d predicted turns are not scored",
                unpaired_gold,
                unpaired_pred,
            )
        if cache_key is not None:
            self._save_disk_cache(gold, cache_key)
        summary = summarize(records, len(gold), self.config)
        summary["unpaired_gold_turns"] = unpaired_gold
        summary["unpaired_pred_turns"] = unpaired_pred
        if summary["gold_errors"]:
            logger.warning(
                "%d gold turn(s) failed and are excluded from all counts (details in the per-item output): %s",
                len(summary["gold_errors"]),
                describe_gold_errors(summary["gold_errors"]),
            )
        return EvaluationResult(records, summary, self.config)

    def _score_jobs(
        self, jobs: Sequence[tuple[int, int, str, str, str]], *, keep_gold: bool
    ) -> list[TurnScore]:
        """Score ``(interaction, turn, db_id, gold, pred)`` jobs, in forked workers when configured and worth it.

        Jobs are grouped by database (its schema, gold results and connections stay in one worker) and the
        groups dealt largest first to the least loaded worker. With ``keep_gold`` the workers' gold sides come
        back too, for the disk cache.
        """
        workers = min(self.config.workers or _idle_cores(), len({job[2] for job in jobs}))
        if workers < 2 or len(jobs) < MIN_TURNS_PER_WORKER * 2 or not _can_fork():
            return [self.score_turn(pred, gold, db_id) for _, _, db_id, gold, pred in jobs]
        import multiprocessing

        by_db: dict[str, list[int]] = {}
        for position, job in enumerate(jobs):
            by_db.setdefault(job[2], []).append(position)
        chunks: list[list[int]] = [[] for _ in range(min(workers, max(1, len(jobs) // MIN_TURNS_PER_WORKER)))]
        for positions in sorted(by_db.values(), key=len, reverse=True):
            min(chunks, key=len).extend(positions)
        global _FORKED
        _FORKED = (self, jobs, keep_gold)
        try:
            with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
                parts = pool.map(_score_chunk, chunks)
        finally:
            _FORKED = None
        scores: list[TurnScore | None] = [None] * len(jobs)
        for chunk, (chunk_scores, gold_sides) in zip(chunks, parts):
            for position, score in zip(chunk, chunk_scores):
                scores[position] = score
            for key, side in gold_sides.items():
                self._gold_cache.setdefault(key, side)
        return scores  # type: ignore[return-value]


#: Fewest turns per worker process: below it, forking costs more than it saves.
MIN_TURNS_PER_WORKER = 100
#: What a forked worker scores: set by the parent right before the fork (fork copies it, nothing is pickled).
_FORKED: tuple[Evaluator, Sequence[tuple[int, int, str, str, str]], bool] | None = None


def _idle_cores() -> int:
    """CPU cores minus the 1-minute load average, at least 1: on a busy machine extra processes only queue."""
    cores = os.cpu_count() or 1
    try:
        return max(1, min(cores, round(cores - os.getloadavg()[0])))
    except OSError:  # no load average on this platform
        return cores


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _score_chunk(positions: Sequence[int]) -> tuple[list[TurnScore], dict[tuple[str, str], _GoldSide]]:
    assert _FORKED is not None, "only called in a worker forked by Evaluator._score_jobs"
    evaluator, jobs, keep_gold = _FORKED
    scores = [evaluator.score_turn(jobs[p][4], jobs[p][3], jobs[p][2]) for p in positions]
    return scores, dict(evaluator._gold_cache) if keep_gold else {}


def describe_gold_errors(errors: Sequence[dict[str, Any]], limit: int = 5) -> str:
    """One line per distinct gold failure: a missing database once with its turn count, others per turn."""
    missing: dict[str, int] = {}
    others: list[str] = []
    for error in errors:
        if error["error"].startswith("database not found"):
            missing[error["db_id"]] = missing.get(error["db_id"], 0) + 1
        else:
            where = f"interaction {error['interaction']} turn {error['turn']} ({error['db_id']})"
            others.append(f"{where}: {error['error']}")
    parts = [f"{db_id}: database not found ({n} turns)" for db_id, n in missing.items()] + others
    return "; ".join(parts[:limit]) + (f"; … {len(parts) - limit} more" if len(parts) > limit else "")


def _record(
    interaction: int, turn: int, db_id: str, gold: str, pred: str, score: TurnScore
) -> dict[str, Any]:
    return {
        "interaction": interaction,
        "turn": turn,
        "db_id": db_id,
        "gold": gold,
        "pred": pred,
        "hardness": score.hardness,
        "exact": score.exact,
        "exec": score.exec,
        "gold_error": score.gold_error,
        "pred_parse_error": score.pred_parse_error,
        "pred_exec_error": score.pred_exec_error,
        "partial": {name: list(value) for name, value in score.partial.items()},
    }


def _ratio(numerator: float, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def summarize(
    records: Sequence[dict[str, Any]], num_interactions: int, config: EvaluatorConfig
) -> dict[str, Any]:
    """Aggregate per-turn records into the official tables (levels, turns, QM, IM, partial matching).

    Records with a ``gold_error`` are left out of every count and listed under ``gold_errors``.
    """
    scored = [r for r in records if r["gold_error"] is None]
    components: list[str] = []
    for record in scored:
        for name in record["partial"]:
            if name not in components:
                components.append(name)

    by_level: dict[str, dict[str, Any]] = {}
    for level in LEVELS[:5]:
        items = scored if level == "all" else [r for r in scored if r["hardness"] == level]
        entry: dict[str, Any] = {"count": len(items)}
        entry["exec"] = _ratio(sum(r["exec"] for r in items), len(items)) if config.scores_exec else None
        entry["exact"] = _ratio(sum(r["exact"] for r in items), len(items)) if config.scores_match else None
        entry["partial"] = {name: _partial(items, name) for name in components}
        by_level[level] = entry

    # IM: every paired, scored turn of the interaction correct; an interaction with no paired turn is correct.
    turns_by_interaction: dict[int, list[dict[str, Any]]] = {i: [] for i in range(num_interactions)}
    for record in records:
        turns_by_interaction[record["interaction"]].append(record)
    im_count = im_exec = im_exact = 0
    for turns in turns_by_interaction.values():
        valid = [r for r in turns if r["gold_error"] is None]
        if turns and not valid:
            continue  # every paired turn is a gold error: nothing to judge
        im_count += 1
        im_exec += all(r["exec"] == 1 for r in valid) if config.scores_exec else 0
        im_exact += all(r["exact"] == 1 for r in valid) if config.scores_match else 0
    by_level["joint_all"] = {
        "count": im_count,
        "exec": _ratio(im_exec, im_count) if config.scores_exec else None,
        "exact": _ratio(im_exact, im_count) if config.scores_match else None,
        "partial": {name: {"acc": 0.0, "rec": 0.0, "f1": 1.0} for name in components},
    }

    by_turn: dict[str, dict[str, Any]] = {}
    for bucket in TURN_BUCKETS:
        items = [r for r in scored if _turn_bucket(r["turn"]) == bucket]
        by_turn[bucket] = {
            "count": len(items),
            "exec": _ratio(sum(r["exec"] for r in items), len(items)) if config.scores_exec else None,
            "exact": _ratio(sum(r["exact"] for r in items), len(items)) if config.scores_match else None,
        }

    return {
        "etype": config.etype,
        "strict": config.strict,
        "keep_distinct": config.keep_distinct,
        "num_interactions": num_interactions,
        "num_paired_turns": len(records),
        "by_level": by_level,
        "by_turn": by_turn,
        "qm_exec": by_level["all"]["exec"],
        "qm_exact": by_level["all"]["exact"],
        "im_exec": by_level["joint_all"]["exec"],
        "im_exact": by_level["joint_all"]["exact"],
        "gold_errors": [
            {k: r[k] for k in ("interaction", "turn", "db_id", "gold")} | {"error": r["gold_error"]}
            for r in records
            if r["gold_error"] is not None
        ],
    }


def _turn_bucket(turn: int) -> str:
    return str(turn + 1) if turn < 4 else ">4"


def _partial(items: Sequence[dict[str, Any]], name: str) -> dict[str, float]:
    """Official partial matching: accuracy over items with a pred unit, recall over items with a gold unit."""
    acc_scores = [r["partial"][name][0] for r in items if name in r["partial"] and r["partial"][name][1] > 0]
    rec_scores = [r["partial"][name][0] for r in items if name in r["partial"] and r["partial"][name][2] > 0]
    acc = _ratio(sum(acc_scores), len(acc_scores))
    rec = _ratio(sum(rec_scores), len(rec_scores))
    f1 = 1.0 if acc + rec == 0 else 2.0 * acc * rec / (acc + rec)
    return {"acc": acc, "rec": rec, "f1": f1}


@dataclass
class EvaluationResult:
    """Per-turn records and the aggregated summary of one evaluation run.

    ``items`` (a pandas DataFrame) is built on first access, so callers that only print tables never import
    pandas.
    """

    records: list[dict[str, Any]]
    summary: dict[str, Any]
    config: EvaluatorConfig = field(default_factory=EvaluatorConfig)

    @cached_property
    def items(self) -> pd.DataFrame:
        """One row per paired turn; partial components become ``partial:<component>`` score columns."""
        import pandas as pd

        rows = []
        for record in self.records:
            row = {k: v for k, v in record.items() if k != "partial"}
            for name, (score, _pred_total, _gold_total) in record["partial"].items():
                row[f"partial:{name}"] = score
            rows.append(row)
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(RECORD_COLUMNS))
        for column in ("exact", "exec"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-serialisable dict."""
        return self.summary

    def format_tables(self) -> str:
        """The official-looking printed tables (levels, partial matching, turns), then the QM/IM lines."""
        from .report import format_summary

        return format_summary(self.summary)


def evaluate_files(
    gold_path: str | os.PathLike[str],
    pred_path: str | os.PathLike[str],
    db_dir: str | os.PathLike[str],
    tables_path: str | os.PathLike[str] | None,
    config: EvaluatorConfig | None = None,
) -> EvaluationResult:
    """Evaluate an official-format prediction file against a gold file (see :mod:`.files`)."""
    from .files import read_gold, read_pred

    return Evaluator(db_dir, tables_path, config).evaluate(read_gold(gold_path), read_pred(pred_path))
