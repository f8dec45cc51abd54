"""Bilateral trade flows by industry from the WIOD 2013 world input-output tables.

A cross-border cell of a world input-output table is trade: the row country-industry's
output used abroad, either as an intermediate input (``inter``) or as final demand
(``final``). Gross bilateral exports of industry k from country c to country d are

    E_cd,k = sum_l Z[c,k -> d,l] + sum_f F[c,k -> d,f]        (c != d)

(Z the intermediate block, F the final-demand block, f the five final-demand
categories). This is the standard derivation of gross exports from an MRIO table.

Reference: Timmer, M. P., Dietzenbacher, E., Los, B., Stehrer, R. and de Vries, G. J.
(2015), "An Illustrated User Guide to the World Input-Output Database: the Case of Global
Automotive Production", Review of International Economics 23: 575-605.
"""

from __future__ import annotations

import pandas as pd

_KEYS = ["year", "from_country", "from_industry", "to_country"]


def wiod_bilateral_flows(intermediate: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Long flows frame ``[year, exporter, importer, product, value]`` from WIOD 2013.

    ``intermediate``: columns ``year, from_country, from_industry, to_country,
    to_industry, value_musd``; ``final``: ``year, from_country, from_industry,
    to_country, final_demand, value_musd`` (the long parquet files described in
    ``shared/data/wiod2013/PROVENANCE.md``). Domestic cells (``to == from``) are
    dropped; ``product`` is the WIOD industry (``c1`` ... ``c35``); ``value`` is in USD
    (``value_musd * 1e6``).

    Final demand includes changes in inventories (INVEN), which can be negative; a
    bilateral total that ends up negative (96 of ~390k cells in 1995-2011) is set to 0,
    since a flow cannot be negative.
    """
    parts = []
    for df in (intermediate, final):
        cross = df[df["from_country"].astype(str) != df["to_country"].astype(str)]
        parts.append(
            cross.groupby(_KEYS, observed=True, sort=False)["value_musd"].sum().astype(float)
        )
    total = pd.concat(parts).groupby(level=list(range(len(_KEYS))), sort=True).sum()
    out = total.reset_index()
    return pd.DataFrame(
        {
            "year": out["year"].astype("int64"),
            "exporter": out["from_country"].astype(str),
            "importer": out["to_country"].astype(str),
            "product": out["from_industry"].astype(str),
            "value": out["value_musd"].clip(lower=0.0) * 1e6,
        }
    )
