"""What a simulation is asked to do: shocks, levers, parameter distributions, horizon.

These frozen value types are the contract between the scenario layer
(:mod:`econsec.policy.scenarios`, which reads YAML and resolves registry measures) and the
engine (:mod:`econsec.simulation.engine`, which runs them). Time is in days from the
scenario's ``start`` date; the engine owns the clock (DESIGN principle 5). Nothing here
touches the world: a spec is applied to a *copy* of the baseline (principle 4).

Shock semantics (per flow supplier ``s`` -> buyer ``c`` of good ``g`` with ``s`` in
``imposers``, ``c`` in ``targets`` (empty = every economy but the imposers) and ``g`` in
``goods``, while ``start <= t < end``):

* ``ban``: a share ``intensity`` of the flow is blocked;
* ``licensing``: each shipment needs a licence; a share ``approval_rate`` is approved, the
  rest is refused. An approved shipment waits for its licence: the shock's
  ``licence_delay`` is the distribution of that wait over the shipments of one run (a
  fixed delay of ``d`` days is ``ParamDist(fixed, (d,))``; with ``licence_spread``
  False, one delay drawn per Monte Carlo run for all of them;
  :mod:`econsec.simulation.licence_delays`); None: the ``licence_delay_days`` parameter,
  one delay per run;
* ``quota``: the flow is capped at ``intensity`` x its baseline value;
* ``tariff``: an ad-valorem wedge ``intensity`` on the supplier's price, which buyers
  weigh when re-sourcing (it does not block shipments).

Node shocks act on the nodes ``(e, g)`` with ``e`` in ``economies`` (empty = every economy)
and ``g`` in ``goods``, not on flows (``imposers`` and ``targets`` stay empty), with weight
``w(t) = min(on(t), off(t))``, ``on(t) = clip((t - start) / ramp_days, 0, 1)`` (a step at
``start`` when ``ramp_days`` is 0) and ``off(t) = 1`` before ``end``, then
``clip(1 - (t - end) / recovery_days, 0, 1)`` (0 at once when ``recovery_days`` is 0):

* ``demand``: final demand ``f0`` is multiplied by ``1 + w(t) (intensity - 1)`` (a
  multiplier: 0.6 = collapses to 60 %, 1.2 = jumps 20 %);
* ``outage``: a share ``w(t) intensity`` of the node's capacity (installed, spare and
  invested alike) is lost (a fab fire, a power cut, a lockdown).

Several node shocks on one node multiply (:class:`econsec.simulation.controls.NodeShocks`).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class ShockKind(enum.StrEnum):
    """How a trade measure acts on a flow."""

    ban = "ban"
    licensing = "licensing"
    quota = "quota"
    tariff = "tariff"
    demand = "demand"  # node shock: final demand x multiplier
    outage = "outage"  # node shock: a share of capacity lost

    @property
    def on_nodes(self) -> bool:
        """A node shock (demand, outage), not a trade measure on flows."""
        return self in (ShockKind.demand, ShockKind.outage)


@dataclass(frozen=True)
class Shock:
    """A trade restriction on flows from *imposers* to *targets* of *goods*, or a node
    shock (demand, outage) on the nodes of *economies* producing *goods*."""

    kind: ShockKind
    imposers: frozenset[str]
    targets: frozenset[str]  # empty: every economy except the imposers
    goods: frozenset[str]
    start: int  # day offset from the scenario start (inclusive)
    end: int | None = None  # day offset (exclusive); None: to the horizon
    intensity: float = 1.0  # ban: share blocked; quota: cap / baseline; tariff: ad valorem
    approval_rate: float | None = None  # licensing: share of shipments approved
    measure_id: str | None = None  # registry id it came from, for provenance
    #: licensing: delay of approved shipments (days), spread over the shipments of a run
    #: (:mod:`econsec.simulation.licence_delays`); None: the ``licence_delay_days``
    #: parameter (one delay per run)
    licence_delay: ParamDist | None = None
    #: day offset of the measure's announcement (may be before the scenario start, then
    #: negative); buyers front-load between it and ``start`` (``frontload_days``); None: no
    #: announcement ahead of the effect
    announced: int | None = None
    #: node shocks: the economies whose nodes it hits (empty: every economy)
    economies: frozenset[str] = frozenset()
    #: node shocks: days from ``start`` to the full effect (linear; 0: at once)
    ramp_days: float = 0.0
    #: node shocks: days from ``end`` back to no effect (linear; 0: at once)
    recovery_days: float = 0.0

    def __post_init__(self) -> None:
        if self.announced is not None and self.announced > self.start:
            raise ValueError("shock announced after its start")
        high = 10.0 if self.kind in (ShockKind.tariff, ShockKind.demand) else 1.0
        if not 0.0 <= self.intensity <= high:
            raise ValueError(f"shock intensity {self.intensity} out of range for {self.kind}")
        if self.kind.on_nodes:
            if self.imposers or self.targets:
                raise ValueError(f"a {self.kind} shock names economies, not imposers/targets")
            if self.approval_rate is not None or self.announced is not None:
                raise ValueError(f"a {self.kind} shock takes no approval rate or announcement")
        elif self.economies or self.ramp_days or self.recovery_days:
            raise ValueError(f"economies, ramp_days and recovery_days apply to demand and "
                             f"outage shocks only, not {self.kind}")
        if not (0.0 <= self.ramp_days < math.inf and 0.0 <= self.recovery_days < math.inf):
            raise ValueError("ramp_days and recovery_days must be finite and >= 0")
        if self.end is not None and self.end < self.start:
            raise ValueError("shock end is before its start")
        if self.approval_rate is not None and not 0.0 <= self.approval_rate <= 1.0:
            raise ValueError("approval_rate must be in [0, 1]")
        if self.licence_delay is not None and self.kind is not ShockKind.licensing:
            raise ValueError(f"a licence delay applies to licensing shocks only, not {self.kind}")


class LeverKind(enum.StrEnum):
    """Policy levers a scenario can pull."""

    stockpile = "stockpile"
    diversification = "diversification"
    allied_sharing = "allied_sharing"
    capacity_investment = "capacity_investment"
    licence_relief = "licence_relief"


@dataclass(frozen=True)
class Stockpile:
    """Extra inventory of *days* of baseline use held by *economies* for *goods* at t=0."""

    economies: frozenset[str]
    goods: frozenset[str]
    days: float
    kind: LeverKind = field(default=LeverKind.stockpile, init=False)


@dataclass(frozen=True)
class Diversification:
    """Before the shock, *economies* move *fraction* of their sourcing of *goods* away from
    *away_from* to the other producers in proportion to their world shares."""

    economies: frozenset[str]
    goods: frozenset[str]
    away_from: str
    fraction: float
    kind: LeverKind = field(default=LeverKind.diversification, init=False)


@dataclass(frozen=True)
class AlliedSharing:
    """From day *start*, spare capacity of bloc *members* goes to members first."""

    members: frozenset[str]
    start: int = 0
    kind: LeverKind = field(default=LeverKind.allied_sharing, init=False)


@dataclass(frozen=True)
class CapacityInvestment:
    """New capacity of *good* in *economy*: *capacity_share* of baseline world output of
    the good, decided at day *start*, ramping up linearly over *lead_days* after it."""

    economy: str
    good: str
    capacity_share: float
    start: int = 0
    lead_days: float = 365.0
    investment_id: str | None = None  # registry id, for provenance
    kind: LeverKind = field(default=LeverKind.capacity_investment, init=False)


@dataclass(frozen=True)
class LicenceRelief:
    """From day *start*, shocks of registry measure *measure_id* (or all licensing shocks
    when None) approve *approval_rate* of shipments after *delay_factor* x the delay."""

    measure_id: str | None
    approval_rate: float
    delay_factor: float = 1.0
    start: int = 0
    kind: LeverKind = field(default=LeverKind.licence_relief, init=False)


#: A policy lever: one of the frozen lever types above (told apart by ``isinstance`` or
#: ``kind``). Scenarios resolve their ``levers:`` section into a ``tuple[Lever, ...]``.
Lever = Stockpile | Diversification | AlliedSharing | CapacityInvestment | LicenceRelief


class DistKind(enum.StrEnum):
    fixed = "fixed"
    uniform = "uniform"
    triangular = "triangular"
    normal = "normal"
    lognormal = "lognormal"


#: Parameters a scenario may give distributions for, with their meaning and default.
PARAMETERS: Mapping[str, tuple[str, float]] = MappingProxyType({
    "spare_capacity": ("share of baseline output a supplier can add when buyers re-source", 0.10),
    "ramp_days": ("days for spare capacity to come fully on line", 90.0),
    "inventory_days": ("days of baseline input use held as inventory by every buyer", 30.0),
    "substitutability_scale": ("multiplier on every edge's substitutability (capped at 1)", 1.0),
    "licence_delay_days": ("mean licence delay where a measure gives none", 60.0),
    "resourcing_days": ("days for buyers to move refused or rationed orders to other "
                        "suppliers (qualification, contracts); 0 = at once", 0.0),
    "return_days": ("days for buyers to move sourcing back to the pre-shock suppliers once "
                    "their flows are free again; 0 = at once, inf (default) = never", math.inf),
    "refill_days": ("days over which buyers close a gap to their inventory target (refill "
                    "orders are the gap / refill_days per day; must be positive); assumption: "
                    "no source, a month as in the inventory cover", 30.0),
    "tariff_elasticity": ("elasticity eps of buyers' re-sourcing weights to a tariff, "
                          "(1 + tau)^-eps (Armington-type); the trade elasticity of roughly 4 "
                          "of Simonovska & Waugh 2014, J. Int. Econ. 92(1) 34-50", 4.0),
    "price_feedback": ("1: the price index of each good feeds back into demand (use and final "
                       "demand x P^-eps_d) and capacity on line (x P^eps_s, within the spare "
                       "ceiling); 0 (default): the price is computed but quantities do not "
                       "respond - the short-run elasticities (data/price_elasticities.csv) are "
                       "transferred from crude oil, no estimate was found for the replays' goods",
                       0.0),
    "localisation_share": ("induced localisation: share of a buyer economy's pre-shock use of "
                           "a good its own producers supply at full ramp-up once a control "
                           "refuses part of its imports of the good (capped at 1); 0 (default) "
                           "= no localisation; values are per episode, sourced in the "
                           "scenario", 0.0),
    "localisation_lead_days": ("days from the first refusal on a buyer's imports of a good to "
                               "its full localisation ceiling (linear ramp); only read with a "
                               "positive localisation_share", 365.0),
    "frontload_days": ("anticipation: extra days of pre-shock use buyers add to their "
                       "inventory target between a measure's announcement and its effect, "
                       "for the slots it will hit (Shock.announced); 0 (default) = none",
                       0.0),
    "transit_scale": ("multiplier on the sourced door-to-door transit days of each good and "
                      "route (data/transit_days.csv: sea 7 days within a region, 30 between "
                      "regions; air 3 and 5; 0 within an economy): goods arrive "
                      "round(scale x days / step) steps after they ship; 0 (default) = they "
                      "arrive the step they ship, 1 = the table's typical times", 0.0),
})


@dataclass(frozen=True)
class ParamDist:
    """A parameter distribution drawn once per Monte Carlo run.

    ``fixed``: (value,); ``uniform``: (low, high); ``triangular``: (low, mode, high);
    ``normal``: (mean, sd); ``lognormal``: (mean, sd) of the underlying normal.
    """

    kind: DistKind
    args: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Expected value: fixed a; uniform (a+b)/2; triangular (a+b+c)/3; normal mu;
        lognormal exp(mu + sd^2/2)."""
        a = self.args
        if self.kind is DistKind.lognormal:
            return float(math.exp(a[0] + a[1] ** 2 / 2.0))
        if self.kind is DistKind.normal:
            return a[0]
        return sum(a) / len(a)

    def __post_init__(self) -> None:
        need = {DistKind.fixed: 1, DistKind.uniform: 2, DistKind.triangular: 3,
                DistKind.normal: 2, DistKind.lognormal: 2}[self.kind]
        if len(self.args) != need:
            raise ValueError(f"{self.kind} distribution takes {need} arguments")


@dataclass(frozen=True)
class SimulationSpec:
    """Everything the engine needs besides the world: a scenario, resolved."""

    start: dt.date
    horizon_days: int = 365
    step_days: int = 1  # 1 (daily) or 7 (weekly)
    shocks: tuple[Shock, ...] = ()
    levers: tuple[Lever, ...] = ()
    params: Mapping[str, ParamDist] = field(default_factory=lambda: MappingProxyType({}))
    as_of_year: int | None = None  # world figures up to this year (None: latest)
    #: False: no price stage (every good's index held at 1.0, so no price feedback either);
    #: the switch of the mechanism ablation (:mod:`econsec.policy.ablation`)
    prices: bool = True
    #: True: a licensing shock's own non-fixed ``licence_delay`` is spread over the
    #: shipments of each run; False: one delay drawn per run for all of them (the behaviour
    #: before; the ``licence_spread`` switch of the mechanism ablation)
    licence_spread: bool = True
    #: True: a ban that takes effect on a flow refuses its content waiting in the licence
    #: pipeline (:func:`econsec.simulation.step.refuse_at_border`); False: that content is
    #: still released (the behaviour before; the ``border_refusal`` switch of the ablation)
    border_refusal: bool = True

    def __post_init__(self) -> None:
        if self.step_days not in (1, 7):
            raise ValueError("step_days must be 1 (daily) or 7 (weekly)")
        if self.horizon_days <= 0:
            raise ValueError("horizon_days must be positive")
        unknown = set(self.params) - set(PARAMETERS)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}; known: {sorted(PARAMETERS)}")
