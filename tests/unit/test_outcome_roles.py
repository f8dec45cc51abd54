"""Outcome roles, tolerances and calibrated parameters: every rule is an error naming the
file, the line and the key; scoring against a tolerance and the skill summary by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.errors import DataError
from econsec.policy.outcomes import Citation, Outcome
from econsec.policy.scenarios import load_scenario
from econsec.policy.skill import score_outcome, skill_summary

HEAD = """\
name: demo
title: Demo
kind: replay
start: 2019-07-01
horizon: 365d
measures:
  - id: jpn_kor_2019_fluorides
    goods: [hydrogen_fluoride]
    approval_rate: 0.3
    calibrated_on: {approval_rate: [dec]}
parameters:
  inventory_days: {dist: uniform, args: [30, 60]}
outcomes:
"""  # outcomes begin on line 14


def outcome(oid: str, role: str, window: str, *, tolerance: str = "3pp",
            good: str = "hydrogen_fluoride", extra: str = "") -> str:
    return (f"  - id: {oid}\n    metric: imports\n    economy: KOR\n    partner: JPN\n"
            f"    good: {good}\n    direction: down\n    magnitude: -0.7\n"
            f"    period: p\n    window: {window}\n    year: 2019\n"
            "    source: {title: T, publisher: P, url: https://example.org}\n"
            f"    role: {role}\n    tolerance: {tolerance}\n    unit: tonnes\n{extra}")  # 14 lines


DEC = outcome("dec", "calibration", "[2019-12-01, 2019-12-31]")  # lines 14-27
AUG = outcome("aug", "validation", "[2019-08-01, 2019-08-31]")   # lines 28-41


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def error_of(tmp_path: Path, text: str) -> DataError:
    with pytest.raises(DataError) as info:
        load(tmp_path, text)
    assert str(tmp_path / "demo.yaml") in str(info.value)  # names the file
    return info.value


def test_valid_roles_load_and_calibration_is_recorded(tmp_path: Path) -> None:
    s = load(tmp_path, HEAD + DEC + AUG)
    assert [(o.id, o.role, o.tolerance) for o in s.outcomes] == [
        ("dec", "calibration", 0.03), ("aug", "validation", 0.03)]
    (cal,) = s.calibrations
    assert (cal.parameter, cal.value, cal.outcomes, cal.line) == (
        "measures[0].approval_rate", 0.3, ("dec",), 10)
    # calibrated_on is not a measure key: the shock is the same as without it
    plain = load(tmp_path, (HEAD + DEC + AUG).replace(
        "    calibrated_on: {approval_rate: [dec]}\n", "").replace(
        "role: calibration", "role: validation"))
    assert s.to_spec().shocks == plain.to_spec().shocks


def test_an_outcome_that_is_both(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD + DEC.replace("role: calibration",
                                                "role: [calibration, validation]") + AUG)
    assert (err.line, err.field) == (25, "outcomes[0].role") and "not both" in str(err)
    # named in calibrated_on (a parameter was fitted on it) but marked validation
    err = error_of(tmp_path, HEAD + DEC.replace("calibration", "validation") + AUG)
    assert (err.line, err.field) == (25, "outcomes[0].role") and "not both" in str(err)


def test_unknown_role(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("role: validation", "role: check"))
    assert (err.line, err.field) == (39, "outcomes[1].role")
    assert "calibration, validation" in str(err)


def test_missing_or_wrong_tolerance(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("    tolerance: 3pp\n", ""))
    assert (err.line, err.field) == (28, "outcomes[1]") and "'tolerance' is missing" in str(err)
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("tolerance: 3pp", "tolerance: 0.03"))
    assert (err.line, err.field) == (40, "outcomes[1].tolerance")
    # a relative tolerance for a documented change: the unit is wrong for the kind
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("tolerance: 3pp", "tolerance: 5%"))
    assert (err.line, err.field) == (40, "outcomes[1].tolerance")
    assert "percentage points" in str(err)


def test_calibrated_on_names_an_unknown_outcome(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD.replace("[dec]", "[december]") + DEC + AUG)
    assert (err.line, err.field) == (10, "measures[0].calibrated_on.approval_rate[0]")
    assert "unknown outcome 'december'" in str(err)
    err = error_of(tmp_path, HEAD.replace("[dec]", "[no_such_replay.dec]") + DEC + AUG)
    assert err.field == "measures[0].calibrated_on.approval_rate[0]"
    assert "unknown scenario 'no_such_replay'" in str(err)


def test_calibrated_parameter_needs_validation_outside_its_window(tmp_path: Path) -> None:
    # the only validation outcome overlaps December ...
    inside = outcome("mid_dec", "validation", "[2019-12-10, 2020-01-10]")
    err = error_of(tmp_path, HEAD + DEC + inside)
    assert (err.line, err.field) == (10, "measures[0].calibrated_on.approval_rate")
    assert "outside its fitting window" in str(err)
    # ... or is on another good
    other = outcome("aug_euv", "validation", "[2019-08-01, 2019-08-31]", good="photoresist_euv")
    err = error_of(tmp_path, HEAD + DEC + other)
    assert err.field == "measures[0].calibrated_on.approval_rate"
    # ... or has no window (it spans the whole replay)
    nowin = AUG.replace("    window: [2019-08-01, 2019-08-31]\n", "")
    assert error_of(tmp_path, HEAD + DEC + nowin).field == (
        "measures[0].calibrated_on.approval_rate")


def test_calibration_outcome_named_by_no_parameter(tmp_path: Path) -> None:
    head = HEAD.replace("    calibrated_on: {approval_rate: [dec]}\n", "")
    err = error_of(tmp_path, head + DEC + AUG)
    assert (err.line, err.field) == (24, "outcomes[0].role")
    assert "no parameter names it" in str(err)


def test_calibrated_on_must_name_a_key_the_entry_sets(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD.replace("{approval_rate: [dec]}", "{intensity: [dec]}")
                   + DEC + AUG)
    assert (err.line, err.field) == (10, "measures[0].calibrated_on.intensity")


def test_calibrated_parameter_distribution(tmp_path: Path) -> None:
    head = HEAD.replace("    calibrated_on: {approval_rate: [dec]}\n", "").replace(
        "args: [30, 60]}", "args: [30, 60], calibrated_on: [dec]}")
    s = load(tmp_path, head + DEC + AUG)
    (cal,) = s.calibrations
    assert (cal.parameter, cal.outcomes) == ("parameters.inventory_days", ("dec",))
    assert s.parameters["inventory_days"].args == (30.0, 60.0)


def test_calibrated_on_another_shipped_replay(tmp_path: Path) -> None:
    # a value fitted once on a shipped replay's outcome and reused: the validation outcomes
    # of that replay on the same good outside the window count
    head = HEAD.replace("[dec]", "[jpn_kor_2019.hf_2019_12]")
    s = load(tmp_path, head + AUG)
    assert s.calibrations[0].outcomes == ("jpn_kor_2019.hf_2019_12",)
    err = error_of(tmp_path, HEAD.replace("[dec]", "[jpn_kor_2019.hf_2019_07]") + AUG)
    assert err.field == "measures[0].calibrated_on.approval_rate[0]"
    assert "role is validation" in str(err)


def test_duplicate_outcome_id(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("id: aug", "id: dec"))
    assert (err.line, err.field) == (28, "outcomes[1].id")


def test_an_outcome_needs_a_figure_for_its_tolerance(tmp_path: Path) -> None:
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("    magnitude: -0.7\n", ""))
    assert (err.line, err.field) == (28, "outcomes[1]") and "magnitude or a range" in str(err)


def test_outcome_unit_is_checked(tmp_path: Path) -> None:
    # AUG's unit is on line 41: an unknown unit, a unit its metric cannot have, none at all
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("unit: tonnes", "unit: tons"))
    assert (err.line, err.field) == (41, "outcomes[1].unit")
    assert "tonnes | kg | usd | units | share" in str(err) and "did you mean tonnes" in str(err)
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("unit: tonnes", "unit: share"))
    assert (err.line, err.field) == (41, "outcomes[1].unit")
    assert "imports outcome is documented in tonnes | kg | usd | units" in str(err)
    err = error_of(tmp_path, HEAD + DEC + AUG.replace("    unit: tonnes\n", ""))
    assert (err.line, err.field) == (28, "outcomes[1]") and "'unit' is missing" in str(err)
    s = load(tmp_path, HEAD + DEC + AUG.replace("unit: tonnes", "unit: usd"))
    assert [(o.unit, o.nominal) for o in s.outcomes] == [("tonnes", False), ("usd", True)]


def test_recorded_by_is_checked(tmp_path: Path) -> None:
    # AUG's extra line 42: whose customs statistics; only exporter | importer, and only for
    # trade metrics (AUG's metric is on line 29)
    s = load(tmp_path, HEAD + DEC + AUG + "    recorded_by: exporter\n")
    assert [(o.recorded_by, o.departed) for o in s.outcomes] == [("", False),
                                                                  ("exporter", True)]
    err = error_of(tmp_path, HEAD + DEC + AUG + "    recorded_by: china\n")
    assert (err.line, err.field) == (42, "outcomes[1].recorded_by")
    assert "exporter, importer" in str(err)
    text = AUG.replace("metric: imports", "metric: output") + "    recorded_by: exporter\n"
    err = error_of(tmp_path, HEAD + DEC + text)
    assert (err.line, err.field) == (42, "outcomes[1].recorded_by")
    assert "trade outcomes" in str(err)


def _o(direction: str = "down", magnitude: float | None = -0.7,
       rng: tuple[float, float] | None = None, tolerance: float = 0.03) -> Outcome:
    return Outcome(metric="imports", economy="K", good="g", direction=direction, period="",
                   source=Citation("t", "p", "https://x"), year=2019, unit="tonnes",
                   magnitude=magnitude,
                   range=rng, id="x", tolerance=tolerance)


def test_within_tolerance_and_direction_by_hand() -> None:
    o = _o()  # -70 % +- 3 pp: -73 % .. -67 %
    assert score_outcome(o, -0.73) == (True, True)
    assert score_outcome(o, -0.6699) == (False, True)
    assert score_outcome(o, -0.74) == (False, True)
    assert score_outcome(o, None) == (None, None)
    # a range widens by the tolerance on both sides: [-0.36, -0.26] +- 8 pp = -44 % .. -18 %
    r = _o(magnitude=None, rng=(-0.36, -0.26), tolerance=0.08)
    assert score_outcome(r, -0.44)[0] and score_outcome(r, -0.18)[0]
    assert not score_outcome(r, -0.17)[0]
    # flat with a range: right when in the range +- 2 % (the direction band)
    flat = _o(direction="flat", magnitude=None, rng=(-0.05, 0.0), tolerance=0.0)
    assert score_outcome(flat, 0.015) == (False, True)
    assert score_outcome(flat, -0.08) == (False, False)
    # an up outcome simulated at +1 % is flat: wrong direction
    assert score_outcome(_o(direction="up", magnitude=0.5, tolerance=0.6), 0.01) == (True, False)


def test_skill_summary_counts_validation_only() -> None:
    rows = pd.DataFrame([
        # scenario, role, simulated, within, direction
        ("a", "validation", -0.7, True, True),
        ("a", "validation", -0.2, False, True),
        ("a", "calibration", -0.3, True, True),     # shown, never counted
        ("a", "validation", None, None, None),      # not simulated: a miss
        ("b", "validation", 0.1, False, False),
    ], columns=["scenario", "role", "simulated", "within_tolerance", "direction_ok"])
    s = skill_summary(rows).set_index("scenario")
    # a: 3 validation, 2 simulated, 2 right direction (2/3 = 66.7 %), 1 within (1/3)
    assert s.loc["a", ["validation", "simulated", "direction_ok", "within_tolerance",
                       "not_simulated", "calibration"]].tolist() == [3, 2, 2, 1, 1, 1]
    assert s.loc["a", "direction_ok_pct"] == pytest.approx(200 / 3)
    assert s.loc["a", "within_tolerance_pct"] == pytest.approx(100 / 3)
    # all: 4 validation, 2 right direction (50 %), 1 within (25 %)
    assert s.loc["all", ["validation", "direction_ok", "within_tolerance"]].tolist() == [4, 2, 1]
    assert s.loc["all", "direction_ok_pct"] == pytest.approx(50.0)
    assert s.loc["all", "within_tolerance_pct"] == pytest.approx(25.0)



def test_a_replay_reads_the_world_of_its_start_year(tmp_path: Path) -> None:
    # no as_of_year: the start's year (2019-07-01 -> 2019), not the world's latest figures
    assert load(tmp_path, HEAD + DEC + AUG).as_of_year == 2019
    # an earlier year is allowed (the figures of the year before an episode)
    text = HEAD.replace("horizon: 365d\n", "horizon: 365d\nas_of_year: 2018\n") + DEC + AUG
    assert load(tmp_path, text).as_of_year == 2018
    # a later year would stand in for the world before the episode: refused, on its line
    text = HEAD.replace("horizon: 365d\n", "horizon: 365d\nas_of_year: 2021\n") + DEC + AUG
    err = error_of(tmp_path, text)
    assert "line 6" in str(err) and "as_of_year" in str(err) and "2019" in str(err)
