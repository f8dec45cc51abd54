"""Recorded trade (arrivals by buyer, good and supplier) against hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from econsec.simulation.engine import simulate
from econsec.simulation.spec import SimulationSpec
from simhelpers import START, ban, fixed, licensing, three_node, two_node


def rate(res, first: int, last: int, buyer: str = "C", supplier: str = "S") -> float:  # type: ignore[no-untyped-def]
    keys, vals = res.trade_in_window(first, last)
    sel = ((keys["buyer"] == buyer) & (keys["supplier"] == supplier)).to_numpy()
    return float(np.median(vals[:, sel].sum(axis=1)))


def test_ban_stops_arrivals_in_its_window_and_restocking_follows() -> None:
    spec = SimulationSpec(start=START, horizon_days=40, shocks=(ban("S", 10, 20),),
                          params=fixed(inventory_days=10.0, spare_capacity=0.5,
                                       ramp_days=1.0))
    res = simulate(spec, baseline=two_node())
    # z0 = cost share 0.5 x output 1.0 = 0.5 a day before the ban
    assert rate(res, 0, 9) == pytest.approx(0.5, rel=1e-12)
    assert rate(res, 10, 19) == 0.0  # days 10-19: banned
    # after the lift C restocks (the inventory gap is refilled over 30 days) once S's spare
    # capacity has ramped up (one day): arrivals above the baseline rate
    assert rate(res, 20, 20) == pytest.approx(0.5, rel=1e-12)
    assert rate(res, 21, 25) > 0.5
    frame = res.trade()
    assert set(frame.columns) == {"day", "buyer", "good", "supplier", "p5", "p50", "p95",
                                  "baseline"}
    assert (frame["baseline"] == 0.5).all() and len(frame) == 40  # one row per day
    day15 = frame[frame["day"] == 15.0].iloc[0]  # interval (14, 15] = step 14
    assert day15["p50"] == 0.0


def test_licence_delay_shifts_arrivals_by_the_delay() -> None:
    shock = licensing("S1", approval=1.0, delay=7.0, start=5)
    spec = SimulationSpec(start=START, horizon_days=30, shocks=(shock,),
                          params=fixed(inventory_days=30.0, spare_capacity=0.0))
    res = simulate(spec, baseline=three_node())
    base = 0.75 * 0.5  # S1's share of C's use of h
    assert rate(res, 0, 4, supplier="S1") == pytest.approx(base, rel=1e-12)
    assert rate(res, 5, 11, supplier="S1") == 0.0  # shipped from day 5, arriving from day 12
    assert rate(res, 12, 12, supplier="S1") == pytest.approx(base, rel=1e-12)


def test_window_outside_the_horizon_is_an_error() -> None:
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S", 0),))
    res = simulate(spec, baseline=two_node())
    with pytest.raises(ValueError, match="outside the simulated horizon"):
        res.trade_in_window(20, 30)


def test_licences_cover_the_approved_share_of_the_pre_shock_flow() -> None:
    # approval 0.5: S ships at most 0.5 x z0 = 0.25 a day although C's orders grow as it
    # restocks (C has no other supplier); no delay, so arrivals are the shipments
    shock = licensing("S", approval=0.5, delay=0.0)
    spec = SimulationSpec(start=START, horizon_days=30, shocks=(shock,),
                          params=fixed(inventory_days=10.0, spare_capacity=0.5))
    res = simulate(spec, baseline=two_node())
    for day in (0, 5, 20, 29):
        assert rate(res, day, day) == pytest.approx(0.25, rel=1e-12)


def test_outcome_versus_an_earlier_window_compares_simulated_periods() -> None:
    import dataclasses
    import datetime as dt

    from econsec.policy.compare import simulated_change
    from econsec.policy.scenarios import Citation, Outcome

    spec = SimulationSpec(start=START, horizon_days=40, shocks=(ban("S", 10, 20),),
                          params=fixed(inventory_days=10.0, spare_capacity=0.5,
                                       ramp_days=1.0))
    res = simulate(spec, baseline=two_node())
    day = lambda d: START + dt.timedelta(days=d)  # noqa: E731
    outcome = Outcome(metric="imports", economy="C", good="h", direction="up", period="",
                      source=Citation("t", "p", "https://x"), year=2025, unit="tonnes",
                      partner="S",
                      window=(day(21), day(25)), versus=(day(10), day(19)))
    # against a banned period (no arrivals) there is nothing to compare with
    assert simulated_change(outcome, res, START) is None
    outcome = dataclasses.replace(outcome, versus=(day(0), day(9)))
    expected = rate(res, 21, 25) / rate(res, 0, 9) - 1.0
    assert simulated_change(outcome, res, START) == pytest.approx(expected, rel=1e-12)
    assert expected > 0.0  # restocking after the lift


def test_import_share_leaves_out_domestic_supply() -> None:
    import datetime as dt

    from econsec.policy.compare import simulated_change
    from econsec.policy.scenarios import Citation, Outcome
    from econsec.simulation.network_arrays import assemble

    # C makes g (USD 1bn/day) from h: 50 % from S, 25 % from T, 25 % from its own output
    base = assemble(["C", "S", "T"], ["g", "h"], [(0, 0), (1, 1), (2, 1), (0, 1)],
                    np.array([1.0, 0.0, 0.0, 0.0]), [(1, 0, 0.5, 0.0, True)],
                    {(0, 1): [(1, 0.5), (2, 0.25), (0, 0.25)]})
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("T"),),
                          params=fixed(inventory_days=10.0, spare_capacity=0.0))
    res = simulate(spec, baseline=base)
    day = lambda d: START + dt.timedelta(days=d)  # noqa: E731
    outcome = Outcome(metric="import_share", economy="C", good="h", direction="up",
                      period="", source=Citation("t", "p", "https://x"), year=2025,
                      unit="share", partner="S", window=(day(1), day(5)))
    # S's share of C's imports: 0.5 / 0.75 before, 1 while T is banned (the domestic 25 %
    # is not an import; counting it would give 0.667 / 0.5 - 1 = +33 %)
    assert simulated_change(outcome, res, START) == pytest.approx(0.5, rel=1e-12)


def test_an_outcome_in_usd_is_compared_at_simulated_prices() -> None:
    import dataclasses
    import math

    from econsec.policy.compare import simulated_change
    from econsec.policy.scenarios import Citation, Outcome

    # three_node(): C buys h 75 % from S1, 25 % from S2 (z0 = 0.25 x 0.5 = 0.125 a day).
    # S1 bans h from day 0; no spare capacity, so S2 keeps shipping exactly 0.125 a day.
    # Default elasticities (eps_d + eps_s = 0.24, 30 days; see test_prices): step 1 has
    # 25 % of the use available, z = ln 4, so P_h at the end of day 0 is
    # P1 = exp(5.7762 x 0.032784) = exp(0.18937) = 1.2085, and the index over day 0 (linear
    # from P0 = 1 to P1) averages (1 + P1) / 2.
    spec = SimulationSpec(start=START, horizon_days=5, shocks=(ban("S1"),),
                          params=fixed(spare_capacity=0.0))
    res = simulate(spec, baseline=three_node(), runs=2, rng=0)
    day0 = (START, START)
    in_tonnes = Outcome(metric="imports", economy="C", good="h", direction="up", period="",
                        source=Citation("t", "p", "https://x"), year=2025, unit="tonnes",
                        partner="S2", window=day0)
    p1 = math.exp(math.log(4.0) / 0.24 * (1.0 - math.exp(-1.0 / 30.0)))
    # in tonnes (real): S2's volume is unchanged; in USD (nominal): 0.125 x (1 + P1) / 2
    # over the pre-shock 0.125, i.e. (1 + P1) / 2 - 1 = +10.42 %
    tonnes = simulated_change(in_tonnes, res, START)
    usd = simulated_change(dataclasses.replace(in_tonnes, unit="usd"), res, START)
    assert tonnes == pytest.approx(0.0, abs=1e-6)
    assert usd == pytest.approx((1.0 + p1) / 2.0 - 1.0, rel=1e-5)
    assert p1 == pytest.approx(1.2085, abs=1e-4)
