"""Scenario YAML schema: every error names the file, the line and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from econsec.errors import DataError
from econsec.policy.scenarios import load_scenario
from econsec.simulation.spec import DistKind, ShockKind

BASE = """\
name: demo
title: Demo
kind: forward
start: 2019-07-01
horizon: 104w
measures:
  - id: jpn_kor_2019_fluorides
    intensity: 0.8
parameters:
  inventory_days: {dist: triangular, args: [20, 30, 60]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> DataError:
    with pytest.raises(DataError) as info:
        load_scenario(write(tmp_path, text))
    return info.value


def test_valid_base_loads(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE))
    assert s.horizon_days == 728 and s.step_days == 1 and s.start == dt.date(2019, 7, 1)
    assert s.parameters["inventory_days"].kind is DistKind.triangular
    assert s.parameters["inventory_days"].args == (20.0, 30.0, 60.0)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "colour: red\n")
    assert err.file.endswith("demo.yaml") and err.line == 11 and err.field == "colour"
    assert "unknown key" in str(err)


def test_unknown_nested_key_names_dotted_path(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("    intensity: 0.8\n",
                                          "    intensity: 0.8\n    intensty: 0.3\n"))
    assert (err.line, err.field) == (9, "measures[0].intensty")
    assert "did you mean intensity" in str(err)


def test_bad_date(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("start: 2019-07-01", "start: 2019-13-45"))
    assert (err.line, err.field) == (4, "start")
    assert "ISO date" in str(err)


def test_bad_override_date(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("parameters:", "  - id: chn_2023_graphite\n"
                                          "    lifted: someday\nparameters:"))
    assert (err.line, err.field) == (10, "measures[1].lifted")
    assert "'someday' is not an ISO date" in str(err)


def test_unknown_measure_id(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("jpn_kor_2019_fluoridez", "x").replace(
        "id: jpn_kor_2019_fluorides", "id: jpn_kor_2019_fluoridez"))
    assert (err.line, err.field) == (7, "measures[0].id")
    assert "unknown measure id 'jpn_kor_2019_fluoridez'" in str(err)
    assert "jpn_kor_2019_fluorides" in str(err)  # suggestion


def test_unknown_good(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("    intensity: 0.8\n",
                                          "    goods: [hydrogen_fluoride, unobtainium]\n"))
    assert (err.line, err.field) == (8, "measures[0].goods[1]")
    assert "unknown good 'unobtainium'" in str(err)


def test_good_by_hs_code(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE.replace(
        "    intensity: 0.8\n", "    goods: ['2811.11']\n")))
    assert s.to_spec().shocks[0].goods == frozenset({"hydrogen_fluoride"})
    err = error_of(tmp_path, BASE.replace("    intensity: 0.8\n", "    goods: ['999999']\n"))
    assert err.field == "measures[0].goods[0]" and "HS code" in str(err)


def test_unknown_distribution(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("dist: triangular", "dist: cauchy"))
    assert (err.line, err.field) == (10, "parameters.inventory_days.dist")
    assert "unknown distribution 'cauchy'" in str(err)


def test_wrong_argument_count(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("args: [20, 30, 60]", "args: [20, 30]"))
    assert (err.line, err.field) == (10, "parameters.inventory_days.args")
    assert "takes 3 arguments" in str(err)


def test_triangular_out_of_order(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("args: [20, 30, 60]", "args: [20, 70, 60]"))
    assert err.field == "parameters.inventory_days.args" and "low <= mode <= high" in str(err)


def test_unknown_parameter(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "  elasticity: 0.3\n")
    assert (err.line, err.field) == (11, "parameters.elasticity")


def test_unknown_economy_in_lever(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "levers:\n  stockpile:\n    - economies: [KOR, XYZ]\n"
                   "      goods: hydrogen_fluoride\n      days: 30\n")
    assert (err.line, err.field) == (13, "levers.stockpile[0].economies[1]")


def test_bad_horizon_and_step(tmp_path: Path) -> None:
    assert error_of(tmp_path, BASE.replace("104w", "two years")).field == "horizon"
    assert error_of(tmp_path, BASE + "step: month\n").field == "step"


def test_non_trade_measure_rejected(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("id: jpn_kor_2019_fluorides", "id: usa_2022_chips_act"))
    assert err.field == "measures[0].id" and "not a trade restriction" in str(err)


def test_measure_lifted_before_start(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE.replace("start: 2019-07-01", "start: 2024-01-01"))
    assert err.field == "measures[0].id" and "lifted before the scenario starts" in str(err)


def test_outcome_requires_source_url(tmp_path: Path) -> None:
    text = BASE.replace("kind: forward", "kind: replay") + (
        "outcomes:\n  - metric: imports\n    economy: KOR\n    good: hydrogen_fluoride\n"
        "    direction: down\n    period: 2019\n    year: 2019\n    unit: kg\n"
        "    id: o\n    role: validation\n    tolerance: 5pp\n    magnitude: -0.5\n"
        "    source: {title: T, publisher: P, url: www.example.org}\n")
    err = error_of(tmp_path, text)
    assert (err.line, err.field) == (23, "outcomes[0].source.url")


def test_outcome_versus_needs_a_window_and_ordered_dates(tmp_path: Path) -> None:
    head = BASE.replace("kind: forward", "kind: replay") + (
        "outcomes:\n  - metric: imports\n    economy: KOR\n    good: hydrogen_fluoride\n"
        "    direction: down\n    period: 2019\n    year: 2019\n    unit: kg\n"
        "    id: o\n    role: validation\n    tolerance: 5pp\n    magnitude: -0.5\n"
        "    source: {title: T, publisher: P, url: https://example.org}\n")
    err = error_of(tmp_path, head + "    versus: [2019-06-01, 2019-06-30]\n")
    assert (err.line, err.field) == (24, "outcomes[0].versus") and "needs a window" in str(err)
    err = error_of(tmp_path, head + "    window: [2019-07-01, 2019-07-31]\n"
                   "    versus: [2019-06-30, 2019-06-01]\n")
    assert (err.line, err.field) == (25, "outcomes[0].versus") and "before it begins" in str(err)
    ok = load_scenario(write(tmp_path, head + "    window: [2019-07-01, 2019-07-31]\n"
                             "    versus: [2019-06-01, 2019-06-30]\n"))
    assert ok.outcomes[0].versus == (dt.date(2019, 6, 1), dt.date(2019, 6, 30))


def test_duplicate_key(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "name: again\n")
    assert (err.line, err.field) == (11, "name")
    assert "duplicate" in str(err)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "levers: [unclosed\n")
    assert err.line is not None and err.line >= 11


def test_inline_shock_kinds(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE + "shocks:\n  - kind: quota\n    imposers: CHN\n"
                            "    targets: TRILATERAL\n    goods: gallium\n"
                            "    start: 2019-08-01\n    end: 2019-10-30\n    intensity: 0.25\n"))
    shock = s.to_spec().shocks[1]
    assert shock.kind is ShockKind.quota and shock.targets == frozenset({"USA", "JPN", "KOR"})
    assert (shock.start, shock.end, shock.intensity) == (31, 121, 0.25)


def test_licence_delay_distribution_per_measure(tmp_path: Path) -> None:
    text = BASE.replace("    intensity: 0.8\n", "    licence_delay_days: {dist: uniform, "
                        "args: [30, 50]}\n")
    (shock,) = load_scenario(write(tmp_path, text)).to_spec().shocks
    assert shock.licence_delay is not None and shock.licence_delay.kind is DistKind.uniform
    assert shock.licence_delay.args == (30.0, 50.0) and shock.licence_delay.mean == 40.0
    err = error_of(tmp_path, text.replace("args: [30, 50]", "args: [50, 30]"))
    assert (err.line, err.field) == (8, "measures[0].licence_delay_days.args")
    assert "low <= high" in str(err)
    err = error_of(tmp_path, text.replace("dist: uniform", "dist: beta"))
    assert err.field == "measures[0].licence_delay_days.dist"


def test_parameter_support_is_checked_at_load(tmp_path: Path) -> None:
    # arguments are finite numbers (YAML .nan / .inf are floats to the parser)
    err = error_of(tmp_path, BASE.replace("args: [20, 30, 60]", "args: [20, .nan, 60]"))
    assert (err.line, err.field) == (10, "parameters.inventory_days.args[1]")
    assert "not a finite number" in str(err)
    err = error_of(tmp_path, BASE + "  spare_capacity: .inf\n")
    assert (err.line, err.field) == (11, "parameters.spare_capacity")
    assert "not a finite number" in str(err)
    # a triangular needs low < high (numpy cannot draw from a point)
    err = error_of(tmp_path, BASE.replace("args: [20, 30, 60]", "args: [30, 30, 30]"))
    assert (err.line, err.field) == (10, "parameters.inventory_days.args")
    assert "low < high" in str(err)
    # sd >= 0
    err = error_of(tmp_path, BASE + "  ramp_days: {dist: normal, args: [60, -5]}\n")
    assert (err.line, err.field) == (11, "parameters.ramp_days.args")
    assert "standard deviation must be >= 0" in str(err)
    # and the same for a licence delay
    err = error_of(tmp_path, BASE.replace("    intensity: 0.8\n",
                                          "    licence_delay_days: .inf\n"))
    assert (err.line, err.field) == (8, "measures[0].licence_delay_days")


def test_licence_delay_on_an_inline_ban_is_an_error(tmp_path: Path) -> None:
    err = error_of(tmp_path, BASE + "shocks:\n  - kind: ban\n    imposers: CHN\n"
                   "    goods: gallium\n    start: 0\n    licence_delay_days: 30\n")
    assert (err.line, err.field) == (16, "shocks[0].licence_delay_days")
    assert "licensing shocks only" in str(err)


def test_a_file_edited_between_loads_is_read_again_and_callers_get_copies(
        tmp_path: Path) -> None:
    """policy.yamlpath memoises the parse per (path, text): the same path with another text
    (same size, whatever the mtime) is parsed again; a caller's edits to the document it got
    never reach the next caller."""
    import os

    from econsec.policy.yamlpath import load_located

    path = write(tmp_path, BASE)
    assert load_scenario(path).title == "Demo"
    stat = path.stat()
    path.write_text(BASE.replace("title: Demo", "title: Omed"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    assert load_scenario(path).title == "Omed"
    doc, lines = load_located(path)
    doc["measures"][0]["intensity"] = 0.1
    lines.lines[("title",)] = 99
    again, lines2 = load_located(path)
    assert again["measures"][0]["intensity"] == 0.8  # BASE, line 8
    assert lines2.line(("title",)) == 2
