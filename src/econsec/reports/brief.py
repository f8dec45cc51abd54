"""``econsec brief``: the alliance's exposure and chokepoint summary against a rival.

:func:`brief_tables` computes the sections as DataFrames (reused by other reports);
:func:`print_brief` renders them in the terminal.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from econsec import analysis
from econsec.data.world import World
from econsec.domain import resolve_bloc


def _import_dependence(world: World, members: frozenset[str], suppliers: frozenset[str],
                       *, exclude_self: bool) -> pd.DataFrame:
    bil = world.latest_bilateral()
    rows = bil[bil["importer"].isin(members) & bil["supplier"].isin(suppliers)]
    if exclude_self:
        rows = rows[rows["importer"] != rows["supplier"]]
    out = rows.groupby(["importer", "good", "year"], as_index=False).agg(
        share=("share", "sum"), suppliers=("supplier", lambda s: ",".join(sorted(s))),
        source=("source", "first"))
    return out.sort_values("share", ascending=False).reset_index(drop=True)


def brief_tables(world: World, bloc: str = "TRILATERAL", against: str = "CHN",
                 top: int = 10) -> dict[str, pd.DataFrame]:
    """Sections of the brief, each a DataFrame with its sources."""
    members = resolve_bloc(bloc)
    rival = resolve_bloc(against)
    chk = analysis.chokepoints(bloc, against, world)
    cols = ["good", "holder_share", "target_dependence", "non_substitutability",
            "value_at_stake_usd_bn", "score", "source"]
    exposure = chk[chk["direction"] == "exposure"][cols].head(top)
    leverage = chk[chk["direction"] == "leverage"][cols].head(top)
    on_rival = _import_dependence(world, members, rival, exclude_self=True).head(top)
    intra = _import_dependence(world, members, members, exclude_self=True)
    intra = intra[intra["share"] >= 0.5].head(top)
    ss = analysis.self_sufficiency(bloc, world).head(top)
    return {
        f"{bloc.upper()} exposure to {against.upper()} (chokepoints held by {against.upper()})":
            exposure,
        f"{bloc.upper()} leverage over {against.upper()} (chokepoints held by {bloc.upper()})":
            leverage,
        f"Largest recorded import dependences of {bloc.upper()} members on {against.upper()}":
            on_rival,
        f"Dependences inside {bloc.upper()} (one member on another, share >= 50%)": intra,
        f"Lowest self-sufficiency of {bloc.upper()} (share of members' supply sourced inside)":
            ss,
    }


_SHORT = {
    "holder_share": "share",
    "target_dependence": "dependence",
    "non_substitutability": "non-subst",
    "value_at_stake_usd_bn": "at stake $bn",
    "self_sufficiency": "self-suff",
    "world_share": "world share",
    "outside_top_supplier": "top outside",
    "outside_top_share": "its share",
}


def print_brief(world: World, bloc: str = "TRILATERAL", against: str = "CHN",
                top: int = 10, *, runs: int = 10, seed: int = 0,
                workers: int | None = 1) -> None:
    """Key findings first (:func:`econsec.reports.findings.key_findings`), then
    :func:`brief_tables` and the replay skill, rendered with rich, then the sources.
    *workers*: processes for the replays (:func:`econsec.policy.skill.score_replays`)."""
    import datetime as dt

    from rich.console import Console
    from rich.panel import Panel

    from econsec.reports.findings import key_findings
    from econsec.reports.tables import rich_table

    console = Console()
    skill, digest, problem = _runs(world, runs, seed, workers)
    found = key_findings(world, bloc, against, as_of=dt.datetime.now(dt.UTC).year,
                         skill=skill, forward=digest)
    console.print("[bold]Key findings[/]")
    for i, f in enumerate(found, 1):
        console.print(f"  {i}. {f.text} [{', '.join(f.source_ids)}]", highlight=False)
    if problem:
        console.print(f"[yellow]  replays and forward scenario not stated: {problem}[/]")
    tables = brief_tables(world, bloc, against, top)
    console.print(Panel.fit(
        f"[bold]econsec brief[/]: {bloc.upper()} ({', '.join(sorted(resolve_bloc(bloc)))})"
        f" against {against.upper()}\nworld {world.version}: {len(world.goods)} goods,"
        f" {len(world.edges)} supply links, {len(world.measures)} measures,"
        f" {len(world.sources)} sources\nscore = holder share x non-substitutability x value"
        " at stake (0-1); shares are fractions of world supply or of imports"))
    cited: set[str] = {s for f in found for s in f.source_ids if s in world.sources}
    for title, frame in tables.items():
        console.print(rich_table(frame.rename(columns=_SHORT), title))
        for s in frame.get("source", pd.Series(dtype=str)).dropna():
            cited.update(x for x in str(s).split(";") if x in world.sources)
    if skill is not None:
        _print_replays(console, skill, runs)
    console.print("[bold]Sources[/]")
    for sid in sorted(cited):
        console.print(f"  [{sid}] {world.sources[sid].citation()}", highlight=False)


def _runs(world: World, runs: int, seed: int, workers: int | None = 1
          ) -> tuple[Any, Any, str]:
    """The replay skill (on *workers* processes) and the default forward scenario's
    digest, or (None, None, why) for a world that cannot run them (a DataError: missing
    measures, goods, economies)."""
    from econsec.errors import DataError
    from econsec.policy.runner import run_scenario
    from econsec.policy.skill import score_replays
    from econsec.reports.findings import DEFAULT_FORWARD, forward_digest, scenario_sources

    try:
        skill = score_replays(world, runs=runs, seed=seed, workers=workers)
        out = run_scenario(DEFAULT_FORWARD, world, runs=runs, seed=seed)
    except DataError as exc:
        return None, None, f"this world cannot run them ({exc})"
    digest = forward_digest(out, scenario_sources(world, out.scenario.text))
    return skill, digest, ""


def _print_replays(console: Any, skill: Any, runs: int) -> None:
    """Replays of real episodes: documented vs simulated change per outcome, whether it is
    counted in the skill (validation) or only shown (calibration)."""
    from econsec.reports.findings import CALIBRATION_MARK
    from econsec.reports.tables import rich_table

    o = skill.outcomes
    partner = o["partner"].map(lambda p: f"<-{p}" if p else "")
    shown = pd.DataFrame({
        "replay": o["scenario"],
        "outcome": o["metric"] + " " + o["economy"] + partner + " " + o["good"] + ", "
        + o["period"].astype(str).str.split(" (", n=1, regex=False).str[0],
        "doc": o["documented"].map(_pct),
        "sim": o["simulated"].map(lambda x: _pct(x) or "n/s"),
        "counted": o["role"].map(lambda r: CALIBRATION_MARK if r == "calibration"
                                 else "validation"),
        "dir ok": o["direction_ok"].map({True: "yes", False: "no"}).fillna("-"),
    })
    console.print(rich_table(shown, f"Replays: documented (doc) vs simulated (sim, median of "
                                    f"{runs} runs) relative change (n/s: not simulated in "
                                    "this world); sources in the scenario files"))
    s = skill.summary
    console.print(rich_table(s, "Replay skill: validation outcomes only (calibration "
                                "outcomes shown above, not counted)"))
    for name, note in skill.notes.items():  # later figures standing in: said
        console.print(f"note: {name}: {note}", highlight=False)


def _pct(x: Any) -> str:
    return "" if x is None or pd.isna(x) else f"{x:+.0%}"
