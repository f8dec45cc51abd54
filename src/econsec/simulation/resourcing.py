"""Re-sourcing: buyers move sourcing shares away from flows that cannot serve their orders
(:func:`resource`) and, with ``return_days``, back to the pre-shock suppliers once those
flows are free again (:func:`return_shares`). Stages 6 and 7 of the step rule
(:mod:`econsec.simulation.step`, where the formulas are stated).

Re-sourcing works on the flows of the slots at risk only
(:class:`~econsec.simulation.topology.RiskFlows`, kept per set of slots while the controls
are the same), or on the whole arrays when most slots are at risk; sums per slot add the
flows in order, so a run's result does not depend on the other runs of its chunk.

Arranged for few passes over the ``[flow, run]`` arrays, with the same bits as forming
every term for every flow: ``1 / o_q`` and the masks "the slot orders" and "the slot is at
risk in the run" are formed per slot and gathered once; the factors ``cut_q`` and
``movable_q`` multiply only the flows of the slots where they are not 1 in some run
(``x * 1 = x``), and ``gain_q w_k`` is added only in the slots that gain in some run (the
others would add ``+0``, which leaves a share as it is: shares are never ``-0``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from econsec.simulation import kernels
from econsec.simulation.controls import FlowControls
from econsec.simulation.kernels import SlotFlows, take_rows
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.shipments import Shipments
from econsec.simulation.state import RunParams, State
from econsec.simulation.topology import StepControls, Topology

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def resource(st: State, topo: Topology, c: StepControls, o_q: F64, u_q: F64,
             ships: Shipments, short_r: B, demand: F64, cap_max: F64, prm: RunParams,
             dt: float, allies: B | None, base: Baseline) -> None:
    """Move lost sourcing share to suppliers with headroom (stage 6 of the step rule,
    :mod:`econsec.simulation.step`).

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
        if kernels.use_compiled(short_r.shape[1]):  # over those suppliers' flows only
            topo.mark_supplied(hit, short)
        else:
            hit[topo.flow_slot[short[topo.flow_src]]] = True
    elif not c.risk_slots.any():
        return
    if not hit.any():
        return
    if kernels.use_compiled(short_r.shape[1]):  # one compiled pass
        slots, flows = topo.risk_flows(hit)
        topo.whole_risk = len(flows) > topo.f // 2  # as RiskFlows.fa is None
        head = np.subtract(cap_max, demand)
        np.maximum(head, 0.0, out=head)
        resource_fused(st, topo, c, slots, flows, o_q, ships, short_r, head, prm, dt, allies,
                       base)
        return
    rk = topo.risk(hit, c)
    fa = rk.fa
    topo.whole_risk = fa is None
    head = np.subtract(cap_max, demand)
    np.maximum(head, 0.0, out=head)
    # destination weights first: where no supplier of a slot at risk has headroom in any
    # run, no share can move and the lost shares need not be formed
    w = take_rows(head, rk.src)
    if len(rk.open_rows):  # w x open (x 1 keeps the bits: only the other rows)
        w[rk.open_rows] *= rk.open[rk.open_rows]
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
    share = st.share if fa is None else take_rows(st.share, fa)
    o_s = o_q if fa is None else take_rows(o_q, rk.slots)  # [slots at risk, R]
    # 1 / o_k per flow (0 where o_k = 0): formed per slot, gathered; a flow under a cap
    # divides by the slot's use orders u_q instead
    inv_q = np.zeros_like(o_s)
    ordered = o_s > 0
    np.divide(1.0, o_s, out=inv_q, where=ordered)
    inv_o = take_rows(inv_q, rk.fpos)
    # slots where a flow may lose share in a run: ordering, and at risk in that run
    runs = short_r.shape[1]
    if runs > 1 and short.any():  # slots at risk in some runs only lose share in those
        risk = rk.supplied_by(short_r)
        if rk.risk_slots is not None:
            risk |= rk.risk_slots
    elif fa is None and not hit.all():  # the whole network computed: only slots at risk
        risk = np.broadcast_to(hit[:, None], ordered.shape)
    else:
        risk = None
    may = ordered if risk is None else ordered & risk
    may_f = rk.per_flow(may)
    cap_rows = rk.cap_rows
    if len(cap_rows):
        u_c = take_rows(u_q, rk.fslot[cap_rows])
        inv_c = np.zeros_like(u_c)
        np.divide(1.0, u_c, out=inv_c, where=u_c > 0)
        inv_o[cap_rows] = inv_c
        ok_c = u_c > 0
        if risk is not None:
            ok_c &= take_rows(risk, rk.fpos[cap_rows])
        may_f[cap_rows] = ok_c
    lost = ships.rates(fa, rk.src, rk.fslot)
    lost *= inv_o
    np.subtract(share, lost, out=lost)
    keep = lost > 1e-12
    keep &= may_f
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
    need = lost_q * o_s
    over = need > w_q
    any_over = over.any()
    cut = np.ones_like(need)
    if any_over:
        np.divide(w_q, need, out=cut, where=over)
        lost_q *= cut
    gain = np.zeros_like(w_q)
    np.divide(lost_q, w_q, out=gain, where=movable)
    # lost x cut x movable: only the slots where a factor is not 1 in some run (x 1 keeps
    # the bits)
    scaled: B = np.asarray(~movable.all(axis=1), dtype=np.bool_)
    if any_over:
        scaled |= over.any(axis=1)
    if scaled.any():
        rows = rk.rows_of(scaled)
        sub = take_rows(lost, rows)
        pos = rk.fpos[rows]
        if any_over:
            sub *= take_rows(cut, pos)
        sub *= take_rows(movable, pos)
        lost[rows] = sub
    new = np.subtract(share, lost, out=lost)
    # + gain_q w_k: only the slots that gain in some run (+ 0 keeps the bits of a share)
    gaining: B = np.asarray(gain.any(axis=1), dtype=np.bool_)
    if gaining.all():
        new += rk.per_flow(gain) * w
    elif gaining.any():
        rows = rk.rows_of(gaining)
        add = take_rows(gain, rk.fpos[rows])
        add *= take_rows(w, rows)
        new[rows] += add
    if fa is None:
        st.share = new
    else:
        topo.set_share_rows(st, fa, new)


def resource_fused(st: State, topo: Topology, c: StepControls, slots: I64, flows: SlotFlows,
                   o_q: F64, ships: Shipments, short_r: B, head: F64, prm: RunParams,
                   dt: float, allies: B | None, base: Baseline) -> None:
    """:func:`resource` in the slots at risk *slots* (sorted; their *flows*, in order) by
    one compiled pass
    (:func:`econsec.simulation.fused_resourcing.resource_slots`; the same bits); *head*
    ``max(capmax - D, 0)``."""
    from econsec.simulation import fused_resourcing

    if ships.patches:  # the step's own weights are read (no update since the shipments)
        raise RuntimeError("re-sourcing after an update of the order weights")
    runs = short_r.shape[1]
    allied = allies is not None and bool(allies.any())
    if allied:
        assert allies is not None
        sup = allies[base.node_economy[topo.flow_src]]
        buy = allies[base.node_economy[topo.slot_node]]
    else:
        sup = buy = np.zeros(1, dtype=np.bool_)
    rate = prm.resource_rate
    # the new shares written in place where the order weights can follow (the same
    # values as writing them after, :meth:`Topology.set_share_rows`); else into *out*
    writer = topo.share_writer(st, ships.g) if len(flows) < topo.f else None
    if writer is None:
        out = np.empty((len(flows), runs))
        share_w, g_w, own_g, open_eff, old = out, out, False, np.zeros(0), out
    else:
        w, readers = writer
        st.share.flags.writeable = True
        out = share_w = st.share
        own_g = w.g is not w.share
        g_w = w.g if own_g else out
        open_eff = w.c.open_eff if own_g and w.c.open_eff is not None else np.zeros(0)
        old = np.empty((len(flows) if readers else 0, runs))
    fr = fused_resourcing
    moved = fr.resource_slots(
        fr.SlotsAtRisk(slots, topo.sums.slot_ptr, topo.src_idx),
        fr.StepArrays(st.share, ships.g, ships.phi_u, ships.phi_r, ships.use, ships.refill,
                      o_q, head, short_r),
        fr.FlowRules(c.sp_pos, ships.sp_rate, c.capped, c.destination_open,
                     np.ones((1, 1)) if c.wedge is None else c.wedge, c.wedge is not None,
                     np.ascontiguousarray((dt / prm.ramp_days)[0]), c.risk_slots,
                     np.ones(runs) if rate is None else np.ascontiguousarray(rate[0]),
                     rate is not None, not c.ctl.any_open and not c.ctl.any_quota),
        fr.Allies(sup, buy, allied),
        fr.Written(out, writer is not None, share_w, g_w, own_g, open_eff, old,
                   writer is not None and bool(writer[1])))
    if writer is not None:
        st.share.flags.writeable = False
        if moved:  # (else every value written was the one there)
            topo.shares_written(writer[0], flows, old, writer[1])
        return
    if not moved:
        return
    if len(flows) == topo.f:
        st.share = out
    else:  # in place: the order weights are kept, updated in these rows
        topo.set_share_rows(st, flows.rows, out)


def return_shares(st: State, topo: Topology, ctl: FlowControls, o_q: F64, short_r: B,
                  demand: F64, cap_max: F64, rate: F64, s0: F64) -> None:
    """Stage 7: buyers move sourcing back toward the pre-shock shares *s0* ([F, 1]) once a
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
    oq = take_rows(o_q, topo.flow_slot)
    room = take_rows(np.maximum(cap_max - demand, 0.0), topo.flow_src)
    room[take_rows(short_r, topo.flow_src)] = 0.0
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
    new = share + back * take_rows(back_scale, topo.flow_slot)
    new -= surplus * take_rows(take, topo.flow_slot)
    st.share = new
