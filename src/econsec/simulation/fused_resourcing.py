"""Compiled kernels of re-sourcing (stage 6 of :mod:`econsec.simulation.step`;
:func:`econsec.simulation.resourcing.resource_fused` calls them), numba.

One pass over the slots at risk, each slot's flows in order, computing the numbers of the
numpy stage (:func:`econsec.simulation.resourcing.resource`) with the same bits, by the rules
of :mod:`econsec.simulation.fused` (the same operations in the same order, no ``fastmath``,
sums in flow order from 0; ``x * 1 = x`` and ``s + 0 = s`` may be applied or skipped).
:func:`resource_slots` works on ``[flow, run]`` arrays with the runs innermost;
:func:`resource_slots_one` on one run, with scalars in place of the per-run vectors.
Imported on first use; compiled on first call and cached on disk (``cache=True``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
#: an index array of 32- or 64-bit integers
IX = npt.NDArray[np.integer]


class SlotsAtRisk(NamedTuple):
    """The slots re-sourced, sorted, and the network's slot layout."""

    slots: I64  # (Z,) the slots at risk
    slot_ptr: I64  # (S + 1,) first flow of each slot
    flow_src: IX  # (F,) supplier node of each flow


class StepArrays(NamedTuple):
    """The step's state and flows the re-sourcing reads ([item, R])."""

    share: F64  # [F, R] sourcing shares
    g: F64  # [F, R] order weights
    phi_u: F64  # [N, R] share of use orders served
    phi_r: F64  # [N, R] share of refill orders served
    use: F64  # [S, R] use orders
    refill: F64  # [S, R] refill orders
    o_q: F64  # [S, R] orders
    head: F64  # [N, R] headroom max(capmax - D, 0)
    short_r: B  # [N, R] the supplier rationed current use


class FlowRules(NamedTuple):
    """The controls and the run parameters of the re-sourcing."""

    sp_pos: I64  # (F,) position of a special flow's rate in sp_rate, -1 elsewhere
    sp_rate: F64  # [P, R] shipment rates of the special flows
    capped: B  # (F,) the flow is under a cap
    dest_open: F64  # (F,) open share of the flow as a destination of moved share
    wedge: F64  # [F, 1] or [F, R] tariff wedges
    has_wedge: bool
    ramp_step: F64  # (R,) dt / ramp_days
    restricted: B  # (S,) the slot has a restricted flow
    rate: F64  # (R,) min(1, dt / resourcing_days)
    has_rate: bool
    plain: bool  # no capped flow and every flow fully open (capped, dest_open not read)


class Allies(NamedTuple):
    """Allied sharing: members supply members first."""

    sup_member: B  # (F,) the supplier is a member
    buy_member: B  # (S,) the buyer is a member
    allied: bool  # sharing is on (else the two arrays are not read)


class Written(NamedTuple):
    """Where the new shares go."""

    out: F64  # [flows of the slots, R], unless in place
    in_place: bool
    share_w: F64  # the shares, written in place
    g_w: F64  # the order weights, written in place with own_g
    own_g: bool
    open_eff: F64  # (F,) g = share x open_eff where own_g
    old: F64  # the rows of g_w before, in flow order, with keep_old
    keep_old: bool


@njit(cache=True)
def resource_slots(net: SlotsAtRisk, step: StepArrays, rules: FlowRules, ally: Allies,
                   dest: Written) -> bool:
    """Re-sourcing (stage 6 of :mod:`econsec.simulation.step`) in the slots ``net.slots``
    (sorted): the new shares of their flows, in flow order, into ``dest.out``
    ([flows of the slots, R]). The arguments are named tuples (:class:`SlotsAtRisk`,
    :class:`StepArrays`, :class:`FlowRules`, :class:`Allies`, :class:`Written`); their
    fields are written in italics below. Returns False when nothing moves (no slot has
    headroom or no flow loses share: the shares stay as they are). Per flow ``k`` of slot
    ``q`` from supplier ``i``, run ``r`` (the numpy path,
    :func:`econsec.simulation.resourcing.resource`, term for term):

    * weight ``w_k = head_i open_k wedge_k`` (``head = max(capmax - D, 0)``; with
      *allied* members first: ``w_k sup_k`` where the slot's member suppliers have headroom
      and the buyer is a member); ``w_q = sum_{k in q} w_k``; movable ``w_q > 0``;
    * shipment rate ``s_k = (g_k phi_use,i) u_q + (g_k phi_ref,i) r_q`` (special flows:
      *sp_rate*, at *sp_pos*, -1 elsewhere);
    * ``lost_k = (share_k - s_k inv_k) 1[lost > 1e-12, may]`` with ``inv = 1 / o_q``
      (capped flows: ``1 / u_q``; 0 where the orders are 0) and ``may``: orders > 0 and the
      slot at risk in the run (a restricted flow or a supplier with ``phi_use < 1``,
      *short_r*); times *rate* (``min(1, dt / resourcing_days)``) if *has_rate*; plus
      ``(share_k - lost_k)((1 - wedge_k) ramp_step)`` if *has_wedge*
      (``ramp_step = dt / ramp_days``);
    * ``lost_q = sum lost_k``; ``cut_q = w_q / (lost_q o_q)`` where that need exceeds
      ``w_q`` (else 1), ``lost_q *= cut_q``; ``gain_q = lost_q / w_q`` (0 if not movable);
    * ``new_k = share_k - lost_k cut_q movable_q``, ``+ gain_q w_k`` in slots that gain in
      some run.

    *wedge* is [F, 1] or [F, R]; *rate* and *ramp_step* (R,).

    *in_place*: instead of *out*, each slot's new shares are written into *share_w* (the
    shares, writeable) and, with *own_g*, ``new open_eff`` into the order weights *g_w*
    (as :func:`econsec.simulation.fused.write_rows`; with *keep_old* the rows of *g_w*
    before into *old*, in flow order), once the slot is done (its flows are read by no
    other slot). Where nothing moves, the values written are those already there
    (``share - (+-0) = share``, ``share open_eff`` is ``g``). One run:
    :func:`resource_slots_one` (the same terms; *plain*, no capped flow and every flow fully
    open, lets it skip those reads)."""
    if step.share.shape[1] == 1:
        return resource_slots_one(net, step, rules, ally, dest)
    slots, slot_ptr, flow_src = net
    share, g, phi_u, phi_r, use, refill, o_q, head, short_r = step
    sp_pos, sp_rate, capped, dest_open, wedge, has_wedge, ramp_step, restricted, rate, \
        has_rate, _plain = rules
    sup_member, buy_member, allied = ally
    out, in_place, share_w, g_w, own_g, open_eff, old, keep_old = dest
    runs = share.shape[1]
    wide = 0
    for s in slots:
        wide = max(wide, slot_ptr[s + 1] - slot_ptr[s])
    w = np.empty((wide, runs))
    lost = np.empty((wide, runs))
    w_q = np.empty(runs)
    wa_q = np.empty(runs)
    lost_q = np.empty(runs)
    gain = np.empty(runs)
    scale = np.empty(runs)
    risk = np.empty(runs, dtype=np.bool_)
    ship = np.empty(runs)
    inv_o = np.empty(runs)
    inv_u = np.empty(runs)
    ok_o = np.empty(runs, dtype=np.bool_)
    ok_u = np.empty(runs, dtype=np.bool_)
    wr = wedge.shape[1] > 1
    any_move = False
    any_lost = False
    at = 0
    for q in slots:
        k0 = slot_ptr[q]
        n = slot_ptr[q + 1] - k0
        # weights and the slot at risk in each run (loop-invariant choices outside the
        # loops over runs)
        for r in range(runs):
            risk[r] = restricted[q]
            wa_q[r] = 0.0
            w_q[r] = 0.0
        for j in range(n):
            k = k0 + j
            i = flow_src[k]
            op = dest_open[k]
            for r in range(runs):
                w[j, r] = head[i, r] * op
            if has_wedge and wr:
                for r in range(runs):
                    w[j, r] = w[j, r] * wedge[k, r]
            elif has_wedge:
                wk = wedge[k, 0]
                for r in range(runs):
                    w[j, r] = w[j, r] * wk
            for r in range(runs):
                risk[r] |= short_r[i, r]
        if allied:
            for j in range(n):
                sup = 1.0 if sup_member[k0 + j] else 0.0
                for r in range(runs):
                    wa_q[r] += w[j, r] * sup
            if buy_member[q]:
                for j in range(n):
                    sup = 1.0 if sup_member[k0 + j] else 0.0
                    for r in range(runs):
                        if wa_q[r] > 0.0:
                            w[j, r] = w[j, r] * sup
        for j in range(n):
            for r in range(runs):
                w_q[r] += w[j, r]
        for r in range(runs):
            any_move |= w_q[r] > 0.0
        # lost shares (1 / o_q and 1 / u_q formed per slot: the same quotients)
        for r in range(runs):
            lost_q[r] = 0.0
            o = o_q[q, r]
            u = use[q, r]
            inv_o[r] = 1.0 / o if o > 0.0 else 0.0
            inv_u[r] = 1.0 / u if u > 0.0 else 0.0
            ok_o[r] = o > 0.0 and risk[r]
            ok_u[r] = u > 0.0 and risk[r]
        for j in range(n):
            k = k0 + j
            i = flow_src[k]
            p = sp_pos[k]
            if p >= 0:
                for r in range(runs):
                    ship[r] = sp_rate[p, r]
            else:
                for r in range(runs):
                    gk = g[k, r]
                    ship[r] = (gk * phi_u[i, r]) * use[q, r] + (gk * phi_r[i, r]) * refill[q, r]
            inv = inv_u if capped[k] else inv_o
            ok = ok_u if capped[k] else ok_o
            for r in range(runs):
                v = share[k, r] - ship[r] * inv[r]
                lost[j, r] = v * (1.0 if v > 1e-12 and ok[r] else 0.0)
            if has_rate:
                for r in range(runs):
                    lost[j, r] = lost[j, r] * rate[r]
            if has_wedge and wr:
                for r in range(runs):
                    v = lost[j, r]
                    lost[j, r] = v + (share[k, r] - v) * ((1.0 - wedge[k, r]) * ramp_step[r])
            elif has_wedge:
                wk = 1.0 - wedge[k, 0]
                for r in range(runs):
                    v = lost[j, r]
                    lost[j, r] = v + (share[k, r] - v) * (wk * ramp_step[r])
            for r in range(runs):
                v = lost[j, r]
                any_lost |= v != 0.0
                lost_q[r] += v
        # no more than the headroom serves; the gain per unit of weight
        gains = False
        for r in range(runs):
            need = lost_q[r] * o_q[q, r]
            cut = w_q[r] / need if need > w_q[r] else 1.0
            movable = w_q[r] > 0.0
            gain[r] = (lost_q[r] * cut) / w_q[r] if movable else 0.0
            # (lost cut) movable = lost (cut movable): cut is in (0, 1], movable 0 or 1
            scale[r] = cut * (1.0 if movable else 0.0)
            gains |= gain[r] != 0.0
        if in_place:
            for j in range(n):
                k = k0 + j
                if keep_old:
                    for r in range(runs):
                        old[at + j, r] = g_w[k, r]
                oe = open_eff[k] if own_g else 1.0
                for r in range(runs):
                    v = share[k, r] - lost[j, r] * scale[r]
                    if gains:
                        v = v + gain[r] * w[j, r]
                    share_w[k, r] = v
                    if own_g:
                        g_w[k, r] = v * oe
        elif gains:
            for j in range(n):
                k = k0 + j
                for r in range(runs):
                    out[at + j, r] = (share[k, r] - lost[j, r] * scale[r]) + gain[r] * w[j, r]
        else:
            for j in range(n):
                k = k0 + j
                for r in range(runs):
                    out[at + j, r] = share[k, r] - lost[j, r] * scale[r]
        at += n
    return any_move and any_lost


@njit(cache=True)
def _node_table3(a: F64, b: F64, c: F64) -> F64:
    """One-run node values *a*, *b*, *c* ([N, 1] each, any strides) side by side in one
    C-ordered [N, 3] table (as :func:`_node_table`)."""
    out = np.empty((a.shape[0], 3))
    for i in range(a.shape[0]):
        out[i, 0] = a[i, 0]
        out[i, 1] = b[i, 0]
        out[i, 2] = c[i, 0]
    return out


@njit(cache=True)
def resource_slots_one(net: SlotsAtRisk, step: StepArrays, rules: FlowRules, ally: Allies,
                       dest: Written) -> bool:
    """:func:`resource_slots` of one run (arrays ``[item, 1]``), term for term with
    scalars in place of the per-run vectors; *plain*: no flow is capped and every flow
    is fully open as a destination (*capped* and *dest_open* not read: ``x 1 = x``), and
    without special flows (*sp_rate* empty) *sp_pos* is not read; plain, without special
    flows, re-sourcing delays or tariffs, the lost shares are formed by a loop without
    those branches (the same terms)."""
    slots, slot_ptr, flow_src = net
    share, g, phi_u, phi_r, use, refill, o_q, head, short_r = step
    sp_pos, sp_rate, capped, dest_open, wedge, has_wedge, ramp_step, restricted, rate, \
        has_rate, plain = rules
    sup_member, buy_member, allied = ally
    out, in_place, share_w, g_w, own_g, open_eff, old, keep_old = dest
    special = sp_rate.shape[0] > 0
    simple = plain and not special and not has_rate and not has_wedge
    hd, sr, pu, pr = head[:, 0], short_r[:, 0], phi_u[:, 0], phi_r[:, 0]
    sh_, gg = share[:, 0], g[:, 0]
    wide = 0
    for s in slots:
        wide = max(wide, slot_ptr[s + 1] - slot_ptr[s])
    w = np.empty(wide)
    lost = np.empty(wide)
    rate0 = rate[0]
    ramp0 = ramp_step[0]
    any_move = False
    any_lost = False
    at = 0
    fast = simple and not allied
    nodes = _node_table3(head, phi_u, phi_r) if fast else np.empty((0, 3))
    for q in slots:
        k0 = slot_ptr[q]
        n = slot_ptr[q + 1] - k0
        risk = restricted[q]
        w_q = 0.0
        o = o_q[q, 0]
        u = use[q, 0]
        rf = refill[q, 0]
        inv_o = 1.0 / o if o > 0.0 else 0.0
        inv_u = 1.0 / u if u > 0.0 else 0.0
        lost_q = 0.0
        if fast:  # the terms below in one pass, then the mask (the same bits)
            for j in range(n):
                k = k0 + j
                i = flow_src[k]
                v = nodes[i, 0]
                w[j] = v
                w_q += v
                risk |= sr[i]
                gk = gg[k]
                lost[j] = sh_[k] - ((gk * nodes[i, 1]) * u + (gk * nodes[i, 2]) * rf) * inv_o
            ok_o = o > 0.0 and risk
            n_lost = 0
            for j in range(n):  # v x 1 = v; v x 0 = v * 0.0 (+-0 as the loop below)
                v = lost[j]
                lo = v if (v > 1e-12) & ok_o else v * 0.0
                lost[j] = lo
                n_lost += lo != 0.0
                lost_q += lo
            any_lost |= n_lost > 0
        else:
            for j in range(n):  # (w_q summed here unless allied sharing changes w after)
                k = k0 + j
                i = flow_src[k]
                v = hd[i] if plain else hd[i] * dest_open[k]
                if has_wedge:
                    v = v * wedge[k, 0]
                w[j] = v
                if not allied:
                    w_q += v
                risk |= sr[i]
            if allied:
                wa_q = 0.0
                for j in range(n):
                    wa_q += w[j] * (1.0 if sup_member[k0 + j] else 0.0)
                if buy_member[q] and wa_q > 0.0:
                    for j in range(n):
                        w[j] = w[j] * (1.0 if sup_member[k0 + j] else 0.0)
                for j in range(n):
                    w_q += w[j]
            ok_o = o > 0.0 and risk
            ok_u = u > 0.0 and risk
            for j in range(n if simple else 0):  # the loop below without its branches
                k = k0 + j
                i = flow_src[k]
                gk = gg[k]
                v = sh_[k] - ((gk * pu[i]) * u + (gk * pr[i]) * rf) * inv_o
                lo = v * (1.0 if v > 1e-12 and ok_o else 0.0)
                lost[j] = lo
                any_lost |= lo != 0.0
                lost_q += lo
            for j in range(0 if simple else n):
                k = k0 + j
                p = sp_pos[k] if special else -1
                if p >= 0:
                    ship = sp_rate[p, 0]
                else:
                    i = flow_src[k]
                    gk = gg[k]
                    ship = (gk * pu[i]) * u + (gk * pr[i]) * rf
                sh = sh_[k]
                if not plain and capped[k]:
                    v = sh - ship * inv_u
                    lo = v * (1.0 if v > 1e-12 and ok_u else 0.0)
                else:
                    v = sh - ship * inv_o
                    lo = v * (1.0 if v > 1e-12 and ok_o else 0.0)
                if has_rate:
                    lo = lo * rate0
                if has_wedge:
                    lo = lo + (sh - lo) * ((1.0 - wedge[k, 0]) * ramp0)
                lost[j] = lo
                any_lost |= lo != 0.0
                lost_q += lo
        any_move |= w_q > 0.0
        need = lost_q * o
        cut = w_q / need if need > w_q else 1.0
        movable = w_q > 0.0
        gain = (lost_q * cut) / w_q if movable else 0.0
        scale = cut * (1.0 if movable else 0.0)
        gains = gain != 0.0
        if in_place:  # the old g first (g_w may be share_w), then shares, then g
            if keep_old:
                for j in range(n):
                    old[at + j, 0] = g_w[k0 + j, 0]
            if gains:
                for j in range(n):
                    share_w[k0 + j, 0] = (sh_[k0 + j] - lost[j] * scale) + gain * w[j]
            else:
                for j in range(n):
                    share_w[k0 + j, 0] = sh_[k0 + j] - lost[j] * scale
            if own_g:
                for j in range(n):
                    g_w[k0 + j, 0] = share_w[k0 + j, 0] * open_eff[k0 + j]
        elif gains:
            for j in range(n):
                out[at + j, 0] = (share[k0 + j, 0] - lost[j] * scale) + gain * w[j]
        else:
            for j in range(n):
                out[at + j, 0] = share[k0 + j, 0] - lost[j] * scale
        at += n
    return any_move and any_lost
