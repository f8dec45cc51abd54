"""Results of a simulation: time series, summaries and trade diversion as DataFrames.

Quantiles p5/p50/p95 are taken over Monte Carlo runs (``numpy.quantile``, linear
interpolation). Time to recover of a node in one run: days from the first shock's start
until the end of the last step in which output was below 99% of baseline; 0 if output never
fell below; NaN if still below at the horizon (NaN runs count as +inf in quantiles, and a
quantile that is +inf is reported as NaN).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from econsec.simulation.network_arrays import Baseline
from econsec.simulation.prices import MARKETS
from econsec.simulation.recorder import SERIES
from econsec.simulation.records import RunRecords
from econsec.simulation.spec import SimulationSpec

F64 = npt.NDArray[np.float64]
QUANTILES = (0.05, 0.5, 0.95)


def _q(x: npt.NDArray[np.floating], axis: int = 0) -> F64:
    with np.errstate(invalid="ignore"):  # inf - inf between two unrecovered runs: NaN
        return np.asarray(np.quantile(np.asarray(x, dtype=np.float64), QUANTILES, axis=axis))


@dataclass(frozen=True, eq=False)
class SimResult:
    """A finished simulation (*runs* runs of *spec* with *seed*; None when the draws came
    from a caller's ``numpy.random.Generator`` or fresh entropy)."""

    spec: SimulationSpec
    runs: int
    seed: int | None
    baseline: Baseline
    recorder: RunRecords  # the per-run records, stored (quantiles are read from them)
    params: dict[str, F64]
    diversion_flows: npt.NDArray[np.int64]
    shocked_flows: npt.NDArray[np.bool_]
    first_shock_day: int

    @property
    def share_start(self) -> F64:
        """[R, K] sourcing shares of the diversion flows at day 0 (read from the records)."""
        return np.asarray(self.recorder.share_start)

    @property
    def share_end(self) -> F64:
        """[R, K] ... at the horizon."""
        return np.asarray(self.recorder.share_end)

    def timeseries(self) -> pd.DataFrame:
        """Long frame: day, economy, good, metric, p5, p50, p95 (tracked nodes)."""
        rec = self.recorder
        labels = self.baseline.node_labels().iloc[rec.tracked].reset_index(drop=True)
        parts = []
        days = np.asarray(rec.days, dtype=np.float64)
        n = len(rec.tracked)
        for metric in SERIES:
            q = rec.reduce((f"series/{metric}",), lambda b: _q(b, axis=1))  # [3, T n]
            parts.append(pd.DataFrame({
                "day": np.repeat(days, n),
                "economy": np.tile(labels["economy"].to_numpy(), len(days)),
                "good": np.tile(labels["good"].to_numpy(), len(days)),
                "metric": metric,
                "p5": q[0].ravel(), "p50": q[1].ravel(), "p95": q[2].ravel(),
            }))
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """Per (economy, good): output loss (USD bn) p5/p50/p95, baseline output over the
        horizon, max availability drop, time to recover (days), inventory drawdown (days).
        Losses within 1e-12 of the baseline output (rounding of the sums) read 0."""
        rec = self.recorder
        base = self.baseline
        horizon = rec.days[-1] if rec.days else 0.0
        loss = rec.reduce(("loss",), lambda b: _q(b, axis=1))
        loss[np.abs(loss) <= 1e-12 * (base.x0 * horizon)[None, :]] = 0.0
        drop = rec.reduce(("min_avail",), lambda b: _q(1.0 - b, axis=1))

        def ttr(below: F64) -> F64:
            t = np.where(below == -np.inf, 0.0,
                         np.where(below >= horizon, np.inf, below - self.first_shock_day))
            return _q(np.maximum(t, 0.0), axis=1)

        ttr_q = rec.reduce(("last_below",), ttr)
        ttr_q[~np.isfinite(ttr_q)] = np.nan
        draw = rec.reduce(("inv0", "min_inv"), lambda a, b: _q(a - b, axis=1))
        frame = base.node_labels()
        frame["baseline_usd_bn"] = base.x0 * horizon
        frame["loss_usd_bn_p5"], frame["loss_usd_bn_p50"], frame["loss_usd_bn_p95"] = loss
        frame["max_availability_drop_p50"] = drop[1]
        frame["max_availability_drop_p95"] = drop[2]
        frame["days_to_recover_p50"] = ttr_q[1]
        frame["days_to_recover_p95"] = ttr_q[2]
        frame["inventory_drawdown_days_p50"] = draw[1]
        frame["inventory_drawdown_days_p95"] = draw[2]
        return frame

    def diversion(self) -> pd.DataFrame:
        """For buyer-good slots with a shocked flow: each supplier's sourcing share at day 0
        and at the horizon (p50 over runs) and the change (who gained)."""
        base = self.baseline
        k = self.diversion_flows
        eco = np.asarray(base.economies)
        goods = np.asarray(base.goods)
        rec = self.recorder
        before = rec.reduce(("share_start",), lambda b: np.median(b, axis=1))
        after = rec.reduce(("share_end",), lambda b: np.median(b, axis=1))
        buyer_node = base.slot_node[base.flow_slot[k]]
        return pd.DataFrame({
            "buyer": eco[base.node_economy[buyer_node]],
            "buyer_good": goods[base.node_good[buyer_node]],
            "good": goods[base.flow_good[k]],
            "supplier": eco[base.flow_supplier[k]],
            "shocked": self.shocked_flows[k],
            "share_before": before,
            "share_after": after,
            "change": after - before,
        })

    def trade(self, *, nominal: bool = False) -> pd.DataFrame:
        """Long frame of simulated trade in the slots with a shocked flow: day, buyer, good,
        supplier, the arrival rate p5/p50/p95 (real: USD bn/day at pre-shock prices, mean
        over the recorded interval ending on *day*, summed over the buyer's using goods per
        run) and the baseline rate ``z0`` (USD bn/day). *nominal* adds
        ``nominal_p5/p50/p95``: per run, the rate times the good's price index over the
        interval (:meth:`interval_prices`), then the quantiles (USD bn/day at simulated
        prices; equal to the real rate without the price mechanism)."""
        groups, keys = self._trade_groups
        rec = self.recorder
        days = np.asarray(rec.days[1:], dtype=np.float64)
        rates = rec.trade[1:].astype(np.float64)  # [T, R, F]
        q = _q(rates @ groups, axis=1)  # [3, T, G]
        g = len(keys)
        frame = pd.DataFrame({
            "day": np.repeat(days, g),
            "buyer": np.tile(keys["buyer"].to_numpy(), len(days)),
            "good": np.tile(keys["good"].to_numpy(), len(days)),
            "supplier": np.tile(keys["supplier"].to_numpy(), len(days)),
            "p5": q[0].ravel(), "p50": q[1].ravel(), "p95": q[2].ravel(),
            "baseline": np.tile(keys["baseline"].to_numpy(), len(days)),
        })
        if nominal:
            good = self.baseline.flow_good[self.diversion_flows]
            n = _q((rates * self.interval_prices()[1:][:, :, good]) @ groups, axis=1)
            frame["nominal_p5"], frame["nominal_p50"], frame["nominal_p95"] = (
                n[0].ravel(), n[1].ravel(), n[2].ravel())
        return frame

    def trade_in_window(self, first_day: float, last_day: float, *, departed: bool = False,
                        nominal: bool = False) -> tuple[pd.DataFrame, F64]:
        """Per run, the mean arrival rate (*departed*: departure rate, what export
        statistics count; the same without transit) over days ``[first_day, last_day]`` of
        every (buyer, good, supplier) of :meth:`trade`: (keys with ``baseline`` rate and
        ``shocked``, [R, G] array). A recorded interval ``(d_{i-1}, d_i]`` counts in
        proportion to its overlap with the window ``[first_day, last_day + 1)``; ValueError
        if the window lies outside the simulated horizon. *nominal*: each interval's rate
        times the good's price index over the interval (:meth:`interval_prices`), i.e. USD
        at simulated prices instead of pre-shock prices (the ``baseline`` key stays the
        pre-shock rate, at index 1)."""
        groups, keys = self._trade_groups
        w = self._window_weights(first_day, last_day)
        rec = self.recorder
        table = rec.departed if departed and rec.departed is not None else rec.trade
        rates = table[1:].astype(np.float64)
        if nominal:
            good = self.baseline.flow_good[self.diversion_flows]
            rates = rates * self.interval_prices()[1:][:, :, good]
        vals = np.tensordot(w[1:], rates, axes=(0, 0))
        return keys.copy(), np.asarray(vals @ groups)

    def output_in_window(self, first_day: float, last_day: float, *, nominal: bool = False
                         ) -> tuple[pd.DataFrame, F64, F64]:
        """Per run, the mean output rate (USD bn/day) over days ``[first_day, last_day]`` of
        every tracked node: (labels economy, good; [R, n] means; (n,) baseline ``x0``). The
        output recorded at day ``d_i`` is that of the step ending then, so a recorded interval
        ``(d_{i-1}, d_i]`` counts in proportion to its overlap with the window
        ``[first_day, last_day + 1)`` (as :meth:`trade_in_window`); ValueError if the window
        lies outside the simulated horizon. The recorded output is read once per result
        (:attr:`_output_series`), not once per window. *nominal*: each interval's output
        times the good's price index over the interval (:meth:`interval_prices`)."""
        w = self._window_weights(first_day, last_day)
        series, labels = self._output_series
        rates = series[1:].astype(np.float64)
        if nominal:
            good = self.baseline.node_good[self.recorder.tracked]
            rates = rates * self.interval_prices()[1:][:, :, good]
        vals = np.tensordot(w[1:], rates, axes=(0, 0))
        return (labels.copy(), np.asarray(vals),
                np.asarray(self.baseline.x0[self.recorder.tracked]))

    @functools.cached_property
    def _output_series(self) -> tuple[npt.NDArray[np.float32], pd.DataFrame]:
        """The recorded output ``[T, R, n]`` (float32, as stored) and the tracked nodes'
        labels (economy, good), read from the records on first use and kept: a replay
        scores several windowed outcomes on one result (each read the whole records
        again). Kept as long as the result: T x R x n x 4 bytes."""
        rec = self.recorder
        labels = self.baseline.node_labels().iloc[rec.tracked].reset_index(drop=True)
        return rec.series_of("output"), labels

    def _window_weights(self, first_day: float, last_day: float) -> F64:
        """Weight of each recorded row in the window ``[first_day, last_day + 1)``: row i
        holds the step interval ``(d_{i-1}, d_i]`` and weighs its overlap with the window
        (row 0, the state before any step, weighs 0); ValueError outside the horizon."""
        ends = np.asarray(self.recorder.days, dtype=np.float64)
        starts = np.r_[ends[:1], ends[:-1]]
        overlap = np.clip(np.minimum(ends, last_day + 1.0) - np.maximum(starts, first_day),
                          0.0, None)
        overlap[0] = 0.0  # row 0 is the state before any step
        if overlap.sum() <= 0:
            raise ValueError(f"days {first_day:g}-{last_day:g} are outside the simulated "
                             f"horizon (0-{ends[-1]:g})")
        return np.asarray(overlap / overlap.sum())

    @functools.cached_property
    def _trade_groups(self) -> tuple[F64, pd.DataFrame]:
        """[K, G] 0/1 matrix summing diversion flows by (buyer, good, supplier), and the
        keys with their baseline rate and whether any of their flows is shocked (built
        once per result from the baseline's labels)."""
        base = self.baseline
        k = self.diversion_flows
        eco = np.asarray(base.economies)
        div = pd.DataFrame({
            "buyer": eco[base.flow_buyer[k]],
            "good": np.asarray(base.goods)[base.flow_good[k]],
            "supplier": eco[base.flow_supplier[k]],
            "shocked": self.shocked_flows[k],
            "baseline": base.baseline_flows()[k],
        })
        keys = div.groupby(["buyer", "good", "supplier"], sort=False, as_index=False).agg(
            shocked=("shocked", "any"), baseline=("baseline", "sum"))
        code = div.merge(keys[["buyer", "good", "supplier"]].reset_index(),
                         on=["buyer", "good", "supplier"], how="left")["index"].to_numpy()
        groups = np.zeros((len(div), len(keys)))
        groups[np.arange(len(div)), code] = 1.0
        return groups, keys

    def prices(self) -> pd.DataFrame:
        """Long frame of the price index per good and market (1.0 = pre-shock;
        :mod:`econsec.simulation.prices`): good, market (``international``: buyers outside
        the economies holding the good back, the market reference prices assess; ``home``:
        buyers in them, the same as international while nobody holds the good back), date
        (the scenario's start plus the recorded day: the price at the end of the day
        before), price_index_p5/p50/p95 over runs."""
        rec = self.recorder
        days = np.asarray(rec.days, dtype=np.float64)
        goods = np.asarray(self.baseline.goods)
        g = len(goods)
        q = _q(rec.prices, axis=1)  # [3, T, 2G]
        dates = [self.spec.start + dt.timedelta(days=float(d)) for d in days]
        frames = [pd.DataFrame({
            "good": np.tile(goods, len(days)), "market": market,
            "date": np.repeat(np.asarray(dates, dtype=object), g),
            "price_index_p5": q[0][:, m * g:(m + 1) * g].ravel(),
            "price_index_p50": q[1][:, m * g:(m + 1) * g].ravel(),
            "price_index_p95": q[2][:, m * g:(m + 1) * g].ravel(),
        }) for m, market in enumerate(MARKETS)]
        return (pd.concat(frames, ignore_index=True)
                .sort_values(["date", "good", "market"], kind="stable", ignore_index=True))

    def interval_prices(self) -> F64:
        """[T, R, G] the mean international price index of each good over each recorded
        interval, per run: row ``i >= 1`` holds the interval ``(d_{i-1}, d_i]`` of the trade
        and output records, over which the index is taken as linear between its recorded
        values (as in :meth:`price_in_window`), so its mean is ``(p_{i-1} + p_i) / 2``; row
        0 (the state before any step) is ``p_0``. A nominal value of trade is a real one
        (USD at pre-shock prices) times this index (goods crossing a border are priced in
        the international market); without the price mechanism the index is 1 and nominal
        equals real."""
        g = len(self.baseline.goods)
        p = np.asarray(self.recorder.prices[:, :, :g], dtype=np.float64)  # [T, R, G]
        out = p.copy()
        out[1:] = 0.5 * (p[:-1] + p[1:])
        return out

    def price_in_window(self, first_day: float, last_day: float,
                        market: str = "international") -> F64:
        """[R, G] per run, the mean price index in *market* (:data:`MARKETS`) over days
        ``[first_day, last_day]``: the price at the end of each day of the window (day
        ``d`` ends at ``d + 1``), linearly interpolated between recorded steps; ValueError
        if the window lies outside the simulated horizon."""
        ends = np.asarray(self.recorder.days, dtype=np.float64)
        at = np.arange(np.floor(first_day), np.floor(last_day) + 1.0) + 1.0
        if first_day < 0 or len(at) == 0 or at[-1] > ends[-1]:
            raise ValueError(f"days {first_day:g}-{last_day:g} are outside the simulated "
                             f"horizon (0-{ends[-1]:g})")
        hi = np.clip(np.searchsorted(ends, at), 1, len(ends) - 1)
        lo = hi - 1
        w = (at - ends[lo]) / (ends[hi] - ends[lo])  # [D]
        g = len(self.baseline.goods)
        m = MARKETS.index(market)
        p = self.recorder.prices[:, :, m * g:(m + 1) * g].astype(np.float64)  # [T, R, G]
        vals = p[lo] * (1.0 - w)[:, None, None] + p[hi] * w[:, None, None]
        return np.asarray(vals.mean(axis=0))

    def parameters(self) -> pd.DataFrame:
        """The drawn parameters, one row per run."""
        return pd.DataFrame({"run": np.arange(self.runs), **self.params})

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Frames for storage: timeseries, summary, diversion, trade, parameters, prices
        (dates as ISO text, as the store keeps them)."""
        prices = self.prices()
        prices["date"] = prices["date"].map(lambda d: d.isoformat()).astype("string")
        return {"timeseries": self.timeseries(), "summary": self.summary(),
                "diversion": self.diversion(), "trade": self.trade(),
                "parameters": self.parameters(), "prices": prices}
