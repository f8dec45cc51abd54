"""``econsec data``: import public datasets into the local store, list and show them.

Why: analysts point econsec at their own copies of public datasets (ETO, USGS MCS,
Global Trade Alert, code lists); each import is validated in full and written in one
transaction, so a bad file is reported with file, line and field (exit code 2) and the
store stays as it was.  Heavy imports happen inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from econsec.cli.common import DbOpt, FormatOpt, OutOpt, fail
from econsec.reports.tables import OutputFormat

if TYPE_CHECKING:
    from econsec.data.importers import ImportReport
    from econsec.data.store import Store

app = typer.Typer(
    help="Import public datasets into the local DuckDB store, list and inspect them.\n\n"
    "Example: econsec data import usgs ~/data/usgs_mcs && econsec data list",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import a public dataset from a local file or folder (validated, transactional).\n\n"
    "Example: econsec data import eto ~/data/eto --db ./econsec.duckdb",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

PathArg = Annotated[
    Path,
    typer.Argument(exists=True, help="Local file or folder to import (never downloaded)."),
]


def _run_import(
    label: str,
    path: Path,
    db: Path | None,
    importer: Callable[[Path, Store], ImportReport],
) -> None:
    """Open the store, run *importer* under a spinner, report rows and warnings."""
    from rich.console import Console
    from rich.table import Table

    from econsec.data.store import Store
    from econsec.errors import DataError, StoreError

    err = Console(stderr=True)
    try:
        with Store(db) as store, err.status(f"Importing {label} from {path} ..."):
            report = importer(path, store)
    except DataError as exc:
        raise fail(f"{exc}\nnothing was imported; the store is unchanged") from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    table = Table(title=f"{label} imported into dataset '{report.dataset}'", header_style="bold")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.tables.items():
        table.add_row(f"{report.dataset}__{name}", f"{rows:,}")
    Console().print(table)
    Console().print(f"licence: {report.licence}", highlight=False)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)


@import_app.command("eto")
def import_eto_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import the ETO Advanced Semiconductor Supply Chain Dataset (CC BY-NC 4.0).

    PATH is the dataset's data folder (inputs.csv, providers.csv, provision.csv,
    sequence.csv, stages.csv).  Non-commercial use only: do not redistribute.

    Example: econsec data import eto ~/data/eto
    """
    from econsec.data.importers.eto import import_eto

    _run_import("ETO supply chain dataset", path, db, import_eto)


@import_app.command("usgs")
def import_usgs_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import USGS Mineral Commodity Summaries world production and U.S. salient data.

    PATH is a folder (mcsYYYY/world/*_world.csv, mcsYYYY/salient/*_salient.csv,
    */selected_commodities/*) or a single mcsYYYY-<code>_world.csv file.

    Example: econsec data import usgs ~/data/usgs_mcs
    """
    from econsec.data.importers.usgs import import_usgs

    _run_import("USGS Mineral Commodity Summaries", path, db, import_usgs)


@import_app.command("gta")
def import_gta_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import a Global Trade Alert interventions CSV as econsec measures.

    Example: econsec data import gta ~/data/gta/interventions.csv
    """
    from econsec.data.importers.gta import import_gta

    _run_import("Global Trade Alert interventions", path, db, import_gta)


@import_app.command("countries")
def import_countries_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import a country-code list (datahub country-codes.csv or CEPII BACI country codes).

    Example: econsec data import countries ~/data/country_codes/country-codes.csv
    """
    from econsec.data.importers.codes import import_countries

    _run_import("country codes", path, db, import_countries)


@import_app.command("hs")
def import_hs_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import an HS nomenclature (datahub harmonized-system.csv or CEPII product codes).

    Example: econsec data import hs ~/data/hs_codes/harmonized-system.csv
    """
    from econsec.data.importers.codes import import_hs

    _run_import("HS nomenclature", path, db, import_hs)


def _open_read_only(db: Path | None) -> Store:
    from econsec.data.store import Store
    from econsec.errors import StoreError

    try:
        return Store(db, read_only=True)
    except StoreError as exc:
        raise fail(str(exc)) from None


@app.command("list")
def list_cmd(
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
) -> None:
    """List imported tables with rows, source file, checksum, licence and import time.

    Example: econsec data list --format csv --out imports.csv
    """
    import pandas as pd
    from rich.console import Console

    from econsec.data.store import Store
    from econsec.reports.tables import emit

    if not (db or Store.default_path()).exists():
        Console(stderr=True).print("no datasets imported yet: try `econsec data import usgs PATH`")
        catalogue = pd.DataFrame(columns=["dataset", "table_name", "rows", "licence",
                                          "imported_at", "sha256", "source_file"])
        emit(catalogue, fmt, out, title="Imported datasets")
        return
    with _open_read_only(db) as store:
        catalogue = store.list_datasets()
    if fmt is OutputFormat.table and out is None:
        # terminal view: the columns that fit; csv/json/--out carry the full catalogue
        catalogue = catalogue.assign(
            sha256=catalogue["sha256"].str[:12],
            imported_at=catalogue["imported_at"].astype(str).str[:19],
        )[["dataset", "table_name", "rows", "licence", "imported_at", "sha256", "source_file"]]
    try:
        emit(catalogue, fmt, out, title="Imported datasets")
    except ValueError as exc:
        raise fail(str(exc)) from None


@app.command("show")
def show_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. eto, usgs, gta.")],
    table: Annotated[str, typer.Argument(help="Table name, e.g. country_shares.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows to show.")] = 20,
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
) -> None:
    """Show the first rows of an imported table.

    Example: econsec data show usgs world_shares -n 10 --format json
    """
    from econsec.errors import StoreError
    from econsec.reports.tables import emit

    with _open_read_only(db) as store:
        try:
            frame = store.read(dataset, table)
        except StoreError as exc:
            raise fail(str(exc)) from None
    try:
        emit(frame.head(limit), fmt, out, title=f"{dataset}__{table}")
    except ValueError as exc:
        raise fail(str(exc)) from None
