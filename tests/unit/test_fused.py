"""The compiled kernels of the step (:mod:`econsec.simulation.fused`): each against the
numpy expression it replaces (hand-sized arrays, bit for bit, and hand-computed values),
the compiled step against the numpy step (bit for bit) and against the plain reference
step (within 1e-12) on busy random networks and on the built-in world, and numba kept out
of commands that do not simulate."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from test_step_kernels import SLOW_MOVES, TRANSIT, check_against_reference, run_states

from econsec.simulation import fused, fused_prices, kernels
from econsec.simulation import step as step_module
from econsec.simulation.kernels import FlowSums
from econsec.simulation.network_arrays import Baseline, baseline_from_world
from econsec.simulation.recorder import Recorder
from econsec.simulation.records import chunk_arrays
from econsec.simulation.spec import Shock, ShockKind, SimulationSpec
from simhelpers import busy_spec, draw_runs, engine, random_busy_network, world

RNG = np.random.default_rng(20261207)

# a hand network: slots 0 and 1; flows k0 (slot 0 from node 0), k1 (slot 0 from node 1),
# k2 (slot 1 from node 1); node 2 supplies nothing; two runs
FLOW_SRC = np.array([0, 1, 1])
SLOT_PTR = np.array([0, 2, 3])
G = np.array([[0.5, 1.0], [0.5, 0.0], [1.0, 0.25]])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_by_source_by_hand() -> None:
    x = np.array([[2.0, 4.0], [3.0, 8.0]])  # [slot, run]
    out = fused.by_source(G, x, x, False, SLOT_PTR, FLOW_SRC, 3)
    # node 0: k0 = 0.5 x 2, 1.0 x 4; node 1: k1 + k2 = 0.5 x 2 + 1 x 3, 0 x 4 + 0.25 x 8
    np.testing.assert_array_equal(out[0], [[1.0, 4.0], [4.0, 2.0], [0.0, 0.0]])
    two = fused.by_source(G, x, 2 * x, True, SLOT_PTR, FLOW_SRC, 3)
    np.testing.assert_array_equal(two[1], [[2.0, 8.0], [8.0, 4.0], [0.0, 0.0]])


def test_by_source_demand_by_hand() -> None:
    x = np.array([[2.0, 4.0], [3.0, 8.0]])  # [slot, run]
    f0 = np.array([[1.0, 1.0], [0.0, 2.0], [5.0, 0.0]])  # [node, run]
    d_use, d_ref, total = fused.by_source_demand(G, x, 2 * x, True, SLOT_PTR, FLOW_SRC, f0)
    # P(u) as in test_by_source_by_hand, plus f0; P(r) = 2 P(u); D = D_use + D_refill
    np.testing.assert_array_equal(d_use, [[2.0, 5.0], [4.0, 4.0], [5.0, 0.0]])
    np.testing.assert_array_equal(d_ref, [[2.0, 8.0], [8.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(total, [[4.0, 13.0], [12.0, 8.0], [5.0, 0.0]])
    _, none, total = fused.by_source_demand(G, x, 2 * x, False, SLOT_PTR, FLOW_SRC, f0)
    assert not none.any()
    np.testing.assert_array_equal(total, [[2.0, 5.0], [4.0, 4.0], [5.0, 0.0]])


def test_by_slot_by_hand() -> None:
    y = np.array([[1.0, 0.5], [0.5, 1.0], [9.0, 9.0]])  # [node, run]
    out = fused.by_slot(G, y, y, False, SLOT_PTR, FLOW_SRC, np.zeros((0, 1)))
    # slot 0: 0.5 x 1 + 0.5 x 0.5, 1 x 0.5 + 0 x 1; slot 1: 1 x 0.5, 0.25 x 1
    np.testing.assert_array_equal(out[0], [[0.75, 0.5], [0.5, 0.25]])


def random_flows(n_slots: int, n_nodes: int, per_slot: int) -> tuple[np.ndarray, np.ndarray]:
    counts = RNG.integers(1, per_slot + 1, n_slots)
    flow_slot = np.repeat(np.arange(n_slots), counts)
    flow_src = RNG.integers(0, n_nodes, len(flow_slot))
    return flow_slot, flow_src


@pytest.mark.parametrize("runs", [7, 1])
def test_weighted_sums_equal_the_sparse_sums_bit_for_bit(runs: int) -> None:
    """The compiled sums add the same products in the same order as the 0/1 sparse products
    of :class:`FlowSums` (long slots and popular suppliers: many terms per sum), with
    several runs and with one (the one-run sparse products: ``g`` as matrix data)."""
    n_slots, n_nodes = 40, 9
    flow_slot, flow_src = random_flows(n_slots, n_nodes, 12)
    sums = FlowSums(flow_slot, flow_src, n_slots, n_nodes)
    g = RNG.random((len(flow_slot), runs))
    xa, xb = RNG.random((n_slots, runs)) * 1e3, RNG.random((n_slots, runs))
    ya, yb = RNG.random((n_nodes, runs)), RNG.random((n_nodes, runs)) * 1e-3
    want_src = sums.by_source_many(g, [xa, xb], [None, None])[0]
    got_src = fused.by_source(g, xa, xb, True, sums.slot_ptr, sums.flow_src, n_nodes)
    want_slot = sums.by_slot_many(g, [ya, yb], [None, None])[0]
    got_slot = fused.by_slot(g, ya, yb, True, sums.slot_ptr, sums.flow_src, np.zeros((0, 1)))
    for j in range(2):
        assert same_bits(got_src[j], want_src[j])
        assert same_bits(got_slot[j], want_slot[j])


def test_one_run_sums_skip_the_slots_without_refill_orders() -> None:
    """One run, refill orders in a third of the slots: the refill sums by supplier are
    those of the sparse product over those slots (the others' terms are ``+0``), and the
    ``phi_refill`` slot sums are formed there only (0 elsewhere), as the sparse product
    restricted to them; the use sums over every slot."""
    n_slots, n_nodes = 60, 9
    flow_slot, flow_src = random_flows(n_slots, n_nodes, 12)
    sums = FlowSums(flow_slot, flow_src, n_slots, n_nodes)
    g = RNG.random((len(flow_slot), 1))
    xa, xb = RNG.random((n_slots, 1)), RNG.random((n_slots, 1))
    xb[RNG.random(n_slots) < 2 / 3] = 0.0
    r_slots = np.flatnonzero(xb[:, 0] > 0)
    ya, yb = RNG.random((n_nodes, 1)), RNG.random((n_nodes, 1))
    got_src = fused.by_source(g, xa, xb, True, sums.slot_ptr, sums.flow_src, n_nodes)
    want_src = sums.by_source_many(g, [xa, xb], [None, None])[0]
    for j in range(2):
        assert same_bits(got_src[j], want_src[j])
    got_slot = fused.by_slot(g, ya, yb, True, sums.slot_ptr, sums.flow_src, xb)
    want = sums.by_slot_many(g, [ya, yb], [None, None])[0]
    want[1][xb == 0] = 0.0
    assert same_bits(got_slot[0], want[0])
    assert same_bits(got_slot[1], want[1])
    assert (got_slot[1][r_slots] > 0).all()
    alone = fused.by_slot(g, yb, yb, False, sums.slot_ptr, sums.flow_src, xb)
    assert same_bits(alone[0], want[1])


def with_edges(a: np.ndarray) -> np.ndarray:
    """*a* with some exact zeros (0/0 and x/0 ratios) and ones."""
    a = a.copy()
    a[RNG.random(a.shape) < 0.15] = 0.0
    a[RNG.random(a.shape) < 0.05] = 1.0
    return a


def test_orders_equal_the_numpy_stage() -> None:
    n, s, runs = 6, 11, 5
    slot_node = np.sort(RNG.integers(0, n, s))
    cap, demand = with_edges(RNG.random((n, runs))), with_edges(RNG.random((n, runs)))
    target, inv = RNG.random((s, runs)), with_edges(RNG.random((s, runs)))
    coef, refill_days = RNG.random((s, runs)), RNG.uniform(10, 45, (1, runs))
    # step.place_orders
    refill = np.maximum(target - inv, 0.0)
    refill *= 1.0 / refill_days
    use = np.minimum(cap, demand)[slot_node] * coef
    use_k, refill_k, o_k, has = fused.orders(cap, demand, target, inv,
                                             np.ascontiguousarray((1.0 / refill_days)[0]),
                                             slot_node, coef)
    assert same_bits(use_k, use) and same_bits(refill_k, refill)
    assert same_bits(o_k, use + refill) and has == bool(refill.any())
    _, _, _, none = fused.orders(cap, demand, inv, inv, np.ones(runs), slot_node, coef)
    assert not none  # inventories at target: no refill orders


@pytest.mark.parametrize("dt", [1.0, 7.0])
def test_produce_and_ration_equal_the_numpy_stages(dt: float) -> None:
    """Nodes with essential slots only, with a non-essential one too (at most 1), without
    essential slots (1), without slots; zero needs (x/0 and 0/0 give 1)."""
    runs = 6
    node_ptr = np.array([0, 3, 5, 6, 6, 8])  # node 3: no slots
    essential = np.array([True, True, True, True, False, False, True, True])
    mixed = np.array([False, True, False, False, False])
    n, s = len(node_ptr) - 1, node_ptr[-1]
    slot_node = np.repeat(np.arange(n), np.diff(node_ptr))
    d_use, d_ref = with_edges(RNG.random((n, runs))), with_edges(RNG.random((n, runs)))
    demand = d_use + d_ref
    cap = with_edges(RNG.random((n, runs)))
    inv, coef = with_edges(RNG.random((s, runs))), with_edges(RNG.random((s, runs)))
    sigma = RNG.choice([0.0, 0.3, 1.0], (s, runs))
    # step.produce and step.ration (NodeMin: min over the essential slots, any order)
    wanted = np.minimum(cap, demand)
    need = wanted[slot_node] * coef
    if dt != 1.0:
        need *= dt
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.fmin(inv / need, 1.0)
        eff = (1.0 - alpha) * sigma + alpha
        rho = np.ones((n, runs))
        for j in range(n):
            ess = [q for q in range(node_ptr[j], node_ptr[j + 1]) if essential[q]]
            if ess:
                rho[j] = np.minimum.reduce(eff[ess], axis=0)
                if mixed[j]:
                    rho[j] = np.minimum(rho[j], 1.0)
        y = wanted * rho
        phi_u = np.fmin(y / d_use, 1.0)
        phi_r = np.fmin(np.maximum(y - d_use, 0.0) / d_ref, 1.0)
    got = fused.produce_ration(d_use, d_ref, demand, cap, inv, coef, sigma, node_ptr,
                               essential, mixed, dt)
    for g, w in zip(got, (y, rho, phi_u, phi_r), strict=True):
        assert same_bits(g, w)
    assert (rho[3] == 1.0).all() and (rho[2] == 1.0).all()  # no slot / no essential slot


@pytest.mark.parametrize("dt", [1.0, 7.0])
def test_receipts_inventories_and_ramp_equal_the_numpy_stages(dt: float) -> None:
    n, s, runs = 5, 9, 4
    slot_node = np.sort(RNG.integers(0, n, s))
    use, refill = RNG.random((s, runs)), with_edges(RNG.random((s, runs)))
    s_use, s_ref = RNG.random((s, runs)), RNG.random((s, runs))
    rate = use * s_use
    rate += refill * s_ref
    want = rate * dt if dt != 1.0 else rate
    assert same_bits(fused.receipts(use, s_use, refill, s_ref, True, dt), want)
    alone = use * s_use * dt if dt != 1.0 else use * s_use
    assert same_bits(fused.receipts(use, s_use, refill, s_use, False, dt), alone)
    # step.draw_inventories
    inv, y, coef = with_edges(RNG.random((s, runs))), RNG.random((n, runs)), RNG.random((s, runs))
    received = RNG.random((s, runs))
    need = y[slot_node] * coef
    if dt != 1.0:
        need *= dt
    used = np.minimum(inv, need)
    got = fused.draw_inventories(inv, y, coef, received, slot_node, dt)
    for g, w in zip(got, (inv + received - used, used, need), strict=True):
        assert same_bits(g, w)
    # step.ramp_capacity
    ramp = RNG.choice([0.0, 0.5, 0.97, 1.0], (n, runs))
    cap = RNG.random((n, runs))
    demand = cap * RNG.choice([0.5, 1.0, 1.0 + 1e-12, 1.5], (n, runs))
    step = dt / RNG.uniform(5, 60, runs)
    pressure = demand > cap * (1.0 + step_module.CAP_TOL)
    new, pressed = fused.ramp_capacity(ramp, demand, cap, step_module.CAP_TOL, step)
    assert pressed and same_bits(new, np.minimum(ramp + pressure * step[None, :], 1.0))
    # within the rounding tolerance: no pressure, the ramp as it was
    _, calm = fused.ramp_capacity(ramp, cap * (1.0 + 1e-12), cap, step_module.CAP_TOL, step)
    assert not calm


@pytest.mark.parametrize("scale", [1.0, 7.0])
def test_flow_amounts_equal_the_numpy_shipments(scale: float) -> None:
    """Shipments.rates / amounts of some flows: ``(g phi_use) u + (g phi_ref) r`` (times
    the step's days) as numpy forms them, bit for bit; a hand case first."""
    g, pu, pr = np.array([[0.5, 1.0]]), np.array([[1.0, 0.5]]), np.array([[0.25, 0.0]])
    u, r = np.array([[4.0, 2.0]]), np.array([[8.0, 3.0]])
    zero = np.zeros(1, dtype=np.int64)
    # (0.5 x 1) 4 + (0.5 x 0.25) 8 = 3, (1 x 0.5) 2 + 0 = 1; times the scale
    np.testing.assert_array_equal(fused.flow_amounts(g, pu, pr, u, r, zero, zero, scale),
                                  [[3.0 * scale, 1.0 * scale]])
    n, s, k, runs = 6, 9, 30, 5
    src, slot = RNG.integers(0, n, k), RNG.integers(0, s, k)
    g = with_edges(RNG.random((k, runs)))
    phi_u, phi_r = with_edges(RNG.random((n, runs))), with_edges(RNG.random((n, runs)))
    use, refill = RNG.random((s, runs)) * 1e3, with_edges(RNG.random((s, runs)))
    want = g * phi_u[src]  # shipments.Shipments._of, numpy
    want *= use[slot]
    ref = g * phi_r[src]
    ref *= refill[slot]
    want += ref
    if scale != 1.0:
        want *= scale
    got = fused.flow_amounts(g, phi_u, phi_r, use, refill, src, slot, scale)
    assert same_bits(got, want)
    assert same_bits(fused.flow_amounts(g, phi_u, phi_r, use, refill, src.astype(np.int32),
                                        slot, scale), want)


def states(net: Baseline, spec: SimulationSpec, runs: int, seed: int, steps: int, *,
           compiled: bool, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, np.ndarray]]:
    monkeypatch.setattr(kernels, "FUSED", compiled)
    return run_states(net, spec, draw_runs(spec, runs, seed), steps)


def assert_identical(a: list[dict[str, np.ndarray]], b: list[dict[str, np.ndarray]]) -> None:
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        for k in x:
            assert same_bits(np.asarray(x[k]), np.asarray(y[k])), (t, k)


def test_market_sums_by_hand() -> None:
    """Slots 0, 1 buy good 0, slot 2 good 1; node 0 makes good 1; one run, steps of 2
    days; slot 1 and node 0 in the home market (weights 0 in the first market)."""
    use = np.array([[4.0], [2.0], [1.0]])
    received = np.array([[6.0], [2.0], [3.0]])  # /2: 3 (< 4), 1 (< 2), 1.5 (> 1: counts 1)
    f0, phi_u = np.array([[5.0]]), np.array([[0.5]])
    slot_w = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    node_w = np.array([[0.0], [1.0]])
    demand, supply = fused_prices.market_sums(use, f0, received, phi_u, 2.0, np.array([0, 0, 1]),
                                       np.array([1]), slot_w, node_w, 2)
    # first market: good 0 C = 4, A = 3; good 1 C = 1, A = 1 (node 0 not in it)
    # home market: good 0 C = 2, A = 1; good 1 C = 0 + 5, A = 0 + 5 x 0.5 = 2.5
    np.testing.assert_array_equal(demand[:, :, 0], [[4.0, 1.0], [2.0, 5.0]])
    np.testing.assert_array_equal(supply[:, :, 0], [[3.0, 1.0], [1.0, 2.5]])


@pytest.mark.parametrize("dt", [1.0, 7.0])
@pytest.mark.parametrize("split", [False, True])
def test_price_stage_sums_equal_the_numpy_stage(dt: float, split: bool) -> None:
    """The market sums of one compiled pass (:func:`prices.market_sums_of`, then the same
    log ratio) give the sparse products' bits, one market per good or split into
    international and home markets."""
    from econsec.simulation import prices
    from econsec.simulation.engine import price_rule

    net, runs = random_busy_network(3), 5
    rule = price_rule(net, np.zeros((1, runs)), dt)
    s, n, g = net.n_slots, net.n_nodes, rule.n_goods
    use = with_edges(RNG.random((s, runs)))
    use[RNG.random(use.shape) < 0.1] = 0.0
    received = RNG.random((s, runs)) * 1.5 * dt  # some above the use order
    f0, phi_u = RNG.random((n, runs)), with_edges(RNG.random((n, runs)))
    mk = None
    if split:
        slot_home, node_home = RNG.random(s) < 0.3, RNG.random(n) < 0.3
        mk = prices.Markets(slot_home=slot_home.astype(np.float64)[:, None],
                            node_home=node_home.astype(np.float64)[:, None],
                            split=np.arange(g) % 2 == 0, slot_row=net.slot_good,
                            node_row=net.node_good)
    want = prices.excess_demand(rule, use, f0, received, phi_u, dt, mk)
    demand, supply = prices.market_sums_of(rule, use, f0, received, phi_u, dt, mk)
    z_int = prices.log_ratio(demand[0], supply[0])
    z_home = z_int if mk is None else prices.log_ratio(demand[1], supply[1])
    if mk is not None:
        z_home[~mk.split] = z_int[~mk.split]
    got = (z_int, z_home)
    for a, b in zip(got, want, strict=True):
        assert same_bits(a, b)
    assert (want[0] > 0).any()
    assert not split or not np.array_equal(want[0], want[1])


@pytest.mark.parametrize("dt", [1.0, 7.0])
@pytest.mark.parametrize("split", [False, True])
def test_compiled_price_stage_equals_the_numpy_stage(dt: float, split: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`prices.update_prices` with the compiled passes gives the numpy stage's bits:
    indices at 1 that stay, indices at 1 that move, indices away from 1 that relax."""
    from econsec.simulation import prices
    from econsec.simulation.engine import price_rule

    net, runs = random_busy_network(4), 6
    rule = price_rule(net, np.zeros((1, runs)), dt)
    s, n, g = net.n_slots, net.n_nodes, rule.n_goods
    use = RNG.random((s, runs))
    received = use * dt  # consumption met everywhere ...
    received[RNG.random(use.shape) < 0.2] *= 0.5  # ... but in some slots
    f0, phi_u = RNG.random((n, runs)), np.ones((n, runs))
    price = np.ones((2 * g, runs))
    price[RNG.random(price.shape) < 0.3] = 1.5
    mk = None
    if split:
        mk = prices.Markets(slot_home=(RNG.random(s) < 0.3).astype(np.float64)[:, None],
                            node_home=(RNG.random(n) < 0.3).astype(np.float64)[:, None],
                            split=RNG.random(g) < 0.5, slot_row=net.slot_good,
                            node_row=net.node_good)
    monkeypatch.setattr(kernels, "FUSED", False)
    want = prices.update_prices(price, rule, use, f0, received, phi_u, dt, mk)
    monkeypatch.setattr(kernels, "FUSED", True)
    got = prices.update_prices(price, rule, use, f0, received, phi_u, dt, mk)
    assert same_bits(got, want)
    moved = want != 1.0
    assert (moved & (price == 1.0)).any() and (~moved & (price == 1.0)).any()
    assert ((want < price) & (price > 1.0)).any()


@pytest.mark.parametrize(("seed", "step_days", "extra", "runs"), [
    (1, 1, {}, 5), (4, 1, SLOW_MOVES, 5), (5, 1, SLOW_MOVES | TRANSIT, 5),
    (6, 7, SLOW_MOVES, 5), (1, 1, {}, 1), (4, 1, SLOW_MOVES, 1),
    (5, 1, SLOW_MOVES | TRANSIT, 1), (6, 7, SLOW_MOVES, 1)])
def test_compiled_step_equals_the_numpy_step_bit_for_bit(
        seed: int, step_days: int, extra: dict[str, Any], runs: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ban, licensing with its pipeline, quota, tariff (per-run elasticities), allied
    sharing, an investment, a stockpile; re-sourcing delays, return, transit, weekly
    steps: every state array and step flow, every step, the same bytes, with several runs
    and with one (the one-run numpy path: sparse products, no per-flow arrays)."""
    net = random_busy_network(seed, own_supply=bool(extra))
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days, **extra)
    plain = states(net, spec, runs, seed, 45, compiled=False, monkeypatch=monkeypatch)
    fast = states(net, spec, runs, seed, 45, compiled=True, monkeypatch=monkeypatch)
    assert_identical(fast, plain)
    assert not np.array_equal(fast[-1]["share"], fast[0]["share"])  # shares moved


@pytest.mark.parametrize("runs", [1, 3])
def test_compiled_step_under_an_outage_alone(runs: int, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """No flow control at all (no ban, cap, tariff or special flow: the plain re-sourcing
    loop of one run), an outage that makes suppliers ration: the numpy step's bytes."""
    net = random_busy_network(7)
    outage = Shock(ShockKind.outage, frozenset(), frozenset(), frozenset({"g2", "g3"}),
                   start=2, end=30, intensity=0.6, economies=frozenset({"E0", "E1"}),
                   recovery_days=10.0)
    spec = replace(busy_spec(horizon=60), shocks=(outage,), levers=())
    plain = states(net, spec, runs, 7, 40, compiled=False, monkeypatch=monkeypatch)
    fast = states(net, spec, runs, 7, 40, compiled=True, monkeypatch=monkeypatch)
    assert_identical(fast, plain)
    assert not np.array_equal(fast[-1]["share"], fast[0]["share"])  # shares moved


def records(net: Baseline, spec: SimulationSpec, runs: int, seed: int, steps: int, *,
            compiled: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A chunk's records (every node tracked, every step recorded, the first flows'
    trade), as :func:`econsec.simulation.engine._run_chunk` records them."""
    monkeypatch.setattr(kernels, "FUSED", compiled)
    eng = engine(net, spec, draw_runs(spec, runs, seed))
    flows = np.arange(min(25, net.n_flows))
    rec = Recorder(net, runs, steps, np.arange(net.n_nodes), eng.d_ref, 1, flows=flows)
    rec.record(eng.state, eng.topo, eng.dt)
    for _ in range(steps):
        moved = eng.step()
        rec.record(eng.state, eng.topo, eng.dt, moved.arrived_at(flows))
    rec.end()
    return chunk_arrays(rec, eng.state.share[flows].T.copy(), eng.state.share[flows].T.copy())


@pytest.mark.parametrize("runs", [4, 1])
@pytest.mark.parametrize("step_days", [1, 7])
def test_compiled_recorder_equals_the_numpy_recorder(step_days: int, runs: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Loss, minimum availability, last day below the band, minimum inventory days (and
    the series): the same bytes with the compiled accumulators."""
    net = random_busy_network(2)
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days)
    plain = records(net, spec, runs, 2, 40, compiled=False, monkeypatch=monkeypatch)
    fast = records(net, spec, runs, 2, 40, compiled=True, monkeypatch=monkeypatch)
    assert plain.keys() == fast.keys()
    for k, v in plain.items():
        assert (np.asarray(v).tobytes() == np.asarray(fast[k]).tobytes()), k
    assert (plain["loss"] > 0).any() and np.isfinite(plain["last_below"]).any()


def world_case(horizon: int) -> tuple[Baseline, SimulationSpec]:
    from econsec.policy.scenarios import load_named

    spec = load_named("chn_full_ban_trilateral", world()).with_overrides(
        horizon=horizon).to_spec(world())
    return baseline_from_world(world(), as_of=spec.as_of_year), spec


@pytest.mark.parametrize("runs", [3, 1])
def test_compiled_step_on_the_built_in_world(runs: int, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """chn_full_ban_trilateral (bans, prices with feedback, most slots at risk): the
    compiled step gives the numpy step's bytes and agrees with the reference step."""
    net, spec = world_case(60)
    plain = states(net, spec, runs, 2, 30, compiled=False, monkeypatch=monkeypatch)
    fast = states(net, spec, runs, 2, 30, compiled=True, monkeypatch=monkeypatch)
    assert_identical(fast, plain)
    assert not np.array_equal(fast[-1]["share"], fast[0]["share"])
    check_against_reference(net, spec, runs=2, seed=3, steps=25)


def test_the_reference_detects_a_wrong_compiled_kernel(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """Restocking served like current use in the compiled rationing: the reference check
    fails (it compares the compiled step, not a copy of it)."""
    def wrong(*args: Any) -> tuple[np.ndarray, ...]:
        y, rho, phi_u, _ = fused.produce_ration(*args)
        return y, rho, phi_u, phi_u

    monkeypatch.setattr(step_module, "compiled",
                        lambda: SimpleNamespace(**{**vars(fused), "produce_ration": wrong}))
    with pytest.raises(AssertionError):
        check_against_reference(random_busy_network(1), busy_spec(), runs=2, seed=1, steps=40)


def test_numba_is_loaded_only_to_simulate() -> None:
    code = ("import sys, econsec.cli.app, econsec.analysis, econsec.simulation.engine; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
