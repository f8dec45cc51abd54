"""Where the Parquet panels of a store live on disk, and the recovery of what an
interrupted panel commit left behind.

Layout: ``<store stem>_panels/<dataset>/year=<Y>/<version>/part-*.parquet``, catalogued in
the store's ``_panels`` table (:data:`PANEL_CATALOGUE`); a commit stages under
``.staging-*`` and moves replaced folders to ``.trash-*`` (:mod:`econsec.data.panel`).
:func:`recover_panels` runs when a store is opened for writing
(:class:`econsec.data.store.Store`), so it sits below both the store and the panels.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PANEL_CATALOGUE = "_panels"


def panels_dir(db_path: Path) -> Path:
    """Folder holding the Parquet panels of the store at *db_path*: ``<stem>_panels``."""
    db_path = Path(db_path)
    return db_path.parent / f"{db_path.stem}_panels"


def _catalogue_paths(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[int, str]:
    tables = {str(r[0]) for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}
    if PANEL_CATALOGUE not in tables:
        return {}
    rows = con.execute(
        f"SELECT year, path FROM {PANEL_CATALOGUE} WHERE dataset = ?", [dataset]
    ).fetchall()
    return {int(y): str(p) for y, p in rows}


#: Staging and new version folders of commits running in THIS process (another store
#: object on the same file, e.g. a server thread, must not take them for leftovers; other
#: processes cannot write while one holds the DuckDB lock).
_IN_FLIGHT: set[Path] = set()
_IN_FLIGHT_LOCK = threading.Lock()


def _hold(path: Path) -> None:
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(path.resolve())


def _release(path: Path) -> None:
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.discard(path.resolve())


def _in_flight(path: Path) -> bool:
    with _IN_FLIGHT_LOCK:
        return path.resolve() in _IN_FLIGHT


def recover_panels(db_path: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Finish or roll back what an interrupted :func:`commit_panel` left; return what went.

    Removes ``.staging-*`` and ``.trash-*`` folders, version folders the catalogue does
    not refer to (a new version never committed, or an old one already superseded),
    legacy parts of a year the catalogue now reads from a version folder, and year
    folders of no catalogued year.  Folders of a live process are left alone.  Call with
    the store open for writing (the DuckDB lock keeps other writers out).
    """
    root = panels_dir(db_path)
    if not root.is_dir():
        return []
    removed: list[str] = []

    def drop(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.relative_to(root).as_posix())

    for child in sorted(root.iterdir()):
        if child.name.startswith((".staging-", ".trash-")):
            if not _in_flight(child):
                drop(child)
            continue
        if not child.is_dir() or child.name.startswith("."):
            continue
        referenced = set(_catalogue_paths(con, child.name).values())
        for year_dir in sorted(child.glob("year=*")):
            rel = f"{child.name}/{year_dir.name}"
            if rel in referenced:  # legacy year: keep its parts, drop stray versions
                for sub in year_dir.iterdir():
                    if sub.is_dir() and not _in_flight(sub):
                        drop(sub)
                continue
            keeps = {r for r in referenced if r.startswith(rel + "/")}
            for sub in sorted(year_dir.iterdir()):
                if f"{rel}/{sub.name}" in keeps:
                    continue
                if _in_flight(sub):
                    continue
                drop(sub)
            if not any(year_dir.iterdir()):
                year_dir.rmdir()
        if not any(child.iterdir()):
            child.rmdir()
    return removed
