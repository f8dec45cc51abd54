"""Several origins' iterative Leontief solves sharing each pass over A' (numba kernels).

:class:`BlockSolver` solves (I - A') X = B for the k columns of B (one per origin) as
:func:`econsec.metrics.leontief._krylov_start` and :func:`~econsec.metrics.leontief._neumann`
solve one column: k independent BiCGSTAB recurrences (van der Vorst 1992, SIAM J. Sci.
Stat. Comput. 13(2); each column its own scalars rho, alpha, omega) give a start, then
the Neumann/Jacobi iteration x <- b + A' x runs until two iterates differ by at most *tol*
everywhere, per column. A column whose BiCGSTAB residual is within *tol* leaves the
recurrence; a column that breaks down (a zero or non-finite inner product) or ends with
non-finite values starts the Neumann iteration from its b, as the single-column start
does. The answer's criterion is the Neumann one alone.

What is shared: every product A' Y of the recurrences is one pass over A' for all live
columns, Y an (n, k) C-ordered block (a gathered node's k values side by side), and
every vector update is one fused pass over the block. The product sums each row's terms
in the row's index order from 0, as scipy's ``csr_matvec`` does for one column (same
bits; numba compiles without ``fastmath``, so no reassociation or fused multiply-add).
The inner products are summed row by row in a compiled loop, not by BLAS: they differ
from the single-column path's in the last bits, and so may the iterates; both answers
satisfy the same Neumann criterion (the tests compare them within the tolerance).

Prefetching: the product is bound by the latency of its gathers (20M random rows of a
32 MB block for 1M nodes and four origins: they no longer stay in a 32 MB L3 cache with
240 MB of A' streaming past), so the loop asks the CPU to fetch the row ``PREFETCH_AHEAD``
entries ahead (LLVM's ``llvm.prefetch``, a hint: no effect on the values). Measured on
the 1M-node network: see :mod:`.leontief`'s module docstring.

This module is the only one in ``metrics`` that imports numba; :mod:`.leontief` imports it
on first use of the iterative method, so other commands do not load numba. Kernels are
compiled on first call and cached on disk (``cache=True``, as
:mod:`econsec.simulation.fused`: compiling them all took 6.5 s on the test machine, paid
once per install instead of once per process).
"""

from __future__ import annotations

from typing import Any

import llvmlite.ir as ir
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

BLOCK_COLUMNS = 4
"""Origins solved together (the block's k; four doubles of a node share a cache line)."""

PARALLEL = False
"""Split each product's rows over numba's threads. Off: on the 1M-node network at load
2.6-4.1 (2 cores) two threads gave four origins in 6.0 / 7.1 / 10.9 s wall (5.9 / 6.9 /
9.7 CPU-s) against 6.7 / 7.6 / 10.0 s (5.8 / 7.1 / 9.8 CPU-s) on one, within the noise
(bench/results/exposure_1m_block.json); a machine with idle cores may gain more."""


PREFETCH_AHEAD = 16
"""Entries ahead of the product's loop whose gathered row is prefetched (8 to 24 measured
alike; a compile-time constant of the cached kernels)."""


@intrinsic
def _prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Hint the CPU to bring ``arr[idx]`` into its caches (``llvm.prefetch``: read, high
    locality, data); *idx* must be within *arr*. No effect on any value."""
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


def _product_kernel(parallel: bool) -> Any:
    @njit(cache=True, parallel=parallel)
    def product(indptr: npt.NDArray[np.int32], indices: npt.NDArray[np.int32], data: F64,
                xf: F64, k: int, out: F64) -> None:
        """out = A' x for an (n, k) block x given flat (*xf*, C order):
        out[i, c] = sum_jj data[jj] x[indices[jj], c] over row i's entries in order."""
        n = indptr.shape[0] - 1
        nnz = indices.shape[0]
        for i in prange(n):
            lo = indptr[i]
            hi = indptr[i + 1]
            if k == 4:
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for jj in range(lo, hi):
                    q = jj + PREFETCH_AHEAD
                    if q < nnz:
                        _prefetch(xf, 4 * np.int64(indices[q]))  # type: ignore[call-arg]
                    j = 4 * np.int64(indices[jj])
                    d = data[jj]
                    s0 += d * xf[j]
                    s1 += d * xf[j + 1]
                    s2 += d * xf[j + 2]
                    s3 += d * xf[j + 3]
                out[i, 0] = s0
                out[i, 1] = s1
                out[i, 2] = s2
                out[i, 3] = s3
            else:
                for c in range(k):
                    out[i, c] = 0.0
                for jj in range(lo, hi):
                    q = jj + PREFETCH_AHEAD
                    if q < nnz:
                        _prefetch(xf, k * np.int64(indices[q]))  # type: ignore[call-arg]
                    j = k * np.int64(indices[jj])
                    d = data[jj]
                    for c in range(k):
                        out[i, c] += d * xf[j + c]

    return product


_product_serial = _product_kernel(False)
_product_parallel = _product_kernel(True)


@njit(inline="always")
def _nan_max(top: float, d: float) -> float:
    """max(top, d) where a NaN, once met, stays (so it is never read as within a
    tolerance; ``max`` keeps *top* against a NaN *d*)."""
    if top != top or d <= top:  # top is NaN, or d is not larger
        return top
    return d  # larger, or NaN


@njit(cache=True)
def _sub_dot(p: F64, v: F64, rhat: F64) -> F64:
    """v <- p - v; returns the column inner products rhat' v."""
    k = p.shape[1]
    dots = np.zeros(k)
    for i in range(p.shape[0]):
        for c in range(k):
            w = p[i, c] - v[i, c]
            v[i, c] = w
            dots[c] += rhat[i, c] * w
    return dots


@njit(cache=True)
def _axpy_maxabs(r: F64, alpha: F64, v: F64) -> F64:
    """r <- r - alpha v (alpha per column); returns the column max |r|."""
    k = r.shape[1]
    top = np.zeros(k)
    for i in range(r.shape[0]):
        for c in range(k):
            w = r[i, c] - alpha[c] * v[i, c]
            r[i, c] = w
            top[c] = _nan_max(top[c], abs(w))
    return top


@njit(cache=True)
def _sub_dots(s: F64, t: F64) -> tuple[F64, F64]:
    """t <- s - t; returns the column inner products t' t and t' s."""
    k = s.shape[1]
    tt = np.zeros(k)
    ts = np.zeros(k)
    for i in range(s.shape[0]):
        for c in range(k):
            w = s[i, c] - t[i, c]
            t[i, c] = w
            tt[c] += w * w
            ts[c] += w * s[i, c]
    return tt, ts


@njit(cache=True)
def _step(x: F64, p: F64, r: F64, t: F64, rhat: F64, alpha: F64,
          omega: F64) -> tuple[F64, F64]:
    """x <- x + alpha p + omega s; r (= s) <- s - omega t; returns the column max |r|
    and rhat' r."""
    k = x.shape[1]
    top = np.zeros(k)
    rho = np.zeros(k)
    for i in range(x.shape[0]):
        for c in range(k):
            x[i, c] = (x[i, c] + alpha[c] * p[i, c]) + omega[c] * r[i, c]
            w = r[i, c] - omega[c] * t[i, c]
            r[i, c] = w
            top[c] = _nan_max(top[c], abs(w))
            rho[c] += rhat[i, c] * w
    return top, rho


@njit(cache=True)
def _direction(p: F64, v: F64, r: F64, omega: F64, beta: F64) -> None:
    """p <- (p - omega v) beta + r."""
    for i in range(p.shape[0]):
        for c in range(p.shape[1]):
            p[i, c] = (p[i, c] - omega[c] * v[i, c]) * beta[c] + r[i, c]


@njit(cache=True)
def _axpy(x: F64, alpha: F64, p: F64) -> None:
    """x <- x + alpha p (alpha per column)."""
    for i in range(x.shape[0]):
        for c in range(x.shape[1]):
            x[i, c] += alpha[c] * p[i, c]


@njit(cache=True)
def _add_maxdiff(y: F64, b: F64, x: F64) -> F64:
    """y <- b + y; returns the column max |y - x| (the Neumann step's change)."""
    k = y.shape[1]
    top = np.zeros(k)
    for i in range(y.shape[0]):
        for c in range(k):
            w = b[i, c] + y[i, c]
            y[i, c] = w
            top[c] = _nan_max(top[c], abs(w - x[i, c]))
    return top


@njit(cache=True)
def _maxabs(r: F64) -> F64:
    k = r.shape[1]
    top = np.zeros(k)
    for i in range(r.shape[0]):
        for c in range(k):
            top[c] = _nan_max(top[c], abs(r[i, c]))
    return top


@njit(cache=True)
def _all_finite(x: F64) -> npt.NDArray[np.bool_]:
    k = x.shape[1]
    ok = np.ones(k, dtype=np.bool_)
    for i in range(x.shape[0]):
        for c in range(k):
            if not np.isfinite(x[i, c]):
                ok[c] = False
    return ok


class _Product:
    """A' Y for (n, k) C-ordered blocks Y over A' in CSR (no copy of A'); a single column
    by scipy's product (same bits; on the 1M-node network the compiled loop took 0.29 /
    0.41 / 0.59 s for one column against scipy's 0.24 / 0.31 / 0.48 s, 9 repeats at load
    4.5)."""

    def __init__(self, at: sp.csr_matrix, parallel: bool) -> None:
        self.at = at
        self.data = np.asarray(at.data, dtype=np.float64)
        self.kernel = _product_parallel if parallel else _product_serial

    def __call__(self, x: F64, out: F64) -> F64:
        if x.shape[1] == 1:
            out[:, 0] = self.at @ x[:, 0]
            return out
        xf = x.reshape(-1)  # a view: x is C-ordered
        self.kernel(self.at.indptr, self.at.indices, self.data, xf, x.shape[1], out)
        return out


class BlockSolver:
    """Solves (I - A') X = B for blocks B of up to *width* columns, each column to the
    Neumann criterion (module docstring); the block's memory is ~10 n *width* floats.
    *at*: A' in CSR; *parallel*: default :data:`PARALLEL`."""

    def __init__(self, at: sp.csr_matrix, width: int = BLOCK_COLUMNS, *,
                 parallel: bool | None = None) -> None:
        if width < 1:
            raise ValueError(f"block width must be at least 1, got {width}")
        self.width = width
        self.product = _Product(at, PARALLEL if parallel is None else parallel)

    def solve(self, rhs: F64, tol: float, max_iter: int) -> F64:
        """X (n, k) for rhs (n, k), k <= width."""
        if rhs.ndim != 2 or not 1 <= rhs.shape[1] <= self.width:
            raise ValueError(f"right-hand sides must be (n, 1..{self.width}), got {rhs.shape}")
        b = np.ascontiguousarray(rhs, dtype=np.float64)
        start = _bicgstab_block(self.product, b, tol, max_iter)
        return _neumann_block(self.product, b, start, tol, max_iter)


def _bicgstab_block(prod: _Product, b: F64, tol: float, max_iter: int) -> F64:
    """Per column as :func:`econsec.metrics.leontief._krylov_start`; the live columns are
    kept together in contiguous blocks (compacted when a column leaves)."""
    k = b.shape[1]
    result = b.copy()  # a column that leaves without an iterate keeps b
    live = np.arange(k)
    x = b.copy()
    r = prod(b, np.empty_like(b))  # b - (I - A') b
    keep = _maxabs(r) > tol
    live, x, r = live[keep], x[:, keep], r[:, keep]
    if live.size == 0:
        return result
    x, r = np.ascontiguousarray(x), np.ascontiguousarray(r)
    rhat, p = r.copy(), r.copy()
    rho = np.einsum("ij,ij->j", rhat, r)
    v = np.empty_like(r)
    t = np.empty_like(r)
    for _ in range(max_iter):
        prod(p, v)
        denom = _sub_dot(p, v, rhat)  # v = (I - A') p
        broken = (rho == 0.0) | (denom == 0.0) | ~np.isfinite(denom)
        alpha = rho / np.where(broken, 1.0, denom)
        alpha[broken] = 0.0
        top = _axpy_maxabs(r, alpha, v)  # r = s
        done = (top <= tol) & ~broken
        if done.any():
            sub = x[:, done].copy()
            _axpy(sub, alpha[done], np.ascontiguousarray(p[:, done]))
            result[:, live[done]] = sub
        keep = ~(done | broken)
        if not keep.all():
            live, x, r, p, v, rhat, rho, alpha = _compact(
                keep, live, (x, r, p, v, rhat), rho, alpha)
            t = np.empty_like(r)
            if live.size == 0:
                break
        prod(r, t)
        tt, ts = _sub_dots(r, t)  # t = (I - A') s
        broken = (tt == 0.0) | ~np.isfinite(tt)
        omega = ts / np.where(broken, 1.0, tt)
        omega[broken] = 0.0
        if broken.any():
            keep = ~broken
            live, x, r, p, v, rhat, rho, alpha, omega = _compact(
                keep, live, (x, r, p, v, rhat), rho, alpha, omega)
            t = np.ascontiguousarray(t[:, keep])
            if live.size == 0:
                break
        top, rho_next = _step(x, p, r, t, rhat, alpha, omega)
        done = (omega == 0.0) | (top <= tol)
        if done.any():
            result[:, live[done]] = x[:, done]
            keep = ~done
            live, x, r, p, v, rhat, rho, alpha, omega, rho_next = _compact(
                keep, live, (x, r, p, v, rhat), rho, alpha, omega, rho_next)
            t = np.empty_like(r)
            if live.size == 0:
                break
        beta = (rho_next / rho) * (alpha / omega)
        rho = rho_next
        _direction(p, v, r, omega, beta)
    else:
        result[:, live] = x  # max_iter reached: the iterate so far
    finite = _all_finite(result)
    result[:, ~finite] = b[:, ~finite]
    return result


def _compact(keep: npt.NDArray[np.bool_], live: I64, blocks: tuple[F64, ...],
             *scalars: F64) -> tuple:  # type: ignore[type-arg]
    """The live columns *keep* of each block (contiguous) and of each per-column array."""
    return (live[keep], *(np.ascontiguousarray(blk[:, keep]) for blk in blocks),
            *(s[keep] for s in scalars))


def _neumann_block(prod: _Product, b: F64, x: F64, tol: float, max_iter: int) -> F64:
    """x <- b + A' x per column until two iterates differ by at most *tol* everywhere."""
    result = np.empty_like(b)
    live = np.arange(b.shape[1])
    bl = b
    nxt = np.empty_like(x)
    for _ in range(max_iter):
        prod(x, nxt)
        done = _add_maxdiff(nxt, bl, x) <= tol
        if done.any():
            result[:, live[done]] = nxt[:, done]
            keep = ~done
            if not keep.any():
                return result
            live = live[keep]
            bl = np.ascontiguousarray(bl[:, keep])
            nxt = np.ascontiguousarray(nxt[:, keep])
        x, nxt = nxt, np.empty_like(nxt)
    raise RuntimeError(f"Neumann iteration did not converge in {max_iter} steps")
