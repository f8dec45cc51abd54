"""Hand-worked cases for quotas, tariffs, levers, progress and cancellation."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from econsec.simulation.engine import SimulationCancelled, simulate
from econsec.simulation.spec import (
    PARAMETERS,
    CapacityInvestment,
    Diversification,
    LicenceRelief,
    Shock,
    ShockKind,
    SimulationSpec,
)
from simhelpers import START, ban, engine, fixed, licensing, params, three_node, two_node


def test_quota_caps_the_flow_until_inventory_settles() -> None:
    quota = Shock(ShockKind.quota, frozenset({"S"}), frozenset(), frozenset({"h"}), start=0,
                  intensity=0.6)
    eng = engine(two_node(sigma=0.0), SimulationSpec(start=START, horizon_days=40,
                                                     shocks=(quota,)), params())
    out = []
    for _ in range(40):
        f = eng.step()
        out.append(eng.state.output[0, 0])
        assert f.received[0, 0] == pytest.approx(0.3)  # 0.6 x 0.5 a day
    # inventory 5.5 falls 0.2 a day: full output while it covers a day's 0.5 (days 0-25)
    np.testing.assert_allclose(out[:26], 1.0)
    np.testing.assert_allclose(out[26:], 0.6)


def test_tariff_shifts_share_gradually_by_the_wedge() -> None:
    tariff = Shock(ShockKind.tariff, frozenset({"S1"}), frozenset(), frozenset({"h"}),
                   start=0, intensity=1.0)
    eng = engine(three_node(), SimulationSpec(start=START, horizon_days=5, shocks=(tariff,)),
                 params(spare_capacity=1.0, ramp_days=10.0))
    eng.step()
    wedge = 2.0 ** -PARAMETERS["tariff_elasticity"][1]
    lost = 0.75 * (1 - wedge) / 10.0
    w1, w2 = 0.375 * wedge, 0.125  # headrooms at full spare x the wedge
    expect_s1 = 0.75 - lost + lost * w1 / (w1 + w2)
    np.testing.assert_allclose(eng.state.share[:, 0], [expect_s1, 1 - expect_s1])


def test_tariff_elasticity_is_a_run_parameter() -> None:
    tariff = Shock(ShockKind.tariff, frozenset({"S1"}), frozenset(), frozenset({"h"}),
                   start=0, intensity=1.0)
    eng = engine(three_node(), SimulationSpec(start=START, horizon_days=5, shocks=(tariff,)),
                 params(spare_capacity=1.0, ramp_days=10.0, tariff_elasticity=2.0))
    eng.step()
    # wedge 2^-2 = 1/4: S1 loses 0.75 x 3/4 / 10 = 0.05625, regains it x w1 / (w1 + w2)
    # with w1 = 0.375 / 4, w2 = 0.125: 0.75 - 0.05625 + 0.05625 x 3/7 = 201/280
    np.testing.assert_allclose(eng.state.share[:, 0], [201 / 280, 79 / 280], rtol=1e-12)


@pytest.mark.parametrize("refill_days", [10.0, 30.0])
def test_refill_days_set_the_restocking_rate(refill_days: float) -> None:
    """Day 0: S is banned, C draws 0.5 from its 5.5 of inventory (target 5.5); day 1: S
    serves use only (capacity 0.5) and ramps up (ramp_days 1); day 2: S serves the refill
    order 0.5 / refill_days too."""
    spec = SimulationSpec(start=START, horizon_days=5, shocks=(ban("S", 0, 1),))
    eng = engine(two_node(), spec, params(spare_capacity=1.0, ramp_days=1.0,
                                          refill_days=refill_days))
    got = [float(eng.step().received[0, 0]) for _ in range(3)]
    np.testing.assert_allclose(got, [0.0, 0.5, 0.5 + 0.5 / refill_days], rtol=1e-12)


def test_refill_days_must_be_positive() -> None:
    spec = SimulationSpec(start=START, horizon_days=5)
    with pytest.raises(ValueError, match="refill_days"):
        engine(two_node(), spec, params(refill_days=0.0))


def test_capacity_investment_ramps_linearly() -> None:
    inv = CapacityInvestment("S2", "h", capacity_share=0.25, start=0, lead_days=10.0)
    spec = SimulationSpec(start=START, horizon_days=20, shocks=(ban("S1"),), levers=(inv,))
    eng = engine(three_node(), spec, params(spare_capacity=0.0))
    s2 = three_node().node_index()[("S2", "h")]
    out = []
    for _ in range(14):
        eng.step()
        out.append(eng.state.output[s2, 0])
    # capacity 0.125 + 0.25 x world output of h (0.5) x day / 10; C moves to S2 only the
    # orders its headroom can serve, so output trails capacity by at most a day's addition
    cap5 = 0.125 + 0.125 * 0.5
    assert cap5 - 0.0125 <= out[5] < cap5
    assert out[12] == pytest.approx(0.25)


def test_licence_relief_restores_approvals_and_shortens_delay() -> None:
    lic = licensing("S", approval=0.5, delay=4.0, measure_id="m1")
    relief = LicenceRelief("m1", approval_rate=1.0, delay_factor=0.5, start=6)
    eng = engine(two_node(), SimulationSpec(start=START, horizon_days=12, shocks=(lic,),
                                            levers=(relief,)), params())
    before, after = eng.controls(3.0), eng.controls(7.0)
    # approvals up to half the pre-shock flow (0.5); the relief approves everything
    assert before.quota[0] == pytest.approx(0.25) and before.delay_days[0, 0] == 4.0
    assert np.isinf(after.quota[0]) and after.open[0] == 1.0
    assert after.delay_days[0, 0] == 2.0


def test_diversification_moves_share_before_the_shock() -> None:
    div = Diversification(frozenset({"C"}), frozenset({"h"}), away_from="S1", fraction=0.5)
    b = three_node()
    eng = engine(b, SimulationSpec(start=START, horizon_days=5, levers=(div,)), params())
    np.testing.assert_allclose(eng.state.share[:, 0], [0.375, 0.625])
    for _ in range(5):
        eng.step()
    ix = b.node_index()
    assert eng.state.output[ix[("S1", "h")], 0] == pytest.approx(0.1875)
    assert eng.state.output[ix[("S2", "h")], 0] == pytest.approx(0.3125)
    assert eng.state.output[ix[("C", "g")], 0] == pytest.approx(1.0)


def test_progress_reaches_one_and_cancel_stops() -> None:
    seen: list[float] = []
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S"),))
    simulate(spec, baseline=two_node(), runs=3, progress=seen.append, chunk_runs=2)
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    stop = threading.Event()
    stop.set()
    with pytest.raises(SimulationCancelled):
        simulate(spec, baseline=two_node(), cancel=stop)


def test_result_frames_have_the_documented_columns() -> None:
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S1"),),
                          params=fixed(spare_capacity=10.0))  # S2 can take every order
    res = simulate(spec, baseline=three_node(), runs=2, seed=1)
    frames = res.to_frames()
    ts = frames["timeseries"]
    assert list(ts.columns) == ["day", "economy", "good", "metric", "p5", "p50", "p95"]
    assert set(ts["metric"]) == {"availability", "output", "inventory_days"}
    assert ts["day"].max() == 10.0
    div = frames["diversion"].set_index("supplier")
    assert div.loc["S1", "share_before"] == 0.75 and div.loc["S1", "share_after"] == 0.0
    assert div.loc["S2", "change"] == pytest.approx(0.75)
    assert len(frames["parameters"]) == 2 and res.runs == 2 and res.seed == 1
