"""The price stage (:mod:`econsec.simulation.prices`): hand-worked price paths on the
three-node network, the steady state, the feedback arithmetic, the elasticity table's
validation, and the prices table and price outcomes."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from econsec.data.price_elasticities import (
    PriceElasticity,
    price_elasticities,
    read_price_elasticities,
)
from econsec.errors import DataError
from econsec.simulation.engine import Engine, simulate
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.prices import PriceRule, log_ratio, supply_response
from econsec.simulation.spec import SimulationSpec
from simhelpers import START, ban, engine, params, three_node


def with_elasticities(eng: Engine, eps_d: float, eps_s: float, tau: float) -> Engine:
    """*eng* with every good at the given elasticities and adjustment days."""
    assert eng.prm.prices is not None
    row = PriceElasticity("default", eps_d, eps_s, tau, "test", 2024)
    rule = PriceRule.of(eng.base, {"default": row}, "default", eng.prm.prices.feedback, eng.dt)
    eng.prm = replace(eng.prm, prices=rule)
    return eng


def three_node_engine(spec: SimulationSpec, feedback: float = 0.0, spare: float = 0.0,
                      eps: float = 0.1, tau: float = 10.0, net: Baseline | None = None
                      ) -> Engine:
    eng = engine(net or three_node(), spec,
                 params(spare_capacity=spare, price_feedback=feedback))
    return with_elasticities(eng, eps, eps, tau)


# three_node(): C makes g (USD 1bn/day, all final demand) from h (cost share 0.5), bought
# 75 % from S1 and 25 % from S2; nodes sorted by (good, economy): 0 = (C, g), 1 = (S1, h),
# 2 = (S2, h); goods: 0 = g, 1 = h. Ten days of inventory: target (10 + 1) x 0.5 = 5.5.
G, H = 0, 1


def test_price_path_of_a_known_shortage() -> None:
    # S1 bans h from day 0; no spare capacity (S2 cannot add), eps_d = eps_s = 0.1,
    # tau = 10 days, refill over 30 days (the default)
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S1"),))
    eng = three_node_engine(spec)
    decay = math.exp(-1.0 / 10.0)
    eng.step()
    # step 1: C orders u = 0.5 x 1 = 0.5 (inventory at target, no refill); S1's 75 % is
    # blocked, S2 ships its 25 %: 0.125 arrives. D_h = 0.5, S_h = 0.125, z = ln 4;
    # ln P* = ln 4 / 0.2 = 5 ln 4 = ln 1024; ln P1 = ln 1024 (1 - e^-0.1)
    p1 = math.log(1024.0) * (1.0 - decay)
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p1, rel=1e-12)
    # good g: final demand 1.0 fully served (inventory covers the use): P_g stays 1
    assert eng.state.price[G, 0] == 1.0
    eng.step()
    # step 2: inventory 5.5 + 0.125 - 0.5 = 5.125, refill (5.5 - 5.125) / 30 = 0.0125:
    # D_h = 0.5125, still 0.125 arrives (S2 at capacity rations the refill part);
    # ln P* = ln(0.5125 / 0.125) / 0.2 = 5 ln 4.1; ln P2 = ln P* + (ln P1 - ln P*) e^-0.1
    target = 5.0 * math.log(4.1)
    p2 = target + (p1 - target) * decay
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p2, rel=1e-12)
    assert eng.state.price[G, 0] == 1.0


def test_price_falls_back_after_the_ban_is_lifted() -> None:
    # ban on days 0-4, S2 with 20 % spare (0.15 at most, on line after a day). During the
    # ban C moves S2's headroom to it (share 0.25 -> 0.30); after the lift S1 serves its
    # 70 % again, and only the restocking orders S2 cannot serve (0.3 (0.5 + r) > 0.15)
    # stay short: z = ln((0.5 + r) / (0.5 + r - 0.3 r)) -> 0 as the gap r closes, and the
    # price falls back toward 1 after its peak at the end of the ban
    spec = SimulationSpec(start=START, horizon_days=200, shocks=(ban("S1", 0, 5),))
    eng = three_node_engine(spec, spare=0.2)
    path = []
    for _ in range(200):
        eng.step()
        path.append(eng.state.price[H, 0])
    peak = int(np.argmax(path))
    assert peak <= 6 and path[peak] > 1.5
    assert (np.diff(path[peak:]) <= 1e-12 * np.asarray(path[peak:-1])).all()
    # at the end: r = (5.5 - I) / 30 and z as above; the price is near exp(z / 0.2) (it
    # trails its falling target by about tau = 10 days)
    r = (5.5 - eng.state.inventory[0, 0]) / 30.0
    target = math.exp(math.log((0.5 + r) / (0.5 + 0.7 * r)) / 0.2)
    assert 1.0 < target < path[-1] < 1.01


@pytest.mark.parametrize(("feedback", "weekly"), [(0.0, False), (1.0, False), (1.0, True)])
def test_baseline_prices_stay_exactly_one(feedback: float, weekly: bool) -> None:
    spec = SimulationSpec(start=START, horizon_days=700, step_days=7 if weekly else 1)
    eng = three_node_engine(spec, feedback=feedback, spare=0.1)
    for _ in range(100):
        eng.step()
    np.testing.assert_array_equal(eng.state.price, 1.0)
    np.testing.assert_allclose(eng.state.output[:, 0], eng.base.x0, rtol=1e-12)


def test_feedback_scales_use_and_relaxes_the_price() -> None:
    # no shock; the price of h set to 2 by hand, feedback on, eps_d = eps_s = 0.1:
    # C's use coefficient becomes 0.5 x 2^-0.1, so it orders and uses 0.5 x 2^-0.1 of h;
    # S1 and S2 serve it in full (D = S), so z = 0 and ln P relaxes: ln P' = ln 2 e^-0.1
    spec = SimulationSpec(start=START, horizon_days=10)
    eng = three_node_engine(spec, feedback=1.0, spare=0.1)
    eng.state.price = eng.state.price.copy()
    eng.state.price[H] = 2.0
    moved = eng.step()
    use = 0.5 * 2.0 ** -0.1
    assert moved.used[0, 0] == pytest.approx(use, rel=1e-12)
    assert moved.received[0, 0] == pytest.approx(use, rel=1e-12)
    assert eng.state.output[1, 0] == pytest.approx(0.75 * use, rel=1e-12)
    assert math.log(eng.state.price[H, 0]) == pytest.approx(math.log(2.0) * math.exp(-0.1),
                                                            rel=1e-12)
    # without feedback the same price changes no quantity
    eng0 = three_node_engine(spec, feedback=0.0, spare=0.1)
    eng0.state.price = eng0.state.price.copy()
    eng0.state.price[H] = 2.0
    assert eng0.step().used[0, 0] == pytest.approx(0.5, rel=1e-12)


def test_feedback_brings_spare_capacity_on_line_within_its_ceiling() -> None:
    # capacity on line of the h suppliers S1, S2 (nodes 1, 2) with P_h = 2, eps_s = 0.1,
    # ceiling 1.2 x0: S1 0.375 x 2^0.1 = 0.40193 (below 0.45); S2 at 0.14 (ramping) ->
    # min(0.14 x 2^0.1, 0.15) = 0.15; C (good g, P_g = 1) unchanged; a run without
    # feedback (second column) unchanged
    spec = SimulationSpec(start=START, horizon_days=10)
    eng = engine(three_node(), spec, {**params(2, spare_capacity=0.2),
                                      "price_feedback": np.array([1.0, 0.0])})
    rule = with_elasticities(eng, 0.1, 0.1, 10.0).prm.prices
    assert rule is not None
    price = np.array([[1.0, 1.0], [2.0, 2.0]])
    cap = np.array([[1.0, 1.0], [0.375, 0.375], [0.14, 0.14]])
    cap_max = np.array([[1.2, 1.2], [0.45, 0.45], [0.15, 0.15]])
    got = supply_response(cap, price, cap_max, rule)
    np.testing.assert_allclose(got[:, 0], [1.0, 0.375 * 2.0 ** 0.1, 0.15], rtol=1e-15)
    np.testing.assert_array_equal(got[:, 1], cap[:, 1])


def test_log_ratio_tolerance_and_floor() -> None:
    d = np.array([[1.0], [1.0], [0.0], [1.0]])
    s = np.array([[1.0 + 1e-12], [0.5], [0.0], [0.0]])
    # rounding-size gaps move no price; no demand: 0; no supply: bounded at ln 1000
    np.testing.assert_array_equal(log_ratio(d, s)[[0, 2]], 0.0)
    assert log_ratio(d, s)[1, 0] == pytest.approx(math.log(2.0))
    assert log_ratio(d, s)[3, 0] == pytest.approx(math.log(1000.0))


def test_the_built_in_table_has_a_default_and_the_replay_minerals() -> None:
    table = price_elasticities()
    assert {"default", "gallium", "germanium", "rare_earth_processing",
            "graphite_natural"} <= set(table)
    for row in table.values():
        assert row.source and row.demand + row.supply > 0 and row.adjustment_days > 0


@pytest.mark.parametrize(("line", "field", "message"), [
    ("gallium,-0.1,0.1,30,src,2020,", "elasticity_demand", "not a finite elasticity"),
    ("gallium,0,0,30,src,2020,", "elasticity_supply", "must be positive"),
    ("gallium,0.1,0.1,0,src,2020,", "adjustment_days", "positive number of days"),
    ("gallium,0.1,x,30,src,2020,", "elasticity_supply", "not a number"),
])
def test_table_errors_name_file_line_and_field(tmp_path: Path, line: str, field: str,
                                               message: str) -> None:
    path = tmp_path / "price_elasticities.csv"
    path.write_text("good,elasticity_demand,elasticity_supply,adjustment_days,source,year,"
                    "note\ndefault,0.2,0.2,30,src,2020,\n" + line + "\n")
    with pytest.raises(DataError, match=message) as err:
        read_price_elasticities(path)
    assert err.value.file == str(path) and "line 3" in str(err.value) and field in str(err.value)


def test_table_needs_a_default_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("good,elasticity_demand,elasticity_supply,adjustment_days,source,year,"
                    "note\ngallium,0.1,0.1,30,src,2020,\n")
    with pytest.raises(DataError, match="no 'default' row"):
        read_price_elasticities(path)


def test_price_feedback_must_be_zero_or_one() -> None:
    spec = SimulationSpec(start=START, horizon_days=10)
    with pytest.raises(ValueError, match="price_feedback must be 0"):
        engine(three_node(), spec, params(price_feedback=0.5))


def test_prices_table_and_window() -> None:
    # the built-in table: goods g, h have no row of their own and take the default row
    # (eps_d + eps_s = 0.4, 30 days). Ban from day 0.
    spec = SimulationSpec(start=START, horizon_days=5, shocks=(ban("S1"),))
    res = simulate(spec, baseline=three_node(), runs=3, rng=0)
    frame = res.prices()
    assert list(frame.columns) == ["good", "date", "price_index_p5", "price_index_p50",
                                   "price_index_p95"]
    assert len(frame) == 2 * 6  # goods g, h at days 0..5
    h = frame[frame["good"] == "h"].reset_index(drop=True)
    assert h["date"].iloc[0] == START and h["price_index_p50"].iloc[0] == 1.0
    # step 1 as in test_price_path_of_a_known_shortage, but spare 10 % (default) and
    # default elasticities: S2 adds nothing on day 0 (ramp starts after a step of
    # pressure), so z = ln 4 and ln P1 = (ln 4 / 0.4) (1 - e^(-1/30))
    p1 = math.exp(math.log(4.0) / 0.4 * (1.0 - math.exp(-1.0 / 30.0)))
    assert h["price_index_p50"].iloc[1] == pytest.approx(p1, rel=1e-6)  # float32 record
    # the window's mean price: day 0 is recorded at the end of day 0 (day 1)
    assert res.price_in_window(0, 0)[:, 1] == pytest.approx(p1, rel=1e-6)
    with pytest.raises(ValueError, match="outside the simulated horizon"):
        res.price_in_window(-3, -1)
