"""Stored runs: exact inputs kept; a re-run gives the same numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.runs import list_runs, load_run, rerun, save_run
from econsec.data.store import Store
from econsec.data.world import load_world
from econsec.errors import StoreError
from econsec.policy.runner import run_scenario
from econsec.policy.scenarios import load_named


def test_store_and_rerun_reproduces_every_frame(tmp_path: Path) -> None:
    world = load_world()
    scenario = load_named("chn_graphite_2023").with_overrides(horizon="180d", step="week")
    result = run_scenario(scenario, world, runs=5, seed=11)
    with Store(tmp_path / "runs.duckdb") as store:
        run_id = save_run(store, scenario, result, world)
        runs = list_runs(store)
        assert list(runs["run_id"]) == [run_id]
        row = runs.iloc[0]
        assert (row["scenario"], row["runs"], row["seed"]) == ("chn_graphite_2023", 5, 11)
        assert (row["horizon_days"], row["step_days"]) == (180, 7)
        assert row["world_version"] == world.version
        stored = load_run(store, run_id[:15])  # unique prefix
        assert stored.meta["scenario_yaml"] == scenario.text
        again, new = rerun(store, run_id, world)
    assert new.seed == 11 and new.runs == 5 and new.spec.horizon_days == 180
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
