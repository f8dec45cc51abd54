"""Fixtures for integration tests that read the real public datasets in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` next to the repository; skip the test when it is absent."""
    path = (REPO_ROOT.parent / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"needs the real datasets in ../shared/data: not found at {path}")
    return path
