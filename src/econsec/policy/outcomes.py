"""Documented outcomes of replayed episodes: their schema, roles, tolerances and the
parameters calibrated on them.

Each outcome of a replay (``outcomes:`` in a scenario file) carries a stable ``id``, a
``role`` and a ``tolerance``:

* ``role: calibration`` — a parameter of a scenario was fitted on it (the parameter names
  it in ``calibrated_on``); it is shown beside the simulation but never counted as skill;
  ``role: validation`` — never used to fit anything; only these count in the skill score
  (:mod:`econsec.policy.skill`). An outcome is one or the other, never both.
* ``tolerance`` — the measurement error of the documented figure, written with its unit:
  every outcome documents a relative change (``magnitude`` -0.73 = fell 73 %, or a
  ``range`` of them), so its tolerance is in percentage points of that change
  (``10pp``: -73 % +- 10 pp = -83 % .. -63 %; a range widens by the tolerance on both
  sides). Shares, when documented as shares, also take percentage points; relative
  tolerances (``15%`` of the figure) are for levels, which the schema does not document
  yet, so ``%`` is an error for a change. (OpenFisca-style: the case carries its margin.)
* ``unit`` — what the documented figure counts: ``tonnes`` or ``kg`` (customs volumes),
  ``usd`` (values in money, or a price quoted in money), ``units`` (pieces: vehicles,
  phones) or ``share`` (a share of an importer's imports, an availability). It decides
  what the simulation is compared on (:mod:`econsec.policy.compare`): the engine's flows
  are real (USD at pre-shock prices, proportional to physical quantities at the good's
  unit value), so ``tonnes``, ``kg`` and ``units`` compare real quantities; ``usd``
  compares nominal values, real x the good's simulated price index. Allowed per metric:
  imports and exports ``tonnes | kg | usd | units``; output ``units | tonnes | kg | usd``
  (``usd`` only with a ``window``); import_share and availability ``share``; price ``usd``.
* ``recorded_by`` (optional; trade metrics) — whose customs statistics the documented
  figure comes from: ``exporter`` (export statistics count a shipment in the month it
  leaves) or ``importer`` (import statistics count it in the month it lands, after the
  transit time). Default: ``exporter`` for ``exports``, ``importer`` for ``imports`` and
  ``import_share``; a bilateral figure from the exporter's customs (China's customs data
  on its exports to the United States, Japan's Ministry of Finance on its exports to
  Korea) is an ``imports`` outcome of the buyer with ``recorded_by: exporter``, compared
  on the simulated departures (:mod:`econsec.policy.compare`).
* ``known_miss`` (optional) — why the model lands outside the tolerance; the generic
  replay test then expects the miss (a strict xfail with this reason).

A calibrated parameter names the outcomes it was fitted on, beside the parameter:

* in a measure or inline-shock entry, per key of the entry:
  ``calibrated_on: {approval_rate: [hf_2019_12]}``;
* in ``parameters``, inside the distribution: ``{dist: uniform, args: [..],
  calibrated_on: [id, ...]}``.

An id is an outcome of the same file or ``scenario.id`` for an outcome of another shipped
scenario (a value calibrated once and reused). Rules, each an error naming file, line and
key: every named outcome exists and has role calibration; every calibration outcome is
named by a parameter; and every calibrated parameter has at least one validation outcome
on the same good as an outcome it was fitted on whose window lies wholly outside the
fitting windows (an outcome without a window spans the whole replay, so never qualifies).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from econsec.policy.resolve import check_keys, number, parse_date
from econsec.policy.shipped import shipped_path
from econsec.policy.yamlpath import KeyPath, Lines, dotted, load_located

OUTCOME_KEYS = ("id", "metric", "economy", "good", "direction", "period", "source", "year",
                "role", "tolerance", "unit")
OUTCOME_OPTIONAL = ("partner", "magnitude", "range", "note", "window", "versus", "known_miss",
                    "recorded_by")
#: whose customs statistics a trade figure comes from (``recorded_by``)
RECORDERS = ("exporter", "importer")
TRADE_METRICS = ("imports", "exports", "import_share")
METRICS = ("imports", "exports", "output", "availability", "price", "import_share")
DIRECTIONS = ("down", "up", "flat")
ROLES = ("calibration", "validation")
UNITS = ("tonnes", "kg", "usd", "units", "share")
#: the units an outcome of each metric may be documented in (module docstring)
METRIC_UNITS = {"imports": ("tonnes", "kg", "usd", "units"),
                "exports": ("tonnes", "kg", "usd", "units"),
                "output": ("units", "tonnes", "kg", "usd"),
                "import_share": ("share",), "availability": ("share",), "price": ("usd",)}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,79}$")
_TOL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(pp|%)\s*$")
CALIBRATED_ON = "calibrated_on"


@dataclass(frozen=True)
class Citation:
    title: str
    publisher: str
    url: str


@dataclass(frozen=True)
class Outcome:
    """A documented historical outcome of a replayed episode.

    *magnitude* is a relative change (-0.84 = fell 84 %) and *range* a (low, high) band of
    relative changes. *window* (first, last day, inclusive) is the period the documented
    figure describes (e.g. the month of a customs statistic): trade outcomes are then read
    off the simulated trade flows in that window
    (:func:`econsec.policy.compare.simulated_change`). *versus* (first, last day) is the
    period the documented change is measured against when it is not the pre-shock baseline
    (e.g. the same month a year earlier, already under an earlier control): the simulated
    change is then taken against the simulated trade in that period.

    *unit* is what the documented figure counts (:data:`UNITS`; ``usd`` is compared on
    nominal values, the others on real quantities, see :mod:`econsec.policy.compare`).
    *id* is stable within its file; *role* is ``calibration`` or ``validation``;
    *tolerance* is in the unit *tolerance_unit* (``pp``: percentage points of the change,
    as a fraction: 0.05 = 5 pp); *known_miss* says why the model is outside it.
    *recorded_by* (trade metrics: ``exporter`` or ``importer``; empty: the metric's own
    side) is whose customs statistics the figure comes from (:attr:`departed`).
    """

    metric: str
    economy: str
    good: str
    direction: str
    period: str
    source: Citation
    year: int
    unit: str
    partner: str | None = None
    magnitude: float | None = None
    range: tuple[float, float] | None = None
    note: str = ""
    window: tuple[dt.date, dt.date] | None = None
    versus: tuple[dt.date, dt.date] | None = None
    id: str = ""
    role: str = "validation"
    tolerance: float | None = None
    tolerance_unit: str = "pp"
    known_miss: str = ""
    recorded_by: str = ""

    def __post_init__(self) -> None:
        allowed = METRIC_UNITS.get(self.metric, UNITS)
        if self.unit not in allowed:
            raise ValueError(f"unit '{self.unit}' is not one of {', '.join(allowed)} "
                             f"(metric {self.metric})")
        if self.recorded_by and (self.recorded_by not in RECORDERS
                                 or self.metric not in TRADE_METRICS):
            raise ValueError(f"recorded_by '{self.recorded_by}' needs a trade metric "
                             f"({', '.join(TRADE_METRICS)}) and is one of "
                             f"{', '.join(RECORDERS)}")

    @property
    def departed(self) -> bool:
        """True if the figure counts shipments when they leave (the exporter's customs
        statistics: ``recorded_by: exporter``, the default for ``exports``), False if when
        they land (the importer's, the default for ``imports`` and ``import_share``)."""
        return (self.recorded_by or ("exporter" if self.metric == "exports"
                                     else "importer")) == "exporter"

    @property
    def nominal(self) -> bool:
        """True if the documented figure is a value in money (``usd``): compared on nominal
        values, real x the simulated price index."""
        return self.unit == "usd"

    @property
    def documented_band(self) -> tuple[float, float] | None:
        """(low, high) documented change: the magnitude twice, or the range."""
        if self.range is not None:
            return self.range
        return None if self.magnitude is None else (self.magnitude, self.magnitude)

    def within_tolerance(self, simulated: float) -> bool | None:
        """Whether *simulated* lies within the documented band widened by the tolerance
        (None: no magnitude, range or tolerance)."""
        band = self.documented_band
        if band is None or self.tolerance is None:
            return None
        eps = 1e-9  # figures are written to 3-4 digits; keep float noise out of the test
        return band[0] - self.tolerance - eps <= simulated <= band[1] + self.tolerance + eps


@dataclass(frozen=True)
class Calibration:
    """A parameter value fitted on documented outcomes.

    *parameter* is its dotted key in the file (``measures[1].approval_rate``), *value* the
    value as written, *outcomes* the ids it was fitted on (``scenario.id`` for another
    file's outcome) and *line* the line of its ``calibrated_on``.
    """

    parameter: str
    value: Any
    outcomes: tuple[str, ...]
    line: int | None = None


# ----- parsing -----------------------------------------------------------------------------

def split_calibrations(lines: Lines, doc: dict[str, Any]
                       ) -> tuple[dict[str, Any], list[tuple[KeyPath, Any, tuple[str, ...]]]]:
    """*doc* without its ``calibrated_on`` keys, and each calibrated parameter as
    (key path of the parameter, its value, outcome ids). The rest of the schema never sees
    ``calibrated_on``."""
    out = dict(doc)
    found: list[tuple[KeyPath, Any, tuple[str, ...]]] = []
    for sect in ("measures", "shocks"):
        entries = doc.get(sect)
        if not isinstance(entries, list):
            continue
        cleaned: list[Any] = []
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and CALIBRATED_ON in entry:
                key: KeyPath = (sect, i, CALIBRATED_ON)
                spec = entry[CALIBRATED_ON]
                if not isinstance(spec, dict) or not spec:
                    raise lines.error(key, "calibrated_on in an entry maps the calibrated key "
                                      "to outcome ids, e.g. {approval_rate: [hf_2019_12]}")
                for param, ids in spec.items():
                    if param == CALIBRATED_ON or param not in entry:
                        raise lines.error((*key, param), f"calibrated_on names '{param}', "
                                          "which this entry does not set")
                    found.append(((sect, i, param), entry[param],
                                  _ids(lines, (*key, param), ids)))
                entry = {k: v for k, v in entry.items() if k != CALIBRATED_ON}
            cleaned.append(entry)
        out[sect] = cleaned
    params = doc.get("parameters")
    if isinstance(params, dict):
        cleaned_p: dict[str, Any] = {}
        for name, value in params.items():
            if isinstance(value, dict) and CALIBRATED_ON in value:
                ids = _ids(lines, ("parameters", name, CALIBRATED_ON), value[CALIBRATED_ON])
                value = {k: v for k, v in value.items() if k != CALIBRATED_ON}
                found.append((("parameters", name), value, ids))
            cleaned_p[name] = value
        out["parameters"] = cleaned_p
    return out, found


def _ids(lines: Lines, key: KeyPath, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise lines.error(key, "expected a list of outcome ids, e.g. [hf_2019_12]")
    return tuple(str(x) for x in raw)


def parse_outcomes(lines: Lines, doc: dict[str, Any],
                   fitted: list[tuple[KeyPath, Any, tuple[str, ...]]]
                   ) -> tuple[tuple[Outcome, ...], tuple[Calibration, ...]]:
    """The ``outcomes`` of *doc* and the calibrations *fitted* (from
    :func:`split_calibrations`), checked against the role rules (module docstring)."""
    raw = doc.get("outcomes") or []
    outcomes = tuple(_outcome(lines, ("outcomes", i), o) for i, o in enumerate(raw))
    seen: dict[str, int] = {}
    for i, o in enumerate(outcomes):
        if o.id in seen:
            raise lines.error(("outcomes", i, "id"), f"outcome id '{o.id}' is already used "
                              f"by outcomes[{seen[o.id]}]")
        seen[o.id] = i
    calibrations = tuple(_check_calibration(lines, outcomes, key, value, ids)
                         for key, value, ids in fitted)
    named = {oid for c in calibrations for oid in c.outcomes}
    for i, o in enumerate(outcomes):
        if o.role == "calibration" and o.id not in named:
            raise lines.error(("outcomes", i, "role"), f"outcome '{o.id}' has role calibration "
                              "but no parameter names it in calibrated_on")
    return outcomes, calibrations


def _check_calibration(lines: Lines, local: tuple[Outcome, ...], key: KeyPath, value: Any,
                       ids: tuple[str, ...]) -> Calibration:
    ckey = ((*key[:2], CALIBRATED_ON, key[2]) if key[0] in ("measures", "shocks")
            else (*key, CALIBRATED_ON))
    by_id = {o.id: o for o in local}
    fitted: list[Outcome] = []
    pool: list[Outcome] = list(local)
    for j, oid in enumerate(ids):
        if "." in oid:
            scenario, _, sub = oid.partition(".")
            others = _shipped_outcomes(lines, (*ckey, j), scenario)
            pool += [o for o in others.values() if o not in pool]
            target = others.get(sub)
            choices = [f"{scenario}.{k}" for k in others]
        else:
            target = by_id.get(oid)
            choices = list(by_id)
        if target is None:
            close = difflib.get_close_matches(oid, choices, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise lines.error((*ckey, j), f"calibrated_on names unknown outcome '{oid}'{hint}")
        if target.role != "calibration":
            where = ("outcomes", list(local).index(target), "role") if target in local \
                else (*ckey, j)
            raise lines.error(where, f"outcome '{oid}' is named by {dotted(ckey)} (a parameter "
                              f"was fitted on it) but its role is {target.role}: an outcome is "
                              "calibration or validation, not both")
        fitted.append(target)
    goods = {o.good for o in fitted}
    windows = [o.window for o in fitted]
    if not any(o.role == "validation" and o.good in goods and _outside(o.window, windows)
               for o in pool):
        raise lines.error(ckey, f"{dotted(key)} is calibrated on {', '.join(ids)} but no "
                          "validation outcome on the same good lies outside its fitting "
                          "window: add one (or say why the parameter cannot be checked)")
    return Calibration(dotted(key), value, ids, lines.line(ckey))


def _outside(window: tuple[dt.date, dt.date] | None,
             fitting: list[tuple[dt.date, dt.date] | None]) -> bool:
    """True if *window* shares no day with any fitting window (None: the whole replay)."""
    if window is None or any(w is None for w in fitting):
        return False
    return all(window[1] < w[0] or window[0] > w[1] for w in fitting if w is not None)


def _shipped_outcomes(lines: Lines, key: KeyPath, name: str) -> dict[str, Outcome]:
    """Outcomes of shipped scenario *name* by id (parsed, not re-checked for calibrations)."""
    try:
        path = shipped_path(name)
    except KeyError as exc:
        raise lines.error(key, str(exc).strip("'\"")) from None
    doc, other = load_located(path)
    raw = doc.get("outcomes") or []
    if not isinstance(raw, list):
        raise other.error(("outcomes",), "expected a list")
    parsed = (_outcome(other, ("outcomes", i), o) for i, o in enumerate(raw))
    return {o.id: o for o in parsed}


def _outcome(lines: Lines, key: KeyPath, raw: Any) -> Outcome:
    o = check_keys(lines, key, raw, OUTCOME_KEYS, OUTCOME_OPTIONAL)
    oid = str(o["id"])
    if not ID_RE.match(oid):
        raise lines.error((*key, "id"), f"'{oid}' is not an outcome id (lower-case letters, "
                          "digits, _)")
    role = o["role"]
    if isinstance(role, list):
        raise lines.error((*key, "role"), "an outcome is calibration or validation, not both")
    if role not in ROLES:
        raise lines.error((*key, "role"), f"role must be one of {', '.join(ROLES)}, got "
                          f"'{role}'")
    if o["metric"] not in METRICS:
        raise lines.error((*key, "metric"), f"metric must be one of {', '.join(METRICS)}")
    if o["direction"] not in DIRECTIONS:
        raise lines.error((*key, "direction"), f"direction must be one of {', '.join(DIRECTIONS)}")
    src = check_keys(lines, (*key, "source"), o["source"], ("title", "publisher", "url"), ())
    if not str(src["url"]).startswith(("http://", "https://")):
        raise lines.error((*key, "source", "url"), "url must start with http:// or https://")
    rng = o.get("range")
    if rng is not None:
        if not isinstance(rng, list) or len(rng) != 2:
            raise lines.error((*key, "range"), "range is [low, high]")
        lo, hi = (number(lines, (*key, "range", i), v) for i, v in enumerate(rng))
        if lo > hi:
            raise lines.error((*key, "range"), f"range low {lo} is above high {hi}")
        rng = (lo, hi)
    mag = o.get("magnitude")
    if mag is None and rng is None:
        raise lines.error(key, "an outcome needs a magnitude or a range (the documented "
                          "change its tolerance applies to)")
    tolerance, tol_unit = _tolerance(lines, (*key, "tolerance"), o["tolerance"])
    unit = _unit(lines, (*key, "unit"), str(o["metric"]), o["unit"])
    window = _period(lines, key, o, "window")
    if unit == "usd" and o["metric"] == "output" and window is None:
        raise lines.error((*key, "unit"), "an output outcome in usd needs a window (its "
                          "nominal value is read in the window)")
    versus = _period(lines, key, o, "versus")
    if versus is not None and window is None:
        raise lines.error((*key, "versus"), "versus needs a window (the period compared)")
    recorded = o.get("recorded_by")
    if recorded is not None:
        if o["metric"] not in TRADE_METRICS:
            raise lines.error((*key, "recorded_by"), "recorded_by is for trade outcomes "
                              f"({', '.join(TRADE_METRICS)}), not {o['metric']}")
        if recorded not in RECORDERS:
            raise lines.error((*key, "recorded_by"), f"recorded_by must be one of "
                              f"{', '.join(RECORDERS)}, got '{recorded}'")
    return Outcome(
        metric=str(o["metric"]), economy=str(o["economy"]), good=str(o["good"]),
        direction=str(o["direction"]), period=str(o["period"]),
        source=Citation(str(src["title"]), str(src["publisher"]), str(src["url"])),
        year=int(number(lines, (*key, "year"), o["year"], 1990, 2100)), unit=unit,
        partner=None if o.get("partner") is None else str(o["partner"]),
        magnitude=None if mag is None else number(lines, (*key, "magnitude"), mag, -1, 100),
        range=rng, note=str(o.get("note") or ""), window=window, versus=versus, id=oid,
        role=str(role), tolerance=tolerance, tolerance_unit=tol_unit,
        known_miss=str(o.get("known_miss") or ""), recorded_by=str(recorded or ""))


def _unit(lines: Lines, key: KeyPath, metric: str, raw: Any) -> str:
    """The outcome's ``unit``, checked against :data:`UNITS` and its *metric*."""
    unit = str(raw)
    if unit not in UNITS:
        close = difflib.get_close_matches(unit, UNITS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise lines.error(key, f"unit '{unit}' is not one of {' | '.join(UNITS)}{hint}")
    if unit not in METRIC_UNITS[metric]:
        raise lines.error(key, f"a {metric} outcome is documented in "
                          f"{' | '.join(METRIC_UNITS[metric])}, not {unit}")
    return unit


def _tolerance(lines: Lines, key: KeyPath, raw: Any) -> tuple[float, str]:
    """``10pp`` -> (0.10, "pp"). Every outcome documents a relative change, whose unit is
    percentage points; ``%`` (relative, for levels) is refused."""
    m = _TOL_RE.match(str(raw)) if raw is not None else None
    if m is None:
        raise lines.error(key, f"tolerance '{raw}' is not e.g. 10pp (percentage points of "
                          "the documented change)")
    if m.group(2) == "%":
        raise lines.error(key, "this outcome documents a relative change: give its tolerance "
                          "in percentage points (e.g. 10pp); relative tolerances (%) are for "
                          "levels")
    value = float(m.group(1)) / 100.0
    if value > 1.0:
        raise lines.error(key, f"tolerance of {m.group(1)}pp is above 100pp")
    return value, "pp"


def _period(lines: Lines, key: KeyPath, o: dict[str, Any], name: str
            ) -> tuple[dt.date, dt.date] | None:
    """An outcome's ``[first day, last day]`` (ISO dates) under key *name*, or None."""
    if o.get(name) is None:
        return None
    w = o[name]
    if not isinstance(w, list) or len(w) != 2:
        raise lines.error((*key, name), f"{name} is [first day, last day] (ISO dates)")
    first, last = (parse_date(lines, (*key, name, i), v) for i, v in enumerate(w))
    if last < first:
        raise lines.error((*key, name), f"{name} ends ({last}) before it begins")
    return first, last
