"""Staleness: the figures in use older than N years, with their source."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from econsec.cli.app import app
from econsec.data.world import load_world


def test_stale_figures_of_the_tiny_world(tiny_copy: Path) -> None:
    # every figure of the tiny world is of 2024: in 2027 they are 3 years old (not older
    # than 3); in 2028, 4 years: 4 goods' world shares + 1 import-share pair (KOR chem)
    # + 3 edges + 1 market size (phone) = 9 figures
    w = load_world(tiny_copy)
    assert w.stale_figures(3, today=2027).empty
    old = w.stale_figures(3, today=2028)
    assert len(old) == 4 + 1 + 3 + 1
    assert set(old["age"]) == {4} and set(old["source"]) == {"t_fixture"}
    assert sorted(old.loc[old["table"] == "world_shares", "key"]) == ["chem", "chip", "ore",
                                                                       "phone"]
    # only the latest figure of a key counts: a 2027 row for ore makes it fresh
    with (tiny_copy / "world_shares.csv").open("a") as fh:
        fh.write("ore,CHN,1.0,2027,production,t_fixture,\n")
    old = load_world(tiny_copy).stale_figures(3, today=2028)
    assert "ore" not in set(old.loc[old["table"] == "world_shares", "key"])
    with pytest.raises(ValueError, match="0 or more"):
        w.stale_figures(-1)


def test_cli_world_stale(tiny_world_path: Path) -> None:
    result = CliRunner().invoke(app, ["world", "--stale", "--older-than", "0", "--world",
                                      str(tiny_world_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "table,key,year,age,source,publisher"
    assert len(lines) == 1 + 9  # the 9 figures of 2024 are older than 0 years from now on
