"""The trade table in real USD, nominal USD and tonnes on the tiny world: tonnes = the real
flow / the unit value of the scenario's as-of year, by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from econsec.data.world import load_world
from econsec.policy.runner import run_scenario
from econsec.policy.scenarios import load_scenario
from econsec.policy.units import TRADE_COLUMNS

UNIT_VALUES = (
    "good,year,usd_per_t,value_usd,quantity_t,hs6,basis,source,note,dataset,edition,file,cell\n"
    # chem: 2,000,000 USD / 1,000 t = 2,000 USD/t in 2024; 3,000 USD/t in 2025 (after the
    # as-of year, never used for it)
    "chem,2024,2000.0,2000000.0,1000.0,281111,test,t_fixture,,fixture,hand,x.csv,lines 2-3\n"
    "chem,2025,3000.0,3000000.0,1000.0,281111,test,t_fixture,,fixture,hand,x.csv,lines 4-5\n"
)
SCENARIO = """\
name: units_demo
title: Units demo
kind: forward
start: 2022-07-01
horizon: 30d
as_of_year: 2024
measures:
  - id: jpn_chem_to_kor
    intensity: 1.0
parameters:
  inventory_days: 10
"""


@pytest.fixture
def run(tiny_copy: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tiny_copy / "unit_values.csv").write_text(UNIT_VALUES, encoding="utf-8")
    world = load_world(tiny_copy)
    path = tmp_path / "units_demo.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return world, load_scenario(path, world)


def test_tonnes_are_the_real_flow_over_the_unit_value(run) -> None:  # type: ignore[no-untyped-def]
    world, scenario = run
    out = run_scenario(scenario, world, runs=3, seed=0)
    trade = out.trade()
    assert list(trade.columns) == TRADE_COLUMNS
    chem = trade[trade["good"] == "chem"]
    assert not chem.empty
    # USD bn a day x 1e9 / 2,000 USD per tonne (the 2024 figure: as_of_year 2024), e.g.
    # 0.001 USD bn a day = 1,000,000 USD a day = 500 t a day
    for q in ("p5", "p50", "p95", "baseline"):
        assert chem[f"tonnes_{q}"].to_numpy() == pytest.approx(
            chem[f"real_usd_bn_{q}"].to_numpy() * 1e9 / 2000.0, rel=1e-12)
    assert (chem["unit_value_usd_per_t"] == 2000.0).all()
    assert (chem["unit_value_year"] == 2024).all()
    # the stored frame keeps the engine's real columns only
    assert set(out.to_frames()["trade"].columns) == {"day", "buyer", "good", "supplier",
                                                     "p5", "p50", "p95", "baseline"}


def test_a_good_without_a_unit_value_has_no_tonnes_and_says_why(run) -> None:  # type: ignore[no-untyped-def]
    world, scenario = run
    trade = run_scenario(scenario, world, runs=2, seed=0).trade()
    from econsec.policy.units import unit_values_of

    got = unit_values_of(["ore", "chem"], world, 2024)
    # ore (HS 250410) has no row in unit_values.csv: missing, with the reason
    assert got["ore"][0] is None and got["ore"][1] is None
    assert "no dataset of the world build holds a traded quantity for HS 250410" in got["ore"][2]
    assert got["chem"][:2] == (2000.0, 2024)
    # a year before any figure takes the earliest, flagged in the note
    early = unit_values_of(["chem"], world, 2020)["chem"]
    assert early[:2] == (2000.0, 2024) and "backcast" in early[2]
    assert trade["tonnes_note"].notna().all()


def test_nominal_usd_is_real_without_the_price_mechanism(run) -> None:  # type: ignore[no-untyped-def]
    world, scenario = run
    off = run_scenario(scenario, world, runs=2, seed=0, without=("prices",)).trade()
    for q in ("p5", "p50", "p95"):
        assert (off[f"nominal_usd_bn_{q}"] == off[f"real_usd_bn_{q}"]).all()
    on = run_scenario(scenario, world, runs=2, seed=0).trade()
    # Japan's ban raises the chemical's price: its nominal value exceeds the real one
    late = on[(on["good"] == "chem") & (on["day"] == on["day"].max())
              & (on["real_usd_bn_p50"] > 0)]
    assert not late.empty and (late["nominal_usd_bn_p50"] > late["real_usd_bn_p50"]).all()
