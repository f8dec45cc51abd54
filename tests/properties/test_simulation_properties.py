"""Invariants of the simulation engine (Hypothesis): steady state, conservation,
monotonicity, reproducibility."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.simulation.engine import simulate
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.spec import (
    DistKind,
    ParamDist,
    Shock,
    ShockKind,
    SimulationSpec,
    Stockpile,
)
from simhelpers import START, chain_networks, engine, params, world_baseline

#: examples per property (raise with ECONSEC_HYPOTHESIS_EXAMPLES for a deeper search)
EXAMPLES = int(os.environ.get("ECONSEC_HYPOTHESIS_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@given(steps=st.integers(1, 100), inv=st.floats(0.0, 60.0), weekly=st.booleans())
@SETTINGS
def test_world_baseline_is_a_steady_state(steps: int, inv: float, weekly: bool) -> None:
    b = world_baseline()
    spec = SimulationSpec(start=START, horizon_days=700, step_days=7 if weekly else 1)
    eng = engine(b, spec, params(2, spare_capacity=0.1, ramp_days=30.0, inventory_days=inv,
                              licence_delay_days=20.0))
    share0 = eng.state.share.copy()
    inv0 = eng.state.inventory.copy()
    for _ in range(steps):
        eng.step()
    np.testing.assert_allclose(eng.state.output, np.broadcast_to(b.x0[:, None], (b.n_nodes, 2)),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(eng.state.availability, 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(eng.state.share, share0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(eng.state.inventory, inv0, rtol=1e-12, atol=1e-15)


@given(net=chain_networks(), frac=st.floats(0.0, 1.0), kind=st.sampled_from(
    [ShockKind.ban, ShockKind.licensing, ShockKind.quota, ShockKind.tariff]),
    spare=st.floats(0.0, 0.5), inv=st.floats(0.0, 30.0),
    back=st.sampled_from([np.inf, 0.0, 3.0, 15.0]), spread=st.booleans(),
    ban_at=st.sampled_from([None, 9, 25]), ban=st.floats(0.0, 1.0))
@SETTINGS
def test_goods_are_conserved(net: Baseline, frac: float, kind: ShockKind, spare: float,
                             inv: float, back: float, spread: bool, ban_at: int | None,
                             ban: float) -> None:
    # the shock is lifted on day 40: with return_days (*back*) buyers then move back;
    # licences after 7 days, or spread over 2-12 days (econsec.simulation.licence_delays)
    delay = (ParamDist(DistKind.uniform, (2.0, 12.0)) if spread
             else ParamDist(DistKind.fixed, (7.0,)))
    shock = Shock(kind, frozenset({"E0"}), frozenset(), frozenset({"h", "m"}), start=2,
                  end=40, intensity=frac, approval_rate=0.5 if kind is ShockKind.licensing
                  else None, licence_delay=delay if kind is ShockKind.licensing else None)
    # with *ban_at*, a ban of intensity *ban* on the same flows from that day: under
    # licensing it refuses part of what waits in the pipeline (step.refuse_at_border)
    extra = (Shock(ShockKind.ban, frozenset({"E0"}), frozenset(), frozenset({"h", "m"}),
                   start=ban_at, end=45, intensity=ban),) if ban_at is not None else ()
    spec = SimulationSpec(start=START, horizon_days=60, shocks=(shock, *extra))
    prm = params(3, spare_capacity=spare, ramp_days=5.0, inventory_days=inv,
                 licence_delay_days=20.0) | {"return_days": np.full(3, back)}
    eng = engine(net, spec, prm)
    topo = eng.topo
    for _ in range(60):
        inv_before = eng.state.inventory.copy()
        pipe_before = eng.state.pipeline.sum(axis=(0, 1)) if eng.state.pipeline.size else 0.0
        f = eng.step()
        # produced = shipped to buyers + delivered to final demand
        np.testing.assert_allclose(f.output, topo.flows_to_sources(f.shipped) + f.final,
                                   rtol=1e-10, atol=1e-14)
        # shipped = received + change in the licence pipeline + refused at the border
        pipe_after = eng.state.pipeline.sum(axis=(0, 1)) if eng.state.pipeline.size else 0.0
        np.testing.assert_allclose(f.shipped.sum(axis=0),
                                   f.received.sum(axis=0) + pipe_after - pipe_before
                                   + f.refused, rtol=1e-10, atol=1e-14)
        assert (f.refused >= 0.0).all()
        # inventory change = received - used; inventories and shares stay feasible
        np.testing.assert_allclose(eng.state.inventory - inv_before, f.received - f.used,
                                   rtol=1e-10, atol=1e-13)
        assert (eng.state.inventory >= -1e-12).all()
        assert (eng.state.share >= -1e-12).all()
        np.testing.assert_allclose(topo.flows_to_slots(eng.state.share), 1.0, atol=1e-9)


@given(net=chain_networks(autarkic_e0=True), low=st.floats(0.0, 1.0),
       high=st.floats(0.0, 1.0), spare=st.floats(0.0, 0.3))
@SETTINGS
def test_stricter_ban_never_increases_availability(net: Baseline, low: float, high: float,
                                                   spare: float) -> None:
    """The worst availability outside the imposer (over nodes and days) never rises with the
    ban's intensity, when the imposer buys nothing from the others. Otherwise it can: the
    imposer's own output falls with its exports, which frees its foreign suppliers'
    capacity for the ban's targets (a real re-allocation effect; Hypothesis found a
    2-economy case without spare capacity where a 100% ban leaves E1 at full availability
    and a 75% ban takes it to 0.71 by day 62)."""
    low, high = min(low, high), max(low, high)
    worst = []
    outside = np.asarray([net.economies[e] != "E0" for e in net.node_economy])
    for intensity in (low, high):
        shock = Shock(ShockKind.ban, frozenset({"E0"}), frozenset(), frozenset({"h", "m"}),
                      start=0, intensity=intensity)
        spec = SimulationSpec(start=START, horizon_days=80, shocks=(shock,))
        eng = engine(net, spec, params(1, spare_capacity=spare, ramp_days=30.0,
                                      inventory_days=10.0, licence_delay_days=20.0))
        lo = 1.0
        for _ in range(80):
            eng.step()
            lo = min(lo, float(eng.state.availability[outside, 0].min()))
        worst.append(lo)
    assert worst[1] <= worst[0] + 1e-9


@given(net=chain_networks(), small=st.floats(0.0, 30.0), extra=st.floats(0.0, 30.0))
@SETTINGS
def test_larger_stockpile_never_increases_loss(net: Baseline, small: float,
                                               extra: float) -> None:
    losses = []
    for days in (small, small + extra):
        pile = Stockpile(frozenset(net.economies), frozenset(net.goods), days=days)
        shock = Shock(ShockKind.ban, frozenset({"E0"}), frozenset(), frozenset({"h"}),
                      start=0, end=60)
        spec = SimulationSpec(start=START, horizon_days=90, shocks=(shock,), levers=(pile,),
                              params={"spare_capacity": ParamDist(DistKind.fixed, (0.0,))})
        res = simulate(spec, baseline=net)
        s = res.summary()
        # users of the banned good and downstream of them: a supplier of "h" outside E0
        # may lose output when buyers with more stock order less (a demand effect,
        # found by Hypothesis: 2e-4 vs 7e-4 of USD 10.5bn), which is not a shortage loss
        users = (s["economy"] != "E0") & (s["good"] != "h")
        losses.append(float(s.loc[users, "loss_usd_bn_p50"].sum()))
    assert losses[1] <= losses[0] + 1e-9


def test_same_seed_same_bytes_and_different_seed_differs() -> None:
    b = world_baseline()
    shock = Shock(ShockKind.ban, frozenset({"CHN"}), frozenset(),
                  frozenset({"gallium", "germanium"}), start=5)
    spec = SimulationSpec(start=START, horizon_days=40, shocks=(shock,), params={
        "spare_capacity": ParamDist(DistKind.uniform, (0.0, 0.3)),
        "inventory_days": ParamDist(DistKind.triangular, (5.0, 20.0, 40.0))})
    a = simulate(spec, baseline=b, runs=20, seed=7, chunk_runs=8).timeseries()
    a2 = simulate(spec, baseline=b, runs=20, seed=7, chunk_runs=20).timeseries()
    a3 = simulate(spec, baseline=b, runs=20, seed=7, chunk_runs=8, workers=2).timeseries()
    assert a.to_csv().encode() == a3.to_csv().encode()
    c = simulate(spec, baseline=b, runs=20, seed=8).timeseries()
    assert a.to_csv().encode() == a2.to_csv().encode()
    assert a.to_csv().encode() != c.to_csv().encode()


@given(net=chain_networks(), mult=st.floats(0.0, 3.0), loss=st.floats(0.0, 0.95),
       spare=st.floats(0.0, 0.5), inv=st.floats(0.0, 30.0), ramp=st.floats(0.0, 10.0))
@SETTINGS
def test_goods_are_conserved_under_node_shocks(net: Baseline, mult: float, loss: float,
                                               spare: float, inv: float, ramp: float) -> None:
    """A demand shock on the final good and an outage of an input leave every ledger
    balanced: produced = shipped + final deliveries, Delta I = received - used."""
    shocks = (Shock(ShockKind.demand, frozenset(), frozenset(), frozenset({"g"}), start=2,
                    end=30, intensity=mult, ramp_days=ramp, recovery_days=ramp),
              Shock(ShockKind.outage, frozenset(), frozenset(), frozenset({"m"}), start=5,
                    end=25, intensity=loss, economies=frozenset({"E0"})))
    spec = SimulationSpec(start=START, horizon_days=40, shocks=shocks)
    eng = engine(net, spec, params(2, spare_capacity=spare, ramp_days=5.0, inventory_days=inv))
    topo = eng.topo
    for _ in range(40):
        inv_before = eng.state.inventory.copy()
        f = eng.step()
        np.testing.assert_allclose(f.output, topo.flows_to_sources(f.shipped) + f.final,
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(eng.state.inventory - inv_before, f.received - f.used,
                                   rtol=1e-10, atol=1e-13)
        assert (eng.state.inventory >= -1e-12).all()
        np.testing.assert_allclose(topo.flows_to_slots(eng.state.share), 1.0, atol=1e-9)


@given(net=chain_networks(), low=st.floats(1.0, 3.0), high=st.floats(1.0, 3.0),
       spare=st.floats(0.0, 0.3))
@SETTINGS
def test_larger_demand_jump_never_lowers_unmet_demand(net: Baseline, low: float,
                                                      high: float, spare: float) -> None:
    """Unmet final demand of the shocked good (``sum f0 m (1 - phi_use) dt`` over its nodes
    and the horizon) never falls when the demand jump *m* is larger."""
    low, high = min(low, high), max(low, high)
    unmet = []
    g = np.asarray([net.goods[i] == "g" for i in net.node_good])
    for mult in (low, high):
        shock = Shock(ShockKind.demand, frozenset(), frozenset(), frozenset({"g"}), start=0,
                      end=40, intensity=mult)
        spec = SimulationSpec(start=START, horizon_days=60, shocks=(shock,))
        eng = engine(net, spec, params(1, spare_capacity=spare, ramp_days=20.0,
                                      inventory_days=10.0))
        total = 0.0
        for _ in range(60):
            day = eng.state.day
            node = eng.node_on(day)
            f = eng.step()
            wanted = net.f0 * (1.0 if node is None else node[0])
            total += float((wanted - f.final[:, 0])[g].sum())
        unmet.append(total)
    assert unmet[1] >= unmet[0] - 1e-9
