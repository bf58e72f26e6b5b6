"""`UnicodeText`: a Gymnasium `Text` space that survives `AsyncVectorEnv` shared memory.

Gymnasium's shared-memory codec for `Text` stores character indices and decodes them back through the
charset; with a wide charset the round trip comes back corrupted (one repeated character). Users must
not need to know that, so our observation space registers its own codec: each slot holds the string's
length followed by its code points.
"""

from __future__ import annotations

import multiprocessing as mp
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory

__all__ = ["UnicodeText"]


class UnicodeText(spaces.Text):
    """A `Text` space whose values cross process boundaries intact, shared memory or not."""


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


@read_from_shared_memory.register(UnicodeText)
def _read(space: UnicodeText, shared_memory: Any, n: int = 1) -> tuple[str, ...]:
    size = space.max_length + 1
    data = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape((n, size))
    return tuple(row[1 : 1 + row[0]].tobytes().decode("utf-32-le") for row in data)
