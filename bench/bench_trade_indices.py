"""Benchmark: all-pairs TCI + ESI + RCA + Grubel-Lloyd on one BACI-sized year.

The data are SYNTHETIC: ~230 exporters x 230 importers x 5,000 HS6-like products,
~11M rows (each pair trades a random subset of products, lognormal values), drawn from
a seeded NumPy generator. Goal: all four indices for the year in under 5 s on 2 cores.

Peer: the PyPI package ``ecomplexity`` (0.5.3, pinned in the dev extras) on the same
panel, aggregated to exporter x product (the input it expects). Two timings: its RCA step
alone (``ComplexityData`` rectangularise + ``calculate_rca``) against our
:func:`balassa_rca` on the same panel (like for like), and its full ``ecomplexity()``
call (RCA, Mcp, ECI/PCI, proximity, density: the ~40 s "RCA/complexity" reference of
issue 3) against our RCA from the raw bilateral flows. RCA values are compared cell by
cell (goal: max |diff| <= 1e-9).

Run: ``.venv/bin/python bench/bench_trade_indices.py [--rows 11000000] [--seed 0]``
Writes ``bench/results/trade_indices.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _common import RESULTS, peak_rss_gb, timed

from econsec.metrics.complementarity import (
    export_similarity,
    grubel_lloyd,
    trade_complementarity,
)
from econsec.metrics.trade_indices import balassa_rca, encode_flows

YEAR = 2022


def synthetic_year(
    n_economies: int = 230, n_products: int = 5000, rows: int = 11_000_000, seed: int = 0
) -> pd.DataFrame:
    """SYNTHETIC BACI-shaped year: sparse random (pair, product) cells, lognormal values.

    Economy sizes and product popularity are lognormal, so big economies trade more
    products with more partners (as in BACI). Rows are unique and sorted by
    (exporter, importer, product), like a BACI file.
    """
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0.0, 1.0, n_economies)
    pop = rng.lognormal(0.0, 1.0, n_products)
    cum_e = np.cumsum(size / size.sum())
    cum_p = np.cumsum(pop / pop.sum())
    draws = int(rows * 1.25)  # popular cells collide; draw extra, then subsample
    e = np.minimum(np.searchsorted(cum_e, rng.random(draws)), n_economies - 1)
    i = np.minimum(np.searchsorted(cum_e, rng.random(draws)), n_economies - 1)
    k = np.minimum(np.searchsorted(cum_p, rng.random(draws)), n_products - 1)
    keep = e != i
    key = np.unique((e[keep] * n_economies + i[keep]).astype(np.int64) * n_products + k[keep])
    if len(key) > rows:
        key = np.sort(rng.choice(key, rows, replace=False))
    e, rest = np.divmod(key, n_economies * n_products)
    i, k = np.divmod(rest, n_products)
    codes = [f"E{c:03d}" for c in range(n_economies)]
    hs6 = np.sort(rng.choice(np.arange(10_000, 1_000_000), n_products, replace=False))
    return pd.DataFrame(
        {
            "year": np.full(len(key), YEAR, dtype=np.int64),
            "exporter": pd.Categorical.from_codes(e, codes),
            "importer": pd.Categorical.from_codes(i, codes),
            "product": hs6[k],
            "value": rng.lognormal(10.0, 2.5, len(key)),
        }
    )


def bench_ours(flows: pd.DataFrame) -> dict[str, float]:
    """Seconds per step: encode once, then RCA and all-pairs TCI, ESI and GL."""
    times: dict[str, float] = {}
    enc, times["encode"] = timed(lambda: encode_flows(flows))
    _, times["rca"] = timed(lambda: balassa_rca(enc))
    tci, times["tci_all_pairs"] = timed(lambda: trade_complementarity(enc))
    esi, times["esi_all_pairs"] = timed(lambda: export_similarity(enc))
    gl, times["gl_all_pairs"] = timed(lambda: grubel_lloyd(enc))
    print(f"  pairs: tci {len(tci):,}  esi {len(esi):,}  gl {len(gl):,}")
    return times


def _rca_series(frame: pd.DataFrame) -> pd.Series:
    s = frame.set_index(["economy", "product"])["rca"]
    s.index = pd.MultiIndex.from_arrays(
        [s.index.get_level_values(0).astype(str), s.index.get_level_values(1).astype(str)],
        names=["economy", "product"])
    return s


def bench_ecomplexity(flows: pd.DataFrame, full: bool) -> dict[str, Any]:
    """ecomplexity 0.5.3 on the exporter x product panel of *flows*, against ours."""
    try:
        import ecomplexity as ecx_pkg
        from ecomplexity import ecomplexity
        from ecomplexity.ComplexityData import ComplexityData
    except ImportError:
        print("ecomplexity not installed: `pip install ecomplexity==0.5.3` to compare with it")
        return {}
    res: dict[str, Any] = {"ecomplexity_version": getattr(ecx_pkg, "__version__", "0.5.3")}
    panel, res["aggregate_to_panel_s"] = timed(
        lambda: flows.groupby(["year", "exporter", "product"], observed=True)["value"]
        .sum().reset_index())
    cols = {"time": "year", "loc": "exporter", "prod": "product", "val": "value"}

    def their_rca() -> pd.Series:
        cd = ComplexityData(panel, cols, "coerce")
        cd.create_full_df(YEAR)
        cd.calculate_rca()
        idx = cd.data_t.index
        return pd.Series(cd.rca_t.ravel(), index=pd.MultiIndex.from_arrays(
            [idx.get_level_values(0).astype(str), idx.get_level_values(1).astype(str)],
            names=["economy", "product"]))

    theirs, res["ecomplexity_rca_step_s"] = timed(their_rca, repeat=3)
    ours_panel, res["ours_rca_same_panel_s"] = timed(
        lambda: _rca_series(balassa_rca(panel.assign(importer="WLD"))), repeat=3)
    _, res["ours_rca_raw_flows_s"] = timed(lambda: balassa_rca(flows), repeat=3)
    joined = pd.concat({"ours": ours_panel, "theirs": theirs}, axis=1, join="outer")
    both_nan = joined.isna().all(axis=1)
    diff = (joined["ours"] - joined["theirs"]).abs()
    res["rca_cells_compared"] = len(joined)
    res["rca_cells_in_one_only"] = int(joined[~both_nan].isna().any(axis=1).sum())
    res["max_abs_rca_diff"] = float(diff[~both_nan].max()) if (~both_nan).any() else 0.0
    res["ratio_rca_step_same_panel"] = res["ecomplexity_rca_step_s"] / res[
        "ours_rca_same_panel_s"]
    res["ratio_rca_from_flows"] = (res["aggregate_to_panel_s"] + res[
        "ecomplexity_rca_step_s"]) / res["ours_rca_raw_flows_s"]
    print(f"  ecomplexity RCA step (ComplexityData + create_full_df + calculate_rca):"
          f" {res['ecomplexity_rca_step_s']:.3f} s  (best of 3)")
    print(f"  econsec balassa_rca, same panel:            {res['ours_rca_same_panel_s']:.3f} s"
          f"  -> {res['ratio_rca_step_same_panel']:.1f}x")
    print(f"  from the 11M bilateral rows: pandas groupby {res['aggregate_to_panel_s']:.2f} s"
          f" + ecomplexity vs econsec {res['ours_rca_raw_flows_s']:.2f} s"
          f"  -> {res['ratio_rca_from_flows']:.1f}x")
    print(f"  RCA cells compared {res['rca_cells_compared']:,}; max |RCA diff|"
          f" {res['max_abs_rca_diff']:.3e} (goal <= 1e-9); in one only"
          f" {res['rca_cells_in_one_only']}")
    if full:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, res["ecomplexity_full_call_s"] = timed(
                lambda: ecomplexity(panel, cols, verbose=False))
        res["ratio_full_call_vs_ours_rca_from_flows"] = res["ecomplexity_full_call_s"] / res[
            "ours_rca_raw_flows_s"]
        print(f"  ecomplexity() full call (RCA, Mcp, ECI/PCI, proximity, density):"
              f" {res['ecomplexity_full_call_s']:.1f} s -> our RCA from raw flows is"
              f" {res['ratio_full_call_vs_ours_rca_from_flows']:.0f}x faster")
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=11_000_000)
    ap.add_argument("--economies", type=int, default=230)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-ecomplexity", action="store_true")
    ap.add_argument("--no-ecomplexity-full", action="store_true",
                    help="skip the full ecomplexity() call (~100 s at full scale)")
    ap.add_argument("--no-save", action="store_true", help="do not write the JSON results")
    args = ap.parse_args(argv)

    print("SYNTHETIC DATA (seeded random, not BACI): generating one year ...")
    flows, t_gen = timed(
        lambda: synthetic_year(args.economies, args.products, args.rows, args.seed))
    rss_data = peak_rss_gb()
    print(
        f"SYNTHETIC year {YEAR}: {len(flows):,} rows, {flows['exporter'].nunique()} exporters,"
        f" {flows['importer'].nunique()} importers, {flows['product'].nunique()} products"
        f" (generated in {t_gen:.1f} s; peak RSS {rss_data:.2f} GB)")

    print("econsec, encoded once (encode + RCA + all-pairs TCI + ESI + GL):")
    times = bench_ours(flows)
    for name, sec in times.items():
        print(f"  {name:<15} {sec:6.2f} s")
    total = sum(times.values())
    rss_ours = peak_rss_gb()
    print(f"  TOTAL           {total:6.2f} s   (goal < 5 s)   peak RSS {rss_ours:.2f} GB"
          " (goal < 4 GB; includes the 11M-row frame)")

    print("econsec, each function from the DataFrame (encodes each time):")
    _, t_df = timed(lambda: (balassa_rca(flows), trade_complementarity(flows),
                             export_similarity(flows), grubel_lloyd(flows)))
    print(f"  TOTAL           {t_df:6.2f} s   peak RSS {peak_rss_gb():.2f} GB")

    results: dict[str, Any] = {
        "data": "SYNTHETIC (seeded random BACI-shaped year, not real trade)",
        "rows": len(flows), "economies": args.economies, "products": args.products,
        "seed": args.seed, "machine": f"{platform.machine()} {platform.python_version()}",
        "generate_s": t_gen, **{f"ours_{k}_s": v for k, v in times.items()},
        "ours_total_encoded_s": total, "ours_total_from_dataframe_s": t_df,
        "peak_rss_gb_after_data": rss_data, "peak_rss_gb_after_ours": rss_ours,
    }
    if not args.no_ecomplexity:
        print("ecomplexity (peer) on the same panel:")
        results.update(bench_ecomplexity(flows, full=not args.no_ecomplexity_full))
        results["peak_rss_gb_end"] = peak_rss_gb()
        print(f"  peak RSS {results['peak_rss_gb_end']:.2f} GB")
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "trade_indices.json"
        path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
