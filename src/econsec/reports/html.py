"""The analyst's brief as a document: sections of tables and SVG figures, each with the
sources behind it, rendered as one self-contained HTML file (:func:`render_html`) or as
Markdown (:func:`econsec.reports.markdown.render_markdown`).

:func:`build_brief` computes everything once:

1. exposure and chokepoints in both directions, with an exposure heat map (bloc members x
   goods, share of imports from the rival) and the supply network with the paths
   downstream of the rival's chokepoints highlighted;
2. the mutual-leverage table (each side's chokepoints over the other);
3. complementarity-vs-competition trends (when a trade panel is available);
4. the replays and one forward-looking scenario with p5-p95 bands and trade diversion
   (every shipped replay and the first forward-looking scenario);
5. the list of sources cited by any table or figure.

Nothing is fetched: the HTML has no external script, style or image (only citation links).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data.world import World
from econsec.reports.document import BriefDoc, Figure, Section, Table
from econsec.reports.findings import CALIBRATION_MARK, DEFAULT_FORWARD
from econsec.reports.findings import scenario_sources as _scenario_sources


def _ids(frame: pd.DataFrame) -> set[str]:
    if "source" not in frame.columns:
        return set()
    return {x for s in frame["source"].dropna() for x in str(s).split(";") if x}


def mutual_leverage(chk: pd.DataFrame, bloc: str, against: str) -> pd.DataFrame:
    """One row per direction of :func:`econsec.analysis.chokepoints` (bloc, against):
    number of chokepoints, summed score and value at stake, and the top three goods."""
    rows = []
    for direction, holder, target in (("exposure", against, bloc), ("leverage", bloc, against)):
        f = chk[chk["direction"] == direction].sort_values("score", ascending=False)
        rows.append({"holder": holder, "over": target, "chokepoints": len(f),
                     "total_score": float(f["score"].sum()),
                     "value_at_stake_usd_bn": float(f["value_at_stake_usd_bn"].sum()),
                     "top_goods": ", ".join(f["good"].head(3)),
                     "source": ";".join(sorted(_ids(f)))})
    return pd.DataFrame(rows)


def _exposure_section(world: World, bloc: str, against: str, top: int,
                      chk: pd.DataFrame) -> Section:
    from econsec import analysis
    from econsec.data.world import stage_order
    from econsec.reports import figures
    from econsec.reports.brief import brief_tables

    sec = Section(f"Exposure and chokepoints: {bloc} and {against}",
                  "score = holder share of world supply x non-substitutability x value at "
                  "stake (0-1); shares are fractions of world supply or of imports.")
    for title, frame in brief_tables(world, bloc, against, top).items():
        sec.tables.append(Table(title, frame.reset_index(drop=True)))
    from econsec.reports.names import Names

    names = Names.of(world)
    mat, srcs = analysis.dependence_matrix(bloc, against, world)
    if not mat.empty:
        shown = mat.iloc[:, :30]
        shown = shown.set_axis([names.economy(c) for c in shown.index], axis=0).set_axis(
            [names.good(g) for g in shown.columns], axis=1)
        label = f"share of imports from {names.bloc_short(against)} (0-1)"
        sec.figures.append(Figure(
            "exposure_heatmap", f"Exposure heat map: share of the imports of "
            f"{names.bloc(bloc)} from {names.bloc_short(against)}", figures.exposure_heatmap(
                shown, "", label=label), srcs,
            "recorded bilateral import shares (latest year per importer and good)",
            axes=[label]))
    shocked = list(chk[chk["direction"] == "exposure"].sort_values(
        "score", ascending=False)["good"].head(5))
    if shocked:
        reached, hot = figures.shocked_paths(world.edges, shocked)
        edges = world.edges
        on_path = edges[[(a, b) in hot for a, b in zip(edges["input"], edges["output"],
                                                       strict=True)]]
        svg = figures.network_diagram(world.goods, edges, stage_order(), shocked=shocked)
        sec.figures.append(Figure(
            "network", f"Supply network downstream of {against}'s top chokepoints "
            f"({', '.join(shocked)}): shocked goods red, paths reached orange",
            svg, sorted(_ids(on_path) | _ids(chk[chk["good"].isin(shocked)])),
            f"{len(reached)} goods and {len(hot)} supply links lie downstream"))
    return sec


def _leverage_section(chk: pd.DataFrame, bloc: str, against: str) -> Section:
    return Section("Mutual leverage", "Each side's chokepoints over the other (from the "
                   "chokepoint table above).",
                   tables=[Table(f"{bloc} vs {against}", mutual_leverage(chk, bloc, against))])


#: what each index of the trends chart is, in words
INDEX_WORDS = {"tci_a_to_b": "TCI, {a}'s exports to {b}", "tci_b_to_a": "TCI, {b}'s exports "
               "to {a}", "esi": "ESI (export similarity)", "gl": "Grubel-Lloyd (two-way trade)"}


def _trends_figure(long: pd.DataFrame, sid: str, world: World | None) -> Figure:
    """The trends figure of :func:`econsec.analysis.trade.compare`-shaped rows: 0-100
    indices and 0-1 shares in separate panels, significant breaks marked."""
    from econsec.analysis.trade import index_breaks
    from econsec.reports import figures

    names = None
    if world is not None:
        from econsec.reports.names import Names

        names = Names.of(world)

    def label(a: str, b: str, index: str) -> str:
        if names is None:
            return f"{a}-{b} {index}"
        na, nb = names.economy(a), names.economy(b)
        return f"{na}-{nb}: " + INDEX_WORDS.get(index, index).format(a=na, b=nb)

    try:
        breaks = index_breaks(long)
    except ValueError:
        breaks = None
    panels = figures.index_panels(long, breaks, label=label)
    axes = ["year", "index (0-100)"] + (["Grubel-Lloyd index (0-1)"]
                                        if long["index"].isin(figures.SHARE_INDICES).any()
                                        else [])
    return Figure("trends", "Complementarity and competition by year", panels, [sid],
                  "Top: indices on a 0-100 scale; bottom: shares on a 0-1 scale; rings "
                  "mark significant structural breaks (sup-F, 5%), their year and "
                  "direction in the legend", axes=axes)


def _trends_section(db: Path | None, world: World | None = None) -> Section:
    from econsec.reports.trends import NO_PANEL_NOTE, find_trade_panel, pair_trends

    sec = Section("Complementarity vs competition",
                  "Trade complementarity index (TCI, Michaely 1996: 100 = one's exports "
                  "match the other's imports) and export similarity index (ESI, Finger & "
                  "Kreinin 1979: 100 = identical export structures, i.e. competitors).")
    rows = _compare_pairs(db)
    if rows is not None:
        src, long = rows
        long = long.dropna(subset=["value"])
        sid = f"trade_panel_{src}"
        sec.figures.append(_trends_figure(long, sid, world))
        wide = long.pivot_table(index=["year", "economy_a", "economy_b"], columns="index",
                                values="value", aggfunc="first").reset_index()
        sec.tables.append(Table("Indices by year", wide.rename_axis(columns=None)
                                .assign(source=sid)))
        return sec
    try:
        panel = find_trade_panel(db)
    except Exception as exc:  # a broken store must not break the brief
        sec.notes.append(f"trade panel unreadable: {exc}")
        return sec
    if panel is None:
        sec.notes.append(NO_PANEL_NOTE)
        return sec
    trends = pair_trends(panel.flows)
    long = trends.melt(id_vars=["year", "pair"], var_name="index", value_name="value")
    pair = long["pair"].str.split("-", n=1, expand=True)
    long = long.assign(economy_a=pair[0], economy_b=pair[1]).dropna(subset=["value"])
    sid = f"trade_panel_{panel.dataset}"
    sec.figures.append(_trends_figure(long, sid, world))
    sec.tables.append(Table("Indices by year", trends.assign(source=sid)))
    return sec


def _compare_pairs(db: Path | None) -> tuple[str, pd.DataFrame] | None:
    """KOR-CHN and JPN-CHN rows of :func:`econsec.analysis.compare` from the first
    store panel that has them (wiod, baci, comtrade), or None."""
    from econsec.analysis import trade as ta

    for src in ("wiod", "baci", "comtrade"):
        try:
            frames = [ta.compare(a, "CHN", source=src, db=db) for a in ("KOR", "JPN")]
        except (LookupError, ValueError, OSError):
            continue
        return src, pd.concat(frames, ignore_index=True)
    return None




def skill_tables(skill: Any, names: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The replay skill for reading: the summary (validation outcomes only) and one row per
    outcome, calibration rows marked :data:`CALIBRATION_MARK`, goods and economies named."""
    o = skill.outcomes
    shown = pd.DataFrame({
        "replay": o["scenario"],
        "outcome": [f"{m.replace('_', ' ')}: {names.economy(e)}"
                    + (f" from {names.economy(p)}" if p else "") + f", {names.good(g)}"
                    for m, e, p, g in zip(o["metric"], o["economy"], o["partner"], o["good"],
                                          strict=True)],
        "period": o["period"],
        "unit": o["unit"],  # what the documented change counts (tonnes, kg, usd ...)
        "documented": pd.to_numeric(o["documented"], errors="coerce").round(2),
        "simulated": pd.to_numeric(o["simulated"], errors="coerce").round(2),
        "tolerance": pd.to_numeric(o["tolerance"], errors="coerce").round(2),
        "direction right": o["direction_ok"].map({True: "yes", False: "no"}).fillna("-"),
        "within tolerance": o["within_tolerance"].map({True: "yes", False: "no"}).fillna("-"),
        "counted": [CALIBRATION_MARK if r == "calibration" else
                    ("validation (not simulated: a miss)" if st == "not simulated"
                     else "validation") for r, st in zip(o["role"], o["status"], strict=True)],
        "citation": o["source"]})  # addresses in the per-replay tables below
    summary = skill.summary.copy()
    for col in ("direction_ok_pct", "within_tolerance_pct"):
        summary[col] = pd.to_numeric(summary[col], errors="coerce").round(0)
    summary = summary.rename(columns={
        "validation": "validation outcomes", "direction_ok": "direction right",
        "within_tolerance": "within tolerance", "direction_ok_pct": "direction right (%)",
        "within_tolerance_pct": "within tolerance (%)", "not_simulated": "not simulated",
        "calibration": "calibration (not counted)"})
    return summary, shown


@dataclass(frozen=True)
class _RunView:
    """What the brief reads of one scenario's run, formed where the run ran (a worker
    process, or this one): *error* is the reason a world cannot resolve the scenario
    ("" when it ran); *scenario* the scenario loaded and *sources* its sources (so the
    caller neither loads nor resolves them again); *scored* a replay's scored outcomes,
    *digest* a forward scenario's :class:`~econsec.reports.findings.ForwardDigest`."""

    name: str
    error: str = ""
    scenario: Any = None
    sources: tuple[str, ...] = ()
    note: str = ""
    timeseries: pd.DataFrame | None = None
    diversion: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    scored: pd.DataFrame | None = None
    digest: Any = None
    runs: int = 0
    seed: int = 0
    horizon_days: int = 0


def _run_view(shared: tuple[World, int, int], name: str) -> _RunView:
    """Run shipped scenario *name* (``shared``: world, runs, seed) and keep its
    :class:`_RunView`."""
    from econsec.errors import DataError
    from econsec.policy.runner import run_scenario
    from econsec.policy.scenarios import load_named
    from econsec.policy.skill import score_outcomes
    from econsec.reports.findings import forward_digest

    world, runs, seed = shared
    try:
        scenario = load_named(name, world)
        out = run_scenario(scenario, world, runs=runs, seed=seed)
    except DataError as exc:  # a world without the scenario's measures, goods, ...
        return _RunView(name, error=str(exc))
    replay = scenario.kind == "replay"
    srcs = _scenario_sources(world, scenario.text)
    return _RunView(
        name, scenario=scenario, sources=tuple(srcs), note=out.backcast_note(named=3),
        timeseries=out.timeseries(), diversion=out.diversion(), outcomes=out.outcomes,
        scored=score_outcomes(scenario, out.result) if replay else None,
        digest=None if replay else forward_digest(out, list(srcs)),
        runs=out.runs, seed=out.seed, horizon_days=out.horizon_days)


def _scenario_section(world: World, runs: int, seed: int, workers: int | None = 1
                      ) -> tuple[Section, Any, Any]:
    """The replays and the forward scenario; also the replay :class:`Skill` and the
    forward scenario's :class:`ForwardDigest` (None when not run) for the key findings.
    The scenarios run side by side on *workers* processes
    (:func:`econsec.policy.skill.scenario_workers`; the same document for any number)."""
    from econsec.distributed.executors import map_ordered
    from econsec.policy.scenarios import load_named, scenario_names
    from econsec.policy.skill import Skill, scenario_workers, skill_summary
    from econsec.reports import figures
    from econsec.reports.names import Names

    names = Names.of(world)
    sec = Section("Replays and a forward-looking scenario",
                  f"Monte Carlo runs of the shipped scenarios ({runs} draws, seed {seed}); "
                  f"lines are medians, bands p5-p95 over the {runs} runs.")
    kinds = {name: load_named(name).kind for name in scenario_names()}
    chosen = [n for n, k in kinds.items() if k == "replay"]
    forwards = [n for n, k in kinds.items() if k != "replay"]
    chosen += [DEFAULT_FORWARD] if DEFAULT_FORWARD in forwards else forwards[:1]
    rows = []
    checks: list[pd.DataFrame] = []
    scored: list[pd.DataFrame] = []
    digest = None
    views = map_ordered(_run_view, (world, runs, seed), chosen,
                        scenario_workers(len(chosen), runs, workers),
                        preload=(__name__, "econsec.simulation.preload"))
    for out in views:
        name = out.name
        if out.error:
            sec.notes.append(f"{name}: not run, this world cannot resolve it ({out.error})")
            continue
        scenario, srcs = out.scenario, list(out.sources)
        if out.note:  # later figures standing in for its year
            sec.notes.append(f"{name}: {out.note}")
        if out.scored is not None:
            scored.append(out.scored)
        if out.digest is not None:
            digest = out.digest
        srcs.append(f"run:{name}")
        ts, diversion = out.timeseries, out.diversion
        assert ts is not None and diversion is not None  # (a view that ran)
        description = " ".join(scenario.description.split())[:600]
        metric = figures.headline_metric(ts)
        band = figures.band_frame(ts, labels=names.economy, goods=names.good)
        ylabel = figures.metric_label(metric)
        sec.figures.append(Figure(
            f"run_{name}", f"{scenario.title} ({scenario.kind})", figures.band_timeseries(
                band, start=scenario.start, runs=out.runs, ylabel=ylabel), srcs,
            description[:400].rsplit(". ", 1)[0], axes=["date", ylabel]))
        div = _diversion_bars(diversion)
        if div is not None:
            div = div.assign(supplier=div["supplier"].map(names.economy),
                             change=100.0 * div["change"])
            div = div[div["change"].abs() >= 0.5]  # bars under half a point are invisible
            xlabel = "summed change in share of buyers' supply (percentage points)"
        if div is not None and div.empty:
            sec.notes.append(f"{name}: no supplier's share moved by half a point or more "
                             "(no trade-diversion chart)")
        elif div is not None:
            sec.figures.append(Figure(f"div_{name}", f"{scenario.title}: trade diversion",
                                      figures.diversion_bars(div, title="", xlabel=xlabel),
                                      srcs, axes=[xlabel]))
        checked = _checked_outcomes(out.outcomes)
        if checked is not None:
            checks.append(checked.assign(scenario=name))
            sec.tables.append(Table(
                f"{name}: documented vs simulated ({out.runs} runs, median)", checked))
        rows.append({"scenario": name, "kind": scenario.kind, "runs": out.runs,
                     "seed": out.seed, "horizon_days": out.horizon_days,
                     "source": ";".join(srcs)})
    skill = None
    if scored:
        outcomes = pd.concat(scored, ignore_index=True)
        skill = Skill(outcomes, skill_summary(outcomes), runs=runs)
        summary, shown = skill_tables(skill, names)
        sec.tables.insert(0, Table(
            "Replay skill: validation outcomes scored (calibration outcomes shown, not "
            "counted)", summary, "a validation outcome the world cannot simulate counts "
            "as a miss"))
        sec.tables.insert(1, Table("Replay skill by outcome", shown))
    if checks:
        both = pd.concat(checks, ignore_index=True)
        both = both[both["metric"] != "price"]  # price changes: other scale, in the tables
        # names in words and the whole period (up to its parenthesis), never cut mid-word
        both = both.assign(label=[
            f"{sc}: {m.replace('_', ' ')} {names.economy(e)}"
            + (f" from {names.economy(pt)}" if isinstance(pt, str) and pt else "")
            + f", {names.good(g)}, {str(per).split(' (', 1)[0]}"
            for sc, m, e, pt, g, per in zip(both["scenario"], both["metric"],
                                            both["economy"], both["partner"], both["good"],
                                            both["period"], strict=True)])
        xlabel = "relative change (fraction, -1 = all lost)"
        sec.figures.insert(0, Figure(
            "replay_outcomes", "Replays: documented vs simulated change",
            figures.documented_vs_simulated(both, title="", xlabel=xlabel),
            [f"run:{n}" for n in dict.fromkeys(both["scenario"])],
            "Each documented outcome (customs data, company and press reports; citations "
            "in the tables below) beside the simulated median over the runs",
            axes=[xlabel]))
    if rows:
        sec.tables.append(Table("Runs shown", pd.DataFrame(rows)))
    return sec, skill, digest


def _checked_outcomes(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Documented vs simulated relative changes of a run, rounded for reading (None when
    the scenario documents no outcome)."""
    if frame.empty:
        return None
    keep = ["metric", "economy", "partner", "good", "period", "documented_change",
            "simulated_change", "direction_matches", "source", "url"]
    out = frame[[c for c in keep if c in frame.columns]].copy()
    for col in ("documented_change", "simulated_change"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(2)
    return out.rename(columns={"documented_change": "documented",
                               "simulated_change": "simulated",
                               "direction_matches": "direction matches",
                               "source": "citation"})


def _diversion_bars(div: pd.DataFrame) -> pd.DataFrame | None:
    """Each supplier's summed change of sourcing share (the twelve largest moves) from a
    run's diversion frame; None when the run diverted nothing."""
    if div.empty:
        return None
    agg = div.groupby("supplier", as_index=False)["change"].sum()
    agg = agg.reindex(agg["change"].abs().sort_values(ascending=False).index).head(12)
    return agg


def build_brief(world: World, bloc: str = "TRILATERAL", against: str = "CHN", *,
                top: int = 10, runs: int = 50, seed: int = 0, db: Path | None = None,
                scenarios: bool = True, workers: int | None = 1) -> BriefDoc:
    """Compute every section of the brief (see the module docstring); the scenarios run on
    *workers* processes (None: chosen by the machine, :func:`_scenario_section`)."""
    from econsec import analysis
    from econsec.domain import resolve_bloc
    from econsec.reports.findings import SKILL_SOURCE, key_findings, world_source

    bloc, against = bloc.upper(), against.upper()
    now = dt.datetime.now(dt.UTC)
    chk = analysis.chokepoints(bloc, against, world)
    sections = [_exposure_section(world, bloc, against, top, chk),
                _leverage_section(chk, bloc, against), _trends_section(db, world)]
    skill = digest = None
    if scenarios:
        scen, skill, digest = _scenario_section(world, runs, seed, workers)
        sections.append(scen)
    found = key_findings(world, bloc, against, as_of=now.year, chokepoints=chk, skill=skill,
                         forward=digest)
    opening = Section("Key findings", "Generated from the analysis below; each figure with "
                      "its year and a footnote to its source.", findings=found)
    if scenarios and skill is None:
        opening.notes.append("no replay could be run on this world: the replay skill is "
                             "not stated")
    if scenarios and digest is None:
        opening.notes.append(f"the forward scenario {DEFAULT_FORWARD} could not be run on "
                             "this world (or showed no loss for the bloc): not stated")
    sections.insert(0, opening)
    cited: set[str] = set()
    for sec in sections:
        for fnd in sec.findings:
            cited |= set(fnd.source_ids)
        for t in sec.tables:
            cited |= _ids(t.frame)
        for f in sec.figures:
            cited |= set(f.sources)
    sources: dict[str, tuple[str, str]] = {}
    for sid in sorted(cited):
        if sid in world.sources:
            s = world.sources[sid]
            sources[sid] = (s.citation(), s.url)
        elif sid.startswith("run:"):
            sources[sid] = (f"econsec simulation of shipped scenario {sid[4:]} on world "
                            f"{world.version} ({runs} runs, seed {seed})", "")
        elif sid == SKILL_SOURCE:
            sources[sid] = (f"econsec replay skill: every shipped replay run on world "
                            f"{world.version} ({runs} runs, seed {seed}) and scored against "
                            "its documented outcomes (validation outcomes only; citations "
                            "of the outcomes in the replay tables)", "")
        elif sid == world_source(world):
            sources[sid] = (f"econsec world {world.version}: the year columns of its "
                            "bilateral, world_shares, domestic_shares and edges tables and "
                            "goods' market_year", "")
        elif sid.startswith("trade_panel_"):
            sources[sid] = (f"trade panel imported into the econsec store ({sid[12:]})", "")
    members = ", ".join(sorted(resolve_bloc(bloc)))
    return BriefDoc(
        title=f"econsec brief: {bloc} against {against}",
        subtitle=f"{bloc} = {members}; world {world.version}: {len(world.goods)} goods, "
                 f"{len(world.edges)} supply links, {len(world.measures)} measures",
        sections=sections, sources=sources,
        generated=now.strftime("%Y-%m-%d %H:%M UTC"))


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#212529;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1f5fa8;padding-bottom:.2em;
margin-top:2em}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1.2em}
th,td{border:1px solid #dee2e6;padding:3px 6px;text-align:left;vertical-align:top}
td.u{overflow-wrap:anywhere;min-width:14em}.tw{overflow-x:auto}
th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 1.6em;overflow-x:auto}figure svg{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#495057}.note{background:#fff4e6;padding:.5em .8em;
border-left:4px solid #e67700}.src{font-size:.85em}.muted{color:#6c757d}
ul.findings{font-size:1.08em;line-height:1.5}ul.findings li{margin:.35em 0}
ol.fn{font-size:.8em;color:#495057}
"""


def _cell(v: Any) -> tuple[str, bool]:
    if v is None or (isinstance(v, float) and v != v):
        return "", False
    if isinstance(v, float):
        return (f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"), True
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v), True
    return str(v), False


def _source_links(ids: list[str] | set[str]) -> str:
    return ", ".join(f'<a href="#src-{html.escape(i)}">{html.escape(i)}</a>' for i in
                     sorted(ids))


def table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, v in zip(frame.columns, row, strict=True):
            if col == "source" and isinstance(v, str):
                cells.append(f"<td>{_source_links([x for x in v.split(';') if x])}</td>")
                continue
            text, num = _cell(v)
            if text.startswith(("http://", "https://")):  # long addresses wrap anywhere
                cells.append(f'<td class="u">{html.escape(text)}</td>')
                continue
            cells.append(f'<td class="n">{html.escape(text)}</td>' if num
                         else f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def findings_html(found: list[Any]) -> str:
    """The key findings as a list, each sentence with a footnote number; the footnotes
    under it link each source id to its entry in the Sources list."""
    e = html.escape
    items = "".join(f'<li>{e(f.text)}<sup><a href="#fn-{i}" id="fnref-{i}">[{i}]</a>'
                    "</sup></li>" for i, f in enumerate(found, 1))
    notes = "".join(f'<li id="fn-{i}">{_source_links(f.source_ids)} '
                    f'<a href="#fnref-{i}" class="muted">\u21a9</a></li>'
                    for i, f in enumerate(found, 1))
    return (f'<ul class="findings">{items}</ul><ol class="fn src">{notes}</ol>')


def render_html(doc: BriefDoc) -> str:
    """One self-contained HTML page: inline CSS and SVG, no scripts, no external assets."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
             f"{e(doc.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(doc.title)}</h1><p class=\"muted\">{e(doc.subtitle)}<br>generated "
             f"{e(doc.generated)}</p>"]
    for sec in doc.sections:
        parts.append(f"<section><h2>{e(sec.title)}</h2>")
        if sec.intro:
            parts.append(f"<p>{e(sec.intro)}</p>")
        parts.extend(f'<p class="note">{e(n)}</p>' for n in sec.notes)
        if sec.findings:
            parts.append(findings_html(sec.findings))
        for f in sec.figures:
            note = f" {e(f.note.rstrip('.'))}." if f.note else ""
            parts.append(f'<figure id="fig-{e(f.key)}"><h3>{e(f.title)}</h3>{f.svg}'
                         f"<figcaption>{note} Sources: {_source_links(f.sources)}"
                         "</figcaption></figure>")
        for t in sec.tables:
            parts.append(f"<h3>{e(t.title)}</h3>")
            parts.append(f'<div class="tw">{table_html(t.frame)}</div>' if not t.frame.empty
                         else '<p class="muted">no rows</p>')
        parts.append("</section>")
    parts.append("<section><h2>Sources</h2><ol class=\"src\">")
    for sid, (citation, url) in doc.sources.items():
        link = (f' <a href="{e(url, quote=True)}">{e(url)}</a>'
                if url.startswith(("http://", "https://")) else "")
        parts.append(f'<li id="src-{e(sid)}"><b>[{e(sid)}]</b> {e(citation)}{link}</li>')
    parts.append("</ol></section></body></html>")
    return "\n".join(parts)


@functools.lru_cache(maxsize=8)
def cached_brief_html(world: World, bloc: str, against: str) -> str:
    """The HTML brief for the API, computed once per world, bloc and rival."""
    return render_html(build_brief(world, bloc, against, runs=20))


def write_brief(world: World, out: Path, fmt: str = "html", *, bloc: str = "TRILATERAL",
                against: str = "CHN", top: int = 10, runs: int = 50, seed: int = 0,
                db: Path | None = None, workers: int | None = 1) -> Path:
    """Write the brief to *out* as ``html`` or ``md`` (SVGs beside the Markdown file);
    *workers* as for :func:`build_brief`."""
    doc = build_brief(world, bloc, against, top=top, runs=runs, seed=seed, db=db,
                      workers=workers)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        from econsec.reports.markdown import render_markdown

        out.write_text(render_markdown(doc, out.parent, out.stem), encoding="utf-8")
    elif fmt == "html":
        out.write_text(render_html(doc), encoding="utf-8")
    else:
        raise ValueError("format must be 'html' or 'md'")
    return out
