"""Scenarios as YAML: registry measures, inline shocks, levers, parameters and, for replays
of real episodes, the documented historical outcome with its sources.

``load_scenario(path, world)`` reads and validates a file against a strict schema (unknown
keys are rejected; every error names the file, the line and the dotted key) and resolves it,
once, against *world* (default: the built-in world): registry measures and inline shocks
become a ``tuple[Shock, ...]`` and the ``levers:`` section a ``tuple[Lever, ...]``
(:mod:`econsec.simulation.spec`), held by the :class:`Scenario` with that world.
``Scenario.to_spec(world)`` hands them to the engine as a
:class:`~econsec.simulation.spec.SimulationSpec`; it reuses them only for the very world
they were resolved against and resolves the YAML again for any other world (see
:meth:`Scenario.to_spec`). Nothing ever changes the world: a scenario is applied by the
engine to a copy of the baseline (DESIGN principle 4).

Registry measures become shocks (docs/scenarios.md):

==================  =========================================================================
measure type        shock
==================  =========================================================================
export_control      ``ban`` blocking ``intensity`` of each targeted flow
embargo             ``ban`` blocking ``intensity``
licensing           ``licensing``: ``approval_rate`` = 1 - intensity (unless overridden),
                    ``licence_delay`` = the entry's or the measure's ``licence_delay_days``
                    as a :class:`ParamDist` (a number is ``fixed``; else None: the
                    ``licence_delay_days`` parameter)
tariff              ``tariff`` with ad-valorem wedge ``intensity``
coercion            ``ban`` blocking ``intensity`` (informal embargo); ``as: quota`` caps
                    the flow at 1 - intensity of its baseline instead
==================  =========================================================================

Effective and lifted dates become day offsets from the scenario ``start`` (a measure in
force before the start begins at day 0; one lifted before the start is an error). A
measure's ``announced`` date (the entry's, else the registry's) before its effective date
becomes ``Shock.announced`` (buyers front-load in between with ``frontload_days``); an
inline shock may give ``announced:`` (a date or day offset, not after its ``start``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.domain import MeasureType
from econsec.errors import DataError
from econsec.policy.levers import parse_dist, parse_levers, parse_parameters
from econsec.policy.network import NetworkChoice, check_icio_year, parse_network
from econsec.policy.outcomes import Calibration, Outcome, parse_outcomes, split_calibrations
from econsec.policy.outcomes import Citation as Citation  # re-exported
from econsec.policy.resolve import IcioNames, Resolver, check_keys, number, parse_date
from econsec.policy.shipped import NAME_RE, scenario_names, shipped_path
from econsec.policy.yamlpath import KeyPath, Lines, load_located
from econsec.simulation.spec import Lever, ParamDist, Shock, ShockKind, SimulationSpec

if TYPE_CHECKING:
    from econsec.data.world import World

TOP_REQUIRED = ("name", "title", "kind", "start", "horizon")
TOP_OPTIONAL = ("description", "step", "as_of_year", "measures", "shocks", "levers",
                "parameters", "outcomes", "network")
MEASURE_KEYS = ("id", "intensity", "targets", "goods", "effective", "lifted", "as",
                "approval_rate", "licence_delay_days", "announced")
SHOCK_KEYS = ("kind", "imposers", "goods", "start")
SHOCK_OPTIONAL = ("targets", "end", "intensity", "licence_delay_days", "approval_rate",
                  "announced")
#: node shocks (``kind: demand`` / ``kind: outage``): keys and their size key
NODE_SHOCK_KEYS = ("kind", "goods", "start")
NODE_SHOCK_OPTIONAL = ("economies", "end", "ramp_days", "recovery_days")
NODE_SHOCK_SIZE = {ShockKind.demand: ("multiplier", 10.0), ShockKind.outage: ("share", 1.0)}

_DEFAULT_KIND = {
    MeasureType.export_control: ShockKind.ban,
    MeasureType.embargo: ShockKind.ban,
    MeasureType.licensing: ShockKind.licensing,
    MeasureType.tariff: ShockKind.tariff,
    MeasureType.coercion: ShockKind.ban,
}


@dataclass(frozen=True)
class Sections:
    """The YAML of the sections a scenario resolves against a world (``measures``,
    ``shocks``, ``levers``), kept to resolve them again for another world."""

    measures: tuple[object, ...]
    shocks: tuple[object, ...]
    levers: object


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario file. ``text`` is the exact YAML, kept for stored runs.

    *shocks* and *levers* are resolved once, at load, against *world* (the world the
    scenario was loaded with); :meth:`to_spec` reuses them for that world only.
    """

    name: str
    title: str
    description: str
    kind: str  # replay | forward
    start: dt.date
    horizon_days: int
    step_days: int
    as_of_year: int | None
    shocks: tuple[Shock, ...]  # registry measures (in order), then inline shocks
    levers: tuple[Lever, ...]
    parameters: Mapping[str, ParamDist]
    outcomes: tuple[Outcome, ...]
    path: Path
    text: str
    lines: Lines = field(repr=False)
    world: World = field(repr=False)  # what shocks and levers were resolved against
    sections: Sections = field(repr=False)
    calibrations: tuple[Calibration, ...] = ()  # parameters fitted on outcomes (outcomes.py)
    #: the network it runs on (policy/network.py); on icio, *shocks* stay empty until the
    #: scenario is resolved against the imported table (:meth:`spec_on_icio`)
    network: NetworkChoice = field(default_factory=NetworkChoice)

    @property
    def measure_ids(self) -> list[str]:
        """Registry ids used, in order, each once (a measure may be listed per good)."""
        ids = [s.measure_id for s in self.shocks if s.measure_id is not None]
        return list(dict.fromkeys(ids))

    def with_overrides(self, *, horizon: str | int | None = None,
                       step: str | None = None) -> Scenario:
        """A copy with another horizon (``730d``, ``104w`` or days) or step (day|week)."""
        changes: dict[str, Any] = {}
        if horizon is not None:
            changes["horizon_days"] = parse_horizon(self.lines, ("horizon",), horizon)
        if step is not None:
            changes["step_days"] = parse_step(self.lines, ("step",), step)
        return dataclasses.replace(self, **changes)

    def to_spec(self, world: World | None = None) -> SimulationSpec:
        """The engine's spec for *world* (default: the built-in world, ``load_world()``).

        Rule: the shocks and levers resolved at load are reused when *world* is the very
        object they were resolved against (``world is self.world``; the built-in world is
        cached by ``load_world``, so ``None`` is that object while its files are unchanged).
        Any other world, even an equal copy, gets the YAML resolved again against it (with
        the same named errors as a load): ids, economies and goods are never carried
        across worlds unchecked. Reads the world, never changes it."""
        if self.network.on_icio:
            raise self.lines.error(("network",), f"scenario '{self.name}' runs on network "
                                   "icio, not on a world: run it with econsec simulate "
                                   "(policy.runner.run_scenario), which loads the table")
        if world is None:
            from econsec.data.world import load_world

            world = load_world()
        if world is self.world:
            shocks, levers = self.shocks, self.levers
        else:
            shocks, levers = resolve_sections(self.lines, world, self.start, self.sections)
        return SimulationSpec(start=self.start, horizon_days=self.horizon_days,
                              step_days=self.step_days, shocks=shocks, levers=levers,
                              params=self.parameters, as_of_year=self.as_of_year)

    def spec_on_icio(self, names: IcioNames, year: int) -> SimulationSpec:
        """The engine's spec on the OECD ICIO network whose economies and industries are
        *names* (table of *year*): the inline shocks resolved against the table, with the
        same named errors as a load (:mod:`econsec.policy.network`)."""
        if not self.network.on_icio:
            raise ValueError(f"scenario '{self.name}' runs on network world: use to_spec")
        check_icio_year(self.lines, self.as_of_year, year)
        shocks, levers = resolve_sections(self.lines, names, self.start, self.sections)
        return SimulationSpec(start=self.start, horizon_days=self.horizon_days,
                              step_days=self.step_days, shocks=shocks, levers=levers,
                              params=self.parameters, as_of_year=self.as_of_year)

    def outcomes_frame(self) -> pd.DataFrame:
        """The documented outcomes, one row each, with their citations."""
        return pd.DataFrame([{
            "metric": o.metric, "economy": o.economy, "partner": o.partner or "",
            "good": o.good, "direction": o.direction, "magnitude": o.magnitude,
            "range": "" if o.range is None else f"{o.range[0]:+.0%} .. {o.range[1]:+.0%}",
            "period": o.period, "unit": o.unit,
            "source": f"{o.source.publisher}: {o.source.title}",
            "url": o.source.url, "year": o.year, "note": o.note} for o in self.outcomes],
            columns=["metric", "economy", "partner", "good", "direction", "magnitude",
                     "range", "period", "unit", "source", "url", "year", "note"])


# ----- loading ---------------------------------------------------------------------------

def replay_as_of(lines: Lines, as_of: int | None, start: dt.date) -> int:
    """The year of the world a replay reads: its ``as_of_year``, by default the year of its
    start (a replay of a past episode reads the world as it stood then). A later year than
    the start's is refused: it would stand in for the world before the episode with figures
    that may already carry the episode's effects."""
    if as_of is None:
        return start.year
    if as_of > start.year:
        raise lines.error(("as_of_year",), f"a replay starting on {start.isoformat()} cannot "
                          f"read the world as of {as_of}, a later year; give {start.year} "
                          "or earlier (default: the start year)")
    return as_of


def parse_horizon(lines: Lines, key: KeyPath, value: Any) -> int:
    """``730d`` / ``104w`` / ``730`` -> days."""
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", str(value))
        if m is None:
            raise lines.error(key, f"'{value}' is not a horizon (e.g. 730d, 104w or 365)")
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
    if not 1 <= days <= 3650 * 2:
        raise lines.error(key, f"horizon of {days} days is outside 1..7300")
    return days


def parse_step(lines: Lines, key: KeyPath, value: Any) -> int:
    steps = {"day": 1, "week": 7}
    if str(value) not in steps:
        raise lines.error(key, f"step must be 'day' or 'week', got '{value}'")
    return steps[str(value)]


def load_scenario(path: str | Path, world: World | None = None) -> Scenario:
    """Read and validate scenario file *path* and resolve its measures, shocks and levers
    once against *world* (default: the built-in world); the :class:`Scenario` keeps them
    with that world (see :meth:`Scenario.to_spec` for when they are reused).

    Raises :class:`~econsec.errors.DataError` naming the file, line and key of any problem.
    """
    path = Path(path)
    doc, lines = load_located(path)
    doc, fitted = split_calibrations(lines, doc)  # calibrated_on: see policy/outcomes.py
    check_keys(lines, (), doc, TOP_REQUIRED, TOP_OPTIONAL)
    name = str(doc["name"])
    if not NAME_RE.match(name):
        raise lines.error(("name",), f"'{name}' is not a name (lower-case letters, digits, _)")
    kind = str(doc["kind"])
    if kind not in ("replay", "forward"):
        raise lines.error(("kind",), f"kind must be 'replay' or 'forward', got '{kind}'")
    as_of = doc.get("as_of_year")
    if as_of is not None:
        as_of = int(number(lines, ("as_of_year",), as_of, 1990, 2100))
    for sect in ("measures", "shocks", "outcomes"):
        if not isinstance(doc.get(sect, []), list):
            raise lines.error((sect,), "expected a list")
    outcomes, calibrations = parse_outcomes(lines, doc, fitted)
    if outcomes and kind != "replay":
        raise lines.error(("outcomes",), "only replays (kind: replay) document outcomes")
    if world is None:
        from econsec.data.world import load_world

        world = load_world()
    start = parse_date(lines, ("start",), doc["start"])
    horizon_days = parse_horizon(lines, ("horizon",), doc["horizon"])
    step_days = parse_step(lines, ("step",), doc.get("step", "day"))
    parameters = parse_parameters(lines, doc.get("parameters"))
    sections = Sections(measures=tuple(doc.get("measures") or ()),
                        shocks=tuple(doc.get("shocks") or ()), levers=doc.get("levers"))
    network = parse_network(lines, doc.get("network"))
    if kind == "replay" and not network.on_icio:
        as_of = replay_as_of(lines, as_of, start)
    if network.on_icio:
        # names are resolved against the imported table when the scenario runs
        # (Scenario.spec_on_icio); what the network cannot take is refused here
        if sections.measures:
            raise lines.error(("measures",), "registry measures name the world's goods, not "
                              "industries: on network icio give inline shocks: with ICIO "
                              "industry codes (e.g. C26)")
        if sections.levers is not None:
            parse_levers(sections.levers, Resolver(IcioNames([], []), lines, start))
        if outcomes:
            raise lines.error(("outcomes",), "replays run on network world")
        shocks: tuple[Shock, ...] = ()
        levers: tuple[Lever, ...] = ()
        if not sections.shocks:
            raise lines.error((), "the scenario has no shocks")
    else:
        shocks, levers = resolve_sections(lines, world, start, sections)
        if not shocks:
            raise lines.error((), "the scenario has no measures and no shocks")
    return Scenario(
        name=name, title=str(doc["title"]), description=str(doc.get("description") or ""),
        kind=kind, start=start, horizon_days=horizon_days, step_days=step_days,
        as_of_year=as_of, shocks=shocks, levers=levers, parameters=parameters,
        outcomes=outcomes, path=path, text=path.read_text(encoding="utf-8"), lines=lines,
        world=world, sections=sections, calibrations=calibrations, network=network)


def load_scenario_text(text: str, origin: str = "stored-scenario",
                       world: World | None = None) -> Scenario:
    """Validate a scenario given as YAML *text* (e.g. from a stored run)."""
    import tempfile

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", origin)[:80] or "scenario"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{safe}.yaml"
        path.write_text(text, encoding="utf-8")
        scenario = load_scenario(path, world)
    return dataclasses.replace(scenario, path=Path(origin))


# ----- measures and shocks -> spec.Shock ----------------------------------------------------

def resolve_sections(lines: Lines, world: World | IcioNames, start: dt.date,
                     sections: Sections) -> tuple[tuple[Shock, ...], tuple[Lever, ...]]:
    """Resolve a scenario's sections against *world*: registry measures (in order), then
    inline shocks, as shocks; the ``levers`` section as levers. Errors name file, line, key.
    """
    res = Resolver(world, lines, start)
    shocks = [_measure_shock(res, ("measures", i), m) for i, m in enumerate(sections.measures)]
    _no_double_listing(lines, sections.measures, shocks)
    shocks += [_inline_shock(res, ("shocks", i), s) for i, s in enumerate(sections.shocks)]
    return tuple(shocks), parse_levers(sections.levers, res)


def _measure_shock(res: Resolver, key: KeyPath, entry: Any) -> Shock:
    lines = res.lines
    if isinstance(entry, str):
        entry = {"id": entry}
    e = check_keys(lines, key, entry, ("id",), MEASURE_KEYS[1:])
    mid = str(e["id"])
    try:
        m = res.world.measure(mid)
    except KeyError:
        import difflib

        close = difflib.get_close_matches(mid, [x.id for x in res.world.measures], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise lines.error((*key, "id"), f"unknown measure id '{mid}'{hint}") from None
    if m.type not in _DEFAULT_KIND:
        raise lines.error((*key, "id"), f"measure '{mid}' is a {m.type.value}, not a trade "
                          "restriction: use a lever (stockpile, capacity_investment ...)")
    kind = _DEFAULT_KIND[m.type]
    if "as" in e:
        try:
            kind = ShockKind(str(e["as"]))
        except ValueError:
            raise lines.error((*key, "as"), f"'as' must be one of "
                              f"{', '.join(k.value for k in ShockKind)}") from None
    intensity = (number(lines, (*key, "intensity"), e["intensity"], 0, 10)
                 if "intensity" in e else m.intensity)
    targets = (res.economies((*key, "targets"), e["targets"], allow_all=True) if "targets" in e
               else res.economies((*key, "targets"), list(m.targets), allow_all=True)
               if m.targets else frozenset())
    if "goods" in e:
        goods = res.goods((*key, "goods"), e["goods"])
    elif m.goods:
        goods = frozenset(m.goods)
    else:
        raise lines.error(key, f"measure '{mid}' lists no goods: give goods: in the scenario")
    effective = m.effective or m.announced
    start = res.offset((*key, "effective"), e.get("effective", effective))
    # announcement ahead of the effect (front-loading, the frontload_days parameter): the
    # entry's, else the registry's when it is before the effective date
    announced: int | None = (res.offset((*key, "announced"), e["announced"])
                             if "announced" in e else res.offset((*key, "id"), m.announced))
    if "announced" in e and announced is not None and announced > start:
        raise lines.error((*key, "announced"), "announced is after the effective date")
    if announced is not None and announced >= start:
        announced = None
    lifted = e.get("lifted", m.lifted) if "lifted" in e else m.lifted
    end = None if lifted is None else res.offset((*key, "lifted"), lifted)
    if end is not None and end <= 0:
        raise lines.error((*key, "lifted") if "lifted" in e else (*key, "id"),
                          f"measure '{mid}' is lifted before the scenario starts ({res.start})")
    if end is not None and end <= start:
        raise lines.error((*key, "lifted"), "lifted is not after effective")
    delay: ParamDist | None = None
    approval: float | None = None
    if kind is ShockKind.licensing:
        delay = _delay(lines, (*key, "licence_delay_days"),
                       e.get("licence_delay_days", m.licence_delay_days))
        approval = (number(lines, (*key, "approval_rate"), e["approval_rate"], 0, 1)
                    if "approval_rate" in e else round(1.0 - min(intensity, 1.0), 6))
        intensity = 1.0
    elif kind is ShockKind.quota and m.type is not MeasureType.licensing:
        intensity = round(1.0 - min(intensity, 1.0), 6)  # cap = the share let through
    elif "approval_rate" in e or "licence_delay_days" in e:
        bad = "approval_rate" if "approval_rate" in e else "licence_delay_days"
        raise lines.error((*key, bad), f"{bad} applies to licensing shocks only")
    return _shock(lines, key, kind=kind, imposers=res.economies(key, m.imposer),
                  targets=targets, goods=goods, start=max(0, start), end=end,
                  intensity=intensity, approval_rate=approval, measure_id=mid,
                  licence_delay=delay, announced=announced)


def _no_double_listing(lines: Lines, entries: Sequence[Any], shocks: list[Shock]) -> None:
    """A measure may be listed once per good and target (e.g. with an approval rate per
    good); listing it twice for the same flows would apply it twice. Empty targets: all."""
    for i, shock in enumerate(shocks):
        for j, earlier in enumerate(shocks[:i]):
            goods = sorted(earlier.goods & shock.goods)
            same_flows = (not earlier.targets or not shock.targets
                          or bool(earlier.targets & shock.targets))
            if earlier.measure_id == shock.measure_id and goods and same_flows:
                entry = entries[i]
                field = "goods" if isinstance(entry, dict) and "goods" in entry else "id"
                raise lines.error(
                    ("measures", i, field), f"measure '{shock.measure_id}' is already listed "
                    f"(measures[{j}]) for {', '.join(goods)}: it would apply twice; give "
                    "each entry its own goods or targets")


def _inline_shock(res: Resolver, key: KeyPath, entry: Any) -> Shock:
    lines = res.lines
    if isinstance(entry, dict) and str(entry.get("kind")) in NODE_SHOCK_SIZE:
        return _node_shock(res, key, entry)
    e = check_keys(lines, key, entry, SHOCK_KEYS, SHOCK_OPTIONAL)
    try:
        kind = ShockKind(str(e["kind"]))
    except ValueError:
        raise lines.error((*key, "kind"), f"kind must be one of "
                          f"{', '.join(k.value for k in ShockKind)}") from None
    end = None if e.get("end") is None else res.offset((*key, "end"), e["end"])
    if "licence_delay_days" in e and kind is not ShockKind.licensing:
        raise lines.error((*key, "licence_delay_days"),
                          "licence_delay_days applies to licensing shocks only")
    delay = _delay(lines, (*key, "licence_delay_days"), e.get("licence_delay_days"))
    start = res.offset((*key, "start"), e["start"])
    announced = None if e.get("announced") is None else res.offset((*key, "announced"),
                                                                   e["announced"])
    if announced is not None and announced > start:
        raise lines.error((*key, "announced"), "announced is after the start")
    return _shock(
        lines, key, kind=kind, imposers=res.economies((*key, "imposers"), e["imposers"]),
        targets=res.economies((*key, "targets"), e.get("targets", "ALL"), allow_all=True),
        goods=res.goods((*key, "goods"), e["goods"]),
        start=max(0, start), end=end,
        intensity=number(lines, (*key, "intensity"), e.get("intensity", 1.0), 0, 10),
        licence_delay=delay, announced=None if announced == start else announced,
        approval_rate=(None if "approval_rate" not in e else
                       number(lines, (*key, "approval_rate"), e["approval_rate"], 0, 1)),
        measure_id=None)


def _node_shock(res: Resolver, key: KeyPath, entry: dict[str, Any]) -> Shock:
    """A demand shock (``multiplier`` on final demand) or an outage (``share`` of capacity
    lost) on the nodes of ``economies`` (default ALL) producing ``goods``, from ``start``
    (on or after the scenario start) to ``end`` (optional), reached over ``ramp_days`` and
    undone over ``recovery_days`` after the end (both optional, 0 = at once)."""
    lines = res.lines
    kind = ShockKind(str(entry["kind"]))
    size, high = NODE_SHOCK_SIZE[kind]
    e = check_keys(lines, key, entry, (*NODE_SHOCK_KEYS, size), NODE_SHOCK_OPTIONAL)
    start = res.offset((*key, "start"), e["start"])
    if start < 0:
        raise lines.error((*key, "start"), f"a {kind.value} shock starts on or after the "
                          f"scenario start ({res.start})")
    end = None if e.get("end") is None else res.offset((*key, "end"), e["end"])
    if end is not None and end <= start:
        raise lines.error((*key, "end"), "end is not after start")
    ramp = (number(lines, (*key, "ramp_days"), e["ramp_days"], 0, 36500)
            if "ramp_days" in e else 0.0)
    recovery = (number(lines, (*key, "recovery_days"), e["recovery_days"], 0, 36500)
                if "recovery_days" in e else 0.0)
    return _shock(
        lines, key, kind=kind, imposers=frozenset(), targets=frozenset(),
        economies=res.economies((*key, "economies"), e.get("economies", "ALL"),
                                allow_all=True),
        goods=res.goods((*key, "goods"), e["goods"]), start=start, end=end,
        intensity=number(lines, (*key, size), e[size], 0, high), ramp_days=ramp,
        recovery_days=recovery, measure_id=None)


def _delay(lines: Lines, key: KeyPath, value: Any) -> ParamDist | None:
    """``licence_delay_days``: a number of days (``fixed``) or a distribution drawn once per
    run (``{dist: triangular, args: [35, 56, 90]}``); None when not given."""
    return None if value is None else parse_dist(lines, key, value)


def _shock(lines: Lines, key: KeyPath, **kw: Any) -> Shock:
    try:
        return Shock(**kw)
    except ValueError as exc:
        raise lines.error(key, str(exc)) from None


# ----- shipped scenarios --------------------------------------------------------------------

def load_named(name: str, world: World | None = None) -> Scenario:
    """A shipped scenario by name (never by path: safe for the web API)."""
    return load_scenario(shipped_path(name), world)


def resolve_scenario(name_or_path: str | Path, world: World | None = None) -> Scenario:
    """A file path (``*.yaml``) or the name of a shipped scenario."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return load_scenario(Path(text), world)
    return load_named(text, world)


def list_scenarios(world: World | None = None) -> pd.DataFrame:
    """The shipped scenarios: name, kind, title, start, horizon, measures, outcomes."""
    rows: list[dict[str, Any]] = []
    for name in scenario_names():
        try:
            s = load_named(name, world)
        except DataError as exc:
            rows.append({"name": name, "kind": "invalid", "title": str(exc), "start": None,
                         "horizon_days": None, "measures": "", "outcomes": 0})
            continue
        rows.append({"name": s.name, "kind": s.kind, "title": s.title, "start": s.start,
                     "horizon_days": s.horizon_days, "measures": ";".join(s.measure_ids),
                     "outcomes": len(s.outcomes)})
    return pd.DataFrame(rows, columns=["name", "kind", "title", "start", "horizon_days",
                                       "measures", "outcomes"])
