"""Shipments in transit: goods shipped in one step arrive some steps later.

A flow ``k`` from supplier economy ``e_s`` to buyer economy ``e_b`` of good ``h`` takes
``L_k = round(transit_scale x days_h(e_s, e_b) / dt)`` steps (``days`` from the sourced
table :mod:`econsec.data.transit_days`: 0 within one economy, a regional or an
interregional figure otherwise; ``transit_scale`` is a run parameter, 0 by default, when
nothing is in transit and the step is unchanged bit for bit). What the flow ships in step
``t`` (after the licence pipeline, if it is in it: an approved shipment is delayed, then
shipped) arrives at the buyer in step ``t + L_k``:

``arrived_k(t) = shipped_k(t - L_k)``,   ``received_q = sum_{k in q} arrived_k``.

The goods on the way are a ring buffer ``[L, T, R]`` over the flows with a positive lag in
some run (``L = max L_k + 1``), the stock the conservation ledger counts
(``shipped = received + change in transit``). At the start the buffer holds the steady
state's shipments already under way, ``share_k c_q x_ref,j dt`` in each of the ``L_k``
steps ahead, so the baseline stays a steady state and a ban cuts the buyer's receipts only
``L_k`` steps after it starts (what was shipped before still lands); after a lift receipts
come back ``L_k`` steps after shipments do. The lag is a pure delay (no loss, no capacity
limit on the way): congestion, as in 2021, is outside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from econsec.simulation.network_arrays import Baseline

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Transit:
    """The flows that take time to arrive and their lags in steps."""

    flows: I64  # (T,) sorted flow indices with a positive lag in some run
    lag: I64  # [T, R] steps in transit, round(scale days / dt)
    length: int  # ring buffer length, max lag + 1
    #: [T, R] flat offset of each flow and run's arrival cell in the ring buffer
    #: ([L, T, R], C order) from the current step's row: ``lag (T R) + k R + r``
    ahead: I64 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t, r = self.lag.shape
        cell = np.arange(t * r, dtype=np.int64).reshape(t, r)
        object.__setattr__(self, "ahead", self.lag * (t * r) + cell)

    @classmethod
    def of(cls, base: Baseline, scale: F64, dt: float) -> Transit | None:
        """The transit of *base* for per-run scales *scale* ((R,)); None when no flow of
        any run takes a step or more (the step then skips the stage)."""
        if not (scale > 0).any():
            return None
        days = flow_days(base)
        lag = np.rint(scale[None, :] * days[:, None] / dt).astype(np.int64)
        keep = (lag > 0).any(axis=1)
        if not keep.any():
            return None
        lag = lag[keep]
        return cls(flows=np.flatnonzero(keep).astype(np.int64), lag=lag,
                   length=int(lag.max()) + 1)

    def initial(self, rate: F64, dt: float) -> F64:
        """[L, T, R] shipments under way at the start: the steady-state amount
        ``rate_k dt`` (*rate*: (F,) baseline shipment rates) in each of the ``L_k`` steps
        ahead."""
        ahead = np.arange(self.length)[:, None, None] < self.lag[None, :, :]
        amount = (rate[self.flows] * dt)[None, :, None]
        return np.where(ahead, amount, 0.0)


def flow_days(base: Baseline) -> F64:
    """(F,) door-to-door days of every flow of *base* from the built-in table (goods without
    a row take the ``default`` row)."""
    from econsec.data.transit_days import DEFAULT, transit_days

    table = transit_days()
    eco, goods = base.economies, base.goods
    sup, buy, good = base.flow_supplier, base.flow_buyer, base.flow_good
    return np.array([table.get(goods[h], table[DEFAULT]).days(eco[s], eco[b])
                     for s, b, h in zip(sup, buy, good, strict=True)], dtype=np.float64)


def steady_rates(base: Baseline, share: F64, x_ref: F64) -> F64:
    """(F,) shipment rates of the steady state: ``share_k c_q x_ref,j(q)``."""
    fs = base.flow_slot
    return np.asarray(share * base.slot_coef[fs] * x_ref[base.slot_node[fs]],
                      dtype=np.float64)


def sum_rows(x: F64) -> F64:
    """``sum_k x[k, r]`` ([T, R] -> [R]) added row after row, ``k = 0 .. T-1``: the same
    bits whatever the number of runs ``R`` (a run alone and among many gives one answer).
    ``np.add.reduce`` over axis 0 of a C-ordered array with ``R >= 2`` adds whole rows in
    order (numpy's pairwise summation applies only along a contiguous reduced axis, the
    case of ``R = 1`` and of other layouts, which take ``np.cumsum``: sequential, but it
    writes every partial sum)."""
    if x.ndim == 2 and x.shape[1] > 1 and x.flags.c_contiguous:
        return np.asarray(np.add.reduce(x, axis=0), dtype=np.float64)
    return np.asarray(np.cumsum(x, axis=0)[-1], dtype=np.float64)


def pass_transit(line: F64, step: int, tr: Transit, sent: F64) -> tuple[F64, F64, F64]:
    """One step of the ring buffer *line* ([L, T, R], changed in place): *sent* ([T, R],
    the transit flows' shipments this step) enters ``lag`` steps ahead, what is due now
    leaves. Returns the arrivals now ([T, R]) and the amounts into and out of transit
    ([R], summed flow by flow: the same bits for any number of runs)."""
    length = line.shape[0]
    at = step % length
    if line.flags.c_contiguous:  # one flat index (the same cells as the three below)
        size = line.size
        cell = tr.ahead + at * sent.size  # lag < length: wraps at most once
        cell[cell >= size] -= size
        ring = line.reshape(-1)  # a view of the C-ordered buffer
        ring[cell] += sent  # every (flow, run) once: no repeated index
    else:
        slot = (step + tr.lag) % length
        kk = np.arange(sent.shape[0])[:, None]
        rr = np.arange(sent.shape[1])[None, :]
        line[slot, kk, rr] += sent
    now = line[at].copy()
    line[at] = 0.0
    into, out = sum_rows(sent), sum_rows(now)
    return now, into, out
