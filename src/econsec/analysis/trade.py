"""Partner or rival: the Python API for the trade indices on a trade panel.

Plain functions returning pandas DataFrames, for notebooks and the CLI
(``econsec compare``, ``econsec rca``, ``econsec exposure --source trade``):

* :func:`load_trade` - bilateral flows from the trade-panel store
  (:func:`econsec.data.panel.load_flows`) or, for WIOD, straight from the WIOD 2013 long
  Parquet files (``wiod=PATH``), with an optional product selection and grouping.
* :func:`compare` - per year, for economies a and b: TCI of a's exports with b's imports,
  TCI of b's exports with a's imports (Michaely 1996), the Finger-Kreinin export
  similarity index in the world or in a third market, and the Grubel-Lloyd index.
* :func:`compare_breaks` / :func:`index_breaks` - the most likely structural break of
  each index series (sup-F over Chow tests, Andrews 1993; :mod:`econsec.metrics.breaks`)
  and its direction: toward complementarity or toward competition.
* :func:`rca` - an economy's Balassa RCA by product, top N.

Import shares from a panel (``exposure --source trade``) are in
:mod:`econsec.analysis.supply_exposure`. Years are parsed by
:func:`econsec.domain.years.parse_years`.

>>> from econsec import analysis
>>> analysis.compare("KOR", "CHN", years="1995-2011", wiod="data/wiod2013")  # doctest: +SKIP

Formulas and references are in :mod:`econsec.metrics.trade_indices` and
:mod:`econsec.metrics.complementarity`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from econsec.data.importers.wiod import FINAL, INTERMEDIATE, WIOD_CODES, wiod_bilateral_flows
from econsec.domain.years import YearsLike, years_list

if TYPE_CHECKING:
    from econsec.data.world import World
    from econsec.metrics.breaks import HigherMeans

INDEX_NAMES: tuple[str, ...] = ("tci_a_to_b", "tci_b_to_a", "esi", "gl")
"""Indices of :func:`compare`, in output order."""

INDEX_MEANING: dict[str, HigherMeans] = {
    "tci_a_to_b": "complementarity",  # higher = more complementary
    "tci_b_to_a": "complementarity",
    "esi": "competition",  # higher = more alike export baskets = more competition
}
"""What a higher value of each index means (GL: more two-way trade, neither)."""

COMPARE_COLUMNS = ["year", "economy_a", "economy_b", "index", "value", "market", "goods",
                   "grouping", "source"]
BREAK_COLUMNS = ["economy_a", "economy_b", "index", "break_year", "f_stat", "p_value",
                 "critical_value", "significant", "direction", "mean_before", "mean_after",
                 "slope_before", "slope_after", "n_years", "note"]
WIOD_FILES = (INTERMEDIATE, FINAL)
WORLD = "WLD"


# --- arguments ---------------------------------------------------------------------------


def _economy(code: str, name: str) -> str:
    text = str(code).strip().upper()
    if not text.isalpha() or len(text) != 3:
        raise ValueError(f"{name}: {code!r} is not an ISO 3166 alpha-3 code (e.g. KOR)")
    return text


# --- loading -----------------------------------------------------------------------------


def wiod_files(path: str | Path) -> tuple[Path, Path]:
    """The intermediate and final-demand Parquet files of a WIOD 2013 folder."""
    folder = Path(path)
    files = tuple(folder / name for name in WIOD_FILES)
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ValueError(f"wiod: {folder} lacks {', '.join(missing)} (the WIOD 2013 long"
                         " Parquet files, see docs/partner-or-rival.md)")
    return files[0], files[1]


@functools.lru_cache(maxsize=4)
def _wiod_cached(inter: Path, final: Path, stamp: tuple[float, float],
                 years: tuple[int, ...] | None) -> pd.DataFrame:
    cols = ["year", "from_country", "from_industry", "to_country", "value_musd"]
    filters = None if years is None else [("year", "in", list(years))]
    z = pd.read_parquet(inter, columns=cols, filters=filters)
    f = pd.read_parquet(final, columns=cols, filters=filters)
    flows = wiod_bilateral_flows(z, f)
    for col in ("exporter", "importer"):
        flows[col] = flows[col].replace(WIOD_CODES)
    flows["flow_source"] = "wiod2013"
    return flows


def read_wiod(path: str | Path, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Bilateral flows by WIOD industry from the WIOD 2013 long Parquet files in *path*.

    Gross exports ``E_cd,k = sum_l Z[c,k -> d,l] + sum_f F[c,k -> d,f]`` (see
    :func:`econsec.data.importers.wiod.wiod_bilateral_flows`), value in USD; WIOD's ``ROM``
    and ``RoW`` become ``ROU`` and ``ROW``. Cached per file and years.
    """
    inter, final = wiod_files(path)
    key = None if years is None else tuple(sorted({int(y) for y in years}))
    stamp = (inter.stat().st_mtime, final.stat().st_mtime)
    return _wiod_cached(inter, final, stamp, key).copy()


def _panel_flows(source: str, years: list[int] | None, db: Path | None,
                 exporters: list[str] | None = None,
                 importers: list[str] | None = None) -> pd.DataFrame:
    from econsec.data import panel
    from econsec.errors import StoreError

    try:
        return panel.load_flows(source, years=years, db=db, exporters=exporters,
                                importers=importers)
    except StoreError as exc:
        hint = " or pass --wiod PATH (the WIOD 2013 folder)" if source == "wiod" else ""
        raise ValueError(f"source: {exc}{hint}") from None


def load_trade(
    source: str = "wiod",
    *,
    years: YearsLike | None = None,
    db: Path | None = None,
    wiod: str | Path | None = None,
    economies: Iterable[str] | None = None,
    goods: str | None = None,
    grouping: str | None = None,
    world: World | None = None,
) -> pd.DataFrame:
    """Flows ``year, exporter, importer, product, value`` of a trade panel.

    ``source``: a panel dataset in the store (``baci``, ``comtrade``, ``wiod`` or any
    imported name); for ``wiod`` with ``wiod=PATH`` the WIOD 2013 Parquet files are read
    directly. ``economies``: keep only the flows with an exporter or an importer among
    them (everything their indices need except world totals, which RCA needs: leave it
    None for RCA). ``goods``: a product selection
    (:func:`econsec.metrics.product_groups.resolve_goods`); ``grouping``: relabel the
    products (``hs2``, ``hs4``, ``hs6``, ``good``, ``wiod``; None keeps them as stored).
    """
    from econsec.metrics import product_groups as pg

    wanted = years_list(years)
    econ = None if economies is None else sorted({str(e) for e in economies})
    if source == "wiod" and wiod is not None:
        flows = read_wiod(wiod, wanted)
        have = sorted(flows["year"].unique()) if len(flows) else []
        missing = sorted(set(wanted or []) - {int(y) for y in have})
        if missing:
            raise ValueError(f"years: WIOD 2013 has no data for {missing} (it covers 1995-2011)")
        if econ is not None:
            flows = flows[flows["exporter"].isin(econ) | flows["importer"].isin(econ)]
    elif econ is None:
        flows = _panel_flows(source, wanted, db)
    else:  # exports of the economies, plus their imports from everyone else
        out = _panel_flows(source, wanted, db, exporters=econ)
        inn = _panel_flows(source, wanted, db, importers=econ)
        flows = pd.concat([out, inn[~inn["exporter"].isin(econ)]], ignore_index=True)
    flows = flows[["year", "exporter", "importer", "product", "value"]]
    if goods is not None:
        flows = pg.select_products(flows, pg.resolve_goods(goods, world))
    if grouping is not None:
        flows = pg.apply_grouping(flows, grouping, world)
    return flows.reset_index(drop=True)


def _check_present(flows: pd.DataFrame, code: str, name: str, source: str) -> None:
    if not (flows["exporter"].eq(code).any() or flows["importer"].eq(code).any()):
        raise ValueError(f"{name}: economy {code!r} has no flows in source {source!r} for"
                         " these years and goods")


# --- compare -----------------------------------------------------------------------------


def compare(
    a: str,
    b: str,
    *,
    years: YearsLike | None = None,
    source: str = "wiod",
    market: str | None = None,
    goods: str | None = None,
    grouping: str | None = None,
    db: Path | None = None,
    wiod: str | Path | None = None,
    flows: pd.DataFrame | None = None,
    world: World | None = None,
) -> pd.DataFrame:
    """Complementarity and competition indices of economies *a* and *b*, per year.

    Long rows ``year, economy_a, economy_b, index, value, market, goods, grouping,
    source`` with ``index``:

    * ``tci_a_to_b`` - trade complementarity of a's exports with b's imports,
      ``100 * (1 - sum_k |m_bk - x_ak| / 2)`` (Michaely 1996); higher = complementary;
    * ``tci_b_to_a`` - the same with the roles swapped;
    * ``esi`` - Finger-Kreinin export similarity ``100 * sum_k min(s_ak, s_bk)`` of a's
      and b's exports to the world, or to *market* (Finger & Kreinin 1979); higher =
      competitors;
    * ``gl`` - Grubel-Lloyd intra-industry trade between a and b,
      ``1 - sum_k |X_k - M_k| / sum_k (X_k + M_k)`` (Grubel & Lloyd 1975).

    Products are the panel's (HS6 or WIOD industries) unless *grouping* says otherwise;
    *goods* restricts them (e.g. ``semiconductors``). Pass *flows* (a frame with
    ``year, exporter, importer, product, value``) to skip loading.
    """
    from econsec.metrics.complementarity import (
        export_similarity,
        grubel_lloyd,
        trade_complementarity,
    )
    from econsec.metrics.product_groups import apply_grouping, resolve_goods, select_products
    from econsec.metrics.trade_indices import encode_flows

    a, b = _economy(a, "economy_a"), _economy(b, "economy_b")
    mk = None if market is None else _economy(market, "market")
    if a == b:
        raise ValueError(f"economy_b: must differ from economy_a ({a})")
    if mk in (a, b):
        raise ValueError(f"market: must be a third economy, not {mk}")
    wanted = years_list(years)
    if flows is None:
        econ = [a, b] if mk is None else [a, b, mk]
        data = load_trade(source, years=wanted, db=db, wiod=wiod, economies=econ,
                          goods=goods, grouping=grouping, world=world)
    else:
        data = flows[["year", "exporter", "importer", "product", "value"]]
        if wanted is not None:
            data = data[data["year"].isin(wanted)]
            missing = sorted(set(wanted) - set(data["year"].astype(int)))
            if missing:
                raise ValueError(f"years: no flows for {missing}")
        if goods is not None:
            data = select_products(data, resolve_goods(goods, world))
        if grouping is not None:
            data = apply_grouping(data, grouping, world)
    if data.empty:
        raise ValueError(f"goods: no flows for {goods!r} in source {source!r}" if goods
                         else f"years: no flows in source {source!r}")
    _check_present(data, a, "economy_a", source)
    _check_present(data, b, "economy_b", source)
    if mk is not None:
        _check_present(data, mk, "market", source)
    enc = encode_flows(data)
    parts = [
        trade_complementarity(enc, exporter=a, importer=b).assign(index="tci_a_to_b"),
        trade_complementarity(enc, exporter=b, importer=a).assign(
            index="tci_b_to_a", economy_a=a, economy_b=b),
        export_similarity(enc, a, b, market=mk),
        grubel_lloyd(enc, a, b),
    ]
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    out["market"] = mk or WORLD
    out["goods"] = goods or "all"
    out["grouping"] = grouping or "as stored"
    out["source"] = source
    order = {name: i for i, name in enumerate(INDEX_NAMES)}
    out = out.sort_values(["year", "index"], key=lambda s: s.map(order) if s.name == "index"
                          else s, kind="stable")
    return out[COMPARE_COLUMNS].reset_index(drop=True)


def compare_wide(long: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare` rows as one row per year with a column per index (terminal view)."""
    wide = long.pivot_table(index="year", columns="index", values="value", aggfunc="first",
                            dropna=False)
    cols = [c for c in INDEX_NAMES if c in wide.columns]
    return wide[cols].reset_index().rename_axis(columns=None)


def _direction_text(index: str, direction: str) -> str:
    if index in INDEX_MEANING or direction in ("no clear change",):
        return direction
    return {"higher": "more intra-industry trade", "lower": "less intra-industry trade"}.get(
        direction, direction)


def index_breaks(comparison: pd.DataFrame, *, min_segment: int = 3) -> pd.DataFrame:
    """The most likely single break of each index series of a :func:`compare` frame.

    For each index: sup-F over Chow tests of a two-segment linear trend (intercept and
    slope change; :func:`econsec.metrics.breaks.detect_break`), its Chow p-value at the
    chosen year (which overstates significance: ``significant`` uses the simulated 5%
    sup-F critical value), and the direction read from what a higher value means
    (TCI: complementarity, ESI: competition). A series too short for two segments of
    ``min_segment`` years gets NaN with a note.
    """
    from econsec.metrics.breaks import detect_break

    rows: list[dict[str, Any]] = []
    for (ea, eb, index), g in comparison.groupby(["economy_a", "economy_b", "index"],
                                                 sort=False):
        g = g.sort_values("year")
        ok = np.isfinite(g["value"].to_numpy(dtype=float))
        rec: dict[str, Any] = {"economy_a": ea, "economy_b": eb, "index": index,
                               "n_years": int(ok.sum())}
        try:
            res = detect_break(g["year"].to_numpy(), g["value"].to_numpy(dtype=float),
                               min_segment=min_segment,
                               higher_means=INDEX_MEANING.get(str(index)))
        except ValueError as exc:
            rec.update(break_year=pd.NA, f_stat=math.nan, p_value=math.nan,
                       critical_value=math.nan, significant=False, direction="not tested",
                       mean_before=math.nan, mean_after=math.nan, slope_before=math.nan,
                       slope_after=math.nan, note=str(exc))
        else:
            rec.update(break_year=res.break_year, f_stat=res.f_stat, p_value=res.p_value,
                       critical_value=res.critical_value, significant=res.significant,
                       direction=_direction_text(str(index), res.direction),
                       mean_before=res.mean_before, mean_after=res.mean_after,
                       slope_before=res.slope_before, slope_after=res.slope_after,
                       note="" if res.significant else
                       "sup-F below the 5% critical value: no significant break")
        rows.append(rec)
    order = {name: i for i, name in enumerate(INDEX_NAMES)}
    out = pd.DataFrame(rows, columns=BREAK_COLUMNS)
    out["break_year"] = out["break_year"].astype("Int64")
    return out.sort_values("index", key=lambda s: s.map(order)).reset_index(drop=True)


def compare_breaks(a: str, b: str, *, comparison: pd.DataFrame | None = None,
                   min_segment: int = 3, **kwargs: Any) -> pd.DataFrame:
    """Break year, sup-F, p-value and direction per index of :func:`compare` (a, b).

    ``kwargs`` are those of :func:`compare`; pass an existing *comparison* to reuse it.
    """
    frame = comparison if comparison is not None else compare(a, b, **kwargs)
    return index_breaks(frame, min_segment=min_segment)


# --- RCA ---------------------------------------------------------------------------------


def rca(
    economy: str,
    *,
    year: int,
    source: str = "baci",
    top: int | None = 20,
    grouping: str | None = None,
    goods: str | None = None,
    db: Path | None = None,
    wiod: str | Path | None = None,
    flows: pd.DataFrame | None = None,
    world: World | None = None,
) -> pd.DataFrame:
    """Balassa RCA of *economy* in *year*, by product, highest first.

    ``RCA_cp = (x_cp / X_c) / (x_wp / X_w)`` over all exporters in the panel
    (Balassa 1965; :func:`econsec.metrics.trade_indices.balassa_rca`); ``rsca`` =
    (RCA - 1) / (RCA + 1). Columns ``year, economy, product, name, exports,
    world_exports, export_share, rca, rsca, source``; products the economy does not
    export are left out; ``top`` rows (None: all).
    """
    from econsec.metrics.product_groups import (
        apply_grouping,
        product_names,
        resolve_goods,
        select_products,
    )
    from econsec.metrics.trade_indices import balassa_rca, encode_flows

    code = _economy(economy, "economy")
    if top is not None and top < 1:
        raise ValueError(f"top: must be >= 1, got {top}")
    if flows is None:
        data = load_trade(source, years=[year], db=db, wiod=wiod, goods=goods,
                          grouping=grouping, world=world)
    else:
        data = flows.loc[flows["year"] == year, ["year", "exporter", "importer", "product",
                                                 "value"]]
        if goods is not None:
            data = select_products(data, resolve_goods(goods, world))
        if grouping is not None:
            data = apply_grouping(data, grouping, world)
    if data.empty:
        raise ValueError(f"year: no flows in source {source!r} for {year}")
    if not data["exporter"].eq(code).any():
        raise ValueError(f"economy: {code!r} exports nothing in source {source!r} in {year}")
    enc = encode_flows(data)
    r = balassa_rca(enc, year)
    r = r[r["economy"] == code]
    x = data[data["exporter"] == code].groupby("product", observed=True)["value"].sum()
    w = data.groupby("product", observed=True)["value"].sum()
    r = r.assign(
        exports=r["product"].map(x).fillna(0.0).to_numpy(dtype=float),
        world_exports=r["product"].map(w).to_numpy(dtype=float),
    )
    r = r[r["exports"] > 0]
    r = r.assign(export_share=r["exports"] / r["exports"].sum(),
                 rsca=(r["rca"] - 1.0) / (r["rca"] + 1.0))
    r = r.sort_values(["rca", "exports"], ascending=False)
    if top is not None:
        r = r.head(top)
    kind = grouping or ("wiod" if source == "wiod" else "hs6")
    r.insert(3, "name", list(product_names(pd.Index(r["product"].astype(str)), kind, world)))
    r["product"] = r["product"].astype(str)
    r["year"] = r["year"].astype("int64")
    r["source"] = source
    cols = ["year", "economy", "product", "name", "exports", "world_exports", "export_share",
            "rca", "rsca", "source"]
    return r[cols].reset_index(drop=True)
