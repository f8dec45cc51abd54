"""Mechanism ablation (:mod:`econsec.policy.ablation`): each switch really switches its
mechanism off, on the two-node network of the simulation tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from econsec.data.transit_days import DEFAULT, transit_days
from econsec.policy.ablation import MECHANISMS, ablation_configs, switch_off
from econsec.simulation.engine import simulate
from econsec.simulation.spec import DistKind, ParamDist, SimulationSpec
from simhelpers import START, ban, two_node

#: the two-node network's economies C and S have no region: their route is interregional
INTER = transit_days()[DEFAULT].interregional


def banned(lag_days: float) -> SimulationSpec:
    """Two-node network (C makes g from h bought from S), ban by S on days 2-5, no spare
    capacity, 10 days of inventory, *lag_days* of transit."""
    prm = {"transit_scale": ParamDist(DistKind.fixed, (lag_days / INTER,)),
           "spare_capacity": ParamDist(DistKind.fixed, (0.0,)),
           "inventory_days": ParamDist(DistKind.fixed, (10.0,))}
    return SimulationSpec(start=START, horizon_days=12, shocks=(ban("S", start=2, end=6),),
                          params=prm)


def test_prices_off_holds_every_index_at_one() -> None:
    # the ban stops every delivery of h on days 2-5: excess demand D/S > 1, so with the
    # price stage on h's index rises above 1; switched off, every index stays exactly 1.0
    spec = banned(0.0)
    on = simulate(spec, baseline=two_node(sigma=0.0), runs=1)
    off = simulate(switch_off(spec, ["prices"]), baseline=two_node(sigma=0.0), runs=1)
    h = on.baseline.goods.index("h")
    assert on.price_in_window(3, 5)[0, h] > 1.0
    assert np.array_equal(off.price_in_window(0, 11), np.ones_like(off.price_in_window(0, 11)))
    assert set(off.prices()["price_index_p50"]) == {1.0}


def test_transit_off_makes_arrivals_equal_departures() -> None:
    # 3 days of transit: over days 2-5 of the ban nothing departs, while 3 of the 4 days
    # still bring goods shipped before it, (0.5 + 0.5 + 0.5 + 0) / 4 = 0.375 (the hand
    # calculation of test_transit); switched off, arrivals equal departures on every day
    spec = banned(3.0)
    on = simulate(spec, baseline=two_node(sigma=0.0), runs=1)
    off = simulate(switch_off(spec, ["transit"]), baseline=two_node(sigma=0.0), runs=1)
    keys, came = on.trade_in_window(2, 5)
    row = int(np.flatnonzero((keys["buyer"] == "C") & (keys["supplier"] == "S"))[0])
    assert came[0, row] == pytest.approx(0.375)
    for first, last in ((0, 1), (2, 5), (6, 8), (9, 11)):
        _, arrived = off.trade_in_window(first, last)
        _, departed = off.trade_in_window(first, last, departed=True)
        assert np.array_equal(arrived, departed)


def test_switches_set_the_engine_parameters_and_keep_the_rest() -> None:
    spec = banned(3.0)
    off = switch_off(spec, ["adaptation", "anticipation", "transit", "return"])
    assert off.params["localisation_share"] == ParamDist(DistKind.fixed, (0.0,))
    assert off.params["frontload_days"] == ParamDist(DistKind.fixed, (0.0,))
    assert off.params["transit_scale"] == ParamDist(DistKind.fixed, (0.0,))
    assert off.params["return_days"] == ParamDist(DistKind.fixed, (math.inf,))
    assert off.params["inventory_days"] == spec.params["inventory_days"]
    assert off.prices and not switch_off(spec, ["prices"]).prices
    assert off.licence_spread and not switch_off(spec, ["licence_spread"]).licence_spread
    assert switch_off(spec, ["licence_spread"]).params == spec.params
    assert off.border_refusal and not switch_off(spec, ["border_refusal"]).border_refusal
    assert switch_off(spec, ["border_refusal"]).params == spec.params
    assert spec.params["transit_scale"].args == (3.0 / INTER,)  # the spec is not changed
    with pytest.raises(ValueError, match=r"unknown mechanism.*known: \['prices'"):
        switch_off(spec, ["inventories"])


def test_ablation_configs_are_none_each_then_all() -> None:
    configs = ablation_configs()
    assert configs[0] == ("none", ())
    assert [c for c, _ in configs[1:-1]] == list(MECHANISMS)
    assert configs[-1] == ("all", tuple(MECHANISMS))
    assert ablation_configs(["transit"]) == [("none", ()), ("transit", ("transit",))]


def test_replays_cli_ablation_and_unknown_mechanism() -> None:
    import json

    from typer.testing import CliRunner

    from econsec.cli.app import app

    res = CliRunner().invoke(app, ["replays", "--scenario", "chn_graphite_2023", "--runs", "2",
                                   "--ablation", "--without", "transit", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [(r["switched_off"], r["scenario"]) for r in rows] == [
        ("none", "chn_graphite_2023"), ("none", "all"),
        ("transit", "chn_graphite_2023"), ("transit", "all")]
    # 6 outcomes, one of them calibration (gr_2024_03_06): 5 validation outcomes
    assert {r["validation"] for r in rows} == {5}
    res = CliRunner().invoke(app, ["replays", "--scenario", "chn_graphite_2023",
                                   "--without", "inventories"])
    assert res.exit_code != 0 and "unknown mechanism" in res.output
