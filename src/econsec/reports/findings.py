"""Key findings: the brief's opening sentences, generated from the analysis (never written
by hand). Each :class:`Finding` carries its sentence, the number it states, the date or year
of that number and the source ids behind it (rendered as a footnote).

:func:`key_findings` is pure: it reads the world, the chokepoint table
(:func:`econsec.analysis.chokepoints`), an optional replay skill score
(:func:`econsec.policy.skill.score_replays`) and an optional forward-scenario digest
(:func:`forward_digest` of a :class:`~econsec.policy.runner.RunOutput`), and writes, in
order:

1. the largest exposure: the rival's share of world supply of the good with the highest
   chokepoint score (score = holder share x non-substitutability x value at stake);
2. the largest recorded import dependence of a bloc member on the rival;
3. the count and summed score of chokepoints each way (the balance of leverage);
4. the bloc's strongest lever: its share of world supply of the good with the highest
   leverage score and the rival's dependence on it;
5. what the replays say: validation outcomes right in direction and within tolerance
   (calibration outcomes are shown elsewhere, never counted), with the runs of each replay
   when the score records them (the simulated values are medians over those runs);
6. what the default forward scenario says: the bloc member's good with the largest median
   output loss (US$ bn, p5-p95 over the runs);
7. how stale the data are: dated figures (rows of ``bilateral``, ``world_shares``,
   ``domestic_shares``, ``edges`` and goods' ``market_year``) older than *stale_years*
   at *as_of* (``as_of - year > stale_years``).

Findings 5 and 6 are left out when their input is not given (a world that cannot run the
replays); the caller says why in a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.data.world import World
from econsec.reports.names import Names

if TYPE_CHECKING:
    from econsec.policy.runner import RunOutput
    from econsec.policy.skill import Skill

#: synthetic source ids the brief resolves to citations of its own computations
SKILL_SOURCE = "skill:replays"
#: the forward scenario the brief runs and the key findings quote
DEFAULT_FORWARD = "chn_full_ban_trilateral"
#: how a calibration outcome is marked wherever the replay skill is shown
CALIBRATION_MARK = "calibration \u2014 not counted"


def world_source(world: World) -> str:
    return f"world:{world.version}"


@dataclass(frozen=True)
class Finding:
    """One sentence of the key findings: *value* is the number it states, *year* the date
    or year (or range) of that number, *source_ids* the sources of its footnote."""

    text: str
    value: float
    year: str
    source_ids: list[str]


@dataclass(frozen=True)
class ForwardDigest:
    """What the key findings need of a forward scenario's run: its name, title, start,
    horizon, runs, the run's summary frame (economy, good, loss_usd_bn_p5/p50/p95, ...)
    and the source ids of the measures it switches on."""

    name: str
    title: str
    start: dt.date
    horizon_days: int
    runs: int
    summary: pd.DataFrame
    source_ids: list[str] = field(default_factory=list)


def forward_digest(out: RunOutput, source_ids: list[str]) -> ForwardDigest:
    """The :class:`ForwardDigest` of a forward scenario's run."""
    return ForwardDigest(out.name, out.scenario.title, out.scenario.start, out.horizon_days,
                         out.runs, out.summary(), list(source_ids))


def _ids(frame: pd.DataFrame) -> list[str]:
    return sorted({x for s in frame["source"].dropna() for x in str(s).split(";") if x})


def _years(years: pd.Series) -> str:
    ys = pd.to_numeric(years, errors="coerce").dropna().astype(int)
    lo, hi = int(ys.min()), int(ys.max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def dated_figures(world: World) -> pd.Series:
    """Year of every dated figure of *world*: rows of bilateral, world_shares,
    domestic_shares and edges, and goods' market_year where given."""
    parts = [pd.to_numeric(getattr(world, t)["year"], errors="coerce")
             for t in ("bilateral", "world_shares", "domestic_shares", "edges")]
    parts.append(pd.to_numeric(world.goods["market_year"], errors="coerce"))
    return pd.concat(parts, ignore_index=True).dropna().astype(int)


def key_findings(world: World, bloc: str = "TRILATERAL", against: str = "CHN", *,
                 as_of: int, chokepoints: pd.DataFrame | None = None,
                 skill: Skill | None = None, forward: ForwardDigest | None = None,
                 stale_years: int = 3) -> list[Finding]:
    """The key findings of the brief (see the module docstring), in reading order."""
    from econsec import analysis
    from econsec.domain import resolve_bloc

    names = Names.of(world)
    members = resolve_bloc(bloc)
    rival = resolve_bloc(against)
    chk = chokepoints if chokepoints is not None else analysis.chokepoints(bloc, against,
                                                                          world)
    exp = chk[chk["direction"] == "exposure"].sort_values("score", ascending=False,
                                                          kind="stable")
    lev = chk[chk["direction"] == "leverage"].sort_values("score", ascending=False,
                                                          kind="stable")
    who, whom = names.bloc(against), names.bloc_short(bloc)
    out: list[Finding] = []
    if not exp.empty:
        r = exp.iloc[0]
        out.append(Finding(
            f"{_cap(who)} {_v(who, 'supplies', 'supply')} {_pct(r['holder_share'])} of the world's "
            f"{_low(names.good(r['good']))} ({int(r['year'])}), the largest exposure of {whom}: "
            f"chokepoint score {r['score']:.2f} of 1.",
            float(r["holder_share"]), str(int(r["year"])), _ids(exp.iloc[:1])))
    out.extend(_dependence(world, names, members, rival, who))
    out.append(_balance(exp, lev, who, whom))
    if not lev.empty:
        r = lev.iloc[0]
        out.append(Finding(
            f"The strongest lever of {whom} is {_low(names.good(r['good']))}: its members "
            f"supply {_pct(r['holder_share'])} of the world's supply and {who} "
            f"{_v(who, 'relies', 'rely')} on them for "
            f"{_pct(r['target_dependence'])} of its own ({int(r['year'])}).",
            float(r["holder_share"]), str(int(r["year"])), _ids(lev.iloc[:1])))
    if skill is not None:
        out.append(_replays(skill))
    if forward is not None:
        fw = _forward(forward, names, members, whom)
        if fw is not None:
            out.append(fw)
    out.append(_staleness(world, as_of, stale_years))
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _poss(name: str) -> str:
    """"Korea's", "United States'"."""
    return name + ("'" if name.endswith("s") else "'s")


def _low(name: str) -> str:
    """A good's name inside a sentence: "Polysilicon" -> "polysilicon"; acronyms kept
    ("EDA software")."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _v(subject: str, singular: str, plural: str) -> str:
    """The verb agreeing with *subject* ("Japan and Korea hold", "the trilateral holds")."""
    return plural if " and " in subject and not subject.startswith("the ") else singular


def _dependence(world: World, names: Names, members: frozenset[str], rival: frozenset[str],
                who: str) -> list[Finding]:
    bil = world.latest_bilateral()
    rows = bil[bil["importer"].isin(members) & bil["supplier"].isin(rival)
               & (bil["importer"] != bil["supplier"])]
    if rows.empty:
        return []
    agg = rows.groupby(["importer", "good", "year"], as_index=False, sort=True).agg(
        share=("share", "sum"), source=("source", lambda s: ";".join(sorted(set(s)))))
    r = agg.sort_values("share", ascending=False, kind="stable").iloc[0]
    return [Finding(
        f"{names.economy(r['importer'])} buys {_pct(r['share'])} of its "
        f"{_low(names.good(r['good']))} imports from {who} ({int(r['year'])}), the largest "
        "recorded import dependence of a member on it.",
        float(r["share"]), str(int(r["year"])), sorted(str(r["source"]).split(";")))]


def _balance(exp: pd.DataFrame, lev: pd.DataFrame, who: str, whom: str) -> Finding:
    both = pd.concat([exp, lev])
    return Finding(
        f"Counting every chokepoint, {who} {_v(who, 'holds', 'hold')} {len(exp)} over "
        f"{whom} (summed score {exp['score'].sum():.2f}) and {whom} "
        f"{_v(whom, 'holds', 'hold')} {len(lev)} over it (summed score "
        f"{lev['score'].sum():.2f}), on figures from {_years(both['year'])}.",
        float(len(lev)), _years(both["year"]), _ids(both))


def _replays(skill: Skill) -> Finding:
    from econsec.policy.skill import ALL

    s = skill.summary.set_index("scenario").loc[ALL]
    n_rep = int((skill.summary["scenario"] != ALL).sum())
    val = skill.outcomes[skill.outcomes["role"] == "validation"]
    years = val["period"].astype(str).str.extract(r"((?:19|20)\d\d)")[0]
    pct_dir = float(s["direction_ok_pct"]) if pd.notna(s["direction_ok_pct"]) else 0.0
    pct_tol = float(s["within_tolerance_pct"]) if pd.notna(s["within_tolerance_pct"]) else 0.0
    each = "" if skill.runs is None else f"; {skill.runs} runs each"
    return Finding(
        f"Replaying {n_rep} past episodes ({_years(years)}{each}), the model gets the "
        f"direction right for {int(s['direction_ok'])} of {int(s['validation'])} validation "
        f"outcomes ({pct_dir:.0f}%) and lands within tolerance for "
        f"{int(s['within_tolerance'])} "
        f"({pct_tol:.0f}%); {int(s['calibration'])} calibration outcomes are shown but not "
        "counted.", pct_dir, _years(years), [SKILL_SOURCE])


def _forward(fw: ForwardDigest, names: Names, members: frozenset[str],
             whom: str) -> Finding | None:
    sm = fw.summary[fw.summary["economy"].isin(members)]
    sm = sm.sort_values("loss_usd_bn_p50", ascending=False, kind="stable")
    if sm.empty or not float(sm["loss_usd_bn_p50"].iloc[0]) > 0:
        return None
    r = sm.iloc[0]
    return Finding(
        f"In the forward scenario \"{fw.title}\" (from {fw.start.isoformat()}, "
        f"{fw.horizon_days} days, {fw.runs} runs), the largest loss in {whom} is "
        f"{_poss(names.economy(r['economy']))} {_low(names.good(r['good']))}: a median "
        f"US${r['loss_usd_bn_p50']:.1f} bn of output (p5-p95 {r['loss_usd_bn_p5']:.1f}"
        f"-{r['loss_usd_bn_p95']:.1f}).",
        float(r["loss_usd_bn_p50"]), fw.start.isoformat(), [f"run:{fw.name}", *fw.source_ids])


def _staleness(world: World, as_of: int, stale_years: int) -> Finding:
    years = dated_figures(world)
    if years.empty:
        raise ValueError(f"world {world.version} has no dated figures to judge staleness by")
    old = years[as_of - years > stale_years]
    share = len(old) / len(years)
    return Finding(
        f"{len(old)} of the {len(years)} dated figures in world {world.version} "
        f"({share:.0%}) are more than {stale_years} years old in {as_of} (dated "
        f"{as_of - stale_years - 1} or earlier); the oldest is from {int(years.min())}.",
        float(len(old)), str(as_of), [world_source(world)])


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """The findings as a frame (text, value, year, source) for tables and exports."""
    return pd.DataFrame([{"finding": f.text, "value": f.value, "year": f.year,
                          "source": ";".join(f.source_ids)} for f in findings])


def scenario_sources(world: World, text: str) -> list[str]:
    """Source ids of the registry measures a scenario (its YAML *text*) switches on."""
    import yaml

    doc = yaml.safe_load(text)
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            for m in world.measures:
                if m.id == v:
                    found.add(m.source)
            if v in world.sources:
                found.add(v)

    walk(doc)
    return sorted(found)
