"""Engine state and one time step, vectorised over Monte Carlo runs.

Arrays are stored item-major, ``[node, run]`` (N), ``[slot, run]`` (S), ``[flow, run]`` (F),
with the index sets of :class:`~econsec.simulation.network_arrays.Baseline`. Rates are USD bn per
day of base-year value; stocks (inventories, shipments in transit) are USD bn. One step of
``dt`` days (1 = daily, 7 = weekly) does, in order:

1. **Orders.** Node ``j`` plans ``p_j = min(cap_j, D_j(t-1))`` and orders per input slot
   ``o_q = c_q p_j + max(T_q - I_q, 0) / REFILL_DAYS`` (use plus closing the inventory gap
   to the target ``T_q = (cover + stockpile + dt) c_q x_ref_j``); flow ``k`` of the slot
   gets ``o_k = share_k o_q``.
2. **Shocks.** The supplier may ship ``a_k = min(open_k o_k, quota_k)`` (ban, licensing
   refusals, quota; :mod:`econsec.simulation.controls`).
3. **Output.** Demand ``D_i = sum_{k: src=i} a_k + f0_i``; wanted output
   ``w_i = min(cap_i, D_i)``. Input availability of slot ``q``:
   ``alpha_q = min(1, I_q / (c_q w_j dt))`` from the inventory on hand; with
   substitutability ``sigma_q``, ``alpha_eff = alpha + sigma (1 - alpha)`` (the missing
   share a substitute can replace). Node availability ``rho_j = min`` over essential slots
   (Leontief in essential inputs; non-essential shortfalls are substituted in full) and
   output ``y_j = w_j rho_j``.
4. **Shipments.** Suppliers serve current use (input use and final demand) first, in
   proportion, then restocking orders (the refill part of ``o``) from what is left:
   ``phi_use = min(1, y / D_use)``, ``phi_refill = min(1, max(y - D_use, 0) / D_refill)``;
   flow ``k`` ships its use part times ``phi_use`` plus its refill part times ``phi_refill``,
   final demand gets ``f0 phi_use``. Shipments under licensing enter a
   ring buffer and arrive ``round(delay / dt)`` steps later; others arrive this step.
5. **Inventories.** ``I_q += received_q - used_q`` with ``used_q = min(I_q, c_q y_j dt)``
   (what is not drawn from inventory is substituted from outside the network).
6. **Re-sourcing.** In the slots at risk of a run (a flow under a ban, licensing refusal,
   quota or tariff, or from a supplier rationing current use, ``phi_use < 1``; rationed
   restocking orders alone move no share) each flow loses ``share_k (1 - s_k/o_k)``
   (a flow under a cap: ``max(share_k - s_k/u_q, 0)``, only the use it cannot serve;
   below 1e-12: nothing; plus, under a tariff ``tau``,
   ``share_k (1 - (1 + tau)^-eps) dt / ramp_days``; the unshipped part times
   ``min(1, dt / resourcing_days)`` when buyers need ``resourcing_days`` to move orders,
   an exponential adjustment with that time constant); the lost share of the slot goes to
   the flows in proportion to ``w_k = h_src open_k (1 + tau_k)^-eps`` (0 for a flow under
   a quota) where ``h_i = max(capmax_i - D_i, 0)`` is the supplier's headroom at full
   spare capacity, and no more of it than that headroom can serve: the slot's lost share
   ``m_q`` is scaled down to ``m_q o_q <= sum_{k in q} w_k``; with allied sharing a member
   buyer re-sources only among member suppliers while they have headroom.
   **Return** (only with ``return_days``; default: sourcing stays where it moved): a free
   flow (no ban, cap or tariff) below its pre-shock share ``s0_k`` takes back
   ``min(1, dt / return_days) (s0_k - share_k)``, no more than its supplier's headroom
   serves, from the slot's flows above their pre-shock shares, in proportion to their
   surplus (:func:`_return`).
7. **Capacity.** Spare capacity comes on line over ``ramp_days`` while demand exceeds
   capacity: ``ramp_i += dt / ramp_days`` (capped at 1),
   ``cap_i = xcap_i + ramp_i spare x0_i + investment_i(t)``.

Goods are conserved by construction: ``y dt = sum s dt + f dt`` per node; shipped = received
+ change in transit; ``Delta I = received - used``. Without shocks every quantity stays at
its baseline (``D = x0``, ``rho = 1``, ``o_k = z0_k``): the baseline is a steady state.
The structure follows adaptive-regional input-output models with inventories and
rationing (Hallegatte 2008, Risk Analysis 28(3); Guan et al. 2020, Nature Human Behaviour
4, 577-587; BoARIO, Wang et al. 2024), at product level with export-control semantics.

How a step is evaluated (the same rule, arranged for few passes over the flows): with the
order weights ``g_k = share_k open_k`` and the slot's use and refill orders
``u_q = c_q p_j``, ``r_q = max(T_q - I_q, 0) / REFILL_DAYS``, a flow's use and refill parts
are ``g_k u_q`` and ``g_k r_q``, so

* ``D_use = f0 + P(u)``, ``D_refill = P(r)`` with ``P(x)_i = sum_{k: src=i} g_k x_q(k)``;
* ``received_q = (u_q Q(phi_use)_q + r_q Q(phi_refill)_q) dt`` with
  ``Q(y)_q = sum_{k in q} g_k y_src(k)``, ``s_k = (g_k phi_use) u_q + (g_k phi_refill) r_q``;

(:mod:`econsec.simulation.kernels`: one sparse product each for one run, no per-flow
arrays; ``[flow, run]`` products for several runs, formed again from step to step only for
the sources (slots) where a term ``g_k x`` changed; the same bits either way). Flows under
a quota (``min`` is not linear in the orders) and flows of the licence pipeline are summed
one by one (weight 0 in ``g``; their allowed ``a_k`` is split into use and refill parts in
the proportion ``u_q : r_q``). Per-flow shipments are only formed for the slots at risk
and when :class:`StepFlows` are read. ``g`` and its slot sums ``Q(1)`` are kept while the
shares and controls do not change (the share array is read-only meanwhile); ``g`` is the
share array copied, with only the flows not fully open multiplied (``share x 1 = share``);
re-sourcing a few slots writes their rows of the shares and of ``g`` in place.
Ratios ``min(1, a / b)`` taken where ``b > 0`` (else 1) are evaluated as
``fmin(a / b, 1)`` (``b >= 0``; ``a / 0`` is inf or NaN, which ``fmin`` turns into 1), and
``rho`` is a minimum over the essential slots only
(:class:`~econsec.simulation.kernels.NodeMin`; capped at 1 for nodes that also have a
non-essential slot): the same numbers.
Constants of the runs (``c_q``, ``spare x0``, capacities, ``f0``) are broadcast to full
arrays once. A run's result does not depend on the other runs of its chunk, bit for bit.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from econsec.simulation import kernels
from econsec.simulation.controls import FlowControls
from econsec.simulation.kernels import FlowSums, NodeMin, SumMemo, ranges
from econsec.simulation.network_arrays import Baseline

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: days over which buyers close an inventory gap (refill rate 1/REFILL_DAYS per day)
REFILL_DAYS = 30.0
#: elasticity of re-sourcing weights to a tariff wedge, (1 + tau)^-eps (Armington-type)
TARIFF_ELASTICITY = 4.0
#: relative tolerance under which demand counts as within capacity
CAP_TOL = 1e-9
#: sets of slots at risk whose flows are kept (re-sourcing)
RISK_SETS = 256


class Topology:
    """Index arrays and reductions of a :class:`Baseline` (flows -> slots/nodes).

    Engine arrays are stored item-major, ``[item, run]`` (C order), i.e. the transpose of
    the ``[run, item]`` view: gathers copy whole rows of runs and the sums over flows are
    sparse-matrix products (:class:`~econsec.simulation.kernels.FlowSums`, flows added in
    order so that one run and many runs give the same bits).
    """

    def __init__(self, base: Baseline) -> None:
        self.n, self.s, self.f = base.n_nodes, base.n_slots, base.n_flows
        self.slot_node = base.slot_node
        self.flow_slot = base.flow_slot
        self.flow_src = base.flow_src
        self.flow_buyer_node = base.slot_node[base.flow_slot]
        if np.any(np.diff(base.flow_slot) < 0) or np.any(np.diff(base.slot_node) < 0):
            raise ValueError("flows must be sorted by slot and slots by node")
        self.sums = FlowSums(base.flow_slot, base.flow_src, self.s, self.n)
        self._slot_to_node = sp.csr_matrix(
            (np.ones(self.s), (base.slot_node, np.arange(self.s))), shape=(self.n, self.s))
        # flows grouped by supplier (to find the flows of rationing suppliers)
        by_src = np.bincount(base.flow_src, minlength=self.n)
        self._src_flows = np.argsort(base.flow_src, kind="stable").astype(np.int64)
        self._src_ptr = np.concatenate([[0], np.cumsum(by_src)[:-1]]).astype(np.int64)
        self._src_count = by_src.astype(np.int64)
        # slots of each node by rank: rank r holds (node, slot) of every node's r-th slot
        self._min_all = NodeMin(base.slot_node, self.n)
        #: min over the essential slots; the reduced rows of nodes that also have a
        #: non-essential slot (whose effective availability is 1)
        self.min_essential = NodeMin(base.slot_node, self.n, base.slot_essential)
        other = np.bincount(base.slot_node, weights=~base.slot_essential, minlength=self.n)
        self.mixed_rows = np.flatnonzero(other[self.min_essential.nodes] > 0)
        self._consts: _Consts | None = None
        self._ctl: _Controls | None = None
        self._weights: _Weights | None = None
        #: shipments (lazy StepFlows) that read the order weights (patched when the
        #: weights are updated in place)
        self._readers: weakref.WeakSet[_Shipments] = weakref.WeakSet()
        #: the last weighted sums of the step's series (sums of several runs)
        self._memos: dict[str, SumMemo] = {}
        #: flows of the sets of slots at risk seen under the current controls
        self._risks: dict[bytes, _Risk] = {}
        #: the last re-sourcing worked on the whole arrays (most slots at risk)
        self.whole_risk = False

    def flows_to_slots(self, x: F64) -> F64:
        """sum over the flows of each slot, [F, R] -> [S, R]."""
        return self.sums.to_slots(x)

    def flows_to_sources(self, x: F64) -> F64:
        """sum over the flows each node supplies, [F, R] -> [N, R]."""
        return self.sums.to_sources(x)

    def slots_to_nodes(self, x: F64) -> F64:
        """sum over the slots of each node, [S, R] -> [N, R]."""
        return np.asarray(self._slot_to_node @ x)

    def slots_to_nodes_min(self, x: F64, empty: float = 1.0) -> F64:
        """min over the slots of each node (*empty* for nodes without slots),
        [S, R] -> [N, R]."""
        return self._min_all(x, empty)

    def availability(self, alpha: F64, sigma_rows: F64) -> F64:
        """``rho_j = min`` over the essential slots of ``alpha + sigma (1 - alpha)`` (1 for
        nodes without; at most 1 for nodes with a non-essential slot), [S, R] -> [N, R];
        *sigma_rows*: ``sigma`` gathered at :attr:`min_essential` ``.rows``."""
        ess = self.min_essential
        al = np.take(alpha, ess.rows, axis=0)
        a_eff = np.subtract(1.0, al)
        a_eff *= sigma_rows
        a_eff += al
        low = ess.reduce_gathered(a_eff)
        if len(self.mixed_rows):
            low[self.mixed_rows] = np.minimum(low[self.mixed_rows], 1.0)
        rho = np.ones((self.n, alpha.shape[1]))
        rho[ess.nodes] = low
        return rho

    def consts(self, base: Baseline, prm: RunParams, x_cap: F64, invest: F64) -> _Consts:
        """Per-step constants of the runs (kept while *prm*, *x_cap*, *invest* are the same
        objects)."""
        k = self._consts
        if k is None or k.prm is not prm or k.x_cap is not x_cap or k.invest is not invest:
            k = self._consts = _Consts.of(self, base, prm, x_cap, invest)
        return k

    def flows_from(self, nodes: I64) -> I64:
        """Flows supplied by *nodes* (unsorted)."""
        return self._src_flows[ranges(self._src_ptr[nodes], self._src_count[nodes])]

    def weights(self, share: F64, c: _Controls) -> _Weights:
        """Order weights of *share* under *c* (kept while both are the same objects)."""
        w = self._weights
        if w is None or w.share is not share or w.c is not c:
            w = self._weights = _Weights(share, c)
        return w

    def by_source_since(self, name: str, w: _Weights, x: F64) -> F64:
        """``P(g, x)`` of series *name* from its last sum (:meth:`FlowSums.by_source_since`)."""
        memo = self._memos.setdefault(name, SumMemo())
        return self.sums.by_source_since(w.g, x, memo, w.stamp, w.changed_since(memo.stamp))

    def by_slot_since(self, name: str, w: _Weights, y: F64) -> F64:
        """``Q(g, y)`` of series *name* from its last sum (:meth:`FlowSums.by_slot_since`)."""
        memo = self._memos.setdefault(name, SumMemo())
        return self.sums.by_slot_since(w.g, y, memo, w.stamp, w.changed_since(memo.stamp))

    def set_share_rows(self, st: State, rows: I64, new: F64) -> None:
        """``st.share[rows] = new`` (*rows* sorted), in place where possible: the order
        weights of the share array are updated in the same rows, and shipments that read
        them keep the old rows (:attr:`_Shipments.patches`)."""
        share = st.share
        w = self._weights
        if w is not None and w.share is not share:
            w = None
        if w is not None:
            old = _take(w.g, rows)
            for s in self._readers:
                if s.g is w.g:
                    s.patches.append((rows, old))
        try:
            share.flags.writeable = True
        except ValueError:  # a read-only view of someone else's array
            share = st.share = share.copy()
            w = self._weights = None
        share[rows] = new
        if w is not None:
            share.flags.writeable = False
            w.set_rows(rows, new)

    def risk(self, hit: B, c: _Controls) -> _Risk:
        """Flows of the slots *hit* under *c* (kept for up to :data:`RISK_SETS` sets while
        the controls are the same: the set changes often and comes back)."""
        key = hit.tobytes()
        r = self._risks.get(key)
        if r is None or r.c is not c:
            if len(self._risks) >= RISK_SETS or any(v.c is not c for v in self._risks.values()):
                self._risks.clear()
            r = self._risks[key] = _Risk(self, hit, c)
        return r

    def controls(self, ctl: FlowControls, licence_flows: I64, piped: bool) -> _Controls:
        """What a step needs from *ctl* (computed once per controls object)."""
        c = self._ctl
        if c is None or c.ctl is not ctl or c.licence is not licence_flows or c.piped != piped:
            c = self._ctl = _Controls.of(self, ctl, licence_flows, piped)
        return c


@dataclass(frozen=True)
class _Controls:
    """Per-flow constants of one :class:`FlowControls` (valid until the controls change).

    *special* flows are summed one by one instead of through the weighted flow sums: flows
    under a quota (``min(open o, quota)`` is not linear in the orders) and the flows of the
    licence pipeline (their shipments may arrive later). Their weight in ``open_eff`` is 0.
    """

    ctl: FlowControls
    licence: I64
    piped: bool
    open_eff: F64 | None  # (F,) open share of orders, 0 for special flows; None: all 1
    partly_open: I64  # flows where open_eff != 1
    special: I64  # (X,) sorted
    sp_slot: I64
    sp_src: I64
    sp_open: F64  # [X, 1]
    sp_quota: F64  # [X, 1]
    lic_pos: I64  # (K,) position of each licence-pipeline flow in *special*
    risk_slots: B  # (S,) slots with a flow under a ban, licensing refusal, quota or tariff
    wedge: F64 | None  # (F,) (1 + tau)^-eps, None without tariffs

    @classmethod
    def of(cls, topo: Topology, ctl: FlowControls, licence: I64, piped: bool) -> _Controls:
        special = np.flatnonzero(ctl.capped)
        lic = np.asarray(licence, dtype=np.int64) if piped else np.zeros(0, np.int64)
        special = np.union1d(special, lic).astype(np.int64)
        open_eff: F64 | None = None
        if ctl.any_open or len(special):
            open_eff = np.array(ctl.open, dtype=np.float64)
            open_eff[special] = 0.0
        risk = np.zeros(topo.s, dtype=np.bool_)
        risk[topo.flow_slot[ctl.restricted]] = True
        tariffed = bool(ctl.tariff.any())
        partly = (np.flatnonzero(open_eff != 1.0) if open_eff is not None
                  else np.zeros(0, np.int64))
        return cls(ctl=ctl, licence=licence, piped=piped, open_eff=open_eff,
                   partly_open=partly.astype(np.int64), special=special,
                   sp_slot=topo.flow_slot[special], sp_src=topo.flow_src[special],
                   sp_open=ctl.open[special][:, None], sp_quota=ctl.quota[special][:, None],
                   lic_pos=np.searchsorted(special, lic).astype(np.int64), risk_slots=risk,
                   wedge=(1.0 + ctl.tariff) ** -TARIFF_ELASTICITY if tariffed else None)


def _take(x: npt.NDArray[Any], idx: I64) -> npt.NDArray[Any]:
    """Rows *idx* of *x* (``np.take`` along axis 0: 2-3x faster than fancy indexing)."""
    return np.take(x, idx, axis=0)


@dataclass
class State:
    """Mutable state of all runs (a scenario's copy; the Baseline is never changed)."""

    day: float
    step: int
    ramp: F64  # [N, R] share of spare capacity on line
    demand: F64  # [N, R] demand of the last step D(t-1)
    output: F64  # [N, R] output of the last step (rate)
    availability: F64  # [N, R] rho of the last step
    inventory: F64  # [S, R] USD bn on hand
    share: F64  # [F, R] sourcing shares (sum to 1 per slot)
    pipeline: F64  # [L, K, R] licensed shipments in transit by arrival step (ring buffer)


@dataclass(frozen=True)
class StepFlows:
    """What moved during one step (amounts, USD bn): the ledger of conservation.

    The per-flow amounts ``shipped`` and ``arrived`` ([F, R]) are computed on access (the
    step itself only needs their sums); ``arrived_at(flows)`` gives a few flows' arrivals.
    ``output``, ``final`` and ``substituted`` too are formed on access, from the step's
    rates (*output_rate* ``y``, *need* ``c_q y_j dt``) and ``dt``.
    """

    output_rate: F64 = field(repr=False)  # [N, R] output rate y
    received: F64  # [S, R] arrived at buyers (immediate + out of the pipeline)
    used: F64  # [S, R] drawn from inventory by production
    need: F64 = field(repr=False)  # [S, R] input need of the output
    into_pipeline: F64  # [R] entered the licence pipeline
    out_of_pipeline: F64  # [R] left the licence pipeline
    moves: _Shipments = field(repr=False)

    @property
    def output(self) -> F64:
        """[N, R] produced, ``y dt``."""
        return self.output_rate * self.moves.dt

    @property
    def final(self) -> F64:
        """[N, R] delivered to final demand, ``f0 phi_use dt``."""
        return self.moves.f0 * self.moves.phi_u * self.moves.dt

    @property
    def substituted(self) -> F64:
        """[S, R] input need met from outside the network (need less drawn from inventory)."""
        return self.need - self.used

    @property
    def shipped(self) -> F64:
        """[F, R] shipped by suppliers (arriving now or entering the pipeline)."""
        return self.moves.amounts(None, arrived=False)

    @property
    def arrived(self) -> F64:
        """[F, R] arrived at the buyers per flow (immediate + out of the pipeline); sums
        to ``received`` per slot."""
        return self.moves.amounts(None, arrived=True)

    def arrived_at(self, flows: I64) -> F64:
        """[len(flows), R] arrivals of the (sorted) *flows* only."""
        return self.moves.amounts(np.asarray(flows, dtype=np.int64), arrived=True)


@dataclass(frozen=True)
class RunParams:
    """Per-run parameters as row vectors [1, R] (see :data:`spec.PARAMETERS`)."""

    spare: F64
    ramp_days: F64
    inventory_days: F64
    sigma: F64  # [S, R] substitutability after scaling (capped at 1)
    #: [1, R] share of the lost share moved per step, ``min(1, dt / resourcing_days)``
    #: (None: every run moves it at once)
    resource_rate: F64 | None = None
    #: [1, R] share of the gap to the pre-shock shares closed per step once a flow is free,
    #: ``min(1, dt / return_days)`` (None: sourcing never moves back)
    return_rate: F64 | None = None
    #: [F, 1] the pre-shock shares buyers return to (the baseline's, or after a
    #: diversification lever)
    return_to: F64 | None = None


@dataclass(frozen=True, eq=False)
class _Consts:
    """What a step uses unchanged from step to step, as full [item, run] arrays (same-shape
    operations are faster than broadcasting a column): ``c_q``; ``spare x0``; capacity
    without ramp-up ``x_cap + invest`` and at full ramp-up; ``f0``; ``sigma`` at the rows
    of :attr:`Topology.min_essential`."""

    prm: RunParams
    x_cap: F64
    invest: F64
    coef: F64  # [S, R]
    spare_cap: F64  # [N, R]
    cap0: F64  # [N, R]
    cap_max: F64  # [N, R]
    f0: F64  # [N, R]
    sigma_rows: F64  # [rows, R]

    @classmethod
    def of(cls, topo: Topology, base: Baseline, prm: RunParams, x_cap: F64, invest: F64
           ) -> _Consts:
        runs = prm.sigma.shape[1]

        def full(v: F64) -> F64:
            return np.repeat(v[:, None], runs, axis=1)

        spare_cap = prm.spare * base.x0[:, None]
        cap0 = full(x_cap + invest)
        return cls(prm=prm, x_cap=x_cap, invest=invest, coef=full(base.slot_coef),
                   spare_cap=spare_cap, cap0=cap0, cap_max=cap0 + spare_cap,
                   f0=full(base.f0),
                   sigma_rows=np.take(prm.sigma, topo.min_essential.rows, axis=0))


#: keep the per-flow temporaries of the weighted sums (to reuse for the shipment rates)
#: while a [F, R] array has at most this many values
KEEP_VALUES = 1 << 22


class _Weights:
    """Order weights ``g = share x open_eff`` of one share array under one set of controls,
    with their slot sums ``sum_{k in q} g_k`` (computed on first use): kept by the
    :class:`Topology` while neither changes. The share array is made read-only: only
    :meth:`Topology.set_share_rows` writes into it, and updates ``g`` in the same rows
    (``g_k = share_k open_k``, the same bits as forming ``g`` again); each update is a
    new :attr:`version` and :meth:`changed_since` tells the weighted sums which rows
    changed."""

    def __init__(self, share: F64, c: _Controls) -> None:
        self.share, self.c = share, c
        share.flags.writeable = False
        if c.open_eff is None:
            self.g = share
        else:  # share x 1 = share: only the rows not fully open are multiplied
            rows = c.partly_open
            self.g = share.copy()
            self.g[rows] = _take(share, rows) * c.open_eff[rows][:, None]
        self._slot_sum: F64 | None = None
        self.version = 0
        self._rows = np.zeros(0, dtype=np.int64)  # rows changed by the last update

    @property
    def stamp(self) -> tuple[_Weights, int]:
        """This object and its version (what a sum of ``g`` was formed from)."""
        return (self, self.version)

    def changed_since(self, stamp: object) -> I64 | None:
        """Rows of ``g`` changed since *stamp* (None: not known, e.g. other weights)."""
        if not isinstance(stamp, tuple) or stamp[0] is not self:
            return None
        if stamp[1] == self.version:
            return self._rows[:0]
        return self._rows if stamp[1] == self.version - 1 else None

    def set_rows(self, rows: I64, new: F64) -> None:
        """The shares of *rows* (sorted) are now *new* (already in :attr:`share`): ``g``
        of those rows again (``new x open_eff``; ``x 1`` keeps the bits)."""
        if self.g is not self.share:
            open_eff = self.c.open_eff
            assert open_eff is not None
            self.g[rows] = new * open_eff[rows][:, None]
        self._slot_sum = None
        self.version += 1
        self._rows = rows

    def slot_sum(self, sums: FlowSums) -> F64:
        """``Q(g, 1)``: the same bits as :meth:`FlowSums.by_slot` with ``y = 1``."""
        if self._slot_sum is None:
            runs = self.g.shape[1]
            self._slot_sum = (sums.by_slot(self.g, np.ones((sums.n, 1))) if runs == 1
                              else sums.to_slots(self.g))
        return self._slot_sum


class _Shipments:
    """Shipment rates ``s_k = (g_k phi_use,src) u_q + (g_k phi_ref,src) r_q`` of any flows
    (``g = share x open``, ``u``/``r`` the slot's use and refill orders); special flows
    (quota, licence pipeline) take their own rates *sp_rate* and arrivals *sp_arrive*.
    *kept*: the per-flow ``g phi_use``, ``g phi_ref``, ``u``, ``r`` ([F, R], the first two
    None where ``phi = 1``: ``g``) when the weighted sums kept them."""

    def __init__(self, topo: Topology, g: F64, phi_u: F64, phi_r: F64, use: F64,
                 refill: F64, special: I64, sp_rate: F64, sp_arrive: F64, dt: float,
                 kept: tuple[F64 | None, F64 | None, F64, F64] | None) -> None:
        self.topo, self.g, self.phi_u, self.phi_r = topo, g, phi_u, phi_r
        self.use, self.refill, self.special = use, refill, special
        self.sp_rate, self.sp_arrive, self.dt = sp_rate, sp_arrive, dt
        self.kept = kept
        #: (rows, their g before) for each later update of g in place, in order
        self.patches: list[tuple[I64, F64]] = []
        #: [N, R] final demand f0 (for the deliveries f0 phi_use)
        self.f0 = np.zeros((0, 0))

    def g_at(self, rows: I64 | None) -> F64:
        """Rows *rows* (None: all) of ``g`` as the step saw it (later updates undone)."""
        g = self.g if rows is None else _take(self.g, rows)
        if self.patches and rows is None:
            g = g.copy()
        for at, old in reversed(self.patches):  # the earliest update restores last
            if rows is None:
                g[at] = old
            elif len(at):
                pos = np.minimum(np.searchsorted(at, rows), len(at) - 1)
                hit = at[pos] == rows
                g[hit] = old[pos[hit]]
        return g

    def rates(self, rows: I64 | None, src: I64 | None = None, slot: I64 | None = None
              ) -> F64:
        """[len(rows), R] shipment rates of the (sorted) flows *rows* (None: all flows);
        *src*, *slot*: their suppliers and slots if known."""
        return self._of(rows, self.sp_rate, 1.0, src, slot)

    def amounts(self, rows: I64 | None, *, arrived: bool) -> F64:
        """[len(rows), R] amounts shipped (or arrived) during the step."""
        return self._of(rows, self.sp_arrive if arrived else self.sp_rate * self.dt, self.dt)

    def _of(self, rows: I64 | None, special: F64, scale: float, src: I64 | None = None,
            slot: I64 | None = None) -> F64:
        topo = self.topo

        def pick(v: F64) -> F64:
            return v if rows is None else _take(v, rows)

        g = self.g_at(rows)
        if self.kept is not None and rows is None:  # gathers of a few flows: from N, S
            gu, gr, uf, rf = self.kept
            out = (g if gu is None else pick(gu)) * pick(uf)
            ref = (g if gr is None else pick(gr)) * pick(rf)
        else:
            if src is None:
                src = topo.flow_src if rows is None else np.take(topo.flow_src, rows)
            if slot is None:
                slot = topo.flow_slot if rows is None else np.take(topo.flow_slot, rows)
            out = g * _take(self.phi_u, src)
            out *= _take(self.use, slot)
            ref = g * _take(self.phi_r, src)
            ref *= _take(self.refill, slot)
        out += ref
        if scale != 1.0:
            out *= scale
        if len(self.special):
            if rows is None:
                out[self.special] = special
            else:
                pos = np.searchsorted(rows, self.special)
                ok = pos < len(rows)
                ok[ok] = rows[pos[ok]] == self.special[ok]
                out[pos[ok]] = special[ok]
        return out


def step(
    st: State,
    topo: Topology,
    base: Baseline,
    prm: RunParams,
    ctl: FlowControls,
    licence_flows: I64,
    *,
    dt: float,
    x_cap: F64,
    invest: F64,
    target: F64,
    allies: B | None,
) -> StepFlows:
    """Advance *st* by one step of *dt* days (see the module docstring for the rule).

    *x_cap*, *invest*: (N,) base capacity and capacity from investments; *target*: [S, R]
    inventory targets; *allies*: (E,) members of an active allied-sharing bloc or None.
    """
    piped = bool(st.pipeline.shape[0])
    c = topo.controls(ctl, licence_flows, piped)
    sums = topo.sums
    runs = st.demand.shape[1]
    k = topo.consts(base, prm, x_cap, invest)
    coef = k.coef
    cap = st.ramp * k.spare_cap
    cap += k.cap0
    # 1-2. orders, split into use u_q = c_q p_j and refill r_q, times the open share
    plan = np.minimum(cap, st.demand)
    refill = np.subtract(target, st.inventory)
    np.maximum(refill, 0.0, out=refill)
    refill *= 1.0 / REFILL_DAYS
    use = _take(plan, topo.slot_node)
    use *= coef
    o_q = use + refill
    share = st.share
    wts = topo.weights(share, c)
    g = wts.g
    has_refill = bool(refill.any())
    r_slots = np.flatnonzero(refill[:, 0] > 0) if runs == 1 else None
    # the kept products serve re-sourcing on the whole arrays (a few flows gather from the
    # slot and node arrays instead): kept when the last re-sourcing was on the whole arrays
    keep = runs > 1 and topo.f * runs <= KEEP_VALUES and topo.whole_risk
    # 3. demand D = D_use + D_ref: sum_k g_k u_q (+ f0) and sum_k g_k r_q by supplier
    per_flow: list[F64] | None
    if runs > 1 and not keep and kernels.INCREMENTAL:  # again only where terms changed
        d_use, per_flow = topo.by_source_since("use", wts, use), None
        d_ref = topo.by_source_since("refill", wts, refill) if has_refill else np.zeros_like(d_use)
    elif has_refill:
        (d_use, d_ref), per_flow = sums.by_source_many(g, [use, refill], [None, r_slots], keep)
    else:
        (d_use,), per_flow = sums.by_source_many(g, [use], [None], keep)
        d_ref = np.zeros_like(d_use)
        if per_flow is not None:
            per_flow.append(np.zeros_like(per_flow[0]))
    sp = c.special
    if len(sp):  # allowed a = min(open share o_q, quota), split pro rata into use/refill
        o_x = _take(o_q, c.sp_slot)
        a_x = np.minimum(_take(share, sp) * c.sp_open * o_x, c.sp_quota)
        frac = np.zeros_like(o_x)
        np.divide(_take(refill, c.sp_slot), o_x, out=frac, where=o_x > 0)
        ar_x = a_x * frac
        au_x = a_x - ar_x
        d_use, d_ref = d_use.copy(), d_ref.copy()  # the weighted sums may be kept (read-only)
        np.add.at(d_use, c.sp_src, au_x)
        np.add.at(d_ref, c.sp_src, ar_x)
    d_use = d_use + k.f0
    demand = d_use + d_ref
    wanted = np.minimum(cap, demand)
    need = _take(wanted, topo.slot_node)
    need *= coef
    if dt != 1.0:
        need *= dt
    # min(1, a / b) where b > 0, else 1: b >= 0, and a / 0 (inf or NaN) gives 1 in fmin
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.divide(st.inventory, need)
        np.fmin(alpha, 1.0, out=alpha)
        if alpha.min(initial=1.0) < 1.0:
            rho = topo.availability(alpha, k.sigma_rows)
            y = wanted * rho
        else:
            rho = np.ones_like(wanted)
            y = wanted
        # 4. rationing: current use first, then restocking orders
        phi_u = np.divide(y, d_use)
        np.fmin(phi_u, 1.0, out=phi_u)
        phi_r = np.subtract(y, d_use)
        np.maximum(phi_r, 0.0, out=phi_r)
        phi_r /= d_ref
        np.fmin(phi_r, 1.0, out=phi_r)
    # received_q = u_q sum_k g_k phi_use,src + r_q sum_k g_k phi_ref,src (times dt); where
    # phi = 1 everywhere the sum is the slot's sum of g (kept while g does not change)
    ys: list[F64] = []
    ys_slots: list[I64 | None] = []
    names: list[str] = []
    phi_u_one = not (phi_u != 1.0).any()
    if not phi_u_one:
        ys.append(phi_u)
        ys_slots.append(None)
        names.append("phi_u")
    if has_refill:
        ys.append(phi_r)
        ys_slots.append(r_slots)
        names.append("phi_r")
    q_sums: list[F64]
    q_flow: list[F64] | None
    if runs > 1 and not keep and kernels.INCREMENTAL:
        q_flow = None
        q_sums = [topo.by_slot_since(name, wts, y)
                  for name, y in zip(names, ys, strict=True)]
    else:
        q_sums, q_flow = sums.by_slot_many(g, ys, ys_slots, keep) if ys else ([], None)
    s_use = wts.slot_sum(sums) if phi_u_one else q_sums[0]
    rate = use * s_use
    if has_refill:
        rate += refill * q_sums[-1]
    received = rate * dt if dt != 1.0 else rate
    into = np.zeros(runs)
    out = np.zeros(runs)
    sp_rate = sp_arrive = np.zeros((0, runs))
    if len(sp):
        sp_rate = au_x * _take(phi_u, c.sp_src) + ar_x * _take(phi_r, c.sp_src)
        arrive = sp_rate * dt
        if piped:
            length = st.pipeline.shape[0]
            pos = c.lic_pos
            lic = ctl.licensed[licence_flows][:, None]
            sub = arrive[pos]
            delayed = np.where(lic, sub, 0.0)
            lag = np.rint(ctl.delay_days / dt).astype(np.int64)  # [K, R]
            slot = (st.step + lag) % length
            kk = np.arange(sub.shape[0])[:, None]
            rr = np.arange(runs)[None, :]
            st.pipeline[slot, kk, rr] += delayed
            now = st.pipeline[st.step % length].copy()
            st.pipeline[st.step % length] = 0.0
            arrive[pos] = sub - delayed + now
            if len(pos):  # flow by flow (the same bits for any number of runs)
                into = np.cumsum(delayed, axis=0)[-1]
                out = np.cumsum(now, axis=0)[-1]
        np.add.at(received, c.sp_slot, arrive)
        sp_arrive = arrive
    kept = None
    if per_flow is not None and (ys == [] or q_flow is not None):
        gu = None if phi_u_one else q_flow[0]  # type: ignore[index]
        gr = q_flow[-1] if has_refill else None  # type: ignore[index]
        kept = (gu, gr, per_flow[0], per_flow[1])
    ships = _Shipments(topo, g, phi_u, phi_r, use, refill, sp, sp_rate, sp_arrive, dt, kept)
    ships.f0 = k.f0
    topo._readers.add(ships)
    short_r = np.asarray(phi_u < 1.0 - 1e-12, dtype=np.bool_)
    # 5. inventories
    use_need = _take(y, topo.slot_node)
    use_need *= coef
    if dt != 1.0:
        use_need *= dt
    used = np.minimum(st.inventory, use_need)
    st.inventory = st.inventory + received - used
    # 6. re-sourcing
    _resource(st, topo, c, ctl, o_q, use, ships, short_r, demand, k.cap_max, prm, dt,
              allies, base)
    if prm.return_rate is not None and prm.return_to is not None:
        _return(st, topo, ctl, o_q, short_r, demand, k.cap_max, prm.return_rate,
                prm.return_to)
    # 7. capacity
    pressure = demand > cap * (1.0 + CAP_TOL)
    if pressure.any():
        st.ramp = np.minimum(st.ramp + pressure * (dt / prm.ramp_days), 1.0)
    ships.kept = None  # work arrays of the sums: reused by the next step
    st.demand = demand
    st.output = y
    st.availability = rho
    st.step += 1
    st.day += dt
    return StepFlows(output_rate=y, received=received, used=used, need=use_need,
                     into_pipeline=into, out_of_pipeline=out, moves=ships)


class _Risk:
    """The flows of a set of slots at risk and what re-sourcing needs of them (kept by the
    :class:`Topology` for each set seen while the controls are the same)."""

    def __init__(self, topo: Topology, hit: B, c: _Controls) -> None:
        self.hit, self.c = hit, c
        sums = topo.sums
        slots = np.flatnonzero(hit)
        n_flows = int(sums.slot_count[slots].sum())
        ctl = c.ctl
        self.fa: I64 | None
        if n_flows > topo.f // 2:  # most slots at risk: work on the whole arrays
            self.fa = None
            self.fslot, self.src, self.count = topo.flow_slot, topo.flow_src, sums.slot_count
            self.open = ctl.destination_open[:, None]
            capped = ctl.capped
            self.wedge = None if c.wedge is None else c.wedge[:, None]
            self._sum = sums._slot_ones
            slots = np.arange(topo.s)
        else:
            fa = self.fa = sums.flows_of_slots(slots)
            self.count = sums.slot_count[slots]
            self.fslot = np.repeat(slots, self.count)
            self.src = np.take(topo.flow_src, fa)
            self.open = np.take(ctl.destination_open, fa)[:, None]
            capped = np.take(ctl.capped, fa)
            self.wedge = None if c.wedge is None else np.take(c.wedge, fa)[:, None]
            self._sum = sums.segment_sums(self.count)
        self.n_flows = n_flows
        #: [flows, 1] flows under a cap (None if none)
        self.capped = capped[:, None] if capped.any() else None
        #: [slots, 1] slots at risk in every run (a restricted flow), None if none
        self.slots = slots
        self._supplied = sums._slot_src[slots]
        restricted = c.risk_slots[slots]
        self.risk_slots = restricted[:, None] if restricted.any() else None

    def per_slot(self, v: F64) -> F64:
        """Sums of [flows at risk, R] over each slot at risk, flows in order."""
        return np.asarray(self._sum @ v)

    def per_flow(self, v: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Slot values [slots at risk, R] repeated for each flow of the slot."""
        return np.repeat(v, self.count, axis=0)

    def supplied_by(self, nodes: B) -> B:
        """[slots at risk, R]: the slot has a flow from a node flagged in *nodes* ([N, R])
        in that run."""
        return np.asarray(self._supplied @ nodes.astype(np.float64)) > 0


def _resource(st: State, topo: Topology, c: _Controls, ctl: FlowControls, o_q: F64,
              u_q: F64, ships: _Shipments, short_r: B, demand: F64, cap_max: F64,
              prm: RunParams, dt: float, allies: B | None, base: Baseline) -> None:
    """Move lost sourcing share to suppliers with headroom (step 6 of the module rule).

    A flow keeps ``share_k s_k / o_k = s_k / o_q``; the rest is lost (below 1e-12: none).
    A flow under a cap (quota, licences with refusals) keeps ``min(share_k, s_k / u_q)``:
    it loses share only for the current use it cannot serve, not for restocking orders
    refused at the cap (*u_q*: the slot's use orders).
    Only slots at risk lose share: slots with a flow under a shock, or with a flow from a
    supplier that rationed current use (*short_r*: ``phi_use < 1``, [N, R]) in that run; a
    supplier that only rationed restocking orders does not by itself trigger re-sourcing.
    The slots at risk in some run are computed for all runs (masked per run) and sums per
    slot add the flows in order, so a run's result does not depend on the other runs.
    """
    short: B = np.asarray(short_r.any(axis=1), dtype=np.bool_)
    hit = c.risk_slots
    if short.any():
        hit = hit.copy()  # slots with a flow from a rationing supplier
        hit[topo.flow_slot[short[topo.flow_src]]] = True
    elif not c.risk_slots.any():
        return
    if not hit.any():
        return
    rk = topo.risk(hit, c)
    fa = rk.fa
    topo.whole_risk = fa is None
    # destination weights first: where no supplier of a slot at risk has headroom in any
    # run, no share can move and the lost shares need not be formed
    head = np.maximum(cap_max - demand, 0.0)
    w = _take(head, rk.src)
    w *= rk.open
    wedge = rk.wedge
    if wedge is not None:
        w *= wedge
    if allies is not None and allies.any():
        sup_member = allies[base.node_economy[rk.src]][:, None]
        buy_member = allies[base.node_economy[topo.slot_node[rk.fslot]]][:, None]
        wa = w * sup_member
        member_room = rk.per_flow(rk.per_slot(wa) > 0)
        w = np.where(member_room & buy_member, wa, w)
    w_q = rk.per_slot(w)
    movable = w_q > 0
    if not movable.any():
        return
    share = st.share if fa is None else _take(st.share, fa)
    oq = _take(o_q, rk.fslot)
    if rk.capped is not None:
        oq = np.where(rk.capped, _take(u_q, rk.fslot), oq)
    inv_o = np.zeros_like(oq)
    np.divide(1.0, oq, out=inv_o, where=oq > 0)
    lost = ships.rates(fa, rk.src, rk.fslot)
    lost *= inv_o
    np.subtract(share, lost, out=lost)
    keep = (lost > 1e-12) & (oq > 0)
    runs = short_r.shape[1]
    if runs > 1 and short.any():  # slots at risk in some runs only lose share in those
        risk = rk.supplied_by(short_r)
        if rk.risk_slots is not None:
            risk |= rk.risk_slots
        keep &= rk.per_flow(risk)
    elif fa is None and not hit.all():  # the whole network computed: only slots at risk
        keep &= rk.per_flow(hit[:, None])
    lost *= keep
    if prm.resource_rate is not None:
        lost *= prm.resource_rate
    if wedge is not None:
        lost = lost + (share - lost) * ((1.0 - wedge) * (dt / prm.ramp_days))
    if not lost.any():
        return
    lost_q = rk.per_slot(lost)
    # no more share than the headroom can serve: lost_q o_q <= w_q (else all of it would
    # move to a supplier with any headroom, which then rations and loses it again)
    need = lost_q * _take(o_q, rk.slots)
    over = need > w_q
    if over.any():
        cut = np.ones_like(need)
        np.divide(w_q, need, out=cut, where=over)
        lost_q *= cut
        lost *= rk.per_flow(cut)
    gain = np.zeros_like(w_q)
    np.divide(lost_q, w_q, out=gain, where=movable)
    lost *= rk.per_flow(movable)
    new = np.subtract(share, lost, out=lost)
    new += rk.per_flow(gain) * w
    if fa is None:
        st.share = new
    else:
        topo.set_share_rows(st, fa, new)


def _return(st: State, topo: Topology, ctl: FlowControls, o_q: F64, short_r: B, demand: F64,
            cap_max: F64, rate: F64, s0: F64) -> None:
    """Step 6b: buyers move sourcing back toward the pre-shock shares *s0* ([F, 1]) once a
    flow is free again (no ban, cap or tariff on it), at *rate* per step (``min(1, dt /
    return_days)``, [1, R]).

    A free flow k below its pre-shock share takes back ``b_k = rate (s0_k - s_k)``, bounded
    by its supplier's headroom (``b_k o_q <= cap_max - demand``; nothing from a supplier that
    rationed current use this step); the slot's flows above their pre-shock shares give
    ``sum_k b_k`` back in proportion to their surplus ``s_j - s0_j`` (at most all of it), so
    every slot's shares still sum to 1.
    """
    share = st.share
    back = s0 - share
    back[ctl.restricted] = 0.0
    np.maximum(back, 0.0, out=back)
    back[back <= 1e-12] = 0.0
    if not back.any():
        return
    back *= rate
    oq = _take(o_q, topo.flow_slot)
    room = _take(np.maximum(cap_max - demand, 0.0), topo.flow_src)
    room[_take(short_r, topo.flow_src)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        np.minimum(back, np.where(oq > 0, room / oq, np.inf), out=back)
    surplus = np.maximum(share - s0, 0.0)
    back_q = topo.flows_to_slots(back)
    sur_q = topo.flows_to_slots(surplus)
    moved = np.minimum(back_q, sur_q)
    if not (moved > 0).any():
        return
    back_scale = np.zeros_like(moved)
    np.divide(moved, back_q, out=back_scale, where=back_q > 0)
    take = np.zeros_like(moved)
    np.divide(moved, sur_q, out=take, where=sur_q > 0)
    new = share + back * _take(back_scale, topo.flow_slot)
    new -= surplus * _take(take, topo.flow_slot)
    st.share = new
