"""Local worker processes (econsec.distributed.processes): the start method, the caller's
environment in every worker whatever the start method, and no helper process left behind
with its workers' CPU time counted."""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from econsec.distributed.processes import (
    adopt_environ,
    auto_workers,
    available_memory,
    cgroup_cpus,
    environ,
    usable_cpus,
    worker_context,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def _get(name: str) -> str | None:
    return os.environ.get(name)


def _pool(ctx: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(1, mp_context=ctx, initializer=adopt_environ,
                               initargs=(environ(),))


def test_forkserver_on_linux_spawn_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = worker_context(("econsec.errors",))
    linux = sys.platform.startswith("linux")
    assert ctx.get_start_method() == ("forkserver" if linux else "spawn")
    monkeypatch.setattr(sys, "platform", "darwin")  # numpy's system libraries: no fork
    assert worker_context().get_start_method() == "spawn"


def test_a_variable_set_after_the_helper_started_reaches_the_workers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = worker_context()
    monkeypatch.delenv("ECONSEC_TEST_ENV", raising=False)
    monkeypatch.setenv("ECONSEC_TEST_GONE", "1")
    with _pool(ctx) as pool:  # starts the helper (if not already running) with both
        assert pool.submit(_get, "ECONSEC_TEST_GONE").result(timeout=120) == "1"
    monkeypatch.setenv("ECONSEC_TEST_ENV", "set later")
    monkeypatch.delenv("ECONSEC_TEST_GONE")
    with _pool(ctx) as pool:
        assert pool.submit(_get, "ECONSEC_TEST_ENV").result(timeout=120) == "set later"
        assert pool.submit(_get, "ECONSEC_TEST_GONE").result(timeout=120) is None


def test_adopt_environ_none_keeps_the_inherited_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECONSEC_TEST_KEEP", "kept")
    adopt_environ(None)
    assert os.environ["ECONSEC_TEST_KEEP"] == "kept"


CHILD = """
import time
from concurrent.futures import ProcessPoolExecutor
from econsec.distributed.processes import worker_context

def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return True

if __name__ == "__main__":
    from multiprocessing import forkserver
    with ProcessPoolExecutor(2, mp_context=worker_context()) as pool:
        assert all(pool.map(burn, [0.6, 0.6]))
    print(getattr(forkserver._forkserver, "_forkserver_pid", None))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the forkserver helper is used on Linux only")
def test_helper_is_stopped_at_exit_and_workers_cpu_is_counted(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    helper = int(out.stdout.strip())
    with pytest.raises(ProcessLookupError):  # waited for: not even a zombie is left
        os.kill(helper, 0)
    # two workers burnt 0.6 CPU-s each: counted in this process's children's usage only
    # because the child waited for the helper, which reaped them
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu >= 1.2


# how many workers: the CPUs this process may use, the memory free, the jobs ----------

def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cgroup_quota_is_rounded_up_and_no_quota_is_none(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent")

    def v2(text: str) -> int | None:
        return cgroup_cpus(_file(tmp_path, "cpu.max", text), missing, missing)

    assert v2("200000 100000\n") == 2
    assert v2("150000 100000") == 2  # 1.5 CPUs: 2 workers, as loky counts
    assert v2("50000 100000") == 1
    assert v2("max 100000") is None
    assert v2("garbled") is None
    quota = _file(tmp_path, "cfs_quota_us", "300000")
    period = _file(tmp_path, "cfs_period_us", "100000")
    assert cgroup_cpus(missing, quota, period) == 3  # cgroup v1
    assert cgroup_cpus(missing, _file(tmp_path, "q1", "-1"), period) is None
    assert cgroup_cpus(missing, missing, missing) is None


def test_available_memory_reads_memavailable_in_bytes(tmp_path: Path) -> None:
    info = _file(tmp_path, "meminfo", "MemTotal:  8000000 kB\nMemFree:  1000 kB\n"
                                      "MemAvailable:    2048 kB\nBuffers: 5 kB\n")
    assert available_memory(info) == 2048 * 1024
    assert available_memory(_file(tmp_path, "m2", "MemTotal: 5 kB\n")) is None
    assert available_memory(str(tmp_path / "absent")) is None


def test_auto_workers_is_the_least_of_cpus_jobs_and_half_the_memory() -> None:
    gib = 2**30
    assert auto_workers(79, gib, cpus=2, memory=None) == 2  # CPUs bound
    assert auto_workers(3, gib, cpus=8, memory=None) == 3  # one per job at most
    assert auto_workers(79, gib, cpus=8, memory=6 * gib) == 3  # 6 GiB / (2 x 1 GiB)
    assert auto_workers(79, gib, cpus=8, memory=gib) == 1  # never below one
    assert auto_workers(1, gib, cpus=8, memory=None) == 1
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)
