"""Benchmark: look-through exposure (Leontief value-added origin shares).

1. WIOD 2013, year 2011 (1,435 nodes, real): econsec ``origin_shares`` for all 41 origins
   (from Z and Y: dense A, value-added coefficients, shares) against pymrio: ``IOSystem``
   + ``calc_all`` + the value-added origin product ``(G v) L``, in one process, repeats
   interleaved (pymrio, econsec, pymrio, ...); min / median / max of wall and CPU seconds
   (all threads), ratio of medians and worst-case ratio (pymrio's fastest over econsec's
   slowest), the maximum absolute difference of the values. Goal: >= 5x, within 1e-9.
2. SYNTHETIC economy x good network (default 200 economies x 5,000 goods = 1M nodes, ~20M
   edges, generated here, not real data): exposure of every node to one origin and to
   four origins (``method="auto"``, what a user gets), repeated; in a fresh subprocess so
   its peak RSS (``ru_maxrss``, network included) is this part's alone. Goal: four
   origins < 10 s, < 4 GB.

Run: ``python bench/bench_exposure.py [--repeat 5 --big-repeat 3] [--out NAME]``
(results in ``bench/results/NAME.json``, default ``exposure``). ``--dense-blas-threads``
sets ``econsec.metrics.leontief.DENSE_BLAS_THREADS`` for econsec's WIOD solve (``default``:
no limit, the BLAS library's own thread count; pymrio always runs with the library's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from _common import fmt, machine, measure, peak_rss_gb, stats, write_results

from econsec.metrics import leontief
from econsec.metrics.leontief import origin_shares, value_added_coefficients

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def bench_wiod(repeat: int) -> dict[str, Any]:
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

    run_pymrio(), run_econsec()  # warm-up (imports, first-call costs), not timed
    p_wall, p_cpu, e_wall, e_cpu = [], [], [], []
    diff = 0.0
    for _ in range(repeat):
        ref, w, c = measure(run_pymrio)
        p_wall.append(w)
        p_cpu.append(c)
        got, w, c = measure(run_econsec)
        e_wall.append(w)
        e_cpu.append(c)
        diff = max(diff, float(np.max(np.abs(ref - got))))
    ps, es = stats(p_wall), stats(e_wall)
    out = {"nodes": int(z.shape[0]), "origins": len(names), "repeats": repeat,
           "econsec_dense_blas_threads": getattr(leontief, "DENSE_BLAS_THREADS", None),
           "pymrio_wall_s": ps, "pymrio_cpu_s": stats(p_cpu),
           "econsec_wall_s": es, "econsec_cpu_s": stats(e_cpu),
           "ratio_of_medians_wall": ps["median"] / es["median"],
           "ratio_worst_case_wall": ps["min"] / es["max"],
           "ratio_of_medians_cpu": statistics.median(p_cpu) / statistics.median(e_cpu),
           "max_abs_diff": diff, "goal": ">= 5x pymrio calc_all, values within 1e-9"}
    out["goal_met"] = out["ratio_of_medians_wall"] >= 5.0 and diff <= 1e-9
    print(f"WIOD 2011 (real, {z.shape[0]} nodes, {len(names)} origins), {repeat} repeats")
    print(f"  pymrio  wall s min/med/max {fmt(ps)}   CPU {fmt(out['pymrio_cpu_s'])}")
    print(f"  econsec wall s min/med/max {fmt(es)}   CPU {fmt(out['econsec_cpu_s'])}")
    print(f"  ratio of medians {out['ratio_of_medians_wall']:.2f}x (worst case "
          f"{out['ratio_worst_case_wall']:.2f}x), max |diff| {diff:.2e}; goal: "
          f"{'met' if out['goal_met'] else 'NOT MET'}", flush=True)
    return out


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


def _block_settings() -> dict[str, Any]:
    """The block solver's settings in this process (empty on a tree without it)."""
    try:
        from econsec.metrics import leontief_block
    except ImportError:
        return {}
    return {"parallel": leontief_block.PARALLEL, "block_columns": leontief_block.BLOCK_COLUMNS,
            "prefetch_ahead": leontief_block.PREFETCH_AHEAD}


def bench_synthetic(n_econ: int, n_goods: int, k: int, repeat: int) -> dict[str, Any]:
    """Runs in its own process (see ``--part big``): its peak RSS is this part's."""
    (a, v, labels), build, _ = measure(lambda: synthetic_network(n_econ, n_goods, k))
    rss_network = peak_rss_gb()
    one_w, one_c, four_w, four_c = [], [], [], []
    for _ in range(repeat):
        one, w, c = measure(lambda: origin_shares(a, v, labels, [0]))
        one_w.append(w)
        one_c.append(c)
        _four, w, c = measure(lambda: origin_shares(a, v, labels, [0, 1, 2, 3]))
        four_w.append(w)
        four_c.append(c)
    assert np.all(one[0] >= 0) and np.all(one[0] <= 1 + 1e-9)
    out = {"nodes": int(a.shape[0]), "edges": int(a.nnz), "build_s": build,
           "repeats": repeat, "one_origin_wall_s": stats(one_w),
           "one_origin_cpu_s": stats(one_c), "four_origins_wall_s": stats(four_w),
           "four_origins_cpu_s": stats(four_c), "peak_rss_gb_after_build": rss_network,
           "peak_rss_gb": peak_rss_gb(), "goal": "four origins < 10 s, < 4 GB",
           "block": _block_settings()}
    out["goal_met"] = out["four_origins_wall_s"]["max"] < 10.0 and out["peak_rss_gb"] < 4.0
    out["goal_met_on_median"] = (out["four_origins_wall_s"]["median"] < 10.0
                                 and out["peak_rss_gb"] < 4.0)
    return out


def _block_options(parallel: str | None) -> None:
    """Set the block solver's thread use for this process."""
    from econsec.metrics import leontief_block

    if parallel is not None:
        leontief_block.PARALLEL = parallel == "1"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--economies", type=int, default=200)
    p.add_argument("--goods", type=int, default=5000)
    p.add_argument("--inputs", type=int, default=20, help="inputs per node (edges per column)")
    p.add_argument("--repeat", type=int, default=5, help="WIOD repeats")
    p.add_argument("--big-repeat", type=int, default=3, help="synthetic network repeats")
    p.add_argument("--skip-wiod", action="store_true")
    p.add_argument("--skip-big", action="store_true", help="WIOD only")
    p.add_argument("--dense-blas-threads", default=None,
                   help="econsec's dense LU BLAS threads: a number or 'default' (no limit)")
    p.add_argument("--block-parallel", choices=["0", "1"], default=None,
                   help="synthetic part: the block product over numba's threads (1) or "
                   "on one thread (0); default: econsec.metrics.leontief_block.PARALLEL")
    p.add_argument("--out", default="exposure", help="results file bench/results/OUT.json")
    p.add_argument("--part", choices=["big"])
    args = p.parse_args()
    if args.part == "big":
        _block_options(args.block_parallel)
        print(json.dumps(bench_synthetic(args.economies, args.goods, args.inputs,
                                         args.big_repeat)))
        return
    if args.dense_blas_threads is not None:
        leontief.DENSE_BLAS_THREADS = (None if args.dense_blas_threads == "default"
                                       else int(args.dense_blas_threads))
    figures: dict[str, Any] = {"machine_start": machine()}
    if not args.skip_wiod and SHARED.is_dir():
        figures["wiod"] = bench_wiod(args.repeat)
    if args.skip_big:
        figures["machine_end"] = machine()
        print("wrote", write_results(args.out, figures))
        return
    cmd = [sys.executable, __file__, "--part", "big", "--economies", str(args.economies),
           "--goods", str(args.goods), "--inputs", str(args.inputs), "--big-repeat",
           str(args.big_repeat)]
    if args.block_parallel is not None:
        cmd += ["--block-parallel", args.block_parallel]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    big = json.loads(done.stdout.strip().splitlines()[-1])
    figures["synthetic_1m"] = big
    print(f"SYNTHETIC network: {big['nodes']:,} nodes, {big['edges']:,} edges, "
          f"{args.big_repeat} repeats")
    print(f"  1 origin : wall s min/med/max {fmt(big['one_origin_wall_s'])}")
    print(f"  4 origins: wall s min/med/max {fmt(big['four_origins_wall_s'])}   CPU "
          f"{fmt(big['four_origins_cpu_s'])}")
    print(f"  peak RSS {big['peak_rss_gb']:.2f} GB; goal < 10 s, < 4 GB: "
          f"{'met' if big['goal_met'] else 'NOT MET'}")
    figures["machine_end"] = machine()
    print("wrote", write_results(args.out, figures))


if __name__ == "__main__":
    main()
