"""What a run records, declared once and recorded in one loop (Mesa ``DataCollector``).

Two kinds of record:

* **series** (:data:`SERIES`): per recorded step and tracked node, one value per run, kept
  as float32 ``[step, run, node]`` and reduced to p5/p50/p95 over runs at the end;
  ``availability`` is the node's input availability ``rho`` (1 = every essential input
  fully available), ``output`` its output (USD bn/day), ``inventory_days`` the days of
  cover of its scarcest essential input (``min_q I_q / (c_q x_ref)``, including the one
  step of working stock);
* **accumulators** (exact, every step, all nodes): output lost in value
  ``sum (x0 - y) dt`` (USD bn), minimum availability, last day below 99% of baseline output,
  minimum inventory days (kept as each slot's minimum inventory, ``min_t I_q``, and
  formed at the end: ``min_t min_q I_q d_q = min_q (min_t I_q) d_q``, rounding being
  monotone, so the same bits as the minimum of each step's inventory days);
* **trade** (optional, for the given flows, e.g. those of the slots with a shocked flow):
  the mean arrival rate at the buyer (USD bn/day) over each recorded interval,
  ``sum arrived / days since the previous record``, kept as float32 ``[step, run, flow]``
  (row 0, before any step, holds NaN). Arrivals are what customs statistics see: a licensed
  shipment counts when it arrives after its licence delay. With shipments in transit
  (:mod:`econsec.simulation.transit`) the departures are kept too (``departed``, the same
  layout): export statistics count a shipment when it leaves, import statistics when it
  lands.

* **prices**: the price index of every good in both markets
  (:mod:`econsec.simulation.prices`) at each recorded step, float32 ``[step, run, 2 good]``
  (the international indices, then the home ones; row 0: 1.0, before any step).

Series, trade and prices are kept every ``every`` steps so that at most :data:`MAX_CELLS` values
are held.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from econsec.simulation import kernels
from econsec.simulation.kernels import NodeMin
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.state import State
from econsec.simulation.topology import Topology

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: recorded series and how each is read off the state ([N, R] arrays)
SERIES: dict[str, Callable[[State, Topology, F64], F64] | None] = {
    "availability": lambda st, topo, d: st.availability,
    "output": lambda st, topo, d: st.output,
    "inventory_days": None,  # computed once per step for the accumulators too
}
#: largest number of float32 series values kept (all series, steps, runs, nodes)
MAX_CELLS = 64_000_000
#: output below this share of baseline counts as not recovered
RECOVERY_BAND = 0.99


def _inventory_days(inventory: F64, low: NodeMin, inv_d_rows: F64) -> F64:
    """Days of cover of the node's scarcest essential input (all inputs if none is
    essential): ``min_q I_q / (c_q x_ref_j)`` of the inventories *inventory* ([S, R]); NaN
    for nodes without such inputs (or an infinite cover). *low*: the minimum over the slots
    that count; *inv_d_rows*: ``1 / (c_q x_ref_j)`` at its rows, [rows, R]."""
    cover = np.take(inventory, low.rows, axis=0)
    cover *= inv_d_rows
    days = low.reduce_gathered(cover)
    days[np.isinf(days)] = np.nan
    out = np.full((low.n, days.shape[1]), np.nan)
    out[low.nodes] = days
    return out


def record_every(runs: int, n_steps: int, n_tracked: int, n_flows: int) -> int:
    """Record every this many steps so that at most :data:`MAX_CELLS` series and trade
    values of *runs* runs are kept: ``ceil(runs (3 max(n_tracked, 1) + n_flows)
    (n_steps + 1) / MAX_CELLS)``, at least 1 (*n_flows* counts arrivals and, with
    shipments in transit, departures)."""
    per_step = runs * (max(n_tracked, 1) * len(SERIES) + n_flows)
    return max(1, int(np.ceil(per_step * (n_steps + 1) / MAX_CELLS)))


def recorded_steps(n_steps: int, every: int) -> list[int]:
    """The steps recorded: 0, every, 2 every, ... and always the last step."""
    steps = list(range(0, n_steps + 1, every))
    if steps[-1] != n_steps:
        steps.append(n_steps)
    return steps


class Recorder:
    """Holds the series and accumulators of *runs* runs for the *tracked* nodes."""

    def __init__(self, base: Baseline, runs: int, n_steps: int, tracked: I64,
                 d_ref: F64, every: int | None = None, flows: I64 | None = None,
                 departures: bool = False) -> None:
        self.base = base
        self.tracked = tracked
        self.flows = np.zeros(0, dtype=np.int64) if flows is None else flows
        self.d_ref = d_ref
        # slots whose cover counts: essential ones, or all of a node without essential slots
        has_ess = np.bincount(base.slot_node, weights=base.slot_essential,
                              minlength=base.n_nodes) > 0
        counts = base.slot_essential | ~has_ess[base.slot_node]
        self._low = NodeMin(base.slot_node, base.n_nodes, counts & (d_ref > 0))
        self._inv_d = np.where(d_ref > 0, 1.0 / np.where(d_ref > 0, d_ref, 1.0), 0.0)
        self.every = every or record_every(runs, n_steps, len(tracked),
                                           len(self.flows) * (2 if departures else 1))
        self.rec_steps = recorded_steps(n_steps, self.every)
        self._row = {s: i for i, s in enumerate(self.rec_steps)}
        self.days: list[float] = []
        self.series = {m: np.zeros((len(self.rec_steps), runs, len(tracked)), np.float32)
                       for m in SERIES}
        self.trade = np.full((len(self.rec_steps), runs, len(self.flows)), np.nan, np.float32)
        #: departure rates of the flows (None: no transit, the departures are the arrivals)
        self.departed = self.trade.copy() if departures else None
        # prices: G values per run and step, few beside the series: not in the budget above
        # (so the recorded steps are those of a run without prices)
        # [T, R, 2G]: the international then the home index (prices.MARKETS)
        self.prices = np.ones((len(self.rec_steps), runs, 2 * len(base.goods)), np.float32)
        n = base.n_nodes
        self.loss = np.zeros((runs, n))
        self.min_avail = np.ones((runs, n))
        self.last_below = np.full((runs, n), -np.inf)
        self.inv0 = np.zeros((runs, n))
        self.min_inv = np.full((runs, n), np.nan)
        self.begin(slice(0, runs))

    def absorb(self, part: Recorder, rows: slice) -> None:
        """Copy a chunk's finished recorder (same steps and nodes) into runs *rows*."""
        for name in SERIES:
            self.series[name][:, rows] = part.series[name]
        self.trade[:, rows] = part.trade
        if self.departed is not None:  # a chunk without transit: departures = arrivals
            self.departed[:, rows] = part.trade if part.departed is None else part.departed
        self.prices[:, rows] = part.prices
        self.loss[rows] = part.loss
        self.min_avail[rows] = part.min_avail
        self.last_below[rows] = part.last_below
        self.inv0[rows] = part.inv0
        self.min_inv[rows] = part.min_inv
        if not self.days:
            self.days = list(part.days)

    def begin(self, rows: slice) -> None:
        """Start a chunk of runs: accumulators kept item-major [N, r] while it runs."""
        self._rows = rows
        r = rows.stop - rows.start
        n = self.base.n_nodes
        self._loss = np.zeros((n, r))
        self._min_avail = np.ones((n, r))
        self._last_below = np.full((n, r), -np.inf)
        self._min_inv = np.full((n, r), np.nan)
        self._inv_min: F64 | None = None  # [S, r] each slot's minimum inventory so far
        self._full: tuple[F64, F64] | None = None  # made on the first record
        self._inv_d_full: F64 | None = None
        self._arrived = np.zeros((len(self.flows), r))
        self._departed = np.zeros((len(self.flows), r))
        self._since = 0.0

    def end(self) -> None:
        """Store the chunk's accumulators in the [run, node] arrays."""
        rows = self._rows
        self.loss[rows] = self._loss.T
        self.min_avail[rows] = self._min_avail.T
        self.last_below[rows] = self._last_below.T
        if self._inv_min is not None:  # fmin: inventory days of NaN (no such input) skipped
            low = np.asarray(_inventory_days(self._inv_min, self._low, self._inv_d_rows()))
            np.fmin(self._min_inv, low, out=self._min_inv)
        self.min_inv[rows] = self._min_inv.T

    def _inv_d_rows(self) -> F64:
        """``1 / (c_q x_ref_j)`` at the rows of the inventory-days minimum, [rows, r]."""
        if self._inv_d_full is None:
            r = self._rows.stop - self._rows.start
            self._inv_d_full = np.repeat(self._inv_d[self._low.rows][:, None], r, axis=1)
        return self._inv_d_full

    def record(self, st: State, topo: Topology, dt: float, arrived: F64 | None = None,
               departed: F64 | None = None) -> None:
        """Called once before the first step (step 0) and after every step, with the
        step's arrivals of the recorded flows (*arrived*, [K, R] USD bn) when trade is
        recorded, and their departures (*departed*) when those are kept."""
        if arrived is not None and len(self.flows):
            self._arrived += arrived
            self._since += dt
            if departed is not None:
                self._departed += departed
        if self._full is None:  # x0, its recovery band: full [item, run]
            r = self._rows.stop - self._rows.start
            x0 = np.repeat(self.base.x0[:, None], r, axis=1)
            self._full = (x0, RECOVERY_BAND * x0)
        x0, band = self._full
        runs = x0.shape[1]
        compiled = (kernels.use_compiled(runs) and st.step > 0
                    and self._inv_min is not None)
        if compiled:  # the accumulators in one compiled pass (the same bits)
            from econsec.simulation.fused import accumulate

            assert self._inv_min is not None
            accumulate(self._inv_min, st.inventory, self._loss, self._min_avail,
                       self._last_below, self.base.x0, st.output, st.availability,
                       RECOVERY_BAND * self.base.x0, dt, st.day)
        elif self._inv_min is None:
            self._inv_min = st.inventory.copy()
        else:
            np.fmin(self._inv_min, st.inventory, out=self._inv_min)
        row = self._row.get(st.step)
        inv_days = None
        if st.step == 0 or row is not None:
            inv_days = _inventory_days(st.inventory, self._low, self._inv_d_rows())
        if st.step == 0:
            self.inv0[self._rows] = np.asarray(inv_days).T
        elif not compiled:
            lost = np.subtract(x0, st.output)
            if dt != 1.0:
                lost *= dt
            self._loss += lost
            np.minimum(self._min_avail, st.availability, out=self._min_avail)
            below = st.output < band
            if below.any():
                self._last_below[below] = st.day
        if row is None or inv_days is None:
            return
        if len(self.days) <= row:
            self.days.append(st.day)
        for name, read in SERIES.items():
            v = read(st, topo, self.d_ref) if read is not None else inv_days
            self.series[name][row, self._rows] = v[self.tracked].T
        if st.price.shape[0]:
            self.prices[row, self._rows] = st.price.T
        if self._since > 0:
            self.trade[row, self._rows] = (self._arrived / self._since).T
            self._arrived[:] = 0.0
            if self.departed is not None:
                self.departed[row, self._rows] = (self._departed / self._since).T
                self._departed[:] = 0.0
            self._since = 0.0
