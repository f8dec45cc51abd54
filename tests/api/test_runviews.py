"""What the dashboard shows of a stored run: the chart's series and the summary rows,
on a hand-built run (values chosen so the expected order is plain to read)."""

from __future__ import annotations

import pandas as pd

from econsec.api.runviews import StoredView, chart_frame, chart_rows, summary_rows


def _view() -> StoredView:
    # economy, good, loss p50, loss p95, availability drop p50
    rows = [("CHN", "battery", 9.0, 9.5, 0.0),       # large loss, not touched
            ("KOR", "dram", 2.0, 2.5, 0.1),          # touched economy
            ("KOR", "logic", 5.0, 5.5, 0.0),         # touched economy, larger loss
            ("USA", "hydrogen_fluoride", 0.0, 0.0, 0.3),  # touched good, availability only
            ("JPN", "hydrogen_fluoride", -1.0, -0.5, 0.0),  # touched, a gain: not charted
            ("DEU", "steel", 0.0, 0.0, 0.0),         # all zero: hidden
            ("FRA", "wine", 0.0, 0.0, 0.0)]          # all zero: hidden
    summ = pd.DataFrame(rows, columns=["economy", "good", "loss_usd_bn_p50",
                                       "loss_usd_bn_p95", "max_availability_drop_p50"])
    ts = pd.DataFrame([(d, e, g, "availability", 0.9, 1.0, 1.0)
                       for d in (0, 1) for e, g, *_ in rows],
                      columns=["day", "economy", "good", "metric", "p5", "p50", "p95"])
    return StoredView("20260101-000000-0123456789", {"scenario": "s", "runs": 1, "seed": 0},
                      {"summary": summ, "timeseries": ts}, ("JPN", "KOR"),
                      ("hydrogen_fluoride",), "")


def test_summary_sorted_by_loss_and_zero_rows_counted() -> None:
    rows, hidden = summary_rows(_view())
    assert hidden == 2  # DEU steel, FRA wine
    # by median loss: 9 > 5 > 2 > 0 > -1
    assert list(rows["good"]) == ["battery", "logic", "dram", "hydrogen_fluoride",
                                  "hydrogen_fluoride"]


def test_chart_shows_touched_losses_largest_first() -> None:
    view = _view()
    pairs = chart_rows(view)
    # CHN battery is not touched; JPN hydrogen_fluoride gains; the rest by median loss
    assert list(pairs["economy"] + " " + pairs["good"]) == [
        "KOR logic", "KOR dram", "USA hydrogen_fluoride"]
    frame, metric = chart_frame(view)
    assert metric == "availability"
    assert list(dict.fromkeys(frame["series"])) == ["KOR logic", "KOR dram",
                                                    "USA hydrogen_fluoride"]
    assert len(frame) == 6  # 3 series x 2 days


def test_a_stored_run_on_backcast_figures_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from econsec.api.jobs import RunStore
    from econsec.api.runviews import load, result_json
    from econsec.data.runs import save_run
    from econsec.data.world import load_world
    from econsec.policy.runner import run_scenario
    from econsec.policy.scenarios import load_named

    world = load_world()
    # the chip-shortage replay (as of 2020): microcontrollers are first measured in 2021,
    # so their 2021 shares stand in; the dashboard's result carries the note
    scenario = load_named("auto_chips_2021", world).with_overrides(horizon="3d")
    run = run_scenario(scenario, world, runs=1, seed=0)
    store = RunStore(tmp_path / "runs.duckdb")
    with store.session() as st:
        run_id = save_run(st, scenario, run.result, run.world_version)
    note = result_json(load(store, run_id, world))["result"]["note"]
    assert note.startswith("as of 2020 the world has no world-share figure for")
    assert "(backcast): microcontrollers (2021)," in note
