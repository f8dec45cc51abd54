"""Load bench for the web API: `econsec serve` on a free local port, then (httpx async)

* 50 concurrent GET /api/exposure requests (economies x tiers, after one warm-up each),
* 5 concurrent simulations (POST /api/runs of shipped scenarios, polled to completion),
* 50 concurrent GET /api/exposure requests sent 0.5 s after 5 simulations were started
  (the goal's workload), repeated ``--repeat`` times (a fresh set of 5 simulations each),

printing p50/p95/p99 latency and error counts and writing bench/results/api_load.json.
Goal (issue 15): 50 concurrent exposure requests while 5 simulations run: p95 < 200 ms,
0 errors (the exposure requests' and the simulations').

Run: .venv/bin/python bench/bench_api_load.py [--runs 100 --repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine

OUT = Path(__file__).parent / "results" / "api_load.json"
ECONOMIES = ("KOR", "JPN", "USA", "CHN", "TWN")
SCENARIOS = ("jpn_kor_2019", "chn_ga_ge_2023", "chn_graphite_2023", "chn_ree_japan_2010",
             "chn_full_ban_trilateral")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    a = np.asarray(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1),
            "max_ms": round(float(a.max()), 1)}


async def _exposure(client: httpx.AsyncClient, i: int) -> tuple[float, bool]:
    params = {"economy": ECONOMIES[i % len(ECONOMIES)], "tiers": ("direct", "all")[i % 2]}
    t = time.perf_counter()
    try:
        r = await client.get("/api/exposure", params=params)
        ok = r.status_code == 200 and r.json()["count"] > 0
    except httpx.HTTPError:
        ok = False
    return time.perf_counter() - t, ok


async def _simulation(client: httpx.AsyncClient, name: str, runs: int) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        r = await client.post("/api/runs", json={"scenario": name, "runs": runs, "seed": 1})
        if r.status_code != 202:
            return {"scenario": name, "ok": False, "error": f"{r.status_code} {r.text[:200]}"}
        rid = r.json()["id"]
        while True:
            job = (await client.get(f"/api/runs/{rid}")).json()
            if job["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.2)
        csv = await client.get(f"/api/runs/{rid}/csv") if job["status"] == "done" else None
        ok = job["status"] == "done" and csv is not None and csv.status_code == 200
        return {"scenario": name, "ok": ok, "status": job["status"], "error": job["error"],
                "seconds": round(time.perf_counter() - t, 2),
                "csv_bytes": len(csv.content) if csv is not None else 0}
    except httpx.HTTPError as exc:
        return {"scenario": name, "ok": False, "error": repr(exc)}


async def _busy(client: httpx.AsyncClient, runs: int) -> dict[str, Any]:
    """50 exposure requests 0.5 s after 5 simulations were started; waits for all."""
    t2 = time.perf_counter()
    sim_tasks = [asyncio.create_task(_simulation(client, s, runs)) for s in SCENARIOS]
    await asyncio.sleep(0.5)
    exp_busy = await asyncio.gather(*(_exposure(client, i) for i in range(50)))
    sims_busy = await asyncio.gather(*sim_tasks)
    wall_busy = time.perf_counter() - t2
    lat_busy = [d for d, ok in exp_busy if ok]
    return {"requests": 50, "errors": sum(not ok for _, ok in exp_busy),
            "sim_errors": sum(not s["ok"] for s in sims_busy),
            "wall_s": round(wall_busy, 2), **_pct(lat_busy)}


async def _bench(url: str, runs: int, repeat: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        # warm-up: one request per distinct query (first-use costs: world load, caches)
        for i in range(10):
            await _exposure(client, i)
        t0 = time.perf_counter()
        exp = await asyncio.gather(*(_exposure(client, i) for i in range(50)))
        wall_exp = time.perf_counter() - t0
        t1 = time.perf_counter()
        sims = await asyncio.gather(*(_simulation(client, s, runs) for s in SCENARIOS))
        wall_sim = time.perf_counter() - t1
        # exposure latency while the 5 simulations run (the goal's workload), repeated
        busy = [await _busy(client, runs) for _ in range(repeat)]
    lat = [d for d, ok in exp if ok]
    p95 = [b["p95_ms"] for b in busy]
    sim_secs = [s["seconds"] for s in sims if s.get("ok")]
    return {
        "exposure_50_concurrent": {"requests": 50, "errors": sum(not ok for _, ok in exp),
                                   "wall_s": round(wall_exp, 3), **_pct(lat)},
        "simulations_5_concurrent": {"requests": 5, "runs_each": runs,
                                     "errors": sum(not s["ok"] for s in sims),
                                     "wall_s": round(wall_sim, 2),
                                     **_pct(sim_secs), "detail": sims},
        "exposure_50_during_5_simulations": busy,
        "during_p95_ms": {"min": min(p95), "median": float(np.median(p95)), "max": max(p95),
                          "n": len(p95)},
        "during_errors_total": sum(b["errors"] + b["sim_errors"] for b in busy),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100, help="Monte Carlo runs per simulation")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the busy phase")
    args = ap.parse_args()
    start = machine()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    tmp = tempfile.TemporaryDirectory()  # a fresh store: the user's is left alone
    proc = subprocess.Popen([sys.executable, "-c", "from econsec.cli.app import main; main()",
                             "serve", "--port", str(port)],
                            env={**os.environ, "ECONSEC_DB": f"{tmp.name}/store.duckdb"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/world", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        res = asyncio.run(_bench(url, args.runs, args.repeat))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        tmp.cleanup()
    res["machine_start"], res["machine_end"] = start, machine()
    res["note"] = "server and client on one machine shared with other jobs"
    e, s, d = (res["exposure_50_concurrent"], res["simulations_5_concurrent"],
               res["during_p95_ms"])
    print(f"exposure x50 concurrent: p50 {e['p50_ms']} ms, p95 {e['p95_ms']} ms, "
          f"p99 {e['p99_ms']} ms, errors {e['errors']}  (goal: p95 < 200 ms, 0 errors)")
    print(f"simulations x5 concurrent ({s['runs_each']} runs each): p50 {s['p50_ms'] / 1000:.2f}"
          f" s, p95 {s['p95_ms'] / 1000:.2f} s, errors {s['errors']}, wall {s['wall_s']} s")
    for b in res["exposure_50_during_5_simulations"]:
        print(f"exposure x50 while 5 simulations run: p50 {b['p50_ms']} ms, p95 {b['p95_ms']}"
              f" ms, p99 {b['p99_ms']} ms, errors {b['errors']} (+{b['sim_errors']} sim errors)")
    print(f"p95 over repeats min/median/max: {d['min']} / {d['median']} / {d['max']} ms")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    goal = res["during_errors_total"] == 0 and d["max"] < 200
    res["goal_met"] = goal
    OUT.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print("goal (p95 < 200 ms in every repeat, 0 errors) met" if goal else "goal NOT MET")


if __name__ == "__main__":
    main()
