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

from econsec.distributed.processes import adopt_environ, environ, worker_context

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
