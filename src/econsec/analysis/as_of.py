"""Figures as of a year, for queries: year <= Y only, never a later year.

The query rule: a question about year *Y* is answered with figures of year <= Y; when
there are none, :class:`~econsec.analysis.names.EmptyAnswerError` names the first year
that has figures. (The world's own ``latest_*(as_of)`` views raise
:class:`~econsec.data.world_checks.NoFigureForYear` for a good whose figures all come after
*as_of*, and a model baseline, ``model=True``, backcasts from its earliest figure, flagged;
a query answers for the goods that have figures and notes the ones left out.)

:func:`world_upto` gives a copy of the world holding only rows of year <= Y, so every
``latest_*`` view of it obeys the rule. :func:`filled_world_shares` keeps economies that
an older figure lists but the latest figure set of a good does not (their share is
carried forward into the latest set's remainder), so a bloc member's capacity is not
dropped to zero because the newest source only names the leader.
"""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from econsec.analysis.names import EmptyAnswerError
from econsec.data.world import World


def first_year(world: World, *, goods: list[str] | None = None,
               importer: str | None = None) -> int | None:
    """The first year with a world-share or import-share figure (for *goods*; import
    shares of *importer* only), or None."""
    ws, bil = world.world_shares, world.bilateral
    if goods is not None:
        ws, bil = ws[ws["good"].isin(goods)], bil[bil["good"].isin(goods)]
    if importer is not None:
        bil = bil[bil["importer"] == importer]
    years = [int(f["year"].min()) for f in (ws, bil) if not f.empty]
    return min(years) if years else None


@functools.lru_cache(maxsize=32)
def world_upto(world: World, year: int | None) -> World:
    """*world* with the rows of world shares, import shares and domestic shares of year
    <= *year* only (the same world when *year* is None); cached, so networks built on it
    are cached too. EmptyAnswerError naming the first year when nothing is left."""
    if year is None:
        return world
    ws = world.world_shares[world.world_shares["year"] <= year]
    if ws.empty and world.bilateral[world.bilateral["year"] <= year].empty:
        first = first_year(world)
        raise EmptyAnswerError(f"year {year}: the world has no figures up to {year}; its "
                               f"first figures are of {first} (ask for --year {first} or "
                               "later)")
    dom = world.domestic_shares
    return dataclasses.replace(
        world, world_shares=ws, bilateral=world.bilateral[world.bilateral["year"] <= year],
        domestic_shares=dom[dom["year"] <= year] if not dom.empty else dom)


def filled_world_shares(world: World) -> pd.DataFrame:
    """World supply shares of the latest figure set per good, plus economies listed only
    in older figures of the good.

    Per good g with latest stated shares p[s, g] and remainder R = 1 - sum_s p[s, g]
    (row ``ROW``), each economy e missing from the latest set keeps its most recent older
    share q[e, g], scaled to fit the remainder:
    ``p'[e, g] = q[e, g] * min(1, R / sum_e q[e, g])``, and ROW keeps ``R - sum_e p'[e, g]``.
    Carried rows keep their own year and source; ``basis`` says they were carried forward.
    """
    latest = world.latest_world_shares()
    ws = world.world_shares
    listed = set(zip(latest["good"], latest["economy"], strict=True))
    old = ws[[(g, e) not in listed for g, e in zip(ws["good"], ws["economy"], strict=True)]]
    old = old[old["economy"] != "ROW"]
    if old.empty:
        return latest
    old = old.sort_values(["good", "economy", "year"]).groupby(
        ["good", "economy"], as_index=False).last()
    rest = latest[latest["economy"] == "ROW"].set_index("good")["share"]
    old = old[old["good"].isin(rest.index)]  # no remainder: the latest set is complete
    if old.empty:
        return latest
    total = old.groupby("good")["share"].transform("sum")
    room = old["good"].map(rest)
    scale = (room / total).clip(upper=1.0)
    carried = old.assign(share=old["share"] * scale,
                         basis="carried forward from " + old["year"].astype(str) +
                         " into the latest figure's remainder")
    carried = carried[[c for c in latest.columns if c in carried.columns]]
    used = carried.groupby("good")["share"].sum()
    out = latest.copy()
    is_row = out["economy"] == "ROW"
    out.loc[is_row, "share"] = out.loc[is_row, "share"] - out.loc[is_row, "good"].map(
        used).fillna(0.0)
    out = pd.concat([out[~is_row | (out["share"] > 1e-9)], carried], ignore_index=True)
    return out.sort_values(["good", "share"], ascending=[True, False]).reset_index(drop=True)
