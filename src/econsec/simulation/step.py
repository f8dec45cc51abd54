"""One time step of the supply network, vectorised over Monte Carlo runs.

Arrays are stored item-major, ``[node, run]`` (N), ``[slot, run]`` (S), ``[flow, run]`` (F),
with the index sets of :class:`~econsec.simulation.network_arrays.Baseline`. Rates are USD bn per
day of base-year value; stocks (inventories, shipments in transit) are USD bn. One step of
``dt`` days (1 = daily, 7 = weekly) runs these stages, in order (:func:`step`; one function
each):

0. **Refusal at the border** (:func:`refuse_at_border`). When a ban takes effect on a flow
   of the licence pipeline (its open share falls from ``o`` to ``o'``), the flow's content
   waiting for a licence is multiplied by ``o' / o``; the rest is refused (the ledger's
   ``refused``).
1. **Orders** (:func:`place_orders`). Node ``j`` plans ``p_j = min(cap_j, D_j(t-1))`` and
   orders per input slot ``o_q = c_q p_j + max(T_q - I_q, 0) / refill_days`` (use plus
   closing the inventory gap to the target ``T_q = (cover + stockpile + dt) c_q x_ref_j``);
   flow ``k`` of the slot gets ``o_k = share_k o_q``.
2. **Orders under controls** (:func:`demand_on_suppliers`). The supplier may ship
   ``a_k = min(open_k o_k, quota_k)`` (ban, licensing refusals, quota;
   :mod:`econsec.simulation.controls`). Demand on supplier ``i``:
   ``D_i = sum_{k: src=i} a_k + f0_i``, split into current use ``D_use`` (input use and
   final demand) and restocking ``D_refill`` (the refill part of the orders).
3. **Production** (:func:`produce`). Wanted output ``w_i = min(cap_i, D_i)``. Input
   availability of slot ``q``: ``alpha_q = min(1, I_q / (c_q w_j dt))`` from the inventory
   on hand; with substitutability ``sigma_q``, ``alpha_eff = alpha + sigma (1 - alpha)``
   (the missing share a substitute can replace). Node availability ``rho_j = min`` over
   essential slots (Leontief in essential inputs; non-essential shortfalls are substituted
   in full) and output ``y_j = w_j rho_j``.
4. **Distribution** (:func:`ration`, :func:`deliver`). Suppliers serve current use first,
   in proportion, then restocking orders from what is left:
   ``phi_use = min(1, y / D_use)``, ``phi_refill = min(1, max(y - D_use, 0) / D_refill)``;
   flow ``k`` ships its use part times ``phi_use`` plus its refill part times
   ``phi_refill``, final demand gets ``f0 phi_use``. Shipments under licensing enter a
   ring buffer and leave it ``round(delay / dt)`` steps later, in shares ``w_j`` over the
   lags ``j`` where the delay is spread over shipments
   (``released(t) = sum_j w_j approved(t - j)``; :func:`licence_pipeline`,
   :mod:`econsec.simulation.licence_delays`); others ship this step.
4a. **Transit** (:func:`in_transit`; only with ``transit_scale``; default: none). What a
   flow ships (after the licence pipeline) arrives ``L_k = round(transit_scale days_k /
   dt)`` steps later, ``days_k`` the sourced door-to-door days of its good and route
   (:mod:`econsec.simulation.transit`); ``received_q`` is then the slot sum of the arrivals.
4b. **Prices** (:func:`~econsec.simulation.prices.update_prices`). Per good, the log
   ratio of world consumption wanted (use orders, final demand; not restocking) to what
   met it (arrivals up to the use order, final deliveries) moves the price index toward
   ``exp(z / (eps_d + eps_s))`` with time constant ``tau``; with the
   ``price_feedback`` run parameter, the next step's use coefficients and final demand are
   scaled by ``P^-eps_d`` and capacity on line by ``P^eps_s`` (within the spare ceiling)
   (:mod:`econsec.simulation.prices`).
5. **Inventories** (:func:`draw_inventories`). ``I_q += received_q - used_q`` with
   ``used_q = min(I_q, c_q y_j dt)`` (what is not drawn from inventory is substituted from
   outside the network).
6. **Re-sourcing** (:func:`~econsec.simulation.resourcing.resource`). In the slots at risk of
   a run (a flow under a ban, licensing refusal, quota or tariff, or from a supplier
   rationing current use, ``phi_use < 1``; rationed restocking orders alone move no share)
   each flow loses ``share_k (1 - s_k/o_k)`` (a flow under a cap:
   ``max(share_k - s_k/u_q, 0)``, only the use it cannot serve; below 1e-12: nothing; plus,
   under a tariff ``tau``, ``share_k (1 - (1 + tau)^-eps) dt / ramp_days`` with ``eps`` =
   ``tariff_elasticity``; the unshipped part times ``min(1, dt / resourcing_days)`` when
   buyers need ``resourcing_days`` to move orders, an exponential adjustment with that time
   constant); the lost share of the slot goes to the flows in proportion to
   ``w_k = h_src open_k (1 + tau_k)^-eps`` (0 for a flow under a quota) where
   ``h_i = max(capmax_i - D_i, 0)`` is the supplier's headroom at full spare capacity, and
   no more of it than that headroom can serve: the slot's lost share ``m_q`` is scaled down
   to ``m_q o_q <= sum_{k in q} w_k``; with allied sharing a member buyer re-sources only
   among member suppliers while they have headroom.
6b. **Localisation** (:func:`~econsec.simulation.adaptation.localise`; only with
   ``localisation_share``; default: none). Where a control refuses part of a buyer
   economy's imports of a good, the buyer's own node of the good gains capacity and the
   domestic share of the buyer's slots is raised toward ``tau_q = s0_dom,q + L(t)
   max(lambda - s0_dom,q, 0)`` (``L`` ramps linearly over ``localisation_lead_days`` from
   the first refusal), taken from the slot's imports in proportion to their shares
   (:mod:`econsec.simulation.adaptation` gives the formulas).
7. **Return** (:func:`~econsec.simulation.resourcing.return_shares`; only with
   ``return_days``; default: sourcing stays where it moved). A free flow (no ban, cap or
   tariff) below its pre-shock share ``s0_k`` takes back
   ``min(1, dt / return_days) (s0_k - share_k)``, no more than its supplier's headroom
   serves, from the slot's flows above their pre-shock shares, in proportion to their
   surplus.
8. **Capacity** (:func:`ramp_capacity`). Spare capacity comes on line over ``ramp_days``
   while demand exceeds capacity (by more than the rounding tolerance :data:`CAP_TOL`):
   ``ramp_i += dt / ramp_days`` (capped at 1),
   ``cap_i = xcap_i + ramp_i spare x0_i + investment_i(t)``.

Node shocks (:class:`~econsec.simulation.controls.NodeShocks`; scenario ``kind: demand``
and ``kind: outage``) scale the step's constants before stage 1 (:func:`node_response`):
final demand ``f0 x final_i(t)`` and all capacity (``xcap + invest``, ``spare x0`` and the
ceiling) ``x keep_i(t)``.

``refill_days`` (30) and ``tariff_elasticity`` (4) are run parameters
(:data:`econsec.simulation.spec.PARAMETERS`, where their sources are given).
Goods are conserved by construction: ``y dt = sum s dt + f dt`` per node; shipped = received
+ change in transit (licence pipeline and shipping) + refused at the border;
``Delta I = received - used``. Without shocks every quantity stays at its baseline
(``D = x0``, ``rho = 1``, ``o_k = z0_k``): the baseline is a steady state.
The structure follows adaptive-regional input-output models with inventories and
rationing (Hallegatte 2008, Risk Analysis 28(3); Guan et al. 2020, Nature Human Behaviour
4, 577-587; BoARIO, Wang et al. 2024, whose ``calc_production`` and
``distribute_production`` correspond to stages 3 and 4), at product level with
export-control semantics. :mod:`econsec.simulation.reference` states the same rule for one
run in plain code (every flow formed, ``np.bincount`` sums); the tests check this step
against it.

How a step is evaluated (the same rule, arranged for few passes over the flows): with the
order weights ``g_k = share_k open_k`` and the slot's use and refill orders
``u_q = c_q p_j``, ``r_q = max(T_q - I_q, 0) / refill_days``, a flow's use and refill parts
are ``g_k u_q`` and ``g_k r_q``, so

* ``D_use = f0 + P(u)``, ``D_refill = P(r)`` with ``P(x)_i = sum_{k: src=i} g_k x_q(k)``;
* ``received_q = (u_q Q(phi_use)_q + r_q Q(phi_refill)_q) dt`` with
  ``Q(y)_q = sum_{k in q} g_k y_src(k)``, ``s_k = (g_k phi_use) u_q + (g_k phi_refill) r_q``;

(:mod:`econsec.simulation.kernels`: one sparse product each for one run, no per-flow
arrays; ``[flow, run]`` products for several runs, formed again from step to step only for
the sources (slots) where a term ``g_k x`` changed; the same bits either way; the choice of
path is :class:`WeightedSums`, apart from the rule). Flows under a quota (``min`` is not
linear in the orders) and flows of the licence pipeline are summed one by one (weight 0 in
``g``; their allowed ``a_k`` is split into use and refill parts in the proportion
``u_q : r_q``). Per-flow shipments are only formed for the slots at risk and when
:class:`~econsec.simulation.state.StepFlows` are read
(:class:`~econsec.simulation.shipments.Shipments`). ``g`` and its slot sums ``Q(1)`` are
kept while the shares and controls do not change (the share array is read-only
meanwhile; :class:`~econsec.simulation.topology.OrderWeights`); ``g`` is the share array
copied, with only the flows not fully open multiplied (``share x 1 = share``); re-sourcing
a few slots writes their rows of the shares and of ``g`` in place.
Ratios ``min(1, a / b)`` taken where ``b > 0`` (else 1) are evaluated as
``fmin(a / b, 1)`` (``b >= 0``; ``a / 0`` is inf or NaN, which ``fmin`` turns into 1), and
``rho`` is a minimum over the essential slots only
(:class:`~econsec.simulation.kernels.NodeMin`; capped at 1 for nodes that also have a
non-essential slot): the same numbers.
Constants of the runs (``c_q``, ``spare x0``, capacities, ``f0``) are broadcast to full
arrays once (:class:`~econsec.simulation.topology.StepConsts`). A run's result does not
depend on the other runs of its chunk, bit for bit.

With ``kernels.FUSED`` (:func:`fused_runs`; one run or several) the stages run as compiled
kernels of :mod:`econsec.simulation.fused`, each one pass over flows, slots or nodes with
the runs innermost (the weighted sums, orders, production with rationing, receipts,
inventories and the capacity ramp here; re-sourcing and the share updates in
:mod:`~econsec.simulation.resourcing` and :mod:`~econsec.simulation.topology`), written
term for term as the numpy expressions below them: the same bits (tests/unit/test_fused.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType

import numpy as np
import numpy.typing as npt

from econsec.simulation import kernels
from econsec.simulation.adaptation import LocalStep, localise
from econsec.simulation.controls import FlowControls
from econsec.simulation.kernels import take_rows
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.prices import (
    Markets,
    demand_response,
    supply_response,
    update_prices,
)
from econsec.simulation.resourcing import resource, return_shares
from econsec.simulation.shipments import Shipments
from econsec.simulation.state import RunParams, State, StepFlows
from econsec.simulation.topology import OrderWeights, StepConsts, StepControls, Topology
from econsec.simulation.transit import pass_transit, sum_rows

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: numerical tolerance, not a model parameter: demand above capacity by less than this
#: relative amount (rounding in the sums) does not bring spare capacity on line
CAP_TOL = 1e-9
#: keep the per-flow temporaries of the weighted sums (to reuse for the shipment rates)
#: while a [F, R] array has at most this many values
KEEP_VALUES = 1 << 22
#: an empty [0, 1] array (the compiled slot sums restricted to no slot set)
NO_SLOTS = np.zeros((0, 1))
#: a supplier rations current use when ``phi_use`` is below 1 by more than this
SHORT_TOL = 1e-12


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
    local: LocalStep | None = None,
    node_shock: tuple[F64, F64] | None = None,
) -> StepFlows:
    """Advance *st* by one step of *dt* days: stages 1-8 of the module docstring.

    *x_cap*: (N,) base capacity; *invest*: (N,) capacity from investments, or [N, R] with
    induced localisation's capacity added; *target*: [S, R] inventory targets; *allies*:
    (E,) members of an active allied-sharing bloc or None; *local*: stage 6b's inputs
    (:mod:`econsec.simulation.adaptation`) or None (no localisation); *node_shock*: the day's
    node shocks, ((N,) final-demand multiplier, (N,) share of capacity kept), or None
    (:class:`~econsec.simulation.controls.NodeShocks`).
    """
    refused = refuse_at_border(st, ctl, licence_flows)  # 0
    c = topo.controls(ctl, licence_flows, bool(st.pipeline.shape[0]), prm.tariff_elasticity)
    k = topo.consts(base, prm, x_cap, invest)
    if node_shock is not None:  # demand and outage shocks on nodes
        k = node_response(k, *node_shock)
    mk = prm.prices.markets(ctl) if prm.prices is not None else None
    if prm.prices is not None:  # price feedback on use and final demand (prices.py)
        coef, f0 = demand_response(k.coef, k.f0, st.price, prm.prices, mk)
        if coef is not k.coef:
            k = replace(k, coef=coef, f0=f0)
    sums = WeightedSums(topo, topo.weights(st.share, c), runs=st.demand.shape[1])
    orders = place_orders(st, topo, k, prm, target, mk)  # 1
    dem = demand_on_suppliers(st.share, c, k, orders, sums)  # 2
    if sums.fused:  # 3, 4: node by node, compiled (simulation/fused.py)
        y, rho, phi_u, phi_r = compiled().produce_ration(
            dem.use, dem.refill, dem.total, orders.cap, st.inventory, k.coef, prm.sigma,
            topo.node_ptr, topo.slot_essential, topo.node_mixed, dt)
    else:
        y, rho = produce(st.inventory, topo, k, orders.cap, dem.total, dt)  # 3
        phi_u, phi_r = ration(y, dem.use, dem.refill)  # 4
    received, ships, into, out = deliver(st, c, k, orders, dem, phi_u, phi_r, sums, dt)
    tr_in, tr_out = in_transit(st, prm, ships, received.shape[1])  # 4a
    if ships.arrived is not None:
        received = topo.flows_to_slots(ships.arrived)
    if prm.prices is not None:  # 4b. prices (prices.py)
        st.price = update_prices(st.price, prm.prices, orders.use, k.f0, received, phi_u, dt,
                                 mk)
    used, use_need = draw_inventories(st, topo, k, y, received, dt)  # 5
    short_r = np.asarray(phi_u < 1.0 - SHORT_TOL, dtype=np.bool_)
    resource(st, topo, c, orders.o_q, orders.use, ships, short_r, dem.total, k.cap_max,  # 6
             prm, dt, allies, base)
    if local is not None:  # 6b
        localise(st, local)
    if prm.return_rate is not None and prm.return_to is not None:  # 7
        return_shares(st, topo, ctl, orders.o_q, short_r, dem.total, k.cap_max,
                      prm.return_rate, prm.return_to)
    ramp_capacity(st, orders.cap, dem.total, prm, dt)  # 8
    ships.kept = None  # work arrays of the sums: reused by the next step
    st.demand = dem.total
    st.output = y
    st.availability = rho
    st.step += 1
    st.day += dt
    return StepFlows(output_rate=y, received=received, used=used, need=use_need,
                     into_pipeline=into, out_of_pipeline=out, moves=ships,
                     into_transit=tr_in, out_of_transit=tr_out, refused=refused)


def refuse_at_border(st: State, ctl: FlowControls, licence_flows: I64) -> F64:
    """Stage 0: a ban that takes effect on a licence-pipeline flow also refuses what is
    waiting for its licence. With the flow's open share ``o`` at the last step and ``o'``
    now (``o' < o``: a ban began or tightened), the flow's pipeline content is multiplied by
    ``o' / o``; the rest, ``(1 - o' / o)`` of it, is refused and leaves the modelled trade
    (it stays with the exporter; the ledger's ``refused``). A licence is checked when the
    goods clear customs, under the rules in force that day (an export licence must be valid
    at export; MOFCOM Announcement No. 46 of 2024 applied from the day it was published), so
    applications pending when a ban starts are not granted: China customs recorded no
    antimony exports to the US from December 2024 on (Reuters, 20 Mar 2025), with the
    antimony licensing in force since 15 September. Quotas and approval rates do not
    refuse pipeline content (they cap what enters it). Returns the refused amounts [R]
    (zeros when nothing changed; ``st.lic_open`` None: the mechanism is off)."""
    runs = st.pipeline.shape[2]
    prev = st.lic_open
    if prev is None or not st.pipeline.shape[0]:
        return np.zeros(runs)
    now = ctl.open[licence_flows]
    st.lic_open = now
    closed = now < prev
    if not closed.any():
        return np.zeros(runs)
    ratio = np.where(closed, now / np.where(closed, prev, 1.0), 1.0)  # prev > now >= 0
    pos = np.flatnonzero(closed)
    held = st.pipeline[:, pos, :]
    cut = held - held * ratio[pos][None, :, None]
    st.pipeline[:, pos, :] = held * ratio[pos][None, :, None]
    # summed slot by slot, flow by flow: the same bits for any number of runs
    return sum_rows(cut.reshape(-1, runs))


def node_response(k: StepConsts, final: F64, keep: F64) -> StepConsts:
    """The step's constants under node shocks: final demand ``f0 x final`` and capacity
    ``cap0``, ``spare x0`` and ``cap_max`` times ``keep`` ((N,) multipliers; an array of
    ones leaves its constants as they are)."""
    f0 = k.f0 if (final == 1.0).all() else k.f0 * final[:, None]
    if (keep == 1.0).all():
        return replace(k, f0=f0)
    kk = keep[:, None]
    return replace(k, f0=f0, cap0=k.cap0 * kk, spare_cap=k.spare_cap * kk,
                   cap_max=k.cap_max * kk)


@dataclass(frozen=True)
class Orders:
    """Stage 1: capacity and the orders of every input slot ([N, R], [S, R])."""

    cap: F64  # [N, R] capacity this step, xcap + invest + ramp spare x0
    use: F64  # [S, R] use orders u_q = c_q p_j
    refill: F64  # [S, R] refill orders r_q = max(T_q - I_q, 0) / refill_days
    o_q: F64  # [S, R] u_q + r_q
    has_refill: bool  # some slot places refill orders
    r_slots: I64 | None  # one run: the slots with refill orders (None: several runs)


def place_orders(st: State, topo: Topology, k: StepConsts, prm: RunParams, target: F64,
                 mk: Markets | None = None) -> Orders:
    """Stage 1: ``p_j = min(cap_j, D_j(t-1))``, ``u_q = c_q p_j``,
    ``r_q = max(T_q - I_q, 0) / refill_days``, ``o_q = u_q + r_q``."""
    cap = st.ramp * k.spare_cap
    cap += k.cap0
    if prm.prices is not None:  # price feedback on capacity (prices.py)
        cap = supply_response(cap, st.price, k.cap_max, prm.prices, mk)
    if fused_runs(cap.shape[1]):  # compiled, slot by slot (simulation/fused.py)
        use, refill, o_q, has_refill = compiled().orders(
            cap, st.demand, target, st.inventory,
            np.ascontiguousarray((1.0 / prm.refill_days)[0]), topo.slot_node, k.coef)
        return Orders(cap=cap, use=use, refill=refill, o_q=o_q, has_refill=has_refill,
                      r_slots=None)
    plan = np.minimum(cap, st.demand)
    refill = np.subtract(target, st.inventory)
    np.maximum(refill, 0.0, out=refill)
    refill *= 1.0 / prm.refill_days
    use = take_rows(plan, topo.slot_node)
    use *= k.coef
    o_q = use + refill
    r_slots = np.flatnonzero(refill[:, 0] > 0) if refill.shape[1] == 1 else None
    return Orders(cap=cap, use=use, refill=refill, o_q=o_q, has_refill=bool(refill.any()),
                  r_slots=r_slots)


@dataclass(frozen=True)
class Demand:
    """Stage 2: demand on each supplier ([N, R]) and the allowed use and refill parts of the
    flows summed one by one ([X, R], the special flows of :class:`StepControls`)."""

    use: F64  # D_use = f0 + sum of the use parts
    refill: F64  # D_refill
    total: F64  # D = D_use + D_refill
    sp_use: F64
    sp_refill: F64


def demand_on_suppliers(share: F64, c: StepControls, k: StepConsts, orders: Orders,
                        sums: WeightedSums) -> Demand:
    """Stage 2: ``D_use = f0 + P(u)``, ``D_refill = P(r)`` over the freely open flows, plus,
    for the flows under a quota or in the licence pipeline, ``a = min(share open o_q,
    quota)`` split into use and refill parts in the proportion ``u_q : r_q``."""
    sp = c.special
    if sums.fused and not len(sp):  # the sums, + f0 and the total in one compiled call
        topo = sums.topo
        d_use, d_ref, total = compiled().by_source_demand(
            sums.wts.g, orders.use, orders.refill, orders.has_refill, topo.sums.slot_ptr,
            topo.src_idx, k.f0)
        none = np.zeros((0, d_use.shape[1]))
        return Demand(use=d_use, refill=d_ref, total=total, sp_use=none, sp_refill=none)
    d_use, d_ref = sums.by_source(orders)
    sp_use = sp_ref = np.zeros((0, d_use.shape[1]))
    if len(sp):
        o_x = take_rows(orders.o_q, c.sp_slot)
        a_x = np.minimum(take_rows(share, sp) * c.sp_open * o_x, c.sp_quota)
        frac = np.zeros_like(o_x)
        np.divide(take_rows(orders.refill, c.sp_slot), o_x, out=frac, where=o_x > 0)
        sp_ref = a_x * frac
        sp_use = a_x - sp_ref
        d_use, d_ref = d_use.copy(), d_ref.copy()  # the weighted sums may be kept (read-only)
        np.add.at(d_use, c.sp_src, sp_use)
        np.add.at(d_ref, c.sp_src, sp_ref)
    d_use = d_use + k.f0
    return Demand(use=d_use, refill=d_ref, total=d_use + d_ref, sp_use=sp_use,
                  sp_refill=sp_ref)


def produce(inventory: F64, topo: Topology, k: StepConsts, cap: F64, demand: F64, dt: float
            ) -> tuple[F64, F64]:
    """Stage 3: output ``y = min(cap, D) rho`` and availability ``rho`` ([N, R]):
    ``rho_j = min`` over essential slots of ``alpha + sigma (1 - alpha)``,
    ``alpha_q = min(1, I_q / (c_q w_j dt))`` (1 where nothing is needed)."""
    wanted = np.minimum(cap, demand)
    need = take_rows(wanted, topo.slot_node)
    need *= k.coef
    if dt != 1.0:
        need *= dt
    # min(1, a / b) where b > 0, else 1: b >= 0, and a / 0 (inf or NaN) gives 1 in fmin
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.divide(inventory, need)
        np.fmin(alpha, 1.0, out=alpha)
    if alpha.min(initial=1.0) < 1.0:
        rho = topo.availability(alpha, k.sigma_rows)
        return wanted * rho, rho
    return wanted, np.ones_like(wanted)


def ration(y: F64, d_use: F64, d_ref: F64) -> tuple[F64, F64]:
    """Stage 4, rationing: current use first, then restocking orders from what is left,
    ``phi_use = min(1, y / D_use)``, ``phi_refill = min(1, max(y - D_use, 0) / D_refill)``
    (1 where the denominator is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        phi_u = np.divide(y, d_use)
        np.fmin(phi_u, 1.0, out=phi_u)
        phi_r = np.subtract(y, d_use)
        np.maximum(phi_r, 0.0, out=phi_r)
        phi_r /= d_ref
        np.fmin(phi_r, 1.0, out=phi_r)
    return phi_u, phi_r


def deliver(st: State, c: StepControls, k: StepConsts, orders: Orders, dem: Demand,
            phi_u: F64, phi_r: F64, sums: WeightedSums, dt: float
            ) -> tuple[F64, Shipments, F64, F64]:
    """Stage 4, shipments: ``received_q = (u_q Q(phi_use)_q + r_q Q(phi_refill)_q) dt`` over
    the freely open flows, plus the special flows' ``(a_use phi_use + a_refill phi_refill)
    dt``, of which licensed shipments go through the pipeline. Returns the receipts [S, R],
    the step's :class:`Shipments` and the amounts into and out of the pipeline ([R])."""
    topo = sums.topo
    s_use, s_ref = sums.by_slot(phi_u, phi_r, orders)
    if sums.fused:
        received = compiled().receipts(orders.use, s_use, orders.refill,
                                       s_use if s_ref is None else s_ref, s_ref is not None,
                                       dt)
    else:
        rate = orders.use * s_use
        if s_ref is not None:
            rate += orders.refill * s_ref
        received = rate * dt if dt != 1.0 else rate
    runs = received.shape[1]
    into, out = np.zeros(runs), np.zeros(runs)
    sp_rate = sp_arrive = np.zeros((0, runs))
    if len(c.special):
        sp_rate = (dem.sp_use * take_rows(phi_u, c.sp_src)
                   + dem.sp_refill * take_rows(phi_r, c.sp_src))
        sp_arrive = sp_rate * dt
        if c.piped:
            into, out = licence_pipeline(st, c, sp_arrive, dt, into, out)
        np.add.at(received, c.sp_slot, sp_arrive)
    ships = Shipments(topo.flow_src, topo.flow_slot, sums.wts.g, phi_u, phi_r, orders.use,
                      orders.refill, c.special, sp_rate, sp_arrive, dt, sums.kept)
    ships.f0 = k.f0
    topo.add_reader(ships)
    return received, ships, into, out


def licence_pipeline(st: State, c: StepControls, arrive: F64, dt: float, into: F64, out: F64
                     ) -> tuple[F64, F64]:
    """Licensed shipments of the licence-pipeline flows (*arrive*: the special flows'
    amounts this step, changed in place to what arrives now) enter the ring buffer
    ``c_r = round(delay / dt)`` steps ahead, or, with delays spread over shipments (CDF
    ``F`` over lags, ``ctl.spread``), in the shares ``w_j = C_j - C_(j-1)`` ``j`` steps
    ahead, ``C_j = 1[j >= c_r] F_j`` (:mod:`econsec.simulation.licence_delays`); what is
    due this step leaves it. Returns the amounts into and out of the pipeline ([R];
    *into*, *out* when no flow is in it)."""
    ctl = c.ctl
    length = st.pipeline.shape[0]
    pos = c.lic_pos
    lic = ctl.licensed[c.licence][:, None]
    sub = arrive[pos]
    delayed = np.where(lic, sub, 0.0)
    lag = np.rint(ctl.delay_days / dt).astype(np.int64)  # [K, R]
    if ctl.spread is None:
        slot = (st.step + lag) % length
        kk = np.arange(sub.shape[0])[:, None]
        rr = np.arange(arrive.shape[1])[None, :]
        st.pipeline[slot, kk, rr] += delayed
    else:
        spread_release(st.pipeline, st.step, ctl.spread, lag, delayed, ctl.spread_steps)
    now = st.pipeline[st.step % length].copy()
    st.pipeline[st.step % length] = 0.0
    arrive[pos] = sub - delayed + now
    if len(pos):  # flow by flow (the same bits for any number of runs)
        into, out = sum_rows(delayed), sum_rows(now)
    return into, out


def spread_release(line: F64, step: int, cdf: F64, lag: I64, delayed: F64, rises: I64
                   ) -> None:
    """Put *delayed* ([K, R]) into the ring buffer *line* ([L, K, R]) at step *step*: the
    share ``C_j - C_(j-1)`` ``j`` steps ahead, ``C_j = 1[j >= lag] cdf_min(j, J-1)``
    (*cdf*: [K, J] over lag steps, ending at 1; *lag*: [K, R] per-run delays in steps).
    Only the lags up to the longest per-run delay and those where *cdf* rises (*rises*,
    sorted) can receive a share; ``C`` is constant between them."""
    length = line.shape[0]
    last = cdf.shape[1] - 1
    js = np.union1d(np.arange(int(lag.max(initial=0)) + 1), rises)  # sorted, from 0
    if int(js[-1]) >= length:  # the engine sizes the ring for the longest delay
        raise ValueError(f"licence delay of {int(js[-1])} steps does not fit the pipeline "
                         f"of {length} steps")
    # every lag j at once (each its own row of the ring): C_j for [J, K, R], the shares
    # C_j - C_(j-1) (C_(-1) = 0), and only the lags where some share is positive
    now = np.where(lag[None, :, :] <= js[:, None, None],
                   cdf[:, np.minimum(js, last)].T[:, :, None], 0.0)
    share = np.diff(now, axis=0, prepend=0.0)
    gets = share.reshape(js.size, -1).any(axis=1)
    line[(step + js[gets]) % length] += share[gets] * delayed[None, :, :]


def in_transit(st: State, prm: RunParams, ships: Shipments, runs: int) -> tuple[F64, F64]:
    """Stage 4a: the transit flows' shipments of the step (after the licence pipeline)
    enter the ring buffer ``st.transit`` ``L_k`` steps ahead and what is due leaves it;
    *ships* then keeps every flow's arrivals (``ships.arrived``, [F, R]), whose slot sums
    are the receipts. Returns the amounts into and out of transit ([R]; zeros, and
    *ships* untouched, without transit)."""
    tr = prm.transit
    if tr is None:
        return np.zeros(runs), np.zeros(runs)
    arrived = ships.amounts(None, arrived=True)
    if fused_runs(runs) and st.transit.flags.c_contiguous and arrived.flags.c_contiguous:
        # one compiled pass in place of the gather, the ring update and the scatter
        into, out = compiled().pass_transit(st.transit.reshape(-1), st.step % tr.length,
                                            tr.ahead, tr.flows, arrived)
    else:
        now, into, out = pass_transit(st.transit, st.step, tr, take_rows(arrived, tr.flows))
        arrived[tr.flows] = now
    ships.arrived = arrived
    return into, out


def draw_inventories(st: State, topo: Topology, k: StepConsts, y: F64, received: F64,
                     dt: float) -> tuple[F64, F64]:
    """Stage 5: ``I_q += received_q - used_q``, ``used_q = min(I_q, c_q y_j dt)``. Returns
    ``used`` and the need ``c_q y_j dt`` ([S, R])."""
    if fused_runs(y.shape[1]):
        st.inventory, used, need = compiled().draw_inventories(
            st.inventory, y, k.coef, received, topo.slot_node, dt)
        return used, need
    use_need = take_rows(y, topo.slot_node)
    use_need *= k.coef
    if dt != 1.0:
        use_need *= dt
    used = np.minimum(st.inventory, use_need)
    st.inventory = st.inventory + received - used
    return used, use_need


def ramp_capacity(st: State, cap: F64, demand: F64, prm: RunParams, dt: float) -> None:
    """Stage 8: ``ramp += dt / ramp_days`` (capped at 1) where demand exceeds capacity."""
    if fused_runs(cap.shape[1]):
        ramp, pressed = compiled().ramp_capacity(
            st.ramp, demand, cap, CAP_TOL, np.ascontiguousarray((dt / prm.ramp_days)[0]))
        if pressed:
            st.ramp = ramp
        return
    pressure = demand > cap * (1.0 + CAP_TOL)
    if pressure.any():
        st.ramp = np.minimum(st.ramp + pressure * (dt / prm.ramp_days), 1.0)


def fused_runs(runs: int) -> bool:
    """The step of *runs* runs uses the compiled kernels
    (:func:`econsec.simulation.kernels.use_compiled`)."""
    return kernels.use_compiled(runs)


def compiled() -> ModuleType:
    """:mod:`econsec.simulation.fused`, imported on first use (numba is loaded only by
    a step)."""
    from econsec.simulation import fused

    return fused


class WeightedSums:
    """The weighted flow sums of one step, ``P(g, x)`` by supplier and ``Q(g, y)`` by slot
    (module docstring), by the fastest of paths that give the same bits: the compiled
    kernels (:attr:`fused`, the default, one run or several) or, with ``kernels.FUSED``
    off, sparse products for one run and, for several runs, sums formed again only where
    terms changed
    (:meth:`Topology.by_source_since`; ``kernels.INCREMENTAL``) or whole ``[F, R]``
    products kept (while ``[F, R]`` has at most :data:`KEEP_VALUES` values and the last
    re-sourcing worked on the whole arrays) to serve the per-flow shipments
    (:attr:`kept`)."""

    def __init__(self, topo: Topology, wts: OrderWeights, runs: int) -> None:
        self.topo, self.wts = topo, wts
        self.fused = fused_runs(runs)
        many = runs > 1 and not self.fused
        self.keep = many and topo.f * runs <= KEEP_VALUES and topo.whole_risk
        self.incremental = many and not self.keep and kernels.INCREMENTAL
        self._per_flow: list[F64] | None = None
        #: per-flow ``g phi_use``, ``g phi_ref``, ``u``, ``r`` when kept (for :class:`Shipments`)
        self.kept: tuple[F64 | None, F64 | None, F64, F64] | None = None

    def by_source(self, orders: Orders) -> tuple[F64, F64]:
        """``P(g, u)`` and ``P(g, r)`` ([N, R]; zeros without refill orders)."""
        topo, wts, g = self.topo, self.wts, self.wts.g
        use, refill = orders.use, orders.refill
        if self.fused:
            both = compiled().by_source(g, use, refill, orders.has_refill,
                                        topo.sums.slot_ptr, topo.src_idx, topo.n)
            return both[0], (both[1] if orders.has_refill else np.zeros_like(both[0]))
        if self.incremental:
            d_use = topo.by_source_since("use", wts, use)
            d_ref = (topo.by_source_since("refill", wts, refill) if orders.has_refill
                     else np.zeros_like(d_use))
        elif orders.has_refill:
            (d_use, d_ref), self._per_flow = topo.sums.by_source_many(
                g, [use, refill], [None, orders.r_slots], self.keep)
        else:
            (d_use,), self._per_flow = topo.sums.by_source_many(g, [use], [None], self.keep)
            d_ref = np.zeros_like(d_use)
            if self._per_flow is not None:
                self._per_flow.append(np.zeros_like(self._per_flow[0]))
        return d_use, d_ref

    def by_slot(self, phi_u: F64, phi_r: F64, orders: Orders) -> tuple[F64, F64 | None]:
        """``Q(g, phi_use)`` and ``Q(g, phi_refill)`` ([S, R]; None without refill orders);
        where ``phi_use = 1`` everywhere, the slot sums of ``g`` (kept while ``g`` is)."""
        topo, wts = self.topo, self.wts
        ys: list[F64] = []
        ys_slots: list[I64 | None] = []
        names: list[str] = []
        phi_u_one = not (phi_u != 1.0).any()
        if not phi_u_one:
            ys.append(phi_u)
            ys_slots.append(None)
            names.append("phi_u")
        if orders.has_refill:
            ys.append(phi_r)
            ys_slots.append(orders.r_slots)
            names.append("phi_r")
        q_sums: list[F64]
        q_flow: list[F64] | None
        if self.fused:
            q_flow = None
            if ys:
                # the phi_refill sums only where refill is ordered (else 0, read as
                # refill x 0 = refill x sum: both 0)
                out = compiled().by_slot(wts.g, ys[0], ys[-1], len(ys) == 2,
                                         topo.sums.slot_ptr, topo.src_idx,
                                         orders.refill if orders.has_refill else NO_SLOTS)
                q_sums = list(out)
            else:
                q_sums = []
        elif self.incremental:
            q_flow = None
            q_sums = [topo.by_slot_since(name, wts, y)
                      for name, y in zip(names, ys, strict=True)]
        else:
            q_sums, q_flow = (topo.sums.by_slot_many(wts.g, ys, ys_slots, self.keep) if ys
                              else ([], None))
        s_use = wts.slot_sum(topo.sums) if phi_u_one else q_sums[0]
        s_ref = q_sums[-1] if orders.has_refill else None
        per_flow = self._per_flow
        if per_flow is not None and (ys == [] or q_flow is not None):
            gu = None if phi_u_one else q_flow[0]  # type: ignore[index]
            gr = q_flow[-1] if orders.has_refill else None  # type: ignore[index]
            self.kept = (gu, gr, per_flow[0], per_flow[1])
        return s_use, s_ref
