"""What the step reads about the network and its controls: index arrays, sums over flows
and the per-step structures kept while nothing changes.

:class:`Topology` holds the index sets of a :class:`~econsec.simulation.network_arrays.Baseline`
(flows -> slots -> nodes) and the reductions over them; :class:`StepControls` what a step
needs of one :class:`~econsec.simulation.controls.FlowControls`; :class:`StepConsts` the
constants of the runs as full arrays; :class:`OrderWeights` the order weights
``g = share x open`` of one share array; :class:`RiskFlows` the flows of a set of slots at
risk (for re-sourcing). None of these carries model state: the state of the
runs is :class:`~econsec.simulation.state.State`, the rule is :mod:`econsec.simulation.step`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from econsec.simulation import kernels
from econsec.simulation.controls import FlowControls
from econsec.simulation.kernels import (
    FlowSums,
    NodeMin,
    SlotFlows,
    SumMemo,
    as_rows,
    ranges,
    take_rows,
)
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.state import RunParams, State

if TYPE_CHECKING:
    from econsec.simulation.shipments import Shipments

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

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
        if np.any(np.diff(base.flow_slot) < 0) or np.any(np.diff(base.slot_node) < 0):
            raise ValueError("flows must be sorted by slot and slots by node")
        self.sums = FlowSums(base.flow_slot, base.flow_src, self.s, self.n)
        self._slot_to_node = sp.csr_matrix(
            (np.ones(self.s), (base.slot_node, np.arange(self.s))), shape=(self.n, self.s))
        # flows grouped by supplier (to find the flows of rationing suppliers)
        by_src = np.bincount(base.flow_src, minlength=self.n)
        self._src_ptr = np.concatenate([[0], np.cumsum(by_src)[:-1]]).astype(np.int64)
        self._src_count = by_src.astype(np.int64)
        self._src_slot: npt.NDArray[np.integer[Any]] | None = None
        self._src_idx: npt.NDArray[np.integer[Any]] | None = None
        # slots of each node by rank: rank r holds (node, slot) of every node's r-th slot
        self._min_all = NodeMin(base.slot_node, self.n)
        #: min over the essential slots; the reduced rows of nodes that also have a
        #: non-essential slot (whose effective availability is 1)
        self.min_essential = NodeMin(base.slot_node, self.n, base.slot_essential)
        other = np.bincount(base.slot_node, weights=~base.slot_essential, minlength=self.n)
        self.mixed_rows = np.flatnonzero(other[self.min_essential.nodes] > 0)
        #: (N + 1,) first slot of each node; (S,) essential slots; (N,) nodes with an
        #: essential and a non-essential slot (the compiled stages, simulation/fused.py)
        self.node_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(base.slot_node, minlength=self.n))]).astype(np.int64)
        self.slot_essential = np.asarray(base.slot_essential, dtype=np.bool_)
        self.node_mixed = np.zeros(self.n, dtype=np.bool_)
        self.node_mixed[self.min_essential.nodes[self.mixed_rows]] = True
        self._consts: StepConsts | None = None
        self._ctl: StepControls | None = None
        self._weights: OrderWeights | None = None
        #: shipments (lazy StepFlows) that read the order weights (patched when the
        #: weights are updated in place)
        self._readers: weakref.WeakSet[Shipments] = weakref.WeakSet()
        #: the last weighted sums of the step's series (sums of several runs)
        self._memos: dict[str, SumMemo] = {}
        #: flows of the sets of slots at risk seen under the current controls
        self._risks: dict[bytes, RiskFlows] = {}
        self._risk_flows: dict[bytes, tuple[I64, SlotFlows]] = {}
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

    def consts(self, base: Baseline, prm: RunParams, x_cap: F64, invest: F64) -> StepConsts:
        """Per-step constants of the runs (kept while *prm*, *x_cap*, *invest* are the same
        objects)."""
        k = self._consts
        if k is None or k.prm is not prm or k.x_cap is not x_cap or k.invest is not invest:
            k = self._consts = StepConsts.of(self, base, prm, x_cap, invest)
        return k

    @property
    def src_idx(self) -> npt.NDArray[np.integer[Any]]:
        """(F,) supplier of each flow as the compiled passes read it: 32-bit integers
        where the nodes fit (half the bytes of :attr:`flow_src` per pass over the flows),
        formed on first use."""
        if self._src_idx is None:
            self._src_idx = (self.flow_src.astype(np.int32) if self.n < 2**31
                             else self.flow_src)
        return self._src_idx

    def mark_supplied(self, hit: B, nodes: B) -> None:
        """``hit[q] = True`` for every slot ``q`` with a flow from a node flagged in *nodes*
        ((N,)), over those nodes' flows only (compiled: :func:`fused.mark_slots`)."""
        from econsec.simulation.fused import group_slots, mark_slots

        if self._src_slot is None:  # the slot of each flow, flows grouped by supplier
            self._src_slot = group_slots(self.sums.slot_ptr, self.flow_src, self._src_ptr,
                                         np.int32(0) if self.s < 2**31 else np.int64(0))
        mark_slots(hit, nodes, self._src_ptr, self._src_count, self._src_slot)

    def weights(self, share: F64, c: StepControls) -> OrderWeights:
        """Order weights of *share* under *c* (kept while both are the same objects)."""
        w = self._weights
        if w is None or w.share is not share or w.c is not c:
            w = self._weights = OrderWeights(share, c)
        return w

    def by_source_since(self, name: str, w: OrderWeights, x: F64) -> F64:
        """``P(g, x)`` of series *name* from its last sum (:meth:`FlowSums.by_source_since`)."""
        memo = self._memos.setdefault(name, SumMemo())
        return self.sums.by_source_since(w.g, x, memo, w.stamp, w.changed_since(memo.stamp))

    def by_slot_since(self, name: str, w: OrderWeights, y: F64) -> F64:
        """``Q(g, y)`` of series *name* from its last sum (:meth:`FlowSums.by_slot_since`)."""
        memo = self._memos.setdefault(name, SumMemo())
        return self.sums.by_slot_since(w.g, y, memo, w.stamp, w.changed_since(memo.stamp))

    def set_share_rows(self, st: State, rows: I64, new: F64) -> None:
        """``st.share[rows] = new`` (*rows* sorted), in place where possible: the order
        weights of the share array are updated in the same rows, and shipments that read
        them keep the old rows (:attr:`Shipments.patches`)."""
        share = st.share
        w = self._weights
        if w is not None and w.share is not share:
            w = None
        if kernels.use_compiled(new.shape[1]) and share.flags.owndata:
            self._set_rows_compiled(share, w, rows, new)
            return
        if w is not None:
            old = take_rows(w.g, rows)
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

    def share_writer(self, st: State, g: F64) -> tuple[OrderWeights, list[Shipments]] | None:
        """For re-sourcing that writes shares in place (compiled): the order
        weights of ``st.share`` (whose ``g`` is *g*) and the shipments reading them, or
        None where :meth:`set_share_rows` must be used (other weights, shares not an
        array of their own)."""
        w = self._weights
        share = st.share
        if (w is None or w.share is not share or w.g is not g or not share.flags.owndata
                or not kernels.use_compiled(share.shape[1])):
            return None
        return w, [s for s in self._readers if s.g is w.g]

    def shares_written(self, w: OrderWeights, rows: I64 | SlotFlows, old: F64,
                       readers: list[Shipments]) -> None:
        """After shares of *rows* (sorted) and their ``g`` were written in place: the
        readers get the old rows of ``g`` (*old*), the weights a new version (as
        :meth:`_set_rows_compiled`)."""
        for s in readers:
            s.patches.append((rows, old))
        w.set_rows(rows, None, g_done=True)

    def _set_rows_compiled(self, share: F64, w: OrderWeights | None, rows: I64, new: F64
                           ) -> None:
        """:meth:`set_share_rows` by one compiled pass over the rows
        (:func:`econsec.simulation.fused.write_rows`): the old rows of ``g`` for the
        shipments that read it, the new shares, ``g`` of the new shares."""
        from econsec.simulation.fused import write_rows

        readers = [] if w is None else [s for s in self._readers if s.g is w.g]
        own_g = w is not None and w.g is not share
        open_eff = (w.c.open_eff if own_g and w is not None else None)
        old = np.empty((len(rows) if readers else 0, new.shape[1]))
        share.flags.writeable = True
        write_rows(share, share if w is None else w.g, np.zeros(0) if open_eff is None
                   else open_eff, own_g, rows, new, old, bool(readers))
        for s in readers:
            s.patches.append((rows, old))
        if w is not None:
            share.flags.writeable = False
            w.set_rows(rows, new, g_done=True)

    def risk_flows(self, hit: B) -> tuple[I64, SlotFlows]:
        """The slots *hit* and their flows (listed on first use), in order (what the
        compiled re-sourcing needs of :class:`RiskFlows`: ``hit_slots``, ``hit_flows``),
        kept for up to :data:`RISK_SETS` sets."""
        key = hit.tobytes()
        got = self._risk_flows.get(key)
        if got is None:
            if len(self._risk_flows) >= RISK_SETS:
                self._risk_flows.clear()
            slots = np.flatnonzero(hit).astype(np.int64)
            got = self._risk_flows[key] = (slots, SlotFlows(self.sums, slots))
        return got

    def risk(self, hit: B, c: StepControls) -> RiskFlows:
        """Flows of the slots *hit* under *c* (kept for up to :data:`RISK_SETS` sets while
        the controls are the same: the set changes often and comes back)."""
        key = hit.tobytes()
        r = self._risks.get(key)
        if r is None or r.c is not c:
            if len(self._risks) >= RISK_SETS or any(v.c is not c for v in self._risks.values()):
                self._risks.clear()
            r = self._risks[key] = RiskFlows(self, hit, c)
        return r

    def controls(self, ctl: FlowControls, licence_flows: I64, piped: bool, elasticity: F64
                 ) -> StepControls:
        """What a step needs from *ctl* (computed once per controls object and tariff
        *elasticity*, [1, R])."""
        c = self._ctl
        if (c is None or c.ctl is not ctl or c.licence is not licence_flows or c.piped != piped
                or c.elasticity is not elasticity):
            c = self._ctl = StepControls.of(self, ctl, licence_flows, piped, elasticity)
        return c

    def add_reader(self, ships: Shipments) -> None:
        """*ships* reads the current order weights: patched when they change in place."""
        self._readers.add(ships)


@dataclass(frozen=True)
class StepControls:
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
    elasticity: F64  # [1, R] tariff elasticity eps of each run
    wedge: F64 | None  # [F, 1] or [F, R] (1 + tau)^-eps, None without tariffs
    sp_pos: I64  # (F,) position of each flow in *special*, -1 for the others
    capped: B  # (F,) flows under a cap (ctl.capped)
    destination_open: F64  # (F,) ctl.destination_open

    @classmethod
    def of(cls, topo: Topology, ctl: FlowControls, licence: I64, piped: bool,
           elasticity: F64) -> StepControls:
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
        sp_pos = np.full(topo.f, -1, dtype=np.int64)
        sp_pos[special] = np.arange(len(special))
        return cls(ctl=ctl, licence=licence, piped=piped, open_eff=open_eff,
                   partly_open=partly.astype(np.int64), special=special,
                   sp_slot=topo.flow_slot[special], sp_src=topo.flow_src[special],
                   sp_open=ctl.open[special][:, None], sp_quota=ctl.quota[special][:, None],
                   lic_pos=np.searchsorted(special, lic).astype(np.int64), risk_slots=risk,
                   elasticity=elasticity,
                   wedge=tariff_wedge(ctl.tariff, elasticity) if tariffed else None,
                   sp_pos=sp_pos, capped=np.ascontiguousarray(ctl.capped),
                   destination_open=np.ascontiguousarray(ctl.destination_open))



def tariff_wedge(tariff: F64, elasticity: F64) -> F64:
    """Re-sourcing weight of a flow under an ad-valorem tariff ``tau``: ``(1 + tau)^-eps``
    (Armington-type demand at a constant elasticity ``eps``), [F, 1] when every run has the
    same *elasticity* ([1, R]), else [F, R]. Each column is the power with a scalar exponent,
    so a run's wedge does not depend on the other runs of its chunk."""
    values = np.unique(elasticity)
    if len(values) == 1:
        return ((1.0 + tariff) ** -float(values[0]))[:, None]
    cols = {float(v): (1.0 + tariff) ** -float(v) for v in values}
    return np.stack([cols[float(v)] for v in elasticity[0]], axis=1)


@dataclass(frozen=True, eq=False)
class StepConsts:
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
           ) -> StepConsts:
        runs = prm.sigma.shape[1]

        def full(v: F64) -> F64:
            return np.repeat(v[:, None], runs, axis=1)

        spare_cap = prm.spare * base.x0[:, None]
        cap0 = (full(x_cap + invest) if invest.ndim == 1  # [N, R]: with localisation
                else np.asarray(x_cap[:, None] + invest, dtype=np.float64))
        return cls(prm=prm, x_cap=x_cap, invest=invest, coef=full(base.slot_coef),
                   spare_cap=spare_cap, cap0=cap0, cap_max=cap0 + spare_cap,
                   f0=full(base.f0),
                   sigma_rows=np.take(prm.sigma, topo.min_essential.rows, axis=0))


class OrderWeights:
    """Order weights ``g = share x open_eff`` of one share array under one set of controls,
    with their slot sums ``sum_{k in q} g_k`` (computed on first use): kept by the
    :class:`Topology` while neither changes. The share array is made read-only: only
    :meth:`Topology.set_share_rows` writes into it, and updates ``g`` in the same rows
    (``g_k = share_k open_k``, the same bits as forming ``g`` again); each update is a
    new :attr:`version` and :meth:`changed_since` tells the weighted sums which rows
    changed."""

    def __init__(self, share: F64, c: StepControls) -> None:
        self.share, self.c = share, c
        share.flags.writeable = False
        if c.open_eff is None:
            self.g = share
        else:  # share x 1 = share: only the rows not fully open are multiplied
            rows = c.partly_open
            self.g = share.copy()
            self.g[rows] = take_rows(share, rows) * c.open_eff[rows][:, None]
        self._slot_sum: F64 | None = None
        self.version = 0
        #: rows changed by the last update
        self._rows: I64 | SlotFlows = np.zeros(0, dtype=np.int64)

    @property
    def stamp(self) -> tuple[OrderWeights, int]:
        """This object and its version (what a sum of ``g`` was formed from)."""
        return (self, self.version)

    def changed_since(self, stamp: object) -> I64 | None:
        """Rows of ``g`` changed since *stamp* (None: not known, e.g. other weights)."""
        if not isinstance(stamp, tuple) or stamp[0] is not self:
            return None
        if stamp[1] == self.version:
            return np.zeros(0, dtype=np.int64)
        return as_rows(self._rows) if stamp[1] == self.version - 1 else None

    def set_rows(self, rows: I64 | SlotFlows, new: F64 | None, g_done: bool = False
                 ) -> None:
        """The shares of *rows* (sorted) are now *new* (already in :attr:`share`): ``g``
        of those rows again (``new x open_eff``; ``x 1`` keeps the bits; *g_done*: already
        written, *new* not read)."""
        if self.g is not self.share and not g_done:
            open_eff = self.c.open_eff
            assert open_eff is not None and new is not None
            at = as_rows(rows)
            self.g[at] = new * open_eff[at][:, None]
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


class RiskFlows:
    """The flows of a set of slots at risk and what re-sourcing needs of them (kept by the
    :class:`Topology` for each set seen while the controls are the same: :meth:`Topology.risk`).
    Re-sourcing (:mod:`econsec.simulation.resourcing`) works on these flows only, or on the
    whole arrays (:attr:`fa` None) when most slots are at risk."""

    def __init__(self, topo: Topology, hit: B, c: StepControls) -> None:
        self.hit, self.c = hit, c
        sums = topo.sums
        slots = np.flatnonzero(hit)
        #: the slots at risk and their flows, in order (the compiled re-sourcing)
        self.hit_slots = slots.astype(np.int64)
        self.hit_flows = sums.flows_of_slots(self.hit_slots)
        n_flows = int(sums.slot_count[slots].sum())
        ctl = c.ctl
        self.fa: I64 | None
        if n_flows > topo.f // 2:  # most slots at risk: work on the whole arrays
            self.fa = None
            self.fslot, self.src, self.count = topo.flow_slot, topo.flow_src, sums.slot_count
            self.open = ctl.destination_open[:, None]
            capped = ctl.capped
            self.wedge = c.wedge
            self._sum = sums._slot_ones
            slots = np.arange(topo.s)
        else:
            fa = self.fa = sums.flows_of_slots(slots)
            self.count = sums.slot_count[slots]
            self.fslot = np.repeat(slots, self.count)
            self.src = np.take(topo.flow_src, fa)
            self.open = np.take(ctl.destination_open, fa)[:, None]
            capped = np.take(ctl.capped, fa)
            self.wedge = None if c.wedge is None else take_rows(c.wedge, fa)
            self._sum = sums.segment_sums(self.count)
        self.n_flows = n_flows
        #: [flows, 1] flows under a cap (None if none), and their positions
        self.capped = capped[:, None] if capped.any() else None
        self.cap_rows = np.flatnonzero(capped).astype(np.int64)
        #: positions of the flows not fully open to new orders (``open != 1``)
        self.open_rows = np.flatnonzero(self.open[:, 0] != 1.0).astype(np.int64)
        #: [slots, 1] slots at risk in every run (a restricted flow), None if none
        self.slots = slots
        #: first position of each slot's flows; each flow's slot position in :attr:`slots`
        self.first = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        self.fpos = np.repeat(np.arange(len(slots), dtype=np.int64), self.count)
        self._supplied = sums._slot_src[slots].astype(np.bool_)  # OR of 0/1: exact
        restricted = c.risk_slots[slots]
        self.risk_slots = restricted[:, None] if restricted.any() else None

    def per_slot(self, v: F64) -> F64:
        """Sums of [flows at risk, R] over each slot at risk, flows in order."""
        return np.asarray(self._sum @ v)

    def per_flow(self, v: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Slot values [slots at risk, R] repeated for each flow of the slot."""
        return np.repeat(v, self.count, axis=0)

    def rows_of(self, sel: B) -> I64:
        """Positions (in flow order) of the flows of the slots at risk flagged in *sel*
        ((slots at risk,) bool)."""
        return ranges(self.first[sel], self.count[sel])

    def supplied_by(self, nodes: B) -> B:
        """[slots at risk, R]: the slot has a flow from a node flagged in *nodes* ([N, R])
        in that run (a boolean sparse product: sums are ORs)."""
        return np.asarray(self._supplied @ nodes, dtype=np.bool_)
