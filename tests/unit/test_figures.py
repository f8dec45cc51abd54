"""Figures: valid standalone SVG with the data drawn (labels, bar and band counts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from econsec.reports import figures

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    assert svg.startswith("<svg") and "<?xml" not in svg and "<metadata" not in svg
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_heatmap_labels_and_percentages() -> None:
    m = pd.DataFrame([[0.95, 0.0], [0.28, 0.5]], index=["JPN", "KOR"],
                     columns=["gallium", "graphite_natural"])
    root = _parse(figures.exposure_heatmap(m, "share from CHN"))
    texts = _texts(root)
    assert {"JPN", "KOR", "gallium", "graphite_natural"} <= set(texts)
    assert {"95%", "28%", "50%"} <= set(texts)
    assert "0%" not in texts  # zero cells are left blank


def test_shocked_paths_follow_edges_downstream() -> None:
    edges = pd.DataFrame({"input": ["a", "b", "c", "x"], "output": ["b", "c", "d", "y"]})
    reached, hot = figures.shocked_paths(edges, ["b"])
    assert reached == {"b", "c", "d"}
    assert hot == {("b", "c"), ("c", "d")}


def test_network_diagram_highlights_shocked_goods() -> None:
    goods = pd.DataFrame({"good_id": ["ore", "refined", "chip", "other"],
                          "stage": ["mineral", "refined_material", "component", "mineral"]})
    edges = pd.DataFrame({"input": ["ore", "refined"], "output": ["refined", "chip"]})
    svg = figures.network_diagram(goods, edges, ["mineral", "refined_material", "component"],
                                  shocked=["ore"])
    root = _parse(svg)
    assert {"ore", "refined", "chip", "other"} <= set(_texts(root))
    assert svg.count("#c92a2a") >= 3  # shocked node + two hot edges in red
    assert "#e8590c" in svg  # downstream goods in orange


def test_band_timeseries_draws_one_band_per_series() -> None:
    f = pd.DataFrame({"t": [0, 1, 2] * 2, "series": ["KOR chips"] * 3 + ["JPN HF"] * 3,
                      "p5": [1, 0.8, 0.9, 1, 1, 1], "p50": [1, 0.9, 0.95, 1, 1, 1],
                      "p95": [1, 1, 1, 1, 1, 1]})
    svg = figures.band_timeseries(f, title="replay")
    root = _parse(svg)
    assert "KOR chips (median)" in _texts(root) and "JPN HF (median)" in _texts(root)
    assert "shaded: p5-p95 over the runs" in _texts(root)  # the band's legend entry
    assert "p5-p95" in svg
    assert svg.count('id="FillBetweenPolyCollection') + svg.count('id="PolyCollection') == 2


def test_diversion_bars_signs_and_empty() -> None:
    f = pd.DataFrame({"supplier": ["CHN", "JPN", "TWN"], "change": [0.3, -0.5, 0.2]})
    svg = figures.diversion_bars(f, title="who gained")
    assert svg.count("#2b8a3e") == 2 and svg.count("#c92a2a") == 1
    assert "no data" in figures.diversion_bars(f.iloc[:0], title="x")


def test_line_chart_series() -> None:
    f = pd.DataFrame({"year": [2000, 2001, 2000, 2001], "value": [40, 50, 30, 20],
                      "series": ["KOR-CHN tci", "KOR-CHN tci", "KOR-CHN esi", "KOR-CHN esi"]})
    root = _parse(figures.line_chart(f, ylabel="index"))
    assert {"KOR-CHN tci", "KOR-CHN esi"} <= set(_texts(root))


def test_band_timeseries_dates_and_runs_in_legend() -> None:
    import datetime as dt

    # day offsets 0..120 from 2019-07-04: the axis shows months of 2019, not day numbers
    f = pd.DataFrame({"t": [0, 60, 120], "series": ["Korea: HF"] * 3, "p5": [1, 0.2, 0.5],
                      "p50": [1, 0.4, 0.7], "p95": [1, 0.6, 0.9]})
    root = _parse(figures.band_timeseries(f, start=dt.date(2019, 7, 4), runs=20,
                                          ylabel="availability (share, 1 = normal)"))
    texts = _texts(root)
    assert "shaded: p5-p95 over 20 runs" in texts and "date" in texts
    assert any("2019" in t for t in texts) and any(m in texts for m in ("Aug", "Sep", "Oct"))
    assert "120" not in texts  # no day offsets on the axis


def test_index_panels_split_scales_and_mark_breaks() -> None:
    long = pd.DataFrame({
        "year": [2000, 2001, 2002] * 2, "economy_a": ["KOR"] * 6, "economy_b": ["CHN"] * 6,
        "index": ["esi"] * 3 + ["gl"] * 3, "value": [30.0, 35.0, 50.0, 0.1, 0.2, 0.2]})
    breaks = pd.DataFrame({"economy_a": ["KOR", "KOR"], "economy_b": ["CHN", "CHN"],
                           "index": ["esi", "gl"], "break_year": [2002, 2001],
                           "significant": [True, False],
                           "direction": ["more competition", "higher"]})
    texts = _texts(_parse(figures.index_panels(long, breaks)))
    # two panels with their own scales; only the significant break is labelled
    assert "index (0-100)" in texts and "Grubel-Lloyd index (0-1)" in texts
    assert any("(break 2002: more competition)" in t for t in texts)  # in the legend
    assert not any("break 2001" in t for t in texts)
