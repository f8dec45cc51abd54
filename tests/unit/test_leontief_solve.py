"""``leontief_solve`` (both systems, every method), ``to_csc`` and ``technical_coefficients``
against hand-computed values and independent numpy / scipy computations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

from econsec.metrics import leontief
from econsec.metrics.leontief import leontief_solve, technical_coefficients, to_csc
from econsec.metrics.sector_exposure import sector_kernel, sector_lookthrough

METHODS = ("dense", "direct", "iterative")

# Miller & Blair (2009), section 2.3: A = [[.15, .25], [.20, .05]],
# L = (I - A)^-1 = [[1.2541, .3300], [.2640, 1.1221]] (to 4 decimals); by hand,
# det(I - A) = .85 * .95 - .25 * .20 = .7575, L = [[.95, .25], [.20, .85]] / .7575.
MB_A = np.array([[0.15, 0.25], [0.20, 0.05]])
MB_L = np.array([[0.95, 0.25], [0.20, 0.85]]) / 0.7575


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", ["C", "F"])
def test_miller_blair_columns_of_l_and_of_its_transpose(method: str, order: str) -> None:
    a = np.asarray(MB_A, order=order) if method == "dense" else sp.csc_matrix(MB_A)
    eye = np.eye(2)
    # (I - A) X = I gives X = L, returned as X' (rows = right-hand sides)
    assert leontief_solve(a, eye, transposed=False, method=method) == pytest.approx(
        MB_L.T, abs=1e-12)
    # (I - A)' X = I gives X = L'; returned as X' = L
    assert leontief_solve(a, eye, method=method) == pytest.approx(MB_L, abs=1e-12)
    np.testing.assert_allclose(MB_L, [[1.2541, 0.3300], [0.2640, 1.1221]], atol=1e-4)
    # y = L w for w = (100, 50): y = (125.41 + 16.50, 26.40 + 56.11) to 4 decimals
    y = leontief_solve(a, np.array([[100.0], [50.0]]), transposed=False, method=method)[0]
    assert y == pytest.approx([(95 * 100 + 25 * 50) / 75.75, (20 * 100 + 85 * 50) / 75.75],
                              abs=1e-10)


def _random_a(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    return a * (0.8 / a.sum(axis=0).max())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("transposed", [True, False])
def test_several_right_hand_sides_match_numpy_solve(method: str, transposed: bool) -> None:
    a = _random_a(50, 4)
    rhs = np.random.default_rng(5).random((50, 6))
    want = np.linalg.solve(np.eye(50) - (a.T if transposed else a), rhs).T
    for given in ([np.ascontiguousarray(a), np.asfortranarray(a)] if method == "dense"
                  else [sp.csc_matrix(a)]):
        got = leontief_solve(given, rhs, transposed=transposed, method=method)
        assert got.shape == (6, 50)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-11)


def test_dense_solve_refines_a_float32_lu_to_the_tolerance() -> None:
    # the float32 LU alone is off by ~1e-7; the refined answer has a float64 residual
    a = _random_a(200, 6)
    rhs = np.random.default_rng(7).random((200, 3))
    x = leontief_solve(a, rhs, transposed=False, method="dense").T
    assert np.max(np.abs(rhs - x + a @ x)) <= 1e-13
    lu = sla.lu_factor((np.eye(200) - a).astype(np.float32))
    rough = sla.lu_solve(lu, rhs.astype(np.float32)).astype(float)
    assert np.max(np.abs(rhs - rough + a @ rough)) > 1e-10


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        leontief_solve(MB_A, np.eye(2), method="magic")


def test_to_csc_by_hand() -> None:
    z = np.array([[0.0, 2.0, 0.0],
                  [1.0, 0.0, 0.0],
                  [3.0, 4.0, 0.0]])
    for given in (z, np.asfortranarray(z), z.tolist()):
        m = to_csc(given)
        # column 0 holds rows 1, 2; column 1 rows 0, 2; column 2 nothing
        assert m.indptr.tolist() == [0, 2, 4, 4]
        assert m.indices.tolist() == [1, 2, 0, 2]
        assert m.data.tolist() == [1.0, 3.0, 2.0, 4.0]
        assert m.has_sorted_indices


@pytest.mark.parametrize("shape", [(0, 0), (1, 4), (4, 1), (37, 23), (300, 300)])
def test_to_csc_equals_scipy(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    z = rng.random(shape) * (rng.random(shape) < 0.25)
    if z.size:
        z.flat[0] = np.nan  # a NaN is stored, as scipy stores it
    for given in (z, np.asfortranarray(z)):
        got, want = to_csc(given), sp.csc_matrix(given)
        assert got.shape == want.shape
        assert got.indptr.tolist() == want.indptr.tolist()
        assert got.indices.tolist() == want.indices.tolist()
        np.testing.assert_array_equal(got.data, want.data)
    m = sp.csc_matrix(z)
    if m.nnz:
        assert np.shares_memory(to_csc(m).data, m.data)  # a float CSC matrix: no copy


def test_technical_coefficients_by_hand_and_as_a_sparse_product() -> None:
    # Z = [[10, 0, 6], [5, 20, 0], [0, 0, 4]], x = (100, 50, 0): A = Z diag(1/x), the
    # zero-output column giving zeros: [[.1, 0, 0], [.05, .4, 0], [0, 0, 0]]
    z = np.array([[10.0, 0.0, 6.0], [5.0, 20.0, 0.0], [0.0, 0.0, 4.0]])
    x = np.array([100.0, 50.0, 0.0])
    a = technical_coefficients(z, x)
    assert a.toarray().tolist() == [[0.1, 0.0, 0.0], [0.05, 0.4, 0.0], [0.0, 0.0, 0.0]]
    assert a.nnz == 3  # the zero-output column stores nothing
    big = np.random.default_rng(8).random((60, 60)) * (np.random.default_rng(9).random(
        (60, 60)) < 0.3)
    xs = big.sum(axis=1) + 1.0
    want = (sp.csc_matrix(big) @ sp.diags(1.0 / xs)).toarray()
    assert np.array_equal(technical_coefficients(big, xs).toarray(), want)


def test_lookthrough_and_requirement_share_one_factorisation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 3 countries x 2 sectors; every answer against numpy's inverse, one LU for both
    rng = np.random.default_rng(11)
    z = rng.random((6, 6)) * 10.0
    x = z.sum(axis=1) + 30.0
    country = ["A", "A", "B", "B", "C", "C"]
    kernel = sector_kernel(z, x, country, ["s1", "s2"] * 3)
    calls = []
    real = sla.lu_factor
    monkeypatch.setattr(sla, "lu_factor", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = sector_lookthrough(kernel, "B", requirement=True)
    assert len(calls) == 1
    a = z / x[None, :]
    big_l = np.linalg.inv(np.eye(6) - a)
    v = 1.0 - a.sum(axis=0)
    for origin, rows in (("A", [0, 1]), ("B", [2, 3]), ("C", [4, 5])):
        for sector, j in (("s1", 2), ("s2", 3)):
            row = out[(out["origin"] == origin) & (out["sector"] == sector)].iloc[0]
            assert row["lookthrough_share"] == pytest.approx(
                float(v[rows] @ big_l[rows, j]), abs=1e-12)
            assert row["requirement"] == pytest.approx(
                float(big_l[rows, j].sum()) - (1.0 if origin == "B" else 0.0), abs=1e-12)
    assert leontief.DENSE_MAX_NODES >= 6  # the dense path is the one counted


def test_refinement_stops_column_by_column(monkeypatch: pytest.MonkeyPatch) -> None:
    # a zero right-hand side is solved exactly by the first float32 solve (x = 0, residual
    # 0): it leaves the refinement at once, the corrections solve the other columns only
    a = _random_a(120, 12)
    rhs = np.random.default_rng(13).random((120, 4))
    rhs[:, 2] = 0.0
    widths: list[int] = []
    real = sla.lu_solve

    def spy(lu: object, b: np.ndarray, **kw: object) -> np.ndarray:
        widths.append(b.shape[1])
        return real(lu, b, **kw)

    monkeypatch.setattr(sla, "lu_solve", spy)
    x = leontief_solve(a, rhs, transposed=False, method="dense").T
    assert widths[0] == 4 and len(widths) >= 2 and max(widths[1:]) <= 3
    assert np.all(x[:, 2] == 0.0)
    assert np.max(np.abs(rhs - x + a @ x)) <= 1e-13
    want = np.linalg.solve(np.eye(120) - a, rhs)
    np.testing.assert_allclose(x, want, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_non_finite_matrix_is_not_taken_for_converged() -> None:
    # a NaN residual is never "within tol": refinement runs out and the solve names the
    # non-finite input, instead of the float32 answer passing as done (or scipy's own
    # answer, which differs by version: NaN, or LAPACK's "illegal value")
    a = _random_a(30, 14)
    a[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        leontief_solve(a, np.ones((30, 2)), transposed=False, method="dense")
