"""Helpers behind ``econsec data import baci|comtrade|wiod`` and ``econsec data panels``.

Kept out of :mod:`econsec.cli.data` so that module stays a thin list of commands; heavy
modules (DuckDB, the importers) are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from econsec.cli.common import fail

if TYPE_CHECKING:
    from econsec.data.importers import ImportReport
    from econsec.data.store import Store
    from econsec.reports.tables import OutputFormat

PanelImporter = Callable[["Path", "Store", Callable[[str], None]], "ImportReport"]


def parse_years_option(text: str | None) -> list[int] | None:
    """``--years 2022`` / ``1995-2011`` / ``2002,2010-2012`` (blank: all years); exit 2
    on a bad value (:func:`econsec.domain.years.parse_years`)."""
    from econsec.domain.years import YearsError, years_list

    try:
        return years_list(text)
    except YearsError as exc:
        raise fail(f"--{exc}") from None


def run_panel_import(label: str, path: Path, db: Path | None, importer: PanelImporter) -> None:
    """Open the store, run *importer* with a live status line, print rows per year."""
    import time

    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from econsec.data.panel import list_panels
    from econsec.data.store import Store
    from econsec.errors import DataError, StoreError

    err = Console(stderr=True)
    started = time.perf_counter()
    try:
        with Store(db) as store, err.status(f"Importing {label} from {path} ...") as status:

            def progress(step: str) -> None:
                status.update(f"{label}: {step} ({time.perf_counter() - started:.1f} s)")

            report = importer(path, store, progress)
            db_path = store.path
    except DataError as exc:
        raise fail(f"{exc}\nnothing was imported; the store is unchanged") from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    seconds = time.perf_counter() - started
    catalogue = list_panels(db_path)
    mine = catalogue[catalogue["dataset"] == report.dataset].set_index("year")
    table = Table(title=f"{label} -> panel '{report.dataset}' ({seconds:.1f} s)",
                  header_style="bold")
    for column in ("year", "rows", "value (USD bn)", "flow sources", "HS"):
        table.add_column(column, justify="right" if column in ("rows", "value (USD bn)")
                         else "left")
    for name, rows in report.tables.items():
        year = int(name.split("=", 1)[1])
        row = mine.loc[year] if year in mine.index else None
        value = f"{row['value_total_usd'] / 1e9:,.3f}" if row is not None else ""
        sources = str(row["flow_sources"]) if row is not None else ""
        hs = str(row["hs_revision"]) if row is not None and pd.notna(row["hs_revision"]) else ""
        table.add_row(str(year), f"{rows:,}", value, sources, hs)
    Console().print(table)
    Console().print(f"licence: {report.licence}", highlight=False)
    for warning in report.warnings:
        err.print(f"[yellow]note:[/] {warning}", highlight=False)


def show_panels(db: Path | None, fmt: OutputFormat, out: Path | None,
                wide: bool = False) -> None:
    """Print the panel catalogue (``econsec data panels``)."""
    from econsec.data.panel import list_panels
    from econsec.errors import StoreError
    from econsec.reports.tables import OutputFormat, emit

    try:
        catalogue = list_panels(db)
    except StoreError as exc:
        raise fail(str(exc)) from None
    if fmt is OutputFormat.table and out is None:
        catalogue = catalogue.assign(
            value_usd_bn=(catalogue["value_total_usd"].astype(float) / 1e9).round(3),
        )[["dataset", "year", "rows", "value_usd_bn", "flow_sources", "hs_revision"]]
    try:
        emit(catalogue, fmt, out, title="Trade panels", wide=wide)
    except ValueError as exc:
        raise fail(str(exc)) from None
