"""Benchmark: look-through exposure (sparse Leontief origin shares).

1. WIOD 2013, year 2011 (1,435 nodes, real): econsec ``origin_shares`` for all 41 origins
   against pymrio ``calc_all`` + the value-added origin product, same run; ratio and
   maximum difference.
2. SYNTHETIC economy x good network (default 200 economies x 5,000 goods = 1M nodes,
   ~20M edges, generated here, not real data): exposure of every node to one origin
   economy and to four origins; time and peak memory.

Run: ``python bench/bench_exposure.py [--economies 200 --goods 5000 --inputs 20]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from _common import compare_previous, peak_rss_gb, timed

from econsec.metrics.leontief import origin_shares, value_added_coefficients

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def bench_wiod() -> dict[str, float]:
    import pymrio
    from test_leontief_vs_pymrio import wiod_table

    z, y = wiod_table(SHARED, 2011)
    regions = z.index.get_level_values(0).to_numpy()
    names = sorted(set(regions))
    labels = np.array([names.index(r) for r in regions])

    def run_pymrio() -> np.ndarray:
        io = pymrio.IOSystem(Z=z.copy(), Y=y.copy())
        io.calc_all()
        a = io.A.to_numpy()
        v = 1.0 - a.sum(axis=0)
        g = (labels[None, :] == np.arange(len(names))[:, None]).astype(float)
        return np.asarray((g * v) @ io.L.to_numpy())

    def run_econsec() -> np.ndarray:
        zz = z.to_numpy()
        x = zz.sum(axis=1) + y.to_numpy().sum(axis=1)
        a = zz / np.where(x == 0, 1.0, x)[None, :]  # dense A: the table is 20% full
        v = value_added_coefficients(a)
        return origin_shares(a, v, labels, list(range(len(names))))

    ref, t_py = timed(run_pymrio, repeat=5)
    got, t_ec = timed(run_econsec, repeat=5)
    diff = float(np.max(np.abs(ref - got)))
    print(f"WIOD 2011 (real, {z.shape[0]} nodes, {len(names)} origins)")
    print(f"  pymrio calc_all + v'L by origin : {t_py:8.3f} s")
    print(f"  econsec origin_shares (LAPACK)  : {t_ec:8.3f} s   ratio {t_py / t_ec:6.1f}x"
          f"   max |diff| {diff:.2e}")
    return {"wiod_pymrio_s": t_py, "wiod_econsec_s": t_ec, "wiod_speedup": t_py / t_ec,
            "wiod_max_abs_diff": diff}


def synthetic_network(n_econ: int, n_goods: int, k: int, seed: int = 7
                      ) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """SYNTHETIC: k random inputs per node, column sums uniform in [0.3, 0.8]."""
    rng = np.random.default_rng(seed)
    n = n_econ * n_goods
    rows = rng.integers(0, n, size=n * k, dtype=np.int64)
    cols = np.repeat(np.arange(n, dtype=np.int64), k)
    vals = rng.random(n * k)
    colsum = np.add.reduceat(vals, np.arange(0, n * k, k))
    target = rng.uniform(0.3, 0.8, n)
    vals *= np.repeat(target / colsum, k)
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    v = 1.0 - target
    labels = np.repeat(np.arange(n_econ), n_goods)
    return a, v, labels


def bench_synthetic(n_econ: int, n_goods: int, k: int) -> dict[str, float]:
    (a, v, labels), t_build = timed(lambda: synthetic_network(n_econ, n_goods, k))
    n = a.shape[0]
    print(f"SYNTHETIC network: {n_econ} economies x {n_goods} goods = {n:,} nodes,"
          f" {a.nnz:,} edges (built in {t_build:.1f} s)")
    one, t_one = timed(lambda: origin_shares(a, v, labels, [0], method="iterative"))
    _four, t_four = timed(lambda: origin_shares(a, v, labels, [0, 1, 2, 3], method="iterative"))
    assert np.all(one[0] >= 0) and np.all(one[0] <= 1 + 1e-9)
    print(f"  exposure of all nodes to 1 origin : {t_one:8.2f} s")
    print(f"  exposure of all nodes to 4 origins: {t_four:8.2f} s")
    print(f"  peak memory (process)             : {peak_rss_gb():8.2f} GB")
    return {"synthetic_nodes": float(n), "synthetic_edges": float(a.nnz),
            "synthetic_one_origin_s": t_one, "synthetic_four_origins_s": t_four,
            "synthetic_peak_gb": peak_rss_gb()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--economies", type=int, default=200)
    p.add_argument("--goods", type=int, default=5000)
    p.add_argument("--inputs", type=int, default=20, help="inputs per node (edges per column)")
    p.add_argument("--skip-wiod", action="store_true")
    args = p.parse_args()
    figures: dict[str, float] = {}
    if not args.skip_wiod and SHARED.is_dir():
        figures.update(bench_wiod())
    figures.update(bench_synthetic(args.economies, args.goods, args.inputs))
    print("figures (and our previous run):")
    compare_previous("exposure", figures)


if __name__ == "__main__":
    main()
