"""Per-flow shipments of one step, formed on access.

The step itself needs only sums over flows (:mod:`econsec.simulation.step`); the shipment
of each flow is formed when re-sourcing or a recorder asks for it, from what the step saw
(order weights, rationing shares, orders), even after later steps updated the weights in
place (:attr:`Shipments.patches`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from econsec.simulation import kernels
from econsec.simulation.kernels import SlotFlows, as_rows, take_rows

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class Shipments:
    """Shipment rates ``s_k = (g_k phi_use,src) u_q + (g_k phi_ref,src) r_q`` of any flows
    (``g = share x open``, ``u``/``r`` the slot's use and refill orders); special flows
    (quota, licence pipeline) take their own rates *sp_rate* and arrivals *sp_arrive*.
    *kept*: the per-flow ``g phi_use``, ``g phi_ref``, ``u``, ``r`` ([F, R], the first two
    None where ``phi = 1``: ``g``) when the weighted sums kept them; *flow_src*,
    *flow_slot*: the supplier and slot of every flow."""

    def __init__(self, flow_src: I64, flow_slot: I64, g: F64, phi_u: F64, phi_r: F64,
                 use: F64, refill: F64, special: I64, sp_rate: F64, sp_arrive: F64, dt: float,
                 kept: tuple[F64 | None, F64 | None, F64, F64] | None) -> None:
        self.flow_src, self.flow_slot = flow_src, flow_slot
        self.g, self.phi_u, self.phi_r = g, phi_u, phi_r
        self.use, self.refill, self.special = use, refill, special
        self.sp_rate, self.sp_arrive, self.dt = sp_rate, sp_arrive, dt
        self.kept = kept
        #: (rows, their g before) for each later update of g in place, in order
        self.patches: list[tuple[I64 | SlotFlows, F64]] = []
        #: [N, R] final demand f0 (for the deliveries f0 phi_use)
        self.f0 = np.zeros((0, 0))
        #: [F, R] arrivals of every flow after transit (None: no transit, the arrivals are
        #: formed from the step's rates; :mod:`econsec.simulation.transit`)
        self.arrived: F64 | None = None

    def g_at(self, rows: I64 | None) -> F64:
        """Rows *rows* (None: all) of ``g`` as the step saw it (later updates undone)."""
        g = self.g if rows is None else take_rows(self.g, rows)
        if self.patches and rows is None:
            g = g.copy()
        for rows_at, old in reversed(self.patches):  # the earliest update restores last
            if not len(rows_at):
                continue
            at = as_rows(rows_at)
            if rows is None:
                g[at] = old
            else:
                pos = np.minimum(np.searchsorted(at, rows), len(at) - 1)
                hit = at[pos] == rows
                g[hit] = old[pos[hit]]
        return g

    def rates(self, rows: I64 | None, src: I64 | None = None, slot: I64 | None = None
              ) -> F64:
        """[len(rows), R] shipment rates of the (sorted) flows *rows* (None: all flows);
        *src*, *slot*: their suppliers and slots if known."""
        return self._of(rows, self.sp_rate, 1.0, src, slot)

    def departed(self, rows: I64 | None) -> F64:
        """[len(rows), R] amounts that left the suppliers during the step (after the licence
        pipeline, before transit): what export statistics count; the arrivals when nothing
        is in transit."""
        return self._of(rows, self.sp_arrive, self.dt)

    def amounts(self, rows: I64 | None, *, arrived: bool) -> F64:
        """[len(rows), R] amounts shipped (or arrived) during the step."""
        if arrived and self.arrived is not None:  # after transit: kept by the step
            return self.arrived.copy() if rows is None else take_rows(self.arrived, rows)
        return self._of(rows, self.sp_arrive if arrived else self.sp_rate * self.dt, self.dt)

    def _of(self, rows: I64 | None, special: F64, scale: float, src: I64 | None = None,
            slot: I64 | None = None) -> F64:

        def pick(v: F64) -> F64:
            return v if rows is None else take_rows(v, rows)

        g = self.g_at(rows)
        if self.kept is not None and rows is None:  # gathers of a few flows: from N, S
            gu, gr, uf, rf = self.kept
            out = (g if gu is None else pick(gu)) * pick(uf)
            ref = (g if gr is None else pick(gr)) * pick(rf)
        else:
            if src is None:
                src = self.flow_src if rows is None else np.take(self.flow_src, rows)
            if slot is None:
                slot = self.flow_slot if rows is None else np.take(self.flow_slot, rows)
            if kernels.use_compiled(g.shape[1]):  # one compiled pass (the same bits)
                from econsec.simulation.fused import flow_amounts

                out = flow_amounts(np.ascontiguousarray(g), self.phi_u, self.phi_r,
                                   self.use, self.refill, src, slot, scale)
                return self._special(out, rows, special)
            out = g * take_rows(self.phi_u, src)
            out *= take_rows(self.use, slot)
            ref = g * take_rows(self.phi_r, src)
            ref *= take_rows(self.refill, slot)
        out += ref
        if scale != 1.0:
            out *= scale
        return self._special(out, rows, special)

    def _special(self, out: F64, rows: I64 | None, special: F64) -> F64:
        """*out* ([len(rows), R]) with the special flows' rows set to *special*."""
        if len(self.special):
            if rows is None:
                out[self.special] = special
            else:
                pos = np.searchsorted(rows, self.special)
                ok = pos < len(rows)
                ok[ok] = rows[pos[ok]] == self.special[ok]
                out[pos[ok]] = special[ok]
        return out
