"""Look-through (multi-tier) exposure of an economy's supply of a good to origin economies.

    X[c, g, o] = sum_s M[c, g, s] O[o, (s, g)]

with M the supply mix and O the value-added origin shares of production nodes,
O = G diag(v) (I - A)^-1 (see :mod:`econsec.metrics.leontief` and
:mod:`econsec.metrics.network`). X[c, g, .] sums to 1: it is the share of the value of c's
supply of g that rests, through every tier, on each origin economy. The first tier alone
(tier 1) is the direct supply share M[c, g, o].
Reference: Miller & Blair (2009), *Input-Output Analysis*, ch. 6; Baldwin, Freeman &
Theodorakopoulos (2022), "Horses for courses: measuring foreign supply chain exposure",
NBER WP 30525 (look-through exposure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from econsec.metrics.leontief import origin_shares
from econsec.metrics.network import SupplyNetwork


def node_origin_shares(net: SupplyNetwork, origins: list[str] | None = None) -> pd.DataFrame:
    """O[o, (s, g)] in long form: economy, good, origin, share (only shares > 0)."""
    econs = sorted(set(net.nodes["economy"]))
    code = {e: i for i, e in enumerate(econs)}
    labels = net.nodes["economy"].map(code).to_numpy(dtype=np.int64)
    wanted = econs if origins is None else [o for o in origins if o in code]
    o = origin_shares(net.a, net.v, labels, [code[x] for x in wanted])
    frames = []
    for k, origin in enumerate(wanted):
        row = o[k]
        nz = np.nonzero(row > 1e-15)[0]
        frames.append(pd.DataFrame({
            "economy": net.nodes["economy"].to_numpy()[nz],
            "good": net.nodes["good"].to_numpy()[nz],
            "origin": origin,
            "share": row[nz],
        }))
    if not frames:
        return pd.DataFrame(columns=["economy", "good", "origin", "share"])
    return pd.concat(frames, ignore_index=True)


def lookthrough_exposure(
    net: SupplyNetwork,
    economy: str,
    goods: list[str] | None = None,
    origins: list[str] | None = None,
) -> pd.DataFrame:
    """X[c, g, o] for one economy c (columns economy, good, supplier, share, direct_share).

    ``supplier`` is the origin economy o; ``direct_share`` is M[c, g, o] (tier 1).
    """
    mix = net.mix[net.mix["buyer"] == economy]
    if goods is not None:
        mix = mix[mix["good"].isin(goods)]
    if mix.empty:
        return pd.DataFrame(columns=["economy", "good", "supplier", "share", "direct_share"])
    origin = node_origin_shares(net, origins)
    j = mix.merge(origin, left_on=["supplier", "good"], right_on=["economy", "good"],
                  suffixes=("", "_node"))
    j["x"] = j["share"] * j["share_node"]
    x = j.groupby(["good", "origin"], as_index=False)["x"].sum()
    direct = mix.groupby(["good", "supplier"], as_index=False)["share"].sum().rename(
        columns={"supplier": "origin", "share": "direct_share"})
    out = x.merge(direct, on=["good", "origin"], how="outer").fillna(
        {"x": 0.0, "direct_share": 0.0})
    out = out.rename(columns={"origin": "supplier", "x": "share"})
    out.insert(0, "economy", economy)
    out = out[(out["share"] > 1e-12) | (out["direct_share"] > 1e-12)]
    return out.sort_values(["good", "share"], ascending=[True, False]).reset_index(drop=True)
