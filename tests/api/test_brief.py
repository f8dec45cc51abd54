"""The brief report: self-contained HTML and Markdown with plots and sources; the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.app import app
from econsec.data.world import World, load_world
from econsec.reports import html as brief_html
from econsec.reports.document import BriefDoc
from econsec.reports.trends import TradePanel, pair_trends


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


@pytest.fixture
def doc(brief_doc: BriefDoc) -> BriefDoc:
    """The session's brief (tests/conftest.py: built-in world, 10 runs, seed 0)."""
    return brief_doc


def test_html_is_self_contained_and_cites_every_figure(doc: BriefDoc) -> None:
    page = brief_html.render_html(doc)
    assert "<script" not in page and "<link" not in page and "<img" not in page
    # the only URLs are citation links, in-page anchors and inline data (heat map raster)
    for m in re.finditer(r'(src|href)="([^"]+)"', page):
        attr, url = m.groups()
        assert attr == "href", url
        assert url.startswith(("#", "http", "data:image/png;base64,")), url[:40]
    for url in re.findall(r'<a href="(http[^"]+)"', page):
        assert any(url == u for _, u in doc.sources.values()), url
    figures = re.findall(r'<figure id="fig-([^"]+)">(.*?)</figure>', page, re.S)
    keys = {k for k, _ in figures}
    assert {"exposure_heatmap", "network"} <= keys
    for key, body in figures:
        assert "<svg" in body, key
        caption = body.split("<figcaption>")[1]
        assert ".." not in caption.split("Sources:")[0], key  # one full stop per note
        cited = re.findall(r'href="#src-([^"]+)"', caption)
        assert cited, f"figure {key} has no source"
        for sid in cited:
            assert f'id="src-{sid}"' in page, sid
    assert "Mutual leverage" in page and "Sources</h2>" in page


def test_mutual_leverage_sums_the_chokepoint_table(world: World) -> None:
    from econsec import analysis

    chk = analysis.chokepoints("TRILATERAL", "CHN", world)
    ml = brief_html.mutual_leverage(chk, "TRILATERAL", "CHN").set_index("holder")
    exp = chk[chk["direction"] == "exposure"]
    assert ml.loc["CHN", "chokepoints"] == len(exp)
    assert ml.loc["CHN", "total_score"] == pytest.approx(exp["score"].sum())
    lev = chk[chk["direction"] == "leverage"]
    assert ml.loc["TRILATERAL", "value_at_stake_usd_bn"] == pytest.approx(
        lev["value_at_stake_usd_bn"].sum())
    assert ml.loc["CHN", "top_goods"].split(", ")[0] == exp.sort_values(
        "score", ascending=False)["good"].iloc[0]


def test_replays_and_forward_scenario_with_bands(doc: BriefDoc) -> None:
    sec = next(s for s in doc.sections if s.title.startswith("Replays"))
    keys = {f.key for f in sec.figures}
    assert "run_jpn_kor_2019" in keys and "div_jpn_kor_2019" in keys
    assert "replay_outcomes" in keys  # documented vs simulated, every replay in one plot
    runs = next(t.frame for t in sec.tables if t.title == "Runs shown")
    assert {"replay", "forward"} <= set(runs["kind"])
    assert (runs["runs"] == 10).all()  # the session's brief: BRIEF_RUNS in tests/conftest.py
    jk = next(f for f in sec.figures if f.key == "run_jpn_kor_2019")
    assert "p5-p95" in jk.svg
    assert "p_meti_2019_wto_consult" in jk.sources or any(
        s.startswith("p_") for s in jk.sources)
    outcomes = [t for t in sec.tables if "documented vs simulated" in t.title]
    assert outcomes and outcomes[0].frame["url"].str.startswith("http").all()
    jk_out = next(t.frame for t in outcomes if t.title.startswith("jpn_kor_2019"))
    hf = jk_out[(jk_out["metric"] == "imports") & jk_out["period"].str.startswith("2019-07")]
    # documented -84 % in July 2019; simulated: licences after 56-134 days, none in July
    assert hf["documented"].iloc[0] == pytest.approx(-0.84)
    assert -1.0 <= hf["simulated"].iloc[0] <= -0.6 and bool(hf["direction matches"].iloc[0])


def test_trends_section_with_a_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    flows = pd.DataFrame({
        "year": [2000] * 4 + [2001] * 4,
        "exporter": ["KOR", "KOR", "CHN", "CHN"] * 2,
        "importer": ["CHN", "USA", "KOR", "USA"] * 2,
        "product": ["a", "b", "a", "b", "a", "b", "b", "a"],
        "value": [10.0, 5.0, 3.0, 8.0, 10.0, 5.0, 4.0, 9.0]})
    panel = TradePanel("baci", "flows", "synthetic.csv", "test", flows)
    monkeypatch.setattr("econsec.reports.trends.find_trade_panel", lambda db=None: panel)
    monkeypatch.setattr(brief_html, "_compare_pairs", lambda db: None)
    sec = brief_html._trends_section(None)
    assert not sec.notes and sec.figures[0].sources == ["trade_panel_baci"]
    got = sec.tables[0].frame.drop(columns="source")
    pd.testing.assert_frame_equal(got, pair_trends(flows))


def test_trends_note_without_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("econsec.reports.trends.find_trade_panel", lambda db=None: None)
    monkeypatch.setattr(brief_html, "_compare_pairs", lambda db: None)
    sec = brief_html._trends_section(None)
    assert sec.figures == [] and "no trade panel" in sec.notes[0]


def test_markdown_writes_svgs_beside(doc: BriefDoc, tmp_path: Path) -> None:
    from econsec.reports.markdown import render_markdown

    text = render_markdown(doc, tmp_path, "brief")
    links = re.findall(r"!\[[^\]]*\]\((brief_figures/[^)]+\.svg)\)", text)
    assert len(links) == sum(len(s.figures) for s in doc.sections) >= 2
    for link in links:
        assert (tmp_path / link).read_text().startswith("<svg")
    assert "## Sources" in text and "| good |" in text


def test_cli_brief_out_and_terminal(tmp_path: Path, shared_brief: BriefDoc,
                                    terminal_brief: Any) -> None:
    runner = CliRunner()
    out = tmp_path / "b.md"
    r = runner.invoke(app, ["brief", "--format", "md", "--out", str(out), "--runs", "3"])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("# econsec brief: TRILATERAL against CHN")
    assert (tmp_path / "b_figures" / "exposure_heatmap.svg").is_file()
    r = runner.invoke(app, ["brief", "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2
    r = terminal_brief  # `econsec brief`, run once per session
    assert r.exit_code == 0 and "econsec brief" in r.output and "Sources" in r.output


def test_trends_from_trade_analysis_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows shaped as econsec.trade_analysis.compare returns are charted and tabulated."""
    long = pd.DataFrame({"year": [2000, 2001, 2000, 2001], "economy_a": ["KOR"] * 4,
                         "economy_b": ["CHN"] * 4,
                         "index": ["tci_a_to_b", "tci_a_to_b", "esi", "esi"],
                         "value": [55.0, 50.0, 30.0, 38.0]})
    monkeypatch.setattr(brief_html, "_compare_pairs", lambda db: ("wiod", long))
    sec = brief_html._trends_section(None)
    table = sec.tables[0].frame.set_index("year")
    assert table.loc[2001, "esi"] == 38.0 and table.loc[2000, "tci_a_to_b"] == 55.0
    assert sec.figures[0].sources == ["trade_panel_wiod"]
    assert "KOR-CHN esi" in sec.figures[0].svg  # ids: no world given for names


def test_documented_vs_simulated_plot_marks_both_points() -> None:
    from econsec.reports.figures import documented_vs_simulated

    frame = pd.DataFrame({"label": ["a: imports", "b: exports"],
                          "documented": [-0.84, -0.5], "simulated": [-0.9, float("nan")]})
    svg = documented_vs_simulated(frame)
    assert svg.startswith("<svg") or "<svg" in svg[:400]
    assert "a: imports" in svg and "b: exports" in svg and "simulated (median)" in svg
    assert "no data" in documented_vs_simulated(frame.iloc[0:0])


def test_brief_opens_with_key_findings(doc: BriefDoc, tmp_path: Path) -> None:
    from econsec.reports.markdown import render_markdown

    first = doc.sections[0]
    assert first.title == "Key findings" and 5 <= len(first.findings) <= 8
    for f in first.findings:
        assert re.search(r"\d", f.text) and f.year and f.source_ids, f.text
        assert all(s in doc.sources for s in f.source_ids), f.source_ids
    texts = " ".join(f.text for f in first.findings)
    # the replay sentence quotes the validation skill, not a calibration-inclusive count
    skill = next(t.frame for s in doc.sections for t in s.tables
                 if t.title.startswith("Replay skill: validation"))
    row = skill.set_index("scenario").loc["all"]
    assert (f"right for {int(row['direction right'])} of {int(row['validation outcomes'])} "
            "validation outcomes") in texts
    assert "chn_full_ban_trilateral" not in texts and "Full Chinese ban" in texts
    md = render_markdown(doc, tmp_path, "b").splitlines()
    heads = [line for line in md if line.startswith("## ")]
    assert heads[0] == "## Key findings"
    bullets = [line for line in md if line.startswith("- ") and "[^" in line]
    assert len(bullets) == len(first.findings)
    page = brief_html.render_html(doc)
    assert page.index("Key findings") < page.index("Exposure and chokepoints")
    by_outcome = next(t.frame for s in doc.sections for t in s.tables
                      if t.title == "Replay skill by outcome")
    assert "calibration \u2014 not counted" in set(by_outcome["counted"])
    # each row says what its documented change counts (the scenario files' unit: lines):
    # July 2019 HF imports in tonnes, Japan's share of them as a share
    hf = by_outcome[by_outcome["replay"] == "jpn_kor_2019"].set_index("period")["unit"]
    assert hf["2019-07 vs 2019-06 (tonnes)"] == "tonnes"
    assert set(hf[hf.index.str.startswith("Japan's share")]) == {"share"}


def test_every_figure_has_title_axes_with_units_and_sources(doc: BriefDoc) -> None:
    import xml.etree.ElementTree as ET

    svg_ns = "{http://www.w3.org/2000/svg}"
    for sec in doc.sections:
        for f in sec.figures:
            assert f.title and f.sources, f.key
            assert all(s in doc.sources for s in f.sources), f.key
            if f.key == "network":  # a layered diagram: no axes
                continue
            assert f.axes, f"figure {f.key} declares no axis labels"
            texts = {t.text or "" for t in ET.fromstring(f.svg).iter(f"{svg_ns}text")}
            for label in f.axes:
                assert label in texts, (f.key, label)  # drawn, not cut
                assert label in ("year", "date") or re.search(r"\(.+\)", label), (f.key,
                                                                                   label)


def test_scenarios_run_side_by_side_give_the_same_section(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # the brief's replays and forward scenario, each on a worker process (auto: one per
    # CPU, here 2), give the section the same tables, figures, notes, skill and digest as
    # one after the other in this process
    from simhelpers import count_workers

    here, skill_here, digest_here = brief_html._scenario_section(world, 2, 1, 1)
    opened = count_workers(monkeypatch, cpus=2)
    apart, skill_apart, digest_apart = brief_html._scenario_section(world, 2, 1, None)
    assert opened == [2]
    assert apart.notes == here.notes and len(here.tables) > 3
    assert [t.title for t in apart.tables] == [t.title for t in here.tables]
    for a, b in zip(apart.tables, here.tables, strict=True):
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)

    def drawn(sec: Any) -> list[tuple[str, str]]:  # matplotlib draws random ids (p..., m...)
        return [(f.key, re.sub(r"\b[pm][0-9a-f]{10}\b", "id", f.svg)) for f in sec.figures]

    assert drawn(apart) == drawn(here) and len(here.figures) > 3
    pd.testing.assert_frame_equal(skill_apart.outcomes, skill_here.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(digest_apart.summary, digest_here.summary,
                                  check_exact=True)
    assert ({k: v for k, v in vars(digest_apart).items() if k != "summary"}
            == {k: v for k, v in vars(digest_here).items() if k != "summary"})
