"""World supply shares per country and year from USGS Mineral Commodity Summaries.

Each MCS edition E reports production for years E-2 and E-1 (the latter an estimate);
MCS 2022-2025 thus cover 2020-2024, each year twice. For one good and year:

    share(c) = production(c) / world production,

where production(c) sums the matching rows of economy c (e.g. the two U.S. helium rows)
and world production is the edition's "World total" row(s) of the matching types, or the
sum of all rows (countries and "Other countries") where there is no total or where the
rows sum to more than the (rounded) total times 1 + TOTAL_TOLERANCE (MCS 2025's
antimony 2024: the countries sum to 103,960 t against a world total of 100,000 t).

**Vintage rule**: the newest edition that reports the year wins (MCS 2025's 2023 figure
replaces MCS 2024's estimate for 2023); the older editions' different shares are kept in
the note (``revised from 0.984 in MCS 2024``). Shares are rounded to three decimals;
economies outside ``economies.csv`` and shares that round to 0 are left to the ROW
remainder.

Source: U.S. Geological Survey, Mineral Commodity Summaries 2022-2025 data releases
(public domain), https://doi.org/10.5066/P13XCP3R (MCS 2025).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data.build.spec import UsgsRule
from econsec.data.importers.usgs import read_world_production

DATASET = "usgs_mcs"
TOTAL_TOLERANCE = 0.01
"""Rows may sum up to 1% above USGS's rounded world total before their sum replaces it
(half the world format's share-sum tolerance, leaving room for rounding the shares)."""


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:g}"


def usgs_share_rows(folder: Path, rules: list[UsgsRule],
                    economies: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Derived ``world_shares.csv`` rows for every rule's good and year, and the build
    messages (goods for which the data hold no country figure)."""
    messages: list[str] = []
    prod = read_world_production(folder, messages, {c for r in rules for c in r.codes})
    rows: list[dict[str, Any]] = []
    for rule in rules:
        sel = prod[prod["commodity_code"].isin(rule.codes)
                   & prod["type"].map(lambda t, r=rule: bool(r.type_pattern.search(str(t))))]
        per_edition: dict[int, dict[int, pd.DataFrame]] = {}
        for (edition, year), part in sel.groupby(["edition", "year"], sort=True):
            if part.loc[~part["is_aggregate"], "production"].notna().any():
                per_edition.setdefault(int(year), {})[int(edition)] = part
        if not per_edition:
            messages.append(f"{rule.good}: USGS MCS holds no country production figure")
            continue
        for year in sorted(per_edition):
            editions = per_edition[year]
            shares = {e: _shares(p) for e, p in editions.items()}
            newest = max(editions)
            part = editions[newest]
            for iso3, (share, value, world, lines, wline) in sorted(
                    shares[newest].items(), key=lambda kv: (-kv[1][0], kv[0])):
                rounded = round(share, 3)
                if iso3 not in economies or rounded <= 0:
                    continue
                first = part[part["iso3"] == iso3].iloc[0]
                col = str(first["column"])
                unit = str(first["unit"])
                est = bool(part.loc[part["iso3"] == iso3, "is_estimate"].any())
                older = [f"{shares[e][iso3][0]:.3f} in MCS {e}" for e in sorted(editions)
                         if e != newest and iso3 in shares[e]
                         and round(shares[e][iso3][0], 3) != rounded]
                note = (f"USGS MCS {newest}, {col}{' (estimate)' if est else ''}: "
                        f"{_fmt(value)} {unit} / world {_fmt(world)} {unit}"
                        f"{'; revised from ' + ', '.join(older) if older else ''}"
                        f"{'; ' + rule.note if rule.note else ''}")
                rows.append({
                    "good": rule.good, "economy": iso3, "share": rounded, "year": year,
                    "basis": rule.basis, "source": f"s_usgs_mcs{newest}", "note": note,
                    "dataset": DATASET, "edition": f"MCS {newest}",
                    "file": str(first["source_file"]),
                    "cell": f"lines {lines} / {wline}, column {col}",
                })
    return rows, messages


def _shares(part: pd.DataFrame) -> dict[str, tuple[float, float, float, str, str]]:
    """iso3 -> (share, production, world production, the rows' lines, the world's line(s))
    for one edition, year and good."""
    totals = part[part["is_world_total"] & part["production"].notna()]
    rest = part[~part["is_world_total"] & part["production"].notna()]
    summed = float(rest["production"].sum())
    world = float(totals["production"].sum()) if len(totals) else summed
    if len(totals) and summed <= world * (1.0 + TOTAL_TOLERANCE):
        wline = "line " + "+".join(str(int(x)) for x in sorted(totals["line"]))
    else:
        world = summed
        wline = ("sum of lines " if not len(totals) else
                 "rows above the rounded world total: sum of lines ")
        wline += "+".join(str(int(x)) for x in sorted(rest["line"]))
    out: dict[str, tuple[float, float, float, str, str]] = {}
    if world <= 0:
        return out
    countries = part[part["iso3"].notna() & part["production"].notna()]
    for iso3, rows in countries.groupby("iso3", sort=True):
        value = float(rows["production"].sum())
        lines = "+".join(str(int(x)) for x in sorted(rows["line"]))
        out[str(iso3)] = (value / world, value, world, lines, wline)
    return out
