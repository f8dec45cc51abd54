"""How econsec starts its local worker processes (the ``local`` backend's pool, the API's
simulation workers).

Start method: ``forkserver`` on Linux, ``spawn`` elsewhere. (macOS has ``forkserver``
too, but a helper that imported numpy has loaded system libraries, such as Accelerate,
that are not safe to fork: Python's documentation makes ``spawn`` macOS's default for that
reason. On Linux numpy's OpenBLAS registers fork handlers, and numpy was forked by
multiprocessing's former default for years.)
With ``spawn`` every worker is a fresh interpreter that imports numpy, pandas and the
engine again before its first job (about 0.5-1 CPU-second each on a laptop core; a
server restarting its pool, or a test suite opening many pools, pays it every time).
With ``forkserver`` one helper process is started the first time a pool is opened, as a
fresh interpreter (like ``spawn``), imports the *preload* modules once, and forks each
worker from itself: a worker starts with those modules already imported. The calling
process is never forked, so its threads (a web server's, DuckDB's, a Dask client's) are
as safe as with ``spawn`` (Python documentation, ``multiprocessing``, "Contexts and start
methods"; ``forkserver`` is Linux's default from Python 3.14). The helper serves every
pool of the process; the *preload* of the first pool that starts it counts (a module it
lacks is imported by the worker that needs it). At exit the process stops the helper and
waits for it (:func:`_stop_helper`), so no helper outlives it and the CPU time of the
workers, which the helper reaps, is counted in the process's children's usage
(``getrusage(RUSAGE_CHILDREN)``, ``time``) as a spawned worker's is.

One difference from ``spawn`` matters to callers: a forked worker inherits the helper's
environment, as of when the helper started, not the caller's at the time of the pool.
Pools therefore hand their workers :func:`environ` (a copy of the caller's environment
when the pool is made) and the worker's initializer calls :func:`adopt_environ` first, so
a variable set before a pool is opened reaches its workers under either start method.
Results do not depend on the start method: the workers run the same code on the same
pickled inputs.

How many workers a command starts when the user leaves it to econsec
(:func:`auto_workers`): one per CPU the process may use (:func:`usable_cpus`: its
affinity mask within a container's CPU quota, :func:`cgroup_cpus`), no more than there are
jobs, and no more than half the memory available (:func:`available_memory`) holds at the
jobs' estimated size.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Mapping, Sequence
from multiprocessing.context import BaseContext

_STOP_REGISTERED = False


def _stop_helper() -> None:
    """Stop this process's forkserver helper, if it runs, and wait for it (its workers have
    exited with their pools by then). ``ForkServer._stop`` is the standard library's own
    (used by its tests; present in Python 3.8-3.13): skipped if a version lacks it."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError):
            stop()


def worker_context(preload: Sequence[str] = ()) -> BaseContext:
    """The multiprocessing context of econsec's worker pools: on Linux ``forkserver``
    preloading the modules *preload* (names, imported by the helper when it starts),
    elsewhere ``spawn``."""
    if (not sys.platform.startswith("linux")
            or "forkserver" not in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    global _STOP_REGISTERED
    if not _STOP_REGISTERED:
        atexit.register(_stop_helper)
        _STOP_REGISTERED = True
    if preload:
        ctx.set_forkserver_preload(list(preload))  # read only when the helper starts
    return ctx


def environ() -> dict[str, str]:
    """A copy of this process's environment, for a pool's workers (:func:`adopt_environ`)."""
    return dict(os.environ)


def adopt_environ(env: Mapping[str, str] | None) -> None:
    """In a worker: make ``os.environ`` equal to *env* (the pool's caller's, from
    :func:`environ`); None leaves it as inherited."""
    if env is None:
        return
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)


#: cgroup files that bound the CPU time of this process's container (v2, then v1)
CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"
CGROUP_V1_QUOTA = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"
CGROUP_V1_PERIOD = "/sys/fs/cgroup/cpu/cpu.cfs_period_us"
#: a worker process's own memory before it holds a chunk (numpy, pandas, the compiled
#: kernels, the world): a Dask worker's peak RSS on the built-in world was 0.40 GB
#: (docs/simulation.md, the 100,000-run row)
WORKER_BASE_BYTES = 400 * 2**20


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def cgroup_cpus(cpu_max: str = CGROUP_CPU_MAX, v1_quota: str = CGROUP_V1_QUOTA,
                v1_period: str = CGROUP_V1_PERIOD) -> int | None:
    """CPUs a container's CPU quota allows: ``ceil(quota / period)`` from cgroup v2's
    ``cpu.max`` ("200000 100000"; "max ..." is no quota) or cgroup v1's
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: no quota), rounded up as joblib's
    loky does; None without a quota or where the files cannot be read."""
    text = _read(cpu_max)
    if text is not None:
        parts = text.split()
        quota, period = [*parts, "", ""][:2]
    else:
        quota, period = _read(v1_quota) or "", _read(v1_period) or ""
    try:
        q, p = int(quota), int(period)
    except ValueError:  # "max", missing or garbled: no quota
        return None
    if q <= 0 or p <= 0:
        return None
    return max(1, -(-q // p))


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask (``os.sched_getaffinity``, or
    ``os.cpu_count()`` where the platform lacks it) within its container's CPU quota
    (:func:`cgroup_cpus`), at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpus()
    return max(1, min(cpus, quota) if quota is not None else cpus)


def available_memory(meminfo: str = "/proc/meminfo") -> int | None:
    """Memory available to new processes without swapping (``MemAvailable`` of
    *meminfo*, bytes), or None where it is not known (not Linux)."""
    text = _read(meminfo)
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            fields = line.split()
            try:
                return int(fields[1]) * 1024  # kB
            except (IndexError, ValueError):
                return None
    return None


def auto_workers(jobs: int, bytes_per_worker: int, *, cpus: int | None = None,
                 memory: int | None = -1) -> int:
    """Worker processes for *jobs* independent jobs of about *bytes_per_worker* each:
    ``min(cpus, jobs, memory // (2 bytes_per_worker))``, at least 1 (*cpus*: default
    :func:`usable_cpus`; *memory*: default :func:`available_memory`, None = unknown, no
    bound). Half the available memory at most, leaving the rest to the calling process
    and the machine's other work; more workers than jobs would idle."""
    n = usable_cpus() if cpus is None else cpus
    mem = available_memory() if memory == -1 else memory
    if mem is not None:
        n = min(n, mem // (2 * max(bytes_per_worker, 1)))
    return max(1, min(n, jobs))
