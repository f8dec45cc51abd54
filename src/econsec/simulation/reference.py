"""The step rule for one run, in plain code: the reference the fast step is checked against.

:func:`reference_step` advances one Monte Carlo run (1-D arrays, every flow formed, sums
over flows with ``np.bincount``) by the rule of :mod:`econsec.simulation.step`, written
straight from the formulas with none of its speed paths (kept weights, incremental sums,
slots-at-risk subsets, one-by-one special flows). For node ``j``, input slot ``q`` of
buyer ``j(q)``, flow ``k`` of slot ``q(k)`` from supplier ``i(k)``, step ``dt`` days:

0. refusal at the border: a pipeline flow whose open share fell from ``o`` to ``o'`` since
   the last step keeps ``o' / o`` of its pipeline content; the rest is refused;
1. orders: ``cap = xcap + invest + ramp spare x0``, ``p = min(cap, D(t-1))``,
   ``u_q = c_q p_j``, ``r_q = max(T_q - I_q, 0) / refill_days``, ``o_q = u_q + r_q``,
   ``o_k = share_k o_q``;
2. controls: ``a_k = min(open_k o_k, quota_k)``, split into ``a_k r_q / o_q`` (refill)
   and the rest (use); ``D_use,i = f0_i + sum_{k: i(k)=i} a_use,k``,
   ``D_refill,i = sum a_refill,k``, ``D = D_use + D_refill``;
3. production: ``w = min(cap, D)``, ``alpha_q = min(1, I_q / (c_q w_j dt))`` (1 where the
   need is 0), ``rho_j = min`` over essential slots of ``alpha + sigma (1 - alpha)`` (1
   without), ``y = w rho``;
4. distribution: ``phi_use = min(1, y / D_use)``,
   ``phi_refill = min(1, max(y - D_use, 0) / D_refill)`` (1 where the denominator is 0);
   ``s_k = a_use,k phi_use,i(k) + a_refill,k phi_refill,i(k)``; licensed shipments of the
   licence-pipeline flows arrive ``c = round(delay / dt)`` steps later (with a delay spread
   over shipments, CDF ``F`` over lags: the share ``C_j - C_(j-1)`` ``j`` steps later,
   ``C_j = 1[j >= c] F_j``), the others now; then
   (with ``transit_scale``) what the transit flows ship now arrives ``L_k`` steps later
   (:mod:`econsec.simulation.transit`); ``received_q = sum_{k in q} arrived_k``, final
   deliveries ``f0 phi_use dt``;
5. inventories: ``used_q = min(I_q, c_q y_j dt)``, ``I_q += received_q - used_q``;
6. re-sourcing in the slots at risk (a flow with ``open < 1``, a quota or a tariff, or from a
   supplier with ``phi_use < 1 - 1e-12``): ``lost_k = share_k - s_k / o_q`` (capped flows:
   ``s_k / u_q``; 0 if at most 1e-12 or the denominator is 0), times
   ``min(1, dt / resourcing_days)``, plus ``(share_k - lost_k)(1 - (1 + tau_k)^-eps) dt /
   ramp_days``; weights ``w_k = max(capmax_i - D_i, 0) open_k (1 + tau_k)^-eps`` (0 under a
   quota; allied members first while a member supplier of the slot has headroom);
   ``lost`` scaled by ``min(1, sum_q w / (sum_q lost o_q))``, then
   ``share_k -= lost_k`` and ``+= (sum_q lost / sum_q w) w_k`` in slots with ``sum_q w > 0``;
6b. localisation (with ``localisation_share``): in each slot of a localising pair, the
   imports ``k`` give ``share_k m / F`` to the domestic flow ``d``,
   ``m = min(tau - share_d, F)`` (only for a gap above 1e-12), ``F`` their total share;
7. return (with ``return_days``): a free flow takes back
   ``b_k = min(min(1, dt / return_days) (s0_k - share_k), room_i / o_q)`` (only above
   1e-12; ``room = max(capmax - D, 0)``, 0 for a rationing supplier), the slot's flows above
   ``s0`` give ``min(sum_q b, sum_q surplus)`` back in proportion to their surplus;
8. capacity: ``ramp += dt / ramp_days`` (capped at 1) where ``D > cap (1 + CAP_TOL)``.

Node shocks (``node_shock``: demand and outage shocks of the day,
:class:`~econsec.simulation.controls.NodeShocks`): ``f0_i x final_i`` in place of ``f0_i``,
``cap x keep_i`` and ``capmax x keep_i`` in place of ``cap``, ``capmax`` (before prices).

Prices (:mod:`econsec.simulation.prices`): economy ``e`` is a home market of good ``h``
while a flow of ``h`` from ``e`` has ``open < 1``, a quota or licensing; market ``m(q)`` of a
slot (``m(i)`` of a node) is home if its (buyer's) economy is a home market of its good,
else international; ``P_{h,m}`` the index of good ``h`` in market ``m``. With feedback
(``fb = 1``) the step uses ``c_q P_{h(q),m(q)}^-eps_d``, ``f0_i P_{h(i),m(i)}^-eps_d`` in
place of ``c_q``, ``f0_i`` and capacity ``min(cap P_{h(i),m(i)}^eps_s, capmax)``; after
stage 4, per good ``h`` and market ``m``:
``C_hm = sum_{q: h, m} u_q + sum_{i: h, m} f0_i``,
``A_hm = sum_{q: h, m} min(received_q / dt, u_q) + sum_{i: h, m} f0_i phi_use,i``,
``z_hm = ln(C_hm / max(A_hm, 1e-3 C_hm))`` (0 if ``C_hm = 0`` or ``|z| <= PRICE_TOL``;
the home ``z`` is the international one for a good without a home market),
``ln P_hm += (1 - exp(-dt / tau_h)) (z_hm / (eps_d + eps_s) - ln P_hm)``.

Results agree with the fast step to rounding (the sums add the same terms in another
order); the tests require agreement within 1e-12, relative and absolute, for every state
array at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from econsec.simulation.adaptation import LocalStep
from econsec.simulation.controls import FlowControls
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.prices import PRICE_TOL
from econsec.simulation.state import RunParams, State
from econsec.simulation.step import CAP_TOL

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass
class RunState:
    """The state of one run as 1-D arrays (see :class:`~econsec.simulation.state.State`);
    *pipeline* is ``[L, K]``."""

    ramp: F64
    demand: F64
    output: F64
    availability: F64
    inventory: F64
    share: F64
    pipeline: F64
    step: int
    lic_open: F64 | None  # (K,) open share of the pipeline flows at the last step
    price: F64  # (2G,) price index per good, international then home market
    transit: F64  # [L, T] shipments on the way by arrival step

    @classmethod
    def of(cls, st: State, run: int) -> RunState:
        """A copy of run *run* of *st*."""
        def col(x: F64) -> F64:
            return np.array(x[..., run], dtype=np.float64, copy=True)

        return cls(ramp=col(st.ramp), demand=col(st.demand), output=col(st.output),
                   availability=col(st.availability), inventory=col(st.inventory),
                   share=col(st.share), pipeline=col(st.pipeline), step=st.step,
                   lic_open=None if st.lic_open is None else st.lic_open.copy(),
                   price=col(st.price),
                   transit=col(st.transit) if st.transit.size else np.zeros((0, 0)))


@dataclass(frozen=True)
class RunFlows:
    """What moved in one step of one run (USD bn): receipts and use per slot, final
    deliveries per node, shipments per flow, amounts into and out of the pipeline."""

    received: F64
    used: F64
    final: F64
    shipped: F64
    into_pipeline: float
    out_of_pipeline: float
    arrived: F64  # (F,) arrived per flow (after the licence pipeline and transit)
    into_transit: float
    out_of_transit: float
    refused: float  # refused at the border (step 0)


def reference_step(rs: RunState, base: Baseline, prm: RunParams, run: int,
                   ctl: FlowControls, licence_flows: I64, *, dt: float, x_cap: F64,
                   invest: F64, target: F64, allies: B | None,
                   local: LocalStep | None = None,
                   node_shock: tuple[F64, F64] | None = None) -> RunFlows:
    """Advance run *run* in *rs* by one step of *dt* days (the module rule); the arguments
    are those of :func:`econsec.simulation.step.step` (arrays with a run axis are read at
    column *run*)."""
    fs, src, node = base.flow_slot, base.flow_src, base.slot_node
    n, s = base.n_nodes, base.n_slots
    # 0. refusal at the border: a ban closing a pipeline flow (open o -> o' < o) keeps
    # o' / o of what waits for its licence; the rest is refused
    refused = 0.0
    if rs.lic_open is not None and rs.pipeline.shape[0]:
        o_then, o_now = rs.lic_open, ctl.open[licence_flows]
        for i in range(rs.pipeline.shape[0]):  # by arrival step, then flow
            for j in range(len(licence_flows)):
                if o_now[j] < o_then[j]:
                    kept = rs.pipeline[i, j] * (o_now[j] / o_then[j])
                    refused += rs.pipeline[i, j] - kept
                    rs.pipeline[i, j] = kept
        rs.lic_open = ctl.open[licence_flows].copy()
    spare, ramp_days = prm.spare[0, run], prm.ramp_days[0, run]
    eps = prm.tariff_elasticity[0, run]
    x_now = x_cap + (invest if invest.ndim == 1 else invest[:, run])
    cap = x_now + rs.ramp * spare * base.x0
    cap_max = x_now + spare * base.x0
    coef, f0 = base.slot_coef, base.f0
    if node_shock is not None:  # node shocks: final demand x final, capacity x keep
        final, keep = node_shock
        f0 = f0 * final
        cap, cap_max = cap * keep, cap_max * keep
    pr = prm.prices
    if pr is not None:  # markets: home where the economy's exports of the good are held back
        g = pr.n_goods
        held = (ctl.open != 1.0) | np.isfinite(ctl.quota) | ctl.licensed
        home_pair = np.zeros((len(base.economies), g), dtype=bool)
        home_pair[base.node_economy[src[held]], pr.slot_good[fs[held]]] = True
        slot_home = home_pair[base.node_economy[node], pr.slot_good]
        node_home = home_pair[base.node_economy, pr.node_good]
        split = home_pair.any(axis=0)
        s_row = pr.slot_good + g * slot_home  # row of the [2G] index: good + G x home
        n_row = pr.node_good + g * node_home
    if pr is not None:  # price feedback (fb = 0: P^0 = 1, the same numbers)
        fb = pr.feedback[0, run]
        p_g = rs.price
        eps_d, eps_s = np.tile(pr.eps_d[:, 0], 2), np.tile(pr.eps_s[:, 0], 2)
        scale = p_g ** (-eps_d * fb)
        coef, f0 = coef * scale[s_row], f0 * scale[n_row]
        cap = np.minimum(cap * (p_g ** (eps_s * fb))[n_row], cap_max)
    # 1. orders
    plan = np.minimum(cap, rs.demand)
    refill = np.maximum(target[:, run] - rs.inventory, 0.0) / prm.refill_days[0, run]
    use_q = coef * plan[node]
    o_q = use_q + refill
    o_k = rs.share * o_q[fs]
    # 2. orders under controls -> demand on suppliers
    capped = np.isfinite(ctl.quota)
    a = np.minimum(ctl.open * o_k, ctl.quota)
    frac_ref = np.divide(refill, o_q, out=np.zeros(s), where=o_q > 0)
    a_ref = a * frac_ref[fs]
    a_use = a - a_ref
    d_use = np.bincount(src, a_use, minlength=n) + f0
    d_ref = np.bincount(src, a_ref, minlength=n)
    demand = d_use + d_ref
    # 3. production
    wanted = np.minimum(cap, demand)
    need = coef * wanted[node] * dt
    alpha = np.minimum(np.divide(rs.inventory, need, out=np.ones(s), where=need > 0), 1.0)
    sigma = prm.sigma[:, run]
    a_eff = np.where(base.slot_essential, alpha + sigma * (1.0 - alpha), 1.0)
    rho = np.ones(n)
    for q in range(s):
        rho[node[q]] = min(rho[node[q]], a_eff[q])
    y = wanted * rho
    # 4. distribution: current use first, then restocking; the licence pipeline
    phi_u = np.minimum(np.divide(y, d_use, out=np.ones(n), where=d_use > 0), 1.0)
    phi_r = np.minimum(np.divide(np.maximum(y - d_use, 0.0), d_ref, out=np.ones(n),
                                 where=d_ref > 0), 1.0)
    ship = a_use * phi_u[src] + a_ref * phi_r[src]
    arrive = ship * dt
    into = out = 0.0
    pipe = rs.pipeline
    if pipe.shape[0]:
        length = pipe.shape[0]
        lic = ctl.licensed[licence_flows]
        lag = np.rint(ctl.delay_days[:, run] / dt).astype(np.int64)
        spread = ctl.spread
        for j, k in enumerate(licence_flows):
            if not lic[j]:
                continue
            if spread is None:
                pipe[(rs.step + lag[j]) % length, j] += arrive[k]
            else:  # C_i = 1[i >= c] F_i, the share C_i - C_(i-1) i steps later
                last = spread.shape[1] - 1
                before = 0.0
                for i in range(max(last, lag[j]) + 1):
                    cum = spread[j, min(i, last)] if i >= lag[j] else 0.0
                    pipe[(rs.step + i) % length, j] += (cum - before) * arrive[k]
                    before = cum
            into += arrive[k]
            arrive[k] = 0.0
        now = pipe[rs.step % length].copy()
        pipe[rs.step % length] = 0.0
        arrive[licence_flows] += now
        out = float(now.sum())
    t_in = t_out = 0.0
    tr = prm.transit
    if tr is not None:  # 4a. transit: shipped now, arrives lag steps later
        line = rs.transit
        length = line.shape[0]
        for j, k in enumerate(tr.flows):
            line[(rs.step + tr.lag[j, run]) % length, j] += arrive[k]
            t_in += arrive[k]
        now = line[rs.step % length].copy()
        line[rs.step % length] = 0.0
        arrive[tr.flows] = now
        t_out = float(now.sum())
    received = np.asarray(np.bincount(fs, arrive, minlength=s), dtype=np.float64)
    if pr is not None:  # 4b. prices, per good and market
        dem = (np.bincount(s_row, use_q, minlength=2 * g)
               + np.bincount(n_row, f0, minlength=2 * g))
        sup = (np.bincount(s_row, np.minimum(received / dt, use_q), minlength=2 * g)
               + np.bincount(n_row, f0 * phi_u, minlength=2 * g))
        z = np.zeros(2 * g)
        pos = dem > 0
        z[pos] = np.log(dem[pos] / np.maximum(sup[pos], 1e-3 * dem[pos]))
        z[np.abs(z) <= PRICE_TOL] = 0.0
        z[g:][~split] = z[:g][~split]  # one market: the home index follows the world's
        eps_sum = np.tile(pr.eps_d[:, 0] + pr.eps_s[:, 0], 2)
        log_p = np.log(rs.price)
        rs.price = np.exp(log_p + (1.0 - np.tile(pr.decay[:, 0], 2)) * (z / eps_sum - log_p))
    # 5. inventories
    use_need = coef * y[node] * dt
    used = np.minimum(rs.inventory, use_need)
    rs.inventory = rs.inventory + received - used
    # 6. re-sourcing, in the slots at risk
    short = phi_u < 1.0 - 1e-12
    restricted = (ctl.open != 1.0) | capped | (ctl.tariff != 0.0)
    at_risk = np.zeros(s, dtype=bool)
    at_risk[fs[restricted | short[src]]] = True
    share = rs.share
    per = np.where(capped, use_q[fs], o_q[fs])  # capped: the use part only
    kept = np.divide(ship, per, out=np.zeros_like(ship), where=per > 0)
    lost = share - kept
    lost = np.where((lost > 1e-12) & (per > 0), lost, 0.0)
    if prm.resource_rate is not None:
        lost = lost * prm.resource_rate[0, run]
    wedge = (1.0 + ctl.tariff) ** -eps
    lost = lost + (share - lost) * (1.0 - wedge) * (dt / ramp_days)
    lost = np.where(at_risk[fs], lost, 0.0)
    head = np.maximum(cap_max - demand, 0.0)
    wgt = head[src] * np.where(capped, 0.0, ctl.open) * wedge
    if allies is not None and allies.any():
        sup_member = allies[base.node_economy[src]]
        buy_member = allies[base.node_economy[node[fs]]]
        wa = wgt * sup_member
        member_room = np.bincount(fs, wa, minlength=s)[fs] > 0
        wgt = np.where(member_room & buy_member, wa, wgt)
    lost_q = np.bincount(fs, lost, minlength=s)
    w_q = np.bincount(fs, wgt, minlength=s)
    moved_orders = lost_q * o_q  # no more than the headroom serves: m_q o_q <= w_q
    cut = np.divide(w_q, moved_orders, out=np.ones(s), where=moved_orders > w_q)
    lost, lost_q = lost * cut[fs], lost_q * cut
    gain = np.divide(lost_q, w_q, out=np.zeros(s), where=w_q > 0)
    share = share - lost * (w_q > 0)[fs] + gain[fs] * wgt
    # 6b. induced localisation: the domestic share up to tau, taken from the imports
    if local is not None:
        slots = np.unique(fs[local.flows])
        for zi, slot in enumerate(slots):
            ks = np.flatnonzero(fs == slot)
            d = local.flows[local.dom_pos[zi]]
            imports = [k for k in ks if k != d]
            total = float(sum(share[k] for k in imports))
            gap = local.tau[zi, run] - share[d]
            moved = min(gap if gap > 1e-12 else 0.0, total)
            if moved > 0:
                for k in imports:
                    share[k] -= share[k] * (moved / total)
                share[d] += moved
    # 7. return toward the pre-shock shares
    if prm.return_rate is not None and prm.return_to is not None:
        s0 = prm.return_to[:, 0]
        back = np.where(restricted, 0.0, np.maximum(s0 - share, 0.0))
        back = np.where(back > 1e-12, back, 0.0) * prm.return_rate[0, run]
        room = np.where(short[src], 0.0, head[src])
        limit = np.divide(room, o_q[fs], out=np.full_like(room, np.inf), where=o_q[fs] > 0)
        back = np.minimum(back, limit)
        surplus = np.maximum(share - s0, 0.0)
        back_q = np.bincount(fs, back, minlength=s)
        sur_q = np.bincount(fs, surplus, minlength=s)
        moved = np.minimum(back_q, sur_q)
        give = np.divide(moved, back_q, out=np.zeros(s), where=back_q > 0)
        take = np.divide(moved, sur_q, out=np.zeros(s), where=sur_q > 0)
        share = share + back * give[fs] - surplus * take[fs]
    rs.share = share
    # 8. capacity
    pressure = demand > cap * (1.0 + CAP_TOL)
    rs.ramp = np.minimum(rs.ramp + pressure * (dt / ramp_days), 1.0)
    rs.demand, rs.output, rs.availability = demand, y, rho
    rs.step += 1
    return RunFlows(received=received, used=used, final=f0 * phi_u * dt,
                    shipped=ship * dt, into_pipeline=into, out_of_pipeline=out, arrived=arrive,
                    into_transit=float(t_in), out_of_transit=t_out, refused=refused)
