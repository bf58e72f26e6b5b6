"""Execution match (EX) with the official CoSQL/SParC semantics (evaluation-spec.md §5).

Three pure steps and one small stateful helper:

* :func:`prepare_for_execution` rewrites a query string the way the official script does before running it
  (spaced operators joined, DISTINCT words deleted and only the first statement kept unless ``keep_distinct``,
  ``YEAR(CURDATE())`` → ``2020``). The prediction must already have had ``value`` → ``1``
  (:func:`mtsql_env.evaluation.tokenizer.rewrite_value_placeholder`, §2.1); the driver does that once for EM
  and EX together.
* :func:`order_matters` decides whether row order counts (the gold contains ``order by``).
* :func:`results_equal` compares two result sets: both empty → equal, shape check, the sort-by-text quick
  reject, then a column-permutation search with multiset row comparison (§5.3).
* :class:`ExecMatcher` runs queries through the read-only :class:`~mtsql_env.executor.SQLiteExecutor` on every
  ``*.sqlite*`` file of the database folder (§5.2), caches gold results per ``(db_id, gold_sql)`` and reports a
  gold failure as data (:attr:`GoldExecution.error`) instead of aborting the run.

Deliberate deviations from the official script (all documented in evaluation-spec.md §8): databases are
opened read-only, queries have a real timeout (a pred that times out scores 0, a gold that times out is a gold
error), and a gold error never aborts. The random row sampling used for results with more than three
columns draws from a seeded generator; sampling only prunes permutations that cannot match, so the verdict
never depends on the seed.

``strict=True`` switches off two official quirks: the quick reject that sorts values by their text (which
wrongly rejects ``(1, 1.5)`` vs ``(1.0, 1.5)``) and the exact-substring ``order by`` test (``ORDER  BY`` with two
spaces is then detected too).
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtsql_env.result_cache import ResultCache

if TYPE_CHECKING:  # the executor is imported lazily: the CLI's import time counts
    from mtsql_env.executor import SQLiteExecutor

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]

#: What ``YEAR(CURDATE())`` becomes before execution.
CURRENT_YEAR = "2020"
#: Rows sampled to prune column permutations when a result has more than three columns.
PERMUTATION_SAMPLE_ROWS = 20

#: What ``strict=True`` changes in execution match (same shape as ``exact_match.STRICT_FIXES``).
EXEC_STRICT_FIXES: dict[str, str] = {
    "exec_no_text_sort_reject": "no quick reject by text-sorted rows, so (1, 1.5) equals (1.0, 1.5)",
    "exec_order_by_any_spacing": "row order counts when the gold has ORDER BY with any whitespace between the words",
}

_SPACED_OPERATORS = (("> =", ">="), ("< =", "<="), ("! =", "!="))
_CURRENT_YEAR_RE = re.compile(r"year\s*\(\s*curdate\s*\(\s*\)\s*\)", re.IGNORECASE)
_ORDER_BY_STRICT_RE = re.compile(r"\border\s+by\b", re.IGNORECASE)
# A statement-splitting lexer in the spirit of sqlparse's: comments, quoted strings and identifiers (so a
# ``distinct`` or ``;`` inside them is left alone), words, and any other single character.
_LEX_RE = re.compile(
    r"""
    (?P<comment>--[^\r\n]*|/\*.*?\*/)
    |(?P<quoted>'(?:''|\\'|[^'])*'|"(?:""|\\"|[^"])*"|`(?:``|[^`])*`)
    |(?P<word>\w[\w$#]*)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def join_spaced_operators(sql: str) -> str:
    """Turn ``> =``, ``< =`` and ``! =`` (exactly one space) into ``>=``, ``<=`` and ``!=``.

    Example:
        >>> join_spaced_operators("SELECT a FROM t WHERE b > = 3 AND c !  = 4")
        'SELECT a FROM t WHERE b >= 3 AND c !  = 4'

    Args:
        sql: a query string.

    Returns:
        The query with the three spaced operators joined.
    """
    for spaced, joined in _SPACED_OPERATORS:
        sql = sql.replace(spaced, joined)
    return sql


# The same tokens as _LEX_RE without the single-character fallback: re.sub skips unmatched characters one by
# one, which is exactly what the lexer's `other` tokens do, so word boundaries come out identical.
_DISTINCT_RE = re.compile(
    r"""--[^\r\n]*|/\*.*?\*/|'(?:''|\\'|[^'])*'|"(?:""|\\"|[^"])*"|`(?:``|[^`])*`|(\w[\w$#]*)""", re.DOTALL
)


def _drop_distinct_word(match: re.Match[str]) -> str:
    word = match.group(1)
    return "" if word is not None and word.lower() == "distinct" else match.group()


def _lex(sql: str) -> Iterator[tuple[str, str]]:
    for match in _LEX_RE.finditer(sql):
        kind = match.lastgroup
        assert kind is not None
        yield kind, match.group()


def remove_distinct(sql: str) -> str:
    """Delete every ``DISTINCT`` word and keep only the first statement (official EX pre-processing).

    Words inside quotes or comments are left alone and the surrounding whitespace stays. A ``;`` ends the
    first statement when the nesting level is at most 0, where ``(`` opens a level and ``)`` or the word
    ``END`` closes one (so, as in sqlparse, a ``CASE … END`` lowers the level). The ``;`` itself and the
    spaces after it are dropped: running ``SELECT 1;`` and ``SELECT 1`` gives the same rows.

    Example:
        >>> remove_distinct("SELECT count(DISTINCT name) FROM t WHERE a = 'distinct' ; SELECT 1")
        "SELECT count( name) FROM t WHERE a = 'distinct' "

    Args:
        sql: a query string.

    Returns:
        The first statement without DISTINCT words.
    """
    if ";" not in sql:
        if "distinct" not in sql.lower():
            return sql  # nothing to delete and a single statement: the common case, kept cheap
        return _DISTINCT_RE.sub(_drop_distinct_word, sql)
    return _remove_distinct_lexed(sql)


def _remove_distinct_lexed(sql: str) -> str:
    """The general path of :func:`remove_distinct`: lex, track the nesting level, stop at the first ``;``."""
    pieces: list[str] = []
    level = 0
    for kind, text in _lex(sql):
        if kind == "word":
            lowered = text.lower()
            if lowered == "distinct":
                continue
            if lowered == "end":
                level -= 1
        elif kind == "other":
            if text == "(":
                level += 1
            elif text == ")":
                level -= 1
            elif text == ";" and level <= 0:
                break
        pieces.append(text)
    return "".join(pieces)


def replace_current_year(sql: str) -> str:
    """Replace ``YEAR(CURDATE())`` (any case, any spacing) by ``2020``, as the official script does.

    Example:
        >>> replace_current_year("SELECT name FROM t WHERE year(curdate ( )) - birth > 30")
        'SELECT name FROM t WHERE 2020 - birth > 30'

    Args:
        sql: a query string.

    Returns:
        The query with the MySQL current-year expression replaced.
    """
    return _CURRENT_YEAR_RE.sub(CURRENT_YEAR, sql)


def prepare_for_execution(sql: str, *, keep_distinct: bool = False) -> str:
    """Apply the official string preparation (§5.1 steps 1–3) to a gold or an already value-rewritten pred.

    Example:
        >>> prepare_for_execution("SELECT DISTINCT name FROM t WHERE a > = 3; SELECT 1")
        'SELECT  name FROM t WHERE a >= 3'
        >>> prepare_for_execution("SELECT DISTINCT name FROM t; SELECT 1", keep_distinct=True)
        'SELECT DISTINCT name FROM t; SELECT 1'

    Args:
        sql: the query string.
        keep_distinct: keep DISTINCT and every statement (the official ``--keep_distinct``).

    Returns:
        The string that is executed.
    """
    sql = join_spaced_operators(sql)
    if not keep_distinct:
        sql = remove_distinct(sql)
    return replace_current_year(sql)


def order_matters(gold_sql: str, *, strict: bool = False) -> bool:
    """Whether row order counts: the (prepared) gold contains ``order by`` with exactly one space.

    The official test is a plain substring test, so an ORDER BY inside a subquery counts and ``ORDER  BY``
    does not; ``strict=True`` accepts any whitespace between the two words.

    Example:
        >>> order_matters("SELECT a FROM t ORDER BY b"), order_matters("SELECT a FROM t ORDER  BY b")
        (True, False)
        >>> order_matters("SELECT a FROM t ORDER  BY b", strict=True)
        True

    Args:
        gold_sql: the gold query after :func:`prepare_for_execution`.
        strict: use a whitespace-tolerant word match instead of the substring test.

    Returns:
        True when results must be compared as ordered lists.
    """
    if strict:
        return _ORDER_BY_STRICT_RE.search(gold_sql) is not None
    return "order by" in gold_sql.lower()


def _text_sorted(row: Row) -> Row:
    # The official quick reject sorts a row's values by "text of the value + text of its type".
    return tuple(sorted(row, key=lambda value: str(value) + str(type(value))))


def _same_types(gold_row: Row, pred_row: Row) -> bool:
    return all(a.__class__ is b.__class__ for a, b in zip(gold_row, pred_row))


def _passes_quick_reject(gold: Sequence[Row], pred: Sequence[Row], ordered: bool) -> bool:
    gold_sorted = [_text_sorted(row) for row in gold]
    pred_sorted = [_text_sorted(row) for row in pred]
    if ordered:
        return gold_sorted == pred_sorted
    return set(gold_sorted) == set(pred_sorted)


def _candidate_permutations(
    gold: Sequence[Row], pred: Sequence[Row], num_cols: int, rng: random.Random
) -> Iterable[tuple[int, ...]]:
    """Column assignments (gold column i takes pred column perm[i]) worth trying, duplicates filtered later."""
    allowed = [set(range(num_cols)) for _ in range(num_cols)]
    if num_cols > 3:
        gold_columns = [{row[i] for row in gold} for i in range(num_cols)]
        for _ in range(PERMUTATION_SAMPLE_ROWS):
            sampled = pred[rng.randrange(len(pred))]
            for gold_col in range(num_cols):
                allowed[gold_col] = {c for c in allowed[gold_col] if sampled[c] in gold_columns[gold_col]}
    return product(*(sorted(cols) for cols in allowed))


def results_equal(
    gold: Sequence[Row],
    pred: Sequence[Row],
    *,
    order_matters: bool,
    strict: bool = False,
    seed: int = 0,
) -> bool:
    """Compare two result sets with the official semantics (evaluation-spec.md §5.3).

    Both empty is equal whatever the columns; otherwise row and column counts must agree, then some column
    permutation of ``pred`` must equal ``gold`` as a list (``order_matters``) or as a multiset of rows.
    Values compare with Python equality (``1 == 1.0``, ``'2' != 2``). By default the official text-sorted
    quick reject runs first, which rejects a few equal results; ``strict=True`` skips it.

    Example:
        >>> results_equal([(1, "a"), (2, "b")], [("b", 2), ("a", 1.0)], order_matters=False)
        True
        >>> results_equal([(1, "a"), (2, "b")], [("b", 2), ("a", 1.0)], order_matters=True)
        False
        >>> results_equal([(1, 1.5)], [(1.0, 1.5)], order_matters=False)
        False
        >>> results_equal([(1, 1.5)], [(1.0, 1.5)], order_matters=False, strict=True)
        True

    Args:
        gold: the gold rows.
        pred: the predicted rows.
        order_matters: compare rows as ordered lists (see :func:`order_matters`).
        strict: skip the quirky quick reject.
        seed: seed of the row sampler used for more than three columns (never changes the verdict).

    Returns:
        True when the two results are judged equal.
    """
    if not gold and not pred:
        return True
    if len(gold) != len(pred):
        return False
    num_cols = len(gold[0])
    if len(pred[0]) != num_cols:
        return False
    gold = [row if row.__class__ is tuple else tuple(row) for row in gold]
    pred = [row if row.__class__ is tuple else tuple(row) for row in pred]
    if gold == pred and (strict or all(map(_same_types, gold, pred))):
        return True  # the same rows in the same order pass every check below (a test suite's common case)
    # With one column the quick reject is implied by the final check (same set / same list), so skip it.
    if num_cols > 1 and not strict and not _passes_quick_reject(gold, pred, order_matters):
        return False
    gold_rows = None if order_matters else Counter(gold)
    identity = tuple(range(num_cols))
    for perm in _candidate_permutations(gold, pred, num_cols, random.Random(seed)):
        if len(set(perm)) != num_cols:
            continue
        permuted = pred if perm == identity else [tuple(row[c] for c in perm) for row in pred]
        if order_matters:
            if permuted == gold:
                return True
        elif Counter(permuted) == gold_rows:
            return True
    return False


def database_files(db_dir: str | os.PathLike[str], db_id: str) -> tuple[Path, ...]:
    """Every file in ``<db_dir>/<db_id>/`` whose name contains ``.sqlite`` (the test-suite setting), sorted.

    Example:
        >>> database_files("/nonexistent", "concert_singer")
        ()

    Args:
        db_dir: the folder of database folders.
        db_id: the database id.

    Returns:
        The database files a prediction must match on; empty when the folder is missing.
    """
    folder = Path(db_dir) / db_id
    try:
        names = os.listdir(folder)
    except OSError:
        return ()
    return tuple(folder / name for name in sorted(names) if ".sqlite" in name and (folder / name).is_file())


@dataclass(frozen=True)
class GoldExecution:
    """The gold side of EX for one ``(db_id, gold_sql)``: prepared string, order flag and results per file.

    ``error`` is set (and ``results`` empty) when the database is missing or the gold fails on some file.
    """

    sql: str
    order_matters: bool
    results: tuple[tuple[Path, tuple[Row, ...]], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class ExecVerdict:
    """EX for one prediction: ``correct`` and, when the pred failed to run, the executor's message."""

    correct: bool
    pred_error: str | None = None


@dataclass
class ExecMatchConfig:
    """Settings of :class:`ExecMatcher`."""

    keep_distinct: bool = field(
        default=False, metadata={"help": "Keep DISTINCT and every statement (official --keep_distinct)."}
    )
    strict: bool = field(
        default=False, metadata={"help": "Skip the text-sort quick reject; detect ORDER BY with any spacing."}
    )
    timeout_s: float = field(
        default=30.0, metadata={"help": "Per-query timeout; a pred that times out scores 0, a gold is an error."}
    )
    max_rows: int = field(
        default=10_000_000, metadata={"help": "Row cap per query; results are compared whole, so keep it high."}
    )
    max_bytes: int = field(default=2_000_000_000, metadata={"help": "Byte cap per query result."})
    seed: int = field(default=0, metadata={"help": "Seed of the row sampler for results with > 3 columns."})

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")
        if self.max_rows <= 0 or self.max_bytes <= 0:
            raise ValueError("max_rows and max_bytes must be positive")


class ExecMatcher:
    """Runs gold and predicted queries read-only and judges execution match.

    Gold results are memoised per ``(db_id, gold_sql)``, so scoring many predictions against one gold (an
    RL environment, several systems on one dev set) executes each gold once per process. A shared
    ``result_cache`` (see :class:`~mtsql_env.result_cache.ResultCache`) also answers queries another
    executor already ran, such as the candidate an environment executed before it is scored.
    """

    def __init__(
        self,
        db_dir: str | os.PathLike[str],
        config: ExecMatchConfig | None = None,
        executor: SQLiteExecutor | None = None,
        result_cache: ResultCache | None = None,
    ) -> None:
        self.db_dir = Path(db_dir)
        self.config = config or ExecMatchConfig()
        self._executor = executor
        self._result_cache = result_cache
        self._gold_cache: dict[tuple[str, str], GoldExecution] = {}
        self._files_cache: dict[str, tuple[Path, ...]] = {}

    @property
    def executor(self) -> SQLiteExecutor:
        if self._executor is None:
            from mtsql_env.executor import ExecutorConfig, SQLiteExecutor

            self._executor = SQLiteExecutor(
                ExecutorConfig(
                    timeout_s=self.config.timeout_s,
                    max_rows=self.config.max_rows,
                    max_bytes=self.config.max_bytes,
                ),
                cache=self._result_cache,
            )
        return self._executor

    def files(self, db_id: str) -> tuple[Path, ...]:
        """The database files of ``db_id`` (memoised)."""
        found = self._files_cache.get(db_id)
        if found is None:
            found = self._files_cache[db_id] = database_files(self.db_dir, db_id)
        return found

    def _run(self, path: Path, sql: str) -> tuple[tuple[Row, ...] | None, str | None]:
        try:
            result = self.executor.execute(path, sql, timeout_s=self.config.timeout_s, max_rows=self.config.max_rows)
        except (OSError, ValueError) as err:  # missing or broken database file (DatabaseFileError is a ValueError)
            return None, f"database error: {err}"
        if result.error is not None:
            kind = getattr(result.error, "value", result.error)
            return None, f"{kind}: {result.message}" if result.message else str(kind)
        if result.truncated:
            logger.warning("result truncated at %d rows on %s: %s", self.config.max_rows, path.name, sql)
        return tuple(result.rows), None

    def run_gold(self, gold_sql: str, db_id: str) -> GoldExecution:
        """Prepare and execute a gold query on every database file (memoised); failures become ``error``."""
        key = (db_id, gold_sql)
        cached = self._gold_cache.get(key)
        if cached is not None:
            return cached
        sql = prepare_for_execution(gold_sql, keep_distinct=self.config.keep_distinct)
        ordered = order_matters(sql, strict=self.config.strict)
        files = self.files(db_id)
        if not files:
            gold = GoldExecution(sql, ordered, error=f"database not found: {self.db_dir / db_id}")
        else:
            results: list[tuple[Path, tuple[Row, ...]]] = []
            error = None
            for path in files:
                rows, message = self._run(path, sql)
                if rows is None:
                    error = f"gold fails on {path.name}: {message}"
                    break
                results.append((path, rows))
            gold = GoldExecution(sql, ordered, () if error else tuple(results), error)
        self._gold_cache[key] = gold
        return gold

    def match(self, pred_sql: str, gold: GoldExecution) -> ExecVerdict:
        """Judge EX of a prediction (already value-rewritten) against a successfully executed gold.

        A pred whose prepared text equals the prepared gold is correct without running it (same engine, same
        query, same rows), unless its rows may change between runs (``random()``, ``'now'`` ...).
        """
        if gold.error is not None:
            raise ValueError(f"cannot score against a failed gold: {gold.error}")
        sql = prepare_for_execution(pred_sql, keep_distinct=self.config.keep_distinct)
        if sql == gold.sql and ResultCache.cacheable(sql):
            return ExecVerdict(True)
        for path, gold_rows in gold.results:
            rows, message = self._run(path, sql)
            if rows is None:
                return ExecVerdict(False, message)
            if not results_equal(
                gold_rows, rows, order_matters=gold.order_matters, strict=self.config.strict, seed=self.config.seed
            ):
                return ExecVerdict(False)
        return ExecVerdict(True)
