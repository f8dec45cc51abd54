"""Trade shares and single-economy trade indices on a long bilateral trade frame.

Input everywhere is a *flows* frame with columns ``year, exporter, importer, product,
value`` (value in USD; ``product`` is any grouping code: HS2/HS4/HS6, a good id, a WIOD
industry). Rows with ``exporter == importer`` (domestic flows) and rows with a missing
value are ignored; negative values are an error. Duplicate keys are summed.

Every public function also accepts the result of :func:`encode_flows`, so a caller that
runs several indices on one large panel (full BACI: ~11M rows a year) pays the encoding
once. The kernels work on dense ``economy x product`` matrices built with
``np.bincount``; there are no Python loops over economies, pairs or products.

Pair indices (TCI, ESI, Grubel-Lloyd) live in :mod:`econsec.metrics.complementarity`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

FLOW_COLUMNS: tuple[str, ...] = ("year", "exporter", "importer", "product", "value")
WORLD = "WLD"
"""Label used for the world as a market (World Bank code)."""

# Integer columns whose range is below this are encoded by offset, not by hashing.
_DENSE_CODE_RANGE = 50_000_000


@dataclass(frozen=True)
class EncodedFlows:
    """A flows frame encoded as integer codes (the input of every kernel here).

    ``e``, ``i``, ``k`` index ``economies`` (exporter, importer) and ``products``; ``t``
    indexes ``years``; ``v`` is the value. Self-flows and missing values are removed.
    """

    years: pd.Index
    economies: pd.Index
    products: pd.Index
    t: np.ndarray
    e: np.ndarray
    i: np.ndarray
    k: np.ndarray
    v: np.ndarray

    @property
    def n_economies(self) -> int:
        return len(self.economies)

    @property
    def n_products(self) -> int:
        return len(self.products)

    def year_rows(self, t: int) -> np.ndarray | slice:
        """Row selector for year code ``t`` (a full slice when there is one year)."""
        if len(self.years) == 1:
            return slice(None)
        return np.flatnonzero(self.t == t)


FlowsLike: TypeAlias = pd.DataFrame | EncodedFlows


def _compact(codes: np.ndarray, labels: np.ndarray | pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Drop unused labels, sort the rest, remap codes (codes must be >= 0)."""
    labels = pd.Index(labels)
    present = np.bincount(codes, minlength=len(labels)) > 0
    kept = labels[present]
    order = np.argsort(kept.to_numpy(), kind="stable") if len(kept) else np.array([], int)
    # old code -> position among kept -> sorted position
    rank = np.empty(len(kept), dtype=np.int64)
    rank[order] = np.arange(len(kept))
    remap = np.full(len(labels), -1, dtype=np.int64)
    remap[present] = rank
    return remap[codes], kept[order]


def _factorize(col: pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    """Codes (int64, >= 0) and sorted labels of one key column, fast paths first."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        labels: Any = col.cat.categories
    elif pd.api.types.is_integer_dtype(col.dtype) and len(col):
        vals = col.to_numpy(dtype=np.int64)
        lo, hi = int(vals.min()), int(vals.max())
        if hi - lo < _DENSE_CODE_RANGE:
            return _compact(vals - lo, np.arange(lo, hi + 1, dtype=np.int64))
        codes, labels = pd.factorize(col)
    else:
        codes, labels = pd.factorize(col)
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        raise ValueError(f"flows column {name!r} has missing keys")
    return _compact(codes, labels)


def encode_flows(flows: FlowsLike) -> EncodedFlows:
    """Validate a flows frame and encode its keys as integer codes.

    Exporter and importer share one economy index (the sorted union of both columns).
    Pass categoricals or integer codes for speed; strings are hashed.
    """
    if isinstance(flows, EncodedFlows):
        return flows
    missing = [c for c in FLOW_COLUMNS if c not in flows.columns]
    if missing:
        raise ValueError(f"flows frame lacks column(s) {missing}; needs {list(FLOW_COLUMNS)}")
    v = pd.to_numeric(flows["value"], errors="raise").to_numpy(dtype=np.float64)
    if (v < 0).any():
        raise ValueError("flows column 'value' has negative values")
    t, years = _factorize(flows["year"], "year")
    k, products = _factorize(flows["product"], "product")
    ce, le = _factorize(flows["exporter"], "exporter")
    ci, li = _factorize(flows["importer"], "importer")
    economies = le.union(li)
    if not economies.is_monotonic_increasing:  # mixed types: keep the union's order
        economies = pd.Index(economies)
    e = economies.get_indexer(le)[ce]
    i = economies.get_indexer(li)[ci]
    keep = (e != i) & ~np.isnan(v)
    if not keep.all():
        t, e, i, k, v = t[keep], e[keep], i[keep], k[keep], v[keep]
    small = np.int32 if max(len(economies), len(products), len(years)) < 2**31 else np.int64
    return EncodedFlows(
        years=years,
        economies=economies,
        products=products,
        t=t.astype(small),
        e=e.astype(small),
        i=i.astype(small),
        k=k.astype(small),
        v=v,
    )


def _year_codes(enc: EncodedFlows, year: Hashable | Iterable[Hashable] | None) -> list[int]:
    """Year codes selected by ``year`` (None: all; a scalar; or an iterable)."""
    if year is None:
        return list(range(len(enc.years)))
    wanted = list(year) if isinstance(year, Iterable) and not isinstance(year, str) else [year]
    pos = enc.years.get_indexer(pd.Index(wanted))
    return list(dict.fromkeys(int(p) for p in pos if p >= 0))


def _economy_code(enc: EncodedFlows, economy: Hashable) -> int:
    """Code of one economy, -1 when it does not occur in the flows."""
    return int(enc.economies.get_indexer(pd.Index([economy]))[0])


def _dense(codes_row: np.ndarray, k: np.ndarray, v: np.ndarray, n: int, p: int) -> np.ndarray:
    """Dense ``n x p`` matrix of summed values at (row code, product code)."""
    key = codes_row.astype(np.int64) * p + k
    return np.bincount(key, weights=v, minlength=n * p).reshape(n, p)


def trade_matrices(
    enc: EncodedFlows, t: int, market: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exports ``X[c, k]`` (to the world, or to ``market`` code) and imports ``M[c, k]``.

    Both are dense float64 ``economies x products`` matrices for year code ``t``.
    """
    rows = enc.year_rows(t)
    e, i, k, v = enc.e[rows], enc.i[rows], enc.k[rows], enc.v[rows]
    n, p = enc.n_economies, enc.n_products
    imports = _dense(i, k, v, n, p)
    if market is not None:
        sel = i == market
        e, k, v = e[sel], k[sel], v[sel]
    exports = _dense(e, k, v, n, p)
    return exports, imports


def row_shares(values: np.ndarray) -> np.ndarray:
    """Shares of each column in its row total: ``s_ck = v_ck / sum_j v_cj``.

    Rows with a zero total are NaN (no divide-by-zero warning).
    """
    total = values.sum(axis=1, keepdims=True)
    out = np.full(values.shape, np.nan)
    np.divide(values, total, out=out, where=total > 0)
    return out


def _presence(codes: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes, minlength=n) > 0


def _shares_frame(
    enc: EncodedFlows,
    year: Hashable | Iterable[Hashable] | None,
    side: str,
    partner: Hashable | None,
) -> pd.DataFrame:
    parts = []
    pcode = None if partner is None else _economy_code(enc, partner)
    for t in _year_codes(enc, year):
        rows = enc.year_rows(t)
        own, other = (enc.e, enc.i) if side == "export" else (enc.i, enc.e)
        c, o, k, v = own[rows], other[rows], enc.k[rows], enc.v[rows]
        if pcode is not None:
            sel = o == pcode
            c, k, v = c[sel], k[sel], v[sel]
        mat = _dense(c, k, v, enc.n_economies, enc.n_products)
        total = mat.sum(axis=1)
        ci, ki = np.nonzero(mat > 0)
        parts.append(
            pd.DataFrame(
                {
                    "year": enc.years[np.full(len(ci), t)],
                    "economy": enc.economies[ci],
                    "product": enc.products[ki],
                    "value": mat[ci, ki],
                    "total": total[ci],
                    "share": mat[ci, ki] / total[ci],
                }
            )
        )
    cols = ["year", "economy", "product", "value", "total", "share"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def export_shares(
    flows: FlowsLike,
    year: Hashable | Iterable[Hashable] | None = None,
    market: Hashable | None = None,
) -> pd.DataFrame:
    """Share of each product in each economy's exports.

    Formula: ``x_ck = X_ck / sum_j X_cj`` where ``X_ck`` is the value of economy c's
    exports of product k to the world (or to ``market`` when given). This is the export
    structure vector used by the trade complementarity index (Michaely 1996) and the
    export similarity index (Finger & Kreinin 1979).

    Returns ``[year, economy, product, value, total, share]`` with one row per positive
    flow (shares sum to 1 for each year and economy).
    """
    return _shares_frame(encode_flows(flows), year, "export", market)


def import_shares(
    flows: FlowsLike,
    year: Hashable | Iterable[Hashable] | None = None,
    source: Hashable | None = None,
) -> pd.DataFrame:
    """Share of each product in each economy's imports.

    Formula: ``m_ik = M_ik / sum_j M_ij`` where ``M_ik`` is economy i's imports of product
    k from the world (or from ``source``). Import structure vector of the trade
    complementarity index (Michaely 1996).

    Returns ``[year, economy, product, value, total, share]``, one row per positive flow.
    """
    return _shares_frame(encode_flows(flows), year, "import", source)


def rca_matrix(exports: np.ndarray) -> np.ndarray:
    """Balassa RCA of an ``economies x products`` export matrix.

    ``RCA_cp = (x_cp / X_c) / (x_wp / X_w)``; NaN where an economy or the world has no
    exports (or a product has no world exports).
    """
    own = row_shares(exports)
    world = exports.sum(axis=0)
    world_total = world.sum()
    world_share = np.full(world.shape, np.nan)
    if world_total > 0:
        np.divide(world, world_total, out=world_share, where=world > 0)
    out = np.full(exports.shape, np.nan)
    np.divide(own, world_share, out=out, where=np.isfinite(world_share) & np.isfinite(own))
    return out


def balassa_rca(
    flows: FlowsLike, year: Hashable | Iterable[Hashable] | None = None
) -> pd.DataFrame:
    """Balassa's revealed comparative advantage of every exporter in every product.

    Formula: ``RCA_cp = (x_cp / X_c) / (x_wp / X_w)`` with ``x_cp`` economy c's exports of
    product p, ``X_c = sum_p x_cp``, ``x_wp = sum_c x_cp`` and ``X_w = sum_c X_c``.
    RCA > 1: c is relatively specialised in p.

    Reference: Balassa, B. (1965), "Trade Liberalisation and 'Revealed' Comparative
    Advantage", The Manchester School 33(2): 99-123.

    Returns ``[year, economy, product, rca]``: dense over the economies that appear as
    exporters and the products that appear in that year (0 where c does not export p;
    NaN when c's total exports are zero).
    """
    enc = encode_flows(flows)
    parts = []
    for t in _year_codes(enc, year):
        rows = enc.year_rows(t)
        exports, _ = trade_matrices(enc, t)
        rca = rca_matrix(exports)
        econ = np.flatnonzero(_presence(enc.e[rows], enc.n_economies))
        prod = np.flatnonzero(_presence(enc.k[rows], enc.n_products))
        sub = rca[np.ix_(econ, prod)]
        parts.append(
            pd.DataFrame(
                {
                    "year": enc.years[np.full(sub.size, t)],
                    "economy": enc.economies[np.repeat(econ, len(prod))],
                    "product": enc.products[np.tile(prod, len(econ))],
                    "rca": sub.ravel(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["year", "economy", "product", "rca"])
    return pd.concat(parts, ignore_index=True)


def symmetric_rca(
    flows: FlowsLike, year: Hashable | Iterable[Hashable] | None = None
) -> pd.DataFrame:
    """Revealed symmetric comparative advantage, RSCA = (RCA - 1) / (RCA + 1), in [-1, 1].

    Maps Balassa's skewed [0, inf) index onto a symmetric scale (0 = neutral).

    References: Dalum, B., Laursen, K. and Villumsen, G. (1998), "Structural Change in
    OECD Export Specialisation Patterns: de-specialisation and 'stickiness'",
    International Review of Applied Economics 12(3): 423-443; Laursen, K. (2015),
    "Revealed comparative advantage and the alternatives as measures of international
    specialization", Eurasian Business Review 5: 99-115.

    Returns ``[year, economy, product, rsca]`` on the rows of :func:`balassa_rca`.
    """
    out = balassa_rca(flows, year)
    rca = out.pop("rca").to_numpy(dtype=np.float64)
    out["rsca"] = (rca - 1.0) / (rca + 1.0)  # rca >= 0 or NaN: never 0/0
    return out


def lafay_index(
    flows: FlowsLike,
    economy: Hashable,
    year: Hashable | Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Lafay index of trade specialisation of one economy, by product.

    Formula (trade-only version used in the literature, no GDP term), with ``x_k`` and
    ``m_k`` the economy's exports and imports of product k and sums over all products j:

        LFI_k = 100 * [ (x_k - m_k)/(x_k + m_k) - sum_j(x_j - m_j)/sum_j(x_j + m_j) ]
                    * (x_k + m_k) / sum_j(x_j + m_j)

    computed as ``100 * [(x_k - m_k) - (x_k + m_k) * B / T] / T`` (B the trade balance,
    T total trade), so it sums to zero over products. Positive: specialisation.

    Reference: Lafay, G. (1992), "The measurement of revealed comparative advantages",
    in M. G. Dagenais and P.-A. Muet (eds.), International Trade Modelling, Chapman &
    Hall, London, pp. 209-234.

    Returns ``[year, economy, product, exports, imports, lafay]`` for the products the
    economy trades (x_k + m_k > 0) in each year.
    """
    enc = encode_flows(flows)
    c = _economy_code(enc, economy)
    parts = []
    for t in _year_codes(enc, year) if c >= 0 else []:
        rows = enc.year_rows(t)
        e, i, k, v = enc.e[rows], enc.i[rows], enc.k[rows], enc.v[rows]
        x = np.bincount(k[e == c], weights=v[e == c], minlength=enc.n_products)
        m = np.bincount(k[i == c], weights=v[i == c], minlength=enc.n_products)
        trade = x + m
        total = trade.sum()
        if total <= 0:
            continue
        balance = (x - m).sum()
        lfi = 100.0 * ((x - m) - trade * balance / total) / total
        kk = np.flatnonzero(trade > 0)
        parts.append(
            pd.DataFrame(
                {
                    "year": enc.years[np.full(len(kk), t)],
                    "economy": economy,
                    "product": enc.products[kk],
                    "exports": x[kk],
                    "imports": m[kk],
                    "lafay": lfi[kk],
                }
            )
        )
    cols = ["year", "economy", "product", "exports", "imports", "lafay"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _product_list(product: Hashable | Sequence[Hashable] | None) -> list[Hashable] | None:
    if product is None:
        return None
    if isinstance(product, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return list(product)
    return [product]


def _dependence(
    flows: FlowsLike,
    economy: Hashable,
    product: Hashable | Sequence[Hashable] | None,
    year: Hashable | Iterable[Hashable] | None,
    side: str,
) -> pd.DataFrame:
    """Partner shares of one economy's imports (side='importer') or exports."""
    enc = encode_flows(flows)
    code = _economy_code(enc, economy)
    products = _product_list(product)
    own, other = (enc.i, enc.e) if side == "importer" else (enc.e, enc.i)
    pcodes = None if products is None else enc.products.get_indexer(pd.Index(products))
    n, p = enc.n_economies, enc.n_products
    ts, partners, prods, vals, tots = [], [], [], [], []
    for t in _year_codes(enc, year) if code >= 0 else []:
        rows = enc.year_rows(t)
        sel = own[rows] == code
        o, k, v = other[rows][sel], enc.k[rows][sel], enc.v[rows][sel]
        if pcodes is None:
            val = np.bincount(o, weights=v, minlength=n)[:, None]
            cols = np.array([-1])
        else:
            cols = pcodes[pcodes >= 0]
            val = _dense(o, k, v, n, p)[:, cols]
        total = val.sum(axis=0)
        oi, ci = np.nonzero(val > 0)
        ts.append(np.full(len(oi), t))
        partners.append(oi)
        prods.append(cols[ci])
        vals.append(val[oi, ci])
        tots.append(total[ci])

    def cat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(chunks).astype(dtype) if chunks else np.array([], dtype)

    num, den = cat(vals, np.float64), cat(tots, np.float64)
    data: dict[str, Any] = {
        "year": enc.years[cat(ts, np.int64)],
        side: np.full(len(num), economy, dtype=object),
        "partner": enc.economies[cat(partners, np.int64)],
    }
    if products is not None:
        data["product"] = enc.products[cat(prods, np.int64)]
    data.update(value=num, total=den, share=num / den)
    return pd.DataFrame(data)


def import_dependence(
    flows: FlowsLike,
    importer: Hashable,
    product: Hashable | Sequence[Hashable] | None = None,
    year: Hashable | Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Share of each supplier in an economy's imports (of all goods or of given products).

    Formula: ``d_is(k) = M_is(k) / sum_s' M_is'(k)`` with ``M_is(k)`` the imports of
    importer i from supplier s (of product k). Import-dependence share as in the
    supply-risk literature (e.g. European Commission (2021), "Strategic dependencies and
    capacities", SWD(2021) 352; OECD (2023) on trade concentration).

    Returns ``[year, importer, partner, (product), value, total, share]`` for partners
    with positive imports; shares sum to 1 per year (and product).
    """
    return _dependence(flows, importer, product, year, "importer")


def export_dependence(
    flows: FlowsLike,
    exporter: Hashable,
    product: Hashable | Sequence[Hashable] | None = None,
    year: Hashable | Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """Share of each destination in an economy's exports (of all goods or given products).

    Formula: ``d_cj(k) = X_cj(k) / sum_j' X_cj'(k)``: the exporter's reliance on market j
    (the lever a coercing importer holds over it).

    Returns ``[year, exporter, partner, (product), value, total, share]``.
    """
    return _dependence(flows, exporter, product, year, "exporter")


def market_share(
    flows: FlowsLike,
    exporter: Hashable,
    market: Hashable | None = None,
    product: Hashable | Sequence[Hashable] | None = None,
    year: Hashable | Iterable[Hashable] | None = None,
) -> pd.DataFrame:
    """An exporter's share of a market's imports (or of world exports).

    Formula: ``MS_cj(k) = X_cj(k) / sum_c' X_c'j(k)``: exports of c to market j (of
    product k) over j's imports from all sources; with ``market=None`` the denominator
    is world exports ``sum_c' sum_j X_c'j(k)`` and the market is labelled ``"WLD"``.
    Constant-market-share analysis starts from this quantity (Leamer & Stern (1970),
    Quantitative International Economics, ch. 7).

    Returns ``[year, exporter, market, (product), value, total, share]`` with one row per
    year (and product); share is NaN when the market total is zero.
    """
    enc = encode_flows(flows)
    c = _economy_code(enc, exporter)
    j = None if market is None else _economy_code(enc, market)
    products = _product_list(product)
    pcodes = None if products is None else enc.products.get_indexer(pd.Index(products))
    recs: list[dict[str, Any]] = []
    for t in _year_codes(enc, year):
        rows = enc.year_rows(t)
        e, i, k, v = enc.e[rows], enc.i[rows], enc.k[rows], enc.v[rows]
        if j is not None:
            sel = i == j
            e, k, v = e[sel], k[sel], v[sel]
        own = e == c
        tot_k = np.bincount(k, weights=v, minlength=enc.n_products)
        own_k = np.bincount(k[own], weights=v[own], minlength=enc.n_products)
        if pcodes is None:
            pairs: list[tuple[Any, float, float]] = [(None, own_k.sum(), tot_k.sum())]
        else:
            pairs = [
                (prod, own_k[pc] if pc >= 0 else 0.0, tot_k[pc] if pc >= 0 else 0.0)
                for prod, pc in zip(products or [], pcodes, strict=True)
            ]
        for prod, num, den in pairs:
            rec: dict[str, Any] = {
                "year": enc.years[t],
                "exporter": exporter,
                "market": WORLD if market is None else market,
            }
            if products is not None:
                rec["product"] = prod
            rec.update(value=float(num), total=float(den), share=num / den if den > 0 else np.nan)
            recs.append(rec)
    cols = ["year", "exporter", "market"] + (["product"] if products is not None else [])
    return pd.DataFrame(recs, columns=[*cols, "value", "total", "share"])


def market_share_change(
    flows: FlowsLike,
    exporter: Hashable,
    start: Hashable,
    end: Hashable,
    market: Hashable | None = None,
    product: Hashable | Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Change of an exporter's market share between two years.

    Formula: ``dMS = MS(end) - MS(start)`` (share units; multiply by 100 for percentage
    points), with MS as in :func:`market_share`.

    Returns ``[exporter, market, (product), start_year, end_year, share_start, share_end,
    change]``.
    """
    ms = market_share(flows, exporter, market, product, [start, end])
    keys = ["exporter", "market"] + (["product"] if "product" in ms.columns else [])
    a = ms[ms["year"] == start].set_index(keys)["share"]
    b = ms[ms["year"] == end].set_index(keys)["share"]
    idx = a.index.union(b.index) if len(a) or len(b) else a.index
    out = pd.DataFrame(
        {"share_start": a.reindex(idx), "share_end": b.reindex(idx)}, index=idx
    ).reset_index()
    if out.empty:  # neither year present: one NaN row
        row: dict[str, Any] = {"exporter": exporter, "market": market or WORLD}
        out = pd.DataFrame([row | {"share_start": np.nan, "share_end": np.nan}])
    out.insert(len(keys), "start_year", start)
    out.insert(len(keys) + 1, "end_year", end)
    out["change"] = out["share_end"] - out["share_start"]
    return out
