"""Asynchronous scenario runs for the API: a small thread pool, progress and cancel.

A :class:`Job` is created by :meth:`JobManager.submit` and runs in a worker thread; its
``progress`` (0-1) is updated by the engine's callback, ``cancel()`` sets an event the
engine checks between steps. Finished jobs are kept (newest :attr:`JobManager.keep`) so
their results can be downloaded as CSV or XLSX.
"""

from __future__ import annotations

import enum
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from econsec.policy.runner import RunOutput
from econsec.simulation.engine import SimulationCancelled


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


@dataclass
class Job:
    id: str
    scenario: str
    params: dict[str, Any]
    status: JobStatus = JobStatus.queued
    progress: float = 0.0
    created: float = field(default_factory=time.time)
    finished: float | None = None
    error: str | None = None
    output: RunOutput | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancel_event.set()
        if self.status is JobStatus.queued:
            self.status = JobStatus.cancelled
            self.finished = time.time()

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.queued, JobStatus.running)


Runner = Callable[[Callable[[float], None], threading.Event], RunOutput]


class JobManager:
    """Runs jobs on *workers* threads; refuses new ones beyond *max_active* queued/running."""

    def __init__(self, workers: int = 2, max_active: int = 16, keep: int = 50) -> None:
        self.workers = workers
        self.max_active = max_active
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="econsec-run")
        return self._pool

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.active)

    def submit(self, scenario: str, params: dict[str, Any], runner: Runner) -> Job:
        """Queue *runner(progress, cancel_event)*; OverflowError when too many are active."""
        job = Job(id=uuid.uuid4().hex, scenario=scenario, params=params)
        with self._lock:
            if sum(1 for j in self._jobs.values() if j.active) >= self.max_active:
                raise OverflowError(f"{self.max_active} runs already queued or running")
            self._jobs[job.id] = job
            self._evict()
        self._executor().submit(self._run, job, runner)
        return job

    def _evict(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.active]
        for k in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[k]

    def _run(self, job: Job, runner: Runner) -> None:
        if job.cancel_event.is_set():
            job.status, job.finished = JobStatus.cancelled, time.time()
            return
        job.status = JobStatus.running

        def progress(frac: float) -> None:
            job.progress = max(job.progress, min(1.0, float(frac)))

        try:
            out = runner(progress, job.cancel_event)
        except SimulationCancelled:
            job.status = JobStatus.cancelled
        except Exception as exc:  # reported to the client, the server keeps running
            job.status, job.error = JobStatus.failed, f"{type(exc).__name__}: {exc}"
        else:
            if job.cancel_event.is_set():
                job.status = JobStatus.cancelled
            else:
                job.output, job.progress, job.status = out, 1.0, JobStatus.done
        job.finished = time.time()

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self) -> None:
        for j in self.list():
            j.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
