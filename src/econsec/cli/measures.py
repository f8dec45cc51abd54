"""``econsec measures``: the registry of dated policy acts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from econsec.cli.common import FormatOpt, OutOpt, WideOpt, fail, query, show
from econsec.reports.tables import OutputFormat

app = typer.Typer(help="The measures registry: export controls, licensing, coercion, "
                  "subsidies, agreements ...", no_args_is_help=True)

WorldOpt = Annotated[Path | None, typer.Option("--world", envvar="ECONSEC_WORLD",
                                               help="World folder (default: built-in).")]


@app.command("list")
def list_cmd(
    type: Annotated[str | None, typer.Option("--type", "-t", help="export_control "
                                             "(the family: also licensing, embargo), "
                                             "licensing, embargo, tariff, subsidy, agreement, "
                                             "stockpile_mandate, coercion, investment")] = None,
    imposer: Annotated[str | None, typer.Option(help="ISO3 code of the imposer.")] = None,
    good: Annotated[str | None, typer.Option(help="Only measures covering this good.")] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
) -> None:
    """List measures, oldest first.

    Example: `econsec measures list --type export_control --imposer CHN`
    """
    from econsec import analysis
    from econsec.data.world import load_world
    from econsec.domain import MeasureFamily, MeasureType, types_matching
    from econsec.domain.names import suggest

    if type is not None:
        try:
            types_matching(type)
        except ValueError:
            choices = sorted({t.value for t in MeasureType} | {f.value for f in MeasureFamily})
            close = suggest(type, choices)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise fail(f"unknown --type '{type}'{hint} (a measure type or family: "
                       f"{', '.join(choices)})") from None
    w = query(load_world, world)
    show(query(analysis.measures, type, imposer, good, w), fmt, out, title="Measures",
         wide=wide, keep=("id", "type", "imposer", "targets", "goods", "effective"))


@app.command("show")
def show_cmd(
    measure_id: Annotated[str, typer.Argument(help="Measure id, e.g. jpn_kor_2019_fluorides.")],
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
) -> None:
    """Show one measure with its full citation.

    Example: `econsec measures show chn_2023_gallium_germanium`
    """
    from econsec import analysis
    from econsec.data.world import load_world

    frame = query(analysis.measure_detail, measure_id, query(load_world, world))
    show(frame, fmt, out, title=str(frame["value"].iloc[0]), wide=wide)
