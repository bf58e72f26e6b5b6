"""`UnicodeText`: a Gymnasium `Text` space that survives `AsyncVectorEnv` shared memory.

`AsyncVectorEnv(shared_memory=True)` (the default) reads its observation buffer once, at construction,
and relies on getting back *views* that later steps fill in. That holds for arrays but not for `Text`,
whose reader returns immutable strings, so every later observation comes back as the initial one (one
repeated character). Users must not need to know that, so our space registers its own codec: each slot
holds the string's length followed by its code points, and the reader returns a live view that decodes
on access (and on the ``deepcopy`` the vector env makes before returning observations).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory

__all__ = ["UnicodeText"]


class UnicodeText(spaces.Text):
    """A `Text` space whose values cross process boundaries intact, shared memory or not."""

    def __init__(
        self, max_length: int, *, min_length: int = 1, charset: str = spaces.text.alphanumeric, seed=None
    ):
        # `Text` indexes its charset on every construction (0.15 s for the env's 65k characters, holding the
        # GIL); a server or env pool builds many envs, so the read-only tables are built once per charset.
        tables = _CHARSET_TABLES.get(charset) if isinstance(charset, str) else None
        if tables is None:
            super().__init__(max_length, min_length=min_length, charset=charset, seed=seed)
            if isinstance(charset, str):
                _CHARSET_TABLES[charset] = (self._char_set, self._char_list, self._char_index, self._char_str)
            return
        super().__init__(max_length, min_length=min_length, charset="", seed=seed)
        self._char_set, self._char_list, self._char_index, self._char_str = tables

    def __repr__(self) -> str:
        """One short line: `Text`'s own repr spells out the whole charset (65,536 characters here)."""
        return f"UnicodeText({self.min_length}, {self.max_length}, charset=<{len(self.character_set)} characters>)"


_CHARSET_TABLES: dict[str, tuple[frozenset[str], tuple[str, ...], dict[str, np.int32], str]] = {}


@create_shared_memory.register(UnicodeText)
def _create(space: UnicodeText, n: int = 1, ctx: ModuleType = mp) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


@write_to_shared_memory.register(UnicodeText)
def _write(space: UnicodeText, index: int, value: str, shared_memory: Any) -> None:
    size = space.max_length + 1
    slot = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[index * size : (index + 1) * size]
    codes = np.frombuffer(value.encode("utf-32-le"), dtype=np.int32)
    slot[0] = len(codes)
    slot[1 : 1 + len(codes)] = codes


class _SharedTextView(Sequence):
    """The strings in a shared buffer, decoded each time they are read."""

    def __init__(self, data: np.ndarray) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return tuple(self)[index]
        row = self._data[index]
        return row[1 : 1 + row[0]].tobytes().decode("utf-32-le")

    def __deepcopy__(self, memo: dict) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    def __repr__(self) -> str:
        return repr(tuple(self))


@read_from_shared_memory.register(UnicodeText)
def _read(space: UnicodeText, shared_memory: Any, n: int = 1) -> Sequence[str]:
    size = space.max_length + 1
    return _SharedTextView(np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape((n, size)))
