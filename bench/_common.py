"""Helpers shared by the benchmarks: timing, peak memory, and our previous numbers."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    """Run *fn* *repeat* times; return the last result and the best wall time in seconds."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


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
        ratio = f"  (previous {old:.4g}, ratio {value / old:.2f})" if old else ""
        print(f"  {key:<42} {value:10.4g}{ratio}")
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
