"""Official CoSQL/SParC evaluation files: gold (``SQL<TAB>db_id``) and prediction (``SQL``) lines, one turn per
line, a blank line after each interaction (evaluation-spec.md §1.1–1.2).

Reading follows the official rules exactly: each line is stripped; a blank line (empty or whitespace only)
closes the current interaction even when it is empty, so two blank lines in a row make an empty interaction;
a last interaction without a closing blank line is kept; a file without any blank line is one interaction
(Spider format). Writing produces files those rules read back unchanged: SQL is put on one line, and an
empty prediction (which would otherwise shift every later interaction) becomes a placeholder that neither
parses nor executes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Written instead of an empty prediction: it fails both EM parsing and execution, so it scores 0.
EMPTY_PREDICTION = "EMPTY_PREDICTION"

GoldInteraction = list[tuple[str, str]]


def _read_blocks(path: str | os.PathLike[str]) -> list[list[tuple[int, str]]]:
    """Split a file into interactions of (line number, stripped line) by the official blank-line rule.

    A file that is not UTF-8 text (binary, UTF-16) or holds a NUL byte is a :class:`DataFormatError`
    naming the file and line, not a bare ``UnicodeDecodeError``.
    """
    from mtsql_env.datasets import DataFormatError

    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    saw_separator = False
    number = 0
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if "\0" in line:
                    raise DataFormatError(
                        f"{path}:{number}: holds a NUL byte; expected SQL text, one query a line"
                    )
                stripped = line.strip()
                if not stripped:
                    blocks.append(current)
                    current = []
                    saw_separator = True
                else:
                    current.append((number, stripped))
    except UnicodeDecodeError as err:
        encoding = " (it looks like UTF-16)" if err.object[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise DataFormatError(
            f"{path}: not UTF-8 text{encoding} (near line {number + 1}: {err.reason})"
        ) from None
    except IsADirectoryError:
        raise DataFormatError(f"{path}: is a folder, not a file") from None
    if current or not saw_separator:
        blocks.append(current)
    return blocks


def parse_gold_line(line: str) -> tuple[str, str]:
    """Split one stripped, non-blank gold line into ``(sql, db_id)``; any field count but two is an error.

    Example:
        >>> parse_gold_line("SELECT count(*) FROM singer\\tconcert_singer")
        ('SELECT count(*) FROM singer', 'concert_singer')

    Args:
        line: the gold line.

    Returns:
        The SQL and the database id.
    """
    fields = line.strip().split("\t")
    if len(fields) != 2:
        raise ValueError(f"a gold line needs exactly 2 TAB-separated fields (SQL, db_id), got {len(fields)}")
    return fields[0], fields[1]


def read_gold(path: str | os.PathLike[str]) -> list[GoldInteraction]:
    """Read a gold file into interactions of ``(gold_sql, db_id)`` turns.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        ...     _ = f.write("SELECT 1 FROM a\\tdb\\n\\n\\nSELECT 2 FROM b\\tdb\\n")
        >>> read_gold(f.name)
        [[('SELECT 1 FROM a', 'db')], [], [('SELECT 2 FROM b', 'db')]]

    Args:
        path: the gold file.

    Returns:
        One list per interaction, possibly empty.

    Raises:
        ValueError: a line without exactly two fields (the official script aborts there too).
    """
    interactions: list[GoldInteraction] = []
    for block in _read_blocks(path):
        turns: GoldInteraction = []
        for number, line in block:
            try:
                turns.append(parse_gold_line(line))
            except ValueError as err:
                from mtsql_env.datasets import DataFormatError

                raise DataFormatError(f"{path}:{number}: {err}") from None
        interactions.append(turns)
    return interactions


def read_pred(path: str | os.PathLike[str]) -> list[list[str]]:
    """Read a prediction file into interactions of SQL strings (only the first TAB field of a line is used).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        ...     _ = f.write("  SELECT 1 FROM a\\tdb\\nSELECT 2 FROM b\\n\\n")
        >>> read_pred(f.name)
        [['SELECT 1 FROM a', 'SELECT 2 FROM b']]

    Args:
        path: the prediction file.

    Returns:
        One list per interaction.
    """
    return [[line.split("\t")[0] for _, line in block] for block in _read_blocks(path)]


def _one_line(sql: str) -> str:
    # Only line breaks and TABs are structural; other spacing (inside literals too) is kept.
    return re.sub(r"[\r\n\t]", " ", sql).strip()


def _write_blocks(path: str | os.PathLike[str], blocks: Iterable[Sequence[str]]) -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf-8") as handle:
        for block in blocks:
            for line in block:
                handle.write(line + "\n")
            handle.write("\n")
    return path


def write_gold(path: str | os.PathLike[str], interactions: Iterable[Sequence[tuple[str, str]]]) -> Path:
    """Write interactions of ``(gold_sql, db_id)`` in the official gold format.

    Line breaks and TABs inside the SQL become spaces, so each turn stays one line.

    Example:
        >>> import tempfile
        >>> path = tempfile.mkstemp(suffix=".txt")[1]
        >>> gold = [[("SELECT a\\nFROM t", "db")], [], [("SELECT b FROM t", "db")]]
        >>> read_gold(write_gold(path, gold))
        [[('SELECT a FROM t', 'db')], [], [('SELECT b FROM t', 'db')]]

    Args:
        path: where to write.
        interactions: the turns of each interaction.

    Returns:
        The written path.
    """
    blocks = []
    for turns in interactions:
        lines = []
        for sql, db_id in turns:
            sql = _one_line(sql)
            if not sql or not db_id.strip() or "\t" in db_id:
                raise ValueError(
                    f"a gold turn needs non-empty SQL and a db_id without TAB: {sql!r}, {db_id!r}"
                )
            lines.append(f"{sql}\t{db_id.strip()}")
        blocks.append(lines)
    return _write_blocks(path, blocks)


def write_pred(
    path: str | os.PathLike[str],
    interactions: Iterable[Sequence[str]],
    *,
    placeholder: str = EMPTY_PREDICTION,
) -> Path:
    """Write predicted SQL per interaction in the official format; empty predictions become ``placeholder``.

    Example:
        >>> import tempfile
        >>> path = tempfile.mkstemp(suffix=".txt")[1]
        >>> read_pred(write_pred(path, [["SELECT a\\tFROM t", ""], ["SELECT 1"]]))
        [['SELECT a FROM t', 'EMPTY_PREDICTION'], ['SELECT 1']]

    Args:
        path: where to write.
        interactions: the predicted SQL strings of each interaction.
        placeholder: the text written for an empty prediction (must be non-blank).

    Returns:
        The written path.
    """
    if not _one_line(placeholder):
        raise ValueError("the placeholder for empty predictions must not be blank")
    return _write_blocks(path, ([_one_line(sql) or placeholder for sql in turns] for turns in interactions))
