"""Compiled kernels of the step's hot loops over ``[item, run]`` arrays (numba).

The numpy evaluation of the step rule (:mod:`econsec.simulation.step`,
:mod:`econsec.simulation.resourcing`) makes ~30 passes over ``[flow, run]`` arrays per
step; each kernel here makes one, looping over flows (slots) with the runs innermost
(C order), and computes the same numbers with the same bits:

* every element-wise expression is written with the same operations in the same order
  (IEEE 754 double, round to nearest; numba compiles without ``fastmath``, so LLVM neither
  reassociates nor contracts ``a * b + c`` into a fused multiply-add);
* every sum over flows starts from 0 and adds its terms one at a time in flow order, as
  the 0/1 sparse products of :class:`~econsec.simulation.kernels.FlowSums` do (``1 * t =
  t`` exactly);
* where the numpy path skips a factor of 1 or a term of ``+0`` (``x * 1 = x``,
  ``s + 0 = s`` for a share, which is never ``-0``), the kernel may apply it.

The tests compare each kernel with the numpy expression it replaces, bit for bit, and the
step with the plain reference step (:mod:`econsec.simulation.reference`). This module,
:mod:`econsec.simulation.fused_resourcing` (re-sourcing) and
:mod:`econsec.simulation.fused_prices` (the price stage), kernels by the same rules, are
the only ones that import numba; the step imports them on first use, so commands that do
not simulate do not load numba. Kernels are compiled on first call and cached on disk
(``cache=True``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
#: an index array of 32- or 64-bit integers
IX = npt.NDArray[np.integer]


@njit(cache=True)
def by_source(g: F64, xa: F64, xb: F64, two: bool, slot_ptr: I64, flow_src: IX,
              n_nodes: int) -> F64:
    """``P(g, x)_i = sum_{k: src(k) = i} x_q(k) g_k`` of *xa* and, if *two*, of *xb*
    ([S, R] each): [1 or 2, N, R], flows added in order (the products ``x g`` as
    :meth:`~econsec.simulation.kernels.FlowSums.by_source_many` forms them), slot by slot
    (*slot_ptr*: (S + 1,) first flow of each slot). One run: the terms of a slot whose
    ``xb`` is 0 are not added (``+0`` to a sum of terms ``>= 0`` leaves its bits)."""
    runs = g.shape[1]
    out = np.zeros((2 if two else 1, n_nodes, runs))
    if runs == 1:
        o0 = out[0, :, 0]
        o1 = out[1 if two else 0, :, 0]
        for q in range(len(slot_ptr) - 1):
            a = xa[q, 0]
            b = xb[q, 0]
            if two and b != 0.0:
                for k in range(slot_ptr[q], slot_ptr[q + 1]):
                    i = flow_src[k]
                    gk = g[k, 0]
                    o0[i] += a * gk
                    o1[i] += b * gk
            else:
                for k in range(slot_ptr[q], slot_ptr[q + 1]):
                    o0[flow_src[k]] += a * g[k, 0]
        return out
    for q in range(len(slot_ptr) - 1):
        for k in range(slot_ptr[q], slot_ptr[q + 1]):
            i = flow_src[k]
            for r in range(runs):
                out[0, i, r] += xa[q, r] * g[k, r]
            if two:
                for r in range(runs):
                    out[1, i, r] += xb[q, r] * g[k, r]
    return out


@njit(cache=True)
def by_source_demand(g: F64, xa: F64, xb: F64, two: bool, slot_ptr: I64, flow_src: IX,
                     f0: F64) -> tuple[F64, F64, F64]:
    """Stage 2 without special flows (:func:`econsec.simulation.step.demand_on_suppliers`):
    :func:`by_source` of the use orders *xa* and, if *two*, the refill orders *xb*, then
    ``D_use = P(g, u) + f0``, ``D_refill = P(g, r)`` (zeros if not *two*) and
    ``D = D_use + D_refill`` ([N, R] each)."""
    n_nodes, runs = f0.shape
    both = by_source(g, xa, xb, two, slot_ptr, flow_src, n_nodes)
    d_use = np.empty((n_nodes, runs))
    d_ref = np.zeros((n_nodes, runs))
    total = np.empty((n_nodes, runs))
    for i in range(n_nodes):
        for r in range(runs):
            u = both[0, i, r] + f0[i, r]
            d_use[i, r] = u
            if two:
                d_ref[i, r] = both[1, i, r]
            total[i, r] = u + d_ref[i, r]
    return d_use, d_ref, total


@njit(cache=True)
def _pair_sums(y: F64, g: F64, flow_src: IX, k0: int, k1: int, k2: int) -> tuple[float, float]:
    """``sum_k y_src(k),0 g_k`` over flows ``k0:k1`` and over ``k1:k2`` (one run; *y* the
    node table of :func:`_node_table`), each added in flow order; the two sums side by
    side (two independent chains of additions, the same bits as one after the other)."""
    a = 0.0
    b = 0.0
    m = min(k1 - k0, k2 - k1)
    for t in range(m):
        a += y[flow_src[k0 + t], 0] * g[k0 + t, 0]
        b += y[flow_src[k1 + t], 0] * g[k1 + t, 0]
    for k in range(k0 + m, k1):
        a += y[flow_src[k], 0] * g[k, 0]
    for k in range(k1 + m, k2):
        b += y[flow_src[k], 0] * g[k, 0]
    return a, b


@njit(cache=True)
def _node_table(ya: F64, yb: F64) -> F64:
    """The one-run node values *ya* and *yb* ([N, 1] each, any strides) side by side in one
    C-ordered [N, 2] table: the sums over flows then gather both from one cache line at a
    fixed stride (measured on the 9.8M flows of OECD ICIO 2022: the one-run slot sums take
    about a quarter less time than reading the two columns where they lie)."""
    out = np.empty((ya.shape[0], 2))
    for i in range(ya.shape[0]):
        out[i, 0] = ya[i, 0]
        out[i, 1] = yb[i, 0]
    return out


@njit(cache=True)
def by_slot(g: F64, ya: F64, yb: F64, two: bool, slot_ptr: I64, flow_src: IX,
            b_slots: F64) -> F64:
    """``Q(g, y)_q = sum_{k in q} y_src(k) g_k`` of *ya* and, if *two*, of *yb* ([N, R]
    each): [1 or 2, S, R], each slot's flows added in order (*slot_ptr*: (S + 1,) first
    flow of each slot; the products ``y g`` as
    :meth:`~econsec.simulation.kernels.FlowSums.by_slot_many` forms them). One run: the
    last sum (of *yb* if *two*, else of *ya*) only in the slots where *b_slots* ([S, 1],
    the refill orders) is not 0, else 0 (an empty *b_slots*: in every slot), as the
    one-run sparse products restricted to the slots with refill orders."""
    runs = g.shape[1]
    n_slots = len(slot_ptr) - 1
    out = np.zeros((2 if two else 1, n_slots, runs))
    if runs == 1:  # (two sums per slot, or one: two slots' sums side by side)
        every = len(b_slots) == 0
        y = _node_table(ya, yb)
        q = 0
        while q < n_slots:
            need_b = every or b_slots[q, 0] != 0.0
            if two and need_b:
                a = 0.0
                b = 0.0
                for k in range(slot_ptr[q], slot_ptr[q + 1]):
                    i = flow_src[k]
                    gk = g[k, 0]
                    a += y[i, 0] * gk
                    b += y[i, 1] * gk
                out[0, q, 0] = a
                out[1, q, 0] = b
            elif two or need_b:  # the sum of ya only
                nxt = q + 1 < n_slots and two != (every or b_slots[q + 1, 0] != 0.0)
                if nxt:  # slot q + 1 too: ya only
                    out[0, q, 0], out[0, q + 1, 0] = _pair_sums(
                        y, g, flow_src, slot_ptr[q], slot_ptr[q + 1], slot_ptr[q + 2])
                    q += 1
                else:
                    a = 0.0
                    for k in range(slot_ptr[q], slot_ptr[q + 1]):
                        a += y[flow_src[k], 0] * g[k, 0]
                    out[0, q, 0] = a
            q += 1
        return out
    for q in range(n_slots):
        for k in range(slot_ptr[q], slot_ptr[q + 1]):
            i = flow_src[k]
            for r in range(runs):
                out[0, q, r] += ya[i, r] * g[k, r]
            if two:
                for r in range(runs):
                    out[1, q, r] += yb[i, r] * g[k, r]
    return out


@njit(cache=True, error_model="numpy")
def orders(cap: F64, demand: F64, target: F64, inventory: F64, inv_refill: F64,
           slot_node: I64, coef: F64) -> tuple[F64, F64, F64, bool]:
    """Stage 1 per slot ``q`` of node ``j`` (:func:`econsec.simulation.step.place_orders`):
    use orders ``u_q = min(cap_j, D_j) c_q``, refill orders
    ``r_q = max(T_q - I_q, 0) (1 / refill_days)`` (*inv_refill*: (R,) ``1 / refill_days``)
    and ``o_q = u_q + r_q`` ([S, R] each), and whether some slot places refill orders."""
    n_slots, runs = inventory.shape
    use = np.empty((n_slots, runs))
    refill = np.empty((n_slots, runs))
    o_q = np.empty((n_slots, runs))
    has_refill = False
    for q in range(n_slots):
        j = slot_node[q]
        for r in range(runs):
            c = cap[j, r]
            d = demand[j, r]
            u = (c if c <= d else d) * coef[q, r]
            gap = target[q, r] - inventory[q, r]
            rf = (gap if gap >= 0.0 else 0.0) * inv_refill[r]
            if rf != 0.0:
                has_refill = True
            use[q, r] = u
            refill[q, r] = rf
            o_q[q, r] = u + rf
    return use, refill, o_q, has_refill


@njit(cache=True, error_model="numpy")
def produce_ration(d_use: F64, d_ref: F64, demand: F64, cap: F64, inventory: F64, coef: F64,
                   sigma: F64, node_ptr: I64, essential: B, mixed: B, dt: float
                   ) -> tuple[F64, F64, F64, F64]:
    """Stages 3 and 4 (rationing) per node ``j`` with slots ``node_ptr[j]:node_ptr[j + 1]``
    (:func:`econsec.simulation.step.produce`, :func:`~econsec.simulation.step.ration`):
    ``w = min(cap, D)``, ``alpha_q = fmin(I_q / (w_j c_q dt), 1)`` (``x dt`` only if
    ``dt != 1``; a 0/0 or x/0 ratio gives 1), ``rho_j = min`` over essential slots of
    ``(1 - alpha) sigma + alpha`` (1 without; at most 1 for a node with a non-essential
    slot, *mixed*), ``y = w rho``, ``phi_use = fmin(y / D_use, 1)``,
    ``phi_refill = fmin(max(y - D_use, 0) / D_refill, 1)``. Returns ``y``, ``rho``,
    ``phi_use``, ``phi_refill`` ([N, R])."""
    n, runs = demand.shape
    y = np.empty((n, runs))
    rho = np.empty((n, runs))
    phi_u = np.empty((n, runs))
    phi_r = np.empty((n, runs))
    low = np.empty(runs)
    wanted = np.empty(runs)
    eff = np.empty(runs)
    for j in range(n):
        for r in range(runs):
            c = cap[j, r]
            d = demand[j, r]
            wanted[r] = c if c <= d else d
            low[r] = 1.0
        first = True
        for q in range(node_ptr[j], node_ptr[j + 1]):
            if not essential[q]:
                continue
            for r in range(runs):  # the slot's (1 - alpha) sigma + alpha
                need = wanted[r] * coef[q, r]
                if dt != 1.0:
                    need = need * dt
                a = inventory[q, r] / need
                alpha = a if a < 1.0 else 1.0  # fmin: NaN gives 1
                eff[r] = (1.0 - alpha) * sigma[q, r] + alpha
            if first:
                for r in range(runs):
                    low[r] = eff[r]
                first = False
            else:
                for r in range(runs):
                    low[r] = eff[r] if eff[r] < low[r] else low[r]
        if not first and mixed[j]:
            for r in range(runs):
                low[r] = 1.0 if low[r] > 1.0 else low[r]  # np.minimum: NaN stays
        for r in range(runs):
            out = wanted[r] * low[r]
            rho[j, r] = low[r]
            y[j, r] = out
            du = d_use[j, r]
            pu = out / du
            phi_u[j, r] = pu if pu < 1.0 else 1.0
            rest = out - du
            pr = (rest if rest >= 0.0 else 0.0) / d_ref[j, r]
            phi_r[j, r] = pr if pr < 1.0 else 1.0
    return y, rho, phi_u, phi_r


@njit(cache=True, error_model="numpy")
def receipts(use: F64, s_use: F64, refill: F64, s_ref: F64, has_ref: bool, dt: float
             ) -> F64:
    """Stage 4 receipts over the freely open flows (:func:`econsec.simulation.step.deliver`):
    ``(u_q Q(phi_use)_q + r_q Q(phi_refill)_q) dt`` ([S, R]; the refill term only if
    *has_ref*, ``x dt`` only if ``dt != 1``)."""
    n_slots, runs = use.shape
    out = np.empty((n_slots, runs))
    for q in range(n_slots):
        for r in range(runs):
            v = use[q, r] * s_use[q, r]
            if has_ref:
                v = v + refill[q, r] * s_ref[q, r]
            if dt != 1.0:
                v = v * dt
            out[q, r] = v
    return out


@njit(cache=True, error_model="numpy")
def flow_amounts(g: F64, phi_u: F64, phi_r: F64, use: F64, refill: F64, src: IX, slot: IX,
                 scale: float) -> F64:
    """Shipments of flows (:meth:`econsec.simulation.shipments.Shipments.rates`, term for
    term): ``((g_k phi_use,i) u_q + (g_k phi_ref,i) r_q) scale`` for the flows of the
    rows of *g* ([K, R], the flows' order weights), from suppliers *src* and slots *slot*
    ((K,)); ``x scale`` only if ``scale != 1`` ([K, R])."""
    n, runs = g.shape
    out = np.empty((n, runs))
    for j in range(n):
        i = src[j]
        q = slot[j]
        for r in range(runs):
            gk = g[j, r]
            v = (gk * phi_u[i, r]) * use[q, r] + (gk * phi_r[i, r]) * refill[q, r]
            if scale != 1.0:
                v = v * scale
            out[j, r] = v
    return out


@njit(cache=True, error_model="numpy")
def draw_inventories(inventory: F64, y: F64, coef: F64, received: F64, slot_node: I64,
                     dt: float) -> tuple[F64, F64, F64]:
    """Stage 5 (:func:`econsec.simulation.step.draw_inventories`): need
    ``c_q y_j dt`` (``x dt`` only if ``dt != 1``), ``used = min(I, need)``, the new
    inventory ``I + received - used``. Returns (new inventory, used, need), [S, R]."""
    n_slots, runs = inventory.shape
    new = np.empty((n_slots, runs))
    used = np.empty((n_slots, runs))
    need = np.empty((n_slots, runs))
    for q in range(n_slots):
        j = slot_node[q]
        for r in range(runs):
            nd = y[j, r] * coef[q, r]
            if dt != 1.0:
                nd = nd * dt
            inv = inventory[q, r]
            u = inv if inv <= nd else nd
            need[q, r] = nd
            used[q, r] = u
            new[q, r] = inv + received[q, r] - u
    return new, used, need


@njit(cache=True, error_model="numpy")
def ramp_capacity(ramp: F64, demand: F64, cap: F64, cap_tol: float, ramp_step: F64
                  ) -> tuple[F64, bool]:
    """Stage 8 (:func:`econsec.simulation.step.ramp_capacity`): where
    ``D > cap (1 + cap_tol)``, ``ramp + ramp_step`` capped at 1 (*ramp_step*: (R,)
    ``dt / ramp_days``; elsewhere ``ramp + 0``, the same). Returns the new ramp and
    whether demand exceeded capacity anywhere (if not, the ramp is unchanged)."""
    n, runs = ramp.shape
    out = np.empty((n, runs))
    factor = 1.0 + cap_tol
    pressed = False
    for i in range(n):
        for r in range(runs):
            hot = demand[i, r] > cap[i, r] * factor
            v = ramp[i, r] + (1.0 if hot else 0.0) * ramp_step[r]
            out[i, r] = v if v <= 1.0 else 1.0
            if hot:
                pressed = True
    return out, pressed


@njit(cache=True, error_model="numpy")
def accumulate(inv_min: F64, inventory: F64, loss: F64, min_avail: F64, last_below: F64,
               x0: F64, output: F64, availability: F64, band: F64, dt: float, day: float
               ) -> None:
    """A step's accumulators of :class:`~econsec.simulation.recorder.Recorder`, in place
    (its ``record`` term for term): ``inv_min = fmin(inv_min, I)`` ([S, R]);
    ``loss += (x0 - y) dt`` (``x dt`` only if ``dt != 1``), ``min_avail = min(min_avail,
    rho)`` (NaN propagates, as ``np.minimum``), ``last_below = day`` where ``y < band``
    ([N, R]; *x0*, *band*: (N,))."""
    n_slots, runs = inventory.shape
    for q in range(n_slots):
        for r in range(runs):
            a = inv_min[q, r]
            b = inventory[q, r]
            if (not b >= a and not np.isnan(b)) or np.isnan(a):  # fmin: NaN only if both
                inv_min[q, r] = b
    for i in range(x0.shape[0]):
        for r in range(runs):
            y = output[i, r]
            lost = x0[i] - y
            if dt != 1.0:
                lost = lost * dt
            loss[i, r] += lost
            a = min_avail[i, r]
            b = availability[i, r]
            if b < a or np.isnan(b):
                min_avail[i, r] = b
            if y < band[i]:
                last_below[i, r] = day


@njit(cache=True)
def group_slots(slot_ptr: I64, flow_src: IX, src_ptr: I64, kind: np.integer
                ) -> npt.NDArray[np.integer]:
    """The slot of every flow, flows grouped by supplier (*src_ptr*: first position of
    each supplier's flows), in flow order within a supplier (a counting sort: the slots
    of ``argsort(flow_src, stable)``); of the integer type of *kind*."""
    out = np.empty(len(flow_src), dtype=type(kind))
    pos = src_ptr.copy()
    for q in range(len(slot_ptr) - 1):
        for k in range(slot_ptr[q], slot_ptr[q + 1]):
            i = flow_src[k]
            out[pos[i]] = q
            pos[i] += 1
    return out


@njit(cache=True)
def mark_slots(hit: B, nodes: B, src_ptr: I64, src_count: I64, src_slot: npt.NDArray[np.integer]
               ) -> None:
    """``hit[src_slot[k]] = True`` for the flows ``k`` (grouped by supplier: *src_ptr*,
    *src_count*) of every supplier flagged in *nodes*
    (:meth:`econsec.simulation.topology.Topology.mark_supplied`)."""
    for i in range(len(nodes)):
        if nodes[i]:
            for k in range(src_ptr[i], src_ptr[i] + src_count[i]):
                hit[src_slot[k]] = True


@njit(cache=True)
def write_rows(share: F64, g: F64, open_eff: F64, own_g: bool, rows: I64, new: F64,
               old: F64, keep_old: bool) -> None:
    """Shares of the flows *rows* set in place
    (:meth:`econsec.simulation.topology.Topology.set_share_rows`): ``old = g[rows]`` (if
    *keep_old*), ``share[rows] = new`` and, when the order weights are an array of their
    own (*own_g*), ``g[rows] = new open_eff[rows]``."""
    runs = new.shape[1]
    for j in range(len(rows)):
        k = rows[j]
        if keep_old:
            for r in range(runs):
                old[j, r] = g[k, r]
        for r in range(runs):
            share[k, r] = new[j, r]
        if own_g:
            oe = open_eff[k]
            for r in range(runs):
                g[k, r] = new[j, r] * oe


@njit(cache=True)
def pass_transit(ring: F64, at: int, ahead: I64, flows: I64, arrived: F64
                 ) -> tuple[F64, F64]:
    """One step of the transit ring buffer, in place (the rule of
    :func:`econsec.simulation.transit.pass_transit`): *ring* is the C-ordered buffer
    ``[L, T, R]`` flattened; the shipments of transit flow ``t``, ``arrived[flows[t], r]``
    on entry, go to cell ``ahead[t, r] + at T R`` (wrapped once), then row *at* leaves: its
    cells become the flows' arrivals in *arrived* ([F, R], changed in place) and are
    zeroed. Returns the amounts into and out of transit ([R]), each summed flow by flow
    from ``t = 0`` (the bits of ``transit.sum_rows``)."""
    t_n, r_n = ahead.shape
    size = ring.size
    base = at * t_n * r_n
    into = np.empty(r_n)
    out = np.empty(r_n)
    for t in range(t_n):
        f = flows[t]
        for r in range(r_n):
            v = arrived[f, r]
            cell = ahead[t, r] + base
            if cell >= size:
                cell -= size
            ring[cell] += v
            if t == 0:
                into[r] = v
            else:
                into[r] += v
    for t in range(t_n):
        f = flows[t]
        for r in range(r_n):
            i = base + t * r_n + r
            v = ring[i]
            ring[i] = 0.0
            arrived[f, r] = v
            if t == 0:
                out[r] = v
            else:
                out[r] += v
    return into, out
