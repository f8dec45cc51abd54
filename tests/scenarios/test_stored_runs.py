"""Stored runs: exact inputs kept; a re-run gives the same numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.runs import list_runs, load_run, save_run
from econsec.data.store import Store
from econsec.data.world import load_world
from econsec.errors import StoreError
from econsec.policy.runner import rerun, run_scenario
from econsec.policy.scenarios import load_named


def test_store_and_rerun_reproduces_every_frame(tmp_path: Path) -> None:
    world = load_world()
    scenario = load_named("chn_graphite_2023").with_overrides(horizon="180d", step="week")
    result = run_scenario(scenario, world, runs=5, seed=11).result
    with Store(tmp_path / "runs.duckdb") as store:
        run_id = save_run(store, scenario, result, world.version)
        runs = list_runs(store)
        assert list(runs["run_id"]) == [run_id]
        row = runs.iloc[0]
        assert (row["scenario"], row["runs"], row["seed"]) == ("chn_graphite_2023", 5, 11)
        assert (row["horizon_days"], row["step_days"]) == (180, 7)
        assert row["world_version"] == world.version
        stored = load_run(store, run_id[:15])  # unique prefix
        assert stored.meta["scenario_yaml"] == scenario.text
        again, new = rerun(store, run_id, world)
    assert new.seed == 11 and new.runs == 5 and new.horizon_days == 180
    for name, frame in new.to_frames().items():
        assert len(frame) > 0 or name == "diversion"
        pd.testing.assert_frame_equal(again.frames[name], frame.reset_index(drop=True),
                                      check_dtype=False, rtol=0, atol=0)
    # the stored numbers are real: graphite exports from China fall
    div = again.frames["diversion"]
    chn = div[(div["supplier"] == "CHN") & (div["good"] == "graphite_natural")]
    assert (chn["share_after"] < chn["share_before"]).all()


def test_unknown_run_id_is_named(tmp_path: Path) -> None:
    with Store(tmp_path / "runs.duckdb") as store:
        with pytest.raises(StoreError, match="no stored runs"):
            load_run(store, "nope")
        assert list_runs(store).empty


def test_runs_of_scenarios_with_different_parameters_share_one_store(tmp_path: Path) -> None:
    """Two scenarios with different parameter distributions (jpn_kor_2019 spreads its
    licence delays over shipments, so it draws no per-shock delay columns): stored in one
    store, both runs load and re-run with their own columns only."""
    world = load_world()
    first = load_named("chn_graphite_2023").with_overrides(horizon="30d")
    second = load_named("jpn_kor_2019").with_overrides(horizon="60d")
    with Store(tmp_path / "runs.duckdb") as store:
        a = save_run(store, first, run_scenario(first, world, runs=3, seed=1).result,
                     world.version)
        b = save_run(store, second, run_scenario(second, world, runs=3, seed=2).result,
                     world.version)
        pa, pb = load_run(store, a).frames["parameters"], load_run(store, b).frames["parameters"]
        assert "licence_delay_days.shock0" not in pa.columns
        assert not [c for c in pb.columns if c.startswith("licence_delay_days.")]
        assert list(pa.columns) == list(pb.columns)
        again, new = rerun(store, b, world)
    pd.testing.assert_frame_equal(again.frames["parameters"], new.result.parameters(),
                                  check_dtype=False, rtol=0, atol=0)


def test_a_run_stored_before_prices_loads_without_them(tmp_path: Path) -> None:
    """The prices frame is never empty when stored, so a run with no rows in a store that
    has the table was stored before econsec kept prices: it loads without the frame (and
    `runs rerun` compares the frames it has) instead of with an empty one."""
    from econsec.data.runs import RunRecord, save_frames

    world = load_world()
    scenario = load_named("chn_graphite_2023").with_overrides(horizon="14d")
    result = run_scenario(scenario, world, runs=2, seed=1).result
    frames = result.to_frames()
    assert len(frames["prices"]) == len(result.baseline.goods) * 2 * 15  # days 0..14
    record = RunRecord(scenario.name, scenario.text, world.version, 2, 1, 14, 1)
    with Store(tmp_path / "runs.duckdb") as store:
        new = save_frames(store, record, frames)
        old = save_frames(store, record, {k: v for k, v in frames.items() if k != "prices"})
        assert "prices" in load_run(store, new).frames
        assert "prices" not in load_run(store, old).frames
        again, rerun_new = rerun(store, old, world)
    assert "prices" in rerun_new.to_frames() and "prices" not in again.frames
