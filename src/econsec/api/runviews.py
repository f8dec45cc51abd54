"""What the API shows of a stored run: its result JSON, its chart, its workbook, and two
runs side by side. Runs are read from the store (:mod:`econsec.data.runs`), never held by
the server beyond a small cache of the last few runs read (they never change once stored).

The run chart (:func:`chart_rows`) shows the economy-good pairs the scenario *touches* —
whose economy is an imposer or target of one of its shocks, or whose good is a shocked
good — that may lose output (p95 loss above zero: gains are left out) or availability
(median drop), largest median output loss first (ties: larger availability drop), at most
:data:`CHART_SERIES` of them.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.reports.tables import write_xlsx

if TYPE_CHECKING:
    from econsec.api.jobs import RunStore
    from econsec.data.world import World

STORED_ID = r"\d{8}-\d{6}-[0-9a-f]{10}"
JOB_ID = r"[0-9a-f]{32}"
ANY_ID = rf"^({JOB_ID}|{STORED_ID})$"
CHART_SERIES = 6
#: a summary row counts as hit when its p95 loss or median availability drop exceeds this
HIT = 1e-6


def is_stored_id(value: str) -> bool:
    return re.fullmatch(STORED_ID, value) is not None


@dataclass(frozen=True)
class StoredView:
    """A stored run as the API shows it."""

    run_id: str
    meta: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    touched_economies: tuple[str, ...]
    touched_goods: tuple[str, ...]
    note: str

    @property
    def filename(self) -> str:
        return f"{self.meta['scenario']}_{self.run_id}"


def load(store: RunStore, run_id: str, world: World) -> StoredView:
    """The stored run *run_id* (LookupError when the store has no such run)."""
    return _load(store, run_id, world)


@functools.lru_cache(maxsize=6)
def _load(store: RunStore, run_id: str, world: World) -> StoredView:
    from econsec.data.runs import load_run
    from econsec.errors import DataError, StoreError
    from econsec.policy.runner import backcast_note
    from econsec.policy.scenarios import load_scenario_text

    with store.session() as st:
        try:
            run = load_run(st, run_id)
        except StoreError:
            raise LookupError(f"no stored run {run_id}") from None
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.meta.items()}
    note = ""
    try:
        scenario = load_scenario_text(str(meta["scenario_yaml"]), f"run-{run_id}", world)
        econ = sorted({e for s in scenario.shocks for e in (*s.imposers, *s.targets)})
        goods = sorted({g for s in scenario.shocks for g in s.goods})
        if not scenario.network.on_icio:  # later figures standing in for its year: said
            note = backcast_note(world, scenario, scenario.as_of_year)
    except DataError as exc:
        econ, goods = [], []
        note = (f"the run's scenario does not resolve on this world ({exc}); the chart "
                "shows the largest losses of any economy and good")
    return StoredView(run.run_id, meta, run.frames, tuple(econ), tuple(goods), note)


def summary_rows(view: StoredView) -> tuple[pd.DataFrame, int]:
    """The summary rows with an output loss or availability drop, largest median loss
    first (ties: larger availability drop), and how many all-zero rows were left out."""
    summ = view.frames["summary"]
    hit = (summ["loss_usd_bn_p95"].abs() > HIT) | (summ["max_availability_drop_p50"] > HIT)
    rows = summ[hit].sort_values(["loss_usd_bn_p50", "max_availability_drop_p50"],
                                 ascending=False, kind="stable")
    return rows.reset_index(drop=True), int((~hit).sum())


def chart_rows(view: StoredView) -> pd.DataFrame:
    """The (economy, good) summary rows the chart shows (see the module docstring)."""
    rows, _ = summary_rows(view)
    rows = rows[(rows["loss_usd_bn_p95"] > HIT) | (rows["max_availability_drop_p50"] > HIT)]
    if view.touched_economies or view.touched_goods:
        touched = rows["economy"].isin(view.touched_economies) \
            | rows["good"].isin(view.touched_goods)
        rows = rows[touched]
    return rows.head(CHART_SERIES).reset_index(drop=True)


def chart_frame(view: StoredView) -> tuple[pd.DataFrame, str]:
    """``t, series, p5, p50, p95`` of the chart's pairs (in the order of
    :func:`chart_rows`) for the run's headline metric, and that metric."""
    from econsec.reports.figures import BAND_COLUMNS, headline_metric

    ts = view.frames["timeseries"]
    metric = headline_metric(ts)
    pairs = chart_rows(view)
    labels = [f"{e} {g}" for e, g in zip(pairs["economy"], pairs["good"], strict=True)]
    f = ts[ts["metric"].astype(str) == metric]
    series = f["economy"].astype(str) + " " + f["good"].astype(str)
    out = pd.DataFrame({"t": f["day"].to_numpy(), "series": series.to_numpy(),
                        "p5": f["p5"].to_numpy(), "p50": f["p50"].to_numpy(),
                        "p95": f["p95"].to_numpy()})
    out = out[out["series"].isin(labels)]
    order = {label: i for i, label in enumerate(labels)}
    out = out.assign(_o=out["series"].map(order)).sort_values(["_o", "t"], kind="stable")
    return out[BAND_COLUMNS].reset_index(drop=True), metric


def chart_svg(view: StoredView) -> str:
    from econsec.reports.figures import band_timeseries

    frame, metric = chart_frame(view)
    m = view.meta
    title = (f"{m['scenario']}: {metric} of the touched economies and goods with the "
             f"largest losses ({m['runs']} runs, seed {m['seed']})")
    return band_timeseries(frame, title=title, xlabel="day", ylabel=metric)


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`econsec.reports.tables.to_records` of *frame* with pandas' missing values
    (``pd.NA`` of nullable columns read back from the store) as null."""
    from econsec.reports.tables import to_records as records

    obj = frame.astype(object)
    return records(obj.where(frame.notna(), None))


def price_moves(prices: pd.DataFrame | None) -> pd.DataFrame:
    """One row per good and market whose median price index left 1 (by more than
    :data:`HIT`): good, market, its peak median index and the date of the peak, the median
    index on the last recorded date; highest peak first. Empty for a run without a prices
    frame (stored before econsec kept it) or without a moving price."""
    cols = ["good", "market", "peak_p50", "peak_date", "last_p50"]
    if prices is None or prices.empty:
        return pd.DataFrame(columns=cols)
    frame = prices.sort_values("date", kind="stable")
    rows = []
    for (good, market), g in frame.groupby(["good", "market"], sort=False):
        p50 = g["price_index_p50"].to_numpy(dtype=float)
        if not (abs(p50 - 1.0) > HIT).any():
            continue
        top = int(abs(p50 - 1.0).argmax())
        rows.append({"good": good, "market": market, "peak_p50": float(p50[top]),
                     "peak_date": str(g["date"].iloc[top]), "last_p50": float(p50[-1])})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("peak_p50", ascending=False, kind="stable", ignore_index=True)


def result_json(view: StoredView) -> dict[str, Any]:
    """The stored run as the dashboard shows it (JSON-ready)."""
    from econsec.policy.skill import skill_summary

    rows, hidden = summary_rows(view)
    inputs = {k: v for k, v in view.meta.items() if k != "scenario_yaml"}
    skill = view.frames.get("skill")
    chart, _ = chart_frame(view)
    out: dict[str, Any] = {
        "run_id": view.run_id, "status": "done", "progress": 1.0,
        "scenario": view.meta["scenario"],
        "result": {
            "inputs": inputs, "note": view.note,
            "touched": {"economies": list(view.touched_economies),
                        "goods": list(view.touched_goods)},
            "summary": to_records(rows.head(200)), "summary_hit": len(rows),
            "summary_hidden": hidden,
            "diversion": to_records(view.frames["diversion"].head(200)),
            "outcomes": to_records(view.frames.get("outcomes", pd.DataFrame())),
            "skill": to_records(skill) if skill is not None else [],
            "prices": to_records(price_moves(view.frames.get("prices"))),
            "prices_stored": "prices" in view.frames,
            "skill_summary": to_records(skill_summary(skill)) if skill is not None
            and len(skill) else [],
            "chart_series": list(dict.fromkeys(chart["series"])),
            "csv": f"/api/runs/{view.run_id}/csv", "xlsx": f"/api/runs/{view.run_id}/xlsx",
            "chart_svg": f"/api/runs/{view.run_id}/chart.svg"}}
    return out


def compare_json(a: StoredView, b: StoredView, top: int) -> dict[str, Any]:
    """Runs *a* and *b* side by side (:func:`econsec.policy.compare.compare_summaries`,
    the function behind ``econsec runs compare``), largest differences first."""
    from econsec.policy.compare import compare_summaries

    frame = compare_summaries(a.frames["summary"], b.frames["summary"])
    moved = frame.drop(columns=["economy", "good"]).abs().sum(axis=1) > HIT
    shown = frame[moved].head(top)
    side = []
    for v in (a, b):
        inputs = {k: val for k, val in v.meta.items() if k != "scenario_yaml"}
        side.append({"run_id": v.run_id, "inputs": inputs,
                     "chart_svg": f"/api/runs/{v.run_id}/chart.svg"})
    return {"a": side[0], "b": side[1], "rows": to_records(shown),
            "count": int(moved.sum()), "hidden_zero_rows": int((~moved).sum())}


def xlsx_bytes(view: StoredView) -> bytes:
    """Time series, summary, diversion, prices, a replay's outcomes and skill, and the
    inputs."""
    names = ("timeseries", "summary", "diversion", "prices", "outcomes", "skill")
    buf = io.BytesIO()
    write_xlsx(buf, {**{n: view.frames[n] for n in names if n in view.frames},
                     "inputs": pd.DataFrame([view.meta])})
    return buf.getvalue()
