"""Crash safety of the trade-panel commit: a child process is killed at every named step.

For each step of :data:`econsec.data.panel.COMMIT_STEPS` a child process imports a new
2021+2022 BACI file over a store holding an old 2021+2022 panel, with
``ECONSEC_FAULT_AT=<step>`` so that it ``os._exit``\\ s exactly there (no cleanup, no
rollback: as a kill -9 would). Reopening the store must then show the old panel (killed
before the catalogue transaction committed) or the new one (killed after), both years
whole and never mixed, and no leftover folder or Parquet file the catalogue does not
refer to. The child is a worker process as econsec starts them
(:func:`econsec.distributed.processes.worker_context`: forked by a helper that imported
the importer once, never a fork of this process; the test's environment handed over).
Run over the versioned layout and over a store written before versioned folders (parts
directly in ``baci/year=YYYY``).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from econsec.data.importers.baci import import_baci
from econsec.data.panel import (
    COMMIT_STEPS,
    FAULT_ENV,
    list_panels,
    load_flows,
    panels_dir,
    staging,
)
from econsec.data.store import Store
from econsec.distributed.processes import adopt_environ, environ, worker_context

OLD = """t,i,j,k,v,q
2022,842,156,854231,1000.5,2.5
2022,842,490,854231,250,NA
2021,842,156,854231,800,2
2021,392,410,281111,5.5,
"""
# the new file: every value x 2 plus one more 2021 row (so no year shrinks)
NEW = """t,i,j,k,v,q
2022,842,156,854231,2001,2.5
2022,842,490,854231,500,NA
2021,842,156,854231,1600,2
2021,392,410,281111,11,
2021,410,392,854232,7,1
"""
# by hand, thousand USD x 1000, per year
OLD_TOTALS = {2021: 805_500.0, 2022: 1_250_500.0}
NEW_TOTALS = {2021: 1_618_000.0, 2022: 2_501_000.0}
COMMITTED_FROM = COMMIT_STEPS.index("after_commit")

def _child(db: Path, new: Path, env: dict[str, str]) -> None:
    """The killed import: exits with 86 at the step ``ECONSEC_FAULT_AT`` names."""
    adopt_environ(env)
    with Store(db) as store:
        import_baci(new, store, years=[2021, 2022])


def _run_child(db: Path, new: Path, step: str) -> int | None:
    ctx = worker_context(("econsec.data.importers.baci", "econsec.data.store"))
    proc = ctx.Process(target=_child, args=(db, new, {**environ(), FAULT_ENV: step}))
    proc.start()
    proc.join(timeout=120)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return proc.exitcode


def _to_legacy_layout(db: Path) -> None:
    """Rewrite the store as a pre-versioning one: parts in baci/year=YYYY directly."""
    root = panels_dir(db)
    con = duckdb.connect(str(db))
    try:
        for year, rel in con.execute("SELECT year, path FROM _panels").fetchall():
            version = root / rel
            for part in version.iterdir():
                os.replace(part, version.parent / part.name)
            version.rmdir()
            con.execute("UPDATE _panels SET path = ? WHERE year = ?",
                        [f"baci/year={year}", year])
    finally:
        con.close()


def _totals(db: Path) -> dict[int, float]:
    flows = load_flows("baci", db=db)
    return {int(y): float(v) for y, v in flows.groupby("year")["value"].sum().items()}


def _stray_files(db: Path) -> list[str]:
    """Files under the panels folder that no catalogue row refers to."""
    root = panels_dir(db)
    referenced = [root / p for p in list_panels(db)["path"]]
    stray = []
    for f in root.rglob("*"):
        if f.is_dir():
            continue
        # a part belongs to the catalogued folder it sits in directly
        if f.parent not in referenced:
            stray.append(f.relative_to(root).as_posix())
    dirs = [d.relative_to(root).as_posix() for d in root.rglob("*")
            if d.is_dir() and not any(d.iterdir())]
    return sorted(stray + [f"{d}/ (empty)" for d in dirs])


@pytest.mark.parametrize("layout", ["versioned", "legacy"])
@pytest.mark.parametrize("step", COMMIT_STEPS)
def test_kill_at_every_commit_step_leaves_old_or_new_whole(
    step: str, layout: str, tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    old = tmp_path / "BACI_HS22_Y2022_V202501.csv"
    old.write_text(OLD, encoding="utf-8")
    new = tmp_path / "BACI_HS22_Y2022_V202601.csv"
    new.write_text(NEW, encoding="utf-8")
    with Store(db) as store:
        import_baci(old, store, years=[2021, 2022])
    if layout == "legacy":
        _to_legacy_layout(db)
    assert _totals(db) == pytest.approx(OLD_TOTALS)

    assert _run_child(db, new, step) == 86  # killed exactly at the step (its traceback,
    # if it failed otherwise, is on this test's captured stderr)

    with Store(db) as store:  # opening for writing finishes or rolls back the commit
        recovered = store.recovered
    expected = NEW_TOTALS if COMMIT_STEPS.index(step) >= COMMITTED_FROM else OLD_TOTALS
    assert _totals(db) == pytest.approx(expected)
    cat = list_panels(db).set_index("year")
    assert cat.loc[2021, "rows"] == (3 if expected is NEW_TOTALS else 2)
    assert _stray_files(db) == []
    if step not in ("before_move", "done"):
        assert recovered, "the kill left garbage that recovery should have removed"
    # and the store takes the next import normally
    with Store(db) as store:
        import_baci(new, store, years=[2021, 2022])
    assert _totals(db) == pytest.approx(NEW_TOTALS) and _stray_files(db) == []


def test_a_running_commits_folders_are_left_alone(tmp_path: Path) -> None:
    """Recovery by a second store object in the same process (a server thread) leaves a
    running import's staging folder alone; a dead process's staging folder goes."""
    db = tmp_path / "store.duckdb"
    with Store(db):
        pass
    with Store(db) as store, staging(store) as stage:
        (stage / "year=2022").mkdir()
        dead = panels_dir(db) / ".staging-999999-abc"
        dead.mkdir()
        with Store(db) as other:
            assert other.recovered == [dead.name]
        assert stage.is_dir() and not dead.exists()
