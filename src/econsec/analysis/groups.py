"""Product-group aggregates of world supply shares: "Japan's share of chip-making tools",
"China's share of battery materials", read directly.

A group (``data/good_groups.csv``: chip_tools, chip_materials, chips, battery_materials,
critical_minerals; :mod:`econsec.data.good_groups`) aggregates its members' world supply
shares weighted by value:

    S[e, G] = sum_{g in G*} w_g p[e, g] / sum_{g in G*} w_g

with ``p[e, g]`` the latest world share of economy ``e`` in good ``g`` (figures of year
<= *as_of* only; ``ROW`` the remainder), ``G*`` the members with a share figure, and
``w_g`` the good's world market value: ``goods.market_usd_bn`` where the world has a sourced
market size, else the annual value the world's supply network implies for it (the
simulation baseline: output of a good with no market size is valued by what its
downstream users pay for it, ``x = max(m, A x)``, :mod:`econsec.simulation.network_arrays`).
Each member's weight and its basis are in :func:`group_members`, so a reader sees which
weights are published and which are implied. Shares sum to 1 over economies (ROW
included) because each member's do.
"""

from __future__ import annotations

import pandas as pd

from econsec.analysis.as_of import world_upto
from econsec.analysis.names import EmptyAnswerError, add_note
from econsec.data.world import World, load_world

MARKET = "market size"
IMPLIED = "implied by downstream use (no market size sourced)"


def _members(group: str, w: World) -> list[str]:
    from econsec.data.good_groups import group_members

    return group_members(group, w.goods)


def group_members(group: str, world: World | None = None,
                  as_of: int | None = None) -> pd.DataFrame:
    """The members of *group* with their weights: ``group, good, name, stage,
    weight_usd_bn`` (a year's world value), ``weight_basis`` (market size or implied),
    ``weight_year``, ``weight_source``, ``has_share`` (a world share figure up to
    *as_of*). KeyError for an unknown group."""
    from econsec.simulation.network_arrays import baseline_from_world

    w = world if world is not None else load_world()
    members = _members(group, w)
    goods = w.goods.set_index("good_id")
    base = baseline_from_world(w, as_of=as_of)
    implied = dict(zip(base.goods, base.world_output * 365.0, strict=True))
    wy = world_upto(w, as_of)
    with_share = set(wy.world_shares["good"])
    rows = []
    for g in members:
        market = pd.to_numeric(goods.loc[g, "market_usd_bn"], errors="coerce")
        sourced = bool(pd.notna(market) and float(market) > 0)
        rows.append({
            "group": group, "good": g, "name": goods.loc[g, "name"],
            "stage": goods.loc[g, "stage"],
            "weight_usd_bn": float(market) if sourced else float(implied.get(g, 0.0)),
            "weight_basis": MARKET if sourced else IMPLIED,
            "weight_year": goods.loc[g, "market_year"] if sourced else None,
            "weight_source": goods.loc[g, "source"] if sourced else "world network",
            "has_share": g in with_share})
    return pd.DataFrame(rows)


def group_shares(group: str, world: World | None = None,
                 as_of: int | None = None) -> pd.DataFrame:
    """World supply share of each economy in *group* (formula in the module docstring):
    ``group, economy, share, members_with_share, members, weight_market_share`` (the share
    of the weights that are published market sizes), largest first; notes list members
    left out (no share figure up to *as_of*) and the members' weights.

    KeyError for an unknown group; EmptyAnswerError when no member has a share figure."""
    w = world if world is not None else load_world()
    members = group_members(group, w, as_of)
    used = members[members["has_share"] & (members["weight_usd_bn"] > 0)]
    if used.empty:
        raise EmptyAnswerError(f"no rows: group {group}: none of its {len(members)} members "
                               "has a world share figure"
                               + (f" up to {as_of}" if as_of is not None else ""))
    wy = world_upto(w, as_of)
    shares = wy.latest_world_shares(goods=list(used["good"]))
    weight = used.set_index("good")["weight_usd_bn"]
    shares = shares.assign(value=shares["share"] * shares["good"].map(weight))
    total = float(weight.sum())
    out = (shares.groupby("economy", as_index=False)["value"].sum()
           .assign(share=lambda f: f["value"] / total)
           .sort_values(["share", "economy"], ascending=[False, True]))
    out.insert(0, "group", group)
    out["members_with_share"] = len(used)
    out["members"] = len(members)
    out["weight_market_share"] = float(
        used.loc[used["weight_basis"] == MARKET, "weight_usd_bn"].sum()) / total
    out = out.drop(columns="value").reset_index(drop=True)
    years = shares.groupby("good")["year"].max()
    out.attrs["notes"] = []
    add_note(out, f"{group}: {len(used)} of {len(members)} members weighted by world value "
             + "; ".join(f"{g} {weight[g]:.3g} bn ({'market' if b == MARKET else 'implied'}, "
                         f"share {int(years[g])})"
                         for g, b in zip(used["good"], used["weight_basis"], strict=True)))
    left = members.loc[~members["good"].isin(used["good"]), "good"].tolist()
    if left:
        add_note(out, f"left out (no world share figure{' up to ' + str(as_of) if as_of else ''}"
                 f" or no value): {', '.join(left)}")
    return out
