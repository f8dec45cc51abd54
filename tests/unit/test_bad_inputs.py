"""The corpus of bad inputs in ``tests/fixtures/bad_inputs``: each must be a named error.

``manifest.csv`` lists one case per line: the file, what reads it, and a substring the
error message must contain.  Targets:

* ``scenario``: :func:`econsec.policy.scenarios.load_scenario` on the file;
* ``world:<name>``: a copy of the tiny world with ``<name>`` replaced by the file, then
  :func:`econsec.data.world.load_world`;
* ``import:baci`` / ``import:comtrade``: the importer into a fresh store (the file keeps
  its name: the importers read the year from it).

A named error is an :class:`~econsec.errors.EconsecError` (``DataError``) whose message
names the file and contains the expected text; anything else (another exception, a
RecursionError, a DuckDB exception, no error at all) fails the case.  Nothing may be
written to the store by a refused import.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from econsec.data.panel import list_panels
from econsec.errors import EconsecError

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"
TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_world"


def _cases() -> list[tuple[str, str, str]]:
    with (CORPUS / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["file"], r["target"], r["expect"]) for r in csv.DictReader(fh)]


CASES = _cases()


def run_case(file: str, target: str, tmp_path: Path) -> Path:
    """Read corpus file *file* the way *target* says; return the path named in errors."""
    source = CORPUS / file
    if target == "scenario":
        from econsec.policy.scenarios import load_scenario

        load_scenario(source)
        return source
    if target.startswith("world:"):
        from econsec.data.world import load_world

        world = tmp_path / "world"
        shutil.copytree(TINY, world)
        dest = world / target.split(":", 1)[1]
        shutil.copyfile(source, dest)
        load_world(world)
        return dest
    if target.startswith("import:"):
        from econsec.data.store import Store

        dest = tmp_path / file
        shutil.copyfile(source, dest)
        kind = target.split(":", 1)[1]
        with Store(tmp_path / "s.duckdb") as store:
            if kind == "baci":
                from econsec.data.importers.baci import import_baci

                import_baci(dest, store)
            elif kind == "comtrade":
                from econsec.data.importers.comtrade import import_comtrade

                import_comtrade(dest, store)
            else:
                raise AssertionError(f"unknown import target {target}")
        return dest
    raise AssertionError(f"unknown target {target!r} in manifest.csv")


def test_manifest_lists_every_corpus_file() -> None:
    listed = {f for f, _, _ in CASES}
    present = {p.name for p in CORPUS.iterdir() if p.name != "manifest.csv"}
    assert listed == present
    assert len(CASES) == len(listed)  # one line per file


@pytest.mark.parametrize(("file", "target", "expect"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_named_error(file: str, target: str, expect: str,
                                    tmp_path: Path) -> None:
    with pytest.raises(EconsecError) as info:
        run_case(file, target, tmp_path)
    message = str(info.value)
    assert expect in message
    assert Path(file).name in message or target.split(":", 1)[-1] in message
    if target.startswith("import:"):
        assert list_panels(tmp_path / "s.duckdb").empty  # nothing half-written
