"""``econsec``: the command line. Each command is a thin wrapper over :mod:`econsec.analysis`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from econsec.cli import data as data_cmd
from econsec.cli import measures as measures_cmd
from econsec.cli import replays as replays_cmd
from econsec.cli import serve as serve_cmd
from econsec.cli import simulate as simulate_cmd
from econsec.cli import trade as trade_cmd
from econsec.cli import world_build as world_build_cmd
from econsec.cli.common import (
    DbOpt,
    FormatOpt,
    OutOpt,
    WideOpt,
    WorkersOpt,
    fail,
    query,
    show,
    workers_of,
)
from econsec.reports.tables import OutputFormat

app = typer.Typer(
    name="econsec",
    help=(
        "Economic-security modelling for the US-Japan-Korea technology alliance: where the"
        " allies depend on China and on each other, chokepoints in both directions, and the"
        " measures (export controls, coercion, subsidies) that shape them.\n\n"
        "Start with `econsec brief`. Every figure carries its source: see `econsec world"
        " --sources`."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
app.add_typer(measures_cmd.app, name="measures")
app.add_typer(data_cmd.app, name="data")
app.command("serve")(serve_cmd.serve)
trade_cmd.register(app)
app.command("simulate")(simulate_cmd.simulate)
app.add_typer(simulate_cmd.scenarios_app, name="scenarios")
app.add_typer(simulate_cmd.runs_app, name="runs")
app.command("replays")(replays_cmd.replays)

WorldOpt = Annotated[
    Path | None,
    typer.Option("--world", help="World folder to use instead of the built-in world "
                 "(format: docs/world-format.md).", envvar="ECONSEC_WORLD"),
]


def _load(world: Path | None):  # type: ignore[no-untyped-def]
    from econsec.data.world import load_world
    from econsec.errors import DataError

    try:
        return load_world(world)
    except DataError as exc:
        raise fail(str(exc)) from None


@app.command()
def brief(
    bloc: Annotated[str, typer.Option(help="Bloc whose position is summarised.")] = "TRILATERAL",
    against: Annotated[str, typer.Option(help="Rival economy or bloc.")] = "CHN",
    top: Annotated[int, typer.Option(help="Rows per section.")] = 10,
    world: WorldOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write a report file "
                                             "(.html self-contained, .md Markdown).")] = None,
    report_fmt: Annotated[str | None, typer.Option("--format", "-f",
                                                   help="Report format: html or md.")] = None,
    runs: Annotated[int | None, typer.Option(min=1, max=2000, help="Monte Carlo runs per "
                                             "scenario (default: 10 in the terminal, 50 in "
                                             "a report).")] = None,
    db: DbOpt = None,
    workers: WorkersOpt = "auto",
) -> None:
    """Print the alliance's exposure and chokepoint summary against a rival, or write it
    as a report with plots (`--out brief.html`, `--format md`). The scenarios run side by
    side on `--workers` processes (the same brief for any number).

    Examples: `econsec brief --bloc TRILATERAL --against CHN`; `econsec brief --out brief.html`
    """
    from econsec.analysis.names import resolve_party

    n_workers = workers_of(workers)
    w = _load(world)
    bloc = query(resolve_party, bloc, w).label
    against = query(resolve_party, against, w, kind="rival").label
    if out is not None or report_fmt is not None:
        from econsec.reports.html import write_brief

        fmt = (report_fmt or ("md" if out is not None and out.suffix == ".md" else "html")).lower()
        if fmt not in ("html", "md"):
            raise fail("--format must be html or md for a report")
        target = out if out is not None else Path(f"brief.{fmt}")
        from econsec.errors import MissingExtraError

        try:
            write_brief(w, target, fmt, bloc=bloc, against=against, top=top,
                        runs=50 if runs is None else runs, db=db, workers=n_workers)
        except (KeyError, ValueError, MissingExtraError) as exc:
            raise fail(str(exc)) from None
        typer.echo(f"wrote {target}", err=True)
        return
    from econsec.reports.brief import print_brief

    try:
        print_brief(w, bloc=bloc, against=against, top=top,
                    runs=10 if runs is None else runs, workers=n_workers)
    except (KeyError, ValueError) as exc:
        raise fail(str(exc)) from None


def world_cmd(
    goods: Annotated[bool, typer.Option("--goods", help="List the goods.")] = False,
    economies: Annotated[bool, typer.Option("--economies", help="List the economies.")] = False,
    sources: Annotated[bool, typer.Option("--sources", help="List the sources.")] = False,
    edges: Annotated[bool, typer.Option("--edges", help="List the supply-graph edges.")] = False,
    shares: Annotated[bool, typer.Option("--shares", help="List world supply shares.")] = False,
    investments: Annotated[bool, typer.Option("--investments",
                                              help="List the investments registry.")] = False,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
) -> None:
    """Summarise the world: counts, goods, economies, edges, shares or sources.

    Example: `econsec world --goods --format csv --out goods.csv`
    """
    from econsec import analysis
    from econsec.reports.tables import emit

    w = _load(world)
    if goods:
        emit(analysis.goods_table(w), fmt, out, title="Goods", wide=wide)
    elif economies:
        emit(analysis.economies_table(w), fmt, out, title="Economies", wide=wide)
    elif sources:
        emit(w.source_table(), fmt, out, title="Sources", wide=wide)
    elif edges:
        emit(w.edges.drop(columns="_line"), fmt, out, title="Supply graph", wide=wide)
    elif shares:
        emit(w.world_shares.drop(columns="_line"), fmt, out, title="World supply shares",
             wide=wide)
    elif investments:
        emit(w.investments_frame(), fmt, out, title="Investments", wide=wide)
    else:
        emit(analysis.world_summary(w), fmt, out, title=f"World at {w.path}", wide=wide)


world_build_cmd.register(app, world_cmd)  # `econsec world` (+ --stale) and `world build`


@app.command()
def exposure(
    economy: Annotated[str, typer.Argument(help="ISO3 code of the importing economy, e.g. KOR.")],
    good: Annotated[str | None, typer.Option("--good", "-g", help="One good id.")] = None,
    tiers: Annotated[str, typer.Option(help="direct: import shares by supplier; all: "
                                       "look-through through every tier.")] = "direct",
    year: Annotated[int | None, typer.Option(help="Use the latest figures up to this "
                                             "year.")] = None,
    period: Annotated[str | None, typer.Option(help="Import shares of one period only, "
                                               "e.g. 2019-01/2019-05.")] = None,
    source: Annotated[str, typer.Option(help="curated: the built-in shares; trade: import "
                                        "shares from the trade panel in --db where it has "
                                        "the good's HS codes (direct tiers); icio: sector "
                                        "shares from the OECD ICIO table in --db.")
                      ] = "curated",
    sector: Annotated[str | None, typer.Option(help="One ICIO industry code, e.g. C26 "
                                               "(with --source icio).")] = None,
    years: Annotated[str | None, typer.Option(help="A series: the answer as of each year, "
                                              "e.g. 2019-2024 (figures of that year or "
                                              "earlier, never later).")] = None,
    supplier: Annotated[str | None, typer.Option(help="Keep one supplier's rows (with "
                                                 "--years), e.g. CHN.")] = None,
    group: Annotated[str | None, typer.Option(help="Keep the goods of one group (with "
                                              "--years): chip_tools, chip_materials, chips, "
                                              "battery_materials, critical_minerals.")] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
    db: DbOpt = None,
) -> None:
    """Who an economy depends on, good by good (or ICIO sector by sector).

    Examples: `econsec exposure KOR --good photoresist_arf`;
    `econsec exposure KOR --years 2020-2024 --supplier CHN --group critical_minerals`
    (Korea's dependence on China, mineral by mineral and year by year, against its 2030
    target of at most 50% of each critical mineral from one country);
    `econsec exposure KOR --good hydrogen_fluoride --year 2019 --period 2019-01/2019-05`;
    `econsec exposure JPN --tiers all --format json`;
    `econsec exposure KOR --source trade --db store.duckdb` (panel import shares);
    `econsec exposure KOR --source icio --sector C26 --tiers all` (OECD ICIO 2022
    look-through; import the table first with econsec data import icio PATH)
    """
    from econsec import analysis

    try:
        tiers_, source_ = analysis.check_tiers(tiers), analysis.check_source(source)
    except analysis.ChoiceError as exc:
        raise fail(f"--{exc}") from None
    if source_ == "icio":
        frame = query(analysis.exposure, economy, tiers=tiers_, year=year, source=source_,
                      db=db, sector=sector,
                      good=good, period=period)  # rejected with a reason when given
        show(frame, fmt, out, title=f"Exposure of {frame['economy'].iloc[0]} by ICIO sector "
             f"({tiers} tiers; {frame.attrs['source']}; shares of gross output, output in "
             "million USD)", wide=wide)
        return
    w = _load(world)
    if years is not None or supplier is not None or group is not None:
        if years is None or year is not None or period is not None:
            raise fail("--supplier and --group go with --years (e.g. --years 2024 "
                       "--supplier CHN); --years replaces --year and takes no --period")
        frame = query(analysis.exposure_series, economy, years, good=good, tiers=tiers_,
                      world=w, supplier=supplier, group=group, source=source_, db=db)
        code = str(frame["economy"].iloc[0])
        title = (f"Exposure of {code} as of {years} ({tiers} tiers"
                 + (f"; supplier {frame['supplier'].iloc[0]})" if supplier else ")"))
        if supplier is not None and fmt is OutputFormat.table and out is None:
            grid = frame.pivot_table(index="good", columns="as_of", values="share",
                                     aggfunc="first", sort=False).round(3)
            grid.columns = [str(c) for c in grid.columns]
            grid = grid.reset_index()
            grid.attrs["notes"] = [*frame.attrs.get("notes", []),
                                   "each cell is the latest figure of that year or earlier "
                                   "(a repeated value is carried from an earlier year); "
                                   "--format csv gives each figure's year, basis and source"]
            show(grid, fmt, out, title=f"Share of {code}'s supply of each good from "
                 f"{frame['supplier'].iloc[0]}, as of {years} ({tiers} tiers)", wide=wide)
            return
        show(frame, fmt, out, title=title, wide=wide)
        return
    frame = query(analysis.exposure, economy, good=good, tiers=tiers_, world=w, year=year,
                  period=period, source=source_, db=db, sector=sector)
    code = str(frame["economy"].iloc[0])
    show(frame, fmt, out, title=f"Exposure of {code} ({tiers} tiers"
         + (f", figures up to {year})" if year is not None else ")"), wide=wide)


@app.command()
def chokepoints(
    bloc: Annotated[str | None, typer.Option(help="Holder bloc or economy "
                                             "(TRILATERAL, CHIP4, G7, MSP or codes).")] = None,
    against: Annotated[str | None, typer.Option(help="Rival economy or bloc: list both "
                                                "directions.")] = None,
    min_share: Annotated[float | None, typer.Option(
        help="Minimum holder share of world supply (default 0.25); with --source icio, "
        "minimum look-through share on the other side (default 0.05).")] = None,
    top: Annotated[int | None, typer.Option(help="Rows per direction.")] = None,
    source: Annotated[str, typer.Option(help="curated: goods of the built-in world; icio: "
                                        "ICIO sectors from the OECD ICIO table in --db "
                                        "(needs --bloc and --against).")] = "curated",
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
    db: DbOpt = None,
) -> None:
    """Chokepoints: score = holder share x non-substitutability x value at stake; with
    `--source icio`, the ICIO sectors of each side that rest on the other (all tiers).

    Examples: `econsec chokepoints`; `econsec chokepoints --bloc TRILATERAL --against CHN`;
    `econsec chokepoints --bloc TRILATERAL --against CHN --source icio --min-share 0.1`
    """
    from econsec import analysis

    try:
        source_ = analysis.check_source(source, ("curated", "icio"))
    except analysis.ChoiceError as exc:
        raise fail(f"--{exc}") from None
    frame = query(analysis.chokepoints, bloc, against, _load(world), min_share=min_share,
                  top=top, source=source_, db=db)
    title = "Chokepoints"
    if source_ == "icio":
        title = (f"Sector chokepoints ({frame.attrs['source']}; look-through and direct "
                 "shares of the sector's gross output, output in million USD)")
    show(frame, fmt, out, title=title, wide=wide,
         keep=("good", "holder", "score", "holder_share", "target_dependence", "target"))


@app.command("self-sufficiency")
def self_sufficiency(
    bloc: Annotated[str, typer.Option(help="Bloc name or comma list of codes.")] = "TRILATERAL",
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
) -> None:
    """Bloc self-sufficiency per good: the share of members' supply sourced inside the bloc.

    Example: `econsec self-sufficiency --bloc CHIP4`
    """
    from econsec import analysis

    show(query(analysis.self_sufficiency, bloc, _load(world)), fmt, out,
         title="Self-sufficiency", wide=wide)


@app.command()
def blocs(fmt: FormatOpt = OutputFormat.table, out: OutOpt = None,
          wide: WideOpt = False) -> None:
    """List the named blocs (TRILATERAL, CHIP4, G7, MSP)."""
    from econsec import analysis
    from econsec.reports.tables import emit

    emit(analysis.known_blocs(), fmt, out, title="Blocs", wide=wide)


def main() -> None:
    """Console-script entry point."""
    app()
