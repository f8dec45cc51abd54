"""docs/walkthrough.ipynb, executed with nbclient in a Jupyter kernel of the running
interpreter, runs end to end, and what its cells show is right.

The kernel: ipykernel writes a kernel spec whose command is this interpreter
(``sys.executable``) into a temporary folder named by ``JUPYTER_PATH``, so the test never
depends on a kernel installed in the user's Jupyter folders (``ipykernel install --user``)
nor on which ``python`` is first on PATH. The tables are read from the cells' HTML outputs
(what an analyst sees) and checked against the raw CSV and YAML files, read here with the
csv and yaml modules, not with econsec."""

from __future__ import annotations

import csv
import json
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "walkthrough.ipynb"
WORLD = ROOT / "src" / "econsec" / "data" / "world"
SCENARIOS = ROOT / "src" / "econsec" / "data" / "scenarios"
REPLAY = SCENARIOS / "jpn_kor_2019.yaml"
FORWARD = SCENARIOS / "chn_full_ban_trilateral.yaml"
KERNEL = "econsec-walkthrough"
CELL_TIMEOUT_S = 600  # the forward scenario's cell takes ~20 s on a busy 2-core machine

pytestmark = pytest.mark.slow

# Run in the notebook's kernel after its cells: what the outputs cannot show (a figure is
# a PNG) printed as JSON.
PROBE = """
import json
(_ax,) = figure.axes
print(json.dumps({
    "title": _ax.get_title(loc="left"), "xlabel": _ax.get_xlabel(),
    "ylabel": _ax.get_ylabel(), "first_date": str(_ax.lines[0].get_xdata()[0]),
    "caption": [t.get_text() for t in _ax.texts],
    "legend": sorted(t.get_text() for t in _ax.get_legend().get_texts()),
    "worst": [str(worst["economy"]), str(worst["good"])],
    "network_nodes": len(net.nodes), "network_edges": int(net.a.nnz),
}))
"""


class _Tables(HTMLParser):
    """The cells of every <table> of an HTML fragment (pandas' ``_repr_html_``): per table
    the header row and the body rows, each a list of cell texts (index first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table(cell: Any) -> list[dict[str, str]]:
    """The DataFrame a code cell shows as its value, as rows of column -> text."""
    (html,) = [o["data"]["text/html"] for o in cell["outputs"]
               if o["output_type"] == "execute_result" and "text/html" in o["data"]]
    parser = _Tables()
    parser.feed(html)
    (table,) = parser.tables
    header, *rows = table
    assert rows, "the table shows no rows"
    return [dict(zip(header[1:], row[1:], strict=True)) for row in rows]


def _stdout(cell: Any) -> str:
    return "".join(o["text"] for o in cell["outputs"]
                   if o["output_type"] == "stream" and o["name"] == "stdout")


def _latest_hf_row() -> dict[str, str]:
    """Japan's row of Korea's hydrogen-fluoride imports in the latest year of the raw
    bilateral table."""
    with (WORLD / "bilateral.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if (r["importer"], r["good"]) == ("KOR", "hydrogen_fluoride")]
    year = max(int(r["year"]) for r in rows)
    (jpn,) = [r for r in rows if int(r["year"]) == year and r["supplier"] == "JPN"]
    return jpn


def _name(table: str, key: str, value: str) -> str:
    """The ``name`` of *value* in the world's *table* (goods.csv, economies.csv), without
    a trailing parenthesis ("Lithium-ion battery cells (...)" -> its first part)."""
    with (WORLD / table).open(encoding="utf-8") as fh:
        (name,) = [r["name"] for r in csv.DictReader(fh) if r[key] == value]
    return name.split(" (", 1)[0]


def _publisher(source_id: str) -> str:
    for path in sorted(WORLD.glob("sources_*.csv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["source_id"] == source_id:
                    return row["publisher"]
    raise AssertionError(f"{source_id} is in no sources_*.csv")


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The notebook executed cell by cell: its cells by id, and the probe's JSON."""
    nbclient = pytest.importorskip(
        "nbclient", reason="executing the notebook needs nbclient (pip install -e '.[dev]')")
    import nbformat
    from ipykernel.kernelspec import write_kernel_spec

    jupyter = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(jupyter / "kernels" / KERNEL)  # argv: [sys.executable, -m, ...]
    spec = json.loads((jupyter / "kernels" / KERNEL / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)  # raises on a file Jupyter would not open
    # the committed file: outputs stripped, a kernel any Jupyter offers (python3)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert nb.metadata.kernelspec.name == "python3"

    run_dir = tmp_path_factory.mktemp("run")
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S,
                                     startup_timeout=120,
                                     resources={"metadata": {"path": str(run_dir)}})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(jupyter))  # searched before the user's folders
        client.reset_execution_trackers()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            probe = nbformat.v4.new_code_cell(PROBE)
            nb.cells.append(probe)  # nbclient stores each executed cell in nb.cells
            client.execute_cell(probe, len(nb.cells) - 1)
            nb.cells.pop()
    return {"cells": {c.id: c for c in nb.cells}, "probe": json.loads(_stdout(probe))}


def test_exposure_and_its_sources_match_the_raw_tables(executed: dict[str, Any]) -> None:
    cells = executed["cells"]
    jpn_raw = _latest_hf_row()
    hf = {row["supplier"]: row for row in _table(cells["exposure"])}
    # Japan's share as in the raw table's latest year, the rest of the world the remainder
    # (the only other supplier that year); pandas shows 6 decimals at most
    assert set(hf) == {"JPN", "ROW"}
    assert float(hf["JPN"]["share"]) == pytest.approx(float(jpn_raw["share"]), abs=5e-7)
    assert hf["JPN"]["year"] == jpn_raw["year"]
    assert hf["JPN"]["source"] == jpn_raw["source"]
    assert float(hf["ROW"]["share"]) == pytest.approx(1 - float(jpn_raw["share"]), abs=5e-7)

    # the sources cell cites Japan's figure in full: publisher as in sources_*.csv
    sources = {row["source_id"]: row for row in _table(cells["sources"])}
    assert sources[jpn_raw["source"]]["publisher"] == _publisher(jpn_raw["source"])

    # look-through: the ten largest, largest first, shares between 0 and 1
    shares = [float(row["share"]) for row in _table(cells["lookthrough"])]
    assert len(shares) == 10 and shares == sorted(shares, reverse=True)
    assert all(0 < s <= 1 for s in shares)


def test_replay_shows_each_documented_outcome(executed: dict[str, Any]) -> None:
    outcomes = yaml.safe_load(REPLAY.read_text(encoding="utf-8"))["outcomes"]
    shown = _table(executed["cells"]["replay"])
    assert len(shown) == len(outcomes)
    for row, outcome in zip(shown, outcomes, strict=True):
        documented = outcome.get("magnitude")
        if documented is None:
            documented = sum(outcome["range"]) / 2
        assert (row["economy"], row["good"]) == (outcome["economy"], outcome["good"])
        assert float(row["documented_change"]) == pytest.approx(documented, abs=5e-7)
        assert row["source"] == f"{outcome['source']['publisher']} ({outcome['year']})"


def test_forward_scenario_lists_the_largest_losses_first(executed: dict[str, Any]) -> None:
    losses = _table(executed["cells"]["forward"])
    assert len(losses) == 8
    p50 = [float(row["loss_usd_bn_p50"]) for row in losses]
    assert p50 == sorted(p50, reverse=True) and p50[0] > 0
    # a loss of output over the horizon is at most the output over the horizon
    assert all(float(row["loss_usd_bn_p50"]) <= float(row["baseline_usd_bn"])
               for row in losses)


def test_network_and_figure(executed: dict[str, Any]) -> None:
    cells, probe = executed["cells"], executed["probe"]
    printed = _stdout(cells["network"])
    try:
        import networkx  # noqa: F401
    except ImportError:
        assert "pip install 'econsec[network]'" in printed
    else:
        # the graph has the network's nodes and one edge per nonzero input coefficient
        assert (f"{probe['network_nodes']} nodes, {probe['network_edges']} edges"
                in printed)
        assert len(printed.splitlines()) == 1 + 5  # the counts, then five suppliers

    # the figure is shown inline as a PNG; its title names the worst-hit good and its
    # economy in words, the time axis has dates from the scenario's start, both axes are
    # labelled, the legend has the band and the median, the caption cites the run
    (figure,) = [o for o in cells["figure"]["outputs"] if o["output_type"] == "execute_result"]
    assert "image/png" in figure["data"]
    economy, good = probe["worst"]
    assert _name("goods.csv", "good_id", good) in probe["title"]
    assert _name("economies.csv", "code", economy) in probe["title"]
    start = yaml.safe_load(FORWARD.read_text(encoding="utf-8"))["start"]
    assert probe["first_date"] == str(start)
    assert probe["xlabel"] == "date" and "share of baseline use" in probe["ylabel"]
    assert probe["legend"] == ["median", "p5-p95 over 5 runs"]
    (caption,) = probe["caption"]
    assert "chn_full_ban_trilateral (5 runs, seed 0)" in caption
