"""docs/notebook_walkthrough.py (the notebook, as a jupytext percent script) runs end to
end, and what its cells show is right.

A real ``.ipynb`` executed with nbclient needs nbclient, nbformat and ipykernel, which are
not in the lock files; the script form runs with the project's own dependencies."""

from __future__ import annotations

import csv
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "notebook_walkthrough.py"
BILATERAL = ROOT / "src" / "econsec" / "data" / "world" / "bilateral.csv"

pytestmark = pytest.mark.slow


def _latest_hf_share() -> tuple[int, float]:
    """Japan's share of Korea's hydrogen-fluoride imports in the latest year of the raw
    bilateral table (read with the csv module, not with econsec)."""
    with BILATERAL.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if (r["importer"], r["good"]) == ("KOR", "hydrogen_fluoride")]
    year = max(int(r["year"]) for r in rows)
    (jpn,) = [float(r["share"]) for r in rows
              if int(r["year"]) == year and r["supplier"] == "JPN"]
    return year, jpn


def test_walkthrough_runs_and_shows_the_right_things(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    pytest.importorskip("matplotlib", reason="the figure cell needs econsec[report]")
    cells = runpy.run_path(str(SCRIPT), run_name="__main__")
    printed = capsys.readouterr().out

    # 1. exposure: Japan's share as in the raw table's latest year, the rest of the world
    #    the remainder (the only other supplier that year)
    year, jpn = _latest_hf_share()
    hf = cells["hf"].set_index("supplier")
    assert hf.loc["JPN", "share"] == pytest.approx(jpn)
    assert hf.loc["JPN", "year"] == year
    assert hf.loc["ROW", "share"] == pytest.approx(1 - jpn)
    assert hf["share"].sum() == pytest.approx(1.0)

    # 2. the replay: five runs, each documented outcome beside its simulated change
    replay = cells["replay"]
    assert replay.runs == 5 and replay.name == "jpn_kor_2019"
    assert len(replay.outcomes) > 0 and replay.outcomes["source"].notna().all()

    # 3. the forward scenario: 180 days, losses largest first
    losses = cells["losses"]
    assert cells["forward"].horizon_days == 180
    assert losses["loss_usd_bn_p50"].is_monotonic_decreasing

    # 4. the network: a graph of the network's nodes, or the named missing extra
    net, graph = cells["net"], cells["graph"]
    try:
        import networkx  # noqa: F401
    except ImportError:
        assert graph is None and "pip install 'econsec[network]'" in printed
    else:
        assert graph.number_of_nodes() == len(net.nodes)
        assert graph.number_of_edges() == net.a.nnz
        assert f"{len(net.nodes)} nodes" in printed

    # 5. the figure: one axes with a title naming the good, both axes labelled, a legend
    #    with the band and the median
    (ax,) = cells["figure"].axes
    worst = cells["worst"]
    assert str(worst["good"]) in ax.get_title(loc="left")
    assert "days from" in ax.get_xlabel() and "availability" in ax.get_ylabel()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"median",
                                                                   "p5-p95 over 5 runs"}
