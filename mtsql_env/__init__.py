"""mtsql: multi-turn Text-to-SQL (CoSQL, SParC) as a Gymnasium environment.

Importing this package registers ``MTSQL-CoSQL-v0`` and ``MTSQL-SParC-v0``; it imports only light
dependencies (gymnasium, numpy, sqlglot, sqlite3), never torch.
"""

from __future__ import annotations

__version__ = "0.1.0"
