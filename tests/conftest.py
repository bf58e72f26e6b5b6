"""Shared fixtures: where the real data is, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path | None:
    """The folder holding the real CoSQL release (``cosql_dataset/``), or None."""
    # Absolute, so that tests can symlink to it from temporary folders.
    candidate = Path(os.environ.get("MTSQL_DATA_DIR") or REPO.parent / "shared" / "data").resolve()
    return candidate if (candidate / "cosql_dataset" / "tables.json").is_file() else None


@pytest.fixture(scope="session")
def cosql_dir() -> Path:
    path = real_data_dir()
    if path is None:
        pytest.skip("real CoSQL data not found: set MTSQL_DATA_DIR to the folder holding cosql_dataset/")
    return path / "cosql_dataset"
