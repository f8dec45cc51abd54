"""`econsec simulate`, `econsec scenarios ...`, `econsec runs ...` through CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from econsec.cli.app import app

runner = CliRunner()


def test_scenarios_list_json() -> None:
    res = runner.invoke(app, ["scenarios", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["jpn_kor_2019"]["kind"] == "replay"
    assert rows["chn_full_ban_trilateral"]["kind"] == "forward"


def test_scenarios_show_shocks_and_outcomes() -> None:
    res = runner.invoke(app, ["scenarios", "show", "chn_ree_japan_2010", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "ban,CHN,JPN,rare_earth_processing,20,80,0.8" in res.stdout
    res = runner.invoke(app, ["scenarios", "show", "jpn_kor_2019", "--what", "outcomes",
                              "--format", "json"])
    assert any(r["magnitude"] == -0.837 for r in json.loads(res.stdout))


def test_unknown_scenario_name_fails_with_hint() -> None:
    res = runner.invoke(app, ["simulate", "jpn_kor_2091", "--no-store"])
    assert res.exit_code == 2
    assert "unknown scenario 'jpn_kor_2091'" in res.output and "jpn_kor_2019" in res.output


def test_bad_scenario_file_names_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntitle: B\nkind: forward\nstart: 2024-01-01\nhorizon: 30d\n"
                    "shocks:\n  - {kind: embargo, imposers: CHN, goods: gallium, start: 0}\n")
    res = runner.invoke(app, ["simulate", str(path), "--no-store"])
    assert res.exit_code == 2
    assert "bad.yaml, line 7, field shocks[0].kind" in " ".join(res.output.split())


def test_simulate_store_show_compare_rerun(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.duckdb")
    ids = []
    for seed in ("1", "2"):
        res = runner.invoke(app, ["simulate", "chn_graphite_2023", "--runs", "3", "--seed",
                                  seed, "--horizon", "8w", "--db", db, "--format", "csv"])
        assert res.exit_code == 0, res.output
        assert res.stdout.startswith("economy,good,baseline_usd_bn,loss_usd_bn_p5")
        ids.append(re.search(r"stored run (\S+)", res.stderr).group(1))  # type: ignore[union-attr]
    res = runner.invoke(app, ["runs", "list", "--db", db, "--format", "json"])
    listed = json.loads(res.stdout)
    assert {r["run_id"] for r in listed} == set(ids)
    assert all(r["horizon_days"] == 56 for r in listed)
    res = runner.invoke(app, ["runs", "show", ids[0], "--db", db, "--table", "yaml"])
    assert "name: chn_graphite_2023" in res.stdout
    res = runner.invoke(app, ["runs", "compare", ids[0], ids[1], "--db", db, "--format", "csv"])
    assert res.exit_code == 0 and "loss_diff_usd_bn" in res.stdout.splitlines()[0]
    res = runner.invoke(app, ["runs", "rerun", ids[1], "--db", db])
    assert res.exit_code == 0, res.output
    assert "identical numbers" in res.stdout and "prices" in res.stdout
    # the stored prices of one good: the replay steps daily, so days 0..56 in both markets
    res = runner.invoke(app, ["runs", "show", ids[0], "--db", db, "--table", "prices",
                              "--good", "graphite_natural", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["market"] for r in rows} == {"international", "home"} and len(rows) == 2 * 57
    assert {r["good"] for r in rows} == {"graphite_natural"}
    res = runner.invoke(app, ["runs", "compare", ids[0], ids[1], "--db", db, "--good",
                              "graphite_natural", "--format", "json"])
    assert res.exit_code == 0 and {r["good"] for r in json.loads(res.stdout)} == {
        "graphite_natural"}
    res = runner.invoke(app, ["runs", "show", ids[0], "--db", db, "--good", "graphit"])
    assert res.exit_code == 2 and "unknown good 'graphit'" in res.output


def test_simulate_outcomes_table_and_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "o.xlsx"
    res = runner.invoke(app, ["simulate", "jpn_kor_2019", "--runs", "4", "--no-store",
                              "--table", "outcomes", "--format", "xlsx", "--out", str(out)])
    assert res.exit_code == 0, res.output
    import pandas as pd

    frame = pd.read_excel(out, engine="calamine")
    hf = frame[(frame["metric"] == "imports") & (frame["good"] == "hydrogen_fluoride")]
    assert (hf["simulated_direction"] == "down").all()


def test_simulate_help_has_examples() -> None:
    res = runner.invoke(app, ["simulate", "--help"])
    assert res.exit_code == 0 and "econsec simulate jpn_kor_2019" in res.stdout


def test_brief_has_replays_section(terminal_brief: Any) -> None:
    res = terminal_brief
    assert res.exit_code == 0, res.output
    assert "Replays: documented (doc) vs simulated (sim" in res.stdout
    line = next(x for x in res.stdout.splitlines()
                if "jpn_kor_2019" in x and "import_share" in x)
    # Japan's share of Korea's HF imports: documented -65 %, simulated about -51 %
    assert "-65%" in line and line.rstrip(" │").endswith("yes")


def test_simulate_good_filter_names_its_rows_or_why_there_are_none() -> None:
    # --good takes an id or a name, repeated; the prices table keeps both markets of each
    # good and nothing else. China licenses gallium and germanium exports from day 0
    # (1 Aug 2023): on the first recorded day every index is still 1.
    args = ["simulate", "chn_ga_ge_2023", "--runs", "2", "--horizon", "10d", "--no-store",
            "--table", "prices", "--format", "json"]
    res = runner.invoke(app, [*args, "--good", "Gallium", "--good", "germanium"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {(r["good"], r["market"]) for r in rows} == {
        (g, m) for g in ("gallium", "germanium") for m in ("international", "home")}
    assert len(rows) == 2 * 2 * 11  # goods x markets x days 0..10
    # an unknown good is a named error with the close names
    res = runner.invoke(app, [*args, "--good", "galium"])
    assert res.exit_code == 2 and "unknown good 'galium'" in res.output
    assert "gallium" in res.output
    # a good the world has but the table has no row of: say why, not an empty table
    res = runner.invoke(app, [*args[:-4], "--good", "cobalt"])
    assert res.exit_code == 2
    assert "no summary rows for cobalt: no node of it loses output" in " ".join(
        res.output.split())


def test_simulate_says_which_goods_stand_on_later_figures() -> None:
    # the chip-shortage replay reads the world as of its start (2020); microcontrollers,
    # its shocked good, are first measured in 2021, so their 2021 shares stand in and the
    # user is told, naming the scenario's own goods first
    res = runner.invoke(app, ["simulate", "auto_chips_2021", "--runs", "1",
                              "--horizon", "3d", "--no-store", "--format", "json"])
    assert res.exit_code == 0, res.output
    note = " ".join(res.stderr.split())
    assert "note: as of 2020 the world has no world-share figure for" in note
    assert "(backcast): microcontrollers (2021)," in note
    json.loads(res.stdout)  # the note goes to stderr: the JSON stays clean
    # a scenario on the latest figures (no as_of_year) gets no note
    res = runner.invoke(app, ["simulate", "chn_full_ban_trilateral", "--runs", "1",
                              "--horizon", "3d", "--no-store", "--format", "json"])
    assert res.exit_code == 0 and "backcast" not in res.stderr


def test_simulate_workers_is_a_positive_number_or_auto() -> None:
    for bad in ("0", "two", "-1"):
        res = runner.invoke(app, ["simulate", "chn_graphite_2023", "--no-store",
                                  "--workers", bad])
        assert res.exit_code == 2
        assert f"--workers must be a positive number or auto (got '{bad}')" in res.output
    outs = []
    for workers in ("auto", "1"):
        res = runner.invoke(app, ["simulate", "chn_graphite_2023", "--runs", "3", "--horizon",
                                  "4w", "--no-store", "--format", "csv", "--workers", workers])
        assert res.exit_code == 0, res.output
        outs.append(res.stdout)
    assert outs[0] == outs[1]
