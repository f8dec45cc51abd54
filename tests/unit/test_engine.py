"""Hand-worked trajectories of the simulation engine on two- and three-node networks."""

from __future__ import annotations

import numpy as np
import pytest

from econsec.simulation.engine import simulate
from econsec.simulation.network_arrays import assemble
from econsec.simulation.spec import (
    AlliedSharing,
    DistKind,
    ParamDist,
    SimulationSpec,
    Stockpile,
)
from simhelpers import START, ban, engine, fixed, licensing, params, three_node, two_node


def test_assemble_two_node_baseline() -> None:
    b = two_node()
    np.testing.assert_allclose(b.x0, [1.0, 0.5])
    np.testing.assert_allclose(b.f0, [1.0, 0.0])
    np.testing.assert_allclose(b.baseline_flows(), [0.5])
    assert b.n_slots == 1 and b.n_flows == 1


def test_two_node_ban_runs_down_inventory_then_substitutes() -> None:
    b = two_node(sigma=0.4)
    spec = SimulationSpec(start=START, horizon_days=30, shocks=(ban("S", 0, 20),))
    eng = engine(b, spec, params())
    out, inv = [], []
    for _ in range(23):
        eng.step()
        out.append(eng.state.output[:, 0].copy())
        inv.append(eng.state.inventory[0, 0])
    out_c = np.array([o[0] for o in out])
    out_s = np.array([o[1] for o in out])
    # inventory (10 + 1) days x 0.5 = 5.5 covers 11 days of use of 0.5
    np.testing.assert_allclose(out_c[:11], 1.0)
    np.testing.assert_allclose(out_c[11:20], 0.4)  # sigma share substituted
    np.testing.assert_allclose(inv[:11], 5.5 - 0.5 * np.arange(1, 12))
    np.testing.assert_allclose(out_s[:20], 0.0)
    # lifted on day 20: S ships at capacity 0.5 (no spare) that day, used from day 21
    assert out_s[20] == pytest.approx(0.5)
    assert out_c[20] == pytest.approx(0.4)
    np.testing.assert_allclose(out_c[21:], 1.0)
    np.testing.assert_allclose(inv[20:], 0.5)


def test_two_node_summary_loss_and_recovery() -> None:
    b = two_node(sigma=0.4)
    spec = SimulationSpec(start=START, horizon_days=30, shocks=(ban("S", 0, 20),),
                          params=fixed(spare_capacity=0.0, inventory_days=10.0))
    res = simulate(spec, baseline=b, runs=2, seed=3)
    s = res.summary().set_index(["economy", "good"])
    # C loses 0.6 on days 11..20 (10 days) -> USD 6bn; S loses 0.5 on 20 days -> 10bn
    assert s.loc[("C", "g"), "loss_usd_bn_p50"] == pytest.approx(6.0)
    assert s.loc[("S", "h"), "loss_usd_bn_p50"] == pytest.approx(10.0)
    assert s.loc[("C", "g"), "max_availability_drop_p50"] == pytest.approx(0.6)
    assert s.loc[("C", "g"), "days_to_recover_p50"] == pytest.approx(21.0)
    assert s.loc[("C", "g"), "inventory_drawdown_days_p50"] == pytest.approx(11.0)


def test_stockpile_adds_days_of_cover() -> None:
    b = two_node(sigma=0.0)
    pile = Stockpile(frozenset({"C"}), frozenset({"h"}), days=5.0)
    spec = SimulationSpec(start=START, horizon_days=25, shocks=(ban("S"),), levers=(pile,))
    eng = engine(b, spec, params())
    out = []
    for _ in range(25):
        eng.step()
        out.append(eng.state.output[0, 0])
    np.testing.assert_allclose(out[:16], 1.0)  # (10 + 5 + 1) days of cover
    np.testing.assert_allclose(out[16:], 0.0)


def test_three_node_re_sources_to_spare_capacity() -> None:
    b = three_node()
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S1"),))
    eng = engine(b, spec, params(spare_capacity=1.0, ramp_days=1.0))
    s2 = b.node_index()[("S2", "h")]
    eng.step()
    # S2 (x0 0.125, spare 100 %) has headroom 0.25 - 0.125: it can serve 0.125 / 0.5 = a
    # quarter of C's orders more, so S1's lost 0.75 moves only 0.25
    np.testing.assert_allclose(eng.state.share[:, 0], [0.5, 0.5])
    assert eng.state.output[s2, 0] == pytest.approx(0.125)
    assert eng.state.inventory[0, 0] == pytest.approx(5.5 - 0.5 + 0.125)
    eng.step()  # S2 pressed beyond capacity: ships 0.125, spare ramps fully (1 day)
    assert eng.state.output[s2, 0] == pytest.approx(0.125)
    assert eng.state.ramp[s2, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(eng.state.share[:, 0], [0.5, 0.5])  # no headroom left
    eng.step()  # capacity doubled to 0.25
    assert eng.state.output[s2, 0] == pytest.approx(0.25)
    assert eng.state.inventory[0, 0] == pytest.approx(5.125 - 0.375 - 0.25)


def test_resourcing_days_move_lost_share_gradually_per_run() -> None:
    # run 0 moves orders at once; run 1 needs 4 days: each day it moves a quarter of the
    # share S1 could not ship, so S1 keeps 0.75 x 0.75^t while S2 has headroom
    b = three_node()
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(ban("S1"),))
    prm = params(runs=2, spare_capacity=10.0)  # headroom enough for every order
    prm["resourcing_days"] = np.array([0.0, 4.0])
    eng = engine(b, spec, prm)
    eng.step()
    np.testing.assert_allclose(eng.state.share[:, 0], [0.0, 1.0])
    np.testing.assert_allclose(eng.state.share[:, 1], [0.5625, 0.4375])
    eng.step()
    np.testing.assert_allclose(eng.state.share[:, 1], [0.421875, 0.578125])
    np.testing.assert_allclose(eng.state.share[:, 0], [0.0, 1.0])


def test_licensing_delays_shipments_and_conserves() -> None:
    b = two_node(sigma=0.0)
    lic = licensing("S", approval=0.5, delay=3.0, end=5)
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(lic,))
    eng = engine(b, spec, params())
    received, shipped = [], []
    for _ in range(10):
        f = eng.step()
        received.append(f.received[0, 0])
        shipped.append(f.shipped[0, 0])
        assert f.into_pipeline[0] - f.out_of_pipeline[0] == pytest.approx(
            f.shipped[:, 0].sum() - f.received[:, 0].sum())
    # days 0-4: half approved (0.25 + refill), nothing arrives until day 3
    assert received[0] == 0.0 and received[1] == 0.0 and received[2] == 0.0
    assert received[3] == pytest.approx(shipped[0])
    assert eng.state.pipeline.sum() == pytest.approx(sum(shipped) - sum(received))


def test_allied_sharing_keeps_re_sourcing_within_bloc() -> None:
    b = three_node()
    both = assemble(["C", "S1", "S2", "X"], ["g", "h"], [(0, 0), (1, 1), (2, 1), (3, 1)],
                    np.array([1.0, 0.0, 0.0, 0.0]), [(1, 0, 0.5, 0.0, True)],
                    {(0, 1): [(1, 0.5), (2, 0.25), (3, 0.25)]})
    del b
    ally = AlliedSharing(frozenset({"C", "S2"}))
    for levers, s2_gain in (((), 0.25), ((ally,), 0.5)):
        spec = SimulationSpec(start=START, horizon_days=1, shocks=(ban("S1"),),
                              levers=levers)
        eng = engine(both, spec, params(spare_capacity=3.0))
        eng.step()
        # headroom: S2 and X each 0.5 - 0.125 at full spare, more than S1's orders
        # (0.5 x 0.5); without the bloc they split S1's 0.5 share; with it S2 (the
        # member) takes it all
        assert eng.state.share[1, 0] == pytest.approx(0.25 + s2_gain)


def test_weekly_matches_daily_on_a_simple_case() -> None:
    b = two_node(sigma=0.4)
    shock = (ban("S", 0, 28),)
    res = {}
    for step_days in (1, 7):
        spec = SimulationSpec(start=START, horizon_days=70, step_days=step_days, shocks=shock,
                              params=fixed(spare_capacity=0.0, inventory_days=14.0))
        res[step_days] = simulate(spec, baseline=b).summary().set_index(["economy", "good"])
    # daily: cover 15 days (days 0-14), then days 15-28 at 0.4 (day 28's delivery arrives
    # after that day's production) -> 0.6 x 14 = 8.4
    # weekly: cover 14 + 7 = 21 days (weeks 0-2), weeks 3 and 4 at 0.4 -> 0.6 x 14 = 8.4
    assert res[1].loc[("C", "g"), "loss_usd_bn_p50"] == pytest.approx(8.4)
    assert res[7].loc[("C", "g"), "loss_usd_bn_p50"] == pytest.approx(8.4)
    for r in res.values():  # same supplier loss: 28 days x 0.5
        assert r.loc[("S", "h"), "loss_usd_bn_p50"] == pytest.approx(14.0)


def test_capped_licences_lose_share_only_for_the_use_they_cannot_serve() -> None:
    # S1 (75 % of C's h) may ship half its pre-shock flow (0.5 x 0.375 = 0.1875) at once
    # (no delay). Day 1: of C's use orders 0.5 S1 serves 0.1875, so it keeps 0.1875 / 0.5 =
    # 0.375 of the slot and S2 (ample spare) takes the rest. From then on S1's use part
    # fits under its cap: its share stays while C's restocking orders are refused at the cap
    b = three_node()
    lic = licensing("S1", approval=0.5, delay=0.0)
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(lic,))
    eng = engine(b, spec, params(spare_capacity=10.0, ramp_days=5.0))
    shares = []
    for _ in range(6):
        eng.step()
        shares.append(eng.state.share[:, 0].copy())
    np.testing.assert_allclose(shares[0], [0.375, 0.625])
    for s in shares[1:]:
        np.testing.assert_allclose(s, [0.375, 0.625])
    assert eng.state.inventory[0, 0] < eng.target[0, 0]  # C restocks meanwhile


def test_rng_int_seed_alias_and_generator_give_the_same_bytes() -> None:
    """``rng`` may be an int (the seed), a Generator (used as is) or None; ``seed=`` is an
    alias of an int ``rng``. The same seed draws the same parameters, bit for bit."""
    spec = SimulationSpec(start=START, horizon_days=20, shocks=(ban("S1", 2),), params={
        "spare_capacity": ParamDist(DistKind.uniform, (0.0, 0.5)),
        "inventory_days": ParamDist(DistKind.triangular, (1.0, 5.0, 9.0))})
    net = three_node()
    by_seed = simulate(spec, baseline=net, runs=4, seed=3)
    gen = np.random.default_rng(3)
    others = [simulate(spec, baseline=net, runs=4, rng=3),
              simulate(spec, baseline=net, runs=4, rng=gen)]
    want = np.random.default_rng(3).uniform(0.0, 0.5, 4)  # the first parameter drawn
    assert by_seed.params["spare_capacity"].tobytes() == want.tobytes()
    for res in others:
        assert res.timeseries().to_csv() == by_seed.timeseries().to_csv()
        assert res.parameters().to_csv() == by_seed.parameters().to_csv()
    assert by_seed.seed == 3 and others[0].seed == 3 and others[1].seed is None
    # the Generator was used as is: it advanced by the 8 draws
    ahead = np.random.default_rng(3)
    ahead.uniform(size=4)
    ahead.triangular(1.0, 5.0, 9.0, 4)
    assert gen.random() == ahead.random()
    assert simulate(spec, baseline=net, runs=2, rng=None).seed is None
    with pytest.raises(ValueError, match="not both"):
        simulate(spec, baseline=net, runs=2, rng=1, seed=1)

