"""Sparse Leontief solves over (economy x good) nodes.

With the technical-coefficient matrix A (A[i, j] = input from node i per unit of
output of node j, column sums below 1) and value-added coefficients v_j = 1 - sum_i A[i, j],
the Leontief inverse is L = (I - A)^-1 (Leontief 1936; Miller & Blair 2009, *Input-Output
Analysis*, 2nd ed., eq. 2.11). The value-added origin of node j's output is
v' L: sum_i v_i L[i, j] = 1 for every j (Miller & Blair 2009, section 6.5; the
"value-added multipliers" of pymrio's ``calc_all`` with a value-added extension). Grouping
the rows by origin economy gives the share of each node's value that ultimately rests on
each origin, through all tiers:

    O[o, j] = sum_{i in o} v_i L[i, j].

O is computed without forming L: each origin is one right-hand side of the transposed
system (I - A)' x_o = v * 1[origin = o], solved by a dense LU (LAPACK) for small tables,
a sparse LU factorisation (SuperLU) for up to ``DIRECT_MAX_NODES`` nodes and otherwise
iteratively: BiCGSTAB (van der Vorst 1992, SIAM J. Sci. Stat. Comput. 13(2)) on
(I - A') x = v_o gives a starting point, then the Neumann/Jacobi iteration
x <- v_o + A' x runs until two iterates differ by at most *tol* everywhere. The answer's
criterion is the Neumann one alone, so BiCGSTAB only shortens the way to it (on the
synthetic 1M-node network 17 products plus one Neumann step instead of 41 Neumann steps;
the Neumann iteration converges geometrically at the rate of the largest column sum of A);
a BiCGSTAB start that breaks down or is not finite is dropped for v_o itself.

The iterative method solves four origins together (:mod:`.leontief_block`: four BiCGSTAB
recurrences sharing each pass over A', the products a compiled loop over an (n, 4) block
that prefetches the gathered rows). A block product of several vectors is not slower
than as many single ones once the gathers are prefetched: on the synthetic 1M-node /
20M-edge network, four columns 0.51 / 0.62 / 0.81 s against 1.06 / 1.49 / 1.65 s for four
scipy products (9 repeats, load 4.5); without the prefetch the compiled block product,
like scipy's product with several vectors, was 0.8-1.4 s, no faster than four single
ones (load 2.3), as an earlier note found. The whole four-origin call went from
17.1 / 19.3 / 24.6 s to 6.7 / 7.6 / 10.0 s wall (CPU 13.5 / 17.4 / 19.3 s to 5.8 / 7.1 /
9.8 s), 6 processes each interleaved with the per-origin path at load 2.6-4.1
(bench/results/exposure_1m_block.json). The per-origin path with scipy's products stays
as :func:`iterative_plain`, the reference the tests compare with.

No transposed copy of A is made: A' in CSR is A in CSC with the same three arrays; the
dense LU factors whichever of I - A and (I - A)' is Fortran-ordered in A's memory order
and solves transposed if need be, and SuperLU factors I - A and solves transposed. The
dense LU runs with ``DENSE_BLAS_THREADS`` BLAS threads (see there). :func:`leontief_solve`
is the solve itself for any right-hand sides, of the transposed system (origin shares) or
of (I - A) X = rhs (columns of L, y = L w), with one factorisation for all of them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import scipy.sparse.linalg as spla

DIRECT_MAX_NODES = 200_000
"""Above this many nodes, origin shares are solved iteratively (no LU fill-in)."""

DENSE_MAX_NODES = 4_000
"""Up to this many nodes a dense LAPACK LU beats SuperLU (MRIO tables fill in densely)."""

DENSE_BLAS_THREADS: int | None = 1
"""BLAS threads for the dense LU and its refinement (None: the library's default).

One thread: on WIOD 2011 (1,435 nodes, 41 origins) on the shared 2-core test machine the
single-threaded float32 LU took 0.035-0.045 CPU-s against 0.09-0.25 CPU-s with two threads
(at this size the threads' synchronisation costs more than they share); the whole call
0.105 CPU-s median against 0.30 with the library's threads, interleaved in one session
(bench/results/exposure_lookthrough.json); at 4,000 nodes one thread was also faster
there (0.88-1.00 s wall against 1.22-1.32 s). A machine with idle cores may do better with
None. The limit is set through threadpoolctl only
for the duration of the call, under a lock (the API calls this from several threads and
the limit is process-wide)."""

_BLAS_LOCK = threading.Lock()


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries (made on first use, after scipy's
    LAPACK is loaded; building it scans the process's libraries, about 2 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _blas_threads(threads: int | None) -> Iterator[None]:
    """Limit the BLAS thread pools to *threads* for the block (None: leave them)."""
    if threads is None:
        yield
        return
    with _BLAS_LOCK, _blas_controller().limit(limits=threads, user_api="blas"):
        yield


def technical_coefficients(
    z: sp.spmatrix | npt.NDArray[np.float64], x: npt.NDArray[np.float64]
) -> sp.csc_matrix:
    """A = Z diag(x)^-1 (columns with zero output give zero coefficients).

    Miller & Blair (2009), eq. 2.4; pymrio ``calc_A``. Each stored Z[i, j] is multiplied
    by 1 / x_j in place of a sparse product with diag(1 / x) (the same products, so the
    same values; zeros of zero-output columns are dropped as that product drops them).
    """
    x = np.asarray(x, dtype=float)
    inv = np.zeros_like(x)
    np.divide(1.0, x, out=inv, where=x != 0)
    zs = to_csc(z)
    a = sp.csc_matrix((zs.data * np.repeat(inv, np.diff(zs.indptr)), zs.indices.copy(),
                       zs.indptr.copy()), shape=zs.shape)
    a.eliminate_zeros()
    return a


def to_csc(z: sp.spmatrix | npt.ArrayLike) -> sp.csc_matrix:
    """*z* as a float CSC matrix (no copy when it already is one).

    A dense *z* is read column by column from its transpose in C order (no copy for a
    Fortran-ordered *z*, such as a pandas frame's values): the flat positions of the
    non-zeros list them column by column, rows ascending, which is CSC order as it is.
    On WIOD's 1,435 x 1,435 block this takes a few ms against 35 ms for
    ``scipy.sparse.csc_matrix(dense)``."""
    if sp.issparse(z):
        return sp.csc_matrix(z, dtype=float)
    dense = np.asarray(z, dtype=float)
    if dense.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {dense.shape}")
    n_rows, n_cols = dense.shape
    by_column = np.ascontiguousarray(dense.T).ravel()
    flat = np.flatnonzero(by_column != 0)  # on a mask: 8x faster than on the floats
    kind = np.int32 if max(flat.size, n_rows) < np.iinfo(np.int32).max else np.int64
    indptr = np.searchsorted(flat, np.arange(n_cols + 1) * n_rows).astype(kind)
    rows = (flat % max(n_rows, 1)).astype(kind)
    return sp.csc_matrix((by_column.take(flat), rows, indptr), shape=dense.shape)


def value_added_coefficients(
    a: sp.spmatrix | npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """v_j = 1 - sum_i A[i, j]."""
    return np.asarray(1.0 - np.asarray(a.sum(axis=0)).ravel(), dtype=float)


def _dense(a: Any) -> npt.NDArray[np.float64]:
    return np.asarray(a.toarray() if sp.issparse(a) else a, dtype=float)


def _dense_solve(a: npt.NDArray[np.float64], rhs: npt.NDArray[np.float64],
                 tol: float, transposed: bool = True) -> npt.NDArray[np.float64]:
    """Solve (I - A)' X = rhs (or (I - A) X = rhs when not *transposed*): LU in float32,
    then float64 iterative refinement X <- X + LU^-1 (rhs - (I - A)' X) until the residual
    is below *tol* everywhere (Wilkinson's mixed-precision refinement; Higham 2002,
    *Accuracy and Stability of Numerical Algorithms*, ch. 12). Falls back to a float64
    LU if refinement stalls. Each column stops on its own residual: a correction and a
    residual only for the columns still above *tol*. On WIOD 2011 (41 right-hand sides)
    the float32 LU's answer has a residual near 1e-6 and each refinement step gains about
    1e-7: one correction and two residuals bring most columns within 1e-13 (the residual
    products are a third of the solve's time); the float32 LU takes half the time of the
    float64 one. The diagonal 1 - A_ii is rounded to float32 once, from float64.

    LAPACK factors a Fortran-ordered matrix in place: A in Fortran order (a pandas
    frame's ``to_numpy()``, a CSC matrix's ``toarray()``) gives I - A, A in C order gives
    (I - A)' (its transpose is Fortran-ordered); the system asked is then solved as it is
    or transposed (LAPACK's ``trans``). Either way no transposed copy."""
    import scipy.linalg as sla

    n = a.shape[0]
    op = a.T if transposed else a  # the residual's product: (I - op) X = rhs
    system = a.astype(np.float32)  # keeps a's memory order
    np.negative(system, out=system)
    factors_a = bool(system.flags.f_contiguous)  # LU of I - A, else of (I - A)'
    if not factors_a:
        system = np.asfortranarray(system.T)  # no copy when a was C-ordered
    trans = 1 if factors_a == transposed else 0
    system.flat[:: n + 1] = (1.0 - np.diagonal(a)).astype(np.float32)  # rounded once
    with _blas_threads(DENSE_BLAS_THREADS):
        lu = sla.lu_factor(system, check_finite=False, overwrite_a=True)
        x = sla.lu_solve(lu, rhs.astype(np.float32), trans=trans,
                         check_finite=False).astype(np.float64)
        live = np.arange(rhs.shape[1])  # the columns still refined
        for _ in range(10):
            cols = slice(None) if len(live) == rhs.shape[1] else live
            xs = x[:, cols]
            resid = rhs[:, cols] - xs + op @ xs
            more = ~(np.max(np.abs(resid), axis=0, initial=0.0) <= tol)  # NaN: not done
            if not more.any():
                return x
            live = live[more]
            x[:, live] += sla.lu_solve(lu, resid[:, more].astype(np.float32), trans=trans,
                                       check_finite=False)
        exact = np.negative(op)
        exact[np.diag_indices(n)] += 1.0
        if not (np.isfinite(exact).all() and np.isfinite(rhs).all()):
            # a NaN or infinite coefficient never passes as converged (above), and LAPACK
            # is not asked to factor it (scipy's answer differs by version: NaN, or an
            # "illegal value" error)
            raise ValueError("Leontief solve: the coefficients or the right-hand sides "
                             "hold NaN or infinite values")
        return np.asarray(sla.solve(exact, rhs, check_finite=False, overwrite_a=True))


def leontief_inverse(a: sp.spmatrix | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Dense L = (I - A)^-1 (for small systems and tests; Miller & Blair eq. 2.11)."""
    dense = _dense(a)
    n = dense.shape[0]
    return np.asarray(np.linalg.solve(np.eye(n) - dense, np.eye(n)), dtype=float)


def origin_shares(
    a: sp.spmatrix | npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    origin_of_node: npt.NDArray[np.int64],
    origins: Sequence[int] | None = None,
    *,
    method: str = "auto",
    tol: float = 1e-13,
    max_iter: int = 10_000,
) -> npt.NDArray[np.float64]:
    """O[k, j] = sum_{i: origin(i) = origins[k]} v_i L[i, j]  (see module docstring).

    Parameters
    ----------
    a : (n, n) sparse technical coefficients, column sums < 1.
    v : (n,) value-added coefficients.
    origin_of_node : (n,) integer origin label of every node.
    origins : origin labels to compute (default: all labels present).
    method : "dense" (LAPACK LU in float32 refined to float64), "direct" (SuperLU),
        "iterative" (BiCGSTAB start, Neumann/Jacobi to *tol*; module docstring) or
        "auto" (dense up to DENSE_MAX_NODES, SuperLU up to DIRECT_MAX_NODES, else iterative).

    Returns an array of shape (len(origins), n).
    """
    labels = np.asarray(origin_of_node)
    wanted = np.asarray(list(np.unique(labels)) if origins is None else list(origins))
    return leontief_solve(a, _rhs(labels, wanted, v), method=method, tol=tol,
                          max_iter=max_iter)


def leontief_solve(
    a: sp.spmatrix | npt.NDArray[np.float64],
    rhs: npt.NDArray[np.float64],
    *,
    transposed: bool = True,
    method: str = "auto",
    tol: float = 1e-13,
    max_iter: int = 10_000,
) -> npt.NDArray[np.float64]:
    """X' (shape (k, n)) with (I - A)' X = rhs, or (I - A) X = rhs when not *transposed*,
    for the k columns of *rhs* (n, k): X' = rhs' L (transposed) or X = L rhs, never
    forming L = (I - A)^-1. *method* and *tol* as :func:`origin_shares` (dense: residual
    at most *tol* everywhere; iterative: two Neumann iterates within *tol*).

    One factorisation serves every column: ask for all the columns one question needs
    in one call (look-through and requirement shares of
    :func:`econsec.metrics.sector_exposure.sector_lookthrough` share one LU).
    """
    n = a.shape[0]
    rhs = np.asarray(rhs, dtype=float)
    if method == "auto":
        if n <= DENSE_MAX_NODES:
            method = "dense"
        else:
            method = "direct" if n <= DIRECT_MAX_NODES else "iterative"
    if method not in ("dense", "direct", "iterative"):
        raise ValueError(f"unknown method {method!r}")
    if method == "dense":
        return np.asarray(_dense_solve(_dense(a), rhs, tol, transposed).T, dtype=float)
    csc = sp.csc_matrix(a, dtype=float)  # no copy when *a* is already a float CSC matrix
    if method == "direct":
        # the LU of I - A solves both systems (transposed: no transposed copy)
        lu = spla.splu(sp.csc_matrix(sp.identity(n, format="csc") - csc))
        return np.asarray(lu.solve(rhs, trans="T" if transposed else "N").T, dtype=float)
    from econsec.metrics.leontief_block import BlockSolver

    # x <- b + M x with M = A' (CSR view of A's CSC arrays) or M = A (a CSR copy)
    solver = BlockSolver(_transposed(csc) if transposed else csc.tocsr())
    out = np.empty((rhs.shape[1], n))
    for lo in range(0, rhs.shape[1], solver.width):  # the right-hand sides block by block
        block = np.ascontiguousarray(rhs[:, lo:lo + solver.width])
        out[lo:lo + solver.width] = solver.solve(block, tol, max_iter).T
    return out


def _rhs(labels: npt.NDArray[Any], wanted: npt.NDArray[Any],
         v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(n, k) right-hand sides v * 1[origin = wanted[k]], C-ordered."""
    return np.where(labels[:, None] == wanted[None, :], v[:, None], 0.0)


def _transposed(csc: sp.csc_matrix) -> sp.csr_matrix:
    """A' as CSR sharing A's CSC arrays (rows of A' are the columns of A): no copy."""
    n = csc.shape[0]
    return sp.csr_matrix((csc.data, csc.indices, csc.indptr), shape=(n, n))


def iterative_plain(a: sp.spmatrix, rhs: npt.NDArray[np.float64], tol: float = 1e-13,
                    max_iter: int = 10_000) -> npt.NDArray[np.float64]:
    """The reference of the iterative method: X' (k, n) with (I - A') X = rhs (n, k),
    one column at a time with scipy's products (:func:`_krylov_start`, then
    :func:`_neumann`); :mod:`.leontief_block` solves the columns together."""
    at = _transposed(sp.csc_matrix(a, dtype=float))
    out = np.empty((rhs.shape[1], at.shape[0]))
    for k in range(rhs.shape[1]):
        b = np.ascontiguousarray(rhs[:, k])
        out[k] = _neumann(at, b, _krylov_start(at, b, tol, max_iter), tol, max_iter)
    return out


def _krylov_start(at: sp.csr_matrix, b: npt.NDArray[np.float64], tol: float,
                  max_iter: int) -> npt.NDArray[np.float64]:
    """A starting point for :func:`_neumann`: BiCGSTAB (van der Vorst 1992, Algorithm
    "Bi-CGSTAB") on (I - A') x = b from x = b, stopped when its (recursively updated)
    residual is at most *tol* everywhere, the criterion :func:`_neumann` checks (or after
    *max_iter* steps, or at the iterate reached when the stabilising step vanishes);
    *b* itself when BiCGSTAB breaks down (a zero inner product) or returns non-finite
    values. Written out rather than ``scipy.sparse.linalg.bicgstab``:
    that one stops on the residual's 2-norm (up to sqrt(n) times stricter than the
    max-norm asked for: three more products on 1M nodes) and allocates around each
    product."""
    x = b.copy()
    r = at @ b  # b - (I - A') b
    work = np.empty_like(b)
    if _max_abs(r, work) <= tol:
        return x
    rhat = r.copy()
    p = r.copy()
    rho = float(rhat @ r)
    for _ in range(max_iter):
        v = at @ p
        np.subtract(p, v, out=v)  # v = (I - A') p
        denom = float(rhat @ v)
        if rho == 0.0 or denom == 0.0 or not np.isfinite(denom):
            return b.copy()
        alpha = rho / denom
        r -= alpha * v  # s
        if _max_abs(r, work) <= tol:
            x += alpha * p
            break
        t = at @ r
        np.subtract(r, t, out=t)  # t = (I - A') s
        tt = float(t @ t)
        if tt == 0.0 or not np.isfinite(tt):
            return b.copy()
        omega = float(t @ r) / tt
        x += alpha * p
        x += omega * r
        r -= omega * t
        if omega == 0.0 or _max_abs(r, work) <= tol:
            break
        rho_next = float(rhat @ r)
        beta = (rho_next / rho) * (alpha / omega)
        rho = rho_next
        p -= omega * v
        p *= beta
        p += r
    if not np.all(np.isfinite(x)):
        return b.copy()
    return x


def _max_abs(y: npt.NDArray[np.float64], work: npt.NDArray[np.float64]) -> float:
    return float(np.abs(y, out=work).max(initial=0.0))


def _neumann(at: sp.csr_matrix, b: npt.NDArray[np.float64], x: npt.NDArray[np.float64],
             tol: float, max_iter: int) -> npt.NDArray[np.float64]:
    """x <- b + A' x from *x* until two iterates differ by at most *tol* everywhere."""
    for _ in range(max_iter):
        nxt = b + at @ x
        if np.max(np.abs(nxt - x)) <= tol:
            return nxt
        x = nxt
    raise RuntimeError(f"Neumann iteration did not converge in {max_iter} steps")
