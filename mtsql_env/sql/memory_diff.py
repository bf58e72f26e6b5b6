"""What a candidate SQL keeps, adds or drops relative to the previous turn's SQL (the memory check).

A follow-up question usually keeps the previous turn's tables, join path and filters and changes one
thing (narrows a filter, swaps the selected column, adds a sort, switches the entity). ``diff_queries``
compares the two canonical trees part by part and ``QueryDiff.summary`` writes it as one compact line for
an LLM, e.g. ``keeps tables [car_makers, model_list]; filters: keeps [year > 1970], adds [maker =
'ford']; select: changes [COUNT(*)] -> [model]; adds ORDER BY COUNT(*) DESC; adds LIMIT 1``.

Parts compared (``PARTS``): tables (every table the query reads), join conditions, select items (plus a
``DISTINCT`` marker), filters (WHERE split on top-level AND), GROUP BY items, HAVING conditions (split on
AND), ORDER BY items, LIMIT, and set operations. Items are compared on canonical, fully qualified text;
they are *shown* without the table qualifier when the column name is unambiguous in both queries.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from mtsql_env.sql.dialect import DIALECT, text
from mtsql_env.sql.parsing import CACHE_SIZE, SchemaLike, canonical_tree, clean_sql, schema_key
from mtsql_env.sql.split import KEYWORDS, render_query, split_set_operations, unwrap

logger = logging.getLogger(__name__)

#: Compared parts, in the order the summary reports them.
PARTS: tuple[str, ...] = (
    "tables", "joins", "filters", "select", "groupBy", "having", "orderBy", "limit", "setOperation",
)
_LABELS = {
    "tables": "tables", "joins": "join conditions", "filters": "filters", "select": "select",
    "groupBy": "GROUP BY", "having": "HAVING", "orderBy": "ORDER BY", "limit": "LIMIT",
    "setOperation": "set operation",
}
#: Parts written without brackets (one expression or an ordered list that reads as SQL).
_BARE = frozenset({"orderBy", "limit"})
#: Parts not worth a "keeps" mention when unchanged (the tables already say it).
_QUIET_WHEN_KEPT = frozenset({"joins"})
#: Longest text shown for one item before it is cut with an ellipsis.
MAX_ITEM_CHARS = 80


@dataclass(frozen=True)
class ClauseChange:
    """One part of the query: items in both queries, only in the candidate, only in the previous one."""

    clause: str
    kept: tuple[str, ...]
    added: tuple[str, ...]
    dropped: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.dropped)


@dataclass(frozen=True)
class QueryDiff:
    """The structural difference between a candidate SQL and the previous turn's SQL.

    ``changes`` has one entry per part (``PARTS``) that either query has. ``identical`` is True when the
    two canonical queries are the same. ``note`` explains a diff that could not be computed (no previous
    SQL, or a side that does not parse); then ``changes`` is empty.
    """

    changes: tuple[ClauseChange, ...]
    identical: bool
    note: str | None = None

    def change(self, clause: str) -> ClauseChange | None:
        """The entry for one part, or None when neither query has it."""
        return next((c for c in self.changes if c.clause == clause), None)

    def summary(self, max_chars: int = 400) -> str:
        """One line for the model: changed parts in full, unchanged ones briefly, at most ``max_chars``.

        Example:
            >>> diff_queries("SELECT name FROM singer WHERE age > 20 ORDER BY age DESC",
            ...              "SELECT name, age FROM singer WHERE age > 20").summary()
            'keeps tables [singer]; keeps filters [age > 20]; select: keeps [name], drops [age]; adds ORDER BY age DESC'
        """
        if self.note is not None:
            return _cut(self.note, max_chars)
        if self.identical:
            return _cut("same query as the previous turn (after normalisation)", max_chars)
        parts = [(c, _describe(c)) for c in self.changes]
        parts = [(c, text) for c, text in parts if text]
        full = "; ".join(text for _, text in parts)
        if len(full) <= max_chars:
            return full
        # Too long: keep the changes, name the unchanged parts only.
        changed = [text for c, text in parts if c.changed]
        unchanged = [_LABELS[c.clause] for c, _ in parts if not c.changed]
        if unchanged:
            changed.append("unchanged: " + ", ".join(unchanged))
        return _cut("; ".join(changed), max_chars)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _items(values: tuple[str, ...]) -> str:
    return ", ".join(_cut(v, MAX_ITEM_CHARS) for v in values)


def _describe(change: ClauseChange) -> str:
    """Write one part as a phrase; empty when nothing needs saying."""
    label = _LABELS[change.clause]
    bare = change.clause in _BARE

    def show(values: tuple[str, ...]) -> str:
        return _items(values) if bare else f"[{_items(values)}]"

    kept, added, dropped = change.kept, change.added, change.dropped
    if not change.changed:
        return "" if change.clause in _QUIET_WHEN_KEPT else f"keeps {label} {show(kept)}"
    if bare and not kept and added and dropped:
        return f"{label} {show(dropped)} -> {show(added)}"
    if not kept and not dropped:
        return f"adds {label} {show(added)}"
    if not kept and not added:
        return f"drops {label} {show(dropped)}"
    phrases = [f"keeps {show(kept)}"] if kept else []
    if added and dropped:
        phrases.append(f"changes {show(dropped)} -> {show(added)}")
    elif added:
        phrases.append(f"adds {show(added)}")
    else:
        phrases.append(f"drops {show(dropped)}")
    return f"{label}: " + ", ".join(phrases)


# -- extracting the parts of one canonical query -----------------------------------------------------

_Item = tuple[str, exp.Expression | str]  # (comparison key, node to display or display text)


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


_key = text


def _parts(tree: exp.Expression) -> dict[str, list[_Item]]:
    outer = unwrap(tree)
    main, chain = split_set_operations(outer)
    parts: dict[str, list[_Item]] = {}
    tables = sorted({t.name for t in outer.find_all(exp.Table) if t.name})
    if tables:
        parts["tables"] = [(t, t) for t in tables]
    if not isinstance(main, exp.Select):
        return parts
    joins = [c for j in main.args.get("joins") or () for c in _conjuncts(j.args.get("on"))]
    if joins:
        parts["joins"] = [(_key(c), c) for c in joins]
    select = [(_key(e), e) for e in main.expressions]
    if main.args.get("distinct"):
        select.insert(0, ("DISTINCT", "DISTINCT"))
    if select:
        parts["select"] = select
    where = main.args.get("where")
    if where is not None:
        parts["filters"] = [(_key(c), c) for c in _conjuncts(where.this)]
    group = main.args.get("group")
    if group is not None and group.expressions:
        parts["groupBy"] = [(_key(e), e) for e in group.expressions]
    having = main.args.get("having")
    if having is not None:
        parts["having"] = [(_key(c), c) for c in _conjuncts(having.this)]
    order = main.args.get("order") or (outer.args.get("order") if chain else None)
    if order is not None and order.expressions:
        parts["orderBy"] = [(_key(e), e) for e in order.expressions]
    limit = main.args.get("limit") or (outer.args.get("limit") if chain else None)
    if limit is not None:
        node = limit.expression if limit.expression is not None else limit
        parts["limit"] = [(_key(node), node)]
    if chain:
        ops = []
        for op, distinct, right in chain:
            text = f"{KEYWORDS[op]}{'' if distinct else ' ALL'} {render_query(right)}"
            ops.append((text, text))
        parts["setOperation"] = ops
    return parts


def _qualified_columns(tree: exp.Expression) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for column in tree.find_all(exp.Column):
        owners.setdefault(column.name, set()).add(column.table)
    return owners


def _display(item: exp.Expression | str, ambiguous: frozenset[str]) -> str:
    """Item text for people: ``table.col`` shown as ``col`` unless ``col`` is ambiguous."""
    if isinstance(item, str):
        return item
    if not any(isinstance(c, exp.Column) and c.table for c in item.find_all(exp.Column)):
        return _key(item)

    def shorten(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table and node.name not in ambiguous:
            return exp.column(node.args["this"].copy())
        return node

    return _key(item.transform(shorten))


def _compare(clause: str, cand: list[_Item], prev: list[_Item], ambiguous: frozenset[str]) -> ClauseChange:
    prev_left = Counter(key for key, _ in prev)
    kept, added = [], []
    for key, node in cand:
        if prev_left[key] > 0:
            prev_left[key] -= 1
            kept.append(_display(node, ambiguous))
        else:
            added.append(_display(node, ambiguous))
    cand_keys = Counter(key for key, _ in cand)
    dropped = []
    for key, node in prev:
        if cand_keys[key] > 0:
            cand_keys[key] -= 1
        else:
            dropped.append(_display(node, ambiguous))
    if clause == "orderBy" and not added and not dropped and [k for k, _ in cand] != [k for k, _ in prev]:
        # Same sort keys in another order is a different sort.
        return ClauseChange(clause, (), tuple(kept), tuple(_display(n, ambiguous) for _, n in prev))
    return ClauseChange(clause, tuple(kept), tuple(added), tuple(dropped))


@lru_cache(maxsize=CACHE_SIZE)
def _diff(candidate: str, previous: str | None, schema) -> QueryDiff:
    if previous is None or not previous:
        return QueryDiff((), False, note="no previous SQL to compare with (first turn)")
    cand_tree = canonical_tree(candidate, schema)
    prev_tree = canonical_tree(previous, schema)
    if cand_tree is None or prev_tree is None:
        which = [name for name, tree in (("candidate", cand_tree), ("previous", prev_tree)) if tree is None]
        return QueryDiff((), False, note=f"cannot compare: the {' and the '.join(which)} SQL does not parse")
    owners = _qualified_columns(cand_tree)
    for name, tables in _qualified_columns(prev_tree).items():
        owners.setdefault(name, set()).update(tables)
    ambiguous = frozenset(name for name, tables in owners.items() if len(tables) > 1)
    cand_parts, prev_parts = _parts(cand_tree), _parts(prev_tree)
    changes = tuple(
        _compare(part, cand_parts.get(part, []), prev_parts.get(part, []), ambiguous)
        for part in PARTS
        if part in cand_parts or part in prev_parts
    )
    identical = render_query(cand_tree) == render_query(prev_tree)
    return QueryDiff(changes, identical)


def diff_queries(candidate_sql: str, previous_sql: str | None, schema: SchemaLike = None) -> QueryDiff:
    """Compare a candidate SQL with the previous turn's answered SQL, part by part (cached).

    Example:
        >>> diff = diff_queries(
        ...     "SELECT T1.model FROM model_list AS T1 JOIN car_makers AS T2 ON T1.maker = T2.id "
        ...     "WHERE T1.year > 1970 AND T2.maker = 'ford' ORDER BY T1.model",
        ...     "SELECT count(*) FROM model_list AS a JOIN car_makers AS b ON a.maker = b.id WHERE a.year > 1970")
        >>> diff.change("filters").added
        ("car_makers.maker = 'ford'",)
        >>> diff.summary()
        "keeps tables [car_makers, model_list]; filters: keeps [year > 1970], adds [car_makers.maker = 'ford']; select: changes [COUNT(*)] -> [model]; adds ORDER BY model"
        >>> diff_queries("SELECT name FROM singer", "SELEC name").summary()
        'cannot compare: the previous SQL does not parse'

    Args:
        candidate_sql: the SQL being checked.
        previous_sql: the SQL answered in the previous turn (None or "" on the first turn).
        schema: optional schema used to qualify bare columns (see ``parsing.canonical_clauses``).

    Returns:
        A ``QueryDiff``; never raises on bad SQL (the diff says what could not be parsed).
    """
    previous = clean_sql(previous_sql) if previous_sql else None
    return _diff(clean_sql(candidate_sql), previous, schema_key(schema))
