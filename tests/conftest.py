"""Shared fixtures: the tiny world, a copy of it to break, and the shared real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny_world"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def tiny_world_path() -> Path:
    return TINY


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny world (tests break it on purpose)."""
    dest = tmp_path / "world"
    shutil.copytree(TINY, dest)
    return dest


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("needs the real datasets in ../shared/data: not present")
    return SHARED_DATA
