"""Demand and outage shocks on nodes (``kind: demand`` / ``kind: outage``): hand-worked
trajectories on the two- and three-node networks, the weight of a ramp, the reference step
with node shocks, scenario parsing and windowed output outcomes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_step_kernels import check_against_reference

from econsec.simulation.controls import NodeShocks, node_shock_weight
from econsec.simulation.engine import simulate
from econsec.simulation.spec import Shock, ShockKind, SimulationSpec
from simhelpers import START, busy_spec, engine, params, random_busy_network, three_node, two_node


def demand(goods: str, multiplier: float, start: int, end: int | None = None,
           economies: frozenset[str] = frozenset(), ramp: float = 0.0,
           recovery: float = 0.0) -> Shock:
    return Shock(ShockKind.demand, frozenset(), frozenset(), frozenset({goods}), start=start,
                 end=end, intensity=multiplier, economies=economies, ramp_days=ramp,
                 recovery_days=recovery)


def outage(economy: str, goods: str, share: float, start: int, end: int | None = None,
           recovery: float = 0.0) -> Shock:
    return Shock(ShockKind.outage, frozenset(), frozenset(), frozenset({goods}), start=start,
                 end=end, intensity=share, economies=frozenset({economy}),
                 recovery_days=recovery)


def test_weight_ramps_in_and_recovers_linearly() -> None:
    # start 10, full after 4 days of ramp, end 20, back to nothing 5 days after the end:
    # day 9: 0; day 12: (12 - 10) / 4 = 0.5; day 14..19: 1; day 22: 1 - 2/5 = 0.6; day 25: 0
    s = demand("g", 0.5, start=10, end=20, ramp=4.0, recovery=5.0)
    got = [node_shock_weight(s, d) for d in (9, 10, 12, 14, 19, 20, 22, 25, 30)]
    assert got == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.6, 0.0, 0.0])
    step = demand("g", 0.5, start=10, end=20)  # no ramp: a step on day 10, off on day 20
    assert [node_shock_weight(step, d) for d in (9, 10, 19, 20)] == [0.0, 1.0, 1.0, 0.0]


def test_multipliers_combine_per_node() -> None:
    # three_node: nodes (C, g), (S1, h), (S2, h). Demand x0.5 on g with a 4-day ramp from
    # day 0: on day 2 the weight is 0.5 and the multiplier 1 + 0.5 (0.5 - 1) = 0.75; two
    # outages on S1's h (40 % and 50 %) keep (1 - 0.4)(1 - 0.5) = 0.3 of its capacity.
    spec = SimulationSpec(start=START, horizon_days=10, shocks=(
        demand("g", 0.5, start=0, ramp=4.0), outage("S1", "h", 0.4, start=0),
        outage("S1", "h", 0.5, start=1)))
    ns = NodeShocks(three_node(), spec)
    final, keep = ns.at(2.0)
    np.testing.assert_allclose(final, [0.75, 1.0, 1.0])
    np.testing.assert_allclose(keep, [1.0, 0.3, 1.0])
    none = NodeShocks(three_node(), dataclasses.replace(spec, shocks=(
        demand("g", 0.5, start=5),)))
    assert none.at(4.0) is None  # nothing in effect yet


def test_demand_collapse_hand_worked() -> None:
    """two_node: C makes g (x0 = 1, all final) from h (cost share 0.5) bought from S
    (x0 = 0.5); ten days of inventory: target T = (10 + 1) 0.5 = 5.5. Final demand for g
    halves on day 2 (a step). Day 2: C still plans p = D(t-1) = 1 and orders u = 0.5 from S
    (inventory at target: no refill), S makes 0.5; C's demand is f0 = 0.5, so C makes 0.5
    and uses 0.25: inventory 5.5 + 0.5 - 0.25 = 5.75. From day 3 C plans 0.5, orders 0.25,
    S makes 0.25; C makes 0.5 and uses 0.25: inventory stays 5.75 (the one day's overhang;
    refill orders only close a gap below the target). Final deliveries: 1, 1, 0.5, 0.5."""
    net = two_node()
    spec = SimulationSpec(start=START, horizon_days=6, shocks=(demand("g", 0.5, start=2),))
    eng = engine(net, spec, params(1))
    c, s = net.node_index()[("C", "g")], net.node_index()[("S", "h")]
    out_c, out_s, inv, final = [], [], [], []
    for _ in range(5):
        f = eng.step()
        out_c.append(float(eng.state.output[c, 0]))
        out_s.append(float(eng.state.output[s, 0]))
        inv.append(float(eng.state.inventory[0, 0]))
        final.append(float(f.final[c, 0]))
    assert out_c == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.5], abs=1e-12)
    assert out_s == pytest.approx([0.5, 0.5, 0.5, 0.25, 0.25], abs=1e-12)
    assert inv == pytest.approx([5.5, 5.5, 5.75, 5.75, 5.75], abs=1e-12)
    assert final == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.5], abs=1e-12)


def test_demand_jump_beyond_capacity_is_rationed() -> None:
    """two_node without spare capacity: final demand for g jumps 20 % on day 0. C plans
    p = min(cap, D(t-1)) = 1 on day 0 and its demand is 1.2: it makes min(cap 1, 1.2) = 1
    and delivers phi_use = 1 / 1.2 of final demand, so 0.2 a day goes unmet (1.2 - 1)."""
    net = two_node()
    spec = SimulationSpec(start=START, horizon_days=3, shocks=(demand("g", 1.2, start=0),))
    eng = engine(net, spec, params(1))
    c = net.node_index()[("C", "g")]
    for _ in range(3):
        f = eng.step()
        assert float(eng.state.output[c, 0]) == pytest.approx(1.0, abs=1e-12)
        assert float(f.final[c, 0]) == pytest.approx(1.0, abs=1e-12)
        assert float(eng.state.demand[c, 0]) == pytest.approx(1.2, abs=1e-12)


def test_outage_hand_worked() -> None:
    """three_node (C buys h 75 % from S1, 25 % from S2; x0: S1 0.375, S2 0.125; no spare
    capacity, ten days of inventory: T = 5.5). S1 loses 40 % of its capacity on days 1-2:
    cap 0.6 x 0.375 = 0.225. Day 1: C orders 0.375 from S1 and 0.125 from S2; S1 ships
    0.225 (phi_use 0.6), nobody has headroom to re-source to, C makes 1 from inventory and
    uses 0.5: inventory 5.5 + 0.225 + 0.125 - 0.5 = 5.35. Day 2: C adds the refill order
    (5.5 - 5.35) / 30 = 0.005; S1 still ships 0.225 (use first: phi_use 0.6, phi_refill 0)
    and S2, at capacity, ships its use 0.125 but no refill: inventory 5.35 - 0.15 = 5.2.
    Day 3: S1 is back at 0.375 but has no spare capacity for the refill orders: C receives
    0.5 and uses 0.5, and its inventory stays 5.2 below target."""
    net = three_node()
    spec = SimulationSpec(start=START, horizon_days=5, shocks=(
        outage("S1", "h", 0.4, start=1, end=3),))
    eng = engine(net, spec, params(1))
    idx = net.node_index()
    s1, c = idx[("S1", "h")], idx[("C", "g")]
    got = []
    for _ in range(4):
        eng.step()
        got.append((float(eng.state.output[s1, 0]), float(eng.state.output[c, 0]),
                    float(eng.state.inventory[0, 0])))
    np.testing.assert_allclose(got, [(0.375, 1.0, 5.5), (0.225, 1.0, 5.35), (0.225, 1.0, 5.2),
                                     (0.375, 1.0, 5.2)], rtol=0, atol=1e-12)


@pytest.mark.parametrize("step_days", [1, 7])
def test_step_matches_the_reference_with_node_shocks(step_days: int) -> None:
    """The busy spec plus a demand jump with a ramp and recovery, a collapse and an outage
    that recovers: the fast step agrees with the reference rule within 1e-12. (The outages
    keep some capacity: a node with none plans no output and orders only the rounding
    noise of its refill gap, ~1e-17, where the re-sourcing ratio ``s_k / o_q`` is
    ill-conditioned and two correct evaluations of the rule part at 1e-12.)"""
    spec = busy_spec(step_days=step_days)
    extra = (demand("g0", 1.4, start=4, end=30, ramp=6.0, recovery=10.0),
             demand("g2", 0.5, start=10, economies=frozenset({"E1", "E2"})),
             outage("E3", "g4", 0.6, start=6, end=25, recovery=12.0),
             outage("E0", "g1", 0.9, start=15, end=40))
    spec = dataclasses.replace(spec, shocks=spec.shocks + extra)
    eng, _ = check_against_reference(random_busy_network(3), spec, runs=3, seed=7,
                                     steps=60 // step_days)
    assert eng.node_shocks  # the case exercises the node shocks


def test_node_shock_validation() -> None:
    with pytest.raises(ValueError, match="names economies"):
        Shock(ShockKind.demand, frozenset({"A"}), frozenset(), frozenset({"g"}), start=0,
              intensity=1.2)
    with pytest.raises(ValueError, match="out of range"):
        outage("A", "g", 1.5, start=0)
    with pytest.raises(ValueError, match="demand and outage shocks only"):
        Shock(ShockKind.ban, frozenset({"A"}), frozenset(), frozenset({"g"}), start=0,
              ramp_days=3.0)


def test_scenario_yaml_node_shocks(tmp_path: Path) -> None:
    from econsec.errors import DataError
    from econsec.policy.scenarios import load_scenario

    text = """name: t
title: t
kind: forward
start: 2021-01-01
horizon: 60d
shocks:
  - kind: demand
    goods: [smartphones]
    start: 2021-01-11
    end: 2021-02-10
    multiplier: 1.25
    ramp_days: 5
  - kind: outage
    economies: [JPN]
    goods: [dram]
    start: 2021-01-05
    share: 0.5
    recovery_days: 10
"""
    p = tmp_path / "t.yaml"
    p.write_text(text)
    sc = load_scenario(p)
    d, o = sc.shocks
    assert (d.kind, d.start, d.end, d.intensity, d.ramp_days, d.economies) == (
        ShockKind.demand, 10, 40, 1.25, 5.0, frozenset())
    assert (o.kind, o.start, o.end, o.intensity, o.recovery_days, o.economies) == (
        ShockKind.outage, 4, None, 0.5, 10.0, frozenset({"JPN"}))
    p.write_text(text.replace("multiplier: 1.25", "share: 0.3"))
    with pytest.raises(DataError, match=r"unknown key|multiplier"):
        load_scenario(p)
    p.write_text(text.replace("start: 2021-01-11", "start: 2020-12-01"))
    with pytest.raises(DataError, match="on or after the scenario start"):
        load_scenario(p)


def test_windowed_output_outcome() -> None:
    """Output in a window over baseline: two_node with final demand for g at 0.5 from day
    10; days 20-29 are all at 0.5 (C makes its demand), so the change is -50 %; days 5-14
    hold 5 days at 1 and 5 at 0.5: -25 %."""
    net = two_node()
    spec = SimulationSpec(start=START, horizon_days=40, shocks=(demand("g", 0.5, start=10),))
    res = simulate(spec, baseline=net, runs=2)
    labels, vals, x0 = res.output_in_window(20, 29)
    c = int(np.flatnonzero((labels["economy"] == "C").to_numpy())[0])
    assert vals[:, c] / x0[c] - 1.0 == pytest.approx([-0.5, -0.5], abs=1e-6)
    _, vals, x0 = res.output_in_window(5, 14)
    assert vals[:, c] / x0[c] - 1.0 == pytest.approx([-0.25, -0.25], abs=1e-6)


def test_output_windows_read_the_records_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three windows on one result read the recorded output once, and give what the whole
    records read per window give (the previous way: rec.series, every metric)."""
    from econsec.simulation.records import RunRecords

    net = two_node()
    spec = SimulationSpec(start=START, horizon_days=40, shocks=(demand("g", 0.5, start=10),))
    res = simulate(spec, baseline=net, runs=3, seed=1)
    full = res.recorder.series["output"][1:].astype(np.float64)  # [T, R, n], read directly
    reads: list[str] = []
    real_full = RunRecords.full
    monkeypatch.setattr(RunRecords, "full",
                        lambda self, field: reads.append(field) or real_full(self, field))
    for first, last in ((5, 14), (20, 29), (0, 39)):
        labels, vals, _ = res.output_in_window(first, last)
        w = res._window_weights(first, last)
        assert np.array_equal(vals, np.tensordot(w[1:], full, axes=(0, 0)))
        assert list(labels.columns[:2]) == ["economy", "good"]
    assert reads == ["series/output"]
