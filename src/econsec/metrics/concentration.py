"""Concentration: the Herfindahl-Hirschman index of supplier shares."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd


def hhi(shares: npt.ArrayLike) -> float:
    """Herfindahl-Hirschman index H = sum_i s_i**2 of shares s_i (fractions, sum <= 1).

    H is 1 for a single supplier and 1/n for n equal suppliers. Multiply by 10,000 for the
    points scale of the US merger guidelines (a market above 2,500 points is "highly
    concentrated"; U.S. DOJ/FTC Merger Guidelines 2023, section 2.1).
    Reference: Hirschman, A. O. (1964), "The Paternity of an Index", AER 54(5): 761.

    >>> hhi([0.5, 0.5])
    0.5
    """
    arr = np.asarray(shares, dtype=float)
    if arr.size and (np.any(arr < -1e-12) or arr.sum() > 1.0 + 1e-6):
        raise ValueError("shares must be non-negative and sum to at most 1")
    return float(np.sum(arr * arr))


def grouped_hhi(
    frame: pd.DataFrame, by: list[str], party: str, *, aggregate: str = "ROW"
) -> pd.DataFrame:
    """HHI of ``share`` over *party* within each *by* group.

    The *aggregate* party (``ROW``, the rest of the world) stands for many small suppliers:
    its squared share is left out, so the result is a lower bound of the true HHI. Column
    ``top_party``/``top_share`` names the largest identified supplier.
    """
    named = frame[frame[party] != aggregate]
    sq = named.assign(_sq=named["share"] ** 2)
    out = sq.groupby(by, as_index=False).agg(hhi=("_sq", "sum"), n_parties=(party, "nunique"))
    top = (
        named.sort_values("share", ascending=False)
        .groupby(by, as_index=False)
        .first()[[*by, party, "share"]]
        .rename(columns={party: "top_party", "share": "top_share"})
    )
    out = out.merge(top, on=by, how="left")
    out["hhi_points"] = (out["hhi"] * 10_000).round(0)
    return out


def world_supply_hhi(world_shares: pd.DataFrame) -> pd.DataFrame:
    """HHI of world supply per good (columns good, hhi, hhi_points, top_party, top_share)."""
    return grouped_hhi(world_shares, ["good"], "economy")


def import_source_hhi(import_shares: pd.DataFrame) -> pd.DataFrame:
    """HHI of import sources per (importer, good)."""
    return grouped_hhi(import_shares, ["importer", "good"], "supplier")
