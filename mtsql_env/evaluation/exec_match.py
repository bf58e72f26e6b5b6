"""Execution match (EX) with the official CoSQL/SParC semantics (evaluation-spec.md §5).

Three pure steps and one small stateful helper:

* :func:`prepare_for_execution` rewrites a query string the way the official script does before running it
  (spaced operators joined, DISTINCT words deleted and only the first statement kept unless ``keep_distinct``,
  ``YEAR(CURDATE())`` → ``2020``). The prediction must already have had ``value`` → ``1``
  (:func:`mtsql_env.evaluation.tokenizer.rewrite_value_placeholder`, §2.1); the driver does that once for EM
  and EX together.
* :func:`order_matters` decides whether row order counts (the gold contains ``order by``).
* :func:`results_equal` compares two result sets: both empty → equal, shape check, the sort-by-text quick
  reject, then a search for a column permutation under which the rows are equal as a list or multiset
  (§5.3), bounded by a deadline.
* :class:`ExecMatcher` runs queries through the read-only :class:`~mtsql_env.executor.SQLiteExecutor` on every
  ``*.sqlite*`` file of the database folder (§5.2), caches gold results per ``(db_id, gold_sql)`` and reports a
  gold failure as data (:attr:`GoldExecution.error`) instead of aborting the run.

Deliberate deviations from the official script (all documented in evaluation-spec.md §8): databases are
opened read-only, queries have a real timeout (a pred that times out scores 0, a gold that times out is a gold
error), results are capped (:class:`ExecMatchConfig` ``max_rows``/``max_bytes``: a pred past them scores 0, a
gold past them is a gold error) and a gold error never aborts. The official script prunes permutations by
sampling rows and then tries every product of the allowed columns (a crafted 9-column result took 124 s);
here a pred column may stand for a gold column only when their values are equal as a multiset (or as a
list when order matters), columns are assigned one at a time with the rows' projection checked at each
step, and identical columns are tried once. Every pruned permutation is one that cannot match, so the
verdict is the official one; a search past its deadline counts as not matching.

``strict=True`` switches off two official quirks: the quick reject that sorts values by their text (which
wrongly rejects ``(1, 1.5)`` vs ``(1.0, 1.5)``) and the exact-substring ``order by`` test (``ORDER  BY`` with two
spaces is then detected too).
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtsql_env.result_cache import ResultCache

if TYPE_CHECKING:  # the executor is imported lazily: the CLI's import time counts
    from mtsql_env.executor import SQLiteExecutor

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]

#: What ``YEAR(CURDATE())`` becomes before execution.
CURRENT_YEAR = "2020"
#: Default row and byte caps per query result (the byte count is the executor's estimate). Far above any
#: CoSQL/SParC gold; a prediction past them is judged not matching instead of filling memory.
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MAX_BYTES = 100_000_000

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


def _projection(rows: Sequence[Row], columns: Sequence[int]) -> Counter[Row]:
    return Counter(tuple(row[c] for c in columns) for row in rows)


class ComparisonTimeout(TimeoutError):
    """The column-permutation search of :func:`results_equal` passed its deadline."""


def _column_permutations(
    gold: Sequence[Row], pred: Sequence[Row], num_cols: int, ordered: bool, deadline: float
) -> Iterator[tuple[int, ...]]:
    """Column assignments (gold column i takes pred column perm[i]) under which the rows may still be equal.

    A pred column is allowed for a gold column only when the two hold equal values as a list (``ordered``)
    or a multiset; identical pred columns are interchangeable, so only the first of them is tried at each
    position; without ``ordered`` each partial assignment must keep the projected rows equal as multisets.
    All three are necessary conditions, so no assignment that matches is ever skipped.
    """

    def signature(rows: Sequence[Row], col: int) -> Any:
        values = [row[col] for row in rows]
        return values if ordered else Counter(values)

    gold_sigs = [signature(gold, i) for i in range(num_cols)]
    pred_cols = [[row[j] for row in pred] for j in range(num_cols)]
    pred_sigs = [signature(pred, j) for j in range(num_cols)]
    first_same = [next(k for k in range(j + 1) if pred_cols[k] == pred_cols[j]) for j in range(num_cols)]
    allowed = [[j for j in range(num_cols) if pred_sigs[j] == gold_sigs[i]] for i in range(num_cols)]
    gold_prefixes = None if ordered else [Counter(row[: i + 1] for row in gold) for i in range(num_cols)]
    chosen: list[int] = []

    def extend(position: int) -> Iterator[tuple[int, ...]]:
        if position == num_cols:
            yield tuple(chosen)
            return
        tried: set[int] = set()
        for j in allowed[position]:
            if j in chosen or first_same[j] in tried:
                continue
            if time.perf_counter() > deadline:
                raise ComparisonTimeout
            tried.add(first_same[j])
            chosen.append(j)
            if gold_prefixes is None or _projection(pred, chosen) == gold_prefixes[position]:
                yield from extend(position + 1)
            chosen.pop()

    return extend(0)


def results_equal(
    gold: Sequence[Row],
    pred: Sequence[Row],
    *,
    order_matters: bool,
    strict: bool = False,
    seed: int = 0,
    deadline: float = math.inf,
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
        seed: unused; the permutation search no longer samples rows (it never changed the verdict).
        deadline: a ``time.perf_counter()`` value past which the permutation search stops.

    Returns:
        True when the two results are judged equal.

    Raises:
        ComparisonTimeout: the permutation search passed ``deadline``.
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
    if (pred == gold) if order_matters else Counter(pred) == gold_rows:
        return True  # the identity permutation: the common case for a correct pred
    if num_cols == 1:
        return False
    identity = tuple(range(num_cols))
    for perm in _column_permutations(gold, pred, num_cols, order_matters, deadline):
        if perm == identity:
            continue
        permuted = [tuple(row[c] for c in perm) for row in pred]
        if (permuted == gold) if order_matters else Counter(permuted) == gold_rows:
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
    #: False when the gold calls a function whose value may change between runs (``random()``, the clock).
    deterministic: bool = True


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
        default=30.0,
        metadata={
            "help": "Time limit per prediction (running it on every database file and comparing the results) "
            "and per gold query; a pred past it scores 0, a gold is an error."
        },
    )
    max_rows: int = field(
        default=DEFAULT_MAX_ROWS,
        metadata={
            "help": "Row cap per query result; a pred past it scores 0, a gold past it is a gold error."
        },
    )
    max_bytes: int = field(
        default=DEFAULT_MAX_BYTES,
        metadata={
            "help": "Byte cap per query result (the executor's estimate), enforced while rows are fetched; "
            "a pred past it scores 0, a gold past it is a gold error."
        },
    )
    seed: int = field(default=0, metadata={"help": "Unused (the permutation search no longer samples rows)."})

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

    def _run(self, path: Path, sql: str, deadline: float) -> tuple[tuple[Row, ...] | None, str | None, bool]:
        """(rows, None, deterministic) or (None, why it failed, deterministic); a cut result is a failure."""
        remaining = deadline - time.perf_counter()
        if not remaining > 0:
            return None, "timeout: no time left for this query", True
        try:
            result = self.executor.execute(path, sql, timeout_s=remaining, max_rows=self.config.max_rows)
        except (
            OSError,
            ValueError,
        ) as err:  # missing or broken database file (DatabaseFileError is a ValueError)
            return None, f"database error: {err}", True
        if result.error is not None:
            kind = getattr(result.error, "value", result.error)
            return None, f"{kind}: {result.message}" if result.message else str(kind), result.deterministic
        if result.truncated:
            config = self.config
            message = (
                f"too_large: result exceeds the cap of {config.max_rows} rows or {config.max_bytes} bytes"
            )
            return None, message, result.deterministic
        return tuple(result.rows), None, result.deterministic

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
            deterministic = True
            for path in files:
                rows, message, same = self._run(path, sql, time.perf_counter() + self.config.timeout_s)
                deterministic = deterministic and same
                if rows is None:
                    error = f"gold fails on {path.name}: {message}"
                    break
                results.append((path, rows))
            gold = GoldExecution(sql, ordered, () if error else tuple(results), error, deterministic)
        self._gold_cache[key] = gold
        return gold

    def match(self, pred_sql: str, gold: GoldExecution, *, timeout_s: float | None = None) -> ExecVerdict:
        """Judge EX of a prediction (already value-rewritten) against a successfully executed gold.

        A pred whose prepared text equals the prepared gold is correct without running it (same engine, same
        query, same rows), unless the gold's rows may change between runs (``random()``, the clock ...).
        ``timeout_s`` (default ``config.timeout_s``) bounds everything: running the pred on each database file
        and comparing the results; what it cuts off is judged not matching.
        """
        if gold.error is not None:
            raise ValueError(f"cannot score against a failed gold: {gold.error}")
        sql = prepare_for_execution(pred_sql, keep_distinct=self.config.keep_distinct)
        if sql == gold.sql and gold.deterministic:
            return ExecVerdict(True)
        deadline = time.perf_counter() + (self.config.timeout_s if timeout_s is None else timeout_s)
        for path, gold_rows in gold.results:
            rows, message, _ = self._run(path, sql, deadline)
            if rows is None:
                return ExecVerdict(False, message)
            try:
                equal = results_equal(
                    gold_rows,
                    rows,
                    order_matters=gold.order_matters,
                    strict=self.config.strict,
                    deadline=deadline,
                )
            except ComparisonTimeout:
                return ExecVerdict(False, "timeout: comparing the results exceeded the time limit")
            if not equal:
                return ExecVerdict(False)
        return ExecVerdict(True)
