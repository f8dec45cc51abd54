"""Dask workers' malloc setting (distributed.executors.arrays_malloc).

Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 on every worker, which turns off glibc's
dynamic mmap threshold: each array above 128 KiB is then a fresh mmap, zero-filled page
by page (a minor page fault per 4 KiB page) and unmapped when freed. The test counts minor
page faults (not time) while a 1 MiB array is allocated, written and freed 300 times, in a
subprocess started with that variable: before the call each round faults in all 256 pages
(300 x 256 = 76,800 faults expected by hand); after it the heap block is reused (a few
hundred faults at most).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CHILD = r"""
import json, resource
import numpy as np
from econsec.distributed.executors import arrays_malloc

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(300):
        a = np.empty(1 << 17)  # 1 MiB of float64
        a.fill(1.0)
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

first = faults()
changed = arrays_malloc()
again = arrays_malloc()
print(json.dumps({"before": first, "changed": changed, "again": again, "after": faults()}))
"""


def _run(env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    result: dict[str, int] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_arrays_malloc_stops_the_page_faults_of_dasks_trim_setting() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    got = _run({**env, "MALLOC_TRIM_THRESHOLD_": "65536"})
    assert got["before"] >= 0.9 * 300 * 256  # every round maps its 256 pages afresh
    assert got["changed"] is True and got["again"] is False  # once per process
    assert got["after"] < 0.05 * got["before"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_arrays_malloc_leaves_a_normal_process_alone() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    got = _run(env)
    assert got["changed"] is False
    assert got["before"] < 0.05 * 300 * 256  # the dynamic threshold already reuses heap
