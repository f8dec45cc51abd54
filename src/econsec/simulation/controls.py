"""Shocks and levers compiled to per-flow / per-node arrays for the engine.

Flow controls on day ``t`` (flow ``k``: supplier economy ``s`` -> buyer economy ``c`` of
good ``h``), combining every shock active on that day (``start <= t < end``) that matches
the flow (see :mod:`econsec.simulation.spec`):

* ``open_k``: share of the ordered quantity that may be shipped, ``prod_ban (1 - intensity)``;
* ``quota_k``: cap on the flow as a rate, ``min intensity x z0_k`` over quotas and, under
  licensing that refuses part of the volume, ``prod_licensing approval_rate x open_k x z0_k``
  (``inf`` if none);
* ``tariff_k``: sum of the ad-valorem tariffs;
* ``licensed_k``: the flow is under licensing: approved shipments are delayed by the
  licence delay, the longest of the active licensing shocks' delays: per-run delays
  (:meth:`econsec.simulation.params.Draws.shock_delay`) as ``delay_days``, delays spread
  over shipments as the CDF ``spread`` of their longest, ``prod_i F_i`` over lag steps
  (:mod:`econsec.simulation.licence_delays`).

Licensing shocks without ``approval_rate`` approve ``1 - intensity`` of the pre-shock
volume (a licensing measure's ``intensity`` is the share refused): orders are licensed up to
``approval_rate x z0_k`` and refused beyond it. A licence is granted against a declared end
use (MOFCOM Announcement No. 23 [2023] asks for end-user and end-use certificates), so
buyers cannot order their way around refusals with restocking orders, and a buyer that
re-sources keeps ordering what is approved (re-sourcing moves only the refused excess;
a capped flow receives no re-sourced share). A :class:`LicenceRelief` active on
day ``t`` replaces the approval rate of the shocks it names and multiplies their delay by
``delay_factor``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from econsec.simulation.licence_delays import lag_cdf, longest_day
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.params import Draws
from econsec.simulation.spec import (
    AlliedSharing,
    CapacityInvestment,
    LicenceRelief,
    Shock,
    ShockKind,
    SimulationSpec,
    Stockpile,
)

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def shock_mask(base: Baseline, shock: Shock) -> B:
    """Flows a shock applies to: supplier in imposers, buyer in targets, good in goods
    (none for a node shock: :class:`NodeShocks` applies those)."""
    if shock.kind.on_nodes:
        return np.zeros(base.n_flows, dtype=np.bool_)
    eco = np.asarray(base.economies)
    goods = np.asarray(base.goods)
    sup = np.isin(eco[base.flow_supplier], list(shock.imposers))
    buyer_eco = eco[base.flow_buyer]
    if shock.targets:
        buy = np.isin(buyer_eco, list(shock.targets))
    else:
        buy = ~np.isin(buyer_eco, list(shock.imposers))
    good = np.isin(goods[base.flow_good], list(shock.goods))
    return np.asarray(sup & buy & good, dtype=np.bool_)


@dataclass(frozen=True)
class FlowControls:
    """Controls on the flows for one step (arrays shaped (F,), or (R, L) for delays)."""

    open: F64
    quota: F64
    tariff: F64
    licensed: B
    delay_days: F64  # (K, R) licence delay of the pipeline flows (``licence_flows``)
    #: (K, J) CDF over lag steps 0..J-1 of the pipeline flows' delays spread over shipments
    #: (1 where none; ends at 1); None: no spread delay in effect
    spread: F64 | None = None

    @functools.cached_property
    def spread_steps(self) -> npt.NDArray[np.int64]:
        """Lag steps where some flow's spread CDF rises (the only lags past the per-run
        delays that receive shipments); empty without a spread."""
        if self.spread is None:
            return np.zeros(0, dtype=np.int64)
        rises = np.diff(self.spread, axis=1, prepend=0.0) != 0.0
        return np.flatnonzero(rises.any(axis=0)).astype(np.int64)

    @functools.cached_property
    def restricted(self) -> B:
        """(F,) flows under a ban, licensing refusal, quota or tariff."""
        return np.asarray((self.open != 1.0) | self.capped | (self.tariff != 0.0),
                          dtype=np.bool_)

    @functools.cached_property
    def any_open(self) -> bool:
        return bool((self.open != 1.0).any())

    @functools.cached_property
    def capped(self) -> B:
        """(F,) flows under a cap (a quota, or licences refusing part of the volume)."""
        return np.asarray(np.isfinite(self.quota), dtype=np.bool_)

    @functools.cached_property
    def any_quota(self) -> bool:
        return bool(self.capped.any())

    @functools.cached_property
    def destination_open(self) -> F64:
        """(F,) open share of each flow as a re-sourcing destination: 0 under a cap (a
        capped flow gains nothing from more orders)."""
        return np.where(self.capped, 0.0, self.open)


class ShockPlan:
    """Compiled shocks: masks per shock, evaluated per day into :class:`FlowControls`."""

    def __init__(self, base: Baseline, spec: SimulationSpec, draws: Draws) -> None:
        if len(draws.licence_delay) != len(spec.shocks):
            raise ValueError(f"draws hold licence delays for {len(draws.licence_delay)} "
                             f"shocks, the spec has {len(spec.shocks)}")
        self.base = base
        self.shocks = spec.shocks
        self.draws = draws
        self.masks = [shock_mask(base, s) for s in spec.shocks]
        self.reliefs = [lv for lv in spec.levers if isinstance(lv, LicenceRelief)]
        self.runs = draws.runs
        lic = np.zeros(base.n_flows, dtype=np.bool_)
        for s, m in zip(self.shocks, self.masks, strict=True):
            if s.kind is ShockKind.licensing:
                lic |= m
        #: flows that can ever be under licensing (the delayed-shipment pipeline's columns)
        self.licence_flows = np.flatnonzero(lic)
        self.dt = float(spec.step_days)
        #: lag steps of the spread CDFs: the longest spread delay, at the largest factor
        self.spread_len = 1 + max([int(np.rint(longest_day(s.licence_delay)
                                               * self.max_factor() / self.dt))
                                   for i, s in enumerate(self.shocks)
                                   if draws.is_spread(i) and s.licence_delay is not None],
                                  default=0)
        self._cdfs: dict[tuple[int, float], F64] = {}

    @functools.cached_property
    def z0(self) -> F64:
        """(F,) baseline flows (quotas and licence caps are shares of them)."""
        return self.base.baseline_flows()

    def touched_flows(self) -> B:
        out = np.zeros(self.base.n_flows, dtype=np.bool_)
        for m in self.masks:
            out |= m
        return out

    def event_days(self) -> list[int]:
        days = {0}
        for s in self.shocks:
            if s.kind.on_nodes:  # node shocks leave the flow controls as they are
                continue
            days.add(s.start)
            if s.end is not None:
                days.add(s.end)
        days |= {r.start for r in self.reliefs}
        return sorted(days)

    def max_factor(self) -> float:
        """The largest factor the reliefs can put on a delay (all that lengthen it)."""
        return float(np.prod([max(r.delay_factor, 1.0) for r in self.reliefs]))

    def max_delay(self) -> float:
        """Longest licence delay any run can see (days)."""
        worst = 0.0
        factor = self.max_factor()
        for i, s in enumerate(self.shocks):
            if s.kind is not ShockKind.licensing:
                continue
            if self.draws.is_spread(i) and s.licence_delay is not None:
                worst = max(worst, longest_day(s.licence_delay) * factor)
            else:
                worst = max(worst, float(self.draws.shock_delay(i).max(initial=0.0)) * factor)
        return worst

    def spread_cdf(self, i: int, factor: float) -> F64:
        """(J,) CDF over lag steps of shock *i*'s delay spread over shipments, scaled by
        *factor* (:func:`econsec.simulation.licence_delays.lag_cdf`; cached)."""
        key = (i, factor)
        if key not in self._cdfs:
            dist = self.shocks[i].licence_delay
            if dist is None:
                raise ValueError(f"shock {i} has no licence delay of its own to spread")
            self._cdfs[key] = lag_cdf(dist, factor, self.dt, self.spread_len)
        return self._cdfs[key]

    def controls(self, day: float) -> FlowControls:
        nf = self.base.n_flows
        runs = self.runs
        open_ = np.ones(nf)
        quota = np.full(nf, np.inf)
        tariff = np.zeros(nf)
        licensed = np.zeros(nf, dtype=np.bool_)
        approved = np.ones(nf)
        lf = self.licence_flows
        delay = np.zeros((len(lf), runs))
        spread: F64 | None = None
        for i, (s, m) in enumerate(zip(self.shocks, self.masks, strict=True)):
            if s.kind.on_nodes or not (s.start <= day and (s.end is None or day < s.end)):
                continue
            if s.kind is ShockKind.ban:
                open_[m] *= 1.0 - s.intensity
            elif s.kind is ShockKind.quota:
                quota[m] = np.minimum(quota[m], s.intensity * self.z0[m])
            elif s.kind is ShockKind.tariff:
                tariff[m] += s.intensity
            else:
                approve = s.approval_rate if s.approval_rate is not None else 1.0 - s.intensity
                factors = []
                for r in self.reliefs:
                    if r.start <= day and (r.measure_id is None or r.measure_id == s.measure_id):
                        approve = r.approval_rate
                        factors.append(r.delay_factor)
                approved[m] *= approve
                licensed |= m
                ml = m[lf]
                if self.draws.is_spread(i):  # the longest: P(max <= j) = prod_i F_i(j)
                    if spread is None:
                        spread = np.ones((len(lf), self.spread_len))
                    spread[ml] *= self.spread_cdf(i, float(np.prod(factors)))[None, :]
                    continue
                mean = self.draws.shock_delay(i)
                for f in factors:
                    mean = mean * f
                delay[ml] = np.maximum(delay[ml], mean[None, :])
        refused = licensed & (approved < 1.0)
        if refused.any():  # licences up to the approved share of pre-shock volumes
            cap = approved[refused] * open_[refused] * self.z0[refused]
            quota[refused] = np.minimum(quota[refused], cap)
        return FlowControls(open_, quota, tariff, licensed, delay, spread)


def node_shock_weight(shock: Shock, day: float) -> float:
    """``w(t) = min(on(t), off(t))`` of a node shock on *day* (:mod:`spec`):
    ``on = clip((t - start) / ramp_days, 0, 1)`` (a step when ``ramp_days`` is 0),
    ``off = 1`` before ``end``, then ``clip(1 - (t - end) / recovery_days, 0, 1)`` (0 at
    once when ``recovery_days`` is 0)."""
    if day < shock.start:
        return 0.0
    on = 1.0 if shock.ramp_days <= 0 else min(1.0, (day - shock.start) / shock.ramp_days)
    if shock.end is None or day < shock.end:
        off = 1.0
    elif shock.recovery_days <= 0:
        off = 0.0
    else:
        off = max(0.0, 1.0 - (day - shock.end) / shock.recovery_days)
    return min(on, off)


class NodeShocks:
    """Node shocks compiled to per-node multipliers for one day: final demand
    ``f0_i x prod_s (1 + w_s(t) (m_s - 1))`` over the demand shocks ``s`` on node ``i``, and
    capacity ``cap_i x prod_s (1 - w_s(t) l_s)`` over its outages (``m``, ``l``: the shocks'
    intensities; ``w``: :func:`node_shock_weight`). Capacity here is everything on line:
    ``xcap + invest + ramp spare x0`` and the ceiling ``xcap + invest + spare x0`` alike."""

    def __init__(self, base: Baseline, spec: SimulationSpec) -> None:
        eco = np.asarray(base.economies)[base.node_economy]
        good = np.asarray(base.goods)[base.node_good]
        self.n = base.n_nodes
        self.shocks: list[tuple[Shock, B]] = []
        for s in spec.shocks:
            if not s.kind.on_nodes:
                continue
            m = np.isin(good, list(s.goods))
            if s.economies:
                m &= np.isin(eco, list(s.economies))
            self.shocks.append((s, np.asarray(m, dtype=np.bool_)))

    def __bool__(self) -> bool:
        return bool(self.shocks)

    def nodes(self) -> B:
        """(N,) nodes some node shock hits."""
        out = np.zeros(self.n, dtype=np.bool_)
        for _, m in self.shocks:
            out |= m
        return out

    def at(self, day: float) -> tuple[F64, F64] | None:
        """((N,) final-demand multiplier, (N,) capacity kept) on *day*; None when every
        multiplier is 1 (no node shock in effect)."""
        final = np.ones(self.n)
        keep = np.ones(self.n)
        for s, m in self.shocks:
            w = node_shock_weight(s, day)
            if w <= 0.0:
                continue
            if s.kind is ShockKind.demand:
                final[m] *= 1.0 + w * (s.intensity - 1.0)
            else:
                keep[m] *= 1.0 - w * s.intensity
        if (final == 1.0).all() and (keep == 1.0).all():
            return None
        return final, keep


def stockpile_days(base: Baseline, spec: SimulationSpec) -> F64:
    """(S,) extra days of cover per slot from :class:`Stockpile` levers."""
    eco = np.asarray(base.economies)[base.node_economy[base.slot_node]]
    good = np.asarray(base.goods)[base.slot_good]
    out = np.zeros(base.n_slots)
    for lv in spec.levers:
        if isinstance(lv, Stockpile):
            m = np.isin(eco, list(lv.economies)) & np.isin(good, list(lv.goods))
            out[m] += lv.days
    return out


@dataclass(frozen=True)
class InvestmentSchedule:
    """Capacity added by :class:`CapacityInvestment` levers: node ``i`` gains
    ``capacity_share x world output of the good x clip((day - start) / lead_days, 0, 1)``
    (USD bn/day) from day ``start``."""

    node: npt.NDArray[np.int64]
    amount: F64
    start: F64
    lead: F64

    @classmethod
    def of(cls, base: Baseline, spec: SimulationSpec) -> InvestmentSchedule:
        index = base.node_index()
        g_ix = {g: i for i, g in enumerate(base.goods)}
        rows = [(index[(lv.economy, lv.good)],
                 lv.capacity_share * float(base.world_output[g_ix[lv.good]]),
                 float(lv.start), float(lv.lead_days))
                for lv in spec.levers
                if isinstance(lv, CapacityInvestment) and (lv.economy, lv.good) in index]
        return cls(np.asarray([r[0] for r in rows], dtype=np.int64),
                   np.asarray([r[1] for r in rows], dtype=np.float64),
                   np.asarray([r[2] for r in rows], dtype=np.float64),
                   np.asarray([r[3] for r in rows], dtype=np.float64))

    def capacity(self, day: float, n_nodes: int) -> F64:
        """(N,) added capacity on *day*."""
        lead = np.maximum(self.lead, 1e-12)
        frac = np.where(day >= self.start, np.clip((day - self.start) / lead, 0.0, 1.0), 0.0)
        frac = np.where((self.lead <= 0) & (day >= self.start), 1.0, frac)
        return np.bincount(self.node, weights=self.amount * frac,
                           minlength=n_nodes).astype(np.float64)


def allied_members(base: Baseline, spec: SimulationSpec, day: float) -> B:
    """(E,) economies in an allied-sharing bloc active on *day*."""
    out = np.zeros(len(base.economies), dtype=np.bool_)
    eco = np.asarray(base.economies)
    for lv in spec.levers:
        if isinstance(lv, AlliedSharing) and lv.start <= day:
            out |= np.isin(eco, list(lv.members))
    return out
