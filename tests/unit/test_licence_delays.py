"""Licence delays spread over shipments (:mod:`econsec.simulation.licence_delays`): the day
weights and lag CDFs by hand, hand-worked trajectories on a two-node network, conservation,
the fast step against the reference rule, and the ablation switch back to one delay per
run."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from test_step_kernels import assert_same_bits, check_against_reference, run_states

from econsec.policy.ablation import switch_off
from econsec.simulation.engine import simulate
from econsec.simulation.licence_delays import day_weights, lag_cdf, spread_shocks
from econsec.simulation.network_arrays import Baseline, assemble
from econsec.simulation.spec import (
    DistKind,
    LicenceRelief,
    ParamDist,
    Shock,
    ShockKind,
    SimulationSpec,
)
from simhelpers import START, busy_spec, draw_runs, engine, one_run, params, random_busy_network


def uniform(a: float, b: float) -> ParamDist:
    return ParamDist(DistKind.uniform, (a, b))


def one_to_one() -> Baseline:
    """C makes g (USD 1bn/day, all final) from h (cost share 1.0, no substitute), bought
    from S: the flow S -> C is 1 a day, C holds 10 + 1 days of it."""
    return assemble(["C", "S"], ["g", "h"], [(0, 0), (1, 1)], np.array([1.0, 0.0]),
                    [(1, 0, 1.0, 0.0, True)], {(0, 1): [(1, 1.0)]})


def licensing(delay: ParamDist, approval: float = 0.5, measure_id: str | None = None,
              goods: str = "h") -> Shock:
    return Shock(ShockKind.licensing, frozenset({"S"}), frozenset(), frozenset({goods}),
                 start=0, intensity=0.0, approval_rate=approval, licence_delay=delay,
                 measure_id=measure_id)


def test_day_weights_by_hand() -> None:
    # uniform [2, 4]: days 2, 3, 4 a third each (released evenly over [s + 2, s + 4])
    np.testing.assert_allclose(day_weights(uniform(2, 4)), [0, 0, 1 / 3, 1 / 3, 1 / 3])
    # a fixed delay stays one delay
    np.testing.assert_array_equal(day_weights(ParamDist(DistKind.fixed, (3.0,))), [0, 0, 0, 1])
    # triangular (0, 1, 2) rounded to days: F(0.5) = 0.5^2 / (2 x 1) = 0.125,
    # F(1.5) = 1 - 0.5^2 / 2 = 0.875: weights 0.125, 0.75, 0.125
    np.testing.assert_allclose(day_weights(ParamDist(DistKind.triangular, (0, 1, 2))),
                               [0.125, 0.75, 0.125])
    # normal (5, 1): day 5 takes P(|Z| < 0.5) = erf(0.5 / sqrt 2) = 0.38292 (of a total
    # kept mass 1 - 1e-9, cut at 5 + 6 = 11 days; the mass below 0.5 days goes to day 0)
    w = day_weights(ParamDist(DistKind.normal, (5.0, 1.0)))
    assert len(w) == 12 and w.sum() == pytest.approx(1.0, abs=1e-15)
    assert w[5] == pytest.approx(math.erf(0.5 / math.sqrt(2.0)), rel=1e-8)
    assert w[4] == pytest.approx(w[6]) and w[3] == pytest.approx(w[7])
    # lognormal: half the mass below exp(mu) = 20 days
    w = day_weights(ParamDist(DistKind.lognormal, (math.log(20.0), 0.3)))
    assert w[:20].sum() + w[20] / 2 == pytest.approx(0.5, abs=0.01)


def test_day_weights_refuse_what_they_cannot_represent() -> None:
    with pytest.raises(ValueError, match="negative days"):
        day_weights(uniform(-5, 5))
    with pytest.raises(ValueError, match="beyond the 3650 days"):
        day_weights(ParamDist(DistKind.normal, (100.0, 1000.0)))


def test_lag_cdf_on_weekly_steps_and_under_a_relief() -> None:
    # uniform [2, 12] on weekly steps: days 2-3 -> lag 0, 4-10 -> 1 (10 / 7 = 1.43),
    # 11-12 -> 2, each day 1/11: CDF 2/11, 9/11, 1
    np.testing.assert_allclose(lag_cdf(uniform(2, 12), 1.0, 7.0, 3), [2 / 11, 9 / 11, 1.0])
    # a relief halving the delay: days 2, 3, 4 -> 1, 1.5, 2 -> lags 1, 2, 2 (rint)
    np.testing.assert_allclose(lag_cdf(uniform(2, 4), 0.5, 1.0, 5), [0, 1 / 3, 1, 1, 1])
    with pytest.raises(ValueError, match="beyond the pipeline"):
        lag_cdf(uniform(2, 4), 1.0, 1.0, 4)


def received_by_day(spec: SimulationSpec, days: int) -> tuple[list[float], list[float]]:
    """C's receipts of h and the goods in the licence pipeline, day by day; checks the
    pipeline's ledger (into - out = shipped - received) every day."""
    eng = engine(one_to_one(), spec, params())
    got, held = [], []
    for _ in range(days):
        f = eng.step()
        assert f.into_pipeline[0] - f.out_of_pipeline[0] == pytest.approx(
            f.shipped[:, 0].sum() - f.received[:, 0].sum(), abs=1e-15)
        got.append(float(f.received[0, 0]))
        held.append(float(eng.state.pipeline.sum()))
    return got, held


def test_uniform_spread_releases_a_ramp_by_hand() -> None:
    # orders of 1 a day, half approved (the cap 0.5 binds: C's orders only grow as its
    # stock runs down), delay uniform over 2-4 days: released(t) = 0.5 x (number of days
    # d in {2, 3, 4} with d <= t) / 3 = 0, 0, 1/6, 2/6, 3/6, 3/6 ...
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(licensing(uniform(2, 4)),))
    got, held = received_by_day(spec, 8)
    np.testing.assert_allclose(got, [0, 0, 1 / 6, 2 / 6, 0.5, 0.5, 0.5, 0.5], atol=1e-15)
    # in the pipeline: 0.5 a day in, out as above: 0.5, 1, 1.5 - 1/6, then 1.5 for good
    np.testing.assert_allclose(held, [0.5, 1.0, 4 / 3, 1.5, 1.5, 1.5, 1.5, 1.5], atol=1e-14)


def test_spread_off_is_one_delay_per_run() -> None:
    spec = SimulationSpec(start=START, horizon_days=8, shocks=(licensing(uniform(2, 4)),),
                          params={"spare_capacity": ParamDist(DistKind.fixed, (0.0,))})
    on = simulate(spec, baseline=one_to_one(), runs=3, seed=1)
    off = simulate(switch_off(spec, ["licence_spread"]), baseline=one_to_one(), runs=3, seed=1)
    delays = off.params["licence_delay_days.shock0"]
    assert "licence_delay_days.shock0" not in on.params
    for day in range(8):
        _, spread = on.trade_in_window(day, day)
        _, single = off.trade_in_window(day, day)
        # spread: the same ramp in every run; single: 0 before the run's rounded delay,
        # then the approved 0.5
        np.testing.assert_allclose(spread[:, 0], 0.5 * min(max(day - 1, 0), 3) / 3,
                                   atol=1e-15)
        np.testing.assert_allclose(single[:, 0], np.where(day >= np.rint(delays), 0.5, 0.0),
                                   atol=1e-15)


def test_two_licences_on_one_flow_take_the_longest_delay() -> None:
    # a shipment needs both licences: P(max <= d) = F1(d) F2(d)
    # uniform {2, 3, 4} and a fixed 3 days: P(max = 3) = P(D <= 3) = 2/3, P(max = 4) = 1/3,
    # so released = 0, 0, 0, 0.5 x 2/3, 0.5
    fixed3 = licensing(ParamDist(DistKind.fixed, (3.0,)), approval=1.0)
    spec = SimulationSpec(start=START, horizon_days=8,
                          shocks=(licensing(uniform(2, 4)), fixed3))
    got, _ = received_by_day(spec, 6)
    np.testing.assert_allclose(got, [0, 0, 0, 1 / 3, 0.5, 0.5], atol=1e-15)
    # two spread delays, uniform {2, 3, 4} and {3, 4}: F = (0, 0, 1/3, 2/3 x 1/2, 1):
    # released 0, 0, 0, 0.5 x 1/3, 0.5
    spec = replace(spec, shocks=(licensing(uniform(2, 4)), licensing(uniform(3, 4), 1.0)))
    got, _ = received_by_day(spec, 6)
    np.testing.assert_allclose(got, [0, 0, 0, 1 / 6, 0.5, 0.5], atol=1e-15)


def test_relief_shortens_the_spread() -> None:
    # from day 3 a relief halves the delay of measure m: shipments of days 3+ wait
    # rint(0.5 d) for d in {2, 3, 4}: lags 1, 2, 2 (a third, two thirds); those of days
    # 0-2 keep lags 2, 3, 4 (a third each). Released on day t = 0.5 x the weights due:
    #   t=2: day 0 at lag 2 (1/3) -> 1/6
    #   t=3: day 1 at lag 2 + day 0 at lag 3 (1/3 + 1/3) -> 1/3
    #   t=4: day 2 lag 2, day 1 lag 3, day 0 lag 4 (1/3 each) + day 3 lag 1 (1/3) -> 2/3
    #   t=5: day 2 lag 3 + day 1 lag 4 (2/3) + day 4 lag 1 (1/3) + day 3 lag 2 (2/3) -> 5/6
    #   t=6: day 2 lag 4 (1/3) + day 5 lag 1 (1/3) + day 4 lag 2 (2/3) -> 2/3
    #   t=7: day 6 lag 1 (1/3) + day 5 lag 2 (2/3) -> 0.5, and so on
    lic = licensing(uniform(2, 4), measure_id="m")
    relief = LicenceRelief("m", approval_rate=0.5, delay_factor=0.5, start=3)
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(lic,), levers=(relief,))
    got, _ = received_by_day(spec, 8)
    np.testing.assert_allclose(got, [0, 0, 1 / 6, 1 / 3, 2 / 3, 5 / 6, 2 / 3, 0.5],
                               atol=1e-15)


def spread_spec(step_days: int = 1) -> SimulationSpec:
    """The busy random spec plus a licensing shock with its own uniform delay on E1's g2 (also
    under the busy spec's licensing, whose delay is the per-run parameter) and g3, halved
    by a relief from day 30."""
    base = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days)
    spread = Shock(ShockKind.licensing, frozenset({"E1"}), frozenset(),
                   frozenset({"g2", "g3"}), start=8, end=55, intensity=0.0,
                   approval_rate=0.6, licence_delay=uniform(3.0, 12.0), measure_id="m")
    relief = LicenceRelief("m", approval_rate=0.8, delay_factor=0.5, start=30)
    return replace(base, shocks=(*base.shocks, spread), levers=(*base.levers, relief))


@pytest.mark.parametrize(("seed", "step_days"), [(1, 1), (5, 7)])
def test_spread_step_matches_the_reference_rule(seed: int, step_days: int) -> None:
    spec = spread_spec(step_days)
    assert spread_shocks(spec) == (False, False, False, False, True)
    eng, piped = check_against_reference(random_busy_network(seed), spec, runs=4, seed=seed,
                                         steps=40)
    assert piped
    assert eng.plan.controls(10.0).spread is not None


def test_spread_one_run_and_many_runs_give_the_same_bits() -> None:
    net = random_busy_network(4)
    spec = spread_spec()
    prm = draw_runs(spec, 4, 4)
    many = run_states(net, spec, prm, 45)
    assert_same_bits(many, [run_states(net, spec, one_run(prm, r), 45) for r in range(4)])


@pytest.mark.parametrize(("intensity", "kept"), [(1.0, 0.0), (0.5, 0.5)])
def test_a_ban_refuses_what_waits_for_its_licence(intensity: float, kept: float) -> None:
    # licences after a fixed 4 days, half approved: 0.5 a day enters the pipeline and the
    # shipment of day d arrives on day d + 4 (days 4 and 5: 0.5 each). A ban on the same
    # flow from day 6: the pipeline then holds the shipments of days 2-5, 4 x 0.5 = 2.0, of
    # which the ban keeps o'/o = 1 - intensity (refused: 2.0 x intensity, on day 6 only);
    # the kept half arrives on days 6-9 (0.5 x 0.5 = 0.25 a day); new shipments are capped at
    # approved x open x z0 = 0.5 x 0.5 x 1 = 0.25 a day and arrive from day 10.
    ban = Shock(ShockKind.ban, frozenset({"S"}), frozenset(), frozenset({"h"}), start=6,
                intensity=intensity)
    spec = SimulationSpec(start=START, horizon_days=14,
                          shocks=(licensing(ParamDist(DistKind.fixed, (4.0,))), ban))
    eng = engine(one_to_one(), spec, params())
    got, refused, held = [], [], []
    for _ in range(12):
        f = eng.step()
        # the ledger: into - out = shipped - received, and the pipeline loses what is refused
        assert f.into_pipeline[0] - f.out_of_pipeline[0] == pytest.approx(
            f.shipped[:, 0].sum() - f.received[:, 0].sum(), abs=1e-15)
        got.append(float(f.received[0, 0]))
        refused.append(float(f.refused[0]))
        held.append(float(eng.state.pipeline.sum()))
    np.testing.assert_allclose(got, [0, 0, 0, 0, 0.5, 0.5] + [0.5 * kept] * 6, atol=1e-15)
    np.testing.assert_allclose(refused, [0] * 6 + [2.0 * intensity] + [0] * 5, atol=1e-15)
    # in the pipeline: 0.5, 1, 1.5, 2, 2, 2, then 2 x kept (the kept half of the old
    # content and new shipments at 0.25 a day replace each other one for one)
    np.testing.assert_allclose(held, [0.5, 1.0, 1.5, 2.0, 2.0, 2.0] + [2.0 * kept] * 6,
                               atol=1e-15)


def test_border_refusal_switched_off_releases_the_pipeline() -> None:
    # the same ban with the mechanism off (the ablation's border_refusal switch): the
    # shipments of days 2-5 still arrive on days 6-9 (0.5 a day), nothing is refused
    ban = Shock(ShockKind.ban, frozenset({"S"}), frozenset(), frozenset({"h"}), start=6,
                intensity=1.0)
    spec = SimulationSpec(start=START, horizon_days=14,
                          shocks=(licensing(ParamDist(DistKind.fixed, (4.0,))), ban))
    eng = engine(one_to_one(), switch_off(spec, ["border_refusal"]), params())
    flows = [eng.step() for _ in range(12)]
    np.testing.assert_allclose([float(f.received[0, 0]) for f in flows],
                               [0, 0, 0, 0] + [0.5] * 6 + [0, 0], atol=1e-15)
    assert all(float(f.refused[0]) == 0.0 for f in flows)


def test_spread_release_by_hand() -> None:
    """One flow, two runs, CDF over lags 0-2 of (0, 0.5, 1), per-run delays 0 and 2,
    shipments 1 and 2 on step 1 of a 5-step ring: run 0 puts 0.5 on lags 1 and 2 (rows 2
    and 3), run 1 all of its 2.0 on lag 2 (row 3); a ring too short is a named error."""
    from econsec.simulation.step import spread_release

    line = np.zeros((5, 1, 2))
    cdf = np.array([[0.0, 0.5, 1.0]])
    lag = np.array([[0, 2]], dtype=np.int64)
    spread_release(line, 1, cdf, lag, np.array([[1.0, 2.0]]), np.array([1, 2]))
    expect = np.zeros((5, 1, 2))
    expect[2, 0, 0], expect[3, 0, 0], expect[3, 0, 1] = 0.5, 0.5, 2.0
    assert np.array_equal(line, expect)
    with pytest.raises(ValueError, match="does not fit the pipeline of 2 steps"):
        spread_release(np.zeros((2, 1, 2)), 0, cdf, lag, np.ones((1, 2)), np.array([1, 2]))
