"""Shared fixtures: the tiny world, a copy of it to break, and the shared real data."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny_world"
SHARED_DATA = ROOT.parent / "shared" / "data"


# ----- the suite on several processes (pytest-xdist: `-n auto --dist worksteal`) -----------
# The brief, the shipped scenarios' runs and the real-data stores below are computed once
# per test process, and each xdist worker is a process. worksteal hands each worker one
# contiguous part of the collection (one of them the first part) and lets an idle one
# take the last tests of a busy one's queue, so the tests that read one of these results
# come first, one group after another (in file order otherwise): the worker given them computes
# each once, early, and the other rarely needs it. (--dist loadgroup would keep such tests
# together but groups nothing under pytest 9.2, pytest-xdist issue #1386; it and
# loadscope/loadfile also run only one of the schemathesis tests in test_fuzz.py, which
# share one node id.) A test that reads one of these results without requesting the
# fixture (a helper called directly, request.getfixturevalue) names the fixture:
# `@pytest.mark.shares(name)`.

#: fixture -> the group of the tests that read what it computes once per process, in the
#: order the groups run
SHARED_GROUPS = {
    "brief_doc": "brief", "shared_brief": "brief", "brief_runs_once": "brief",
    "shared_brief_runs": "brief", "terminal_brief": "brief",
    "shared_runs": "shipped-runs",  # and simhelpers.shipped_run, which it shares
    "icio_db": "icio-store", "wiod_db": "wiod-store",
}


def pytest_configure(config: pytest.Config) -> None:
    """Commands run by the tests use one process unless a test says otherwise (`--workers`'s
    default, auto, reads ECONSEC_WORKERS): the test processes already fill the cores, and
    the session's shared runs (below) live in the test's process."""
    os.environ.setdefault("ECONSEC_WORKERS", "1")


@pytest.hookimpl(optionalhook=True)  # an xdist hook: no error without xdist
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker per CPU this process may run on (xdist asks psutil, when it is
    installed, for the physical cores: 1 on a 2-vCPU machine with hyperthreads, the host's
    in a container); PYTEST_XDIST_AUTO_NUM_WORKERS, when set, decides (xdist reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or not hasattr(os, "sched_getaffinity"):
        return None  # xdist's own count
    return max(1, len(os.sched_getaffinity(0)))


def _shared_rank(item: pytest.Item, rank: dict[str, int]) -> int:
    """The rank of the first group of results *item* reads (len(rank): none)."""
    named = [m.args[0] for m in item.iter_markers("shares")]
    if unknown := set(named) - SHARED_GROUPS.keys():
        raise pytest.UsageError(f"{item.nodeid}: shares({', '.join(sorted(unknown))}): "
                                f"not one of {sorted(SHARED_GROUPS)}")
    return min((rank[SHARED_GROUPS[f]] for f in [*getattr(item, "fixturenames", ()), *named]
                if f in SHARED_GROUPS), default=len(rank))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests reading a shared result first (by group), then the tests marked slow (the
    browser tests, a run through the dashboard's worker process, a brief in a fresh
    interpreter: tens of seconds each), then the rest in file order: a slow test started
    last keeps one worker busy while the other, its queue empty, has nothing to steal."""
    rank = {group: i for i, group in enumerate(dict.fromkeys(SHARED_GROUPS.values()))}

    def key(i: int) -> tuple[int, bool, int]:
        shared = _shared_rank(items[i], rank)
        return shared, shared == len(rank) and items[i].get_closest_marker("slow") is None, i

    items[:] = [items[i] for i in sorted(range(len(items)), key=key)]


@pytest.fixture
def tiny_world_path() -> Path:
    return TINY


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny world (tests break it on purpose)."""
    dest = tmp_path / "world"
    shutil.copytree(TINY, dest)
    return dest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("needs the real datasets in ../shared/data: not present")
    return SHARED_DATA


def _real_store(folder: Path, marker: str, what: str, importer: Any,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the dataset in *folder* (imported by *importer*), or a skip naming
    the folder when its file *marker* is absent."""
    from econsec.data.store import Store

    if not (folder / marker).is_file():
        pytest.skip(f"needs {what} in ../shared/data: not at {folder}")
    db = tmp_path_factory.mktemp(folder.name) / "s.duckdb"
    with Store(db) as store:
        importer(folder, store)
    return db


@pytest.fixture(scope="session")
def icio_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the real OECD ICIO 2022 table, imported once per session (seconds
    each time). Shared: tests only read it (a test that writes copies it first)."""
    from econsec.data.importers.icio import INTERMEDIATE, import_icio

    return _real_store(shared_data / "oecd_icio2022_sanction_simulator", INTERMEDIATE,
                       "the OECD ICIO 2022 table", import_icio, tmp_path_factory)


@pytest.fixture(scope="session")
def wiod_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the real WIOD 2013 panel (every year), imported once per session.
    Shared: tests only read it (a test that writes imports into a store of its own)."""
    from econsec.data.importers.wiod import INTERMEDIATE, import_wiod

    return _real_store(shared_data / "wiod2013", INTERMEDIATE, "WIOD 2013", import_wiod,
                       tmp_path_factory)


# ----- shipped scenarios' runs, once per test run ------------------------------------------
# The replays and the forward scenario are run by the brief (HTML and terminal), by
# `econsec replays`, by `replay_table` and by the replay tests. `shared_runs` makes
# `policy.runner.run_scenario` compute a plain run of an unchanged shipped scenario on the
# built-in world once per session (`simhelpers.shared_run`: same arguments, same seed, same
# bytes); tests only read the outputs. Runs with progress, cancel, a backend, a store or a
# changed scenario always run.


@contextlib.contextmanager
def _runs_shared() -> Iterator[None]:
    from econsec.policy import runner
    from simhelpers import shared_run

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "run_scenario", shared_run)
        yield


@pytest.fixture
def shared_runs() -> Iterator[None]:
    with _runs_shared():
        yield


# ----- the brief, built once per test run (runner) ----------------------------------------
# Building the brief runs every shipped replay and a forward scenario (tens of seconds), so
# one session builds it once: `brief_doc` is that document (built-in world, TRILATERAL
# against CHN, 10 runs, seed 0: the runs and seed of `econsec brief`, so the terminal brief
# reads the same shared runs); `shared_brief` makes every build_brief call for that world
# and pair (the API's /api/brief.html, `econsec brief --out`) return it; `terminal_brief`
# is the output of `econsec brief` (its replay table runs the five replays), run once.

BRIEF_RUNS, BRIEF_SEED = 10, 0


@pytest.fixture(scope="session")
def brief_doc() -> Any:
    from econsec.data.world import load_world
    from econsec.reports.html import build_brief

    with _runs_shared():
        return build_brief(load_world(), "TRILATERAL", "CHN", runs=BRIEF_RUNS,
                           seed=BRIEF_SEED)


@pytest.fixture
def shared_brief(brief_doc: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from econsec.data.world import load_world
    from econsec.reports import html

    real, world = html.build_brief, load_world()

    def build(w: Any, bloc: str = "TRILATERAL", against: str = "CHN", **kw: Any) -> Any:
        if w is world and (bloc.upper(), against.upper()) == ("TRILATERAL", "CHN"):
            return brief_doc
        return real(w, bloc, against, **kw)

    monkeypatch.setattr(html, "build_brief", build)
    html.cached_brief_html.cache_clear()
    yield brief_doc
    html.cached_brief_html.cache_clear()


# The terminal brief's replays and forward scenario (`reports.brief._runs`: every replay
# scored and the default forward scenario run, 10 runs, seed 0, tens of seconds) are
# computed once per session and world: `shared_brief_runs` makes every `econsec brief`
# printed to the terminal in a test reuse them (their frames are only read when printed).


@pytest.fixture(scope="session")
def brief_runs_once() -> Callable[..., Any]:
    """`reports.brief._runs`, computed once per (world object, runs, seed)."""
    from econsec.reports import brief

    real = brief._runs
    done: dict[tuple[int, int, int], tuple[Any, Any]] = {}

    def runs(world: Any, runs: int, seed: int, workers: int | None = 1) -> Any:
        key = (id(world), runs, seed)  # the same answer for any workers (tested)
        if key not in done:  # the world is kept beside its answer: its id stays its own
            with _runs_shared():  # in this process, where the shared runs are
                done[key] = (world, real(world, runs, seed, 1))
        return done[key][1]

    return runs


@pytest.fixture
def shared_brief_runs(brief_runs_once: Callable[..., Any],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    from econsec.reports import brief

    monkeypatch.setattr(brief, "_runs", brief_runs_once)


@pytest.fixture(scope="session")
def terminal_brief(brief_runs_once: Callable[..., Any]) -> Any:
    from typer.testing import CliRunner

    from econsec.cli.app import app
    from econsec.reports import brief

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(brief, "_runs", brief_runs_once)
        return CliRunner().invoke(app, ["brief"], env={"COLUMNS": "200"})
