"""Direct import dependence: who an economy buys a good from."""

from __future__ import annotations

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
