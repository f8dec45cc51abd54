"""Hand-computed values for every trade index (econsec.metrics.trade_indices/complementarity).

The worked example ``tiny`` (one year, economies A, B, C; products p, q, r):

    A -> B  p 10      B -> A  p 20      C -> A  q 5
    A -> C  q 30      B -> C  q 20      C -> B  r 5

Exports  A: p 10, q 30 (40) -> x_A = (.25, .75, 0)
         B: p 20, q 20 (40) -> x_B = (.5, .5, 0)
         C: q 5,  r 5  (10) -> x_C = (0, .5, .5)
Imports  A: p 20, q 5  (25) -> m_A = (.8, .2, 0)
         B: p 10, r 5  (15) -> m_B = (2/3, 0, 1/3)
         C: q 50       (50) -> m_C = (0, 1, 0)
World exports p 30, q 55, r 5 (90) -> w = (1/3, 11/18, 1/18)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from econsec.metrics.complementarity import (
    export_similarity,
    grubel_lloyd,
    sum_min_matrix,
    tci_matrix,
    trade_complementarity,
)
from econsec.metrics.trade_indices import (
    balassa_rca,
    encode_flows,
    export_dependence,
    export_shares,
    import_dependence,
    import_shares,
    lafay_index,
    market_share,
    market_share_change,
    symmetric_rca,
)

pytestmark = pytest.mark.filterwarnings("error")  # no divide-by-zero warnings anywhere


def flows(rows: list[tuple[object, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "product", "value"])


@pytest.fixture
def tiny() -> pd.DataFrame:
    return flows(
        [
            (2000, "A", "B", "p", 10.0),
            (2000, "A", "C", "q", 30.0),
            (2000, "B", "A", "p", 20.0),
            (2000, "B", "C", "q", 20.0),
            (2000, "C", "A", "q", 5.0),
            (2000, "C", "B", "r", 5.0),
        ]
    )


def pair_value(df: pd.DataFrame, a: str, b: str) -> float:
    row = df[(df["economy_a"] == a) & (df["economy_b"] == b)]
    assert len(row) == 1, row
    return float(row["value"].iloc[0])


# --- shares -------------------------------------------------------------------------


def test_export_shares(tiny: pd.DataFrame) -> None:
    s = export_shares(tiny).set_index(["economy", "product"])["share"]
    assert s[("A", "p")] == pytest.approx(0.25)
    assert s[("A", "q")] == pytest.approx(0.75)
    assert s[("C", "r")] == pytest.approx(0.5)
    assert ("A", "r") not in s.index  # zero flows are not listed


def test_import_shares(tiny: pd.DataFrame) -> None:
    s = import_shares(tiny).set_index(["economy", "product"])["share"]
    assert s[("A", "p")] == pytest.approx(0.8)  # 20 / 25
    assert s[("B", "r")] == pytest.approx(1 / 3)  # 5 / 15
    assert s[("C", "q")] == pytest.approx(1.0)


def test_export_shares_to_market(tiny: pd.DataFrame) -> None:
    # exports to market A: B sells p 20, C sells q 5
    s = export_shares(tiny, market="A").set_index(["economy", "product"])["share"]
    assert s.to_dict() == {("B", "p"): 1.0, ("C", "q"): 1.0}


# --- RCA ----------------------------------------------------------------------------


def test_balassa_rca(tiny: pd.DataFrame) -> None:
    rca = balassa_rca(tiny).set_index(["economy", "product"])["rca"]
    assert len(rca) == 9  # 3 exporters x 3 products, dense
    assert rca[("A", "p")] == pytest.approx(0.75)  # .25 / (30/90)
    assert rca[("A", "q")] == pytest.approx(13.5 / 11)  # .75 / (55/90)
    assert rca[("B", "p")] == pytest.approx(1.5)  # .5 / (1/3)
    assert rca[("C", "r")] == pytest.approx(9.0)  # .5 / (5/90)
    assert rca[("A", "r")] == 0.0


def test_symmetric_rca(tiny: pd.DataFrame) -> None:
    rsca = symmetric_rca(tiny).set_index(["economy", "product"])["rsca"]
    assert rsca[("A", "p")] == pytest.approx(-1 / 7)  # (.75-1)/(.75+1)
    assert rsca[("C", "r")] == pytest.approx(0.8)  # (9-1)/(9+1)
    assert rsca[("A", "r")] == -1.0


def test_rca_zero_total_exporter_is_nan() -> None:
    f = flows([(2000, "A", "B", "p", 0.0), (2000, "B", "A", "p", 5.0)])
    rca = balassa_rca(f).set_index("economy")["rca"]
    assert np.isnan(rca["A"])
    assert rca["B"] == pytest.approx(1.0)


# --- TCI ----------------------------------------------------------------------------


def test_tci_worked_three_products(tiny: pd.DataFrame) -> None:
    tci = trade_complementarity(tiny)
    assert set(tci["index"]) == {"tci"}
    assert len(tci) == 6  # all ordered pairs of 3 economies
    # A -> B: sum|m_B - x_A| = |2/3-.25| + |0-.75| + |1/3-0| = 1.5 -> 100 (1 - .75) = 25
    assert pair_value(tci, "A", "B") == pytest.approx(25.0)
    # A -> C: |0-.25| + |1-.75| + 0 = .5 -> 75
    assert pair_value(tci, "A", "C") == pytest.approx(75.0)
    # B -> A: |.8-.5| + |.2-.5| + 0 = .6 -> 70
    assert pair_value(tci, "B", "A") == pytest.approx(70.0)
    # C -> B: |2/3-0| + |0-.5| + |1/3-.5| = 4/3 -> 100/3
    assert pair_value(tci, "C", "B") == pytest.approx(100 / 3)


def test_tci_one_pair_and_one_side(tiny: pd.DataFrame) -> None:
    one = trade_complementarity(tiny, exporter="A", importer="B")
    assert list(one.columns) == ["year", "economy_a", "economy_b", "index", "value"]
    assert one["value"].tolist() == pytest.approx([25.0])
    side = trade_complementarity(tiny, exporter="A")
    assert sorted(side["economy_b"]) == ["B", "C"]


def test_tci_perfect_match_is_100_and_disjoint_is_0() -> None:
    match = flows([(2000, "X", "Y", "p", 1.0), (2000, "X", "Y", "q", 3.0)])
    assert pair_value(trade_complementarity(match), "X", "Y") == pytest.approx(100.0)
    disjoint = flows([(2000, "X", "Z", "p", 5.0), (2000, "W", "Y", "q", 5.0)])
    assert pair_value(trade_complementarity(disjoint), "X", "Y") == pytest.approx(0.0)


def test_tci_missing_economy_and_zero_totals_are_nan(tiny: pd.DataFrame) -> None:
    assert np.isnan(trade_complementarity(tiny, "A", "ZZZ")["value"].iloc[0])
    f = flows([(2000, "X", "Y", "p", 1.0)])  # Y exports nothing, X imports nothing
    assert np.isnan(pair_value(trade_complementarity(f), "Y", "X"))


def test_tci_matrix_equals_abs_formula() -> None:
    rng = np.random.default_rng(3)
    m = rng.random((4, 6))
    x = rng.random((5, 6))
    m /= m.sum(1, keepdims=True)
    x /= x.sum(1, keepdims=True)
    direct = 100 * (1 - np.abs(m[:, None, :] - x[None, :, :]).sum(-1) / 2)
    np.testing.assert_allclose(tci_matrix(m, x, block_bytes=1), direct, atol=1e-12)
    np.testing.assert_allclose(sum_min_matrix(m, x), np.minimum(m[:, None], x[None]).sum(-1))


# --- ESI ----------------------------------------------------------------------------


def test_esi_world(tiny: pd.DataFrame) -> None:
    esi = export_similarity(tiny)
    assert set(esi["index"]) == {"esi"}
    # A vs B: min(.25,.5) + min(.75,.5) = .75 -> 75
    assert pair_value(esi, "A", "B") == pytest.approx(75.0)
    assert pair_value(esi, "B", "A") == pytest.approx(75.0)
    # A vs C: min(.75, .5) = .5 -> 50; B vs C: min(.5, .5) -> 50
    assert pair_value(esi, "A", "C") == pytest.approx(50.0)
    assert pair_value(esi, "B", "C") == pytest.approx(50.0)


def test_esi_third_market(tiny: pd.DataFrame) -> None:
    # in market A: B sells only p, C only q -> no overlap; A itself is left out
    esi = export_similarity(tiny, market="A")
    assert pair_value(esi, "B", "C") == pytest.approx(0.0)
    assert "A" not in set(esi["economy_a"]) | set(esi["economy_b"])
    # in market C: A sells q 30, B sells q 20 -> identical structures
    assert export_similarity(tiny, "A", "B", market="C")["value"].iloc[0] == pytest.approx(100)


# --- Grubel-Lloyd -------------------------------------------------------------------


def test_grubel_lloyd_aggregate(tiny: pd.DataFrame) -> None:
    gl = grubel_lloyd(tiny)
    # A-B: p 10 out, 20 in -> 1 - 10/30 = 2/3
    assert pair_value(gl, "A", "B") == pytest.approx(2 / 3)
    # A-C: q 30 out, 5 in -> 1 - 25/35 = 2/7
    assert pair_value(gl, "C", "A") == pytest.approx(2 / 7)
    # B-C: q one way, r the other way -> 1 - (20 + 5)/25 = 0
    assert pair_value(gl, "B", "C") == pytest.approx(0.0)
    assert grubel_lloyd(tiny, "A", "B")["value"].tolist() == pytest.approx([2 / 3])


def test_grubel_lloyd_weighted_over_products() -> None:
    f = flows(
        [
            (2000, "A", "B", "p", 30.0),
            (2000, "B", "A", "p", 10.0),  # GL_p = 1 - 20/40 = .5, weight 40/60
            (2000, "A", "B", "q", 10.0),
            (2000, "B", "A", "q", 10.0),  # GL_q = 1, weight 20/60
        ]
    )
    per = grubel_lloyd(f, "A", "B", level="product").set_index("product")
    assert per.loc["p", "gl"] == pytest.approx(0.5)
    assert per.loc["q", "gl"] == pytest.approx(1.0)
    assert per.loc["p", "exports"] == 30.0 and per.loc["p", "imports"] == 10.0
    # aggregate = (40*.5 + 20*1)/60 = 2/3 = 1 - 20/60
    assert pair_value(grubel_lloyd(f), "A", "B") == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        grubel_lloyd(f, level="product")


def test_grubel_lloyd_no_trade_is_nan() -> None:
    f = flows([(2000, "A", "B", "p", 1.0), (2000, "C", "B", "p", 1.0)])
    assert np.isnan(pair_value(grubel_lloyd(f), "A", "C"))


# --- Lafay, market share, dependence ------------------------------------------------


def test_lafay_index(tiny: pd.DataFrame) -> None:
    lfi = lafay_index(tiny, "A").set_index("product")["lafay"]
    # x = (10, 30), m = (20, 5); trade (30, 35), T = 65, balance B = 15
    # LFI_p = 100 [(10-20) - 30*15/65] / 65 = -26.0355...
    assert lfi["p"] == pytest.approx(100 * (-10 - 30 * 15 / 65) / 65)
    assert lfi["p"] == pytest.approx(-26.035503, abs=1e-6)
    assert lfi.sum() == pytest.approx(0.0, abs=1e-12)
    assert "r" not in lfi.index  # A does not trade r


def test_market_share(tiny: pd.DataFrame) -> None:
    world = market_share(tiny, "A")
    assert world["market"].iloc[0] == "WLD"
    assert world["share"].iloc[0] == pytest.approx(40 / 90)
    # market C imports q 30 from A and q 20 from B
    assert market_share(tiny, "A", market="C")["share"].iloc[0] == pytest.approx(0.6)
    by_prod = market_share(tiny, "A", market="B", product=["p", "r"]).set_index("product")
    assert by_prod.loc["p", "share"] == pytest.approx(1.0)
    assert by_prod.loc["r", "share"] == pytest.approx(0.0)  # C sells r 5 to B
    none = market_share(tiny, "A", market="B", product="q")
    assert np.isnan(none["share"].iloc[0])  # B imports no q


def test_market_share_change() -> None:
    f = flows(
        [
            (2000, "A", "M", "p", 10.0),
            (2000, "B", "M", "p", 30.0),  # A's share 0.25
            (2010, "A", "M", "p", 30.0),
            (2010, "B", "M", "p", 20.0),  # A's share 0.6
        ]
    )
    ch = market_share_change(f, "A", 2000, 2010, market="M")
    assert ch[["share_start", "share_end", "change"]].iloc[0].tolist() == pytest.approx(
        [0.25, 0.6, 0.35]
    )


def test_import_and_export_dependence(tiny: pd.DataFrame) -> None:
    imp = import_dependence(tiny, "A").set_index("partner")["share"]
    assert imp.to_dict() == pytest.approx({"B": 0.8, "C": 0.2})
    exp = export_dependence(tiny, "C").set_index("partner")["share"]
    assert exp.to_dict() == pytest.approx({"A": 0.5, "B": 0.5})
    qdep = import_dependence(tiny, "C", product="q").set_index("partner")
    assert qdep["share"].to_dict() == pytest.approx({"A": 0.6, "B": 0.4})
    assert set(qdep["product"]) == {"q"}


# --- input handling -----------------------------------------------------------------


def test_self_flows_ignored_duplicates_summed(tiny: pd.DataFrame) -> None:
    noisy = pd.concat(
        [
            tiny,
            flows([(2000, "A", "A", "p", 1e9), (2000, "A", "B", "p", 0.0)]),
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(trade_complementarity(noisy), trade_complementarity(tiny))


def test_categorical_and_integer_codes_give_same_result(tiny: pd.DataFrame) -> None:
    cat = tiny.assign(
        exporter=tiny["exporter"].astype("category"),
        importer=tiny["importer"].astype("category"),
        product=tiny["product"].map({"p": 10, "q": 20, "r": 30}),
    )
    a = trade_complementarity(tiny)["value"].to_numpy()
    b = trade_complementarity(cat)["value"].to_numpy()
    np.testing.assert_allclose(a, b)
    enc = encode_flows(cat)
    assert list(enc.products) == [10, 20, 30]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        balassa_rca(pd.DataFrame({"year": [2000]}))
    with pytest.raises(ValueError, match="negative"):
        balassa_rca(flows([(2000, "A", "B", "p", -1.0)]))


def test_year_selection_multi_year(tiny: pd.DataFrame) -> None:
    two = pd.concat([tiny, tiny.assign(year=2001, value=tiny["value"] * 2)])
    tci = trade_complementarity(two, "A", "B")
    assert tci["year"].tolist() == [2000, 2001]
    assert tci["value"].tolist() == pytest.approx([25.0, 25.0])
    assert trade_complementarity(two, "A", "B", year=2001)["year"].tolist() == [2001]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trade_complementarity(two, year=1990).empty
