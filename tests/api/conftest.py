"""An in-process app over the built-in world, shared by the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from econsec.api import create_app
from econsec.data.world import World, load_world


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


#: the TestClient's address: a local name the server's trusted-host check accepts
BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of its own for the runs of the module's app (never the user's store)."""
    return tmp_path_factory.mktemp("runs") / "runs.duckdb"


@pytest.fixture(scope="module")
def client(world: World, run_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(world=world, db=run_db), base_url=BASE) as c:
        yield c
