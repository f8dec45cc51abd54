"""Sector look-through kernel on a 2-country x 2-sector table computed by hand.

Nodes (country-major): K1, K2, C1, C2; every gross output x = 100. Intermediate sales Z
(row sells to column), all other cells zero:

    Z[C1, K1] = 20   Z[K2, K1] = 10   Z[C2, K2] = 50   Z[K2, C1] = 10

A = Z / 100:  A[C1, K1] = 0.2, A[K2, K1] = 0.1, A[C2, K2] = 0.5, A[K2, C1] = 0.1.
v = 1 - column sums: v_K1 = 0.7, v_K2 = 0.5, v_C1 = 0.9, v_C2 = 1.0.

Column K1 of L = (I - A)^-1, solving (I - A) l = e_K1 row by row:
    l_K1 = 1 (nobody sells to K1 ... A[K1, .] = 0)
    l_C1 = A[C1, K1] l_K1 = 0.2
    l_K2 = A[K2, K1] l_K1 + A[K2, C1] l_C1 = 0.1 + 0.1 * 0.2 = 0.12
    l_C2 = A[C2, K2] l_K2 = 0.5 * 0.12 = 0.06
Column K2: l_K1 = 0, l_C1 = 0, l_K2 = 1, l_C2 = 0.5.

Look-through of K1: on C = v_C1 0.2 + v_C2 0.06 = 0.18 + 0.06 = 0.24,
                    on K = v_K1 1 + v_K2 0.12 = 0.7 + 0.06 = 0.76 (sum 1).
Direct of K1: on C = A[C1, K1] + A[C2, K1] = 0.2; on K = A[K2, K1] = 0.1.
Requirement of K1: on C = 0.2 + 0.06 = 0.26; on K = 1 + 0.12 - 1 (own node) = 0.12.
K2: look-through on C = v_C2 0.5 = 0.5, on K = v_K2 1 = 0.5; direct on C 0.5, on K 0.

Bloc {K}: w = (100, 100, 0, 0), y = L w = 100 col K1 + 100 col K2 = (100, 112, 20, 56),
sum w = 200.  look-through: K1 0.7*100/200 = 0.35, K2 0.5*112/200 = 0.28,
C1 0.9*20/200 = 0.09, C2 1.0*56/200 = 0.28 (sum 1).  direct: C1 20/200 = 0.1,
C2 50/200 = 0.25.  requirement: C1 20/200 = 0.1, C2 56/200 = 0.28.
Share of sector output: C1 100/(100 + 100) = 0.5, C2 0.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from econsec.metrics.sector_exposure import (
    SectorExposureError,
    SectorKernel,
    sector_chokepoints,
    sector_kernel,
    sector_lookthrough,
)

COUNTRY = ["K", "K", "C", "C"]
SECTOR = ["s1", "s2", "s1", "s2"]
K1, K2, C1, C2 = range(4)


@pytest.fixture
def kernel() -> SectorKernel:
    z = np.zeros((4, 4))
    z[C1, K1] = 20.0
    z[K2, K1] = 10.0
    z[C2, K2] = 50.0
    z[K2, C1] = 10.0
    return sector_kernel(z, np.full(4, 100.0), COUNTRY, SECTOR)


def _row(frame: pd.DataFrame, sector: str, origin: str) -> pd.Series:
    hit = frame[(frame["sector"] == sector) & (frame["origin"] == origin)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_lookthrough_direct_and_requirement_by_hand(kernel: SectorKernel) -> None:
    out = sector_lookthrough(kernel, "K", requirement=True)
    assert len(out) == 4  # 2 sectors x 2 origins
    k1c = _row(out, "s1", "C")
    assert k1c["lookthrough_share"] == pytest.approx(0.24, abs=1e-12)
    assert k1c["direct_share"] == pytest.approx(0.2, abs=1e-12)
    assert k1c["requirement"] == pytest.approx(0.26, abs=1e-12)
    k1k = _row(out, "s1", "K")
    assert k1k["lookthrough_share"] == pytest.approx(0.76, abs=1e-12)
    assert k1k["direct_share"] == pytest.approx(0.1, abs=1e-12)
    assert k1k["requirement"] == pytest.approx(0.12, abs=1e-12)
    k2c = _row(out, "s2", "C")
    assert k2c["lookthrough_share"] == pytest.approx(0.5, abs=1e-12)
    assert k2c["direct_share"] == pytest.approx(0.5, abs=1e-12)
    assert _row(out, "s2", "K")["lookthrough_share"] == pytest.approx(0.5, abs=1e-12)


def test_one_sector_one_origin(kernel: SectorKernel) -> None:
    out = sector_lookthrough(kernel, "K", sectors=["s1"], origins=["C"])
    assert list(out["origin"]) == ["C"]
    assert out["lookthrough_share"].iloc[0] == pytest.approx(0.24, abs=1e-12)
    assert out["gross_output"].iloc[0] == 100.0


def test_every_solver_agrees(kernel: SectorKernel) -> None:
    from econsec.metrics.leontief import origin_shares

    labels = kernel.origin_labels()
    ref = origin_shares(kernel.a, kernel.v, labels, method="dense")
    for method in ("direct", "iterative"):
        got = origin_shares(kernel.a, kernel.v, labels, method=method)
        np.testing.assert_allclose(got, ref, atol=1e-12)


def test_bloc_chokepoints_by_hand(kernel: SectorKernel) -> None:
    out = sector_chokepoints(kernel, ["K"])
    assert list(zip(out["origin"], out["sector"], strict=True)) == [("C", "s2"), ("C", "s1")]
    c2, c1 = out.iloc[0], out.iloc[1]
    assert c2["lookthrough_share"] == pytest.approx(0.28, abs=1e-12)
    assert c2["direct_share"] == pytest.approx(0.25, abs=1e-12)
    assert c2["requirement"] == pytest.approx(0.28, abs=1e-12)
    assert c1["lookthrough_share"] == pytest.approx(0.09, abs=1e-12)
    assert c1["direct_share"] == pytest.approx(0.1, abs=1e-12)
    assert c1["requirement"] == pytest.approx(0.1, abs=1e-12)
    assert c1["origin_share_of_sector"] == pytest.approx(0.5)
    assert list(out["rank"]) == [1, 2]
    full = sector_chokepoints(kernel, ["K"], include_bloc=True)
    assert full["lookthrough_share"].sum() == pytest.approx(1.0, abs=1e-12)
    k1 = full[(full["origin"] == "K") & (full["sector"] == "s1")].iloc[0]
    assert k1["lookthrough_share"] == pytest.approx(0.35, abs=1e-12)


def test_bloc_chokepoints_of_one_using_sector(kernel: SectorKernel) -> None:
    # only K2 uses: w = (0, 100, 0, 0), y = 100 col K2 = (0, 100, 0, 50); C2: 1.0*50/100
    out = sector_chokepoints(kernel, ["K"], using_sectors=["s2"])
    top = out.iloc[0]
    assert (top["origin"], top["sector"]) == ("C", "s2")
    assert top["lookthrough_share"] == pytest.approx(0.5, abs=1e-12)
    assert out[out["sector"] == "s1"]["lookthrough_share"].iloc[0] == pytest.approx(0.0)


def test_unknown_names_are_named_errors(kernel: SectorKernel) -> None:
    with pytest.raises(SectorExposureError, match="unknown economy X"):
        sector_lookthrough(kernel, "X")
    with pytest.raises(SectorExposureError, match="unknown sector s9"):
        sector_lookthrough(kernel, "K", sectors=["s9"])
    with pytest.raises(SectorExposureError, match="unknown origin economy Y"):
        sector_lookthrough(kernel, "K", origins=["Y"])
    with pytest.raises(SectorExposureError, match="unknown bloc economy"):
        sector_chokepoints(kernel, ["Z"])


def test_bloc_without_output_is_an_error() -> None:
    z = np.zeros((4, 4))
    x = np.array([0.0, 0.0, 100.0, 100.0])
    k = sector_kernel(z, x, COUNTRY, SECTOR)
    with pytest.raises(SectorExposureError, match="no output"):
        sector_chokepoints(k, ["K"])


def test_shapes_must_agree() -> None:
    with pytest.raises(SectorExposureError, match="must agree"):
        sector_kernel(np.zeros((3, 3)), np.ones(4), COUNTRY, SECTOR)
