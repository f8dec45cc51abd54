"""Figures for reports and the dashboard, returned as inline SVG strings.

Every function takes plain DataFrames, draws with matplotlib's Agg backend (imported
lazily, so importing this module costs nothing) and returns the ``<svg ...>`` element as
text, ready to embed in HTML or to write as a ``.svg`` file. Figures never read the
network and never write files themselves.

* :func:`exposure_heatmap` - economy x good matrix of shares;
* :func:`network_diagram` - goods as nodes in columns by stage, input -> output edges,
  with the paths downstream of a set of shocked goods highlighted;
* :func:`band_timeseries` - median line with a p5-p95 band per series;
* :func:`diversion_bars` - trade diversion: who gained (and lost) supply.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import pandas as pd

_PALETTE = ("#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d", "#0b7285",
            "#e67700", "#495057", "#a61e4d")


#: matplotlib's text layout and rcParams are process-global: one figure at a time.
_LOCK = threading.RLock()
_RC: dict[str, Any] = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False}


def _figure(figsize: tuple[float, float]) -> tuple[Any, Any]:
    """A new (figure, axes) pair built without pyplot (no global figure manager, so it is
    safe in server threads as long as :data:`_LOCK` is held)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        from econsec.errors import MissingExtraError

        raise MissingExtraError("figures (the HTML brief, the dashboard's charts)",
                                "matplotlib", "report") from None
    matplotlib.rcParams.update(_RC)  # type: ignore[arg-type]
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


_F = TypeVar("_F", bound=Callable[..., str])


def _locked(fn: _F) -> _F:
    """Run a figure function under :data:`_LOCK`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        with _LOCK:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_XML_DECL = re.compile(r"^.*?(<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _to_svg(fig: Any) -> str:
    """Serialise *fig* to an ``<svg>`` element (no XML prolog, no DOCTYPE) and close it."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = _XML_DECL.sub(r"\1", buf.getvalue(), count=1)
    return _METADATA.sub("", svg, count=1).strip()


def empty_svg(message: str, width: int = 480, height: int = 60) -> str:
    """A small SVG carrying *message* (for a figure with no data)."""
    from html import escape

    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><text x="8" y="{height // 2}" '
            f'font-family="sans-serif" font-size="13" fill="#555">{escape(message)}</text></svg>')


@_locked
def exposure_heatmap(matrix: pd.DataFrame, title: str = "", *, vmax: float = 1.0,
                     cmap: str = "Reds", annotate: bool = True,
                     label: str = "share (0-1)") -> str:
    """Heat map of *matrix* (rows: economies, columns: goods, values: shares in [0, 1])."""
    if matrix.empty:
        return empty_svg(f"{title}: no data" if title else "no data")
    n_rows, n_cols = matrix.shape
    fig, ax = _figure((max(4.0, 0.42 * n_cols + 1.8), max(1.6, 0.38 * n_rows + 1.6)))
    values = matrix.to_numpy(dtype=float)
    im = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto")
    ax.set_xticks(range(n_cols), [str(c) for c in matrix.columns], rotation=60, ha="right")
    ax.set_yticks(range(n_rows), [str(r) for r in matrix.index])
    ax.spines[:].set_visible(False)
    if annotate and n_rows * n_cols <= 400:
        for i in range(n_rows):
            for j in range(n_cols):
                v = values[i, j]
                if v == v and v >= 0.005:  # skip NaN and ~0
                    ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7,
                            color="white" if v > 0.6 * vmax else "black")
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label=label)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return _to_svg(fig)


def shocked_paths(
    edges: pd.DataFrame, shocked: Iterable[str]
) -> tuple[set[str], set[tuple[str, str]]]:
    """Goods reachable downstream of *shocked* and the edges on those paths."""
    children: dict[str, list[str]] = {}
    for a, b in zip(edges["input"], edges["output"], strict=True):
        children.setdefault(str(a), []).append(str(b))
    reached = {str(g) for g in shocked}
    stack = list(reached)
    on_path: set[tuple[str, str]] = set()
    while stack:
        g = stack.pop()
        for c in children.get(g, []):
            on_path.add((g, c))
            if c not in reached:
                reached.add(c)
                stack.append(c)
    return reached, on_path


@_locked
def network_diagram(goods: pd.DataFrame, edges: pd.DataFrame, stages: Sequence[str],
                    shocked: Iterable[str] = (), title: str = "") -> str:
    """Supply network: goods (``good_id``, ``stage``) as columns by stage, input -> output
    edges as lines; goods downstream of *shocked* and the edges on those paths in red."""
    if goods.empty:
        return empty_svg("no goods")
    shocked = {str(g) for g in shocked}
    reached, hot = shocked_paths(edges, shocked) if shocked else (set(), set())
    stage_list = [s for s in stages if s in set(goods["stage"])]
    stage_list += sorted(set(goods["stage"]) - set(stage_list))
    pos: dict[str, tuple[float, float]] = {}
    tallest = 1
    for col, stage in enumerate(stage_list):
        ids = sorted(goods.loc[goods["stage"] == stage, "good_id"].astype(str))
        tallest = max(tallest, len(ids))
        for row, gid in enumerate(ids):
            pos[gid] = (float(col), -float(row))
    fig, ax = _figure((2.0 * len(stage_list) + 1.0, 0.24 * tallest + 1.2))
    for a, b in zip(edges["input"].astype(str), edges["output"].astype(str), strict=True):
        if a not in pos or b not in pos:
            continue
        (x0, y0), (x1, y1) = pos[a], pos[b]
        is_hot = (a, b) in hot
        ax.plot([x0 + 0.05, x1 - 0.05], [y0, y1], lw=1.4 if is_hot else 0.4,
                color="#c92a2a" if is_hot else "#adb5bd", alpha=0.9 if is_hot else 0.5,
                zorder=3 if is_hot else 1)
    for gid, (x, y) in pos.items():
        colour = "#c92a2a" if gid in shocked else ("#e8590c" if gid in reached else "#1f5fa8")
        ax.plot([x], [y], "o", ms=4, color=colour, zorder=4)
        ax.text(x + 0.06, y, gid, fontsize=6.5, va="center",
                color=colour if gid in reached else "#212529",
                fontweight="bold" if gid in shocked else "normal", zorder=5)
    for x, stage in enumerate(stage_list):
        ax.text(x, 1.0, stage.replace("_", " "), ha="left", fontsize=8.5, fontweight="bold")
    ax.set_xlim(-0.2, len(stage_list) - 0.1)
    ax.set_ylim(-tallest, 1.6)
    ax.axis("off")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return _to_svg(fig)


#: metrics tried, in order, for the headline chart of a run
HEADLINE_METRICS = ("availability", "output", "output_ratio", "inventory_days")
BAND_COLUMNS = ["t", "series", "p5", "p50", "p95"]


def headline_metric(ts: pd.DataFrame) -> str:
    """The metric :func:`band_frame` charts by default: the first of
    :data:`HEADLINE_METRICS` in the run's time series ("" for an empty series); ValueError
    if the series has none of them."""
    if ts.empty:
        return ""
    present = set(ts["metric"].astype(str).unique().tolist())
    for m in HEADLINE_METRICS:
        if m in present:
            return m
    raise ValueError(f"time series has none of the headline metrics {HEADLINE_METRICS}: "
                     f"{sorted(present)}")


def band_frame(ts: pd.DataFrame, *, metric: str | None = None, max_series: int = 6,
               labels: Callable[[str], str] | None = None,
               goods: Callable[[str], str] | None = None) -> pd.DataFrame:
    """A run's time series (the engine's long frame: day, economy, good, metric, p5, p50,
    p95) reduced to ``t, series, p5, p50, p95`` for :func:`band_timeseries`: one metric
    (:func:`headline_metric` unless given) and the *max_series* (economy, good) series that
    move most (lowest p5, ties in order of appearance). *labels* and *goods* name the
    economy and good of each series ("Korea: hydrogen fluoride"); ids when not given."""
    if ts.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    chosen = metric or headline_metric(ts)
    f = ts[ts["metric"].astype(str) == chosen]
    econ = f["economy"].astype(str)
    good = f["good"].astype(str)
    if labels is not None or goods is not None:
        e_map = {c: (labels(c) if labels else c) for c in econ.unique()}
        g_map = {g: (goods(g) if goods else g) for g in good.unique()}
        series = econ.map(e_map) + ": " + good.map(g_map)
    else:
        series = econ + " " + good
    out = pd.DataFrame({"t": f["day"].to_numpy(), "series": series.to_numpy(),
                        "p5": f["p5"].to_numpy(), "p50": f["p50"].to_numpy(),
                        "p95": f["p95"].to_numpy()})
    worst = out.groupby("series", sort=False)["p5"].min().sort_values(kind="stable")
    keep = list(worst.index[:max_series])
    return out[out["series"].isin(keep)].reset_index(drop=True)


#: what each engine metric is, with its unit (the y axis of a run's chart)
METRIC_LABELS = {
    "availability": "availability (share of normal supply, 1 = normal)",
    "output": "output (share of normal output, 1 = normal)",
    "output_ratio": "output (share of normal output, 1 = normal)",
    "inventory_days": "inventory (days of normal use)",
}


def metric_label(metric: str) -> str:
    """Axis label with unit of an engine metric; KeyError for a metric without one."""
    try:
        return METRIC_LABELS[metric]
    except KeyError:
        raise KeyError(f"no axis label with a unit for metric '{metric}': add it to "
                       "METRIC_LABELS") from None


@_locked
def band_timeseries(frame: pd.DataFrame, *, x: str = "t", series: str | None = "series",
                    median: str = "p50", low: str = "p5", high: str = "p95",
                    title: str = "", ylabel: str = "", xlabel: str = "",
                    start: dt.date | None = None, runs: int | None = None) -> str:
    """Median lines with p5-p95 bands, one per value of *series* (or one if None).

    With *start*, *x* holds day offsets from that date and the axis shows dates; with
    *runs* the legend says what the bands are ("shaded: p5-p95 over N runs")."""
    if frame.empty:
        return empty_svg(f"{title}: no data" if title else "no data")
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    fig, ax = _figure((7.6, 3.4))
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    for i, (name, g) in enumerate(groups[: len(_PALETTE)]):
        g = g.sort_values(x)
        colour = _PALETTE[i % len(_PALETTE)]
        xs = (pd.Timestamp(start) + pd.to_timedelta(g[x].astype(float), unit="D")
              if start is not None else g[x])
        if low in g and high in g:
            ax.fill_between(xs, g[low], g[high], color=colour, alpha=0.18, lw=0)
        ax.plot(xs, g[median], color=colour, lw=1.6,
                label=("median" if name is None else f"{name} (median)"))
    band = (f"shaded: p5-p95 over {runs} runs" if runs is not None
            else "shaded: p5-p95 over the runs")
    handles, names = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="#868e96", alpha=0.3, lw=0))
    names.append(band)
    ax.legend(handles, names, fontsize=7, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    if start is not None:
        loc = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.set_xlabel(xlabel or ("date" if start is not None else x))
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(axis="y", lw=0.3, alpha=0.6)
    if title:
        ax.set_title(f"{title}  (line: median; band: p5-p95)", loc="left", fontsize=10)
    return _to_svg(fig)


@_locked
def diversion_bars(frame: pd.DataFrame, *, label: str = "supplier", value: str = "change",
                   title: str = "",
                   xlabel: str = "change in share of supply (percentage points)") -> str:
    """Horizontal bars of trade diversion: gains right (green), losses left (red)."""
    if frame.empty:
        return empty_svg(f"{title}: no data" if title else "no data")
    f = frame.sort_values(value)
    fig, ax = _figure((6.0, 0.3 * len(f) + 1.2))
    colours = ["#2b8a3e" if v >= 0 else "#c92a2a" for v in f[value]]
    ax.barh([str(s) for s in f[label]], f[value], color=colours)
    ax.axvline(0, color="#212529", lw=0.6)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return _to_svg(fig)


@_locked
def documented_vs_simulated(frame: pd.DataFrame, *, label: str = "label",
                            documented: str = "documented", simulated: str = "simulated",
                            title: str = "",
                            xlabel: str = "relative change (fraction)") -> str:
    """One row per outcome: the documented relative change (black circle) and the
    simulated median (orange diamond), joined by a line; rows without a simulated value
    show the documented point only."""
    f = frame.dropna(subset=[documented])
    if f.empty:
        return empty_svg(f"{title}: no data" if title else "no data")
    fig, ax = _figure((7.0, 0.32 * len(f) + 1.3))
    ys = list(range(len(f)))[::-1]
    for y, d, s in zip(ys, f[documented], f[simulated], strict=True):
        if pd.notna(s):
            ax.plot([d, s], [y, y], color="#adb5bd", lw=1.2, zorder=1)
    ax.scatter(f[documented], ys, color="#212529", s=22, label="documented", zorder=2)
    sim = f[simulated].notna().to_numpy()
    ax.scatter(f[simulated][sim], [y for y, ok in zip(ys, sim, strict=True) if ok],
               color="#e8590c", marker="D", s=22, label="simulated (median)", zorder=3)
    ax.set_yticks(ys)
    ax.set_yticklabels([str(v) for v in f[label]], fontsize=7)
    ax.axvline(0, color="#212529", lw=0.6)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7, frameon=False, loc="lower center", ncol=2,
              bbox_to_anchor=(0.5, 1.0))
    if title:
        ax.set_title(title, loc="left", fontsize=10, pad=18)
    return _to_svg(fig)


@_locked
def line_chart(frame: pd.DataFrame, *, x: str = "year", y: str = "value",
               series: str | None = "series", title: str = "", ylabel: str = "",
               xlabel: str = "") -> str:
    """Plain lines of *y* against *x*, one per value of *series* (e.g. index trends)."""
    if frame.empty:
        return empty_svg(f"{title}: no data" if title else "no data")
    fig, ax = _figure((7.0, 3.0))
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    for i, (name, g) in enumerate(groups[: len(_PALETTE)]):
        g = g.sort_values(x)
        ax.plot(g[x], g[y], color=_PALETTE[i % len(_PALETTE)], lw=1.6, marker="o", ms=2.5,
                label=None if name is None else str(name))
    if series is not None and len(groups) > 1:
        ax.legend(fontsize=7, frameon=False, loc="best")
    ax.set_xlabel(xlabel or x)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(axis="y", lw=0.3, alpha=0.6)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return _to_svg(fig)


#: indices on a 0-100 scale and shares on a 0-1 scale are drawn in separate panels
SHARE_INDICES = frozenset({"gl"})


@_locked
def index_panels(long: pd.DataFrame, breaks: pd.DataFrame | None = None, *,
                 label: Callable[[str, str, str], str] | None = None,
                 index_unit: str = "index (0-100)",
                 share_unit: str = "Grubel-Lloyd index (0-1)") -> str:
    """Trend lines of :func:`econsec.analysis.trade.compare` rows (``year, economy_a,
    economy_b, index, value``): indices on a 0-100 scale in the top panel, 0-1 shares
    (:data:`SHARE_INDICES`) in a bottom panel, each series its own colour and line style;
    the significant breaks of *breaks* (:func:`econsec.analysis.trade.index_breaks`)
    marked on their series (a ring at the break year) and their direction given in the
    series' legend entry."""
    if long.empty:
        return empty_svg("no data")
    shares = long[long["index"].isin(SHARE_INDICES)]
    hundreds = long[~long["index"].isin(SHARE_INDICES)]
    panels = [(f, u) for f, u in ((hundreds, index_unit), (shares, share_unit)) if not f.empty]
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(_RC)  # type: ignore[arg-type]
    fig = Figure(figsize=(7.8, 2.9 * len(panels) + 0.4))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    # one colour per pair, one line style per index (distinct at a glance)
    styles = ("-", "--", "-.", ":")
    keys = list(dict.fromkeys(zip(long["economy_a"], long["economy_b"], long["index"],
                                  strict=True)))
    pairs = list(dict.fromkeys((a, b) for a, b, _ in keys))
    indices = list(dict.fromkeys(i for _, _, i in keys if i not in SHARE_INDICES))
    colour = {k: _PALETTE[pairs.index((k[0], k[1])) % len(_PALETTE)] for k in keys}
    style = {k: styles[indices.index(k[2]) % len(styles)] if k[2] in indices else "-"
             for k in keys}
    sig = (breaks[breaks["significant"].astype(bool)] if breaks is not None
           and not breaks.empty else None)
    for ax, (frame, unit) in zip(axes, panels, strict=True):
        for key, g in frame.groupby(["economy_a", "economy_b", "index"], sort=False):
            g = g.sort_values("year")
            k = (str(key[0]), str(key[1]), str(key[2]))
            name = label(*k) if label else f"{k[0]}-{k[1]} {k[2]}"
            hit = (sig[(sig["economy_a"] == k[0]) & (sig["economy_b"] == k[1])
                       & (sig["index"] == k[2])] if sig is not None else None)
            marks = []
            if hit is not None:
                for _, b in hit.iterrows():
                    y = g.loc[g["year"] == b["break_year"], "value"]
                    if y.empty:
                        continue
                    # the break on its series: a ring at the break year, the direction in
                    # the legend (labels on the plot would overlap when breaks coincide)
                    ax.plot([int(b["break_year"])], [float(y.iloc[0])], "o", ms=7,
                            mfc="none", mec=colour[k], mew=1.4, zorder=4)
                    marks.append(f"break {int(b['break_year'])}: {b['direction']}")
            ax.plot(g["year"], g["value"], color=colour[k], ls=style[k], lw=1.5,
                    marker="o", ms=2.2, label=name + (f"\n   ({'; '.join(marks)})"
                                                      if marks else ""))
        ax.set_ylabel(unit)
        ax.grid(axis="y", lw=0.3, alpha=0.6)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1].set_xlabel("year")
    return _to_svg(fig)

