"""``econsec simulate ... --backend dask --scheduler ADDRESS`` against a scheduler started
here: the same bytes as the local backend, and the scheduler really ran the chunks. The
commands run in this process (typer's CliRunner, as the other CLI tests), so the
scheduler's workers are the only new processes."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from typer.testing import CliRunner

from econsec.cli.app import app

pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="dask.distributed is not installed (econsec[cluster])")

CMD = ["simulate", "chn_ga_ge_2023", "--runs", "64", "--seed", "5", "--no-store",
       "--format", "json"]


def _cli(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, (res.stderr or res.output)[-2000:]
    return res.stdout


def _chunk_keys(dask_scheduler: Any) -> list[str]:
    """Names of the econsec chunk tasks that reached memory on this scheduler."""
    return sorted({str(t[0]) for t in dask_scheduler.transition_log
                   if str(t[0]).startswith("econsec-chunk-") and t[2] == "memory"})


def test_dask_scheduler_gives_the_local_bytes_and_runs_the_chunks() -> None:
    from distributed import Client, LocalCluster

    local = _cli(*CMD, "--backend", "local")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert client.run_on_scheduler(_chunk_keys) == []
        remote = _cli(*CMD, "--backend", "dask", "--scheduler", cluster.scheduler_address)
        keys = client.run_on_scheduler(_chunk_keys)
    assert remote == local
    assert local.lstrip().startswith("[")  # a JSON table, not an empty answer
    # 64 runs in chunks of 128: one chunk, run by the scheduler's workers
    assert len(keys) == 1 and keys[0].endswith("-0")


def test_unreachable_scheduler_is_a_named_error() -> None:
    import dask

    # Dask's connect timeout (the wait for a scheduler that is not there) shortened to 2 s
    # through Dask's own configuration, which the client reads
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        res = CliRunner().invoke(app, ["simulate", "chn_ga_ge_2023", "--runs", "2",
                                       "--no-store", "--backend", "dask", "--scheduler",
                                       "tcp://127.0.0.1:9"])
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in " ".join(res.stderr.split())
