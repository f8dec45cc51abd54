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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class SupplyNetwork:
    """Nodes, technical coefficients and supply mixes of an (economy x good) network."""

    nodes: pd.DataFrame  # columns economy, good; index = node number
    a: sp.csc_matrix  # (n, n) technical coefficients between production nodes
    v: npt.NDArray[np.float64]  # (n,) value added per unit of output
    mix: pd.DataFrame  # columns buyer, good, supplier, share, basis

    @property
    def economies(self) -> list[str]:
        return sorted(set(self.nodes["economy"]))

    def node_index(self) -> dict[tuple[str, str], int]:
        return {(e, g): i for i, (e, g) in enumerate(zip(self.nodes["economy"],
                                                         self.nodes["good"], strict=True))}


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
    parts = []
    pooled = ws.rename(columns={"economy": "supplier"})
    bil = import_shares[["importer", "good", "supplier", "share"]]
    bil_keys = set(zip(bil["importer"], bil["good"], strict=True))
    for c in buyers:
        own = pooled[pooled["supplier"] == c].set_index("good")["share"]
        p = pooled.assign(buyer=c, basis="world-share proxy")
        have = [(c, g) in bil_keys for g in p["good"]]
        parts.append(p[~np.asarray(have, dtype=bool)])
        b = bil[bil["importer"] == c]
        if not b.empty:
            d = b["good"].map(own).fillna(0.0).to_numpy()
            imp = b.assign(buyer=c, share=b["share"].to_numpy() * (1.0 - d),
                           basis="import shares")
            parts.append(imp.drop(columns="importer"))
            dom_goods = b["good"].unique()
            dom = pd.DataFrame({"good": dom_goods, "supplier": c, "buyer": c,
                                "share": [float(own.get(g, 0.0)) for g in dom_goods],
                                "basis": "domestic (world share)"})
            parts.append(dom[dom["share"] > 0])
    mix = pd.concat(parts, ignore_index=True)
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
    sold = set(zip(mix.loc[selling, "buyer"], mix.loc[selling, "good"], strict=True))
    d = {(str(e), str(g)): float(v) for e, g, v in zip(
        domestic["economy"], domestic["good"], domestic["share"], strict=True)
        if e in buyers and g in goods and (e, g) in sold}
    if not d:
        return mix
    hit = np.fromiter((k in d for k in zip(mix["buyer"], mix["good"], strict=True)),
                      dtype=bool, count=len(mix))
    others = mix[hit & foreign.to_numpy()]
    rest = others.groupby(["buyer", "good"])["share"].transform("sum").to_numpy()
    dd = np.array([d[k] for k in zip(others["buyer"], others["good"], strict=True)])
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
    return SupplyNetwork(nodes=prod, a=a, v=v, mix=mix)
