"""Rewrite a parsed query into a canonical tree, so equal-meaning spellings render to the same text.

``normalize`` copies its input once (or not at all, for a tree nobody else holds) and runs ``RULES`` in
order, each a ``tree -> tree`` pass that edits the tree in place (the shape of sqlglot's optimizer
rules). It deliberately avoids ``sqlglot.optimizer.optimize`` (about 15 ms a query) and ``qualify``
(needs a full schema, ~2 ms): the passes here are cheap and need no schema, and use one only to qualify
bare columns. The passes share one walk of the tree (``Nodes``): walking costs about as much as a
pass's own work, so ``normalize`` walks once, and again only when a pass adds nodes.

What each pass does and why is documented on the pass; ``parsing.canonical_clauses`` summarises it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce

from sqlglot import exp

from mtsql_env.sql.dialect import text as _text

#: Hashable schema form: sorted ``(table, frozenset(columns))`` pairs, all lower-case.
SchemaKey = tuple[tuple[str, frozenset[str]], ...]
ColumnsByTable = dict[str, frozenset[str]]

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.Glob)
_SYMMETRIC = (exp.EQ, exp.NEQ)
_SIMPLE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_#]*")

#: Node kinds the passes visit, by the class test ``find_all`` would make.
_KINDS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("columns", (exp.Column,)),
    ("identifiers", (exp.Identifier, exp.Anonymous)),
    ("selects", (exp.Select,)),
    ("joins", (exp.Join,)),
    ("filters", (exp.Where, exp.Having)),
    ("groups", (exp.Group,)),
    ("ordered", (exp.Ordered,)),
)
_KINDS_OF: dict[type, tuple[str, ...]] = {}


class Nodes:
    """The nodes of one tree by kind, in breadth-first order: what ``tree.find_all(kind)`` would yield.

    The passes share it instead of walking the tree once or more each. It stays valid while passes
    only edit nodes, replace a column by a literal (recorded in ``dropped``) or drop an alias wrapper;
    the order of nodes of one kind only matters between a node and its descendants, and breadth-first
    order keeps ancestors first whatever the tree's shape. A pass that adds nodes sets ``stale``.
    """

    __slots__ = ("all", "columns", "identifiers", "selects", "joins", "filters", "groups", "ordered", "stale")

    def __init__(self, tree: exp.Expression) -> None:
        self.all = list(tree.walk())
        for name, _ in _KINDS:
            setattr(self, name, [])
        self.stale = False
        for node in self.all:
            kinds = _KINDS_OF.get(type(node))
            if kinds is None:
                kinds = _KINDS_OF[type(node)] = tuple(
                    name for name, cls in _KINDS if issubclass(type(node), cls)
                )
            for name in kinds:
                getattr(self, name).append(node)


def _nodes(tree: exp.Expression, nodes: Nodes | None) -> Nodes:
    return Nodes(tree) if nodes is None or nodes.stale else nodes


def _enclosing_selects(node: exp.Expression):
    """Yield the SELECTs around ``node``, innermost first (the scopes a column may refer to)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            yield parent
        parent = parent.parent


def _sources(select: exp.Select) -> list[exp.Expression]:
    """The FROM item and every JOIN item of one SELECT, in written order."""
    from_ = select.args.get("from_") or select.args.get("from")
    sources = [from_.this] if from_ is not None else []
    sources.extend(join.this for join in select.args.get("joins") or ())
    return sources


def quoted_values_to_strings(
    tree: exp.Query, columns: ColumnsByTable | None, nodes: Nodes | None = None
) -> exp.Query:
    """Read a double-quoted "name" in a value position as the string it is meant to be.

    Spider gold writes ``WHERE name = "Ford"``; sqlglot parses it as a column, SQLite executes it as a
    string when no such column exists. Value positions: right operand of a comparison, an IN-list item,
    a BETWEEN bound. With a schema, a name that is a real column stays a column.
    """
    nodes = _nodes(tree, nodes)
    known: set[str] | None = None
    replaced = []
    for column in nodes.columns:
        ident = column.this
        if column.table or not isinstance(ident, exp.Identifier) or not ident.quoted:
            continue
        parent, key = column.parent, column.arg_key
        in_value_position = (
            (isinstance(parent, _COMPARISONS) and key == "expression")
            or (isinstance(parent, exp.In) and key == "expressions")
            or (isinstance(parent, exp.Between) and key in ("low", "high"))
        )
        if not in_value_position:
            continue
        if known is None:
            known = set().union(*columns.values()) if columns else set()
        if ident.name.lower() not in known:
            column.replace(exp.Literal.string(ident.name))
            replaced.append(column)
    if replaced:  # detached: later passes must not see them (a literal needs none of their work)
        gone = {id(column) for column in replaced}
        nodes.columns = [column for column in nodes.columns if id(column) not in gone]
    return tree


def lowercase_identifiers(
    tree: exp.Query, columns: ColumnsByTable | None = None, nodes: Nodes | None = None
) -> exp.Query:
    """Lower-case every identifier and unquote the ones that need no quotes (SQLite ignores case).

    Comments are dropped on the same walk: they are not part of the query.
    """
    nodes = _nodes(tree, nodes)
    for node in nodes.all:
        if node.comments:
            node.comments = None
    for node in nodes.identifiers:
        if isinstance(node, exp.Identifier):
            name = node.name.lower()
            node.set("this", name)
            node.set("quoted", not _SIMPLE_IDENTIFIER.fullmatch(name))
        elif isinstance(node, exp.Anonymous) and isinstance(node.this, str):
            node.set("this", node.this.lower())
    return tree


def inline_select_aliases(
    tree: exp.Query, columns: ColumnsByTable | None = None, nodes: Nodes | None = None
) -> exp.Query:
    """Drop ``SELECT expr AS name`` aliases and put ``expr`` where other clauses say ``name``.

    ``SELECT count(*) AS n ... ORDER BY n`` and ``SELECT count(*) ... ORDER BY count(*)`` are one query.
    SQLite resolves a name in WHERE/GROUP BY/HAVING to a real column before an alias (ORDER BY the other
    way round), so with a schema a name that is a column of the scope's tables is left alone there.
    """
    nodes = _nodes(tree, nodes)
    for select in list(nodes.selects):
        aliases: dict[str, exp.Expression] = {}
        for item in select.expressions:
            if isinstance(item, exp.Alias):
                aliases[item.alias] = item.this
                item.replace(item.this)
        if not aliases:
            continue
        real: set[str] = set()
        if columns:
            for source in _sources(select):
                if isinstance(source, exp.Table):
                    real.update(columns.get(source.name, ()))
        for key in ("where", "group", "having", "order"):
            clause = select.args.get(key)
            if clause is None:
                continue
            for column in list(clause.find_all(exp.Column)):
                if column.table or column.name not in aliases or (key != "order" and column.name in real):
                    continue
                if next(_enclosing_selects(column), None) is select:
                    column.replace(aliases[column.name].copy())
                    nodes.stale = True  # new nodes: later passes walk again
    return tree


def resolve_table_aliases(
    tree: exp.Query, columns: ColumnsByTable | None, nodes: Nodes | None = None
) -> exp.Query:
    """Replace table aliases by table names, and qualify bare columns where that is unambiguous.

    Each SELECT is a scope; a qualified column resolves in the innermost scope that defines its
    qualifier (so correlated subqueries work). A table used twice in one scope is named ``t`` then
    ``t#2`` in order of appearance, so ``T1``/``T2`` versus ``a``/``b`` spellings still agree. A bare
    column gets the table of its scope when the scope has exactly one table, or, with a schema, when
    exactly one of the scope's tables has that column (else the search goes to the outer scope).
    """
    nodes = _nodes(tree, nodes)
    scopes: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
    for select in nodes.selects:
        qualifier_map: dict[str, str] = {}  # alias or table name -> canonical name
        tables: dict[str, str] = {}  # canonical name -> real table name (derived tables excluded)
        seen: dict[str, int] = {}
        for source in _sources(select):
            alias = source.alias
            if isinstance(source, exp.Table) and source.name:
                name = source.name
                seen[name] = seen.get(name, 0) + 1
                canonical = name if seen[name] == 1 else f"{name}#{seen[name]}"
                tables[canonical] = name
                qualifier_map.setdefault(name, canonical)
                if alias:
                    qualifier_map[alias] = canonical
                new_alias = None if canonical == name else exp.TableAlias(this=exp.to_identifier(canonical))
                source.set("alias", new_alias)
            elif alias:  # derived table: keep its alias as its name
                qualifier_map[alias] = alias
        scopes[id(select)] = (qualifier_map, tables)

    for column in nodes.columns:
        qualifier = column.table
        if qualifier:
            for select in _enclosing_selects(column):
                mapping = scopes[id(select)][0]
                if qualifier in mapping:
                    column.set("table", exp.to_identifier(mapping[qualifier]))
                    break
            continue
        if isinstance(column.this, exp.Star):
            continue
        owner = _owner_of_bare_column(column, scopes, columns)
        if owner is not None:
            column.set("table", exp.to_identifier(owner))
    return tree


def _owner_of_bare_column(
    column: exp.Column,
    scopes: dict[int, tuple[dict[str, str], dict[str, str]]],
    columns: ColumnsByTable | None,
) -> str | None:
    name = column.name
    for select in _enclosing_selects(column):
        qualifier_map, tables = scopes[id(select)]
        if columns is None:
            derived = len(qualifier_map) > len(set(tables.values()))
            return next(iter(tables)) if len(tables) == 1 and not derived else None
        owners = [canonical for canonical, real in tables.items() if name in columns.get(real, ())]
        if len(owners) == 1:
            return owners[0]
        if owners:  # ambiguous in this scope: SQLite would reject it, leave it as written
            return None
    return None


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    return list(condition.flatten()) if isinstance(condition, exp.And) else [condition]


def _and_all(conditions: list[exp.Expression]) -> exp.Expression:
    return reduce(lambda left, right: exp.And(this=left, expression=right), conditions)


def _sorted_conjunction(condition: exp.Expression, orient: bool) -> exp.Expression:
    parts = _conjuncts(condition)
    if orient:
        for part in parts:
            if isinstance(part, _SYMMETRIC) and _text(part.this) > _text(part.expression):
                left, right = part.this, part.expression
                part.set("this", right)
                part.set("expression", left)
    if len(parts) == 1:
        return parts[0]
    return _and_all(sorted(parts, key=_text))


def canonical_order(
    tree: exp.Query, columns: ColumnsByTable | None = None, nodes: Nodes | None = None
) -> exp.Query:
    """Sort what has no order: AND-ed conditions, ``=`` operands in joins, GROUP BY items; plain joins.

    ``a = 1 AND b = 2`` equals ``b = 2 AND a = 1``; ``ON t1.x = t2.y`` equals ``ON t2.y = t1.x``;
    ``INNER``/``CROSS``/comma joins are all the same join. ``ASC`` is dropped because it is the default.
    """
    nodes = _nodes(tree, nodes)
    for join in nodes.joins:
        if (join.args.get("kind") or "").upper() in ("INNER", "CROSS"):
            join.set("kind", None)
        on = join.args.get("on")
        if on is not None:
            join.set("on", _sorted_conjunction(on, orient=True))
    for clause in nodes.filters:
        clause.set("this", _sorted_conjunction(clause.this, orient=False))
    for group in nodes.groups:
        items = group.expressions
        if len(items) > 1:
            group.set("expressions", sorted(items, key=_text))
    for ordered in nodes.ordered:
        if not ordered.args.get("desc"):
            ordered.set("desc", None)
            ordered.set("nulls_first", True)
    return tree


Rule = Callable[[exp.Query, "ColumnsByTable | None", "Nodes | None"], exp.Query]
#: The passes, in order: values before lower-casing (string case is kept), aliases before ordering.
RULES: tuple[Rule, ...] = (
    quoted_values_to_strings,
    lowercase_identifiers,
    inline_select_aliases,
    resolve_table_aliases,
    canonical_order,
)


def normalize(tree: exp.Query, schema: SchemaKey | None = None, copy: bool = True) -> exp.Query:
    """Return a canonical copy of ``tree``; the input is not modified unless ``copy`` is False.

    Example:
        >>> import sqlglot
        >>> tree = sqlglot.parse_one(
        ...     'SELECT T1.Name, count(*) AS n FROM Singer AS T1 JOIN Song AS T2 ON T2.sid = T1.id '
        ...     'WHERE T2.year > 2000 AND T1.Country = "France" GROUP BY T1.Name ORDER BY n ASC',
        ...     read="sqlite")
        >>> normalize(tree).sql()
        "SELECT singer.name, COUNT(*) FROM singer JOIN song ON singer.id = song.sid WHERE singer.country = 'France' AND song.year > 2000 GROUP BY singer.name ORDER BY COUNT(*)"

    Args:
        tree: a parsed query (left untouched).
        schema: optional hashable schema (``parsing.schema_key``) to qualify bare columns in joins.
        copy: False to edit ``tree`` itself (a tree nobody else holds, e.g. freshly parsed).

    Returns:
        The canonical tree.
    """
    columns = dict(schema) if schema else None
    result = tree.copy() if copy else tree
    nodes = Nodes(result)
    for rule in RULES:
        result = rule(result, columns, nodes)
        nodes = _nodes(result, nodes)
    return result
