"""The block iterative Leontief solve (metrics/leontief_block.py) against the plain one.

References, each computed independently of the block code: scipy's sparse product
(``csr_matvec``) one column at a time, the per-origin iterative solve with scipy's products
(:func:`~econsec.metrics.leontief.iterative_plain`) and SuperLU's direct solve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from econsec.metrics import leontief_block as lb
from econsec.metrics.leontief import (
    _krylov_start,
    _rhs,
    _transposed,
    iterative_plain,
    origin_shares,
    value_added_coefficients,
)


def _network(n: int, seed: int, density: float = 0.05) -> sp.csc_matrix:
    """Random technical coefficients, column sums uniform in [0.3, 0.85]."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < density)
    dense *= rng.uniform(0.3, 0.85, n) / np.maximum(dense.sum(axis=0), 1e-300)
    return sp.csc_matrix(dense)


def _direct(a: sp.csc_matrix, rhs: np.ndarray) -> np.ndarray:
    """(k, n): SuperLU's solve of (I - A)' X = rhs."""
    n = a.shape[0]
    return np.asarray(spla.spsolve(sp.csc_matrix(sp.identity(n) - a.T), rhs)).T


@pytest.mark.parametrize("parallel", [False, True])
def test_block_product_has_scipys_bits(parallel: bool) -> None:
    # each row's terms summed in stored order from 0: the same operations in the same
    # order as scipy's single-column product, so the same bits
    a = _network(300, 1)
    at = _transposed(a)
    rng = np.random.default_rng(2)
    for k in (1, 2, 3, 4, 6):
        x = rng.standard_normal((300, k))
        got = lb._Product(at, parallel)(x, np.empty_like(x))
        ref = np.column_stack([at @ np.ascontiguousarray(x[:, c]) for c in range(k)])
        assert np.array_equal(got, ref)


def test_block_product_of_unsorted_rows_has_scipys_bits() -> None:
    # rows whose indices are not sorted: every term once, in the stored order, as
    # scipy's product sums them (the prefetch hint looks ahead in stored order too)
    at = _transposed(_network(300, 10))
    rng = np.random.default_rng(11)
    for i in range(300):  # shuffle each row's stored entries
        lo, hi = at.indptr[i], at.indptr[i + 1]
        perm = lo + rng.permutation(hi - lo)
        at.indices[lo:hi], at.data[lo:hi] = at.indices[perm], at.data[perm]
    at.has_sorted_indices = False
    x = rng.standard_normal((300, 4))
    got = lb._Product(at, False)(x, np.empty_like(x))
    ref = np.column_stack([at @ np.ascontiguousarray(x[:, c]) for c in range(4)])
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_block_solve_equals_plain_and_direct(seed: int) -> None:
    # 9 origins: blocks of 4, 4 and 1 columns
    a = _network(400, seed)
    v = value_added_coefficients(a)
    labels = np.random.default_rng(seed).integers(0, 9, 400)
    got = origin_shares(a, v, labels, method="iterative")
    rhs = _rhs(labels, np.arange(9), v)
    plain = iterative_plain(a, rhs)
    exact = _direct(a, rhs)
    # both answers meet the Neumann criterion at tol = 1e-13, so each is within
    # tol / (1 - max column sum) = 1e-13 / 0.15 of the exact solve
    assert np.max(np.abs(got - exact)) < 1e-12
    assert np.max(np.abs(got - plain)) < 1e-12
    assert got.sum(axis=0) == pytest.approx(np.ones(400), abs=1e-11)  # v'L = 1


@pytest.mark.parametrize("parallel", [False, True])
def test_block_solver_options_agree(parallel: bool) -> None:
    a = _network(250, 6)
    rhs = _rhs(np.arange(250) % 3, np.arange(3), value_added_coefficients(a))
    solver = lb.BlockSolver(_transposed(a), 4, parallel=parallel)
    got = solver.solve(rhs, 1e-13, 10_000).T
    assert np.max(np.abs(got - _direct(a, rhs))) < 1e-12


def test_a_column_that_converges_early_leaves_the_block(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # origin 0 is node 0 alone, and no node buys from node 0 (row 0 of A is zero): its
    # right-hand side b = v_0 e_0 already solves (I - A') x = b (A' b = 0), so its column
    # leaves at the first check, while origins 1-3 iterate on
    a = _network(200, 7).tolil()
    a[0, :] = 0.0
    a = sp.csc_matrix(a)
    v = value_added_coefficients(a)
    labels = np.concatenate([[0], np.arange(199) % 3 + 1])
    widths: list[int] = []
    product = lb._Product.__call__

    def recording(self: Any, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        widths.append(x.shape[1])
        return product(self, x, out)

    monkeypatch.setattr(lb._Product, "__call__", recording)
    got = origin_shares(a, v, labels, [0, 1, 2, 3], method="iterative")
    assert widths[0] == 4 and 3 in widths[1:]  # the first product is A' b of all four
    # by hand: node 0's value is all its own value added, nothing else rests on it
    assert got[0, 0] == v[0] and not np.any(got[0, 1:])
    exact = _direct(a, _rhs(labels, np.arange(4), v))
    assert np.max(np.abs(got - exact)) < 1e-12


def test_a_column_that_breaks_down_falls_back_while_the_others_go_on() -> None:
    # nodes 0 and 1 swap (A[0, 1] = A[1, 0] = 1), nodes 2-4 form a regular system.
    # b1 = (1, 1, 0, 0, 0): r = A' b1 = b1, and (I - A') p = 0 for p = r, so
    # rhat' (I - A') p = 0, a break-down: the start is b1 itself (as the single-column
    # start, test_metrics). b2 on nodes 2-4 goes on to the solve.
    dense = np.zeros((5, 5))
    dense[0, 1] = dense[1, 0] = 1.0
    dense[2:, 2:] = [[0.1, 0.3, 0.0], [0.2, 0.0, 0.4], [0.0, 0.1, 0.2]]
    at = _transposed(sp.csc_matrix(dense))
    b = np.zeros((5, 2))
    b[:2, 0] = 1.0
    b[2:, 1] = [0.7, 0.6, 0.4]
    start = lb._bicgstab_block(lb._Product(at, False), b, 1e-13, 100)
    assert list(start[:, 0]) == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert list(_krylov_start(at, b[:, 0].copy(), 1e-13, 100)) == list(start[:, 0])
    exact = np.linalg.solve(np.eye(3) - dense[2:, 2:].T, b[2:, 1])
    assert np.max(np.abs(start[2:, 1] - exact)) < 1e-12
    assert not np.any(start[:2, 1])


def test_the_neumann_iteration_that_does_not_converge_is_an_error() -> None:
    a = _network(100, 8)
    v = value_added_coefficients(a)
    with pytest.raises(RuntimeError, match="did not converge in 1 steps"):
        origin_shares(a, v, np.arange(100) % 2, method="iterative", max_iter=1)


def test_block_width_and_shape_are_checked() -> None:
    at = _transposed(_network(10, 9))
    with pytest.raises(ValueError, match="at least 1"):
        lb.BlockSolver(at, 0)
    with pytest.raises(ValueError, match=r"\(n, 1\.\.2\)"):
        lb.BlockSolver(at, 2).solve(np.ones((10, 3)), 1e-13, 100)


def test_a_nan_in_the_middle_of_a_column_is_never_within_the_tolerance() -> None:
    # the column maxima the convergence tests read: a NaN met before larger finite values
    # stays NaN (max() would drop it, and the column could pass for converged)
    from econsec.metrics.leontief_block import _add_maxdiff, _maxabs

    r = np.array([[1.0, 2.0], [np.nan, 3.0], [0.5, 9.0]])
    top = _maxabs(r)
    assert np.isnan(top[0]) and top[1] == 9.0
    y = np.array([[1.0], [np.nan], [4.0]])
    assert np.isnan(_add_maxdiff(y, np.zeros((3, 1)), np.zeros((3, 1)))[0])
