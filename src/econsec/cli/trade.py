"""``econsec compare`` and ``econsec rca``: partner or rival, from a trade panel.

Thin wrappers over :mod:`econsec.analysis.trade`; heavy modules are imported inside the
commands. Registered on the main app by :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from econsec.cli.common import DbOpt, FormatOpt, OutOpt, WideOpt, fail
from econsec.reports.tables import OutputFormat

SourceOpt = Annotated[
    str,
    typer.Option("--source", "-s", help="Trade panel: wiod, baci, comtrade or any dataset "
                 "imported with `econsec data import`."),
]
WiodOpt = Annotated[
    Path | None,
    typer.Option("--wiod", help="Folder with the WIOD 2013 long Parquet files, read directly "
                 "when no WIOD panel is imported (source wiod only).", envvar="ECONSEC_WIOD"),
]
GoodsOpt = Annotated[
    str | None,
    typer.Option("--goods", "-g", help="Restrict products: a named group (semiconductors, "
                 "chips, semiconductor_equipment, critical_minerals, batteries), a built-in "
                 "good id, HS codes (2/4/6 digits) or WIOD industries c1..c35; comma list."),
]
GroupingOpt = Annotated[
    str | None,
    typer.Option("--grouping", help="Product level: hs2, hs4, hs6, good (built-in goods) or "
                 "wiod (default: as stored in the panel)."),
]


def _status(message: str):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True).status(message, spinner="dots")


def _print_breaks(breaks, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    """One line per index on stderr: break year, F, p and direction."""
    from rich.console import Console

    console = Console(stderr=True)
    console.print(f"[bold]Structural breaks {a}-{b}[/] (sup-F over Chow tests, linear trend,"
                  " 5% simulated critical value):", highlight=False, soft_wrap=True)
    for r in breaks.itertuples(index=False):
        if r.direction == "not tested":
            console.print(f"  {r.index:<11} not tested: {r.note}", highlight=False)
            continue
        mark = "significant" if r.significant else "not significant"
        console.print(
            f"  {r.index:<11} break {r.break_year}  F = {r.f_stat:.2f}"
            f" (5% cv {r.critical_value:.2f}, Chow p = {r.p_value:.3g}, {mark})"
            f"  -> {r.direction}", highlight=False, soft_wrap=True)


def compare_cmd(
    economy_a: Annotated[str, typer.Argument(help="ISO3 code of economy a, e.g. KOR.")],
    economy_b: Annotated[str, typer.Argument(help="ISO3 code of economy b, e.g. CHN.")],
    years: Annotated[str | None, typer.Option(help="Years: 1995-2011, 2011 or "
                                              "2002,2010-2012 (default: all).")] = None,
    source: SourceOpt = "wiod",
    market: Annotated[str | None, typer.Option(help="Third market for the export "
                                               "similarity index (default: world).")] = None,
    goods: GoodsOpt = None,
    grouping: GroupingOpt = None,
    breaks: Annotated[bool, typer.Option("--breaks", help="Output the break table instead "
                                         "of the indices.")] = False,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    db: DbOpt = None,
    wiod: WiodOpt = None,
) -> None:
    """Partner or rival: TCI both ways, export similarity (ESI) and Grubel-Lloyd per year,
    and the structural break of each series with its direction.

    TCI (Michaely) high = complementary; ESI (Finger-Kreinin) high = competitors.
    The terminal shows one row per year; csv/json/xlsx carry long rows
    (year, economy_a, economy_b, index, value, ...). Breaks go to stderr unless --breaks.

    Examples:

    * `econsec compare KOR CHN --years 1995-2011 --source wiod --wiod data/wiod2013`
    * `econsec compare JPN KOR --market CHN --goods semiconductors --source baci`
    * `econsec compare KOR CHN --source wiod --format json --out kor_chn.json`
    * `econsec compare KOR CHN --source wiod --breaks --format csv`
    """
    from econsec import analysis as ta
    from econsec.errors import EconsecError
    from econsec.reports.tables import emit

    try:
        with _status(f"computing indices {economy_a.upper()}-{economy_b.upper()} "
                     f"from {source} ..."):
            long = ta.compare(economy_a, economy_b, years=years, source=source,
                              market=market, goods=goods, grouping=grouping, db=db, wiod=wiod)
            brk = ta.index_breaks(long)
    except (KeyError, ValueError, EconsecError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    a, b = economy_a.upper(), economy_b.upper()
    where = f"in {market.upper()}" if market else "in the world"
    title = (f"{a} vs {b} ({source}; goods: {goods or 'all'}; ESI {where}) - "
             f"tci_a_to_b = {a} exports to {b} imports")
    if breaks:
        emit(brk, fmt, out, title=f"Breaks {a}-{b}", wide=wide)
        return
    if fmt is OutputFormat.table and out is None:
        emit(ta.compare_wide(long), fmt, None, title=title, wide=wide)
    else:
        long.attrs.update(units={"value": "index: TCI and ESI 0-100, GL 0-1",
                                 "year": "calendar year"},
                          sources={str(x): "trade panel (see `econsec data list` and the "
                                   "dataset's PROVENANCE.md)"
                                   for x in long["source"].dropna().unique()})
        emit(long, fmt, out, title=f"compare {a}-{b}",
             extra={"breaks": brk} if out is not None else None, wide=wide)
    _print_breaks(brk, a, b)


def rca_cmd(
    economy: Annotated[str, typer.Argument(help="ISO3 code of the exporter, e.g. CHN.")],
    year: Annotated[int, typer.Option(help="Year of the panel.")],
    top: Annotated[int, typer.Option(help="Number of products (highest RCA first).")] = 20,
    source: SourceOpt = "baci",
    goods: GoodsOpt = None,
    grouping: GroupingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    db: DbOpt = None,
    wiod: WiodOpt = None,
) -> None:
    """Revealed comparative advantage (Balassa RCA) of an economy, by product.

    RCA = (x_cp / X_c) / (x_wp / X_w) over all exporters in the panel; > 1 means
    specialised. Also shows RSCA = (RCA - 1)/(RCA + 1) and export values.

    Examples:

    * `econsec rca CHN --year 2024 --top 20`
    * `econsec rca KOR --year 2011 --source wiod --wiod data/wiod2013`
    * `econsec rca CHN --year 2022 --goods critical_minerals --format csv`
    """
    from econsec import analysis as ta
    from econsec.errors import EconsecError
    from econsec.reports.tables import emit

    try:
        with _status(f"computing RCA of {economy.upper()} in {year} from {source} ..."):
            frame = ta.rca(economy, year=year, source=source, top=top, grouping=grouping,
                           goods=goods, db=db, wiod=wiod)
    except (KeyError, ValueError, EconsecError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if fmt is OutputFormat.table and out is None:  # the title carries economy, year, source
        frame = frame[["product", "name", "exports", "export_share", "rca", "rsca"]]
    emit(frame, fmt, out, title=f"RCA of {economy.upper()} in {year} ({source})", wide=wide)


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``rca`` to the main app."""
    app.command("compare")(compare_cmd)
    app.command("rca")(rca_cmd)
