"""The CLI on the tiny world: every table command, its formats and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from econsec.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_exposure_json_rows(tiny_world_path: Path) -> None:
    code, out = run("exposure", "KOR", "--good", "chem", "--format", "json",
                    "--world", str(tiny_world_path))
    assert code == 0, out
    rows = json.loads(out)
    assert {"economy", "good", "supplier", "share"} <= set(rows[0])
    assert rows[0] == {**rows[0], "economy": "KOR", "good": "chem", "supplier": "JPN",
                       "share": 0.9}


def test_exposure_all_tiers_csv(tiny_world_path: Path) -> None:
    code, out = run("exposure", "KOR", "--tiers", "all", "--format", "csv",
                    "--world", str(tiny_world_path))
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("economy,good,supplier,share,direct_share")


def test_exposure_xlsx_file(tiny_world_path: Path, tmp_path: Path) -> None:
    dest = tmp_path / "x.xlsx"
    code, out = run("exposure", "KOR", "--format", "xlsx", "--out", str(dest),
                    "--world", str(tiny_world_path))
    assert code == 0, out
    frame = pd.read_excel(dest, engine="calamine")
    assert set(frame["good"]) == {"ore", "chem", "chip", "phone"}


def test_unknown_economy_and_good(tiny_world_path: Path) -> None:
    code, out = run("exposure", "XXX", "--world", str(tiny_world_path))
    assert code == 2 and "unknown economy 'XXX'" in out
    code, out = run("exposure", "KOR", "--good", "chemx", "--world", str(tiny_world_path))
    assert code == 2 and "did you mean chem" in out


def test_chokepoints_both_directions(tiny_world_path: Path) -> None:
    code, out = run("chokepoints", "--bloc", "JPN,KOR", "--against", "CHN", "--format",
                    "json", "--world", str(tiny_world_path))
    assert code == 0, out
    rows = json.loads(out)
    assert {r["direction"] for r in rows} == {"exposure", "leverage"}


def test_measures_list_and_show(tiny_world_path: Path) -> None:
    code, out = run("measures", "list", "--imposer", "JPN", "--format", "json",
                    "--world", str(tiny_world_path))
    assert code == 0, out
    assert [r["id"] for r in json.loads(out)] == ["jpn_chem_to_kor"]
    code, out = run("measures", "show", "chn_ore_ban", "--format", "csv",
                    "--world", str(tiny_world_path))
    assert code == 0 and "export_control" in out and "example.org" in out
    code, out = run("measures", "list", "--type", "bogus", "--world", str(tiny_world_path))
    assert code == 2 and "unknown --type" in out


def test_narrow_table_names_hidden_columns_and_wide_shows_them(tiny_world_path: Path) -> None:
    # The tiny world's measures (11 columns). Each column costs its content width + 3,
    # free text (targets, name, source) at most 12 + 3, plus 1 for the last border:
    # id 15+3, type 14+3, imposer 7+3, targets 7+3, goods 5+3, announced 10+3,
    # effective 10+3, lifted 10+3, intensity 9+3, name 12+3, source 9+3 -> 141 + 1 = 142.
    # At 80 columns: source goes first (low value) -> 130, then the rightmost that is
    # not one of the answer columns the command keeps (id, type, imposer, targets, goods,
    # effective): name 115, intensity 103, lifted 90, announced 77 <= 80.
    hidden = ["source", "name", "intensity", "lifted", "announced"]
    result = runner.invoke(app, ["measures", "list", "--world", str(tiny_world_path)],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert (f"5 columns hidden to fit the terminal: {', '.join(hidden)}; "
            "use --wide or --format csv") in flat
    header = next(line for line in result.output.splitlines() if "imposer" in line)
    assert not any(f" {c} " in header for c in hidden)
    assert max(len(line) for line in result.output.splitlines()) <= 80

    wide = runner.invoke(app, ["measures", "list", "--wide", "--world",
                               str(tiny_world_path)], env={"COLUMNS": "80"})
    assert wide.exit_code == 0, wide.output
    header = next(line for line in wide.output.splitlines() if "imposer" in line)
    assert all(f" {c} " in header for c in hidden)
    assert "hidden" not in wide.output
    # whole cell text on one line (measures.yaml of the tiny world)
    assert any("Japan licenses chemical exports to Korea" in line
               for line in wide.output.splitlines())


def test_world_views(tiny_world_path: Path) -> None:
    for flag in ("--goods", "--economies", "--sources", "--edges", "--shares",
                 "--investments"):
        code, out = run("world", flag, "--format", "csv", "--world", str(tiny_world_path))
        assert code == 0, (flag, out)
    code, out = run("world", "--format", "json", "--world", str(tiny_world_path))
    assert json.loads(out)[0] == {**json.loads(out)[0], "item": "goods", "count": 4}


def test_bad_world_reports_file_line_field(tiny_copy: Path) -> None:
    path = tiny_copy / "world_shares.csv"
    path.write_text(path.read_text().replace("ore,CHN,1.0", "ore,CHN,abc"))
    code, out = run("brief", "--world", str(tiny_copy))
    assert code == 2
    assert "world_shares.csv" in out and "line 2" in out and "field share" in out


def test_brief_prints_sections(tiny_world_path: Path) -> None:
    code, out = run("brief", "--bloc", "JPN,KOR", "--against", "CHN",
                    "--world", str(tiny_world_path))
    assert code == 0, out
    assert "exposure to CHN" in out and "leverage over CHN" in out and "Sources" in out


def test_data_group_is_mounted(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "list", "--db", str(tmp_path / "s.duckdb"),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert "no datasets imported yet" in result.stderr
