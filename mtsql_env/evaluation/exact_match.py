"""Exact set match with partial components, as the official evaluator scores it (evaluation-spec.md §3).

Pipeline for one item: the gold is parsed, graded (:mod:`~mtsql_env.evaluation.hardness`) and
normalised once (:func:`prepare_gold`, cacheable); the prediction gets the ``value`` -> ``1`` rewrite,
is parsed (a failure becomes :func:`~mtsql_env.evaluation.parser.empty_sql`), normalised, and compared
component by component (:func:`match_prepared`). Nothing is mutated: normalisation builds new
structures, so a :class:`PreparedGold` can be reused for any number of predictions.

By default every official quirk is kept, so numbers are comparable with published ones. ``strict=True``
fixes the bugs listed in :data:`STRICT_FIXES`; no default code path depends on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mtsql_env.evaluation.hardness import hardness
from mtsql_env.evaluation.parser import WHERE_OPS, SQLParseError, empty_sql, parse_sql
from mtsql_env.evaluation.schema import EvalSchema
from mtsql_env.evaluation.tokenizer import rewrite_value_placeholder

__all__ = [
    "PARTIAL_COMPONENTS",
    "STRICT_FIXES",
    "ExactMatch",
    "PreparedGold",
    "exact_match",
    "match_normalized",
    "match_prepared",
    "normalize",
    "prepare_gold",
]

#: The ten partial components, in the order the official report prints them.
PARTIAL_COMPONENTS: tuple[str, ...] = (
    "select",
    "select(no AGG)",
    "where",
    "where(no OP)",
    "group(no Having)",
    "group",
    "order",
    "and/or",
    "IUEN",
    "keywords",
)

#: Known official bugs that ``strict=True`` fixes (name -> what changes). Everything else is kept.
STRICT_FIXES: dict[str, str] = {
    "fk_union_find": "foreign-key groups that a key links are merged (true union-find), so no column "
    "sits in two groups; pass strict=True to build_foreign_key_map / load_foreign_key_maps",
    "order_direction_per_key": "ORDER BY keeps one direction per key, so `a DESC, b ASC` no longer "
    "equals `a ASC, b ASC`; the keyword set gets every direction used",
    "hardness_counts_aggregates": "hardness counts the aggregates on the left of WHERE/HAVING "
    "conditions instead of WHERE negations and every truthy first field of the HAVING list",
    "set_op_own_scope": "FK normalisation inside INTERSECT/UNION/EXCEPT children uses the child's own "
    "FROM tables instead of the top-level ones",
    "value_placeholder_word_only": "the pred `value` -> `1` rewrite replaces only the whole word, so "
    "identifiers such as `total_value_purchased` survive",
    "and_or_totals": "when the WHERE connector sets differ, and/or's pred and gold totals are the pred's "
    "and the gold's connector counts (upstream unpacks eval_and_or's result in the other order, so its "
    "and/or accuracy and recall are swapped)",
}

_IN = WHERE_OPS.index("in")
_LIKE = WHERE_OPS.index("like")
_SET_OPS = ("intersect", "except", "union")

Query = dict[str, Any]
Partial = dict[str, tuple[int, int, int]]


@dataclass(frozen=True)
class PreparedGold:
    """A gold query parsed, graded and normalised once, reusable for every prediction against it."""

    sql: str
    parsed: Query
    normalized: Query
    hardness: str
    strict: bool = False


@dataclass(frozen=True)
class ExactMatch:
    """One item's exact-match verdict.

    Attributes:
        exact: the official EM (all ten components and the sorted FROM table units equal).
        partial: per component in :data:`PARTIAL_COMPONENTS`, ``(score, pred_total, gold_total)``. The
            official report averages ``score`` over items with ``pred_total > 0`` (accuracy) and over
            items with ``gold_total > 0`` (recall). For ``and/or`` the totals are upstream's:
            ``(1, 1, 1)`` whenever the connector sets are equal, even both empty, and otherwise
            ``(0, gold connectors, pred connectors)`` (upstream's swap; ``strict`` puts them the right way).
        pred_parse_error: why the prediction failed to parse (it was scored as the empty query), or None.
    """

    exact: bool
    partial: Partial
    pred_parse_error: str | None = None


# -- normalisation (spec §3.1) ----------------------------------------------------------------------
def _strip_condition_values(condition: tuple, left: Callable[[tuple], tuple] | None = None) -> tuple:
    """Value removal in one condition list; ``left`` maps each left-hand val_unit (unchanged by default)."""
    out = []
    for i, unit in enumerate(condition):
        if i % 2 or not isinstance(unit, tuple):  # a connector (or upstream's crash case: left as is)
            out.append(unit)
            continue
        negated, op, val_unit, val1, val2 = unit
        out.append(
            (
                negated,
                op,
                val_unit if left is None else left(val_unit),
                _strip_values(val1) if isinstance(val1, dict) else None,
                _strip_values(val2) if isinstance(val2, dict) else None,
            )
        )
    return tuple(out)


def _strip_values(sql: Query) -> Query:
    """Value removal alone, as applied inside condition subqueries (FROM-subqueries untouched)."""
    out = dict(sql)
    out["from"] = {
        "table_units": sql["from"]["table_units"],
        "conds": _strip_condition_values(sql["from"]["conds"]),
    }
    out["where"] = _strip_condition_values(sql["where"])
    out["having"] = _strip_condition_values(sql["having"])
    for op in _SET_OPS:
        if sql[op] is not None:
            out[op] = _strip_values(sql[op])
    return out


def _valid_columns(sql: Query, schema: EvalSchema) -> frozenset[str]:
    ids = [unit[1] for unit in sql["from"]["table_units"] if unit[0] == "table_unit"]
    if len(ids) == 1:
        return schema.table_column_ids.get(ids[0], frozenset())
    return frozenset().union(*(schema.table_column_ids.get(t, ()) for t in ids))


class _Normalizer:
    """FK + DISTINCT normalisation and value removal of one query and its set-operation children.

    ``valid`` (the columns eligible for FK replacement) is passed down explicitly: the top-level FROM's
    columns for the whole tree by default, each query's own with ``strict``.
    """

    __slots__ = ("kmap", "schema", "strict")

    def __init__(self, schema: EvalSchema, kmap: dict[str, str], strict: bool) -> None:
        self.schema = schema
        self.kmap = kmap
        self.strict = strict

    def col_unit(self, col_unit: tuple | None, valid: frozenset[str]) -> tuple | None:
        if col_unit is None:
            return None
        column_id = col_unit[1]
        if column_id in valid:
            column_id = self.kmap.get(column_id, column_id)
        return (col_unit[0], column_id, None)

    def val_unit(self, val_unit: tuple, valid: frozenset[str]) -> tuple:
        return (val_unit[0], self.col_unit(val_unit[1], valid), self.col_unit(val_unit[2], valid))

    def condition(self, condition: tuple, valid: frozenset[str]) -> tuple:
        return _strip_condition_values(condition, lambda val_unit: self.val_unit(val_unit, valid))

    def query(self, sql: Query, valid: frozenset[str]) -> Query:
        if self.strict:
            valid = _valid_columns(sql, self.schema)
        order_by = sql["orderBy"]
        out = {
            "select": (None, tuple((agg, self.val_unit(vu, valid)) for agg, vu in sql["select"][1])),
            "from": {
                "table_units": sql["from"]["table_units"],
                "conds": self.condition(sql["from"]["conds"], valid),
            },
            "where": self.condition(sql["where"], valid),
            "groupBy": tuple(self.col_unit(cu, valid) for cu in sql["groupBy"]),
            "having": self.condition(sql["having"], valid),
            "orderBy": (order_by[0], tuple(self.val_unit(vu, valid) for vu in order_by[1]))
            if order_by
            else (),
            "limit": sql["limit"],
        }
        for op in _SET_OPS:
            out[op] = None if sql[op] is None else self.query(sql[op], valid)
        return out


def normalize(parsed: Query, schema: EvalSchema, kmap: dict[str, str], *, strict: bool = False) -> Query:
    """Apply the official value removal and column normalisation (spec §3.1) to a parsed query.

    Example:
        >>> s = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"], "sic": ["singer_id"]})
        >>> q = parse_sql("SELECT DISTINCT T2.singer_id FROM singer AS T1 JOIN sic AS T2 WHERE age > 3", s)
        >>> n = normalize(q, s, {"__sic.singer_id__": "__singer.singer_id__"})
        >>> n["select"]
        (None, ((0, (0, (0, '__singer.singer_id__', None), None)),))
        >>> n["where"]
        ((False, 3, (0, (0, '__singer.age__', None), None), None, None),)

    Args:
        parsed: a parsed query (not modified).
        schema: its database's :class:`EvalSchema`.
        kmap: the database's foreign-key map.
        strict: normalise set-operation children with their own FROM tables.

    Returns:
        A new, normalised query dict.
    """
    return _Normalizer(schema, kmap, strict).query(parsed, _valid_columns(parsed, schema))


# -- components (spec §3.2) -------------------------------------------------------------------------
def _score(count: int, pred_total: int, gold_total: int) -> tuple[int, int, int]:
    return (int(pred_total == gold_total and count == pred_total), pred_total, gold_total)


def _multiset_hits(pred_units: Any, gold_units: Any) -> int:
    remaining = list(gold_units)
    hits = 0
    for unit in pred_units:
        if unit in remaining:
            hits += 1
            remaining.remove(unit)
    return hits


def _short_column(column_id: str) -> str:
    return column_id.split(".")[1] if "." in column_id else column_id


def _keywords(sql: Query) -> set[str]:
    words = set()
    if len(sql["where"]) > 0:
        words.add("where")
    if len(sql["groupBy"]) > 0:
        words.add("group")
    if len(sql["having"]) > 0:
        words.add("having")
    if len(sql["orderBy"]) > 0:
        direction = sql["orderBy"][0]
        if isinstance(direction, tuple):  # strict: one direction per key
            words.update(direction)
        else:
            words.add(direction)
        words.add("order")
    if sql["limit"] is not None:
        words.add("limit")
    for op in _SET_OPS:
        if sql[op] is not None:
            words.add(op)
    conds = (sql["from"]["conds"], sql["where"], sql["having"])
    if any(tok == "or" for cond in conds for tok in cond[1::2]):
        words.add("or")
    units = [unit for cond in conds for unit in cond[::2]]
    if any(unit[0] for unit in units):
        words.add("not")
    if any(unit[1] == _IN for unit in units):
        words.add("in")
    if any(unit[1] == _LIKE for unit in units):
        words.add("like")
    return words


def _partial(pred: Query, gold: Query, strict: bool = False) -> Partial:
    res: Partial = {}
    pred_sel, gold_sel = pred["select"][1], gold["select"][1]
    res["select"] = _score(_multiset_hits(pred_sel, gold_sel), len(pred_sel), len(gold_sel))
    res["select(no AGG)"] = _score(
        _multiset_hits([u[1] for u in pred_sel], [u[1] for u in gold_sel]), len(pred_sel), len(gold_sel)
    )
    pred_conds, gold_conds = pred["where"][::2], gold["where"][::2]
    res["where"] = _score(_multiset_hits(pred_conds, gold_conds), len(pred_conds), len(gold_conds))
    res["where(no OP)"] = _score(
        _multiset_hits([u[2] for u in pred_conds], [u[2] for u in gold_conds]),
        len(pred_conds),
        len(gold_conds),
    )
    pred_group = [u[1] for u in pred["groupBy"]]
    gold_group = [u[1] for u in gold["groupBy"]]
    res["group(no Having)"] = _score(
        _multiset_hits([_short_column(c) for c in pred_group], [_short_column(c) for c in gold_group]),
        len(pred_group),
        len(gold_group),
    )
    pred_has, gold_has = int(bool(pred_group)), int(bool(gold_group))
    same_group = pred_has and gold_has and pred_group == gold_group and pred["having"] == gold["having"]
    res["group"] = _score(int(same_group), pred_has, gold_has)
    pred_has, gold_has = int(len(pred["orderBy"]) > 0), int(len(gold["orderBy"]) > 0)
    same_order = (
        gold_has and pred["orderBy"] == gold["orderBy"] and (pred["limit"] is None) == (gold["limit"] is None)
    )
    res["order"] = _score(int(same_order), pred_has, gold_has)
    pred_ao, gold_ao = set(pred["where"][1::2]), set(gold["where"][1::2])
    if pred_ao == gold_ao:
        res["and/or"] = (1, 1, 1)
    elif strict:
        res["and/or"] = (0, len(pred_ao), len(gold_ao))
    else:  # upstream: `label_total, pred_total, cnt = eval_and_or(...)`, which returns (pred, gold, 0)
        res["and/or"] = (0, len(gold_ao), len(pred_ao))
    hits = pred_total = gold_total = 0
    for op in _SET_OPS:
        pred_child, gold_child = pred[op], gold[op]
        pred_total += pred_child is not None
        gold_total += gold_child is not None
        if pred_child is not None and gold_child is not None:
            hits += _exact(pred_child, gold_child, _partial(pred_child, gold_child, strict))
    res["IUEN"] = _score(hits, pred_total, gold_total)
    pred_words, gold_words = _keywords(pred), _keywords(gold)
    res["keywords"] = _score(len(pred_words & gold_words), len(pred_words), len(gold_words))
    return res


def _table_unit_key(unit: tuple) -> tuple[str, str]:
    # Upstream sorts the raw tuples; keying by kind keeps that order without comparing two subqueries
    # (which would raise there), and never applies to a valid gold.
    return (unit[0], unit[1] if unit[0] == "table_unit" else "")


def _exact(pred: Query, gold: Query, partial: Partial) -> bool:
    if any(score[0] != 1 for score in partial.values()):
        return False
    gold_units = gold["from"]["table_units"]
    if not gold_units:
        return True
    pred_units = pred["from"]["table_units"]
    if len(pred_units) != len(gold_units):
        return False
    return sorted(gold_units, key=_table_unit_key) == sorted(pred_units, key=_table_unit_key)


def match_normalized(pred: Query, gold: Query, *, strict: bool = False) -> ExactMatch:
    """Compare two normalised queries: the ten components (spec §3.2) and the final decision (§3.3)."""
    partial = _partial(pred, gold, strict)
    return ExactMatch(exact=_exact(pred, gold, partial), partial=partial)


# -- public entry points ----------------------------------------------------------------------------
def prepare_gold(
    gold_sql: str, schema: EvalSchema, kmap: dict[str, str], *, strict: bool = False
) -> PreparedGold:
    """Parse, grade and normalise a gold query once.

    Example:
        >>> s = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"]})
        >>> g = prepare_gold("SELECT name FROM singer ORDER BY age DESC LIMIT 1", s, {})
        >>> g.hardness
        'medium'

    Args:
        gold_sql: the gold query (never rewritten).
        schema: its database's :class:`EvalSchema`.
        kmap: the database's foreign-key map.
        strict: apply :data:`STRICT_FIXES` (predictions must then be matched with ``strict=True`` too).

    Returns:
        The :class:`PreparedGold`.

    Raises:
        SQLParseError: the gold does not parse (upstream aborts the whole run; report it per item).
    """
    parsed = parse_sql(gold_sql, schema, strict=strict)
    return PreparedGold(
        sql=gold_sql,
        parsed=parsed,
        normalized=normalize(parsed, schema, kmap, strict=strict),
        hardness=hardness(parsed, strict=strict),
        strict=strict,
    )


def match_prepared(
    pred_sql: str, gold: PreparedGold, schema: EvalSchema, kmap: dict[str, str], *, strict: bool = False
) -> ExactMatch:
    """Score a raw prediction against a prepared gold (the pred ``value`` -> ``1`` rewrite included).

    Example:
        >>> s = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"]})
        >>> g = prepare_gold("SELECT name FROM singer WHERE age > 30", s, {})
        >>> match_prepared("SELECT Name FROM singer WHERE Age > value", g, s, {}).exact
        True
        >>> r = match_prepared("SELECT name FROM singer WHERE age=30", g, s, {})
        >>> r.exact, r.pred_parse_error, r.partial["select"]
        (False, "unknown column 'age=30'", (0, 0, 1))

    Args:
        pred_sql: the predicted query, as the model wrote it.
        gold: from :func:`prepare_gold` with the same ``strict``.
        schema: the database's :class:`EvalSchema`.
        kmap: the database's foreign-key map.
        strict: apply :data:`STRICT_FIXES`.

    Returns:
        The :class:`ExactMatch`.
    """
    if gold.strict != strict:
        raise ValueError(f"gold was prepared with strict={gold.strict}, matched with strict={strict}")
    error = None
    try:
        parsed = parse_sql(rewrite_value_placeholder(pred_sql, strict=strict), schema, strict=strict)
    except SQLParseError as err:
        parsed, error = empty_sql(), str(err)
    pred = normalize(parsed, schema, kmap, strict=strict)
    partial = _partial(pred, gold.normalized, strict)
    return ExactMatch(exact=_exact(pred, gold.normalized, partial), partial=partial, pred_parse_error=error)


def exact_match(
    pred_sql: str, gold_sql: str, schema: EvalSchema, kmap: dict[str, str], *, strict: bool = False
) -> bool:
    """Official exact set match of one prediction against one gold query.

    Example:
        >>> s = EvalSchema.from_tables({"singer": ["singer_id", "name", "age"]})
        >>> exact_match("SELECT age , name FROM singer", "SELECT Name, Age FROM singer", s, {})
        True
        >>> exact_match("SELECT count(name) FROM singer", "SELECT count(*) FROM singer", s, {})
        False

    Args:
        pred_sql: the predicted query.
        gold_sql: the gold query.
        schema: the database's :class:`EvalSchema`.
        kmap: the database's foreign-key map.
        strict: apply :data:`STRICT_FIXES`.

    Returns:
        True when EM is 1.

    Raises:
        SQLParseError: the gold does not parse.
    """
    gold = prepare_gold(gold_sql, schema, kmap, strict=strict)
    return match_prepared(pred_sql, gold, schema, kmap, strict=strict).exact
