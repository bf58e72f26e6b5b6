"""The one base class of the errors mtsql raises for expected problems.

An expected problem is one the user can fix: a missing or malformed data file, a release that is not where
they said, an argument value that cannot be used, an optional extra that is not installed. The ``mtsql``
command prints such an error as one line and exits 2; anything else is a bug and keeps its traceback under
``--debug``. Library code raises a subclass (``DataError`` and friends in :mod:`mtsql_env.datasets`,
:class:`UsageError` here) so callers can catch them all with ``except MtsqlError``.
"""

from __future__ import annotations

__all__ = ["MtsqlError", "UsageError"]


class MtsqlError(Exception):
    """An expected, user-fixable problem; its message says what is wrong and where."""


class UsageError(MtsqlError, ValueError):
    """An argument or setting that cannot be used (the message names it)."""
