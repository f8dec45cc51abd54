"""Monte Carlo on the backends of ``econsec.distributed``: wall time and CPU-seconds of all
processes, local vs Dask, and the parent's peak RSS for a large run.

Usage (the machine should be otherwise idle; each repeat is a fresh run)::

    python bench/bench_montecarlo_backends.py --runs 10000 --days 365 --repeats 3
    python bench/bench_montecarlo_backends.py --rss-runs 100000 --repeats 0

CPU-seconds: this process's user+system time plus that of its finished child processes
(``resource.getrusage``; local pool and ``LocalCluster`` workers are children or
grandchildren and are reaped before ``simulate`` returns). Peak RSS of the parent: the
high-water mark (``ru_maxrss``) of a separate child process that runs only that simulation;
per-worker RSS: the largest RSS of its descendants, sampled every 0.5 s (``psutil``).
Prints min/median/max over the repeats; the same seed gives the same bytes on every
backend (checked here on the summary frame).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import statistics
import time
from typing import Any

SCENARIO = "chn_ga_ge_2023"


def _spec(days: int) -> tuple[Any, Any]:
    from econsec.data.world import load_world
    from econsec.policy.scenarios import resolve_scenario

    w = load_world()
    return resolve_scenario(SCENARIO, w).with_overrides(horizon=f"{days}d").to_spec(w), w


def _cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def one(runs: int, days: int, backend: str, workers: int) -> tuple[float, float, str]:
    """(wall s, CPU s of all processes, summary CSV) of one simulation."""
    from econsec.simulation.engine import simulate

    spec, w = _spec(days)
    c0, t0 = _cpu(), time.perf_counter()
    res = simulate(spec, w, runs=runs, seed=5, backend=backend, workers=workers)
    summary = res.summary().to_csv(index=False)
    return time.perf_counter() - t0, _cpu() - c0, summary


def _rss_child(runs: int, days: int, workers: int, out: Any) -> None:
    import threading

    import psutil  # a dependency of dask.distributed

    peak = [0.0]
    stop = threading.Event()

    def watch() -> None:  # the largest RSS of any descendant (a worker), every 0.5 s
        me = psutil.Process()
        while not stop.wait(0.5):
            for ch in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a process that just ended
                    peak[0] = max(peak[0], ch.memory_info().rss / 2**30)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    wall, cpu, _ = one(runs, days, "dask", workers)
    stop.set()
    t.join()
    out.send((wall, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, peak[0]))


def _stats(xs: list[float]) -> str:
    return f"min {min(xs):8.1f}  median {statistics.median(xs):8.1f}  max {max(xs):8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rss-runs", type=int, default=0,
                    help="also run this many runs on a LocalCluster and report parent RSS")
    a = ap.parse_args()
    print(f"{SCENARIO}, {a.runs} runs x {a.days} days, {a.repeats} repeats, "
          f"{a.workers} workers")
    summaries: dict[str, str] = {}
    for backend in ("local", "dask"):
        walls, cpus = [], []
        for _ in range(a.repeats):
            wall, cpu, summary = one(a.runs, a.days, backend, a.workers)
            walls.append(wall)
            cpus.append(cpu)
            summaries.setdefault(backend, summary)
        if walls:
            print(f"{backend:6s} wall s: {_stats(walls)}")
            print(f"{backend:6s} CPU s:  {_stats(cpus)}")
    if len(summaries) == 2:
        print("same summary bytes on both backends:", summaries["local"] == summaries["dask"])
    if a.rss_runs:
        ctx = multiprocessing.get_context("spawn")
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_rss_child, args=(a.rss_runs, a.days, a.workers, send))
        p.start()
        wall, cpu, rss, worker_rss = recv.recv()
        p.join()
        print(f"{a.rss_runs} runs x {a.days} days on a LocalCluster of {a.workers}: "
              f"wall {wall:.0f} s, CPU {cpu:.0f} s, parent peak RSS {rss:.2f} GB, "
              f"largest worker RSS seen {worker_rss:.2f} GB (sampled every 0.5 s)")


if __name__ == "__main__":
    main()
