"""Every command of README.md's "What you can ask" block and every ``Example(s):`` of every
``--help`` runs: no traceback, no empty answer without a reason (issue 14, item 1).

Commands run in-process (typer's CliRunner) against a temporary store (``ECONSEC_DB``);
the datasets they import come from ``../shared/data`` (skipped, with the reason, when it
is absent). Placeholders (``<id>``, ``ID``) and paths (``~/data/X``, ``data/wiod2013``)
are replaced by real values; simulations and ablations run with ``--runs 2`` (an ablation
on one replay); the replays read the session's runs of the replay tests (``shared_runs``:
20 runs, seed 0, computed once). A command that reads the WIOD panel or the OECD ICIO
table runs on a copy of the session's store of that dataset (``wiod_db``, ``icio_db`` in
tests/conftest.py: imported once per test process by the importer ``data import`` calls);
any other dataset a command needs is imported into the module's store before the first
such command (again after a ``data`` command that touched it; a ``data import`` of the
whole folder counts as that import). ``econsec brief --out`` writes the session's brief
(``shared_brief``) and the terminal brief reuses the session's replays and forward run
(``shared_brief_runs``): building them is tested in tests/api/test_brief.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import econsec
from econsec.cli.app import app

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO.parent / "shared" / "data").resolve()

#: runs and seed of `econsec replays` here: the replay tests' (shared with them)
SHARED_RUNS, SHARED_SEED = 20, 0

#: Commands not run, with the reason.
EXCLUDED = {
    "econsec serve": "starts a server that does not return",
    "econsec serve --port 8000": "starts a server that does not return",
}
#: Commands that answer with a named error today, with the reason (to fix elsewhere).
KNOWN_ERRORS: dict[str, str] = {}  # README command -> why it is expected to fail (none)
#: Dataset folder (in ../shared/data) each command needs imported first.
NEEDS = {"--source wiod": ("wiod", "wiod2013"), "--source baci": ("baci", None),
         "--source trade": ("baci", None), "rca CHN --year 2024": ("baci", None),
         "rca CHN --year 2022": ("baci", None), "data show usgs": ("usgs", "usgs_mcs"),
         "--source icio": ("icio", "oecd_icio2022_sanction_simulator")}
#: Datasets read from a copy of the session's store (tests/conftest.py: the same importer,
#: the same folder and arguments as `econsec data import <dataset> <folder>`)
SESSION_STORES = {"wiod": "wiod_db", "icio": "icio_db"}


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## What you can ask", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        cmd = line.split("#", 1)[0].strip()
        for part in cmd.split(" | "):  # "runs list | runs show ID | ..."
            part = part.strip()
            if part:
                out.append(part if part.startswith("econsec") else f"econsec {part}")
    return out


def _help_examples() -> list[str]:
    import typer.main

    cmds: list[str] = []
    group = typer.main.get_command(app)

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        doc = re.sub(r"\s+", " ", (cmd.help or "") + " " + (getattr(cmd, "epilog", "") or ""))
        if "Example" in doc:
            found = re.findall(r"`(econsec [^`]+)`", doc) or re.findall(
                r"Examples?: (econsec [^&;]+?)(?: && | ?$)", doc)
            cmds.extend(c.strip().rstrip(".,") for c in found)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(group, [])
    return cmds


def all_commands() -> list[str]:
    return list(dict.fromkeys(_readme_commands() + _help_examples()))


def _resolve(cmd: str, tmp: Path) -> tuple[list[str] | None, str]:
    """argv for *cmd* with placeholders filled, or None and the reason to skip."""
    if cmd in EXCLUDED:
        return None, EXCLUDED[cmd]
    args = shlex.split(cmd)[1:]
    fixed: list[str] = []
    for a in args:
        if a.startswith(("~/data/", "../shared/data/", "data/")) or a == "../shared/data":
            name = re.sub(r"^(~/data/?|\.\./shared/data/?|data/)", "", a)
            if not SHARED.is_dir():
                return None, f"needs ../shared/data (not found at {SHARED})"
            path = SHARED / name
            if not path.exists():
                return None, f"needs {path} (not in ../shared/data)"
            a = str(path)
        elif a in ("<id>",):
            a = "chn_2023_gallium_germanium"
        elif re.fullmatch(r"ID|A|B|RUN_[AB]|\d{8}-\d{4}", a):
            return None, "needs the id of a stored run (placeholder in the example)"
        elif fixed[-1:] == ["--world"] and a == "my_world":
            # the folder `world build --out my_world` writes: byte-identical to the shipped
            # world (tests/integration/test_world_build.py), which stands in for it here
            a = str(Path(econsec.__file__).parent / "data" / "world")
        elif a.startswith("tcp://"):
            return None, "needs a running Dask scheduler (an address in the example)"
        elif a == "my_scenario.yaml":
            return None, "placeholder for the user's own scenario file"
        elif a.endswith((".html", ".csv", ".json", ".xlsx", ".duckdb", ".parquet")) or (
                fixed[-1:] == ["--out"] and not Path(a).is_absolute()):
            a = str(tmp / Path(a).name)  # outputs (files or folders) never in the checkout
        fixed.append(a)
    # the replays (not an ablation) read the session's runs (shared_runs), at the replay
    # tests' runs and seed (tests/scenarios/test_replays.py): run once per session
    shared = fixed[:1] == ["replays"] and "--ablation" not in fixed
    runs = str(SHARED_RUNS) if shared else "2"
    for i, a in enumerate(fixed):
        if a == "--runs" and i + 1 < len(fixed):
            fixed[i + 1] = runs
        if shared and a == "--seed" and i + 1 < len(fixed):
            fixed[i + 1] = str(SHARED_SEED)
    if fixed[:1] in (["simulate"], ["replays"]) and "--runs" not in fixed:
        fixed += ["--runs", runs]
    if fixed[:1] == ["replays"] and "--ablation" in fixed and "--scenario" not in fixed:
        # every replay once per mechanism switched off (72 replay runs, ~70 s even at 2
        # runs each): the example's command runs on one replay; the table over all of them
        # is tests/unit/test_ablation.py's and the docs' (policy.skill.ablation_table)
        fixed += ["--scenario", "jpn_kor_2019"]
    if fixed[:1] == ["brief"] and any(a.endswith(".html") for a in fixed):
        fixed += ["--runs", "2"]
    return fixed, ""


def _needs(cmd: str) -> list[tuple[str, str | None]]:
    """The datasets (name, folder in ../shared/data or None) *cmd* reads from the store."""
    return [need for key, need in NEEDS.items() if key in cmd and "--wiod" not in cmd]


def _session_fixtures(cmd: str) -> list[str]:
    """The session fixtures *cmd* reads (the brief, the replays' runs, a dataset's store:
    computed once per test process)."""
    args = shlex.split(cmd)[1:2]
    if args == ["brief"]:
        return ["shared_brief" if "--out" in cmd.split() else "shared_brief_runs"]
    if args == ["replays"]:
        return ["shared_runs"]
    return [SESSION_STORES[d] for d, _ in _needs(cmd) if d in SESSION_STORES]


def _params() -> list[Any]:
    """Every command, marked with the session fixtures it reads (tests/conftest.py runs
    such tests first: on the xdist worker that computes them once)."""
    return [pytest.param(cmd, marks=[pytest.mark.shares(f) for f in _session_fixtures(cmd)])
            for cmd in all_commands()]


def _copy_store(db: Path, folder: Path) -> Path:
    """A copy in the empty *folder* of the store *db* with its panels (``<stem>_panels``
    beside it, paths relative to it: the same names keep them)."""
    shutil.copyfile(db, folder / db.name)
    panels = db.with_name(f"{db.stem}_panels")
    if panels.is_dir():
        shutil.copytree(panels, folder / panels.name)
    return folder / db.name


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "econsec.duckdb"


@pytest.fixture(scope="module")
def copies() -> dict[str, Path]:
    """Dataset -> the module's copy of the session's store of it (SESSION_STORES)."""
    return {}


@pytest.fixture(scope="module")
def imported() -> set[str]:
    """Datasets imported whole into the module's store (and not touched since)."""
    return set()


@pytest.mark.parametrize("cmd", _params())
def test_example_runs(cmd: str, store: Path, imported: set[str], copies: dict[str, Path],
                      tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                      request: pytest.FixtureRequest) -> None:
    argv, why = _resolve(cmd, tmp_path)
    if argv is None:
        pytest.skip(why)
    runner = CliRunner()
    env = {"ECONSEC_DB": str(store), "COLUMNS": "200"}
    for dataset, folder in _needs(cmd):
        if folder is None:
            pytest.skip(f"needs a {dataset} panel; ../shared/data holds none")
        path = SHARED / folder
        if not path.exists():
            pytest.skip(f"needs {path}")
        if dataset in SESSION_STORES:  # a copy: the session's store is only read
            if dataset not in copies:  # one per module: its commands only read it
                copies[dataset] = _copy_store(request.getfixturevalue(SESSION_STORES[dataset]),
                                              tmp_path_factory.mktemp(dataset))
            env["ECONSEC_DB"] = str(copies[dataset])
        elif dataset not in imported:
            pre = runner.invoke(app, ["data", "import", dataset, str(path)], env=env)
            assert pre.exit_code == 0, pre.output
            imported.add(dataset)
    if argv[:1] == ["data"]:
        imported.difference_update(argv)  # e.g. `data import wiod ... --years 2000-2011`
    for fixture in _session_fixtures(cmd):
        if fixture not in SESSION_STORES.values():
            request.getfixturevalue(fixture)
    result = runner.invoke(app, argv, env=env)
    text = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{cmd}: traceback\n{text}\n{result.exception!r}")
    assert "Traceback" not in text, f"{cmd}: traceback\n{text}"
    if cmd in KNOWN_ERRORS:
        assert result.exit_code == 2 and "error:" in text, text
        return
    assert result.exit_code == 0, f"{cmd}: exit {result.exit_code}\n{text}"
    wrote = any(Path(a).exists() for a in argv if a.startswith(str(tmp_path)))
    assert text.strip() or wrote, f"{cmd}: empty answer without a reason"
    assert "no rows" not in text or "note:" in text or "error:" in text, (
        f"{cmd}: empty section without a reason\n{text}")
    if argv[:2] == ["data", "import"] and len(argv) == 4 and (argv[2], Path(argv[3])) in {
            (d, SHARED / f) for d, f in NEEDS.values() if f is not None}:
        imported.add(argv[2])  # the whole folder, as the import before a command above
