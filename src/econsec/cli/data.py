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

from econsec.cli.common import DbOpt, FormatOpt, OutOpt, WideOpt, fail
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


YearsOpt = Annotated[
    str | None,
    typer.Option("--years", help="Only these years of the file: 2022, 1995-2011, 2002,2010-2012."),
]
ReplaceOpt = Annotated[
    bool,
    typer.Option("--replace", help="Replace a stored year even if the new one has fewer rows."),
]


@import_app.command("baci")
def import_baci_cmd(
    path: PathArg,
    db: DbOpt = None,
    years: YearsOpt = None,
    hs: Annotated[
        str | None, typer.Option("--hs", help="HS revision (HS92 ... HS22) if not in the name.")
    ] = None,
    dataset: Annotated[str, typer.Option("--dataset", help="Panel name.")] = "baci",
    replace: ReplaceOpt = False,
) -> None:
    """Import a CEPII BACI yearly CSV (t,i,j,k,v,q) into the trade-panel store.

    Values thousand USD -> USD, BACI country codes -> ISO3 (490 -> TWN), HS revision from
    the file name (BACI_HS22_Y2022_V202501.csv) or --hs.  Other years stay untouched.

    Example: econsec data import baci ~/data/BACI_HS22_Y2022_V202501.csv
    """
    from econsec.cli.panel_import import parse_years_option, run_panel_import
    from econsec.data.importers.baci import import_baci

    wanted = parse_years_option(years)
    run_panel_import(
        "CEPII BACI", path, db,
        lambda p, s, say: import_baci(p, s, years=wanted, hs=hs, dataset=dataset, progress=say,
                                      replace=replace),
    )


@import_app.command("comtrade")
def import_comtrade_cmd(
    path: PathArg,
    db: DbOpt = None,
    years: YearsOpt = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Year for files without a year column.")
    ] = None,
    world: Annotated[
        str, typer.Option("--world", help="drop (default) or keep partner-World rows as WLD.")
    ] = "drop",
    collapse: Annotated[
        str, typer.Option("--collapse", help="Same-key records: max (default) or sum.")
    ] = "max",
    dataset: Annotated[str, typer.Option("--dataset", help="Panel name.")] = "comtrade",
    replace: ReplaceOpt = False,
) -> None:
    """Import a UN Comtrade bulk/API CSV (or .csv.gz) into the trade-panel store.

    Exact duplicate records are dropped (and counted); exporter- and importer-reported
    flows are kept apart as flow_source comtrade:X and comtrade:M.

    Example: econsec data import comtrade ~/data/comtrade_2022.csv.gz --dataset comtrade_cmm
    """
    from econsec.cli.panel_import import parse_years_option, run_panel_import
    from econsec.data.importers.comtrade import import_comtrade

    if world not in ("drop", "keep") or collapse not in ("max", "sum"):
        raise fail("--world must be drop|keep and --collapse max|sum")
    wanted = parse_years_option(years)
    run_panel_import(
        "UN Comtrade", path, db,
        lambda p, s, say: import_comtrade(
            p, s, years=wanted, year=year, world=world,  # type: ignore[arg-type]
            collapse=collapse, dataset=dataset, progress=say,  # type: ignore[arg-type]
            replace=replace,
        ),
    )


@import_app.command("wiod")
def import_wiod_cmd(
    path: PathArg,
    db: DbOpt = None,
    years: YearsOpt = None,
    dataset: Annotated[str, typer.Option("--dataset", help="Panel name.")] = "wiod",
    replace: ReplaceOpt = False,
) -> None:
    """Import WIOD 2013 bilateral industry flows (1995-2011, 41 regions x 35 industries).

    PATH is the folder with wiot_intermediate_long_1995_2011.parquet and
    wiot_final_demand_long_1995_2011.parquet.

    Example: econsec data import wiod ~/data/wiod2013 --years 2000-2011
    """
    from econsec.cli.panel_import import parse_years_option, run_panel_import
    from econsec.data.importers.wiod import import_wiod

    wanted = parse_years_option(years)
    run_panel_import(
        "WIOD 2013", path, db,
        lambda p, s, say: import_wiod(p, s, years=wanted, dataset=dataset, progress=say,
                                      replace=replace),
    )


@import_app.command("icio")
def import_icio_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import the OECD ICIO 2025 edition, year 2022 (80 economies x 50 industries).

    PATH is the folder with icio2022_intermediate_long.parquet, icio2022_nodes.csv,
    country_codes.csv and sector_codes.csv (million USD; the ROW region dropped).

    Example: econsec data import icio ~/data/oecd_icio2022_sanction_simulator
    """
    from econsec.data.importers.icio import import_icio

    _run_import("OECD ICIO 2022", path, db, import_icio)


@import_app.command("wits")
def import_wits_cmd(path: PathArg, db: DbOpt = None) -> None:
    """Import WITS trade summaries: exports by 16 product groups, 1988-2019 (panel wits).

    PATH is the folder with wits_trade_summary_all_reporters_long.parquet. Imports are by
    stage only there, so TCI and Grubel-Lloyd cannot use this panel (ESI and RCA can).

    Example: econsec data import wits ~/data/wits_trade_summary_kor_chn_jpn_usa_twn
    """
    from econsec.cli.panel_import import run_panel_import
    from econsec.data.importers.wits import import_wits

    run_panel_import("WITS trade summary", path, db,
                     lambda p, s, say: import_wits(p, s, progress=say))


@import_app.command("trade-extract")
def import_trade_extract_cmd(
    kind: Annotated[
        str,
        typer.Argument(help="atlas-baci | atlas-top | china-monthly | taiwan-customs"),
    ],
    path: PathArg,
    db: DbOpt = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Panel name (default per kind).")
    ] = None,
    replace: ReplaceOpt = False,
) -> None:
    """Import a trade extract that is not in BACI/Comtrade bulk shape as a trade panel.

    atlas-baci: critical-materials-atlas baci_extract/baci_<year>.csv (ISO3, USD);
    atlas-top: atlas_top_flows_2002_2024.csv (top-6 flows, ISO2);
    china-monthly: China's monthly Ga/Ge/graphite exports (deep_dive_hs6_monthly.csv),
    summed to years; taiwan-customs: Taiwan Customs HS 8542 exports by destination.

    Example: econsec data import trade-extract china-monthly ~/data/deep_dive_hs6_monthly.csv
    """
    from econsec.cli.panel_import import run_panel_import
    from econsec.data.importers import trade_extracts as te

    kinds = {
        "atlas-baci": (te.import_baci_iso3_extract, "atlas_baci"),
        "atlas-top": (te.import_atlas_top_flows, "atlas_top"),
        "china-monthly": (te.import_china_monthly, "china_cm_exports"),
        "taiwan-customs": (te.import_taiwan_customs, "taiwan_ic_exports"),
    }
    if kind not in kinds:
        raise fail(f"unknown extract kind {kind!r}: one of {', '.join(kinds)}")
    fn, default = kinds[kind]
    name = dataset or default
    run_panel_import(kind, path, db,
                     lambda p, s, _say: fn(p, s, dataset=name, replace=replace))


@app.command("panels")
def panels_cmd(
    db: DbOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """List the trade panels: dataset, year, rows, value total, source, checksum, HS revision.

    Example: econsec data panels --format csv --out panels.csv
    """
    from econsec.cli.panel_import import show_panels

    show_panels(db, fmt, out, wide)


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
    wide: WideOpt = False,
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
        emit(catalogue, fmt, out, title="Imported datasets", wide=wide)
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
        emit(catalogue, fmt, out, title="Imported datasets", wide=wide)
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
    wide: WideOpt = False,
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
        emit(frame.head(limit), fmt, out, title=f"{dataset}__{table}", wide=wide)
    except ValueError as exc:
        raise fail(str(exc)) from None
