"""Shared fixtures: where the real data is, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


#: Where the real data is looked for: $MTSQL_DATA_DIR, else shared/data beside the checkout (as CI has it).
#: Absolute, so that tests can symlink to it from temporary folders. Test modules import these two.
REAL_DATA_DIR = Path(os.environ.get("MTSQL_DATA_DIR") or REPO.parent / "shared" / "data").resolve()
#: The CoSQL release: ``cosql_dataset/`` inside the data folder, or the folder itself.
REAL_RELEASE = (
    REAL_DATA_DIR / "cosql_dataset" if (REAL_DATA_DIR / "cosql_dataset").is_dir() else REAL_DATA_DIR
)


def real_data_dir() -> Path | None:
    """The folder holding the real CoSQL release (``cosql_dataset/``), or None."""
    return REAL_DATA_DIR if (REAL_DATA_DIR / "cosql_dataset" / "tables.json").is_file() else None


@pytest.fixture(scope="session")
def cosql_dir() -> Path:
    path = real_data_dir()
    if path is None:
        pytest.skip("real CoSQL data not found: set MTSQL_DATA_DIR to the folder holding cosql_dataset/")
    return path / "cosql_dataset"
