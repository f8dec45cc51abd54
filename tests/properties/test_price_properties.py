"""Invariants of the price stage (Hypothesis): a higher elasticity never raises the price
peak; goods are still conserved with the price feedback on."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.data.price_elasticities import PriceElasticity
from econsec.simulation.engine import Engine
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.prices import PriceRule
from econsec.simulation.spec import DistKind, ParamDist, Shock, ShockKind, SimulationSpec
from simhelpers import START, chain_networks, engine, params

EXAMPLES = int(os.environ.get("ECONSEC_HYPOTHESIS_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
KINDS = st.sampled_from([ShockKind.ban, ShockKind.licensing, ShockKind.quota])


def shock(kind: ShockKind, frac: float) -> Shock:
    """A restriction by E0 on h and m from day 2 to day 40."""
    lic = kind is ShockKind.licensing
    return Shock(kind, frozenset({"E0"}), frozenset(), frozenset({"h", "m"}), start=2, end=40,
                 intensity=frac, approval_rate=0.5 if lic else None,
                 licence_delay=ParamDist(DistKind.fixed, (7.0,)) if lic else None)


def priced(net: Baseline, spec: SimulationSpec, eps: float, feedback: float, spare: float,
           inv: float) -> Engine:
    """An engine whose goods all have eps_d = eps_s = *eps* and a 10-day adjustment."""
    eng = engine(net, spec, params(spare_capacity=spare, ramp_days=10.0, inventory_days=inv,
                                   price_feedback=feedback))
    assert eng.prm.prices is not None
    row = PriceElasticity("default", eps, eps, 10.0, "test", 2024)
    rule = PriceRule.of(net, {"default": row}, "default", eng.prm.prices.feedback, eng.dt)
    eng.prm = replace(eng.prm, prices=rule)
    return eng


def peak(eng: Engine, steps: int) -> np.ndarray:
    """(G,) highest price index of each good over *steps* steps."""
    top = eng.state.price[:, 0].copy()
    for _ in range(steps):
        eng.step()
        np.maximum(top, eng.state.price[:, 0], out=top)
    return top


@given(net=chain_networks(), kind=KINDS, frac=st.floats(0.1, 1.0), spare=st.floats(0.0, 0.5),
       inv=st.floats(0.0, 30.0), eps=st.floats(0.02, 1.0), factor=st.floats(1.0, 5.0),
       feedback=st.sampled_from([0.0, 1.0]))
@SETTINGS
def test_a_higher_elasticity_never_raises_the_price_peak(
        net: Baseline, kind: ShockKind, frac: float, spare: float, inv: float, eps: float,
        factor: float, feedback: float) -> None:
    spec = SimulationSpec(start=START, horizon_days=60, shocks=(shock(kind, frac),))
    low = peak(priced(net, spec, eps, feedback, spare, inv), 60)
    high = peak(priced(net, spec, eps * factor, feedback, spare, inv), 60)
    assert (high <= low * (1.0 + 1e-9)).all(), (low, high)


@given(net=chain_networks(), kind=KINDS, frac=st.floats(0.0, 1.0), spare=st.floats(0.0, 0.5),
       inv=st.floats(0.0, 30.0), eps=st.floats(0.02, 1.0))
@SETTINGS
def test_goods_are_conserved_with_price_feedback(net: Baseline, kind: ShockKind, frac: float,
                                                 spare: float, inv: float, eps: float) -> None:
    spec = SimulationSpec(start=START, horizon_days=60, shocks=(shock(kind, frac),))
    eng = priced(net, spec, eps, 1.0, spare, inv)
    for _ in range(60):
        inv0 = eng.state.inventory.copy()
        transit0 = eng.state.pipeline.sum(axis=(0, 1))
        f = eng.step()
        # output = shipped + final deliveries, per supplier node
        shipped = np.bincount(net.flow_src, weights=f.shipped[:, 0], minlength=net.n_nodes)
        np.testing.assert_allclose(f.output[:, 0], shipped + f.final[:, 0], rtol=1e-9,
                                   atol=1e-12)
        # shipped = received + change in transit
        transit = eng.state.pipeline.sum(axis=(0, 1))
        np.testing.assert_allclose(f.shipped.sum(), f.received.sum() + (transit - transit0)[0],
                                   rtol=1e-9, atol=1e-12)
        # inventory change = received - used; inventories stay non-negative
        np.testing.assert_allclose(eng.state.inventory - inv0, f.received - f.used, rtol=1e-9,
                                   atol=1e-12)
        assert (eng.state.inventory >= -1e-12).all()
        assert (eng.state.price > 0).all()
