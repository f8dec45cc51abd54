"""``econsec replays``: every shipped replay scored against its documented outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from econsec.cli.common import FormatOpt, OutOpt, WideOpt, WorkersOpt, fail, workers_of
from econsec.reports.tables import OutputFormat, write_xlsx


def replays(
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Only this replay (repeat for several).")] = None,
    runs: Annotated[int, typer.Option(min=1, max=2000, help="Monte Carlo runs per replay.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    summary: Annotated[bool, typer.Option(
        "--summary", help="csv/json/parquet: the skill summary instead of the outcome "
        "rows.")] = False,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: Annotated[Path | None, typer.Option(
        "--world", envvar="ECONSEC_WORLD", help="World folder (default: built-in).")] = None,
    without: Annotated[list[str] | None, typer.Option(
        "--without", help="Switch this mechanism off (repeat for several): prices, "
        "adaptation, anticipation, transit, return, licence_spread, border_refusal.")] = None,
    ablation: Annotated[bool, typer.Option(
        "--ablation", help="The skill per replay with every mechanism on, each one off in "
        "turn (of --without, default all), then all off.")] = False,
    workers: WorkersOpt = "auto",
) -> None:
    """Score every shipped replay: one row per documented outcome (scenario, outcome, role,
    period, documented, simulated, tolerance, within_tolerance, direction_ok, source, unit), then
    the skill per replay and overall, counting validation outcomes only (calibration rows
    are shown and marked; outcomes the model cannot simulate are shown with the reason and
    count as misses).

    Formats: table prints both; xlsx writes both (sheets outcomes and skill); csv, json and
    parquet write the outcome rows, or the summary with `--summary`.

    `--without M` switches mechanism M off (prices: the price index stays 1.0;
    adaptation: no induced localisation; anticipation: no front-loading; transit: goods
    arrive the day they ship; return: buyers never move back after a lift;
    licence_spread: one licence delay per run for every shipment, not spread over them;
    border_refusal: a ban lets what waits in the licence pipeline through);
    `--ablation` prints the skill summary for all on, each off in turn, and all off.

    Examples: `econsec replays --runs 20 --seed 0`; `econsec replays --scenario
    jpn_kor_2019 --format json`; `econsec replays --format xlsx --out skill.xlsx`;
    `econsec replays --ablation --runs 50 --seed 0`
    """
    from rich.console import Console

    from econsec.data.world import load_world
    from econsec.errors import DataError
    from econsec.policy.skill import score_replays
    from econsec.reports.tables import emit

    off = tuple(without or ())
    n_workers = workers_of(workers)
    try:
        w = load_world(world)
        if ablation:
            from econsec.policy.skill import ablation_table

            with Console(stderr=True).status(f"running the ablation ({runs} runs, seed {seed})"):
                table = ablation_table(w, names=scenario or None, mechanisms=off or None,
                                       runs=runs, seed=seed, workers=n_workers)
        else:
            if off:
                from econsec.policy.ablation import check_mechanisms

                off = check_mechanisms(off)
            with Console(stderr=True).status(f"running the replays ({runs} runs, seed {seed})"):
                skill = score_replays(w, names=scenario or None, runs=runs, seed=seed,
                                      without=off, workers=n_workers)
    except (DataError, KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if ablation:
        if fmt is OutputFormat.xlsx:
            raise fail("--ablation writes table, csv, json or parquet")
        emit(table, fmt, out, title=f"Skill with mechanisms switched off ({runs} runs, seed "
             f"{seed}; validation outcomes only)")
        return
    for name, note in skill.notes.items():  # later figures standing in: said, on stderr
        Console(stderr=True).print(f"note: {name}: {note}", highlight=False)
    title = f"Replays scored ({runs} runs, seed {seed})"
    if off:
        title += f", without {', '.join(off)}"
    if fmt is OutputFormat.xlsx:
        if out is None:
            raise fail("--format xlsx writes a file: give --out PATH")
        out.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(out, {"outcomes": skill.outcomes, "skill": skill.summary})
        Console(stderr=True).print(f"wrote {len(skill.outcomes)} outcomes and "
                                   f"{len(skill.summary)} skill rows to {out}")
        return
    if fmt is OutputFormat.table and out is None:
        shown = skill.outcomes[["scenario", "outcome", "role", "period", "unit", "documented",
                                "simulated", "tolerance", "within_tolerance", "direction_ok",
                                "status", "reason", "source"]].copy()
        # the answer first: an 80-column terminal drops period, role, unit ... before these
        shown.attrs["keep_columns"] = ("outcome", "documented", "simulated", "tolerance",
                                       "within_tolerance", "direction_ok")
        emit(shown, fmt, None, title=title, wide=wide)
        emit(skill.summary, fmt, None,
             title="Skill: validation outcomes only (not simulated counts as a miss)",
             wide=wide)
        return
    emit(skill.summary if summary else skill.outcomes, fmt, out, title=title, wide=wide)
