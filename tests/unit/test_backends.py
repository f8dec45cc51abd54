"""Backends of the Monte Carlo engine (``econsec.distributed``): identical bytes whatever
the backend, worker count and chunking; records streamed to Parquet with bounded memory;
cancellation; a failing chunk retried once, then a named error with nothing left behind.

The reference in every comparison is the plain in-process run (local backend, 1 worker,
one chunk per 3 runs), itself equal to the engine before records were streamed (checked
byte for byte on the CLI's CSV output of chn_ga_ge_2023, 300 runs, seed 5, when the
streaming was introduced).
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from econsec.distributed.executors import BackendError, ChunkFailed
from econsec.simulation.engine import SimulationCancelled, _chunk_records, simulate
from econsec.simulation.records import RunRecords

HAS_DISTRIBUTED = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DISTRIBUTED,
                                reason="dask.distributed is not installed (econsec[cluster])")
RUNS = 10


@functools.cache
def _scenario() -> tuple[Any, Any]:
    from econsec.data.world import load_world
    from econsec.policy.scenarios import resolve_scenario

    w = load_world()
    sc = resolve_scenario("chn_ga_ge_2023", w).with_overrides(horizon="60d")
    return sc.to_spec(w), w


def _csv(res: Any) -> dict[str, bytes]:
    return {name: frame.to_csv(index=False).encode()
            for name, frame in res.to_frames().items()}


def _run(**kw: Any) -> Any:
    spec, w = _scenario()
    kw.setdefault("chunk_runs", 3)
    return simulate(spec, w, runs=RUNS, seed=5, **kw)


@functools.cache
def _reference() -> dict[str, bytes]:
    return _csv(_run())


def test_local_worker_counts_and_chunkings_give_identical_bytes() -> None:
    ref = _reference()
    assert set(ref) == {"timeseries", "summary", "diversion", "trade", "parameters", "prices"}
    assert _csv(_run(workers=2)) == ref
    assert _csv(_run(workers=2, chunk_runs=4)) == ref
    assert _csv(_run(chunk_runs=RUNS)) == ref


@needs_dask
def test_dask_local_cluster_gives_identical_bytes() -> None:
    assert _csv(_run(backend="dask", workers=2)) == _reference()


def test_quantiles_from_small_blocks_equal_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget of 5 cells per block (5 x 10 runs x 8 bytes = 400 bytes) reads the records
    in many blocks; no block read back is larger than the budget, and the frames are the
    same bytes as with one large block."""
    budget = 5 * RUNS * 8
    ref = _reference()  # before the spy: the reference reads one large block (any order)
    seen: list[int] = []
    blocks = RunRecords.blocks

    def spy(self: RunRecords, field: str) -> Any:
        for b in blocks(self, field):
            seen.append(b.astype("float64").nbytes)
            yield b

    monkeypatch.setattr(RunRecords, "blocks", spy)
    res = _run(block_budget=budget)
    frames = {k: _csv(res)[k] for k in ("summary", "diversion")}
    assert frames == {k: ref[k] for k in ("summary", "diversion")}
    assert seen and max(seen) <= budget
    assert len(seen) > 10  # 319 nodes / 5 per block, at least


def _live_chunk_results() -> int:
    return sum(1 for o in gc.get_objects()
               if isinstance(o, dict) and "share_end" in o and "days" in o)


def test_parent_holds_few_chunk_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """12 chunks of 1 run on 2 local processes: the parent keeps at most the chunks in
    flight (2 per worker = 4) plus the one being written; holding every result until the
    end would reach 12."""
    counts: list[int] = []
    write = RunRecords.write_chunk

    def spy(self: RunRecords, i: int, arrays: dict[str, Any]) -> None:
        counts.append(_live_chunk_results())
        write(self, i, arrays)

    monkeypatch.setattr(RunRecords, "write_chunk", spy)
    spec, w = _scenario()
    simulate(spec, w, runs=12, seed=5, chunk_runs=1, workers=2)
    assert len(counts) == 12
    assert max(counts) <= 5


def test_records_are_written_to_the_given_folder(tmp_path: Path) -> None:
    res = _run(records_dir=tmp_path / "run")
    # 10 runs in chunks of 3: 4 chunk files per field
    assert len(list((tmp_path / "run" / "loss").glob("chunk-*.parquet"))) == 4
    assert (tmp_path / "run" / "records.json").is_file()
    assert not list((tmp_path / "run").rglob("*.part"))
    assert res.recorder.loss.shape[0] == RUNS


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_the_run_and_removes_its_records(tmp_path: Path, workers: int) -> None:
    stop = threading.Event()
    seen: list[float] = []

    def progress(f: float) -> None:
        seen.append(f)
        stop.set()

    with pytest.raises(SimulationCancelled):
        _run(records_dir=tmp_path / "run", progress=progress, cancel=stop, workers=workers)
    assert seen and max(seen) < 1.0
    assert not (tmp_path / "run").exists()


# a chunk that fails: the 1-run chunk of 10 runs in chunks of 3 (runs 9-9)
def failing_chunk(shared: Any, params: Any, on_step: Any = None) -> dict[str, Any]:
    if params.runs == 1:
        raise RuntimeError("worker lost its disk")
    return _chunk_records(shared, params)


def flaky_chunk(shared: Any, params: Any, on_step: Any = None) -> dict[str, Any]:
    """Fails the first time it sees the 1-run chunk (a marker file records that)."""
    marker = Path(os.environ["ECONSEC_TEST_FLAKY"])
    if params.runs == 1 and not marker.exists():
        marker.write_text("failed once")
        raise RuntimeError("transient failure")
    return _chunk_records(shared, params)


@pytest.mark.parametrize("backend,workers", [("local", 1), ("local", 2),
                                             pytest.param("dask", 2, marks=needs_dask)])
def test_failing_chunk_is_a_named_error_and_leaves_nothing(
        tmp_path: Path, backend: str, workers: int) -> None:
    with pytest.raises(ChunkFailed, match=r"chunk 3 \(runs 9-9\).*worker lost its disk"):
        _run(records_dir=tmp_path / "run", chunk_fn=failing_chunk, backend=backend,
             workers=workers)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_chunk_that_fails_once_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            workers: int) -> None:
    marker = tmp_path / "flaky"
    monkeypatch.setenv("ECONSEC_TEST_FLAKY", str(marker))
    res = _run(chunk_fn=flaky_chunk, workers=workers)
    assert marker.read_text() == "failed once"
    assert _csv(res) == _reference()


def test_unknown_backend_and_bad_options_are_named_errors() -> None:
    with pytest.raises(BackendError, match="unknown backend 'spark'"):
        _run(backend="spark")
    with pytest.raises(BackendError, match="workers must be at least 1"):
        _run(workers=0)
    with pytest.raises(BackendError, match="scheduler address needs --backend dask"):
        _run(scheduler="tcp://127.0.0.1:1")


def test_chunks_shrink_on_large_networks_to_bound_memory() -> None:
    from econsec.simulation.engine import (
        CHUNK_MEMORY,
        CHUNK_RUNS,
        STATE_BYTES_PER_FLOW_RUN,
        auto_chunk_runs,
    )

    assert (CHUNK_MEMORY, STATE_BYTES_PER_FLOW_RUN, CHUNK_RUNS) == (2**30, 120, 128)
    # built-in world (about 2,100 flows): 2**30 / (120 x 2,123) = 4,214 -> capped at 128
    assert auto_chunk_runs(2_123) == 128
    # pruned ICIO network: 2**30 / (120 x 1,258,046) = 7.11 -> 7 runs per chunk
    assert auto_chunk_runs(1_258_046) == 7
    # full ICIO network, 9.8 million flows: 2**30 / (120 x 9,808,535) = 0.91 -> at least 1
    assert auto_chunk_runs(9_808_535) == 1


def test_auto_workers_opens_one_process_per_cpu_and_keeps_the_bytes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from simhelpers import count_workers

    ref = _reference()
    opened = count_workers(monkeypatch, cpus=2)
    assert _csv(_run(workers=None)) == ref  # several chunks: 2 processes
    assert _csv(_run(workers=None, chunk_runs=RUNS)) == ref  # one chunk: in this process
    assert opened == [2, 1]
    # chunks left to the engine: 10 runs in one chunk in this process (auto), or on 2
    # workers as 5 + 5 (not one chunk of 10 and an idle worker)
    one = _run(workers=None, chunk_runs=None)
    two = _run(workers=2, chunk_runs=None)
    assert _csv(one) == _csv(two) == ref and opened == [2, 1, 1, 2]
    assert one.recorder.chunks == [slice(0, 10)]
    assert two.recorder.chunks == [slice(0, 5), slice(5, 10)]


def _sleep_or_fail(shared: Any, payload: str) -> str:
    if payload == "fail":
        raise ValueError("boom")
    time.sleep(60)
    return payload


def test_an_error_stops_the_other_jobs_at_once() -> None:
    # a job fails while another still runs: the error is raised without waiting for the
    # running job (its worker is terminated: waiting would take the job's 60 s)
    from econsec.distributed.executors import map_ordered

    t0 = time.monotonic()
    with pytest.raises(ValueError, match="boom"):
        map_ordered(_sleep_or_fail, None, ["sleep", "fail"], workers=2)
    assert time.monotonic() - t0 < 30


def slow_chunk(shared: Any, params: Any, on_step: Any = None) -> dict[str, Any]:
    """A chunk whose steps take 10 ms more each (long enough to be seen mid-way)."""
    def step() -> None:
        time.sleep(0.01)
        if on_step is not None:
            on_step()

    return _chunk_records(shared, params, step)


def test_progress_counts_the_workers_steps_between_chunks() -> None:
    # 2 chunks on 2 processes (60 steps each): the progress moves while both run, not only
    # when a chunk ends (0.5), and never backwards
    seen: list[float] = []
    res = _run(chunk_fn=slow_chunk, chunk_runs=5, workers=2, progress=seen.append)
    assert _csv(res) == _reference()
    assert any(0.0 < f < 0.5 for f in seen), seen
    assert seen == sorted(seen) and seen[-1] == 1.0
