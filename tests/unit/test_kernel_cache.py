"""The compiled kernels loaded from numba's cache before the first step
(econsec.simulation.kernel_cache) and by the worker helper (econsec.simulation.preload).

Each check runs in a fresh interpreter: this test process has loaded kernels already."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from econsec.data.world import load_world
from econsec.policy.runner import run_scenario
from econsec.simulation import kernel_cache

RUN = dict(runs=2, seed=0, horizon_days=30)


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_loaded_kernels_are_all_a_run_needs() -> None:
    run_scenario("jpn_kor_2019", load_world(), **RUN)  # the run's overloads are in the cache
    code = f"""
import json
from econsec.data.world import load_world
from econsec.policy.runner import run_scenario
from econsec.simulation import kernel_cache as kc
fresh = kc.loaded_overloads()
n = kc.load_cached_kernels()
before = kc.loaded_overloads()
run_scenario("jpn_kor_2019", load_world(), **{RUN!r})
misses = sum(sum(k.stats.cache_misses.values()) for k in kc._kernels())
print(json.dumps([fresh, n, before, kc.loaded_overloads(), misses]))
"""
    fresh, n, before, after, misses = json.loads(_fresh(code))
    assert fresh == 0  # nothing loaded by importing the engine
    assert n > 0 and before == n
    assert after == before  # the run found every overload it called loaded
    assert misses == 0  # and compiled nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="workers are forked by a helper on Linux only (spawn elsewhere)")
def test_a_forked_worker_starts_with_the_kernels_loaded() -> None:
    run_scenario("jpn_kor_2019", load_world(), **RUN)
    code = """
from econsec.distributed.processes import worker_context
from econsec.simulation.kernel_cache import loaded_overloads
with worker_context(("econsec.simulation.preload",)).Pool(1) as pool:
    print(pool.apply(loaded_overloads))
"""
    assert int(_fresh(code)) > 0


def test_a_failing_cache_lookup_loads_nothing_and_raises_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = SimpleNamespace(_cache=SimpleNamespace(_cache_file=None), overloads={})
    monkeypatch.setattr(kernel_cache, "_kernels", lambda: [broken])
    assert kernel_cache.load_cached_kernels() == 0
