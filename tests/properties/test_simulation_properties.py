"""Invariants of the simulation engine (Hypothesis): steady state, conservation,
monotonicity, reproducibility."""

from __future__ import annotations

import datetime as dt
import functools
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.simulation.engine import Engine, simulate
from econsec.simulation.network_arrays import Baseline, assemble, baseline_from_world
from econsec.simulation.params import given_params
from econsec.simulation.spec import (
    DistKind,
    ParamDist,
    Shock,
    ShockKind,
    SimulationSpec,
    Stockpile,
)

START = dt.date(2025, 1, 1)
#: examples per property (raise with ECONSEC_HYPOTHESIS_EXAMPLES for a deeper search)
EXAMPLES = int(os.environ.get("ECONSEC_HYPOTHESIS_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def world_baseline() -> Baseline:
    from econsec.data.world import load_world

    return baseline_from_world(load_world())


def params(runs: int, spare: float = 0.1, ramp: float = 30.0, inv: float = 20.0,
           sig: float = 1.0, delay: float = 20.0) -> dict[str, np.ndarray]:
    return {"spare_capacity": np.full(runs, spare), "ramp_days": np.full(runs, ramp),
            "inventory_days": np.full(runs, inv), "substitutability_scale": np.full(runs, sig),
            "licence_delay_days": np.full(runs, delay)}


@st.composite
def random_network(draw: st.DrawFn, autarkic_e0: bool = False) -> Baseline:
    """A random layered network: 2-3 economies, 3 goods in a chain h -> m -> g
    (*autarkic_e0*: economy E0 buys its inputs only from itself)."""
    n_e = draw(st.integers(2, 3))
    eco = [f"E{i}" for i in range(n_e)]
    goods = ["g", "m", "h"]
    nodes = [(e, g) for e in range(n_e) for g in range(3)]
    market = np.array([draw(st.floats(0.1, 5.0)) if g == 0 else 0.0 for _, g in nodes])
    edges = [(1, 0, draw(st.floats(0.05, 0.6)), draw(st.floats(0.0, 1.0)), True),
             (2, 1, draw(st.floats(0.05, 0.6)), draw(st.floats(0.0, 1.0)),
              draw(st.booleans()))]
    mix = {}
    for c in range(n_e):
        for h in (1, 2):
            w = np.array([draw(st.floats(0.01, 1.0)) for _ in range(n_e)])
            if autarkic_e0 and c == 0:
                w[1:] = 0.0
            mix[(c, h)] = [(s, float(v)) for s, v in enumerate(w / w.sum())]
    return assemble(eco, goods, nodes, market, edges, mix)


@given(steps=st.integers(1, 100), inv=st.floats(0.0, 60.0), weekly=st.booleans())
@SETTINGS
def test_world_baseline_is_a_steady_state(steps: int, inv: float, weekly: bool) -> None:
    b = world_baseline()
    spec = SimulationSpec(start=START, horizon_days=700, step_days=7 if weekly else 1)
    eng = Engine(b, spec, given_params(spec, params(2, inv=inv)))
    share0 = eng.state.share.copy()
    inv0 = eng.state.inventory.copy()
    for _ in range(steps):
        eng.step()
    np.testing.assert_allclose(eng.state.output, np.broadcast_to(b.x0[:, None], (b.n_nodes, 2)),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(eng.state.availability, 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(eng.state.share, share0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(eng.state.inventory, inv0, rtol=1e-12, atol=1e-15)


@given(net=random_network(), frac=st.floats(0.0, 1.0), kind=st.sampled_from(
    [ShockKind.ban, ShockKind.licensing, ShockKind.quota, ShockKind.tariff]),
    spare=st.floats(0.0, 0.5), inv=st.floats(0.0, 30.0),
    back=st.sampled_from([np.inf, 0.0, 3.0, 15.0]))
@SETTINGS
def test_goods_are_conserved(net: Baseline, frac: float, kind: ShockKind, spare: float,
                             inv: float, back: float) -> None:
    # the shock is lifted on day 40: with return_days (*back*) buyers then move back
    shock = Shock(kind, frozenset({"E0"}), frozenset(), frozenset({"h", "m"}), start=2,
                  end=40, intensity=frac, approval_rate=0.5 if kind is ShockKind.licensing
                  else None, licence_delay=ParamDist(DistKind.fixed, (7.0,))
                  if kind is ShockKind.licensing else None)
    spec = SimulationSpec(start=START, horizon_days=60, shocks=(shock,))
    prm = params(3, spare=spare, inv=inv, ramp=5.0) | {"return_days": np.full(3, back)}
    eng = Engine(net, spec, given_params(spec, prm))
    topo = eng.topo
    for _ in range(60):
        inv_before = eng.state.inventory.copy()
        pipe_before = eng.state.pipeline.sum(axis=(0, 1)) if eng.state.pipeline.size else 0.0
        f = eng.step()
        # produced = shipped to buyers + delivered to final demand
        np.testing.assert_allclose(f.output, topo.flows_to_sources(f.shipped) + f.final,
                                   rtol=1e-10, atol=1e-14)
        # shipped = received + change in transit
        pipe_after = eng.state.pipeline.sum(axis=(0, 1)) if eng.state.pipeline.size else 0.0
        np.testing.assert_allclose(f.shipped.sum(axis=0),
                                   f.received.sum(axis=0) + pipe_after - pipe_before,
                                   rtol=1e-10, atol=1e-14)
        # inventory change = received - used; inventories and shares stay feasible
        np.testing.assert_allclose(eng.state.inventory - inv_before, f.received - f.used,
                                   rtol=1e-10, atol=1e-13)
        assert (eng.state.inventory >= -1e-12).all()
        assert (eng.state.share >= -1e-12).all()
        np.testing.assert_allclose(topo.flows_to_slots(eng.state.share), 1.0, atol=1e-9)


@given(net=random_network(autarkic_e0=True), low=st.floats(0.0, 1.0),
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
        eng = Engine(net, spec, given_params(spec, params(1, spare=spare, inv=10.0)))
        lo = 1.0
        for _ in range(80):
            eng.step()
            lo = min(lo, float(eng.state.availability[outside, 0].min()))
        worst.append(lo)
    assert worst[1] <= worst[0] + 1e-9


@given(net=random_network(), small=st.floats(0.0, 30.0), extra=st.floats(0.0, 30.0))
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
