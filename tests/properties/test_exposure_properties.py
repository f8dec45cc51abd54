"""Hypothesis properties of the exposure kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from econsec.metrics.exposure import lookthrough_exposure
from econsec.metrics.leontief import origin_shares, value_added_coefficients
from econsec.metrics.network import build_network

ECONS = ["AAA", "BBB", "CCC"]
GOODS = ["g0", "g1", "g2", "g3"]


@st.composite
def random_world(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = []
    for g in GOODS:
        raw = np.array(draw(st.lists(st.floats(0, 1), min_size=3, max_size=3)))
        if raw.sum() == 0:
            raw[0] = 1.0
        raw = raw / raw.sum()
        rows += [{"good": g, "economy": e, "share": float(s), "year": 2024}
                 for e, s in zip(ECONS, raw, strict=True) if s > 0]
    edges = []
    for j, out in enumerate(GOODS):
        budget = 0.9
        for inp in GOODS[:j]:
            if draw(st.booleans()):
                wt = draw(st.floats(0.0, budget / 3))
                budget -= wt
                edges.append({"input": inp, "output": out, "weight": wt})
    bil = pd.DataFrame(columns=["importer", "good", "supplier", "share"])
    return pd.DataFrame(rows), pd.DataFrame(edges, columns=["input", "output", "weight"]), bil


@settings(max_examples=60, deadline=None)
@given(random_world())
def test_exposure_is_a_distribution(world: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
                                    ) -> None:
    shares, edges, bil = world
    net = build_network(shares, bil, edges, GOODS, buyers=ECONS)
    for econ in ECONS:
        x = lookthrough_exposure(net, econ)
        assert ((x["share"] >= -1e-12) & (x["share"] <= 1 + 1e-12)).all()
        sums = x.groupby("good")["share"].sum()
        assert np.allclose(sums.to_numpy(), 1.0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(random_world())
def test_self_sufficient_economy_has_zero_foreign_exposure(
    world: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    _, edges, _ = world
    # AAA makes every good alone and so buys everything at home
    shares = pd.DataFrame({"good": GOODS, "economy": "AAA", "share": 1.0, "year": 2024})
    bil = pd.DataFrame(columns=["importer", "good", "supplier", "share"])
    net = build_network(shares, bil, edges, GOODS, buyers=ECONS)
    x = lookthrough_exposure(net, "AAA")
    foreign = x[x["supplier"] != "AAA"]["share"].sum()
    assert foreign == 0.0


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 25), st.integers(0, 10_000))
def test_origin_shares_columns_sum_to_one(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    dense *= 0.9 / np.maximum(dense.sum(axis=0), 1.0)
    a = sp.csc_matrix(dense)
    v = value_added_coefficients(a)
    labels = rng.integers(0, 3, n)
    o = origin_shares(a, v, labels, [0, 1, 2])
    assert np.allclose(o.sum(axis=0), 1.0, atol=1e-10)
    assert (o >= -1e-12).all()
    o_it = origin_shares(a, v, labels, [0, 1, 2], method="iterative")
    assert np.allclose(o, o_it, atol=1e-10)
