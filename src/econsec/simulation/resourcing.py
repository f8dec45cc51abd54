"""Re-sourcing: buyers move sourcing shares away from flows that cannot serve their orders
(:func:`resource`) and, with ``return_days``, back to the pre-shock suppliers once those
flows are free again (:func:`return_shares`). Stages 6 and 7 of the step rule
(:mod:`econsec.simulation.step`, where the formulas are stated).

Re-sourcing works on the flows of the slots at risk only
(:class:`~econsec.simulation.topology.RiskFlows`, kept per set of slots while the controls
are the same), or on the whole arrays when most slots are at risk; sums per slot add the
flows in order, so a run's result does not depend on the other runs of its chunk.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from econsec.simulation.controls import FlowControls
from econsec.simulation.kernels import take_rows
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
    w = take_rows(head, rk.src)
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
    share = st.share if fa is None else take_rows(st.share, fa)
    oq = take_rows(o_q, rk.fslot)
    if rk.capped is not None:
        oq = np.where(rk.capped, take_rows(u_q, rk.fslot), oq)
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
    need = lost_q * take_rows(o_q, rk.slots)
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
