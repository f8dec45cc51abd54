"""Direct import dependence: who an economy buys a good from."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def direct_import_dependence(
    import_shares: pd.DataFrame,
    world_shares: pd.DataFrame,
    economy: str,
    goods: list[str],
) -> pd.DataFrame:
    """d[c, g, s]: share of supplier s in economy c's imports of good g.

    d[c, g, s] = m[c, g, s] / sum_s' m[c, g, s'] with m the import value from s
    (e.g. OECD 2023, "Economic security: import dependence indicators"). Where the
    importer's own shares are not in the data, the world supply shares of the other
    economies stand in (``basis = 'world-share proxy'``):
    d[c, g, s] = p[s, g] / (1 - p[c, g]) for s != c.

    Columns: economy, good, supplier, share, basis, year, source.
    """
    bil = import_shares[import_shares["importer"] == economy]
    have = set(bil["good"])
    out = [
        bil.rename(columns={"importer": "economy"}).assign(basis="import shares")[
            ["economy", "good", "supplier", "share", "basis", "year", "source"]
        ]
    ]
    ws = world_shares[world_shares["good"].isin([g for g in goods if g not in have])]
    ws = ws[ws["economy"] != economy]
    if not ws.empty:
        total = ws.groupby("good")["share"].transform("sum")
        proxy = ws.assign(
            economy=economy,
            supplier=ws["economy"].to_numpy(),
            share=(ws["share"] / total).to_numpy(),
            basis="world-share proxy",
        )
        out.append(proxy[["economy", "good", "supplier", "share", "basis", "year", "source"]])
    frame = pd.concat([o for o in out if not o.empty], ignore_index=True) if any(
        not o.empty for o in out) else out[0]
    frame = frame[frame["good"].isin(goods)]
    return frame.sort_values(["good", "share"], ascending=[True, False]).reset_index(drop=True)


def dependence_on(frame: pd.DataFrame, suppliers: set[str]) -> pd.DataFrame:
    """Sum of dependence shares on a set of suppliers, per (economy, good)."""
    sub = frame[frame["supplier"].isin(suppliers)]
    return sub.groupby(["economy", "good"], as_index=False)["share"].sum()


def bloc_dependence_matrix(
    import_shares: pd.DataFrame,
    members: Iterable[str],
    rival: Iterable[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Importers x goods matrix of dependence of bloc *members* on *rival* suppliers.

    ``D[c, g] = sum_{s in rival, s != c} m[c, g, s]`` for each member c, with m the
    recorded import shares (*import_shares*: importer, good, supplier, share, source);
    goods a member has no rival rows for are 0. Columns are ordered by their largest
    member value, highest first. Also returns the sorted source ids of the rows used.
    An empty frame (and no sources) when no member records imports from the rival.
    """
    members, rival = set(members), set(rival)
    bil = import_shares
    rows = bil[bil["importer"].isin(members) & bil["supplier"].isin(rival)
               & (bil["importer"] != bil["supplier"])]
    if rows.empty:
        return pd.DataFrame(), []
    mat = rows.pivot_table(index="importer", columns="good", values="share",
                           aggfunc="sum").fillna(0.0)
    mat = mat[mat.max().sort_values(ascending=False).index]
    srcs = sorted({x for s in rows["source"].dropna() for x in str(s).split(";")})
    return mat, srcs
