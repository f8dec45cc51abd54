"""Hypothesis properties of the trade indices: bounds, symmetry, invariances, consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.metrics.complementarity import (
    export_similarity,
    grubel_lloyd,
    trade_complementarity,
)
from econsec.metrics.trade_indices import (
    balassa_rca,
    export_shares,
    import_shares,
    lafay_index,
)

ECONOMIES = ["CHN", "JPN", "KOR", "USA"]
PRODUCTS = ["p1", "p2", "p3", "p4", "p5"]
TOL = 1e-9

row = st.tuples(
    st.sampled_from([2015, 2016]),
    st.sampled_from(ECONOMIES),
    st.sampled_from(ECONOMIES),
    st.sampled_from(PRODUCTS),
    st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e9)),
)
flow_frames = st.lists(row, min_size=1, max_size=40).map(
    lambda rows: pd.DataFrame(rows, columns=["year", "exporter", "importer", "product", "value"])
)
common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.filterwarnings("error")


def finite(values: pd.Series) -> np.ndarray:
    v = values.to_numpy(dtype=np.float64)
    return v[np.isfinite(v)]


@common
@given(flow_frames)
def test_tci_within_0_100(f: pd.DataFrame) -> None:
    v = finite(trade_complementarity(f)["value"])
    assert ((v >= -TOL) & (v <= 100 + TOL)).all()


@common
@given(flow_frames)
def test_esi_within_0_100_and_symmetric(f: pd.DataFrame) -> None:
    esi = export_similarity(f)
    v = finite(esi["value"])
    assert ((v >= -TOL) & (v <= 100 + TOL)).all()
    fwd = esi.set_index(["year", "economy_a", "economy_b"])["value"]
    rev = esi.set_index(["year", "economy_b", "economy_a"])["value"]
    rev.index = rev.index.set_names(fwd.index.names)
    pd.testing.assert_series_equal(fwd.sort_index(), rev.sort_index(), atol=TOL)


@common
@given(flow_frames)
def test_gl_within_0_1(f: pd.DataFrame) -> None:
    v = finite(grubel_lloyd(f)["value"])
    assert ((v >= -TOL) & (v <= 1 + TOL)).all()
    if f["value"].gt(0).any():
        a = f.loc[f["value"].gt(0).idxmax(), "exporter"]
        per = grubel_lloyd(f, a, level="product")
        assert per["gl"].between(-TOL, 1 + TOL).all()


@common
@given(flow_frames)
def test_shares_sum_to_one(f: pd.DataFrame) -> None:
    for shares in (export_shares(f), import_shares(f)):
        sums = shares.groupby(["year", "economy"])["share"].sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)


@common
@given(flow_frames, st.floats(min_value=1e-3, max_value=1e3))
def test_rca_invariant_to_scaling(f: pd.DataFrame, c: float) -> None:
    a = balassa_rca(f)
    b = balassa_rca(f.assign(value=f["value"] * c))
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


@common
@given(flow_frames, st.sampled_from(ECONOMIES))
def test_lafay_sums_to_zero(f: pd.DataFrame, economy: str) -> None:
    lfi = lafay_index(f, economy)
    for _, g in lfi.groupby("year"):
        assert abs(g["lafay"].sum()) <= 1e-9
        assert (g["lafay"].abs() <= 100 + TOL).all()


@common
@given(flow_frames, st.sampled_from(ECONOMIES), st.sampled_from(ECONOMIES))
def test_all_pairs_equal_one_pair(f: pd.DataFrame, a: str, b: str) -> None:
    if a == b:
        return
    for fn in (trade_complementarity, export_similarity, grubel_lloyd):
        full = fn(f)
        one = fn(f, a, b)
        sel = full[(full["economy_a"] == a) & (full["economy_b"] == b)]
        for year, value in zip(one["year"], one["value"], strict=True):
            match = sel[sel["year"] == year]["value"]
            if len(match) == 0:  # a or b absent that year: one-pair result is NaN
                assert np.isnan(value)
            else:
                np.testing.assert_allclose(match.iloc[0], value, rtol=1e-12, atol=1e-12)


@common
@given(flow_frames, st.sampled_from(ECONOMIES), st.sampled_from(ECONOMIES))
def test_esi_third_market_all_pairs_equal_one_pair(f: pd.DataFrame, a: str, market: str) -> None:
    full = export_similarity(f, market=market)
    one = export_similarity(f, a=a, market=market)
    if a == market:
        return
    merged = one.merge(full, on=["year", "economy_a", "economy_b"], suffixes=("_one", ""))
    np.testing.assert_allclose(merged["value_one"], merged["value"], atol=1e-12)
