"""Benchmark: Monte Carlo end to end through the CLI, as the user runs it, on the built-in
world: wall time, CPU-seconds of ALL processes, and peak RSS of the parent and of every
worker process.

1. ``--runs 10000`` (default): ``econsec simulate SCENARIO --runs 10000 --seed 0 --horizon
   365d --workers K`` (local backend; the run stored in a fresh temporary DuckDB store, the
   default; the summary written as JSON to a temporary file) for K = 1 and 2, repeats
   interleaved (K=1, K=2, K=1, ...). Goal: <= 60 CPU-seconds in total (all processes).
2. ``--rss-runs 100000``: the same command with ``--backend dask --workers 2`` (a Dask
   ``LocalCluster`` of 2 workers), once. Goal: completes; parent RSS < 4 GB; per-worker
   RSS < 2 GB.

Each simulation is a subprocess of this script. CPU-seconds: ``getrusage(RUSAGE_CHILDREN)``
before and after (user + system of the CLI process and of every descendant it reaped:
pool workers, Dask nannies and workers), cross-checked by the sum over the process tree
of the last CPU times seen by ``psutil``. RSS: ``psutil`` samples the CLI process and each
of its descendants every 0.5 s; the peaks are written (the parent's exact high-water mark
from ``ru_maxrss`` of the child is not available for the CLI process alone, so the
sampled peak is the figure; short spikes between samples can be missed). Without
``psutil`` (not a dependency) the CPU-seconds are the same ``RUSAGE_CHILDREN`` figure and
the peak RSS is ``ru_maxrss`` of the CLI process from ``wait4`` (the largest of it and
the descendants it reaped: with 1 worker, the CLI process itself); no per-worker figures.

``--trees A B ...`` runs the CLI of other source trees (``PYTHONPATH=TREE/src``; tagged
by folder name, with their git commit), interleaved repeat by repeat (tree A, tree B, tree
A, ...), e.g. a branch against main in one session; the median CPU-seconds of each tree
and their ratio to the first tree's are written, with the MD5 of every summary (the same
bytes across trees: the same results).

Run: ``python bench/bench_montecarlo_backends.py --runs 10000 --repeats 3`` and
``python bench/bench_montecarlo_backends.py --runs 0 --rss-runs 100000``
(results in ``bench/results/montecarlo.json``, merged by key).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

try:
    import psutil
except ImportError:  # not a dependency: CPU from getrusage, peak RSS from wait4
    psutil = None

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, fmt, machine, stats

SCENARIO = "chn_full_ban_trilateral"
CLI = [sys.executable, "-c", "from econsec.cli.app import main; main()"]


def _children_cpu() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return c.ru_utime + c.ru_stime


class TreeSampler:
    """Samples the RSS and CPU times of a process and its descendants every *period* s."""

    def __init__(self, pid: int, period: float = 0.5, snapshot: Path | None = None) -> None:
        self.root = psutil.Process(pid)
        self.snapshot = snapshot  # peaks so far written here every 10 s (a long run)
        self.t0 = time.perf_counter()
        self.period = period
        self.parent_peak = 0.0
        self.child_peak: dict[int, tuple[float, str]] = {}
        self.cpu_last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        with contextlib.suppress(psutil.Error):
            self._one(self.root, parent=True)
            for ch in self.root.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a process that just ended
                    self._one(ch, parent=False)

    def _one(self, p: psutil.Process, parent: bool) -> None:
        rss = p.memory_info().rss / 2**30
        t = p.cpu_times()
        self.cpu_last[p.pid] = t.user + t.system
        if parent:
            self.parent_peak = max(self.parent_peak, rss)
        elif rss > self.child_peak.get(p.pid, (0.0, ""))[0]:
            name = self.child_peak.get(p.pid, (0.0, ""))[1] or " ".join(p.cmdline())[-80:]
            self.child_peak[p.pid] = (rss, name)

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.period):
            self._sample()
            n += 1
            if self.snapshot is not None and n % 20 == 0:
                self.snapshot.write_text(json.dumps({
                    "elapsed_s": time.perf_counter() - self.t0,
                    "parent_peak_rss_gb": self.parent_peak,
                    "child_peak_rss_gb": sorted(v[0] for v in self.child_peak.values()),
                    "cpu_s_psutil_tree_now": sum(self.cpu_last.values()),
                    "load": os.getloadavg()}))

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _git_commit(tree: Path) -> str:
    out = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True,
                         text=True, check=False)
    return out.stdout.strip() or "unknown"


def _uptime() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def one(runs: int, workers: int, backend: str, snapshot: Path | None = None,
        tree: Path | None = None) -> dict[str, Any]:
    """One CLI simulation in a subprocess: wall, CPU of all processes, RSS peaks (*tree*:
    the source tree whose ``src`` is put first on the path; None: the installed one)."""
    load0, up0 = os.getloadavg(), _uptime()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [*CLI, "simulate", SCENARIO, "--runs", str(runs), "--seed", "0",
               "--horizon", "365d", "--backend", backend, "--workers", str(workers),
               "--format", "json", "--out", str(Path(tmp) / "summary.json")]
        env = {**os.environ, "ECONSEC_DB": str(Path(tmp) / "store.duckdb")}
        if tree is not None:
            env["PYTHONPATH"] = str(tree / "src")
        c0, t0 = _children_cpu(), time.perf_counter()
        with open(Path(tmp) / "stderr", "w+") as err_f:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err_f,
                                    text=True)
            if psutil is not None:
                with TreeSampler(proc.pid, snapshot=snapshot) as sampler:
                    proc.wait()
                peak = sampler.parent_peak
                tree_cpu: float | None = sum(sampler.cpu_last.values())
                children = sorted((round(v[0], 3), v[1])
                                  for v in sampler.child_peak.values())
            else:
                _pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                peak, tree_cpu, children = usage.ru_maxrss / 2**20, None, []
            err_f.seek(0)
            err = err_f.read()
        wall = time.perf_counter() - t0
        cpu = _children_cpu() - c0
        summary = Path(tmp) / "summary.json"
        size = summary.stat().st_size if summary.exists() else 0
        md5 = hashlib.md5(summary.read_bytes()).hexdigest() if size else None
        ok = proc.returncode == 0 and size > 0
    res = {"wall_s": wall, "cpu_s": cpu, "cpu_s_psutil_tree_last_seen": tree_cpu,
           "returncode": proc.returncode, "ok": ok, "summary_bytes": size,
           "summary_md5": md5, "parent_peak_rss_gb": peak, "child_peak_rss_gb": children,
           "peak_rss_source": "psutil samples" if psutil is not None else "wait4 ru_maxrss",
           "loadavg_start": load0, "loadavg_end": os.getloadavg(), "uptime_start": up0,
           "uptime_end": _uptime(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if tree is not None:
        res.update({"tree": str(tree), "git_commit": _git_commit(tree)})
    if not ok:
        res["stderr_tail"] = (err or "")[-1500:]
    return res


def bench_10k(runs: int, repeats: int, worker_counts: list[int], slow: float,
              tree: Path | None = None) -> dict[str, Any]:
    """Interleaved repeats; after a repeat of more than *slow* seconds, stop at 2."""
    return summarise(run_repeats(runs, repeats, worker_counts, slow, [tree])[0])


def run_repeats(runs: int, repeats: int, worker_counts: list[int], slow: float,
                trees: list[Path | None]) -> list[dict[int, list[dict[str, Any]]]]:
    """Per tree, per worker count, the repeats, interleaved: repeat by repeat, tree by
    tree, worker count by worker count; after a repeat of more than *slow* seconds, stop
    at 2."""
    rows: list[dict[int, list[dict[str, Any]]]] = [{k: [] for k in worker_counts}
                                                    for _ in trees]
    for r in range(repeats):
        if r >= 2 and max(x["wall_s"] for t in rows for rs in t.values() for x in rs) > slow:
            print(f"  a repetition took > {slow:.0f} s: stopping at 2 repeats", flush=True)
            break
        for tree, tree_rows in zip(trees, rows, strict=True):
            for k in worker_counts:
                res = one(runs, k, "local", tree=tree)
                tree_rows[k].append(res)
                psu = res["cpu_s_psutil_tree_last_seen"]
                print(f"  [{r}] {tree or 'installed'} workers {k}: {res['wall_s']:.1f} s "
                      f"wall, {res['cpu_s']:.1f} CPU-s"
                      f"{'' if psu is None else f' (psutil {psu:.1f})'}, parent peak "
                      f"{res['parent_peak_rss_gb']:.2f} GB, ok {res['ok']}, "
                      f"{res['uptime_end']}", flush=True)
    return rows


def summarise(rows: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """min/median/max of wall and CPU per worker count, and whether the goal is met."""
    out: dict[str, Any] = {}
    for k, rs in rows.items():
        good = [x for x in rs if x["ok"]]
        s = {"wall_s": stats([x["wall_s"] for x in good]),
             "cpu_s": stats([x["cpu_s"] for x in good]),
             "parent_peak_rss_gb_max": max(x["parent_peak_rss_gb"] for x in good),
             "worker_peak_rss_gb_max": max((c[0] for x in good for c in x["child_peak_rss_gb"]),
                                           default=0.0),
             "failures": len(rs) - len(good), "runs": rs}
        s["goal_cpu_le_60_met"] = s["cpu_s"]["median"] <= 60.0
        s["goal_cpu_le_60_met_every_repeat"] = s["cpu_s"]["max"] <= 60.0
        out[f"workers{k}"] = s
        print(f"workers {k}: wall min/med/max {fmt(s['wall_s'])} s; CPU {fmt(s['cpu_s'])} s; "
              f"goal <= 60 CPU-s: {'met' if s['goal_cpu_le_60_met_every_repeat'] else 'NOT MET'}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000, help="0: skip the 10k part")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rss-runs", type=int, default=0)
    ap.add_argument("--snapshot", help="write the RSS peaks so far to this file every 10 s")
    ap.add_argument("--results", default=str(RESULTS / "montecarlo.json"))
    ap.add_argument("--slow", type=float, default=180.0,
                    help="stop at 2 repeats if one took longer than this (seconds)")
    ap.add_argument("--trees", nargs="+", default=None,
                    help="source trees to compare (PYTHONPATH=TREE/src), interleaved; the "
                         "first is the reference of the ratios")
    a = ap.parse_args()
    path = Path(a.results)
    figures: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    cmd_shape = (f"econsec simulate {SCENARIO} --runs N --seed 0 --horizon 365d "
                 "--backend B --workers K --format json --out FILE (ECONSEC_DB=temporary)")
    if a.runs and a.trees:
        trees = [Path(t).resolve() for t in a.trees]
        start = machine()
        print(f"{SCENARIO}, {a.runs} runs x 365 days, local backend, workers {a.workers}, "
              f"{a.repeats} repeats interleaved over {[str(t) for t in trees]}", flush=True)
        per_tree = [summarise(rs) for rs in
                    run_repeats(a.runs, a.repeats, a.workers, a.slow, list(trees))]
        ref = per_tree[0]
        result: dict[str, Any] = {
            "scenario": SCENARIO, "runs": a.runs, "days": 365, "command": cmd_shape,
            "machine_start": start, "machine_end": machine(),
            "goal": "<= 60 CPU-seconds in total (all processes)",
            "trees": {t.name: {"tree": str(t), "git_commit": _git_commit(t), **s}
                      for t, s in zip(trees, per_tree, strict=True)},
            "cpu_median_ratio_to_first": {
                t.name: {f"workers{k}": ref[f"workers{k}"]["cpu_s"]["median"]
                         / s[f"workers{k}"]["cpu_s"]["median"] for k in a.workers}
                for t, s in zip(trees, per_tree, strict=True)},
            "same_summary_bytes": len({x["summary_md5"] for s in per_tree
                                       for k in a.workers for x in s[f"workers{k}"]["runs"]
                                       }) == 1}
        figures["mc10k"] = result
        for t, s in zip(trees, per_tree, strict=True):
            for k in a.workers:
                print(f"{t.name} workers {k}: CPU {fmt(s[f'workers{k}']['cpu_s'])} s "
                      f"(ratio of medians, {trees[0].name} / this: "
                      f"{result['cpu_median_ratio_to_first'][t.name][f'workers{k}']:.2f})")
        print("same summary bytes in every run:", result["same_summary_bytes"])
    elif a.runs:
        start = machine()
        print(f"{SCENARIO}, {a.runs} runs x 365 days, local backend, workers {a.workers}, "
              f"{a.repeats} repeats interleaved", flush=True)
        figures["mc10k"] = {"scenario": SCENARIO, "runs": a.runs, "days": 365,
                            "command": cmd_shape, "machine_start": start,
                            **bench_10k(a.runs, a.repeats, a.workers, a.slow),
                            "machine_end": machine(),
                            "goal": "<= 60 CPU-seconds in total (all processes)"}
    if a.rss_runs:
        start = machine()
        print(f"{SCENARIO}, {a.rss_runs} runs x 365 days, dask LocalCluster of 2, once",
              flush=True)
        res = one(a.rss_runs, 2, "dask", snapshot=Path(a.snapshot) if a.snapshot else None)
        worker = max((c[0] for c in res["child_peak_rss_gb"]), default=0.0)
        res.update({"scenario": SCENARIO, "runs": a.rss_runs, "days": 365, "repeats": 1,
                    "command": cmd_shape, "worker_peak_rss_gb_max": worker,
                    "goal": "completes; parent RSS < 4 GB; per-worker RSS < 2 GB",
                    "goal_met": bool(res["ok"] and res["parent_peak_rss_gb"] < 4.0
                                     and worker < 2.0),
                    "machine_start": start, "machine_end": machine()})
        figures["dask100k"] = res
        print(f"  wall {res['wall_s']:.0f} s, CPU {res['cpu_s']:.0f} s, parent peak "
              f"{res['parent_peak_rss_gb']:.2f} GB, largest other process {worker:.2f} GB, "
              f"ok {res['ok']}; goal {'met' if res['goal_met'] else 'NOT MET'}")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print("wrote", path)


if __name__ == "__main__":
    main()
