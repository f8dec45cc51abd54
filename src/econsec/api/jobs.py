"""Scenario runs for the API: worker processes, progress and cancel, results in the store.

Runs execute in a :class:`concurrent.futures.ProcessPoolExecutor` of *workers* processes
(forked by a helper process that imported the runner once, on Linux, or spawned; never a
fork of the threaded server:
:mod:`econsec.distributed.processes`), so the server's own process keeps
answering analysis requests while simulations run. Each worker loads the world once (the
server's world, pickled, or the built-in one).

Progress and cancel cross the process boundary through two shared arrays with one *slot*
per active job (``max_active`` slots): the worker writes ``progress[slot]`` (-1 queued,
then 0-1) and the engine's cancel check reads ``cancel[slot]``. A finished run's frames
come back to the server, which stores them in the DuckDB store
(:func:`econsec.data.runs.save_frames`, ``origin='api'``) and keeps only the job's status
and stored run id in memory; the store then holds the newest *keep_runs* API runs
(:func:`econsec.data.runs.prune_runs`; 0 keeps all). Every use of the store by the server
goes through :meth:`RunStore.session` (one connection at a time, opened and closed per use,
so ``econsec runs list`` can read the store while the server is idle); a store held by
another process (an import) raises :class:`StoreBusy`.
"""

from __future__ import annotations

import contextlib
import enum
import os
import pickle
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from econsec.distributed.processes import adopt_environ, environ, worker_context
from econsec.errors import EconsecError, StoreError

if TYPE_CHECKING:
    from econsec.data.store import Store
    from econsec.data.world import World
    from econsec.policy.runner import RunOutput

#: seconds the server retries storing a finished run while another process holds the store
STORE_RETRY_SECONDS = 30.0


class StoreBusy(EconsecError):
    """The run store cannot be opened now (another process holds it, or it is unreadable);
    the message names neither the path nor the process."""


class RunStore:
    """The DuckDB store the server keeps runs in, opened one use at a time under a lock."""

    def __init__(self, path: Path | None = None) -> None:
        from econsec.data.store import Store

        self.path = Path(path) if path is not None else Store.default_path()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def session(self) -> Iterator[Store]:
        """An open store (StoreBusy when it cannot be opened); closed on exit."""
        from econsec.data.store import Store

        with self._lock:
            try:
                store = Store(self.path)
            except StoreError as exc:
                print(f"econsec serve: run store unavailable: {exc}", file=sys.stderr)
                raise StoreBusy("the run store is busy (another econsec process is using "
                                "it, e.g. an import); try again in a moment") from None
            try:
                yield store
            finally:
                store.close()


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


@dataclass
class Job:
    """A run the server started: its status and, once stored, the stored run's id."""

    id: str
    scenario: str
    params: dict[str, Any]
    slot: int
    manager: JobManager = field(repr=False)
    status: JobStatus = JobStatus.queued
    created: float = field(default_factory=time.time)
    finished: float | None = None
    error: str | None = None
    run_id: str | None = None
    _progress: float = 0.0

    @property
    def progress(self) -> float:
        if self.status is JobStatus.done:
            return 1.0
        if self.active:
            value = self.manager.progress_of(self.slot)
            if value >= 0 and self.status is JobStatus.queued:
                self.status = JobStatus.running
            self._progress = max(self._progress, min(1.0, max(0.0, value)))
        return self._progress

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.queued, JobStatus.running)

    def cancel(self) -> None:
        self.manager.cancel(self)


class JobManager:
    """Runs jobs in *workers* processes; refuses new ones beyond *max_active* queued or
    running (OverflowError); stores finished runs in *store*, keeping *keep_runs*."""

    def __init__(self, store: RunStore, world: World | None = None, *, workers: int = 2,
                 max_active: int = 16, keep_runs: int = 500, keep_jobs: int = 200) -> None:
        self.store, self.workers, self.max_active = store, workers, max_active
        self.keep_runs, self.keep_jobs = keep_runs, keep_jobs
        self._world_bytes = pickle.dumps(world) if world is not None else None
        ctx = worker_context(WORKER_PRELOAD)
        self._ctx = ctx
        self._progress = ctx.Array("d", [-1.0] * max_active, lock=False)
        self._cancel = ctx.Array("b", [0] * max_active, lock=False)
        self._free = list(range(max_active))
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()  # one pool, whichever thread asks first

    def _executor(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=self._ctx, initializer=_init_worker,
                    initargs=(self._world_bytes, self._progress, self._cancel, environ()))
            return self._pool

    def warm(self) -> list[Future[int]]:
        """Start the worker processes now, each loading the world and running a tiny replay
        (:func:`_warm`), so the first runs do not wait for the helper, the workers, the
        world and their first-run costs (on the development machine a first run posted
        5 s after start-up took 0.8 s instead of 2.5 s). ``econsec serve`` calls it in a
        thread at start-up. Returns the warm-up tasks."""
        pool = self._executor()
        # submitted back to back: no worker is idle yet, so each starts a process
        return [pool.submit(_warm) for _ in range(self.workers)]

    def progress_of(self, slot: int) -> float:
        return float(self._progress[slot])

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.active)

    def submit(self, scenario: str, params: dict[str, Any],
               yaml_text: str | None = None) -> Job:
        """Queue a run of shipped *scenario* with *params* (runs, seed, horizon_days); with
        *yaml_text* (a scenario built in the dashboard, validated by the scenario loader)
        the run is of that text, named *scenario*."""
        with self._lock:
            if not self._free:
                raise OverflowError(f"{self.max_active} runs already queued or running")
            slot = self._free.pop(0)
            self._progress[slot], self._cancel[slot] = -1.0, 0
            job = Job(uuid.uuid4().hex, scenario, dict(params), slot, self)
            self._jobs[job.id] = job
            finished = [k for k, j in self._jobs.items() if not j.active]
            for k in finished[: max(0, len(self._jobs) - self.keep_jobs)]:
                del self._jobs[k]
        try:
            fut = self._executor().submit(_work, slot, scenario, int(params["runs"]),
                                          int(params["seed"]), params.get("horizon_days"),
                                          yaml_text, self.store.path)
        except Exception as exc:
            self._finish(job, JobStatus.failed, f"{type(exc).__name__}: {exc}")
            raise
        fut.add_done_callback(lambda f: self._done(job, f))
        return job

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.active:
                self._cancel[job.slot] = 1
        if job.status is JobStatus.queued and self.progress_of(job.slot) < 0:
            self._finish(job, JobStatus.cancelled)

    def _finish(self, job: Job, status: JobStatus, error: str | None = None) -> None:
        with self._lock:
            if not job.active:
                return
            job.status, job.error, job.finished = status, error, time.time()
            self._free.append(job.slot)

    def _done(self, job: Job, fut: Future[dict[str, Any]]) -> None:
        from econsec.simulation.engine import SimulationCancelled

        if fut.cancelled():
            self._finish(job, JobStatus.cancelled)
            return
        exc = fut.exception()
        if isinstance(exc, SimulationCancelled) or (exc is None and self._cancel[job.slot]):
            self._finish(job, JobStatus.cancelled)
            return
        if exc is not None:
            self._finish(job, JobStatus.failed, f"{type(exc).__name__}: {exc}")
            return
        try:
            job.run_id = self._save(fut.result())
        except StoreBusy as busy:
            self._finish(job, JobStatus.failed, str(busy))
        except Exception as err:  # reported to the client; the server keeps running
            self._finish(job, JobStatus.failed, f"{type(err).__name__}: {err}")
        else:
            self._finish(job, JobStatus.done)

    def _save(self, payload: dict[str, Any]) -> str:
        """Store *payload* (see :func:`_work`), retrying while the store is busy."""
        from econsec.data.runs import RunRecord, prune_runs, save_frames

        record = RunRecord(**payload["record"])
        deadline = time.monotonic() + STORE_RETRY_SECONDS
        while True:
            try:
                with self.store.session() as st:
                    run_id = save_frames(st, record, payload["frames"], origin="api")
                    prune_runs(st, self.keep_runs, origin="api")
                return run_id
            except StoreBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every job and stop the worker processes: each running run stops at its
        next step (its cancel flag), queued ones are dropped; a worker still alive after
        *timeout* seconds is terminated, so none outlives the server (an orphaned worker
        held ~200 MB after ``econsec serve`` was stopped)."""
        for j in self.list():
            j.cancel()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        # exit is read from each process's sentinel, not is_alive(): the executor's own
        # thread joins the same processes, and a child it has just reaped can look
        # alive to a second waiter (waitpid fails with ECHILD before returncode is set)
        left = _wait_exit(procs, timeout)
        for proc in left:
            proc.terminate()
        left = _wait_exit(left, 5.0)
        for proc in left:
            proc.kill()
        _wait_exit(left, 5.0)


def exited(proc: Any) -> bool:
    """Whether process *proc* has exited (its sentinel is ready; safe whoever reaps it)."""
    from multiprocessing.connection import wait

    return bool(wait([proc.sentinel], 0))


def _wait_exit(procs: list[Any], timeout: float) -> list[Any]:
    """Wait up to *timeout* seconds for *procs* to exit; return those still running."""
    from multiprocessing.connection import wait

    deadline = time.monotonic() + timeout
    left = [p for p in procs if not exited(p)]
    while left and (remaining := deadline - time.monotonic()) > 0:
        wait([p.sentinel for p in left], remaining)
        left = [p for p in left if not exited(p)]
    return left


# -- in the worker processes ---------------------------------------------------------

_WORKER: dict[str, Any] = {}

#: niceness added to each simulation worker process (Unix): the kernel's scheduler then
#: gives the server's own process about 9 parts of a contended core to a worker's 1
#: (CFS weights 1024 for nice 0 and 110 for nice 10), so analysis requests stay fast
#: while simulations run; an idle core still runs a simulation at full speed
WORKER_NICE = 10


#: the modules a simulation worker runs (:func:`_work`), imported once by the helper that
#: forks the workers, and the compiled kernels loaded there (:mod:`econsec.simulation.preload`)
WORKER_PRELOAD = ("econsec.policy.runner", "econsec.policy.skill", "econsec.data.world",
                  "econsec.simulation.preload")


def _init_worker(world_bytes: bytes | None, progress: Any, cancel: Any,
                 env: dict[str, str] | None = None) -> None:
    adopt_environ(env)
    _WORKER.update(world_bytes=world_bytes, progress=progress, cancel=cancel)
    if hasattr(os, "nice"):
        os.nice(WORKER_NICE)


def _world() -> World:
    if "world" not in _WORKER:
        from econsec.data.world import load_world

        wb = _WORKER.get("world_bytes")
        _WORKER["world"] = pickle.loads(wb) if wb is not None else load_world()
    world: World = _WORKER["world"]
    return world


#: the shipped replay a worker runs once when warmed (one run, one day, discarded)
WARM_SCENARIO = "jpn_kor_2019"


def _warm() -> int:
    """A warm-up task: load the world in this worker and pay the first run's one-off costs
    (a one-run, one-day :data:`WARM_SCENARIO` through :func:`_work`'s path,
    :func:`_payload` included, about 0.3 s beyond a later run's, discarded; skipped for a
    world that cannot resolve it); returns the worker's pid."""
    from econsec.policy.runner import run_scenario

    world = _world()
    with contextlib.suppress(EconsecError):  # a world without its goods or measures
        _payload(run_scenario(WARM_SCENARIO, world, runs=1, seed=0, horizon_days=1))
    return os.getpid()


class _SlotCancel:
    """The engine's cancel event for one slot (reads the shared flag)."""

    def __init__(self, slot: int) -> None:
        self.slot = slot

    def is_set(self) -> bool:
        return bool(_WORKER["cancel"][self.slot])


def _work(slot: int, scenario: str, runs: int, seed: int, horizon_days: int | None,
          yaml_text: str | None = None, db: Path | None = None) -> dict[str, Any]:
    """Run shipped *scenario* (or, given *yaml_text*, that scenario text, loaded by the
    same loader as the files) in a worker; the frames to store (engine frames, and a
    replay's outcome checks and skill scores) and the run's record. *db*: the server's
    store, where a scenario on the ICIO network finds the imported table."""
    from econsec.policy.runner import run_scenario
    from econsec.policy.scenarios import Scenario, load_scenario_text
    from econsec.simulation.engine import SimulationCancelled

    progress, cancel = _WORKER["progress"], _SlotCancel(slot)
    if cancel.is_set():
        raise SimulationCancelled("cancelled before it started")
    progress[slot] = 0.0

    def report(frac: float) -> None:
        progress[slot] = max(progress[slot], min(1.0, float(frac)))

    what: Scenario | str = (scenario if yaml_text is None
                            else load_scenario_text(yaml_text, scenario, _world()))
    out = run_scenario(what, _world(), runs=runs, seed=seed, horizon_days=horizon_days,
                       progress=report, cancel=cancel, db=db)  # type: ignore[arg-type]
    return _payload(out)


def _payload(out: RunOutput) -> dict[str, Any]:
    """What a worker hands back of a run (:func:`_work`): the frames to store (engine
    frames, and a replay's outcome checks and skill scores) and the run's record."""
    from econsec.policy.skill import score_outcomes

    frames = dict(out.to_frames())
    if out.scenario.outcomes:
        frames["outcomes"] = out.outcomes
        frames["skill"] = score_outcomes(out.scenario, out.result)
    sc = out.scenario
    return {"record": {"scenario": sc.name, "scenario_yaml": sc.text,
                       "world_version": out.world_version, "runs": out.runs,
                       "seed": out.seed, "horizon_days": int(sc.horizon_days),
                       "step_days": int(sc.step_days)},
            "frames": frames}
