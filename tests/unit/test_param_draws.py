"""Monte Carlo draws: the documented order (econsec.simulation.params), recomputed with
numpy directly, and the per-shock licence delays the shock plan reads."""

from __future__ import annotations

import datetime as dt

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


@pytest.mark.parametrize("seed", [0, 11])
def test_draws_follow_the_documented_order(seed: int) -> None:
    runs = 6
    d = draw_params(SPEC, runs, np.random.default_rng(seed))
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
    cols = d.columns(SPEC)
    assert [c for c in cols if c.startswith("licence_delay_days.")] == [
        "licence_delay_days.shock0", "licence_delay_days.shock3"]
    # a chunk of runs keeps its rows of every vector
    part = d.take(slice(2, 4))
    assert part.runs == 2
    np.testing.assert_array_equal(part.licence_delay[3], delay3[2:4])
    np.testing.assert_array_equal(part.params["spare_capacity"], spare[2:4])


def test_shock_plan_reads_each_shocks_delay() -> None:
    from test_engine import two_node  # C buys h from S

    d = draw_params(SPEC, 3, np.random.default_rng(4))
    plan = ShockPlan(two_node(), SPEC, d)
    ctl = plan.controls(0.0)
    # every licensing shock covers the one flow: its delay is the longest of the four
    # (shocks 0, 2, 3 and 4), per run
    want = np.maximum.reduce([d.shock_delay(i) for i in (0, 2, 3, 4)])
    np.testing.assert_array_equal(ctl.delay_days[0], want)
    with pytest.raises(ValueError, match="licence delays for 1 shocks, the spec has 5"):
        ShockPlan(two_node(), SPEC, Draws(d.params, d.licence_delay[:1]))


def test_given_params_fill_defaults_and_refuse_drawn_delays() -> None:
    fixed = SimulationSpec(start=START, horizon_days=5, shocks=(
        shock(ShockKind.licensing, ParamDist(DistKind.fixed, (7.0,))),))
    d = given_params(fixed, {"spare_capacity": np.array([0.1, 0.2])})
    np.testing.assert_array_equal(d.params["inventory_days"], [30.0, 30.0])  # default
    np.testing.assert_array_equal(d.shock_delay(0), [7.0, 7.0])
    with pytest.raises(ValueError, match="use draw_params"):
        given_params(SPEC, {"spare_capacity": np.array([0.1])})
    with pytest.raises(ValueError, match="unknown parameters"):
        given_params(fixed, {"elasticity": np.array([0.1])})
