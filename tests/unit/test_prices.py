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
from econsec.policy.compare import price_market
from econsec.policy.outcomes import Citation, Outcome
from econsec.simulation.engine import Engine, simulate
from econsec.simulation.network_arrays import Baseline, assemble
from econsec.simulation.prices import Markets, PriceRule, log_ratio, supply_response
from econsec.simulation.spec import ShockKind, SimulationSpec
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
    spec = SimulationSpec(start=START, horizon_days=100, shocks=(ban("S1"),))
    eng = three_node_engine(spec)
    decay = math.exp(-1.0 / 10.0)
    eng.step()
    # step 1: C plans p = min(cap, D) = 1 and orders for use u = 0.5 x 1 = 0.5 (inventory
    # at target, no refill); S1's 75 % is blocked, S2 ships its 25 %: 0.125 arrives, all
    # of it toward use. C_h = 0.5, A_h = min(0.125, 0.5) = 0.125, z = ln 4;
    # ln P* = ln 4 / 0.2 = 5 ln 4 = ln 1024; ln P1 = ln 1024 (1 - e^-0.1)
    target = math.log(1024.0)
    p1 = target * (1.0 - decay)
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p1, rel=1e-12)
    # good g: final demand 1.0 fully served (inventory covers the use): P_g stays 1
    assert eng.state.price[G, 0] == 1.0
    eng.step()
    # step 2: inventory 5.5 + 0.125 - 0.5 = 5.125, so C also orders the refill
    # (5.5 - 5.125) / 30 = 0.0125, which S2 (at capacity) rations to nothing. Restocking is
    # not consumption: C_h = u = 0.5 again and A_h = 0.125, so the target is still ln 1024
    # (the old measure, orders 0.5125 over arrivals, would have aimed at 5 ln 4.1)
    p2 = target + (p1 - target) * decay
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p2, rel=1e-12)
    assert eng.state.price[G, 0] == 1.0
    # the shortage stays 75 % of consumption every step (no spare capacity, no share moves:
    # S2 has no headroom), so ln P_n = ln 1024 (1 - e^(-n/10)): after 100 steps
    # ln 1024 (1 - e^-10), constant toward 1024 with no drift beyond it
    for _ in range(98):
        eng.step()
    p100 = target * (1.0 - math.exp(-10.0))
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p100, rel=1e-12)
    assert eng.state.price[H, 0] < 1024.0


def test_price_falls_back_after_the_ban_is_lifted() -> None:
    # ban on days 0-4 (five steps), no spare capacity, eps 0.1 + 0.1, tau = 10 days. During
    # the ban z = ln 4 each step (as above; S2 has no headroom, no share moves), so
    # ln P5 = ln 1024 (1 - e^-0.5). After the lift S1 ships its use part 0.375 again (at
    # capacity, so it rations C's refill orders to nothing) and S2 its 0.125: 0.5 arrives,
    # C_h = A_h = 0.5, z = 0, and the price decays: ln P(5 + k) = ln P5 e^(-k/10), although
    # C's inventory (5.5 - 5 x 0.375 = 3.625) is still below its target of 5.5
    spec = SimulationSpec(start=START, horizon_days=60, shocks=(ban("S1", 0, 5),))
    eng = three_node_engine(spec)
    for _ in range(5):
        eng.step()
    p5 = math.log(1024.0) * (1.0 - math.exp(-0.5))
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p5, rel=1e-12)
    for k in range(1, 31):
        eng.step()
        assert math.log(eng.state.price[H, 0]) == pytest.approx(p5 * math.exp(-k / 10.0),
                                                                rel=1e-12)
    assert eng.state.inventory[0, 0] < 5.5  # still restocking: the price ignores it


def test_restocking_orders_do_not_raise_the_price() -> None:
    # no shock, no spare capacity; C's inventory of h set by hand to 2.5 (target 5.5), so it
    # orders u = 0.5 for use plus (5.5 - 2.5) / 30 = 0.1 to refill. S1 and S2 are at
    # capacity (0.375, 0.125 = their use parts), serve use in full and ration the refill to
    # nothing: C_h = A_h = 0.5, z = 0, P_h stays exactly 1 (the old measure, orders 0.6 over
    # arrivals 0.5, gave z = ln 1.2 and ln P* = 5 ln 1.2)
    spec = SimulationSpec(start=START, horizon_days=10)
    eng = three_node_engine(spec)
    eng.state.inventory = eng.state.inventory.copy()
    eng.state.inventory[0] = 2.5
    moved = eng.step()
    assert moved.received[0, 0] == pytest.approx(0.5, rel=1e-12)
    np.testing.assert_array_equal(eng.state.price, 1.0)


def test_an_export_ban_splits_the_market() -> None:
    # C buys h from S1 (75 %) and S2 (25 %); S1 makes 1.5 of h a day, 0.375 for C and the
    # rest, 1.125, for final demand in its own economy (a producer's own market, like
    # China's own gallium users). S1 bans exports, no spare: S1 becomes a home market of h.
    # International market (C only): C_h = u_C = 0.5 wanted, A_h = 0.125 from S2, so
    # z = ln 4 and ln P1 = ln 4 / 0.2 (1 - e^-0.1). Home market (S1's own buyers): 1.125
    # wanted and served in full (phi_use = 1): z = 0, the home index stays 1. (One world
    # market would have priced z = ln(1.625 / 1.25) = ln 1.3.)
    net = assemble(["C", "S1", "S2"], ["g", "h"], [(0, 0), (1, 1), (2, 1)],
                   np.array([1.0, 1.5, 0.0]), [(1, 0, 0.5, 0.0, True)],
                   {(0, 1): [(1, 0.75), (2, 0.25)]})
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S1"),))
    eng = three_node_engine(spec, net=net)
    eng.step()
    p1 = math.log(4.0) / 0.2 * (1.0 - math.exp(-0.1))
    assert math.log(eng.state.price[H, 0]) == pytest.approx(p1, rel=1e-12)
    assert eng.state.price[2 + H, 0] == 1.0  # home market of h (rows: G international, G home)
    # good g: one market (nobody holds g back): both rows follow it, served in full
    assert eng.state.price[G, 0] == eng.state.price[2 + G, 0] == 1.0


def test_without_controls_the_two_indices_are_one_market() -> None:
    # no shock; C's inventory of h set by hand to 0.2 (need 0.5 a day): C makes
    # y = 1 x min(1, 0.2 + 0.5 / 0.5)... the shortage is in g's production, not h's
    # purchases; whatever the indices do, with no flow held back the home row of every
    # good equals its international row at every step (the same z from the same start)
    spec = SimulationSpec(start=START, horizon_days=20)
    eng = three_node_engine(spec, spare=0.0)
    eng.state.inventory = eng.state.inventory.copy()
    eng.state.inventory[0] = 0.2
    for _ in range(5):
        eng.step()
        np.testing.assert_array_equal(eng.state.price[:2], eng.state.price[2:])
    assert (eng.state.price[:2] != 1.0).any()  # the test exercises a moving index


def test_after_a_lift_the_markets_merge() -> None:
    # ban by S1 on days 0-4, then free trade: from step 6 (day 5) h is one market again,
    # so both rows move toward the same target ln P* = z / 0.2 with the same decay e^-0.1:
    # their log-gap shrinks by exactly e^-0.1 a step
    net = assemble(["C", "S1", "S2"], ["g", "h"], [(0, 0), (1, 1), (2, 1)],
                   np.array([1.0, 1.5, 0.0]), [(1, 0, 0.5, 0.0, True)],
                   {(0, 1): [(1, 0.75), (2, 0.25)]})
    spec = SimulationSpec(start=START, horizon_days=20, shocks=(ban("S1", end=5),))
    eng = three_node_engine(spec, net=net)
    for _ in range(5):
        eng.step()
    gap = math.log(eng.state.price[H, 0]) - math.log(eng.state.price[2 + H, 0])
    assert gap > 0.1  # abroad short, at home served
    eng.step()
    gap1 = math.log(eng.state.price[H, 0]) - math.log(eng.state.price[2 + H, 0])
    assert gap1 == pytest.approx(gap * math.exp(-0.1), rel=1e-9)


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
    # rows: international P_g = 1, P_h = 2, then home H_g = 1, H_h = 3
    price = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, 1.0], [3.0, 3.0]])
    cap = np.array([[1.0, 1.0], [0.375, 0.375], [0.14, 0.14]])
    cap_max = np.array([[1.2, 1.2], [0.45, 0.45], [0.15, 0.15]])
    got = supply_response(cap, price, cap_max, rule)
    np.testing.assert_allclose(got[:, 0], [1.0, 0.375 * 2.0 ** 0.1, 0.15], rtol=1e-15)
    np.testing.assert_array_equal(got[:, 1], cap[:, 1])
    # S1 holding h back is a home market: its capacity answers the home index,
    # 0.375 x 3^0.1 = 0.41854 (below 0.45); S2 still the international one
    mk = Markets(slot_home=np.zeros((1, 1)), node_home=np.array([[0.0], [1.0], [0.0]]),
                 split=np.array([False, True]), slot_row=np.array([1]),
                 node_row=np.array([0, 1 + 2, 1]))
    got = supply_response(cap, price, cap_max, rule, mk)
    np.testing.assert_allclose(got[:, 0], [1.0, 0.375 * 3.0 ** 0.1, 0.15], rtol=1e-15)


def test_log_ratio_tolerance_and_floor() -> None:
    d = np.array([[1.0], [1.0], [0.0], [1.0]])
    s = np.array([[1.0 + 1e-12], [0.5], [0.0], [0.0]])
    # rounding-size gaps move no price; no demand: 0; no supply: bounded at ln 1000
    np.testing.assert_array_equal(log_ratio(d, s)[[0, 2]], 0.0)
    assert log_ratio(d, s)[1, 0] == pytest.approx(math.log(2.0))
    assert log_ratio(d, s)[3, 0] == pytest.approx(math.log(1000.0))


def test_the_built_in_table_has_a_sourced_default() -> None:
    table = price_elasticities()
    assert "default" in table
    for row in table.values():
        assert row.source and row.demand + row.supply > 0 and row.adjustment_days > 0
        assert {row.basis, row.adjustment_basis} <= {"estimated", "transferred", "assumption"}
    # the default: Caldara, Cavallo & Iacoviello's short-run oil elasticities (demand -0.13,
    # supply 0.11), transferred; the one-month adjustment an assumption
    row = table["default"]
    assert (row.demand, row.supply, row.adjustment_days) == (0.13, 0.11, 30.0)
    assert (row.basis, row.adjustment_basis) == ("transferred", "assumption")


@pytest.mark.parametrize(("line", "field", "message"), [
    ("gallium,-0.1,0.1,30,assumption,assumption,src,2020,", "elasticity_demand",
     "not a finite elasticity"),
    ("gallium,0,0,30,assumption,assumption,src,2020,", "elasticity_supply", "must be positive"),
    ("gallium,0.1,0.1,0,assumption,assumption,src,2020,", "adjustment_days",
     "positive number of days"),
    ("gallium,0.1,x,30,assumption,assumption,src,2020,", "elasticity_supply", "not a number"),
    ("gallium,0.1,0.1,30,guess,assumption,src,2020,", "basis", "not a basis"),
    ("gallium,0.1,0.1,30,assumption,fitted,src,2020,", "adjustment_basis", "not a basis"),
])
def test_table_errors_name_file_line_and_field(tmp_path: Path, line: str, field: str,
                                               message: str) -> None:
    path = tmp_path / "price_elasticities.csv"
    path.write_text("good,elasticity_demand,elasticity_supply,adjustment_days,basis,"
                    "adjustment_basis,source,year,note\n"
                    "default,0.2,0.2,30,assumption,assumption,src,2020,\n" + line + "\n")
    with pytest.raises(DataError, match=message) as err:
        read_price_elasticities(path)
    assert err.value.file == str(path) and "line 3" in str(err.value) and field in str(err.value)


def test_table_needs_a_default_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("good,elasticity_demand,elasticity_supply,adjustment_days,basis,"
                    "adjustment_basis,source,year,note\n"
                    "gallium,0.1,0.1,30,assumption,assumption,src,2020,\n")
    with pytest.raises(DataError, match="no 'default' row"):
        read_price_elasticities(path)


def test_price_feedback_must_be_zero_or_one() -> None:
    spec = SimulationSpec(start=START, horizon_days=10)
    with pytest.raises(ValueError, match="price_feedback must be 0"):
        engine(three_node(), spec, params(price_feedback=0.5))


def test_prices_table_and_window() -> None:
    # the built-in table: goods g, h have no row of their own and take the default row
    # (eps_d + eps_s = 0.13 + 0.11 = 0.24, 30 days). Ban from day 0.
    spec = SimulationSpec(start=START, horizon_days=5, shocks=(ban("S1"),))
    res = simulate(spec, baseline=three_node(), runs=3, rng=0)
    frame = res.prices()
    assert list(frame.columns) == ["good", "market", "date", "price_index_p5",
                                   "price_index_p50", "price_index_p95"]
    assert len(frame) == 2 * 2 * 6  # goods g, h in two markets at days 0..5
    h = frame[(frame["good"] == "h") & (frame["market"] == "international")
              ].reset_index(drop=True)
    # S1's home market of h has no buyer (S1 makes h for C only): no consumption, z = 0
    home = frame[(frame["good"] == "h") & (frame["market"] == "home")]
    assert (home["price_index_p50"] == 1.0).all()
    assert h["date"].iloc[0] == START and h["price_index_p50"].iloc[0] == 1.0
    # step 1 as in test_price_path_of_a_known_shortage, but spare 10 % (default) and
    # default elasticities: S2 adds nothing on day 0 (ramp starts after a step of
    # pressure), so z = ln 4 and ln P1 = (ln 4 / 0.24) (1 - e^(-1/30))
    p1 = math.exp(math.log(4.0) / 0.24 * (1.0 - math.exp(-1.0 / 30.0)))
    assert h["price_index_p50"].iloc[1] == pytest.approx(p1, rel=1e-6)  # float32 record
    # the window's mean price: day 0 is recorded at the end of day 0 (day 1)
    assert res.price_in_window(0, 0)[:, 1] == pytest.approx(p1, rel=1e-6)
    with pytest.raises(ValueError, match="outside the simulated horizon"):
        res.price_in_window(-3, -1)


def test_a_price_outcome_is_read_in_the_market_of_its_economy() -> None:
    # the outcome's economy is the market the price is assessed in: an economy a ban,
    # licensing or quota of the scenario holds the good back from is a home market; a
    # tariff splits nothing; any other economy (ROW, Rotterdam) is international

    def price_in(economy: str) -> Outcome:
        return Outcome(metric="price", economy=economy, good="h", direction="up",
                       period="test", source=Citation("t", "p", "https://x"), year=2024,
                       unit="usd")

    tariff = replace(ban("S2"), kind=ShockKind.tariff)
    shocks = (ban("S1"), tariff)
    assert price_market(price_in("S1"), shocks) == "home"
    assert price_market(price_in("S2"), shocks) == "international"
    assert price_market(price_in("ROW"), shocks) == "international"
    assert price_market(replace(price_in("S1"), good="g"), shocks) == "international"
