"""Helpers shared by the benchmarks: timing with CPU-seconds, order statistics over
repeats, the machine facts written beside every result, and peak memory."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its waited-for descendants."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def measure(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``(result, wall seconds, CPU seconds)`` of one call of *fn* (CPU of all threads of
    this process plus children it waited for)."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0, cpu_seconds() - c0


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    """Run *fn* *repeat* times; return the last result and the best wall time in seconds."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


def stats(xs: list[float]) -> dict[str, float]:
    """min / median / max (and the number of repeats) of *xs*."""
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def fmt(s: dict[str, float], digits: int = 3) -> str:
    """``min / median / max`` of a :func:`stats` dict, for printing."""
    return " / ".join(f"{s[k]:.{digits}g}" for k in ("min", "median", "max"))


def machine() -> dict[str, Any]:
    """Facts of the machine and checkout now: cores, load average, time, git commit."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"nproc": os.cpu_count(), "loadavg_1_5_15": list(os.getloadavg()),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_commit": commit, "python": sys.version.split()[0]}


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Write *figures* to bench/results/NAME.json (replacing the previous figures)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return path


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux ru_maxrss is in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024**2 if sys.platform != "darwin" else kib / 1024**3


def compare_previous(name: str, figures: dict[str, float]) -> None:
    """Print *figures* beside the previous run's (bench/results/NAME.json), then save them."""
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    for key, value in figures.items():
        old = previous.get(key)
        ratio = f"  (previous {old:.4g}, ratio {value / old:.2f})" if isinstance(old, float) \
            and old else ""
        print(f"  {key:<42} {value:10.4g}{ratio}")
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
