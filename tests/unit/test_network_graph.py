"""SupplyNetwork.to_networkx on the tiny world, counted by hand from its CSV files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from econsec import analysis
from econsec.data.world import load_world
from econsec.errors import MissingExtraError

# tests/fixtures/tiny_world: world_shares ore CHN 1.0; chem JPN 0.8, CHN 0.2; chip KOR 0.6,
# JPN 0.4; phone CHN 0.5, KOR 0.5. Supply graph ore->chem 0.5, chem->chip 0.2,
# chip->phone 0.4. Bilateral: KOR buys chem from JPN 0.9, CHN 0.1.
# Production nodes = the (producer, good) pairs with a positive share: 1 + 2 + 2 + 2 = 7.
NODES = {("CHN", "ore"), ("JPN", "chem"), ("CHN", "chem"), ("KOR", "chip"), ("JPN", "chip"),
         ("CHN", "phone"), ("KOR", "phone")}
# Edges: one per input supplier of each node's input good:
#   (CHN|JPN, chem) <- ore from CHN: 2; (KOR, chip) <- chem from JPN, CHN (bilateral): 2;
#   (JPN, chip) <- chem from JPN, CHN (world shares): 2; (CHN|KOR, phone) <- chip from
#   KOR, JPN: 4.  Total 10.
N_EDGES = 10


def _graph(tiny_world_path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("networkx", reason="networkx not installed (extra econsec[network])")
    w = load_world(tiny_world_path)
    return analysis.network(w).to_networkx(w)


def test_nodes_and_edges_counted_by_hand(tiny_world_path: Path) -> None:
    g = _graph(tiny_world_path)
    assert set(g.nodes) == NODES
    assert g.number_of_edges() == N_EDGES
    assert ("ROW", "ore") not in g  # every good has world shares summing to 1 here


def test_node_attributes(tiny_world_path: Path) -> None:
    phone = _graph(tiny_world_path).nodes[("CHN", "phone")]
    assert phone["economy_name"] == "China" and phone["good_name"] == "Phone"
    assert phone["world_share"] == 0.5 and phone["world_share_year"] == 2024
    assert phone["world_share_sources"] == ["t_fixture"]
    # goods.csv: phone market 100 USD bn -> China's output 0.5 x 100 = 50
    assert phone["output_usd_bn"] == pytest.approx(50.0)
    # value added = 1 - cost share of chips 0.4
    assert phone["value_added_share"] == pytest.approx(0.6)
    # no market size for chem: no output value rather than a made-up one
    assert "output_usd_bn" not in _graph(tiny_world_path).nodes[("JPN", "chem")]


def test_edge_attributes_and_units(tiny_world_path: Path) -> None:
    g = _graph(tiny_world_path)
    # Korea's chip makers buy chem from Japan: cost share 0.2 x import share 0.9 = 0.18
    e = g.edges[("JPN", "chem"), ("KOR", "chip")]
    assert e["cost_share"] == 0.2 and e["supply_share"] == pytest.approx(0.9)
    assert e["coefficient"] == pytest.approx(0.18)
    assert e["basis"] == "import shares" and e["sources"] == ["t_fixture"]
    # Japan's chip makers buy chem on the world market: 0.2 x China's world share 0.2
    e = g.edges[("CHN", "chem"), ("JPN", "chip")]
    assert e["coefficient"] == pytest.approx(0.04) and e["basis"] == "world-share proxy"
    assert not g.has_edge(("CHN", "ore"), ("KOR", "chip"))  # ore is not a chip input
    assert {"coefficient", "world_share", "output_usd_bn"} <= set(g.graph["units"])


def test_without_networkx_the_extra_is_named(tiny_world_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "networkx", None)  # import networkx -> ImportError
    net = analysis.network(load_world(tiny_world_path))
    with pytest.raises(MissingExtraError, match=r"pip install 'econsec\[network\]'"):
        net.to_networkx()
