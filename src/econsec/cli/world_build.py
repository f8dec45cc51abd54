"""``econsec world build`` and ``econsec world --stale``: the world pipeline's commands.

``register(app, world_cmd)`` turns the ``world`` command into a group: its options
(``--goods``, ``--shares`` ...) keep working, ``--stale [--older-than N]`` lists figures
older than N years with their source, and ``build`` compiles a world folder from the
published datasets (:func:`econsec.data.build.assemble.build_world`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from econsec.cli.common import fail
from econsec.reports.tables import OutputFormat

STALE_HELP = "List every figure older than --older-than years (default 3) with its source."
GROUP_HELP = ("With --shares: each economy's share of a group of goods, weighted by world "
              "value (chip_tools, chip_materials, chips, battery_materials, "
              "critical_minerals).")


def register(app: typer.Typer, world_cmd: Callable[..., None]) -> None:
    """Add the ``world`` group to *app*: *world_cmd*'s options, ``--stale``, ``build``."""
    group = typer.Typer(no_args_is_help=False, rich_markup_mode="markdown")
    base = inspect.signature(world_cmd, eval_str=True)

    def callback(ctx: typer.Context, **kwargs: Any) -> None:
        if ctx.invoked_subcommand is not None:
            return
        stale, older = kwargs.pop("stale"), kwargs.pop("older_than")
        group_, members, year = (kwargs.pop("group"), kwargs.pop("members"),
                                 kwargs.pop("year"))
        if stale:
            _stale(older, kwargs["fmt"], kwargs["out"], kwargs["world"], kwargs["wide"])
            return
        if group_ is not None or members or year is not None:
            if group_ is None or not kwargs["shares"]:
                raise fail("--group, --members and --year go with --shares --group G "
                           "(e.g. econsec world --shares --group chip_tools)")
            _group(group_, members, year, kwargs["fmt"], kwargs["out"], kwargs["world"],
                   kwargs["wide"])
            return
        world_cmd(**kwargs)

    extra = [
        inspect.Parameter("stale", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option("--stale", help=STALE_HELP)]),
        inspect.Parameter("older_than", inspect.Parameter.KEYWORD_ONLY, default=3,
                          annotation=Annotated[int, typer.Option(
                              "--older-than", help="Age in years for --stale.")]),
        inspect.Parameter("group", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, typer.Option(
                              "--group", help=GROUP_HELP)]),
        inspect.Parameter("members", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option(
                              "--members", help="With --group: list the group's goods and "
                              "their weights instead of the shares.")]),
        inspect.Parameter("year", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[int | None, typer.Option(
                              "--year", help="With --group: figures of this year or "
                              "earlier only.")]),
    ]
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=typer.Context),
              *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in base.parameters.values()],
              *extra]
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__annotations__ = {p.name: p.annotation for p in params}
    callback.__doc__ = world_cmd.__doc__
    group.callback(invoke_without_command=True)(callback)
    group.command("build")(build)
    app.add_typer(group, name="world")


def build(
    data: Annotated[Path, typer.Option("--data", help="Folder of the published datasets "
                                       "(the layout of ../shared/data).")],
    out: Annotated[Path, typer.Option("--out", help="World folder to write (replaced whole, "
                                      "only once the build has passed every check).")],
    curated: Annotated[Path | None, typer.Option(
        "--curated", help="Curated layer (default: the one shipped in the package).")] = None,
) -> None:
    """Compile a world folder from the published datasets and the curated layer.

    Example: `econsec world build --data ../shared/data --out my_world`, then
    `econsec exposure DEU --good graphite_natural --year 2024 --world my_world`.
    """
    from econsec.data.build.assemble import build_world
    from econsec.errors import DataError

    try:
        report = build_world(data, out, curated)
    except DataError as exc:
        raise fail(str(exc)) from None
    for table, counts in report.counts.items():
        typer.echo(f"{table}: {counts['derived']} derived rows, {counts['curated']} curated")
    for message in report.messages:
        typer.echo(f"note: {message}", err=True)
    typer.echo(f"world written to {out} in {report.seconds:.1f} s")


def _stale(older_than: int, fmt: OutputFormat, out: Path | None, world: Path | None,
           wide: bool = False) -> None:
    from econsec.data.world import load_world
    from econsec.errors import DataError
    from econsec.reports.tables import emit

    try:
        table = load_world(world).stale_figures(older_than)
    except (DataError, ValueError) as exc:
        raise fail(str(exc)) from None
    emit(table, fmt, out, title=f"Figures older than {older_than} years ({len(table)})",
         wide=wide)


def _group(group: str, members: bool, year: int | None, fmt: OutputFormat, out: Path | None,
           world: Path | None, wide: bool) -> None:
    from econsec.analysis.groups import group_members, group_shares
    from econsec.cli.common import query, show
    from econsec.data.world import load_world
    from econsec.errors import DataError

    try:
        w = load_world(world)
    except DataError as exc:
        raise fail(str(exc)) from None
    if members:
        frame = query(group_members, group, w, year)
        show(frame, fmt, out, title=f"Goods of {group} and their weights (USD bn a year)",
             wide=wide)
        return
    frame = query(group_shares, group, w, year)
    show(frame, fmt, out, title=f"World supply shares of {group}, weighted by world value"
         + (f" (figures up to {year})" if year is not None else ""), wide=wide)
