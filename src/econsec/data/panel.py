"""The trade-panel store: bilateral flows as Parquet partitioned by year, catalogued in DuckDB.

Why: a full BACI year is ~11M rows; analysts load one or a few years at a time, filtered
to a handful of economies or products.  Keeping every year as its own Parquet partition
next to the DuckDB store lets :func:`load_flows` read only the years and row groups it
needs (DuckDB ``read_parquet`` with hive partitioning and filter pushdown), and lets an
import add or replace one year without rewriting the others.

Layout (``<db>`` is the DuckDB file, e.g. ``econsec.duckdb``)::

    <db stem>_panels/<dataset>/year=YYYY/v<ns>-<pid>/part_0.parquet
        columns: exporter, importer, product, value, quantity, flow_source
        (``year`` comes from the folder name; ``v<ns>-<pid>`` is the import's version)

and one row per ``(dataset, year)`` in the store's ``_panels`` catalogue table:
``dataset, year, rows, value_total_usd, quantity_total_t, flow_sources, source_file,
sha256, hs_revision, licence, note, path, imported_at, econsec_version``.

Panel frame convention (what :func:`load_flows` returns; the ``TradePanel`` of the design):

==============  =========  ====================================================
column          dtype      meaning
==============  =========  ====================================================
``year``        int64      calendar year
``exporter``    str        ISO 3166-1 alpha-3 (``TWN`` for BACI/Comtrade 490)
``importer``    str        ISO 3166-1 alpha-3 (``WLD`` = partner World, if kept)
``product``     str        HS6 code (``'010121'``) or another grouping (WIOD ``c14``)
``value``       float64    USD (BACI ``v`` x 1000; Comtrade ``primaryValue``)
``quantity``    float64    metric tonnes, NaN when not reported
``flow_source`` str        who reported it: ``baci``, ``comtrade:X`` (exporter-
                           reported), ``comtrade:M`` (importer-reported, mirror) ...
==============  =========  ====================================================

Transactions (crash-safe): an import writes its partitions into a staging folder first
(:func:`staging`), validates them, and :func:`commit_panel` then

1. moves each staged year folder to a NEW versioned folder
   ``<dataset>/year=YYYY/v<ns>-<pid>/`` that nothing refers to yet;
2. rewrites those years' catalogue rows, pointing at the new folders, in ONE DuckDB
   transaction (the commit point);
3. removes the superseded folders.

A kill at any moment therefore leaves the catalogue pointing either at the old folders
(still in place) or at the new ones (already in place): a reader sees the old or the new
panel, whole.  What a kill can leave is garbage only: a ``.staging-*``/``.trash-*``
folder, a new version the catalogue never adopted (rolled back) or an old one it no
longer refers to (finished).  :func:`~econsec.data.panel_files.recover_panels`, run
whenever a store is opened for writing, removes exactly that garbage.  The
fault-injection test kills a child process at each of :data:`COMMIT_STEPS`
(``ECONSEC_FAULT_AT=<step>`` makes the commit ``os._exit`` there) and checks this.
Stores written before versioned folders (parts directly in ``<dataset>/year=YYYY/``) are
read as they are and cleaned on their next import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.data.panel_files import (
    PANEL_CATALOGUE,
    _catalogue_paths,
    _hold,
    _release,
    panels_dir,
)
from econsec.domain.years import ranges_text
from econsec.errors import StoreError

if TYPE_CHECKING:
    import duckdb

    from econsec.data.store import Store

#: Columns (in order) of the frame :func:`load_flows` returns.
PANEL_COLUMNS: tuple[str, ...] = (
    "year",
    "exporter",
    "importer",
    "product",
    "value",
    "quantity",
    "flow_source",
)
#: Columns stored in each Parquet part (``year`` is the partition folder).
PART_COLUMNS: tuple[str, ...] = PANEL_COLUMNS[1:]


_CATALOGUE_DDL = f"""
CREATE TABLE IF NOT EXISTS {PANEL_CATALOGUE} (
    dataset VARCHAR NOT NULL,
    year BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    value_total_usd DOUBLE NOT NULL,
    quantity_total_t DOUBLE,
    flow_sources VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    hs_revision VARCHAR,
    licence VARCHAR NOT NULL,
    note VARCHAR,
    path VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    econsec_version VARCHAR NOT NULL
)
"""
_CATALOGUE_COLUMNS = [
    "dataset",
    "year",
    "rows",
    "value_total_usd",
    "quantity_total_t",
    "flow_sources",
    "source_file",
    "sha256",
    "hs_revision",
    "licence",
    "note",
    "path",
    "imported_at",
    "econsec_version",
]


@dataclass(frozen=True)
class PanelYear:
    """Catalogue figures of one imported year: rows, value (USD), quantity (t)."""

    year: int
    rows: int
    value_total_usd: float
    quantity_total_t: float | None
    flow_sources: str





def _year_dir_name(year: int) -> str:
    return f"year={int(year)}"


# -- writing ------------------------------------------------------------------------------


@contextlib.contextmanager
def staging(store: Store) -> Iterator[Path]:
    """A fresh staging folder inside the panels folder (same file system: atomic moves).

    It is removed on exit, whatever happened; :func:`commit_panel` moves the year folders
    out of it.
    """
    root = panels_dir(store.path)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f".staging-{os.getpid()}-{uuid.uuid4().hex}"
    path.mkdir()
    _hold(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        _release(path)


def copy_to_staging(con: duckdb.DuckDBPyConnection, select_sql: str, stage: Path,
                    params: Sequence[Any] | None = None,
                    years: Sequence[int] | None = None) -> None:
    """Write the rows of *select_sql* as ``stage/year=YYYY/part_0.parquet`` files.

    *select_sql* must produce ``year`` plus :data:`PART_COLUMNS`.  When the caller knows
    the *years* present, each year is written by its own plain ``COPY`` (about 1.5x faster
    than DuckDB's ``PARTITION_BY`` writer on one big year); otherwise ``PARTITION_BY
    (year)`` is used.  Parquet: zstd, 1M-row row groups.
    """
    cols = ", ".join(PART_COLUMNS)
    options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000"
    if years is None:
        con.execute(
            f"COPY (SELECT year, {cols} FROM ({select_sql})) TO '{_sql_path(stage)}' "
            f"({options}, PARTITION_BY (year), OVERWRITE_OR_IGNORE true, "
            "FILENAME_PATTERN 'part_{i}')",
            list(params or []),
        )
        return
    wanted = sorted({int(y) for y in years})
    for year in wanted:
        folder = stage / _year_dir_name(year)
        folder.mkdir(parents=True, exist_ok=True)
        where = "" if len(wanted) == 1 else f" WHERE year = {year}"
        con.execute(
            f"COPY (SELECT {cols} FROM ({select_sql}){where}) "
            f"TO '{_sql_path(folder / 'part_0.parquet')}' ({options})",
            list(params or []),
        )


def staged_years(stage: Path) -> list[int]:
    """Years present in a staging folder."""
    years = []
    for child in stage.iterdir():
        if child.is_dir() and child.name.startswith("year="):
            years.append(int(child.name.split("=", 1)[1]))
    return sorted(years)


def _parts_sql(paths: Sequence[Path]) -> str:
    files = ", ".join(f"'{_sql_path(p)}/*.parquet'" for p in paths)
    return (
        f"read_parquet([{files}], hive_partitioning = true, "
        "hive_types = {'year': BIGINT}, union_by_name = true)"
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def staged_stats(con: duckdb.DuckDBPyConnection, stage: Path) -> list[PanelYear]:
    """Per-year rows, value and quantity totals, and the flow sources of a staging folder."""
    years = staged_years(stage)
    if not years:
        return []
    rows = con.execute(
        "SELECT year, count(*), coalesce(sum(value), 0), sum(quantity), "
        "string_agg(DISTINCT flow_source, ',' ORDER BY flow_source) "
        f"FROM {_parts_sql([stage / _year_dir_name(y) for y in years])} "
        "GROUP BY year ORDER BY year"
    ).fetchall()
    return [
        PanelYear(int(y), int(n), float(v), None if q is None else float(q), str(s))
        for y, n, v, q, s in rows
    ]


#: The named steps of :func:`commit_panel`, in order, at which ``ECONSEC_FAULT_AT=<step>``
#: kills the process (``os._exit``): for the crash-safety test only.
COMMIT_STEPS: tuple[str, ...] = (
    "before_move",       # stage written and checked, nothing moved
    "after_first_move",  # one year moved to its new version folder
    "after_moves",       # every year moved, catalogue not yet touched
    "before_commit",     # catalogue rows rewritten inside the open transaction
    "after_commit",      # transaction committed, old folders still there
    "after_first_remove",  # one superseded folder removed
    "done",              # everything finished
)
FAULT_ENV = "ECONSEC_FAULT_AT"
_FAULT_EXIT = 86


def _fault(step: str) -> None:
    """``os._exit`` here when ``$ECONSEC_FAULT_AT`` names *step* (fault-injection tests)."""
    if os.environ.get(FAULT_ENV) == step:
        os._exit(_FAULT_EXIT)


def _version_name() -> str:
    """A new version folder name: ``v<unix ns>-<pid>`` (the pid says who wrote it)."""
    return f"v{time.time_ns()}-{os.getpid()}"





def commit_panel(
    store: Store,
    dataset: str,
    stage: Path,
    *,
    source_file: Path,
    sha256: str,
    hs_revision: str | Mapping[int, str] | None,
    licence: str,
    note: str = "",
    replace: bool = False,
) -> list[PanelYear]:
    """Move the staged years of *dataset* into place and catalogue them, crash-safely.

    Each year present in *stage* replaces that year of *dataset* (other years are not
    touched); see the module docstring for the three steps and why a kill at any point
    leaves the old or the new panel whole.  An import that would leave a stored year with
    fewer rows is refused (StoreError) unless *replace* is true.
    """
    from econsec.data.store import _check_name, econsec_version

    _check_name("dataset", dataset)
    stats = staged_stats(store.con, stage)
    if not stats:
        raise StoreError(f"nothing to import for panel {dataset!r}: no rows")
    for item in stats:
        if item.rows == 0:
            raise StoreError(f"panel {dataset!r} year {item.year}: no rows")
    con = store.con
    con.execute(_CATALOGUE_DDL)
    if not replace:
        _refuse_shrink(con, dataset, stats)
    old_paths = _catalogue_paths(con, dataset)
    root = panels_dir(store.path)
    version = _version_name()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    release = econsec_version()
    _fault("before_move")
    moved: list[Path] = []
    try:
        for item in stats:
            year_dir = root / dataset / _year_dir_name(item.year)
            year_dir.mkdir(parents=True, exist_ok=True)
            target = year_dir / version
            _hold(target)
            moved.append(target)
            os.replace(stage / _year_dir_name(item.year), target)
            if len(moved) == 1:
                _fault("after_first_move")
        _fault("after_moves")
        con.execute("BEGIN TRANSACTION")
        try:
            for item in stats:
                name = _year_dir_name(item.year)
                con.execute(
                    f"DELETE FROM {PANEL_CATALOGUE} WHERE dataset = ? AND year = ?",
                    [dataset, item.year],
                )
                con.execute(
                    f"INSERT INTO {PANEL_CATALOGUE} "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        dataset,
                        item.year,
                        item.rows,
                        item.value_total_usd,
                        item.quantity_total_t,
                        item.flow_sources,
                        str(Path(source_file).resolve()),
                        sha256,
                        hs_revision.get(item.year) if isinstance(hs_revision, Mapping)
                        else hs_revision,
                        licence,
                        note,
                        f"{dataset}/{name}/{version}",
                        now,
                        release,
                    ],
                )
            _fault("before_commit")
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("ROLLBACK")
            raise
    except BaseException:
        for target in moved:  # never adopted by the catalogue: roll back
            shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        for target in moved:
            _release(target)
    _fault("after_commit")
    removed = 0
    for item in stats:
        old = old_paths.get(item.year)
        if old is None:
            continue
        _remove_superseded(root, old)
        removed += 1
        if removed == 1:
            _fault("after_first_remove")
    _fault("done")
    return stats


def _refuse_shrink(con: duckdb.DuckDBPyConnection, dataset: str,
                   stats: Sequence[PanelYear]) -> None:
    """StoreError when a staged year has fewer rows than the stored one (use replace)."""
    stored = dict(con.execute(
        f"SELECT year, rows FROM {PANEL_CATALOGUE} WHERE dataset = ?", [dataset]
    ).fetchall())
    shrunk = [(s.year, int(stored[s.year]), s.rows) for s in stats
              if s.year in stored and s.rows < int(stored[s.year])]
    if shrunk:
        detail = "; ".join(f"{y}: {old:,} -> {new:,} rows" for y, old, new in shrunk)
        raise StoreError(
            f"import would shrink stored year(s) of panel {dataset!r} ({detail}); "
            "nothing was written: pass --replace (replace=True) to replace them anyway"
        )


def _remove_superseded(root: Path, old: str) -> None:
    """Remove a year folder the catalogue no longer refers to (versioned or legacy)."""
    path = root / old
    if path.name.startswith("year="):  # legacy layout: parts directly in the year folder
        for part in path.glob("*.parquet"):
            part.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)








def write_panel_frame(
    store: Store,
    dataset: str,
    frame: pd.DataFrame,
    *,
    source_file: Path,
    sha256: str,
    hs_revision: str | Mapping[int, str] | None,
    licence: str,
    note: str = "",
    replace: bool = False,
) -> list[PanelYear]:
    """Store an in-memory panel frame (:data:`PANEL_COLUMNS`) as *dataset*, transactionally.

    For small adapters; big files go through DuckDB straight to :func:`copy_to_staging`.
    A mapping *hs_revision* gives each year its own revision.
    """
    import duckdb

    missing = [c for c in PANEL_COLUMNS if c not in frame.columns]
    if missing:
        raise StoreError(f"panel frame lacks columns: {', '.join(missing)}")
    bad = frame[list(PANEL_COLUMNS[:5])].isna().any(axis=1)
    if bad.any():
        raise StoreError(f"panel frame has {int(bad.sum())} rows with missing keys or value")
    con = duckdb.connect()
    try:
        con.register("panel_frame", frame[list(PANEL_COLUMNS)])
        with staging(store) as stage:
            copy_to_staging(
                con,
                "SELECT CAST(year AS BIGINT) AS year, CAST(exporter AS VARCHAR) AS exporter, "
                "CAST(importer AS VARCHAR) AS importer, CAST(product AS VARCHAR) AS product, "
                "CAST(value AS DOUBLE) AS value, CAST(quantity AS DOUBLE) AS quantity, "
                "CAST(flow_source AS VARCHAR) AS flow_source FROM panel_frame",
                stage,
            )
            return commit_panel(store, dataset, stage, source_file=source_file, sha256=sha256,
                                hs_revision=hs_revision, licence=licence, note=note,
                                replace=replace)
    finally:
        con.close()


# -- reading ------------------------------------------------------------------------------


def _open_catalogue(db: Path | None) -> tuple[Path, pd.DataFrame]:
    """(db path, catalogue frame); an empty frame when nothing was imported."""
    import duckdb

    from econsec.data.store import Store

    path = Path(db) if db is not None else Store.default_path()
    if not path.exists():
        raise StoreError(f"no store at {path}: import a panel first (econsec data import baci)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # this process already holds the store open read-write: share that configuration
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    try:
        tables = {
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if PANEL_CATALOGUE not in tables:
            return path, pd.DataFrame(columns=_CATALOGUE_COLUMNS)
        frame = con.execute(
            f"SELECT {', '.join(_CATALOGUE_COLUMNS)} FROM {PANEL_CATALOGUE} "
            "ORDER BY dataset, year"
        ).df()
    finally:
        con.close()
    return path, frame


def list_panels(db: Path | None = None) -> pd.DataFrame:
    """The panel catalogue: one row per ``(dataset, year)`` with rows, value total (USD),
    quantity total (t), flow sources, source file, SHA-256, HS revision, licence, Parquet
    path (relative to ``<db stem>_panels``) and import time.  Empty when nothing is there.
    """
    from econsec.data.store import Store

    path = Path(db) if db is not None else Store.default_path()
    if not path.exists():
        return pd.DataFrame(columns=_CATALOGUE_COLUMNS)
    return _open_catalogue(path)[1]


def _as_list(values: Iterable[Any] | str | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


def load_flows(
    dataset: str,
    *,
    years: Iterable[int] | None = None,
    db: Path | None = None,
    exporters: Iterable[str] | str | None = None,
    importers: Iterable[str] | str | None = None,
    products: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """Bilateral flows of panel *dataset* as a frame of :data:`PANEL_COLUMNS`.

    *years* (default: all imported years) selects partitions; *exporters*, *importers*
    (ISO3) and *products* (codes as stored, e.g. HS6 ``'811292'``) filter rows — DuckDB
    pushes them into the Parquet scan, so only matching row groups are read.  Raises
    :class:`~econsec.errors.StoreError` naming the import command when the dataset or a
    requested year is not there.

    Columns: ``year`` int64, ``exporter``/``importer`` str ISO3, ``product`` str, ``value``
    float64 USD, ``quantity`` float64 tonnes (NaN when not reported), ``flow_source`` str.
    """
    import duckdb

    from econsec.data.store import IMPORT_COMMANDS

    path, catalogue = _open_catalogue(db)
    have = catalogue[catalogue["dataset"] == dataset]
    if have.empty:
        known = sorted(catalogue["dataset"].unique())
        command = IMPORT_COMMANDS.get(dataset, "econsec data import <kind> PATH")
        hint = f"panels imported: {', '.join(known)}" if known else "no panels imported"
        raise StoreError(f"no trade panel {dataset!r} in {path} ({hint}); run `{command}`")
    available = [int(y) for y in have["year"]]
    wanted = sorted({int(y) for y in years}) if years is not None else available
    missing = [y for y in wanted if y not in available]
    if missing:
        raise StoreError(
            f"panel {dataset!r} has no year {', '.join(map(str, missing))} "
            f"(imported: {ranges_text(available)})"
        )
    root = panels_dir(path)
    rel = dict(zip(have["year"].astype(int), have["path"], strict=True))
    if not wanted:
        return _empty_panel()
    where: list[str] = []
    params: list[Any] = []
    for column, values in (
        ("exporter", _as_list(exporters)),
        ("importer", _as_list(importers)),
        ("product", _as_list(products)),
    ):
        if values is None:
            continue
        if not values:
            return _empty_panel()
        where.append(f"{column} IN ({', '.join('?' * len(values))})")
        params.extend(values)
    sql = (
        f"SELECT {', '.join(PANEL_COLUMNS)} FROM {_parts_sql([root / rel[y] for y in wanted])}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
    )
    con = duckdb.connect()
    try:
        table = con.sql(sql, params=params).to_arrow_table()
    except duckdb.Error as exc:
        raise StoreError(f"cannot read panel {dataset!r} under {root}: {exc}") from exc
    finally:
        con.close()
    frame = table.to_pandas()
    # text columns as pandas' str dtype whatever pyarrow maps Arrow strings to (object with
    # pyarrow 17, the lowest supported), so a panel frame has the same dtypes everywhere
    return frame.astype({"year": "int64", "exporter": "str", "importer": "str",
                         "product": "str", "value": "float64", "quantity": "float64",
                         "flow_source": "str"})


def _empty_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": pd.Series([], dtype="int64"),
            "exporter": pd.Series([], dtype="str"),
            "importer": pd.Series([], dtype="str"),
            "product": pd.Series([], dtype="str"),
            "value": pd.Series([], dtype="float64"),
            "quantity": pd.Series([], dtype="float64"),
            "flow_source": pd.Series([], dtype="str"),
        }
    )


