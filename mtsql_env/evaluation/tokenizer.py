"""The official evaluator's tokeniser (evaluation-spec.md §2.1–§2.2), without nltk.

Exact-set-match parity depends on *which* queries fail to tokenise or parse, so the token stream must be
the one the official parser sees: quoted spans become opaque placeholders (an odd quote count fails),
NLTK's Treebank word rules split the rest, tokens are lower-cased, placeholders come back with their
original case (always wrapped in ``"``), and ``! > <`` followed by a separate ``=`` merge into one token.

Only the Treebank rules that can fire on quote-free text are re-implemented here (quotes never survive
step 2): backtick/curly-quote runs, the final period, comma/colon unless a digit follows, ellipsis, the
always-split characters, ``--``, and the ``cannot``-style contractions. The rules run in NLTK's order,
which matters for the final-period rule (``x.)`` splits the period, ``x. )`` would not).
"""

from __future__ import annotations

import re

__all__ = ["SQLParseError", "rewrite_value_placeholder", "tokenize"]


class SQLParseError(ValueError):
    """The official parser would reject this query (a tokeniser or grammar failure)."""


# Treebank rules, in the order NLTK's word tokenizer applies them (quote rules that need a quote left out).
_QUOTE_RUNS = re.compile(r"([«“‘„»”’]|`+)")
_FINAL_PERIOD = re.compile(r"([^\.])(\.)([\]\)}>\"\']*)\s*$")
_COMMA_COLON = re.compile(r"([:,])([^\d])")
_COMMA_COLON_END = re.compile(r"([:,])$")
_ELLIPSIS = re.compile(r"\.{2,}")
# `;@#$%&`, `?!`, `*` and brackets are each surrounded by spaces, independently of context, so one pass.
_ALWAYS_SPLIT = re.compile(r"[;@#$%&?!*\[\](){}<>]")
_DOUBLE_DASH = re.compile(r"--")
_CONTRACTIONS = re.compile(
    r"(?i)\b(can)(not)\b|\b(gim)(me)\b|\b(gon)(na)\b|\b(got)(ta)\b|\b(lem)(me)\b|\b(wan)(na)(?=\s)"
)
_CONTRACTION_HINT = re.compile(r"(?i)nnot|mme|nna|tta")
_VALUE_WORD = re.compile(r"\bvalue\b")
_EQ_PREFIXES = frozenset(("!", ">", "<"))


def _split_contraction(match: re.Match[str]) -> str:
    first, second = (g for g in match.groups() if g is not None)
    return f" {first} {second} "


def _treebank_words(text: str) -> list[str]:
    """Split quote-free text the way NLTK's Treebank word tokenizer does."""
    if "`" in text or not text.isascii():
        text = _QUOTE_RUNS.sub(r" \1 ", text)
    if "." in text:
        text = _FINAL_PERIOD.sub(r"\1 \2 \3 ", text)
    if "," in text or ":" in text:
        text = _COMMA_COLON.sub(r" \1 \2", text)
        text = _COMMA_COLON_END.sub(r" \1 ", text)
    if ".." in text:
        text = _ELLIPSIS.sub(r" \g<0> ", text)
    text = _ALWAYS_SPLIT.sub(r" \g<0> ", text)
    if "--" in text:
        text = _DOUBLE_DASH.sub(" -- ", text)
    if _CONTRACTION_HINT.search(text):
        text = _CONTRACTIONS.sub(_split_contraction, f" {text} ")
    return text.split()


def tokenize(sql: str) -> list[str]:
    """Tokenise a query into the official evaluator's token stream.

    Example:
        >>> tokenize("SELECT T1.Name FROM singer AS T1 WHERE Country = 'France' AND age > = 20")
        ... # doctest: +NORMALIZE_WHITESPACE
        ['select', 't1.name', 'from', 'singer', 'as', 't1', 'where', 'country', '=', '"France"',
         'and', 'age', '>=', '20']
        >>> tokenize("SELECT count(*) FROM t WHERE a>=20")
        ['select', 'count', '(', '*', ')', 'from', 't', 'where', 'a', '>', '=20']

    Args:
        sql: the query text.

    Returns:
        The tokens: lower-cased, except string literals, which keep their case inside ``"``.

    Raises:
        SQLParseError: the query has an odd number of quote characters (``'`` and ``"`` together).
    """
    text = sql.replace("'", '"')
    literals: dict[str, str] = {}
    if '"' in text:
        positions = [i for i, ch in enumerate(text) if ch == '"']
        if len(positions) % 2:
            raise SQLParseError(f"odd number of quotes in {sql!r}")
        pieces: list[str] = []
        last = 0
        for start, end in zip(positions[::2], positions[1::2]):
            key = f"__val_{start}_{end}__"
            literals[key] = text[start : end + 1]
            pieces.append(text[last:start])
            pieces.append(key)
            last = end + 1
        pieces.append(text[last:])
        text = "".join(pieces)
    tokens = [word.lower() for word in _treebank_words(text)]
    if literals:
        tokens = [literals.get(tok, tok) for tok in tokens]
    if "=" in tokens:
        # Right to left, so earlier positions stay valid. (A leading `=` never parses, so skip position 0.)
        for i in range(len(tokens) - 1, 0, -1):
            if tokens[i] == "=" and tokens[i - 1] in _EQ_PREFIXES:
                tokens[i - 1 : i + 1] = [tokens[i - 1] + "="]
    return tokens


def rewrite_value_placeholder(pred_sql: str, *, strict: bool = False) -> str:
    """Replace the ``value`` placeholder by ``1`` in a prediction (spec §2.1), before EM and EX.

    By default every lower-case substring ``value`` is replaced, as upstream does, identifiers included;
    ``strict=True`` replaces only the whole word (STRICT_FIXES ``value_placeholder_word_only``).

    Example:
        >>> rewrite_value_placeholder("SELECT total_value FROM t WHERE a > value")
        'SELECT total_1 FROM t WHERE a > 1'
        >>> rewrite_value_placeholder("SELECT total_value FROM t WHERE a > value", strict=True)
        'SELECT total_value FROM t WHERE a > 1'

    Args:
        pred_sql: the predicted query.
        strict: replace only the standalone word.

    Returns:
        The rewritten query.
    """
    if strict:
        return _VALUE_WORD.sub("1", pred_sql)
    return pred_sql.replace("value", "1")
