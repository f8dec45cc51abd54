"""Simulated results against documented outcomes (replays) and run against run.

:func:`outcome_check` puts each documented outcome of a replay beside the comparable
simulated figure, as a relative change:

* ``imports`` / ``import_share`` (economy = importer, partner = supplier): with a
  ``window`` (the dates the documented figure covers, e.g. one month of customs data), the
  simulated arrivals from the partner in that window over the baseline rate, minus 1
  (``import_share``: the partner's share of the importer's arrivals from abroad, in the
  window over the baseline); median over runs (``SimResult.trade_in_window``). Without a
  window: the supplier's sourcing share at the horizon over before, minus 1
  (``SimResult.diversion()``). With ``versus`` (the period the documented change is
  measured against, e.g. the same month a year earlier under an earlier control) the
  reference is the simulated figure in that period instead of the baseline:
  ``median_r(now_r / ref_r) - 1``;
* ``exports`` (economy = exporter): the same over every shocked buyer of the good;
* trade figures are read on departures when the documented figure is the exporter's
  customs statistics (``recorded_by: exporter``, the default for ``exports``) and on
  arrivals when it is the importer's (the default for ``imports`` and ``import_share``);
* ``output``: minus the median output loss over the baseline output value
  (``SimResult.summary()``: ``loss_usd_bn_p50 / baseline_usd_bn``); with a ``window``:
  the mean output rate in the window over the baseline rate ``x0``, minus 1, median over
  runs (``SimResult.output_in_window``; with ``versus``: over the simulated rate in that
  period, ``median_r(now_r / ref_r) - 1``); economy ``WLD`` sums the good's nodes in every
  economy (world output of the good);
* ``availability``: minus the median maximum availability drop;
* ``price`` (economy = the market where the price is assessed; the engine has an
  international and a home index per good, :mod:`econsec.simulation.prices`): the mean
  price index over the outcome's ``window`` (the price at the end of each day), over the
  mean in ``versus`` if given (else over the pre-shock 1.0), minus 1, median over runs
  (``SimResult.price_in_window``), in the home market when the outcome's economy is one the
  scenario's bans, licensing or quotas hold the good back from, else in the international
  market (Rotterdam, Europe, ``ROW``); a price outcome without a window is not simulated
  (the date of the assessment is needed).

**Units** (the outcome's ``unit``, :mod:`econsec.policy.outcomes`): the engine's flows and
output are real, USD a day at pre-shock prices, so for one good they are proportional to
physical quantities (the unit value is fixed) and an outcome in ``tonnes``, ``kg`` or
``units`` is compared on them as they are. An outcome in ``usd`` (a customs value) is
compared on nominal values: in each recorded interval the real rate times the good's
simulated price index over the interval (``SimResult.interval_prices``), i.e. for a window
``W`` against the pre-shock baseline ``z0``

    change = median_r( sum_{i in W} w_i z_{r,i} P_{r,g,i} ) / z0 - 1

(``w_i`` the interval's share of the window, ``P`` = 1 before the shock), and with
``versus`` both periods are nominal. Shares (``import_share``; the sourcing shares of
an outcome without a window) are the same in real and nominal terms (the traded flows of a
good all carry its international index), and a ``price`` outcome is the index itself.

A simulated change below -2 % reads ``down``, above +2 % ``up``, else ``flat``; a ``flat``
outcome with a range is matched when the simulated change lies within the range.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from econsec.policy.outcomes import TRADE_METRICS, Outcome
from econsec.policy.scenarios import Scenario
from econsec.simulation.prices import HOLDING_BACK

FLAT_BAND = 0.02
F64 = npt.NDArray[np.float64]


def simulated_change(outcome: Outcome, result: Any, start: dt.date | None = None
                     ) -> float | None:
    """The simulated relative change comparable with *outcome* (None: not simulated);
    *start* is the scenario's start date (needed for an outcome with a window)."""
    return _simulated(outcome, result, start)


def not_simulated_reason(outcome: Outcome, result: Any, start: dt.date | None = None) -> str:
    """Why :func:`simulated_change` has no figure for *outcome* ("" when it has one)."""
    if _simulated(outcome, result, start) is not None:
        return ""
    if outcome.metric == "price" and outcome.window is None:
        return "a price outcome needs the window of its assessment (window: [first, last])"
    if outcome.metric == "price" and outcome.good not in result.baseline.goods:
        return f"the world has no good {outcome.good}"
    if start is not None and (outcome.metric == "price" or outcome.window is not None):
        probe = result.price_in_window if outcome.metric == "price" else result.trade_in_window
        for period in (outcome.window, outcome.versus):
            if period is None:
                continue
            try:
                probe(*((d - start).days for d in period))
            except ValueError as exc:
                return f"{period[0]}..{period[1]} is outside the simulated horizon ({exc})"
    who = outcome.economy + (f"<-{outcome.partner}" if outcome.partner else "")
    if outcome.metric in ("output", "availability"):
        return f"the world has no {outcome.good} output in {outcome.economy}"
    return f"the world has no {outcome.metric} flow {who} of {outcome.good}"


def _simulated(outcome: Outcome, result: Any, start: dt.date | None) -> float | None:
    if outcome.metric == "price":
        return None if start is None else _price_change(outcome, result, start)
    if outcome.metric in TRADE_METRICS and outcome.window:
        return None if start is None else _trade_change(outcome, result, start)
    if outcome.metric in TRADE_METRICS:
        div = result.diversion()
        rows = div[div["good"] == outcome.good]
        if outcome.metric == "exports":
            rows = rows[(rows["supplier"] == outcome.economy) & rows["shocked"]]
        else:
            rows = rows[(rows["buyer"] == outcome.economy)
                        & (rows["supplier"] == (outcome.partner or ""))]
        before = float(rows["share_before"].sum())
        if rows.empty or before <= 0:
            return None
        return float(rows["share_after"].sum()) / before - 1.0
    if outcome.metric == "output" and outcome.window:
        return None if start is None else _output_change(outcome, result, start)
    if outcome.metric in ("output", "availability"):
        summ = result.summary()
        row = summ[(summ["economy"] == outcome.economy) & (summ["good"] == outcome.good)]
        if row.empty:
            return None
        r = row.iloc[0]
        if outcome.metric == "availability":
            return -float(r["max_availability_drop_p50"])
        base = float(r["baseline_usd_bn"])
        return None if base <= 0 else -float(r["loss_usd_bn_p50"]) / base
    return None


def _price_change(outcome: Outcome, result: Any, start: dt.date) -> float | None:
    """Price outcome (see the module docstring); None without a window, outside the horizon
    or without the good."""
    goods = list(result.baseline.goods)
    if outcome.window is None or outcome.good not in goods:
        return None
    g = goods.index(outcome.good)
    market = price_market(outcome, result.spec.shocks)
    try:
        now = result.price_in_window(*((d - start).days for d in outcome.window),
                                     market=market)[:, g]
        ref = (np.ones_like(now) if outcome.versus is None else
               result.price_in_window(*((d - start).days for d in outcome.versus),
                                      market=market)[:, g])
    except ValueError:
        return None
    return float(np.median(now / ref)) - 1.0


def price_market(outcome: Outcome, shocks: Any) -> str:
    """``home`` when the price outcome's economy holds its good back in one of *shocks*
    (a ban, licensing or a quota it imposes on the good), else ``international``."""
    for sh in shocks:
        if (sh.kind in HOLDING_BACK and outcome.economy in sh.imposers
                and outcome.good in sh.goods):
            return "home"
    return "international"


def _output_level(outcome: Outcome, result: Any, start: dt.date,
                  period: tuple[dt.date, dt.date]) -> tuple[F64, float] | None:
    """(R,) the simulated output rate of the outcome's node (all nodes of the good for
    economy ``WLD``) per run over *period*, and its baseline rate; None outside the horizon
    or without the node."""
    first, last = ((d - start).days for d in period)
    try:
        labels, vals, x0 = result.output_in_window(first, last, nominal=outcome.nominal)
    except ValueError:
        return None
    sel = (labels["good"] == outcome.good).to_numpy()
    if outcome.economy != "WLD":
        sel = sel & (labels["economy"] == outcome.economy).to_numpy()
    if not sel.any() or x0[sel].sum() <= 0:
        return None
    return vals[:, sel].sum(axis=1), float(x0[sel].sum())


def _output_change(outcome: Outcome, result: Any, start: dt.date) -> float | None:
    """Windowed output outcome (see the module docstring)."""
    assert outcome.window is not None
    now = _output_level(outcome, result, start, outcome.window)
    if now is None:
        return None
    if outcome.versus is None:
        return float(np.median(now[0])) / now[1] - 1.0
    ref = _output_level(outcome, result, start, outcome.versus)
    if ref is None or not (ref[0] > 0).any():
        return None
    ok = ref[0] > 0
    return float(np.median(now[0][ok] / ref[0][ok])) - 1.0


def _trade_change(outcome: Outcome, result: Any, start: dt.date) -> float | None:
    """Windowed trade outcome (see the module docstring); None outside the horizon or
    without the flows."""
    assert outcome.window is not None
    now = _trade_level(outcome, result, start, outcome.window)
    if now is None:
        return None
    level, base = now
    if outcome.versus is None:
        return float(np.median(level)) / base - 1.0
    ref = _trade_level(outcome, result, start, outcome.versus)
    if ref is None:
        return None
    ok = ref[0] > 0
    if not ok.any():
        return None
    return float(np.median(level[ok] / ref[0][ok])) - 1.0


def _trade_level(outcome: Outcome, result: Any, start: dt.date,
                 period: tuple[dt.date, dt.date]) -> tuple[F64, float] | None:
    """(R,) the outcome's simulated trade rate (or partner share) per run over *period*,
    and its baseline value; None outside the horizon or without the flows."""
    first, last = ((d - start).days for d in period)
    try:
        # export statistics count a shipment when it leaves, import statistics when it
        # lands: the outcome says whose statistics it is (Outcome.departed)
        keys, vals = result.trade_in_window(first, last, departed=outcome.departed,
                                            nominal=outcome.nominal)
    except ValueError:
        return None
    good = (keys["good"] == outcome.good).to_numpy()
    if outcome.metric == "exports":
        sel = good & (keys["supplier"] == outcome.economy).to_numpy() & keys["shocked"].to_numpy()
        whole = None
    else:
        buyer = good & (keys["buyer"] == outcome.economy).to_numpy()
        sel = buyer & (keys["supplier"] == (outcome.partner or "")).to_numpy()
        # the partner's share of the buyer's imports: domestic supply is not an import
        imported = buyer & (keys["supplier"] != outcome.economy).to_numpy()
        whole = imported if outcome.metric == "import_share" else None
    base = keys["baseline"].to_numpy()
    if not sel.any() or base[sel].sum() <= 0:
        return None
    now = vals[:, sel].sum(axis=1)
    if whole is None:
        return now, float(base[sel].sum())
    tot = vals[:, whole].sum(axis=1)
    share = np.divide(now, tot, out=np.zeros_like(now), where=tot > 0)
    return share, float(base[sel].sum()) / float(base[whole].sum())


def direction_of(change: float) -> str:
    return "down" if change < -FLAT_BAND else "up" if change > FLAT_BAND else "flat"


def outcome_check(scenario: Scenario, result: Any) -> pd.DataFrame:
    """One row per documented outcome: documented vs simulated direction and change."""
    rows = []
    for o in scenario.outcomes:
        sim = simulated_change(o, result, scenario.start)
        documented = o.magnitude if o.magnitude is not None else (
            None if o.range is None else float(np.mean(o.range)))
        if sim is None:
            sim_dir, match = "not simulated", None
        else:
            sim_dir = direction_of(sim)
            if o.direction == "flat" and o.range is not None:
                match = o.range[0] - FLAT_BAND <= sim <= o.range[1] + FLAT_BAND
            else:
                match = sim_dir == o.direction
        rows.append({
            "metric": o.metric, "economy": o.economy, "partner": o.partner or "",
            "good": o.good, "period": o.period, "documented_direction": o.direction,
            "documented_change": documented, "simulated_direction": sim_dir,
            "simulated_change": sim, "direction_matches": match,
            "source": f"{o.source.publisher} ({o.year})", "url": o.source.url})
    return pd.DataFrame(rows, columns=[
        "metric", "economy", "partner", "good", "period", "documented_direction",
        "documented_change", "simulated_direction", "simulated_change", "direction_matches",
        "source", "url"])


def compare_summaries(a: pd.DataFrame, b: pd.DataFrame, *, label_a: str = "a",
                      label_b: str = "b") -> pd.DataFrame:
    """Two summary frames side by side per (economy, good) with the difference in median
    output loss (b - a), largest absolute differences first."""
    keys = ["economy", "good"]
    cols = ["loss_usd_bn_p50", "max_availability_drop_p50", "days_to_recover_p50"]
    cols = [c for c in cols if c in a.columns and c in b.columns]
    m = a[keys + cols].merge(b[keys + cols], on=keys, how="outer",
                             suffixes=(f"_{label_a}", f"_{label_b}")).fillna(0.0)
    m["loss_diff_usd_bn"] = m[f"loss_usd_bn_p50_{label_b}"] - m[f"loss_usd_bn_p50_{label_a}"]
    order = m["loss_diff_usd_bn"].abs().sort_values(ascending=False).index
    return m.loc[order].reset_index(drop=True)


def replay_names(world: Any = None) -> list[str]:
    """The shipped scenarios of ``kind: replay`` (read from their files), by name."""
    from econsec.policy.scenarios import load_named, scenario_names

    return [n for n in scenario_names() if load_named(n, world).kind == "replay"]


def outcome_label(checks: pd.DataFrame) -> pd.Series:
    """``metric ECONOMY<-PARTNER good`` for each row of :func:`outcome_check`."""
    partner = checks["partner"].fillna("").map(lambda p: f"<-{p}" if p else "")
    return checks["metric"] + " " + checks["economy"] + partner + " " + checks["good"]
