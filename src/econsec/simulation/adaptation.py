"""Buyer adaptation: induced localisation (stage 6b of the step rule,
:mod:`econsec.simulation.step`).

A control that refuses part of a buyer economy's imports of a good (a ban, a quota, or
licensing that refuses part of the volume; not a licence delay alone, not a tariff) makes
the buyer's own producers of that good ramp up: the import-substitution response reported
after Japan's 2019 controls on hydrogen fluoride to Korea (Soulbrain, SK Materials; MOTIE,
28 June 2021) and after China's 2023 gallium and graphite controls. It is a model
response to the control, never a typed outcome.

For a pair ``(c, h)`` of buyer economy ``c`` and good ``h`` first refused on day ``t_c``
(the first day a control refuses a flow of ``h`` into ``c``), with ceiling
``lambda = localisation_share`` and lead time ``lead = localisation_lead_days`` (run
parameters, :data:`econsec.simulation.spec.PARAMETERS`):

* progress ``L(t) = clip((t - t_c) / lead, 0, 1)`` (``lead <= 0``: 1 from ``t_c``); the
  capacity built stays after a lift (it is sunk);
* the domestic node ``d = (c, h)`` gains capacity
  ``L(t) sum_{q in (c, h)} max(lambda - s0_dom,q, 0) u0_q`` (USD bn/day), with ``u0_q =
  c_q x_ref_j`` the pre-shock use of slot ``q`` (every slot of an ``h``-using node of ``c``)
  and ``s0_dom,q`` the domestic flow's pre-shock share;
* sourcing (stage 6b, after re-sourcing): the domestic share of slot ``q`` is raised to at
  least ``tau_q = s0_dom,q + L(t) max(lambda - s0_dom,q, 0)``: the gap
  ``m_q = min(max(tau_q - share_dom,q, 0), F_q)`` (only above 1e-12) is taken from the
  slot's other flows (the imports, ``F_q = sum_{k in q, k != dom} share_k``) in proportion
  to their shares, ``share_k -= share_k m_q / F_q``, and added to the domestic flow: domestic
  supply displaces imports whatever their origin (the buyer replaces what it can qualify),
  so both the controlled supplier's and the total imports fall.

So ``lambda`` is the domestic share of pre-shock use reached at full ramp-up (a slot
already above it is unchanged) and the capacity added is what serves the added share at
pre-shock use. With ``localisation_share = 0`` (the default) nothing is compiled and the
step is unchanged bit for bit. :func:`econsec.simulation.engine.simulate` builds the
baseline with every refused pair's domestic node (created with zero output if absent, as
for a :class:`~econsec.simulation.spec.CapacityInvestment`), which also makes it a
zero-share candidate supplier of every slot of the good.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from econsec.simulation.controls import FlowControls, ShockPlan
from econsec.simulation.kernels import FlowSums, ranges, take_rows
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.state import State

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: a domestic share below its target by at most this much is left as it is (rounding)
GAP_TOL = 1e-12


def refused(ctl: FlowControls) -> B:
    """(F,) flows a control refuses in part: a ban (``open < 1``) or a cap (a quota, or
    licensing that refuses part of the volume); a licence delay or a tariff alone is not a
    refusal."""
    return np.asarray((ctl.open < 1.0) | ctl.capped, dtype=np.bool_)


def refused_pairs(base: Baseline, plan: ShockPlan) -> dict[tuple[int, int], float]:
    """``(buyer economy, good) -> first day`` a flow of the good into the economy is
    refused (:func:`refused`), over the days the controls of *plan* change."""
    first: dict[tuple[int, int], float] = {}
    for day in plan.event_days():
        for k in np.flatnonzero(refused(plan.controls(float(day)))):
            first.setdefault((int(base.flow_buyer[k]), int(base.flow_good[k])), float(day))
    return first


@dataclass(frozen=True)
class LocalStep:
    """What stage 6b needs on one day: the slots of the localising pairs, their flows (in
    flow order, *row*: their slot's position, *dom*: the domestic flow) and the domestic
    share targets ``tau`` ([Z, R])."""

    flows: I64  # (M,) flows of the slots, sorted
    row: I64  # (M,) position of each flow's slot in ``slots``
    dom: B  # (M,) the flow is its slot's domestic flow
    dom_pos: I64  # (Z,) position in ``flows`` of each slot's domestic flow
    seg: object  # 0/1 matrix summing the flows of each slot, in flow order ([Z, M])
    tau: F64  # [Z, R]


@dataclass(frozen=True)
class Localisation:
    """The compiled pairs of induced localisation (module docstring)."""

    node: I64  # (P,) domestic node of each pair
    start: F64  # (P,) first refusal day
    slots: I64  # (Z,) slots of the pairs, sorted
    pair: I64  # (Z,) pair of each slot
    s0_dom: F64  # (Z,) pre-shock domestic share
    u0: F64  # (Z,) pre-shock use c_q x_ref_j
    flows: I64
    row: I64
    dom: B
    dom_pos: I64
    seg: object

    @classmethod
    def of(cls, base: Baseline, first: dict[tuple[int, int], float], share0: F64,
           use0: F64) -> Localisation:
        """Compile *first* (:func:`refused_pairs`) on *base*; *share0* (F,) pre-shock shares,
        *use0* (S,) pre-shock use of every slot. Raises ValueError naming the pair when the
        buyer has no node of the good or no flow from it to a slot of the pair."""
        index = base.node_index()
        node_eco = base.node_economy[base.slot_node]
        nodes, starts, slots, pair = [], [], [], []
        for p, ((c, h), day) in enumerate(sorted(first.items())):
            name = (base.economies[c], base.goods[h])
            if name not in index:
                raise ValueError(f"localisation: {name[0]} has no node of {name[1]} (build "
                                 "the baseline with it as an extra node, as simulate does)")
            nodes.append(index[name])
            starts.append(day)
            qs = np.flatnonzero((node_eco == c) & (base.slot_good == h))
            slots += qs.tolist()
            pair += [p] * len(qs)
        order = np.argsort(np.asarray(slots, dtype=np.int64), kind="stable")
        slot_arr = np.asarray(slots, dtype=np.int64)[order]
        pair_arr = np.asarray(pair, dtype=np.int64)[order]
        sums = FlowSums(base.flow_slot, base.flow_src, base.n_slots, base.n_nodes)
        flows = ranges(sums.slot_ptr[slot_arr], sums.slot_count[slot_arr])
        row = np.repeat(np.arange(len(slot_arr)), sums.slot_count[slot_arr])
        node_arr = np.asarray(nodes, dtype=np.int64)
        dom = base.flow_src[flows] == node_arr[pair_arr][row]
        if np.bincount(row[dom], minlength=len(slot_arr)).min(initial=1) != 1:
            bad = int(slot_arr[np.bincount(row[dom], minlength=len(slot_arr)) != 1][0])
            c = int(node_eco[bad])
            raise ValueError(f"localisation: slot {bad} of {base.economies[c]} has no flow "
                             f"from its own {base.goods[int(base.slot_good[bad])]} producers")
        dom_pos = np.flatnonzero(dom)
        return cls(node=node_arr, start=np.asarray(starts, dtype=np.float64),
                   slots=slot_arr, pair=pair_arr, s0_dom=share0[flows[dom_pos]],
                   u0=use0[slot_arr], flows=flows, row=row, dom=dom, dom_pos=dom_pos,
                   seg=sums.segment_sums(sums.slot_count[slot_arr]))

    def progress(self, day: float, lead: F64) -> F64:
        """[P, R] ``L(t) = clip((day - t_c) / lead, 0, 1)`` (*lead* [1, R]; ``lead <= 0``:
        1 from ``t_c``)."""
        since = day - self.start[:, None]
        with np.errstate(over="ignore"):  # a lead of a few ulps: inf, clipped to 1 below
            frac = np.clip(np.divide(since, lead, out=np.full(np.broadcast_shapes(
                since.shape, lead.shape), np.inf), where=lead > 0), 0.0, 1.0)
        return np.where(since >= 0, frac, 0.0)

    def added(self, ceiling: F64) -> F64:
        """[Z, R] ``max(lambda - s0_dom,q, 0)``, the share each slot adds at full ramp-up
        (*ceiling* [1, R], capped at 1)."""
        return np.maximum(np.minimum(ceiling, 1.0) - self.s0_dom[:, None], 0.0)

    def capacity(self, day: float, ceiling: F64, lead: F64, n_nodes: int) -> F64:
        """[N, R] capacity added to the domestic nodes on *day*:
        ``L(t) sum_{q in pair} max(lambda - s0_dom,q, 0) u0_q``."""
        per_slot = self.added(ceiling) * self.u0[:, None]
        per_pair = np.zeros((len(self.node), per_slot.shape[1]))
        np.add.at(per_pair, self.pair, per_slot)
        out = np.zeros((n_nodes, per_slot.shape[1]))
        out[self.node] = per_pair * self.progress(day, lead)
        return out

    def at(self, day: float, ceiling: F64, lead: F64) -> LocalStep:
        """Stage 6b's inputs on *day*: ``tau_q = s0_dom,q + L(t) max(lambda - s0_dom,q, 0)``."""
        tau = self.s0_dom[:, None] + take_rows(self.progress(day, lead), self.pair) * \
            self.added(ceiling)
        return LocalStep(flows=self.flows, row=self.row, dom=self.dom, dom_pos=self.dom_pos,
                         seg=self.seg, tau=tau)


def localise(st: State, loc: LocalStep) -> None:
    """Stage 6b: raise each localising slot's domestic share toward ``tau_q``, taking
    ``m_q = min(gap_q, F_q)`` from the slot's imports in proportion to their shares
    (module docstring)."""
    sh = take_rows(st.share, loc.flows)  # [M, R]
    foreign = np.where(loc.dom[:, None], 0.0, sh)
    f_q = np.asarray(loc.seg @ foreign)  # type: ignore[operator]
    gap = loc.tau - take_rows(sh, loc.dom_pos)
    gap[gap <= GAP_TOL] = 0.0
    moved = np.minimum(gap, f_q)
    if not (moved > 0).any():
        return
    frac = np.zeros_like(moved)
    np.divide(moved, f_q, out=frac, where=f_q > 0)
    new = sh - foreign * take_rows(frac, loc.row)
    new[loc.dom_pos] += moved
    share = np.array(st.share, copy=True)
    share[loc.flows] = new
    st.share = share


class Frontload:
    """Anticipation: between a shock's announcement ``a`` and its effect ``t0`` (``a <= t <
    t0``; only the days from the scenario start are simulated) buyers raise the inventory
    target of every slot with a flow the shock will hit by ``frontload_days`` of pre-shock
    use, ``T_q = (cover + stockpile + dt) u0_q + F u0_q`` with ``F = frontload_days``, so
    their refill orders (``max(T_q - I_q, 0) / refill_days``) order the extra stock from the
    slot's suppliers in proportion to their shares, the soon-restricted ones included.
    After the effect the target is the usual one again and the extra stock is drawn down.
    Stages 1-8 are unchanged: the step reads the day's target."""

    def __init__(self, base: Baseline, plan: ShockPlan, days: F64, use0: F64,
                 target: F64) -> None:
        self.windows: list[tuple[float, float, B]] = []
        for shock, mask in zip(plan.shocks, plan.masks, strict=True):
            if shock.announced is not None and shock.announced < shock.start and mask.any():
                slots = np.zeros(base.n_slots, dtype=np.bool_)
                slots[base.flow_slot[mask]] = True
                self.windows.append((float(shock.announced), float(shock.start), slots))
        self.extra = days * use0[:, None]  # [S, R] F u0_q
        self.target = target
        self._key: bytes | None = None
        self._at = target

    def __bool__(self) -> bool:
        return bool(self.windows)

    def target_on(self, day: float) -> F64:
        """[S, R] inventory targets on *day*: the usual target plus ``F u0_q`` in the slots
        of the shocks announced and not yet in effect."""
        active = np.zeros(self.extra.shape[0], dtype=np.bool_)
        for lo, hi, slots in self.windows:
            if lo <= day < hi:
                active |= slots
        key = active.tobytes()
        if key != self._key:
            self._key = key
            self._at = (self.target + np.where(active[:, None], self.extra, 0.0)
                        if active.any() else self.target)
        return self._at
