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
