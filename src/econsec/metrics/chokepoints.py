"""Chokepoints: goods whose supply one economy or bloc controls and others cannot quickly
replace.

For holder H and good g:

    score[H, g] = share[H, g] * (1 - sigma[g]) * V[g] / max_g' V[g']

* share[H, g] = sum_{e in H} p[e, g], H's share of world supply;
* sigma[g] is the substitutability of g in the goods that use it, averaged over g's
  out-edges with weights V[output] (0 = irreplaceable in the short run);
* V[g] is the downstream value at stake: the summed world market (USD bn) of the end
  products reachable from g in the supply graph.

The score is in [0, 1]. The construction follows the "share x criticality x value"
screening of chokepoint studies: European Commission (2023), *Study on the Critical Raw
Materials for the EU* (supply risk x economic importance), and Farrell & Newman (2019),
"Weaponized Interdependence", International Security 44(1) (chokepoints in networks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def downstream_end_products(edges: pd.DataFrame, goods: pd.DataFrame) -> dict[str, set[str]]:
    """For every good, the set of end products reachable from it (an end product: itself)."""
    ends = set(goods.loc[goods["stage"] == "end_product", "good_id"])
    children: dict[str, list[str]] = {}
    for a, b in zip(edges["input"], edges["output"], strict=True):
        children.setdefault(a, []).append(b)
    memo: dict[str, set[str]] = {}

    def visit(g: str) -> set[str]:
        if g in memo:
            return memo[g]
        out = {g} if g in ends else set()
        for c in children.get(g, []):
            out |= visit(c)
        memo[g] = out
        return out

    return {g: visit(g) for g in goods["good_id"]}


def value_at_stake(edges: pd.DataFrame, goods: pd.DataFrame) -> pd.Series:
    """V[g] = sum of market_usd_bn of end products downstream of g (index good_id)."""
    market = goods.set_index("good_id")["market_usd_bn"].astype(float).fillna(0.0)
    reach = downstream_end_products(edges, goods)
    return pd.Series({g: float(sum(market.get(e, 0.0) for e in ends))
                      for g, ends in reach.items()}, name="value_at_stake_usd_bn")


def non_substitutability(edges: pd.DataFrame, stake: pd.Series) -> pd.Series:
    """1 - sigma[g]: value-weighted mean of (1 - substitutability) over g's out-edges."""
    e = edges[["input", "output", "substitutability"]].copy()
    e["w"] = e["output"].map(stake).fillna(0.0) + 1e-9
    e["ns"] = (1.0 - e["substitutability"]) * e["w"]
    agg = e.groupby("input").agg(ns=("ns", "sum"), w=("w", "sum"))
    return (agg["ns"] / agg["w"]).rename("non_substitutability")


def chokepoint_scores(
    world_shares: pd.DataFrame,
    edges: pd.DataFrame,
    goods: pd.DataFrame,
    holders: dict[str, frozenset[str]],
) -> pd.DataFrame:
    """score[H, g] for each named holder H (a bloc or one economy) and each input good.

    Columns: holder, good, stage, holder_share, non_substitutability,
    value_at_stake_usd_bn, score, year, source.
    """
    stake = value_at_stake(edges, goods)
    vmax = float(stake.max()) if len(stake) and stake.max() > 0 else 1.0
    nonsub = non_substitutability(edges, stake)
    stage = goods.set_index("good_id")["stage"]
    rows = []
    for name, members in holders.items():
        sub = world_shares[world_shares["economy"].isin(members)]
        agg = sub.groupby("good").agg(
            holder_share=("share", "sum"), year=("year", "max"),
            source=("source", lambda s: ";".join(sorted(set(map(str, s))))))
        for g, r in agg.iterrows():
            if stage.get(g) == "end_product" or g not in nonsub.index:
                continue
            ns = float(nonsub[g])
            v = float(stake.get(g, 0.0))
            rows.append({
                "holder": name, "good": g, "stage": stage.get(g),
                "holder_share": float(r["holder_share"]), "non_substitutability": ns,
                "value_at_stake_usd_bn": v,
                "score": float(r["holder_share"]) * ns * v / vmax,
                "year": int(r["year"]), "source": r["source"],
            })
    cols = ["holder", "good", "stage", "holder_share", "non_substitutability",
            "value_at_stake_usd_bn", "score", "year", "source"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def mutual_chokepoints(
    scores_rival: pd.DataFrame,
    scores_bloc: pd.DataFrame,
    dependence_of_bloc: pd.DataFrame,
    dependence_of_rival: pd.DataFrame,
    *,
    min_share: float = 0.25,
) -> pd.DataFrame:
    """Both directions: the bloc's exposure to the rival and its leverage over the rival.

    ``dependence_of_*`` have columns good, share (the target's import dependence on the
    holder). Rows with holder_share below *min_share* are dropped.
    Adds columns direction ('exposure' or 'leverage'), target, target_dependence.
    """
    parts = []
    for direction, scores, dep in (("exposure", scores_rival, dependence_of_bloc),
                                   ("leverage", scores_bloc, dependence_of_rival)):
        s = scores[scores["holder_share"] >= min_share].copy()
        d = dep.set_index("good")["share"]
        s["target_dependence"] = s["good"].map(d).astype(float)
        s.insert(0, "direction", direction)
        parts.append(s)
    out = pd.concat(parts, ignore_index=True)
    out["target_dependence"] = out["target_dependence"].fillna(0.0)
    return out.sort_values(["direction", "score"], ascending=[True, False]).reset_index(drop=True)


def bloc_self_sufficiency(mix: pd.DataFrame, world_shares: pd.DataFrame,
                          members: frozenset[str]) -> pd.DataFrame:
    """Self-sufficiency of bloc B in good g:

        SS[B, g] = mean_{m in B} sum_{s in B} M[m, g, s]

    the average share of members' supply sourced inside the bloc (1 = fully
    self-sufficient), beside B's share of world supply. Columns: good,
    self_sufficiency, world_share, outside_top_supplier, outside_top_share.
    """
    mm = mix[mix["buyer"].isin(members)]
    inside = mm[mm["supplier"].isin(members)].groupby(["buyer", "good"])["share"].sum()
    pairs = mm[["buyer", "good"]].drop_duplicates().set_index(["buyer", "good"])
    ss = inside.reindex(pairs.index, fill_value=0.0).groupby("good").mean()
    outside = mm[~mm["supplier"].isin(members)].groupby(["good", "supplier"])["share"].mean()
    top = outside.reset_index().sort_values("share", ascending=False).groupby("good").first()
    wshare = world_shares[world_shares["economy"].isin(members)].groupby("good")["share"].sum()
    out = pd.DataFrame({"self_sufficiency": ss})
    out["world_share"] = wshare.reindex(out.index).fillna(0.0)
    out["outside_top_supplier"] = top["supplier"].reindex(out.index)
    out["outside_top_share"] = top["share"].reindex(out.index)
    out = out.reset_index().rename(columns={"index": "good"})
    out["self_sufficiency"] = np.clip(out["self_sufficiency"], 0.0, 1.0)
    return out.sort_values("self_sufficiency").reset_index(drop=True)
