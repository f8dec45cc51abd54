"""The core install (no extras) runs `econsec brief`; a feature of a missing extra says
which extra to install.  The extras' packages are hidden from a child interpreter by a
meta-path finder, as if `pip install econsec` had been run without them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTRAS_ONLY = ("matplotlib", "fastapi", "uvicorn", "starlette", "dask", "distributed",
               "httpx", "networkx")

CHILD = """
import sys
HIDDEN = set(sys.argv[1].split(","))
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ImportError(f"{name} hidden (not installed)")
        return None
sys.meta_path.insert(0, Hide())
sys.argv = ["econsec", *sys.argv[2:]]
from econsec.cli.app import main
main()
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECONSEC_DB": str(tmp_path / "s.duckdb"), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-c", CHILD, ",".join(EXTRAS_ONLY), *args],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)


@pytest.mark.slow  # the terminal brief in a fresh interpreter
def test_brief_runs_on_the_core_install(tmp_path: Path) -> None:
    result = _run(tmp_path, "brief", "--top", "3", "--runs", "2")
    assert result.returncode == 0, result.stderr
    assert "CHN" in result.stdout
    # --runs reaches the terminal brief's replays (it was read by reports only)
    assert "median of 2 runs" in " ".join(result.stdout.split())


def test_missing_extras_are_named(tmp_path: Path) -> None:
    html = _run(tmp_path, "brief", "--top", "1", "--runs", "1", "--out", "b.html")
    assert html.returncode != 0 and "Traceback" not in html.stderr
    assert "pip install 'econsec[report]'" in " ".join(html.stderr.split())
    serve = _run(tmp_path, "serve", "--port", "1")
    assert serve.returncode != 0 and "Traceback" not in serve.stderr
    assert "pip install 'econsec[server]'" in " ".join(serve.stderr.split())


def test_extras_and_core_dependencies() -> None:
    """The core declares none of the extras' packages; dev pulls in every extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for name in EXTRAS_ONLY:
        assert name not in core, name
    extras = project["optional-dependencies"]
    assert set(extras) >= {"server", "report", "cluster", "dev"}
    assert "econsec[server,report,cluster]" in extras["dev"]
    assert project["requires-python"] == ">=3.11"
    for spec in project["dependencies"]:
        assert ">=" in spec and "==" not in spec and "<" not in spec, spec


@pytest.mark.parametrize("lock", ["dev.lock", "lowest-py311.lock"])
def test_lock_files_pin_with_hashes(lock: str) -> None:
    text = (ROOT / "requirements" / lock).read_text()
    pins = [line for line in text.splitlines() if line and line[0].isalpha()]
    assert pins and all("==" in line for line in pins)
    assert text.count("--hash=sha256:") >= len(pins)
