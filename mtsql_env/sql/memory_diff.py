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
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from mtsql_env.sql.dialect import short_column_text, text
from mtsql_env.sql.normalize import SchemaKey
from mtsql_env.sql.parsing import (
    CACHE_SIZE,
    TREE_CACHE_SIZE,
    SchemaLike,
    canonical_clauses,
    canonical_tree,
    clean_sql,
    schema_key,
    too_deep,
)
from mtsql_env.sql.split import KEYWORDS, render_query, split_set_operations, unwrap

logger = logging.getLogger(__name__)

#: Compared parts, in the order the summary reports them.
PARTS: tuple[str, ...] = (
    "tables",
    "joins",
    "filters",
    "select",
    "groupBy",
    "having",
    "orderBy",
    "limit",
    "setOperation",
)
_LABELS = {
    "tables": "tables",
    "joins": "join conditions",
    "filters": "filters",
    "select": "select",
    "groupBy": "GROUP BY",
    "having": "HAVING",
    "orderBy": "ORDER BY",
    "limit": "LIMIT",
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

#: Item roots whose rendering looks at their parent: shown from a detached copy, as written before.
_PARENT_SENSITIVE = (
    exp.Anonymous,
    exp.Like,
    exp.ILike,
    exp.Mod,
    exp.Values,
    exp.GroupConcat,
    exp.GenerateSeries,
    exp.ExplodingGenerateSeries,
)


class _Item:
    """One compared item: its canonical text (the comparison key) and how to show it to people.

    ``names`` are the column names the item writes qualified (``table.col``); how the item is shown
    depends only on which of them are ambiguous in the two queries, so that text is remembered per
    ambiguous subset.
    """

    __slots__ = ("key", "node", "names", "plain", "_shown")

    def __init__(self, key: str, node: exp.Expression | None = None) -> None:
        self.key = key
        self.node = node
        self._shown: dict[frozenset[str], str] = {}
        if node is None:
            self.names: frozenset[str] = frozenset()
            self.plain = True
            return
        columns = [c for c in node.find_all(exp.Column) if c.table]
        self.names = frozenset(c.name for c in columns)
        # Rendered in place unless a qualified column is a Column subclass or the root's text
        # depends on its parent (then a detached copy is rendered, exactly as before).
        self.plain = all(type(c) is exp.Column for c in columns) and not isinstance(node, _PARENT_SENSITIVE)

    def shown(self, ambiguous: frozenset[str]) -> str:
        """Text for people: ``table.col`` shown as ``col`` unless ``col`` is ambiguous."""
        if not self.names:
            return self.key
        keep = self.names & ambiguous
        text = self._shown.get(keep)
        if text is None:
            if not self.plain:
                text = _shown_from_copy(self.node, ambiguous)
            elif keep == self.names:
                text = self.key
            else:
                text = short_column_text(self.node, keep)
            self._shown[keep] = text
        return text


def _shown_from_copy(item: exp.Expression, ambiguous: frozenset[str]) -> str:
    def shorten(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table and node.name not in ambiguous:
            return exp.column(node.args["this"].copy())
        return node

    return text(item.transform(shorten))


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def _nodes(nodes) -> list[_Item]:
    return [_Item(text(node), node) for node in nodes]


def _parts(tree: exp.Expression, tables: list[str] | None = None) -> dict[str, list[_Item]]:
    """The compared items of each part; ``tables`` (sorted names) when the caller already walked the tree."""
    outer = unwrap(tree)
    main, chain = split_set_operations(outer)
    parts: dict[str, list[_Item]] = {}
    if tables is None:
        tables = sorted({t.name for t in outer.find_all(exp.Table) if t.name})
    if tables:
        parts["tables"] = [_Item(t) for t in tables]
    if not isinstance(main, exp.Select):
        return parts
    joins = [c for j in main.args.get("joins") or () for c in _conjuncts(j.args.get("on"))]
    if joins:
        parts["joins"] = _nodes(joins)
    select = _nodes(main.expressions)
    if main.args.get("distinct"):
        select.insert(0, _Item("DISTINCT"))
    if select:
        parts["select"] = select
    where = main.args.get("where")
    if where is not None:
        parts["filters"] = _nodes(_conjuncts(where.this))
    group = main.args.get("group")
    if group is not None and group.expressions:
        parts["groupBy"] = _nodes(group.expressions)
    having = main.args.get("having")
    if having is not None:
        parts["having"] = _nodes(_conjuncts(having.this))
    order = main.args.get("order") or (outer.args.get("order") if chain else None)
    if order is not None and order.expressions:
        parts["orderBy"] = _nodes(order.expressions)
    limit = main.args.get("limit") or (outer.args.get("limit") if chain else None)
    if limit is not None:
        node = limit.expression if limit.expression is not None else limit
        parts["limit"] = _nodes([node])
    if chain:
        parts["setOperation"] = [
            _Item(f"{KEYWORDS[op]}{'' if distinct else ' ALL'} {render_query(right)}")
            for op, distinct, right in chain
        ]
    return parts


@dataclass(frozen=True)
class _Facts:
    """What the diff needs from one canonical query, computed once per (SQL, schema)."""

    parts: dict[str, list[_Item]]
    owners: dict[str, frozenset[str]]  # column name -> qualifiers it is written with ("" for bare)
    text: str  # the whole canonical query, to tell identical queries


@lru_cache(maxsize=TREE_CACHE_SIZE)  # its items keep their tree alive (rendered lazily per diff)
def _facts(cleaned: str, schema: SchemaKey | None) -> _Facts | None:
    tree = canonical_tree(cleaned, schema)
    if tree is None:
        return None
    owners: dict[str, set[str]] = {}
    tables: set[str] = set()
    for node in tree.find_all(exp.Column, exp.Table):  # one walk for both
        if isinstance(node, exp.Column):
            owners.setdefault(node.name, set()).add(node.table)
        elif node.name:
            tables.add(node.name)
    clauses = canonical_clauses(cleaned, schema)  # the tree above, rendered once and cached
    text_ = " ".join(f"{KEYWORDS[key]} {value}" for key, value in clauses.items())
    parts = _parts(tree, sorted(tables))
    return _Facts(parts, {name: frozenset(qualifiers) for name, qualifiers in owners.items()}, text_)


def _counts(items: list[_Item]) -> dict[str, int]:
    # A plain dict: Counter's Mapping check costs more than the counting on these short lists.
    counts: dict[str, int] = {}
    for item in items:
        counts[item.key] = counts.get(item.key, 0) + 1
    return counts


def _compare(clause: str, cand: list[_Item], prev: list[_Item], ambiguous: frozenset[str]) -> ClauseChange:
    prev_left = _counts(prev)
    kept, added = [], []
    for item in cand:
        if prev_left.get(item.key, 0) > 0:
            prev_left[item.key] -= 1
            kept.append(item.shown(ambiguous))
        else:
            added.append(item.shown(ambiguous))
    cand_keys = _counts(cand)
    dropped = []
    for item in prev:
        if cand_keys.get(item.key, 0) > 0:
            cand_keys[item.key] -= 1
        else:
            dropped.append(item.shown(ambiguous))
    if clause == "orderBy" and not added and not dropped and [i.key for i in cand] != [i.key for i in prev]:
        # Same sort keys in another order is a different sort.
        return ClauseChange(clause, (), tuple(kept), tuple(item.shown(ambiguous) for item in prev))
    return ClauseChange(clause, tuple(kept), tuple(added), tuple(dropped))


@lru_cache(maxsize=CACHE_SIZE)
def _diff(candidate: str, previous: str | None, schema: SchemaKey | None) -> QueryDiff:
    if previous is None or not previous:
        return QueryDiff((), False, note="no previous SQL to compare with (first turn)")
    try:
        cand, prev = _facts(candidate, schema), _facts(previous, schema)
    except RecursionError:  # nested too deeply for sqlglot's tree walks
        cand = prev = None
    if cand is None and too_deep(candidate):
        return QueryDiff((), False, note="cannot compare: the candidate SQL nests too deeply to analyse")
    if cand is None or prev is None:
        which = [name for name, facts in (("candidate", cand), ("previous", prev)) if facts is None]
        return QueryDiff((), False, note=f"cannot compare: the {' and the '.join(which)} SQL does not parse")
    none: frozenset[str] = frozenset()
    ambiguous = frozenset(
        name
        for name in cand.owners.keys() | prev.owners.keys()
        if len(cand.owners.get(name, none) | prev.owners.get(name, none)) > 1
    )
    try:
        changes = tuple(
            _compare(part, cand.parts.get(part, []), prev.parts.get(part, []), ambiguous)
            for part in PARTS
            if part in cand.parts or part in prev.parts
        )
    except RecursionError:  # an item too deep to render
        return QueryDiff((), False, note="cannot compare: a query nests too deeply to analyse")
    return QueryDiff(changes, cand.text == prev.text)


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


def cache_clear() -> None:
    """Empty this module's caches (see ``mtsql_env.sql.cache_clear``)."""
    _facts.cache_clear()
    _diff.cache_clear()
