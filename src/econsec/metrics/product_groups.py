"""Product groupings for the trade indices: HS2/HS4/HS6, built-in goods, named groups, WIOD.

A trade panel's ``product`` column holds HS6 codes (BACI, Comtrade) or WIOD 2013
industries (``c1`` ... ``c35``). The indices of :mod:`econsec.metrics.trade_indices` work
on any product code, so a *grouping* is just a relabelling of ``product`` followed by a
sum over the new labels:

* ``hs2`` / ``hs4`` / ``hs6``: the first 2, 4 or 6 digits of the HS6 code (chapter,
  heading, subheading of the WCO Harmonized System).
* ``good``: the built-in world's goods through their ``hs6`` codes
  (``src/econsec/data/world/goods.csv``). A code listed by several goods (e.g. 811292 for
  gallium and germanium, 848620 for most chip-making tools) cannot be split by trade
  data, so its flows go to one joint label ``"gallium|germanium"``; codes of no good are
  dropped (the index is then computed over the goods' trade only).
* ``wiod``: WIOD 2013 industries, unchanged (names in :data:`WIOD_INDUSTRIES`).

A *selection* (``goods=``) restricts the flows before grouping: a named group from
``src/econsec/data/product_groups.csv`` (``semiconductors``, ``chips``,
``semiconductor_equipment``, ``critical_minerals``, ``batteries``; each with its HS codes,
its WIOD industries and a definition note), a built-in good id, HS codes of 2, 4 or 6
digits (prefix match) or WIOD industries; several comma-separated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from econsec.data.world import World

GROUPINGS: tuple[str, ...] = ("hs2", "hs4", "hs6", "good", "wiod")
"""Accepted values of ``grouping``."""

WIOD_INDUSTRIES: dict[str, str] = {
    "c1": "Agriculture, hunting, forestry and fishing",
    "c2": "Mining and quarrying",
    "c3": "Food, beverages and tobacco",
    "c4": "Textiles and textile products",
    "c5": "Leather, leather products and footwear",
    "c6": "Wood and products of wood and cork",
    "c7": "Pulp, paper, printing and publishing",
    "c8": "Coke, refined petroleum and nuclear fuel",
    "c9": "Chemicals and chemical products",
    "c10": "Rubber and plastics",
    "c11": "Other non-metallic minerals",
    "c12": "Basic metals and fabricated metal",
    "c13": "Machinery n.e.c.",
    "c14": "Electrical and optical equipment",
    "c15": "Transport equipment",
    "c16": "Manufacturing n.e.c.; recycling",
    "c17": "Electricity, gas and water supply",
    "c18": "Construction",
    "c19": "Sale, maintenance and repair of motor vehicles; retail sale of fuel",
    "c20": "Wholesale trade and commission trade",
    "c21": "Retail trade; repair of household goods",
    "c22": "Hotels and restaurants",
    "c23": "Inland transport",
    "c24": "Water transport",
    "c25": "Air transport",
    "c26": "Supporting and auxiliary transport activities; travel agencies",
    "c27": "Post and telecommunications",
    "c28": "Financial intermediation",
    "c29": "Real estate activities",
    "c30": "Renting of machinery and equipment and other business activities",
    "c31": "Public administration and defence; compulsory social security",
    "c32": "Education",
    "c33": "Health and social work",
    "c34": "Other community, social and personal services",
    "c35": "Private households with employed persons",
}
"""WIOD 2013 release industries (ISIC Rev. 3 / NACE Rev. 1 based), from Timmer et al.
(2015), "An Illustrated User Guide to the World Input-Output Database", Review of
International Economics 23: 575-605, and the WIOD industry list."""


@dataclass(frozen=True)
class ProductSelection:
    """Products picked by a ``goods`` argument: HS prefixes and WIOD industries."""

    spec: str
    hs_prefixes: tuple[str, ...]
    wiod: tuple[str, ...]
    note: str

    def mask(self, products: pd.Series) -> np.ndarray:
        """Boolean mask of the rows whose product is selected (works on categoricals)."""
        codes, uniques = pd.factorize(products, sort=False)
        labels = pd.Index(uniques).astype(str)
        hit = labels.isin(self.wiod)
        if self.hs_prefixes:
            hit = hit | np.asarray(hs6_codes(labels).str.startswith(self.hs_prefixes))
        return np.asarray(hit)[codes] & (codes >= 0)


@functools.lru_cache(maxsize=1)
def product_groups() -> pd.DataFrame:
    """The named groups: ``group, hs, wiod, description, definition`` (one row per code).

    ``definition`` holds the group's definition and source once per group (later rows
    say "see above"). Read from ``econsec/data/product_groups.csv``.
    """
    path = resources.files("econsec.data").joinpath("product_groups.csv")
    with path.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return frame


def group_names() -> list[str]:
    """Names of the named product groups."""
    return sorted(product_groups()["group"].unique())


def group_definition(name: str) -> str:
    """Definition and source note of a named group."""
    rows = product_groups()
    rows = rows[rows["group"] == name]
    if rows.empty:
        raise ValueError(f"goods: unknown product group {name!r}; known: {group_names()}")
    return str(rows["definition"].iloc[0])


def hs6_codes(products: pd.Index | pd.Series) -> pd.Index:
    """Product codes as HS strings: digits only, integer-like codes zero-padded to 6."""
    text = pd.Index(products).astype(str).str.replace(r"[\s.\-]", "", regex=True)
    short = text.str.fullmatch(r"\d{5}")
    return pd.Index(np.where(short, text.str.zfill(6), text))


def _good_hs(world: World) -> dict[str, tuple[str, ...]]:
    return {
        str(g): tuple(h) if isinstance(h, tuple) else ()
        for g, h in zip(world.goods["good_id"], world.goods["hs6"], strict=True)
    }


def _world(world: World | None) -> World:
    from econsec.data.world import load_world

    return world if world is not None else load_world()


def resolve_goods(spec: str, world: World | None = None) -> ProductSelection:
    """The products named by *spec* (comma-separated items).

    Each item is a named group (:func:`group_names`), a built-in good id, an HS code of
    2, 4 or 6 digits (dots allowed; prefix match) or a WIOD industry ``c1`` ... ``c35``.
    Raises ``ValueError`` naming the argument ``goods`` for an unknown item.
    """
    items = [s.strip() for s in str(spec).split(",") if s.strip()]
    if not items:
        raise ValueError("goods: empty selection")
    groups = product_groups()
    hs: list[str] = []
    wiod: list[str] = []
    notes: list[str] = []
    good_hs: dict[str, tuple[str, ...]] | None = None
    for item in items:
        low = item.lower()
        digits = item.replace(".", "").replace(" ", "")
        if low in set(groups["group"]):
            rows = groups[groups["group"] == low]
            hs += list(rows["hs"])
            wiod += [w for w in rows["wiod"] if w]
            notes.append(f"{low}: {group_definition(low)}")
        elif low in WIOD_INDUSTRIES:
            wiod.append(low)
            notes.append(f"{low}: WIOD industry {WIOD_INDUSTRIES[low]}")
        elif digits.isdigit() and len(digits) in (2, 4, 6):
            hs.append(digits)
            notes.append(f"HS {digits}")
        else:
            good_hs = good_hs if good_hs is not None else _good_hs(_world(world))
            if low not in good_hs:
                import difflib

                close = difflib.get_close_matches(low, [*group_names(), *good_hs], n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ValueError(
                    f"goods: unknown product group, good or code {item!r}{hint}; named"
                    f" groups: {', '.join(group_names())}; or a built-in good id, an HS code"
                    " of 2/4/6 digits, or a WIOD industry c1..c35"
                )
            codes = good_hs[low]
            if not codes:
                raise ValueError(f"goods: built-in good {low!r} has no HS code to select by")
            hs += list(codes)
            notes.append(f"{low}: HS {', '.join(codes)} (built-in world)")
    return ProductSelection(
        spec=",".join(items),
        hs_prefixes=tuple(dict.fromkeys(hs)),
        wiod=tuple(dict.fromkeys(wiod)),
        note="; ".join(notes),
    )


def select_products(flows: pd.DataFrame, selection: ProductSelection) -> pd.DataFrame:
    """Rows of *flows* whose ``product`` is in *selection*."""
    return flows[selection.mask(flows["product"])].reset_index(drop=True)


def _hs6_to_goods(world: World) -> dict[str, str]:
    """HS6 code -> good label; codes shared by several goods get the joint label."""
    owners: dict[str, list[str]] = {}
    for good, codes in _good_hs(world).items():
        for code in codes:
            owners.setdefault(code, []).append(good)
    return {code: "|".join(sorted(goods)) for code, goods in owners.items()}


def group_labels(
    products: pd.Index | pd.Series, grouping: str, world: World | None = None
) -> pd.Index:
    """New label of each product code under *grouping* (NaN: the product is dropped)."""
    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {list(GROUPINGS)}, not {grouping!r}")
    labels = pd.Index(products).astype(str)
    if grouping == "wiod":
        bad = sorted(set(labels) - set(WIOD_INDUSTRIES))
        if bad:
            raise ValueError(
                f"grouping 'wiod' needs WIOD industry codes c1..c35; found {bad[:5]}"
            )
        return labels
    if labels.isin(list(WIOD_INDUSTRIES)).any():
        raise ValueError(
            f"grouping {grouping!r} needs HS codes; this panel has WIOD industries"
            " (use grouping 'wiod')"
        )
    hs = hs6_codes(labels)
    if grouping == "good":
        return pd.Index(hs.map(_hs6_to_goods(_world(world))))
    width = int(grouping[2:])
    return pd.Index(hs.str[:width])


def apply_grouping(
    flows: pd.DataFrame, grouping: str, world: World | None = None
) -> pd.DataFrame:
    """*flows* relabelled by *grouping* and summed per ``year, exporter, importer, product``.

    Only the distinct product codes are relabelled (a few thousand even on 11M rows);
    products without a label under the grouping are dropped.
    """
    codes, uniques = pd.factorize(flows["product"], sort=False)
    new = group_labels(pd.Index(uniques), grouping, world)
    if grouping in ("wiod", "hs6") and new.equals(pd.Index(uniques).astype(str)):
        return flows
    new_codes, new_uniques = pd.factorize(new, sort=True)
    row_codes = np.where(codes >= 0, new_codes[np.maximum(codes, 0)], -1)
    keep = row_codes >= 0
    out = flows.loc[keep, ["year", "exporter", "importer", "value"]].copy()
    out["product"] = pd.Categorical.from_codes(row_codes[keep], categories=new_uniques)
    return (
        out.groupby(["year", "exporter", "importer", "product"], observed=True, sort=False)[
            "value"
        ]
        .sum()
        .reset_index()
    )


def product_names(
    products: pd.Index | pd.Series, grouping: str, world: World | None = None
) -> pd.Index:
    """Readable names of grouped product labels ('' where none is known).

    WIOD industries get their WIOD names, goods their built-in names, HS codes the
    description of a named group that lists that exact code.
    """
    labels = pd.Index(products).astype(str)
    if grouping == "wiod":
        return pd.Index(labels.map(lambda p: WIOD_INDUSTRIES.get(p, "")))
    if grouping == "good":
        w = _world(world)
        names = dict(zip(w.goods["good_id"].astype(str), w.goods["name"].astype(str),
                         strict=True))
        return pd.Index(labels.map(lambda p: " | ".join(names.get(g, g) for g in p.split("|"))))
    known = product_groups().drop_duplicates("hs").set_index("hs")["description"].to_dict()
    return pd.Index(labels.map(lambda p: known.get(p, "")))
