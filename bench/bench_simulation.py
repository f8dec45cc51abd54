"""Benchmark: econsec's simulation engine per simulated step against BoARIO 0.7.2, timed
through the public ``simulate()`` (with its recording), in one process, interleaved.

Cases (``--case``):

* ``synthetic``: SYNTHETIC MRIO, 50 regions x 50 sectors = 2,500 nodes (generated here,
  not real data: each node buys 20 random input sectors, each from its own region and 24
  random others, about 20% of the 6.25M cells non-zero, like WIOD).
* ``icio``: the OECD ICIO 2022 table (80 economies x 50 industries = 4,000 nodes, real;
  ``/work/shared/data/oecd_icio2022_sanction_simulator``), imported into a temporary store
  (``import_icio``/``load_icio``/``icio_io_arrays``; not timed as part of a step). ICIO
  gives no final demand by destination, only one column ``sales_to_final_demand_and_row_musd``
  per node: for BoARIO each node's final demand is assigned to its OWN region as one
  final-demand category (negative values clipped at zero, as BoARIO rejects them); econsec
  takes the gross output and closes final demand as ``x - Z 1`` (``baseline_from_io``).
* ``wiod``: WIOD 2013, year 2011 (41 regions x 35 industries = 1,435 nodes, real).

The same event in both models: a loss of production capacity at one node (synthetic:
R00 s00; ICIO: CHN C26, computers and electronics; WIOD: CHN c14, electrical and optical
equipment) from day 10. BoARIO (as in the earlier comparison): ``ARIOPsiModel`` on the
pymrio system, a ``recovery`` event destroying capital worth 20% of the node's value added
(BoARIO's default capital = 4 x value added, so 5% of its productive capital), recovering
with tau = 90 days. econsec: an ``outage`` node shock of intensity 0.05 on the same node
from day 10 to day 100 with 90 days of linear recovery. ARIO-like parameters in econsec:
every input essential (``baseline_from_io``), 90 days of inventory, no substitution (fixed
distributions in the spec); the other parameters are drawn with seed 0.

What is timed (what the user waits for once the table is in memory; the network builds,
``baseline_from_io`` for econsec and ``IOSystem.calc_all`` for BoARIO, are reported
separately): econsec ``simulate(spec, baseline=base, runs=1, seed=0)`` end to end for
``--steps`` daily steps; BoARIO ``ARIOPsiModel(io)`` + ``Simulation`` + ``add_event`` +
``loop()`` for the same steps. Per step = total / steps. Repeats are interleaved (econsec,
BoARIO, econsec, BoARIO, ...) so both see the same machine load; min / median / max of
wall and CPU seconds (all threads of this process) and the ratio of medians plus the
worst-case ratio (BoARIO's fastest over econsec's slowest) are written. Secondary lines,
labelled as such: BoARIO's ``loop()`` alone and econsec's bare ``Engine.step()`` loop (no
recording, no parameter draw) and, with ``--pruned``, ``simulate()`` on the network pruned
of flows below 1% of their input slot (``min_share=0.01``; not BoARIO's network).

BoARIO is a benchmark-only dependency (``boario==0.7.2 progressbar2==4.6.0``).

Run: ``python bench/bench_simulation.py --case synthetic --steps 365 --repeat 3``
(results in ``bench/results/simulation_<case>.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from _common import fmt, machine, measure, peak_rss_gb, stats, write_results

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ICIO_DIR = Path("/work/shared/data/oecd_icio2022_sanction_simulator")
START = dt.date(2025, 1, 1)
OUTAGE = 0.05  # share of the node's capacity lost (BoARIO: 20% of VA of a 4 x VA capital)


def wiod() -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    from test_leontief_vs_pymrio import wiod_table

    z, y = wiod_table(SHARED, 2011)
    # negative final uses (inventory draw-downs) clipped at zero: BoARIO rejects them
    return z, y.clip(lower=0.0), "CHN", "c14"  # electrical and optical equipment


def synthetic(regions: int = 50, sectors: int = 50, seed: int = 0
              ) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    rng = np.random.default_rng(seed)
    n = regions * sectors
    z = np.zeros((n, n))
    for j in range(n):
        r = j // sectors
        for h in rng.choice(sectors, 20, replace=False):
            others = rng.choice(np.delete(np.arange(regions), r), 24, replace=False)
            src = np.r_[r, others] * sectors + h
            w = rng.pareto(1.5, len(src)) + 0.05
            w[0] += 3.0  # home bias
            z[src, j] = rng.uniform(0.5, 5.0) * w / w.sum()
    labels = pd.MultiIndex.from_product([[f"R{i:02d}" for i in range(regions)],
                                         [f"s{k:02d}" for k in range(sectors)]],
                                        names=["region", "sector"])
    zdf = pd.DataFrame(z * 10.0, index=labels, columns=labels)
    fd = rng.uniform(20.0, 60.0, (n, regions)) * np.where(
        np.arange(n)[:, None] // sectors == np.arange(regions)[None, :], 5.0, 0.2)
    ydf = pd.DataFrame(fd, index=labels, columns=pd.MultiIndex.from_product(
        [[f"R{i:02d}" for i in range(regions)], ["fd"]], names=["region", "category"]))
    return zdf, ydf, "R00", "s00"


def icio() -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """The OECD ICIO 2022 table via econsec's importer (temporary store); final demand of
    each node assigned to its own region (the table has no destination split)."""
    from econsec.data.importers.icio import icio_io_arrays, import_icio, load_icio
    from econsec.data.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "icio.duckdb") as store:
        import_icio(ICIO_DIR, store)
        table = load_icio(store)
    z, _output, regions, sectors = icio_io_arrays(table)
    labels = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    fd = table.nodes["sales_to_final_demand_and_row_musd"].to_numpy(dtype=float)
    own = np.arange(len(fd)) // len(sectors)
    y = np.zeros((len(fd), len(regions)))
    y[np.arange(len(fd)), own] = np.clip(fd, 0.0, None)
    ydf = pd.DataFrame(y, index=labels, columns=pd.MultiIndex.from_product(
        [regions, ["fd"]], names=["region", "category"]))
    return pd.DataFrame(z, index=labels, columns=labels), ydf, "CHN", "C26"


TABLES = {"synthetic": synthetic, "icio": icio, "wiod": wiod}


def econsec_setup(z: pd.DataFrame, y: pd.DataFrame, region: str, sector: str, steps: int,
                  min_share: float = 0.0) -> tuple[Any, Any, float]:
    """(baseline, spec, build seconds) of econsec for the table."""
    from econsec.simulation.network_arrays import baseline_from_io
    from econsec.simulation.spec import DistKind, ParamDist, Shock, ShockKind, SimulationSpec

    regions = list(dict.fromkeys(z.index.get_level_values(0)))
    sectors = list(dict.fromkeys(z.index.get_level_values(1)))
    x = z.to_numpy().sum(axis=1) + y.to_numpy().sum(axis=1)
    t0 = time.perf_counter()
    base = baseline_from_io(z.to_numpy(), x, regions, sectors, min_share=min_share)
    build = time.perf_counter() - t0
    shock = Shock(ShockKind.outage, frozenset(), frozenset(), frozenset({sector}),
                  start=10, end=min(100, steps), intensity=OUTAGE,
                  economies=frozenset({region}), recovery_days=90.0)
    spec = SimulationSpec(start=START, horizon_days=steps, shocks=(shock,), params={
        "inventory_days": ParamDist(DistKind.fixed, (90.0,)),
        "substitutability_scale": ParamDist(DistKind.fixed, (0.0,))})
    return base, spec, build


def econsec_once(base: Any, spec: Any) -> float:
    """One public ``simulate()`` call (its records kept); returns the recorded node count."""
    from econsec.simulation.engine import simulate

    res = simulate(spec, baseline=base, runs=1, seed=0)
    return float(np.asarray(res.recorder.share_end).size)


def econsec_inner(base: Any, spec: Any, steps: int) -> float:
    """SECONDARY: wall seconds of the bare ``Engine.step()`` loop (no recording)."""
    from econsec.simulation.engine import Engine
    from econsec.simulation.params import draw_params

    eng = Engine(base, spec, draw_params(spec, 1, np.random.default_rng(0)))
    t0 = time.perf_counter()
    for _ in range(steps):
        eng.step()
    return time.perf_counter() - t0


def boario_once(io: Any, region: str, sector: str, va: float, steps: int
                ) -> tuple[bool, float]:
    """One BoARIO simulation, model construction to the end of ``loop()``; returns
    (event accepted, seconds of ``loop()`` alone)."""
    from boario.event import from_scalar_regions_sectors
    from boario.extended_models import ARIOPsiModel
    from boario.simulation import Simulation

    for with_event in (True, False):
        model = ARIOPsiModel(io, monetary_factor=1)
        sim = Simulation(model, n_temporal_units_to_sim=steps)
        if with_event:  # capital destroyed: 20% of value added (capital = 4 x VA)
            sim.add_event(from_scalar_regions_sectors(
                0.2 * va, event_type="recovery", affected_regions=[region],
                affected_sectors=[sector], impact_regional_distrib="equal",
                impact_sectoral_distrib="equal", occurrence=10,
                duration=min(90, steps - 11), recovery_tau=90, event_monetary_factor=1))
        t0 = time.perf_counter()
        try:
            sim.loop()
        except RuntimeError:  # BoARIO refused the event (negative capacity somewhere)
            continue
        return with_event, time.perf_counter() - t0
    raise RuntimeError("BoARIO refused the simulation without the event too")


def run_case(case: str, steps: int, repeat: int, boario_steps: int, pruned: bool
             ) -> dict[str, Any]:
    import pymrio

    facts_start = machine()
    z, y, region, sector = TABLES[case]()
    n = len(z)
    base, spec, build = econsec_setup(z, y, region, sector, steps)
    t0 = time.perf_counter()
    io = pymrio.IOSystem(Z=z, Y=y)
    io.calc_all()
    io_build = time.perf_counter() - t0
    va = float(io.x.loc[(region, sector)].iloc[0]) - float(z[(region, sector)].sum())
    print(f"{case}: {n} nodes, {base.n_flows:,} econsec flows; econsec build {build:.2f} s,"
          f" pymrio calc_all {io_build:.2f} s; {steps} steps (BoARIO {boario_steps})",
          flush=True)
    base_p = econsec_setup(z, y, region, sector, steps, 0.01)[0] if pruned else None
    e_wall, e_cpu, b_wall, b_cpu, b_loop, e_inner = [], [], [], [], [], []
    p_wall, p_cpu = [], []
    accepted = []
    econsec_once(base, spec)  # warm-up (imports, first-call costs), not timed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(repeat):
            _, w, c = measure(lambda: econsec_once(base, spec))
            e_wall.append(w / steps * 1e3)
            e_cpu.append(c / steps * 1e3)
            print(f"  [{r}] econsec simulate(): {w:.2f} s wall, {c:.2f} CPU-s", flush=True)
            (ok, loop), w, c = measure(
                lambda: boario_once(io, region, sector, va, boario_steps))
            b_wall.append(w / boario_steps * 1e3)
            b_cpu.append(c / boario_steps * 1e3)
            b_loop.append(loop / boario_steps * 1e3)
            accepted.append(ok)
            print(f"  [{r}] BoARIO build+loop: {w:.2f} s wall, {c:.2f} CPU-s "
                  f"(event accepted: {ok})", flush=True)
            e_inner.append(econsec_inner(base, spec, steps) / steps * 1e3)
            if base_p is not None:
                _, w, c = measure(lambda: econsec_once(base_p, spec))
                p_wall.append(w / steps * 1e3)
                p_cpu.append(c / steps * 1e3)
                print(f"  [{r}] econsec simulate(), pruned 1%: {w:.2f} s wall, {c:.2f} CPU-s",
                      flush=True)
    es, bs = stats(e_wall), stats(b_wall)
    out: dict[str, Any] = {
        "case": case, "nodes": n, "econsec_flows": int(base.n_flows),
        "steps_econsec": steps, "steps_boario": boario_steps, "repeats": repeat,
        "event": f"capacity loss {OUTAGE:.0%} at {region} {sector} from day 10",
        "boario_event_accepted": accepted,
        "econsec_build_s": build, "pymrio_calc_all_s": io_build,
        "econsec_simulate_ms_per_step_wall": es,
        "econsec_simulate_ms_per_step_cpu": stats(e_cpu),
        "boario_ms_per_step_wall": bs,
        "boario_ms_per_step_cpu": stats(b_cpu),
        "ratio_of_medians_wall": bs["median"] / es["median"],
        "ratio_worst_case_wall": bs["min"] / es["max"],
        "ratio_of_medians_cpu": statistics.median(b_cpu) / statistics.median(e_cpu),
        "secondary_boario_loop_only_ms_per_step": stats(b_loop),
        "secondary_econsec_bare_step_loop_ms_per_step": stats(e_inner),
        "peak_rss_gb_process": peak_rss_gb(),
        "goal": ">= 20x BoARIO per simulated step per run",
        "machine_start": facts_start, "machine_end": machine(),
    }
    out["goal_met"] = out["ratio_of_medians_wall"] >= 20.0
    if base_p is not None:  # SECONDARY: econsec on the network pruned of flows < 1%
        out["secondary_pruned1pct_flows"] = int(base_p.n_flows)
        out["secondary_pruned1pct_simulate_ms_per_step_wall"] = stats(p_wall)
        out["secondary_pruned1pct_simulate_ms_per_step_cpu"] = stats(p_cpu)
        out["secondary_pruned1pct_ratio_of_medians_wall"] = (
            bs["median"] / statistics.median(p_wall))
    print(f"  econsec ms/step (wall, min/med/max): {fmt(es)}   CPU: "
          f"{fmt(out['econsec_simulate_ms_per_step_cpu'])}")
    print(f"  BoARIO  ms/step (wall, min/med/max): {fmt(bs)}   CPU: "
          f"{fmt(out['boario_ms_per_step_cpu'])}")
    print(f"  ratio of medians {out['ratio_of_medians_wall']:.1f}x (worst case "
          f"{out['ratio_worst_case_wall']:.1f}x; CPU {out['ratio_of_medians_cpu']:.1f}x); "
          f"goal >= 20x: {'met' if out['goal_met'] else 'NOT MET'}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=sorted(TABLES), default="synthetic")
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--boario-steps", type=int, default=0,
                    help="steps for BoARIO (default: --steps); fewer if it cannot run them")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pruned", action="store_true",
                    help="also time econsec on the network pruned of flows < 1%% of their slot")
    a = ap.parse_args()
    res = run_case(a.case, a.steps, a.repeat, a.boario_steps or a.steps, a.pruned)
    print("wrote", write_results(f"simulation_{a.case}", res))


if __name__ == "__main__":
    main()
