"""The (economy x good) supply network built from world shares, import shares and the
supply graph.

Supply mix M[c, g, s]: the share of economy c's supply of good g that comes from
producer economy s.
  * where import shares b[c, g, s] are known (bilateral table):
    M[c, g, s] = d[c, g] 1[s = c] + (1 - d[c, g]) b[c, g, s], with the domestic share
    d[c, g] = p[c, g], c's share of world supply (pooled-market assumption);
  * otherwise M[c, g, s] = p[s, g] (c buys from the world market in proportion to world
    supply: the "proportionality assumption" standard in MRIO construction, e.g.
    Lenzen et al. 2013, Economic Systems Research 25(1));
  * where a domestic supply share D[c, g] is recorded (own output, including recycling,
    as a share of use), it replaces c's own share and the other suppliers are rescaled:
    M'[c, g, c] = D[c, g], M'[c, g, s] = (1 - D[c, g]) M[c, g, s] / (1 - M[c, g, c]).

Production node (s, g) uses input h with cost share w[h, g] (supply graph), bought with
s's supply mix, so the technical coefficient from node (t, h) is
    A[(t, h), (s, g)] = w[h, g] M[s, h, t],
and its value added v[(s, g)] = 1 - sum_h w[h, g] is attributed to economy s.
Goods with no world-share figure are attributed to ``ROW`` (origin unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

if TYPE_CHECKING:
    from econsec.data.world import World

#: units of the attributes of :meth:`SupplyNetwork.to_networkx` (also ``G.graph["units"]``)
GRAPH_UNITS = {
    "world_share": "fraction of world supply of the good (0-1)",
    "value_added_share": "value added per USD of output (1 - sum of input cost shares)",
    "output_usd_bn": "USD bn a year: world_share x the good's world market size "
                     "(market_year)",
    "coefficient": "USD of the input per USD of the output: A = cost_share x supply_share",
    "cost_share": "fraction of the output good's cost spent on the input good (w[h, g])",
    "supply_share": "fraction of the buyer's supply of the input from this supplier "
                    "(M[s, h, t])",
}


@dataclass(frozen=True)
class SupplyNetwork:
    """Nodes, technical coefficients and supply mixes of an (economy x good) network."""

    nodes: pd.DataFrame  # columns economy, good; index = node number
    a: sp.csc_matrix  # (n, n) technical coefficients between production nodes
    v: npt.NDArray[np.float64]  # (n,) value added per unit of output
    mix: pd.DataFrame  # columns buyer, good, supplier, share, basis
    #: the tables it was built from (world_shares, import_shares, edges, domestic), for
    #: the figures' sources in :meth:`to_networkx`
    inputs: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False,
                                               compare=False)

    @property
    def economies(self) -> list[str]:
        return sorted(set(self.nodes["economy"]))

    def node_index(self) -> dict[tuple[str, str], int]:
        return {(e, g): i for i, (e, g) in enumerate(zip(self.nodes["economy"],
                                                         self.nodes["good"], strict=True))}

    def to_networkx(self, world: World | None = None) -> Any:
        """The network as a :class:`networkx.DiGraph` (needs the ``network`` extra:
        ``pip install 'econsec[network]'``; :class:`~econsec.errors.MissingExtraError`
        without it).

        Nodes are ``(economy, good)`` production nodes with attributes ``economy``,
        ``good``, ``world_share`` p[s, g] (with ``world_share_basis``: recorded, or why
        the model takes 0 or 1; ``world_share_year`` and ``world_share_sources``),
        ``value_added_share`` v and, given *world*, ``economy_name``, ``good_name`` and
        ``output_usd_bn`` = p[s, g] x the good's world market size (only where both are
        recorded).  An edge
        ``(t, h) -> (s, g)`` is an input h that producer s of g buys from t, with
        ``coefficient`` A[(t, h), (s, g)] = ``cost_share`` w[h, g] x ``supply_share``
        M[s, h, t] (module docstring), ``basis`` of the supply share and ``sources``:
        the source ids of the supply-graph edge and of the share.  Units of every
        numeric attribute are in ``G.graph["units"]`` (:data:`GRAPH_UNITS`).
        """
        try:
            import networkx as nx
        except ImportError:
            from econsec.errors import MissingExtraError

            raise MissingExtraError("SupplyNetwork.to_networkx", "networkx",
                                    "network") from None
        src = _SourceIndex(self.inputs)
        names = _names(world)
        graph = nx.DiGraph(units=dict(GRAPH_UNITS),
                           formula="A[(t, h), (s, g)] = w[h, g] * M[s, h, t]")
        for i, (e, g) in enumerate(zip(self.nodes["economy"], self.nodes["good"],
                                       strict=True)):
            attrs: dict[str, Any] = {"economy": e, "good": g,
                                     "value_added_share": float(self.v[i]),
                                     **src.node(str(e), str(g))}
            if names is not None:
                attrs["economy_name"] = names["economy"].get(e, e)
                attrs["good_name"] = names["good"].get(g, g)
                market = names["market"].get(g)
                if market is not None and attrs["world_share_basis"] == "recorded":
                    attrs["output_usd_bn"] = attrs["world_share"] * market
            graph.add_node((e, g), **attrs)
        mix = {(b, g, s): (float(x), str(basis)) for b, g, s, x, basis in zip(
            self.mix["buyer"], self.mix["good"], self.mix["supplier"], self.mix["share"],
            self.mix["basis"], strict=True)}
        a = self.a.tocoo()
        econ, good = self.nodes["economy"].to_numpy(), self.nodes["good"].to_numpy()
        for r, c, value in sorted(zip(a.row.tolist(), a.col.tolist(), a.data.tolist(),
                                      strict=True)):
            t, h, s, g = str(econ[r]), str(good[r]), str(econ[c]), str(good[c])
            share, basis = mix[(s, h, t)]
            graph.add_edge((t, h), (s, g), coefficient=float(value),
                           cost_share=src.cost_share(h, g), supply_share=share,
                           basis=basis, sources=src.edge(s, h, t, g, basis))
        return graph


def supply_mix(
    world_shares: pd.DataFrame,
    import_shares: pd.DataFrame,
    buyers: list[str],
    goods: list[str],
    domestic: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """M[c, g, s] for every buyer c and good g (columns buyer, good, supplier, share, basis).

    *world_shares*: good, economy, share (latest, summing to 1 per good with ROW).
    *import_shares*: importer, good, supplier, share (latest, summing to 1 per pair).
    *domestic*: economy, good, share: recorded domestic supply shares D (module docstring).
    """
    ws = world_shares[["good", "economy", "share"]]
    known_goods = set(ws["good"])
    missing = [g for g in goods if g not in known_goods]
    if missing:
        ws = pd.concat(
            [ws, pd.DataFrame({"good": missing, "economy": "ROW", "share": 1.0})],
            ignore_index=True,
        )
    pooled = ws.rename(columns={"economy": "supplier"})
    bil = import_shares[["importer", "good", "supplier", "share"]]
    bil = bil[bil["importer"].isin(buyers)]
    # one frame per part, all buyers at once, in the order the per-buyer loop added them
    # (world-share proxies, import shares, domestic), so the group sums below add the same
    # terms in the same order
    order = {c: i for i, c in enumerate(dict.fromkeys(buyers))}
    proxy = pd.DataFrame({"buyer": list(order)}).merge(pooled, how="cross")
    # columns are iterated as Python lists (.tolist() converts in C; iterating an Arrow
    # string column element by element costs about a microsecond each)
    bil_keys = set(zip(bil["importer"].tolist(), bil["good"].tolist(), strict=True))
    has = np.fromiter(((c, g) in bil_keys for c, g in zip(
        proxy["buyer"].tolist(), proxy["good"].tolist(), strict=True)),
                      dtype=bool, count=len(proxy))
    proxy = proxy[~has].assign(basis="world-share proxy")
    own = {(str(e), str(g)): float(v) for e, g, v in zip(
        pooled["supplier"].tolist(), pooled["good"].tolist(), pooled["share"].tolist(),
        strict=True)}
    d = np.array([own.get((c, g), 0.0) for c, g in zip(
        bil["importer"].tolist(), bil["good"].tolist(), strict=True)], dtype=float)
    imp = pd.DataFrame({"supplier": bil["supplier"].to_numpy(), "good": bil["good"].to_numpy(),
                        "share": bil["share"].to_numpy() * (1.0 - d),
                        "buyer": bil["importer"].to_numpy(), "basis": "import shares"})
    pairs = bil[["importer", "good"]].drop_duplicates()
    dom = pd.DataFrame({"good": pairs["good"].to_numpy(), "supplier": pairs["importer"].to_numpy(),
                        "buyer": pairs["importer"].to_numpy(),
                        "share": [own.get((c, g), 0.0) for c, g in zip(
                            pairs["importer"].tolist(), pairs["good"].tolist(),
                            strict=True)],
                        "basis": "domestic (world share)"})
    dom = dom[dom["share"] > 0]
    parts = []
    for frame, rank in ((proxy, 0), (imp, 1), (dom, 2)):
        parts.append(frame.assign(_buyer=frame["buyer"].map(order), _part=rank))
    mix = pd.concat(parts, ignore_index=True).sort_values(["_buyer", "_part"], kind="stable")
    mix = mix.drop(columns=["_buyer", "_part"])
    mix = mix.groupby(["buyer", "good", "supplier"], as_index=False).agg(
        share=("share", "sum"), basis=("basis", "first"))
    if domestic is not None and not domestic.empty:
        mix = _with_domestic(mix, domestic, set(buyers), set(goods))
    return mix[mix["share"] > 0].reset_index(drop=True)


def _with_domestic(mix: pd.DataFrame, domestic: pd.DataFrame, buyers: set[str],
                   goods: set[str]) -> pd.DataFrame:
    """Replace the buyer's own share by the recorded domestic share D and rescale the other
    suppliers to 1 - D. A buyer with no other supplier keeps its mix (nothing to rescale)."""
    foreign = mix["buyer"] != mix["supplier"]
    selling = foreign & (mix["share"] > 0)
    sold = set(zip(mix.loc[selling, "buyer"].tolist(), mix.loc[selling, "good"].tolist(),
                   strict=True))
    d = {(str(e), str(g)): float(v) for e, g, v in zip(
        domestic["economy"].tolist(), domestic["good"].tolist(), domestic["share"].tolist(),
        strict=True)
        if e in buyers and g in goods and (e, g) in sold}
    if not d:
        return mix
    hit = np.fromiter((k in d for k in zip(mix["buyer"].tolist(), mix["good"].tolist(),
                                           strict=True)),
                      dtype=bool, count=len(mix))
    others = mix[hit & foreign.to_numpy()]
    rest = others.groupby(["buyer", "good"])["share"].transform("sum").to_numpy()
    dd = np.array([d[k] for k in zip(others["buyer"].tolist(), others["good"].tolist(),
                                     strict=True)])
    scaled = others.assign(share=others["share"].to_numpy() * (1.0 - dd) / rest)
    dom = pd.DataFrame({"buyer": [b for b, _ in d], "good": [g for _, g in d],
                        "supplier": [b for b, _ in d], "share": list(d.values()),
                        "basis": "domestic supply"})
    return pd.concat([mix[~hit], scaled, dom], ignore_index=True).sort_values(
        ["buyer", "good", "supplier"]).reset_index(drop=True)


def build_network(
    world_shares: pd.DataFrame,
    import_shares: pd.DataFrame,
    edges: pd.DataFrame,
    goods: list[str],
    buyers: list[str] | None = None,
    domestic: pd.DataFrame | None = None,
) -> SupplyNetwork:
    """Assemble the sparse network (see module docstring for the formulas); *domestic*:
    recorded domestic supply shares (economy, good, share)."""
    producers = sorted(set(world_shares["economy"]) | {"ROW"})
    buyers = sorted(set(buyers or []) | set(producers) | set(import_shares["importer"]))
    mix = supply_mix(world_shares, import_shares, buyers, goods, domestic)
    # production nodes: (s, g) for every supplier appearing in a supply mix
    prod = mix[["supplier", "good"]].drop_duplicates().rename(columns={"supplier": "economy"})
    prod = prod.sort_values(["good", "economy"]).reset_index(drop=True)
    index = {(e, g): i for i, (e, g) in enumerate(zip(prod["economy"], prod["good"],
                                                      strict=True))}
    n = len(prod)
    w = edges[["input", "output", "weight"]]
    # rows: (t, h) ; cols: (s, g)   A = w[h, g] * M[s, h, t]
    m = mix.rename(columns={"buyer": "s", "good": "h", "supplier": "t", "share": "m"})
    cols_df = prod.rename(columns={"economy": "s", "good": "g"})
    cols_df["col"] = np.arange(n)
    j = cols_df.merge(w, left_on="g", right_on="output").merge(
        m, left_on=["s", "input"], right_on=["s", "h"])
    rows = [index[(t, h)] for t, h in zip(j["t"], j["h"], strict=True)]
    data = (j["weight"].astype(float) * j["m"].astype(float)).to_numpy(dtype=float)
    a = sp.csc_matrix((data, (np.asarray(rows, dtype=np.int64),
                              j["col"].to_numpy(dtype=np.int64))),
                      shape=(n, n))
    a.sum_duplicates()
    wsum = w.groupby("output")["weight"].sum()
    v = 1.0 - prod["good"].map(wsum).fillna(0.0).to_numpy(dtype=float)
    inputs = {"world_shares": world_shares, "import_shares": import_shares, "edges": edges}
    if domestic is not None:
        inputs["domestic"] = domestic
    return SupplyNetwork(nodes=prod, a=a, v=v, mix=mix, inputs=inputs)


def _ids(value: Any) -> list[str]:
    """Source ids of one cell (``a;b`` holds two), none for an empty cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [x.strip() for x in str(value).split(";") if x.strip()]


class _SourceIndex:
    """Figures and source ids of the tables a network was built from, by key."""

    def __init__(self, inputs: Mapping[str, pd.DataFrame]) -> None:
        def index(name: str, keys: list[str], value: str) -> dict[tuple[str, ...], Any]:
            frame = inputs.get(name)
            if frame is None or value not in frame.columns:
                return {}
            cols = [frame[k].astype(str) for k in keys]
            return dict(zip(zip(*cols, strict=True), frame[value], strict=True))

        self.share = index("world_shares", ["good", "economy"], "share")
        self.share_year = index("world_shares", ["good", "economy"], "year")
        self.share_src = index("world_shares", ["good", "economy"], "source")
        self.goods_with_shares = {g for g, _ in self.share}
        self.bilateral_src = index("import_shares", ["importer", "good", "supplier"],
                                   "source")
        self.domestic_src = index("domestic", ["economy", "good"], "source")
        self.weight = index("edges", ["input", "output"], "weight")
        self.edge_src = index("edges", ["input", "output"], "source")

    def node(self, economy: str, good: str) -> dict[str, Any]:
        """p[s, g] with its year and sources; a good with no world-share figure is
        attributed whole to ROW (module docstring) with no source."""
        if good not in self.goods_with_shares:
            return {"world_share": 1.0 if economy == "ROW" else 0.0,
                    "world_share_basis": "no figure for the good: origin unknown (ROW)",
                    "world_share_sources": []}
        share = self.share.get((good, economy))
        if share is None:  # a supplier by import shares only (re-exports, small producers)
            return {"world_share": 0.0, "world_share_basis": "no figure: taken as 0",
                    "world_share_sources": []}
        out: dict[str, Any] = {"world_share": float(share), "world_share_basis": "recorded",
                               "world_share_sources": _ids(self.share_src.get((good,
                                                                               economy)))}
        year = self.share_year.get((good, economy))
        if year is not None and not pd.isna(year):
            out["world_share_year"] = int(year)
        return out

    def cost_share(self, h: str, g: str) -> float:
        return float(self.weight[(h, g)])

    def edge(self, s: str, h: str, t: str, g: str, basis: str) -> list[str]:
        """Source ids of w[h, g] and of M[s, h, t] (by the share's basis)."""
        if basis == "import shares":
            share = _ids(self.bilateral_src.get((s, h, t)))
        elif basis == "domestic supply" and s == t:
            share = _ids(self.domestic_src.get((s, h)))
        else:  # world-share proxy, domestic (world share)
            share = _ids(self.share_src.get((h, t)))
        return sorted({*_ids(self.edge_src.get((h, g))), *share})


def _names(world: World | None) -> dict[str, dict[Any, Any]] | None:
    """Economy and good names and the goods' market sizes (USD bn) of *world*."""
    if world is None:
        return None
    goods = world.goods
    market = {g: float(m) for g, m in zip(goods["good_id"], goods["market_usd_bn"],
                                           strict=True) if m is not None and not pd.isna(m)}
    return {"economy": dict(zip(world.economies["code"], world.economies["name"],
                                strict=True)),
            "good": dict(zip(goods["good_id"], goods["name"], strict=True)),
            "market": market}
