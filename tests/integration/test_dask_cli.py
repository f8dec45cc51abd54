"""``econsec simulate ... --backend dask --scheduler ADDRESS`` against a scheduler started
here: the same bytes as the local backend, and the scheduler really ran the chunks."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="dask.distributed is not installed (econsec[cluster])")

SRC = Path(__file__).resolve().parents[2] / "src"
CMD = ["simulate", "chn_ga_ge_2023", "--runs", "64", "--seed", "5", "--no-store",
       "--format", "json"]


def _cli(*args: str) -> bytes:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from econsec.cli.app import main; sys.exit(main())",
         *args], capture_output=True, env=env, timeout=900, check=False)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    return out.stdout


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
    assert local.lstrip().startswith(b"[")  # a JSON table, not an empty answer
    # 64 runs in chunks of 128: one chunk, run by the scheduler's workers
    assert len(keys) == 1 and keys[0].endswith("-0")


def test_unreachable_scheduler_is_a_named_error() -> None:
    # Dask's connect timeout (the wait for a scheduler that is not there) shortened to 2 s
    # through Dask's own configuration, which the client reads
    env = dict(os.environ, PYTHONPATH=str(SRC), DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s")
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from econsec.cli.app import main; sys.exit(main())",
         "simulate", "chn_ga_ge_2023", "--runs", "2", "--no-store", "--backend", "dask",
         "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, env=env, timeout=300,
        check=False)
    assert out.returncode == 2
    assert b"cannot reach the Dask scheduler tcp://127.0.0.1:9" in out.stderr
