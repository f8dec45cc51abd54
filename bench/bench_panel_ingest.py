"""Benchmark: ingest one full-scale BACI-format year into the trade-panel store, then load it.

The data are SYNTHETIC (labelled so in the file name and the output): ~230 exporters x
230 importers x 5,000 HS6 products, ~11M rows, drawn from a seeded NumPy generator and
written in exact BACI CSV format (``t,i,j,k,v,q``: BACI numeric country codes incl. 842
USA and 490 Taiwan, zero-padded HS6 ``k``, ``v`` thousand USD with 3 decimals, ``q``
tonnes with ``NA`` for ~5% missing quantities) under /tmp, never in the repository.

Measured, each phase in its own process so peak RSS is that phase's own:

* ingest: ``import_baci`` (DuckDB CSV parse with rejects, validation, Parquet write,
  SHA-256, catalogue commit) — goal < 30 s and peak RSS < 4 GB on 2 cores;
* load: ``load_flows('baci', years=[2022])`` -> pandas, all rows; and one filtered load
  (exporter CHN) to show the partition/row-group pushdown.

Run: ``PYTHONPATH=src python bench/bench_panel_ingest.py [--rows 11000000] [--seed 0]``
Results: printed, and written to ``bench/results/panel_ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

YEAR = 2022
WORK = Path(tempfile.gettempdir()) / "econsec_bench_panel"


def synthetic_path(rows: int, seed: int) -> Path:
    return WORK / f"SYNTHETIC_BACI_HS22_Y{YEAR}_V000000_rows{rows}_seed{seed}.csv"


def generate(rows: int, seed: int, n_products: int = 5000) -> Path:
    """Write the SYNTHETIC BACI-format CSV (skipped when it already exists)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    from econsec.data.importers.baci import code_table

    path = synthetic_path(rows, seed)
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    codes = sorted({c for c, iso3 in code_table() if iso3})
    # 230 economies, always including the focus ones
    focus = [842, 156, 392, 410, 490, 36, 528]
    others = [c for c in codes if c not in focus]
    econ = np.array(sorted(focus + list(rng.choice(others, 230 - len(focus), replace=False))))
    n_e = len(econ)
    size = rng.lognormal(0.0, 1.0, n_e)
    pop = rng.lognormal(0.0, 1.0, n_products)
    cum_e = np.cumsum(size / size.sum())
    cum_p = np.cumsum(pop / pop.sum())
    draws = int(rows * 1.45)  # popular cells collide: draw extra, then subsample to `rows`
    e = np.minimum(np.searchsorted(cum_e, rng.random(draws)), n_e - 1)
    i = np.minimum(np.searchsorted(cum_e, rng.random(draws)), n_e - 1)
    k = np.minimum(np.searchsorted(cum_p, rng.random(draws)), n_products - 1)
    keep = e != i
    key = np.unique((e[keep] * n_e + i[keep]).astype(np.int64) * n_products + k[keep])
    del e, i, k, keep
    if len(key) > rows:
        key = np.sort(rng.choice(key, rows, replace=False))
    e, rest = np.divmod(key, n_e * n_products)
    i, k = np.divmod(rest, n_products)
    hs6 = np.sort(rng.choice(np.arange(10_100, 970_000), n_products, replace=False))
    n = len(key)
    v = np.round(rng.lognormal(2.0, 2.5, n), 3)
    q = np.round(v * rng.lognormal(-1.0, 1.0, n), 3)
    q_missing = rng.random(n) < 0.05
    table = pa.table(
        {
            "t": np.full(n, YEAR, dtype=np.int32),
            "i": econ[e].astype(np.int32),
            "j": econ[i].astype(np.int32),
            "k": hs6[k].astype(np.int32),
            "v": v,
            "q": pa.array(q, mask=q_missing),
        }
    )
    con = duckdb.connect()
    con.register("synthetic", table)
    tmp = path.with_suffix(".partial")
    con.execute(
        "COPY (SELECT t, i, j, lpad(CAST(k AS VARCHAR), 6, '0') AS k, "
        "printf('%.3f', v) AS v, coalesce(printf('%.3f', q), 'NA') AS q FROM synthetic) "
        f"TO '{tmp}' (FORMAT csv, HEADER true, QUOTE '')"
    )
    con.close()
    tmp.rename(path)
    return path


def _peak_rss_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def phase_ingest(csv: Path) -> dict[str, float]:
    from econsec.data.importers.baci import import_baci
    from econsec.data.store import Store

    db = WORK / "bench.duckdb"
    t0 = time.perf_counter()
    with Store(db) as store:
        report = import_baci(csv, store)
    seconds = time.perf_counter() - t0
    rows = report.total_rows
    return {"ingest_s": seconds, "ingest_rows": rows, "ingest_rows_per_s": rows / seconds,
            "ingest_peak_rss_gb": _peak_rss_gb()}


def phase_load() -> dict[str, float]:
    from econsec.data.panel import load_flows

    db = WORK / "bench.duckdb"
    t0 = time.perf_counter()
    frame = load_flows("baci", years=[YEAR], db=db)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    chn = load_flows("baci", years=[YEAR], db=db, exporters=["CHN"])
    filtered = time.perf_counter() - t1
    return {"load_s": seconds, "load_rows": len(frame), "load_rows_per_s": len(frame) / seconds,
            "load_chn_s": filtered, "load_chn_rows": len(chn),
            "load_peak_rss_gb": _peak_rss_gb()}


def _run_phase(name: str, *extra: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, *extra],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=11_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phase", choices=["ingest", "load"], default=None)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    if args.phase == "ingest":
        print(json.dumps(phase_ingest(args.csv)))
        return
    if args.phase == "load":
        print(json.dumps(phase_load()))
        return

    import shutil

    print(f"SYNTHETIC BACI-format year: {args.rows:,} rows, seed {args.seed} (not real data)")
    t0 = time.perf_counter()
    csv = generate(args.rows, args.seed)
    print(f"  generated {csv} ({csv.stat().st_size / 1e6:,.0f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    for stale in (WORK / "bench.duckdb", WORK / "bench.duckdb.wal", WORK / "bench_panels"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    figures: dict[str, float] = {"synthetic_rows_requested": args.rows, "seed": args.seed}
    figures.update(_run_phase("ingest", "--csv", str(csv)))
    figures.update(_run_phase("load"))
    figures["csv_mb"] = csv.stat().st_size / 1e6
    print(f"  ingest  {figures['ingest_s']:7.2f} s  {figures['ingest_rows_per_s']:12,.0f} rows/s"
          f"  peak RSS {figures['ingest_peak_rss_gb']:.2f} GB   (goal < 30 s, < 4 GB)")
    print(f"  load    {figures['load_s']:7.2f} s  {figures['load_rows_per_s']:12,.0f} rows/s"
          f"  peak RSS {figures['load_peak_rss_gb']:.2f} GB   ({figures['load_rows']:,} rows)")
    print(f"  load exporter=CHN {figures['load_chn_s']:.3f} s ({figures['load_chn_rows']:,} rows)")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    out = {"data": "SYNTHETIC BACI-format year (seeded; not real data)", **figures}
    (results / "panel_ingest.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"  written {results / 'panel_ingest.json'}")


if __name__ == "__main__":
    main()
