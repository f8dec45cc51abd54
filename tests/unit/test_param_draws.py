"""Monte Carlo draws: the documented order (econsec.simulation.params), recomputed with
numpy directly, and the per-shock licence delays the shock plan reads (drawn per run with
``licence_spread`` off; spread over shipments, so not drawn, with it on)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from econsec.simulation.controls import ShockPlan
from econsec.simulation.params import Draws, draw_params, given_params
from econsec.simulation.spec import DistKind, ParamDist, Shock, ShockKind, SimulationSpec

START = dt.date(2025, 1, 1)


def shock(kind: ShockKind, delay: ParamDist | None = None) -> Shock:
    return Shock(kind, frozenset({"S"}), frozenset(), frozenset({"h"}), start=0,
                 intensity=0.0 if kind is ShockKind.licensing else 1.0, approval_rate=0.5
                 if kind is ShockKind.licensing else None, licence_delay=delay)


SPEC = SimulationSpec(
    start=START, horizon_days=10,
    shocks=(shock(ShockKind.licensing, ParamDist(DistKind.uniform, (10.0, 20.0))),
            shock(ShockKind.ban),
            shock(ShockKind.licensing),  # no delay of its own: the parameter
            shock(ShockKind.licensing, ParamDist(DistKind.uniform, (50.0, 80.0))),
            shock(ShockKind.licensing, ParamDist(DistKind.fixed, (45.0,)))),
    params={"spare_capacity": ParamDist(DistKind.uniform, (0.05, 0.2)),
            "ramp_days": ParamDist(DistKind.fixed, (30.0,)),
            "inventory_days": ParamDist(DistKind.triangular, (20.0, 30.0, 60.0))})
#: the same with one delay drawn per run for every shipment (the behaviour before the spread)
PER_RUN = replace(SPEC, licence_spread=False)


@pytest.mark.parametrize("seed", [0, 11])
def test_draws_follow_the_documented_order(seed: int) -> None:
    runs = 6
    d = draw_params(PER_RUN, runs, np.random.default_rng(seed))
    # the documented order: PARAMETERS in order, non-fixed ones only (spare_capacity,
    # inventory_days), then the shocks' own non-fixed delays in shock order (0, then 3)
    rng = np.random.default_rng(seed)
    spare = rng.uniform(0.05, 0.2, runs)
    inventory = rng.triangular(20.0, 30.0, 60.0, runs)
    delay0 = rng.uniform(10.0, 20.0, runs)
    delay3 = rng.uniform(50.0, 80.0, runs)
    np.testing.assert_array_equal(d.params["spare_capacity"], spare)
    np.testing.assert_array_equal(d.params["inventory_days"], inventory)
    np.testing.assert_array_equal(d.params["ramp_days"], np.full(runs, 30.0))
    np.testing.assert_array_equal(d.params["licence_delay_days"], np.full(runs, 60.0))
    np.testing.assert_array_equal(d.params["return_days"], np.full(runs, np.inf))
    assert d.licence_delay[1] is None and d.licence_delay[2] is None
    np.testing.assert_array_equal(d.licence_delay[0], delay0)
    np.testing.assert_array_equal(d.licence_delay[3], delay3)
    np.testing.assert_array_equal(d.licence_delay[4], np.full(runs, 45.0))
    # a shock without its own delay takes the licence_delay_days parameter
    np.testing.assert_array_equal(d.shock_delay(2), np.full(runs, 60.0))
    np.testing.assert_array_equal(d.shock_delay(3), delay3)
    # the parameters table: every parameter, then the drawn (non-fixed) shock delays
    cols = d.columns(PER_RUN)
    assert [c for c in cols if c.startswith("licence_delay_days.")] == [
        "licence_delay_days.shock0", "licence_delay_days.shock3"]
    # a chunk of runs keeps its rows of every vector
    part = d.take(slice(2, 4))
    assert part.runs == 2
    np.testing.assert_array_equal(part.licence_delay[3], delay3[2:4])
    np.testing.assert_array_equal(part.params["spare_capacity"], spare[2:4])


@pytest.mark.parametrize("seed", [0, 11])
def test_spread_delays_draw_nothing_and_leave_the_parameters(seed: int) -> None:
    runs = 6
    d = draw_params(SPEC, runs, np.random.default_rng(seed))
    before = draw_params(PER_RUN, runs, np.random.default_rng(seed))
    # shocks 0 and 3 (uniform delays) are spread over shipments: not drawn; the parameters
    # are drawn first, so they are those of the per-run draws bit for bit
    assert d.spread == (True, False, False, True, False)
    assert d.licence_delay[0] is None and d.licence_delay[3] is None
    for name, v in before.params.items():
        np.testing.assert_array_equal(d.params[name], v)
    np.testing.assert_array_equal(d.licence_delay[4], np.full(runs, 45.0))  # fixed: as is
    np.testing.assert_array_equal(d.shock_delay(2), np.full(runs, 60.0))  # the parameter
    with pytest.raises(ValueError, match="shock 0's licence delay is spread"):
        d.shock_delay(0)
    assert not [c for c in d.columns(SPEC) if c.startswith("licence_delay_days.")]
    assert d.take(slice(1, 3)).spread == d.spread
    # the rest of the generator is untouched by the spread shocks: the next number drawn
    # after the parameters (spare_capacity, inventory_days) is the same as a fresh draw's
    rng = np.random.default_rng(seed)
    draw_params(SPEC, runs, rng)
    ref = np.random.default_rng(seed)
    ref.uniform(0.05, 0.2, runs)
    ref.triangular(20.0, 30.0, 60.0, runs)
    assert rng.random() == ref.random()


def test_shock_plan_reads_each_shocks_delay() -> None:
    from test_engine import two_node  # C buys h from S

    d = draw_params(PER_RUN, 3, np.random.default_rng(4))
    plan = ShockPlan(two_node(), PER_RUN, d)
    ctl = plan.controls(0.0)
    # every licensing shock covers the one flow: its delay is the longest of the four
    # (shocks 0, 2, 3 and 4), per run
    want = np.maximum.reduce([d.shock_delay(i) for i in (0, 2, 3, 4)])
    np.testing.assert_array_equal(ctl.delay_days[0], want)
    with pytest.raises(ValueError, match="licence delays for 1 shocks, the spec has 5"):
        ShockPlan(two_node(), PER_RUN, Draws(d.params, d.licence_delay[:1]))


def test_given_params_fill_defaults_and_refuse_drawn_delays() -> None:
    fixed = SimulationSpec(start=START, horizon_days=5, shocks=(
        shock(ShockKind.licensing, ParamDist(DistKind.fixed, (7.0,))),))
    d = given_params(fixed, {"spare_capacity": np.array([0.1, 0.2])})
    np.testing.assert_array_equal(d.params["inventory_days"], [30.0, 30.0])  # default
    np.testing.assert_array_equal(d.shock_delay(0), [7.0, 7.0])
    with pytest.raises(ValueError, match="use draw_params"):
        given_params(PER_RUN, {"spare_capacity": np.array([0.1])})
    # spread delays need no generator: they are the same in every run
    spread = given_params(SPEC, {"spare_capacity": np.array([0.1])})
    assert spread.spread[0] and spread.licence_delay[0] is None
    with pytest.raises(ValueError, match="unknown parameters"):
        given_params(fixed, {"elasticity": np.array([0.1])})
