"""Executors: run ``fn(shared, payload)`` jobs on a backend and hand back results as they
complete.

Protocol (:class:`Executor`): :meth:`~Executor.share` ships an object to the workers once
and returns a handle; :meth:`~Executor.submit` queues ``fn(handle's object, payload)``
under an integer tag; :meth:`~Executor.next_completed` waits (up to a timeout) for any job
and returns ``(tag, result, error)``; :meth:`~Executor.cancel` drops every pending job;
:meth:`~Executor.close` waits for the running ones, :meth:`~Executor.abort` stops them.
``slots`` is how many jobs the caller should keep in flight (twice the workers), so that
finished results never pile up in the caller.

Backends (:data:`BACKENDS`):

* ``local``: 1 worker runs jobs in the calling process (with an optional per-step hook for
  progress and cancellation); more workers are processes of a
  ``concurrent.futures.ProcessPoolExecutor`` (forked by a helper that imported the
  caller's *preload* modules, or spawned: :mod:`econsec.distributed.processes`) that
  receive the shared object once, through the pool's initializer;
* ``dask``: a ``distributed.Client``; without a scheduler address a
  ``LocalCluster(n_workers=K, threads_per_worker=1, processes=True)`` is started (and
  closed afterwards), with one (``tcp://host:8786``) the client connects to that cluster.
  The shared object is scattered with ``broadcast=True``; jobs are tasks named
  ``econsec-chunk-<run>-<tag>`` (visible in the scheduler's task log).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from econsec.errors import EconsecError

#: the backends :func:`open_executor` knows
BACKENDS = ("local", "dask")

#: (tag, result, error): exactly one of result and error is meaningful
Completed = tuple[int, Any, BaseException | None]


class ChunkFailed(EconsecError):
    """A job (a chunk of Monte Carlo runs) failed on its worker, also when retried."""


class BackendError(EconsecError):
    """An unknown backend, a bad worker count or an unreachable Dask scheduler."""


class Executor(Protocol):
    """Runs ``fn(shared, payload)`` jobs; see the module docstring."""

    slots: int

    def share(self, obj: Any) -> Any: ...

    def submit(self, tag: int, fn: Callable[..., Any], shared: Any, payload: Any) -> None: ...

    def next_completed(self, timeout: float) -> Completed | None: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def steps(self) -> int | None: ...


class InProcessExecutor:
    """1 local worker: each job runs in the calling process when its result is asked for,
    as ``fn(shared, payload, on_step=hook)`` when a *hook* is given."""

    slots = 1

    def __init__(self, on_step: Callable[[], None] | None = None) -> None:
        self._queue: list[tuple[int, Callable[..., Any], Any, Any]] = []
        self._on_step = on_step

    def share(self, obj: Any) -> Any:
        return obj

    def submit(self, tag: int, fn: Callable[..., Any], shared: Any, payload: Any) -> None:
        self._queue.append((tag, fn, shared, payload))

    def next_completed(self, timeout: float) -> Completed | None:
        if not self._queue:
            return None
        tag, fn, shared, payload = self._queue.pop(0)
        try:
            if self._on_step is None:
                return tag, fn(shared, payload), None
            return tag, fn(shared, payload, on_step=self._on_step), None
        except Exception as exc:  # handed to the caller, who names it
            return tag, None, exc

    def cancel(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        self._queue.clear()

    def abort(self) -> None:
        self.close()

    def steps(self) -> int | None:
        return None  # the jobs call the caller's hook themselves


_SHARED: Any = None  # the shared object of a local worker process (set by the initializer)
_STEPS: Any = None  # its shared step counter, when the pool counts steps (else None)


def _install_shared(obj: Any, env: dict[str, str] | None = None, steps: Any = None) -> None:
    from econsec.distributed.processes import adopt_environ

    global _SHARED, _STEPS
    adopt_environ(env)
    _SHARED, _STEPS = obj, steps


def _count_step() -> None:
    with _STEPS.get_lock():
        _STEPS.value += 1


def _call_with_shared(fn: Callable[..., Any], payload: Any) -> Any:
    if _STEPS is not None:
        return fn(_SHARED, payload, on_step=_count_step)
    return fn(_SHARED, payload)


class ProcessExecutor:
    """*workers* local processes (:func:`econsec.distributed.processes.worker_context`:
    forked by a helper that imported *preload*, or spawned); the shared object goes to
    each once. With *count_steps* each job is called with ``on_step=`` a hook that counts
    its steps in shared memory, read by :meth:`steps` (progress between finished jobs)."""

    def __init__(self, workers: int, preload: tuple[str, ...] = (),
                 count_steps: bool = False) -> None:
        self.workers, self.preload, self.count_steps = workers, preload, count_steps
        self.slots = 2 * workers
        self._pool: Any = None
        self._futures: dict[Any, int] = {}
        self._steps: Any = None

    def share(self, obj: Any) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        from econsec.distributed.processes import environ, worker_context

        if self._pool is not None:
            raise BackendError("a local process executor shares one object")
        ctx = worker_context(self.preload)
        self._steps = ctx.Value("q", 0) if self.count_steps else None
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                         initializer=_install_shared,
                                         initargs=(obj, environ(), self._steps))
        return None

    def steps(self) -> int | None:
        """Steps the jobs have taken so far (all workers; a retried job's count twice), or
        None when not counted."""
        return None if self._steps is None else int(self._steps.value)

    def submit(self, tag: int, fn: Callable[..., Any], shared: Any, payload: Any) -> None:
        if self._pool is None:
            raise BackendError("share() the object before submitting jobs")
        try:
            fut = self._pool.submit(_call_with_shared, fn, payload)
        except Exception as exc:  # a broken pool: a worker died
            raise ChunkFailed(f"chunk {tag} could not be submitted: {exc}") from exc
        self._futures[fut] = tag

    def next_completed(self, timeout: float) -> Completed | None:
        from concurrent.futures import FIRST_COMPLETED, wait

        if not self._futures:
            return None
        done, _ = wait(list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:
            return None
        fut = min(done, key=lambda f: self._futures[f])
        tag = self._futures.pop(fut)
        exc = fut.exception()
        return (tag, None, exc) if exc is not None else (tag, fut.result(), None)

    def cancel(self) -> None:
        for fut in self._futures:
            fut.cancel()
        self._futures.clear()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()

    def abort(self) -> None:
        """Stop at once: drop the queued jobs and terminate the workers, whose running jobs
        are no longer wanted (an error, a cancel, Ctrl-C sent to this process alone), rather
        than wait for them as :meth:`close` does."""
        if self._pool is not None:
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.join(5.0)
            self._pool = None
        self._futures.clear()


#: glibc's mallopt parameters (malloc.h) and the values set on Dask workers (see below)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 32 * 2**20  # glibc's ceiling for the dynamic mmap threshold
_TRIM_THRESHOLD_BYTES = 2 * _MMAP_THRESHOLD_BYTES  # what the dynamic rule pairs with it
_MALLOC_DONE = False


def arrays_malloc() -> bool:
    """Give back glibc's dynamic mmap threshold where ``MALLOC_TRIM_THRESHOLD_`` took it
    away; returns whether it changed anything (once per process).

    Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``). Setting any malloc threshold turns off
    glibc's dynamic mmap threshold (mallopt(3): "M_MMAP_THRESHOLD ... dynamic adjustment
    ... disabled if any of M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, or M_MMAP_MAX is
    set"), so every array above 128 KiB is a fresh ``mmap`` that is zero-filled page by
    page and unmapped when freed. A simulation step allocates many such temporaries: on
    the built-in world (256 runs x 365 days) the run took 46 CPU-s with the variable set
    against 15 CPU-s without it (sys time 27.9 s vs 0.8 s), the 5x CPU per chunk seen on
    Dask workers. This sets the thresholds the dynamic rule would reach (mmap 32 MiB, trim
    64 MiB): arrays below 32 MiB are reused from the heap, at most 64 MiB of free heap top
    is kept before it is trimmed. Nothing is done without the variable or off glibc."""
    global _MALLOC_DONE
    if _MALLOC_DONE:
        return False
    _MALLOC_DONE = True
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: no such variable, nothing to undo
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES))


def _on_dask_worker(fn: Callable[..., Any], shared: Any, payload: Any) -> Any:
    """A job on a Dask worker: the worker's malloc made fit for arrays, then the job."""
    arrays_malloc()
    return fn(shared, payload)


class DaskExecutor:
    """A ``distributed.Client`` on a new ``LocalCluster`` of *workers* single-threaded
    processes, or on the cluster at *scheduler*."""

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise BackendError("the dask backend needs dask.distributed: "
                               "pip install 'econsec[cluster]'") from exc
        self.cluster: Any = None
        try:
            if scheduler:
                # how long to wait for the scheduler: Dask's own setting
                # distributed.comm.timeouts.connect (30 s unless configured, e.g.
                # DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s), as for any Dask client
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None)
                self.client = Client(self.cluster)
        except OSError as exc:
            raise BackendError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
        threads = sum(self.client.nthreads().values())
        if threads < 1:
            self.close()
            raise BackendError(f"the Dask cluster at {scheduler} has no workers")
        self.slots = 2 * threads
        self._run = uuid.uuid4().hex[:8]
        self._futures: dict[Any, int] = {}

    def share(self, obj: Any) -> Any:
        return self.client.scatter(obj, broadcast=True, hash=False)

    def submit(self, tag: int, fn: Callable[..., Any], shared: Any, payload: Any) -> None:
        fut = self.client.submit(_on_dask_worker, fn, shared, payload,
                                 key=f"econsec-chunk-{self._run}-{tag}", pure=False)
        self._futures[fut] = tag

    def next_completed(self, timeout: float) -> Completed | None:
        from distributed import wait

        if not self._futures:
            return None
        try:
            done, _ = wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return None
        fut = min(done, key=lambda f: self._futures[f])
        tag = self._futures.pop(fut)
        try:
            if fut.status == "error":
                return tag, None, fut.exception()
            if fut.status == "cancelled":
                return tag, None, ChunkFailed(f"chunk {tag} was cancelled by the cluster")
            return tag, fut.result(), None
        finally:
            fut.release()

    def cancel(self) -> None:
        if self._futures:
            self.client.cancel(list(self._futures))
        self._futures.clear()

    def close(self) -> None:
        self.cancel()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def abort(self) -> None:
        self.close()  # the cluster drops the cancelled tasks itself

    def steps(self) -> int | None:
        return None  # progress by finished chunks


@contextmanager
def open_executor(backend: str = "local", workers: int = 1, scheduler: str | None = None,
                  on_step: Callable[[], None] | None = None,
                  preload: tuple[str, ...] = ()) -> Iterator[Executor]:
    """The executor of *backend* (see :data:`BACKENDS`), closed on exit (aborted, its
    running jobs stopped, when the caller leaves by an exception). With *on_step*, jobs
    in this process (local backend, 1 worker) call it at each step, and jobs in local
    processes count their steps for :meth:`ProcessExecutor.steps`; *preload* names the modules
    local worker processes start with (:func:`~econsec.distributed.processes.worker_context`:
    the jobs' function's, so a worker does not import them before its first job)."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if workers < 1:
        raise BackendError(f"workers must be at least 1 (got {workers})")
    if scheduler and backend != "dask":
        raise BackendError("a scheduler address needs --backend dask")
    ex: Executor
    if backend == "dask":
        ex = DaskExecutor(workers, scheduler)
    elif workers == 1:
        ex = InProcessExecutor(on_step)
    else:
        ex = ProcessExecutor(workers, preload, count_steps=on_step is not None)
    try:
        yield ex
    except BaseException:  # the caller stops: running jobs are not waited for
        ex.abort()
        raise
    ex.close()


def map_ordered(fn: Callable[[Any, Any], Any], shared: Any, payloads: list[Any],
                workers: int = 1, preload: tuple[str, ...] = ()) -> list[Any]:
    """``[fn(shared, p) for p in payloads]`` on the local backend: in this process with one
    worker, else on ``min(workers, len(payloads))`` processes that receive *shared* once
    (*preload*: as for :func:`open_executor`), the results in the order of *payloads*.
    The first job's error found is raised (the others are cancelled or finish)."""
    n = max(1, min(workers, len(payloads)))
    done: dict[int, Any] = {}
    with open_executor("local", n, preload=preload) as ex:
        handle = ex.share(shared)
        for i, payload in enumerate(payloads):
            ex.submit(i, fn, handle, payload)
        while len(done) < len(payloads):
            got = ex.next_completed(timeout=1.0)
            if got is None:
                continue
            tag, result, exc = got
            if exc is not None:
                raise exc
            done[tag] = result
    return [done[i] for i in range(len(payloads))]
