"""The optimised step against the plain reference of the step rule
(:mod:`econsec.simulation.reference`), and its bit-for-bit independence of how runs are
grouped (one run, many runs, chunks, internal paths)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from econsec.simulation import kernels
from econsec.simulation import step as step_module
from econsec.simulation.engine import Engine, simulate
from econsec.simulation.kernels import FlowSums, ranges
from econsec.simulation.network_arrays import Baseline
from econsec.simulation.params import Draws
from econsec.simulation.reference import RunState, reference_step
from econsec.simulation.spec import DistKind, ParamDist, Shock, ShockKind, SimulationSpec
from simhelpers import busy_spec, draw_runs, engine, one_run, random_busy_network, step_inputs

STATE = ("ramp", "demand", "output", "availability", "inventory", "share", "pipeline", "price",
         "transit")
#: the fast step agrees with the reference within |fast - ref| <= ATOL + RTOL |ref| for every
#: state array and step flow at every step (the sums add the same terms in another order)
RTOL = ATOL = 1e-12
#: re-sourcing delay, return after the lift, and per-run refill days and tariff elasticity
SLOW_MOVES = {"resourcing_days": ParamDist(DistKind.uniform, (0.0, 8.0)),
              "return_days": ParamDist(DistKind.uniform, (3.0, 30.0)),
              "refill_days": ParamDist(DistKind.uniform, (10.0, 45.0)),
              "tariff_elasticity": ParamDist(DistKind.uniform, (2.0, 6.0))}


def close(got: np.ndarray | float, want: np.ndarray | float, what: str) -> None:
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def check_against_reference(net: Baseline, spec: SimulationSpec, runs: int, seed: int,
                            steps: int) -> tuple[Engine, bool]:
    """Step an engine of *runs* runs and, beside it, each run by :func:`reference_step` from
    the same inputs; every state array and step flow must agree at every step. Returns the
    engine and whether the licence pipeline ever held shipments."""
    eng = engine(net, spec, draw_runs(spec, runs, seed))
    refs = [RunState.of(eng.state, r) for r in range(runs)]
    piped = False
    for t in range(steps):
        inp = step_inputs(eng)
        moved = eng.step()
        piped |= bool(eng.state.pipeline.any())
        for r, rs in enumerate(refs):
            got = reference_step(rs, eng.base, eng.prm, r, **inp)
            for k in STATE:
                close(getattr(eng.state, k)[..., r], getattr(rs, k), f"step {t} run {r} {k}")
            close(moved.received[:, r], got.received, "received")
            close(moved.used[:, r], got.used, "used")
            close(moved.final[:, r], got.final, "final")
            close(moved.shipped[:, r], got.shipped, "shipped")
            close(moved.into_pipeline[r], got.into_pipeline, "into pipeline")
            close(moved.out_of_pipeline[r], got.out_of_pipeline, "out of pipeline")
            close(moved.arrived[:, r], got.arrived, "arrived")
            close(moved.into_transit[r], got.into_transit, "into transit")
            close(moved.out_of_transit[r], got.out_of_transit, "out of transit")
            close(moved.refused[r], got.refused, "refused at the border")
    return eng, piped


@pytest.mark.parametrize(("seed", "step_days"), [(1, 1), (2, 1), (3, 7)])
def test_step_matches_the_reference_rule(seed: int, step_days: int) -> None:
    net = random_busy_network(seed)
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days)
    eng, piped = check_against_reference(net, spec, runs=4, seed=seed, steps=40)
    # the case exercises re-sourcing and the licence pipeline
    assert not np.allclose(eng.state.share, net.share0[:, None])
    assert piped or step_days == 7


def test_step_matches_the_reference_with_delays_and_return(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-sourcing over resourcing_days, return after the lifts (days 50, 60) over
    return_days, per-run refill days and tariff elasticity: still the reference rule."""
    moved_back: list[bool] = []
    return_shares = step_module.return_shares

    def spy(st: Any, *args: Any) -> None:
        before = st.share
        return_shares(st, *args)
        moved_back.append(st.share is not before)

    monkeypatch.setattr(step_module, "return_shares", spy)
    net = random_busy_network(4)
    eng, piped = check_against_reference(net, busy_spec(**SLOW_MOVES), runs=4, seed=4,
                                         steps=75)
    assert piped and any(moved_back)
    assert len(np.unique(eng.prm.tariff_elasticity)) == 4


#: transit over 1.5-9 days on the random networks (their economies have no region: every
#: route between two of them takes the default interregional 30 days x the scale)
TRANSIT = {"transit_scale": ParamDist(DistKind.uniform, (0.05, 0.3))}


@pytest.mark.parametrize(("seed", "step_days"), [(3, 1), (5, 1), (6, 7)])
def test_step_matches_the_reference_with_transit(seed: int, step_days: int) -> None:
    """Shipments in transit (lags differing by run, domestic flows without one, licensed
    shipments delayed then shipped), return after the lifts: still the reference rule."""
    net = random_busy_network(seed, own_supply=True)
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days,
                     **(SLOW_MOVES | TRANSIT))
    eng, _ = check_against_reference(net, spec, runs=4, seed=seed, steps=40)
    tr = eng.prm.transit
    assert tr is not None and eng.state.transit.any()
    assert len(np.unique(tr.lag)) > 2 or step_days == 7  # lags differ between runs
    domestic = net.flow_supplier == net.flow_buyer
    assert domestic.any() and not np.isin(np.flatnonzero(domestic), tr.flows).any()


def border_spec(step_days: int = 1) -> SimulationSpec:
    """busy_spec with a second ban, from day 20, on flows under licensing since day 5
    (E1's g2 and g5): the day it starts, it refuses 60 % of what waits in their pipeline."""
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days)
    ban = Shock(ShockKind.ban, frozenset({"E1"}), frozenset(), frozenset({"g2", "g5"}),
                start=20 if step_days == 1 else 21, end=45 if step_days == 1 else 49,
                intensity=0.6)
    return replace(spec, shocks=(*spec.shocks, ban))


@pytest.mark.parametrize(("seed", "step_days"), [(1, 1), (2, 1), (3, 7)])
def test_step_matches_the_reference_when_a_ban_meets_the_pipeline(seed: int,
                                                                   step_days: int) -> None:
    net = random_busy_network(seed)
    spec = border_spec(step_days)
    # 32 steps: the refusal (step 20, or 3 weekly) and 12 steps after it; seed 2's busier
    # re-sourcing then amplifies the two paths' different summation orders to 2e-12
    # relative by step 39 (3e-15 at the refusal, 4e-13 at step 30: rounding, no jump)
    check_against_reference(net, spec, runs=4, seed=seed, steps=32)
    # the case exercises the refusal: something was refused, on the ban's first step only
    eng = engine(net, spec, draw_runs(spec, 4, seed))
    refused = np.array([eng.step().refused for _ in range(40)])
    first = spec.shocks[-1].start // step_days
    assert (refused[first] > 0).all()
    assert not np.delete(refused, first, axis=0).any()


def test_one_run_and_many_runs_give_the_same_bits_with_a_refusal() -> None:
    net = random_busy_network(2)
    spec = border_spec()
    prm = draw_runs(spec, 3, 2)
    assert_same_bits(run_states(net, spec, prm, 30),
                     [run_states(net, spec, one_run(prm, r), 30) for r in range(3)])


@pytest.mark.parametrize("stage", ["ration", "ramp_capacity", "place_orders"])
def test_the_reference_detects_a_wrong_stage(stage: str, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """A step with one stage changed no longer agrees with the reference (the check can
    fail): restocking served like use, capacity ramped twice as fast, refill orders over
    half the refill days (rationing: in the numpy path, the compiled one fuses it with
    production; test_fused.py checks that one)."""
    if stage == "ration":
        monkeypatch.setattr(kernels, "FUSED", False)
    ration, ramp, orders = step_module.ration, step_module.ramp_capacity, step_module.place_orders
    wrong: dict[str, Callable[..., Any]] = {
        "ration": lambda y, d_use, d_ref: (ration(y, d_use, d_ref)[0],) * 2,
        "ramp_capacity": lambda st, cap, demand, prm, dt: ramp(st, cap, demand, prm, 2 * dt),
        "place_orders": lambda st, topo, k, prm, target, mk=None: orders(
            st, topo, k, replace(prm, refill_days=prm.refill_days / 2), target, mk),
    }
    monkeypatch.setattr(step_module, stage, wrong[stage])
    with pytest.raises(AssertionError):
        check_against_reference(random_busy_network(1), busy_spec(), runs=2, seed=1, steps=40)


def run_states(net: Baseline, spec: SimulationSpec, prm: dict[str, np.ndarray] | Draws,
               steps: int) -> list[dict[str, np.ndarray]]:
    """States and step flows of one engine over *steps* steps (copies)."""
    eng = engine(net, spec, prm)
    out = []
    for _ in range(steps):
        f = eng.step()
        rec = {k: np.array(getattr(eng.state, k), copy=True) for k in STATE}
        rec |= {"received": f.received, "used": f.used, "final": f.final,
                "substituted": f.substituted, "shipped": f.shipped, "arrived": f.arrived,
                "into": f.into_pipeline, "out": f.out_of_pipeline,
                "into_transit": f.into_transit, "out_of_transit": f.out_of_transit,
                "refused": f.refused}
        out.append(rec)
    return out


def assert_same_bits(many: list[dict[str, np.ndarray]], ones: list[list[dict[str, np.ndarray]]]
                     ) -> None:
    """Run r of *many* equals *ones[r]* (the ring buffers of the licence pipeline and of
    transit are as long as the chunk's longest delay: compared through the arrivals)."""
    for t, rec in enumerate(many):
        for r, single in enumerate(ones):
            for k, v in rec.items():
                if k not in ("pipeline", "transit"):
                    assert np.array_equal(v[..., r], single[t][k][..., 0]), (t, r, k)


@pytest.mark.parametrize(("seed", "transit"), [(1, False), (4, False), (4, True)])
def test_one_run_and_many_runs_give_the_same_bits(seed: int, transit: bool) -> None:
    """Run r of a chunk of runs equals, bit for bit, the same parameters run alone (the
    one-run path uses sparse products, the many-run path [F, R] arrays)."""
    net = random_busy_network(seed)
    spec = busy_spec(**(TRANSIT if transit else {}))
    runs = 5
    prm = draw_runs(spec, runs, seed)
    many = run_states(net, spec, prm, 45)
    ones = [run_states(net, spec, one_run(prm, r), 45)
            for r in range(runs)]
    assert_same_bits(many, ones)


def test_internal_paths_give_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept per-flow products or gathers again; sub-matrices of the slots with refill
    orders or the whole matrix: every path adds the same products in the same order (the
    numpy paths of several runs; the compiled ones: test_fused.py)."""
    monkeypatch.setattr(kernels, "FUSED", False)
    net = random_busy_network(7)
    spec = busy_spec()
    prm = draw_runs(spec, 3, 7)
    plain = run_states(net, spec, prm, 40)
    monkeypatch.setattr(step_module, "KEEP_VALUES", 0)
    assert_same_bits(run_states(net, spec, prm, 40),
                     [[{k: v[..., r:r + 1] for k, v in rec.items()} for rec in plain]
                      for r in range(3)])
    for sparse in (1, 10**9):  # never / always restrict to the slots with refill orders
        monkeypatch.setattr(kernels, "SPARSE", sparse)
        ones = [run_states(net, spec, one_run(prm, r), 40)
                for r in range(3)]
        assert_same_bits(plain, ones)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_incremental_sums_give_the_same_bits_as_whole_sums(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sums of several runs re-added only where a weight or quantity changed (the default)
    equal the whole sums formed every step, bit for bit, over a busy random network (the
    numpy paths; the compiled kernels form whole sums)."""
    monkeypatch.setattr(kernels, "FUSED", False)
    net = random_busy_network(seed)
    spec = busy_spec()
    prm = draw_runs(spec, 5, seed)
    incremental = run_states(net, spec, prm, 70)
    monkeypatch.setattr(kernels, "INCREMENTAL", False)
    whole = run_states(net, spec, prm, 70)
    for t, (a, b) in enumerate(zip(incremental, whole, strict=True)):
        for k in a:
            assert a[k].tobytes() == b[k].tobytes(), (t, k)


def test_chunks_and_workers_give_the_same_bytes() -> None:
    net = random_busy_network(3)
    spec = busy_spec(horizon=50)
    res = [simulate(spec, baseline=net, runs=7, seed=11, chunk_runs=c) for c in (1, 3, 7)]
    res.append(simulate(spec, baseline=net, runs=7, seed=11, chunk_runs=2, workers=2))
    first = res[0]
    for other in res[1:]:
        for name in ("loss", "min_avail", "last_below", "min_inv", "inv0"):
            assert np.array_equal(getattr(first.recorder, name), getattr(other.recorder, name),
                                  equal_nan=True), name
        for name, series in first.recorder.series.items():
            assert np.array_equal(series, other.recorder.series[name], equal_nan=True), name
        assert np.array_equal(first.share_end, other.share_end)


def test_step_flows_ledger_and_lazy_amounts() -> None:
    """shipped/arrived are computed on access, from what the step saw: they stay right
    when read several steps later; they add up to output, final demand and receipts."""
    net = random_busy_network(2)
    spec = busy_spec()
    eng = engine(net, spec, draw_runs(spec, 3, 2))
    topo = eng.topo
    held = []
    for _ in range(40):
        f = eng.step()
        held.append((f, f.shipped.copy(), f.arrived.copy()))
        np.testing.assert_allclose(f.output, topo.flows_to_sources(f.shipped) + f.final,
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(topo.flows_to_slots(f.arrived), f.received, rtol=1e-10,
                                   atol=1e-14)
        flows = np.flatnonzero(np.arange(net.n_flows) % 3 == 1)
        assert np.array_equal(f.arrived_at(flows), f.arrived[flows])
    for f, shipped, arrived in held:
        assert np.array_equal(f.shipped, shipped)
        assert np.array_equal(f.arrived, arrived)


@pytest.mark.parametrize("runs", [1, 3])
def test_flow_sums_add_in_flow_order(runs: int) -> None:
    rng = np.random.default_rng(runs)
    n_nodes, n_slots = 7, 12
    flow_slot = np.sort(rng.integers(0, n_slots, 80))
    flow_src = rng.integers(0, n_nodes, 80)
    fsum = FlowSums(flow_slot, flow_src, n_slots, n_nodes)
    g = rng.standard_normal((80, runs)) * 10.0 ** rng.integers(-6, 6, (80, runs))
    x = rng.standard_normal((n_slots, runs))
    y = rng.standard_normal((n_nodes, runs))
    want_p = np.zeros((n_nodes, runs))
    want_q = np.zeros((n_slots, runs))
    for k in range(80):  # one term at a time, in flow order
        want_p[flow_src[k]] += g[k] * x[flow_slot[k]]
        want_q[flow_slot[k]] += g[k] * y[flow_src[k]]
    assert np.array_equal(fsum.by_source(g, x), want_p)
    assert np.array_equal(fsum.by_slot(g, y), want_q)
    some = np.array([2, 5, 6])
    xs = np.where(np.isin(np.arange(n_slots), some)[:, None], x, 0.0)
    assert np.array_equal(fsum.by_source(g, xs, some), fsum.by_source(g, xs))
    assert np.array_equal(fsum.by_slot(g, y, some)[some], want_q[some])
    (p1, p2), _ = fsum.by_source_many(g, [x, 2 * x], [None, None])
    assert np.array_equal(p1, want_p)
    assert np.array_equal(p2, fsum.by_source(g, 2 * x))
    flows = fsum.flows_of_slots(some)
    assert np.array_equal(flows, np.flatnonzero(np.isin(flow_slot, some)))
    sums = np.asarray(fsum.segment_sums(fsum.slot_count[some]) @ g[flows])
    assert np.array_equal(sums, fsum.to_slots(g)[some])


def test_ranges() -> None:
    got = ranges(np.array([3, 10, 11, 20]), np.array([2, 0, 3, 1]))
    assert got.tolist() == [3, 4, 11, 12, 13, 20]
    assert ranges(np.array([5]), np.array([0])).tolist() == []


@pytest.mark.parametrize("step_days", [1, 7])
def test_step_matches_the_reference_with_price_feedback(step_days: int) -> None:
    """Prices feeding back into use, final demand and capacity (price_feedback = 1): still
    the reference rule, and the prices did move (the case exercises the feedback)."""
    net = random_busy_network(5)
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days,
                     price_feedback=ParamDist(DistKind.fixed, (1.0,)), **SLOW_MOVES)
    # weekly: 8 steps (56 days) end while the shocks are on (the ban lifts on day 60)
    eng, _ = check_against_reference(net, spec, runs=3, seed=5,
                                     steps=40 if step_days == 1 else 8)
    assert eng.prm.prices is not None and eng.prm.prices.any_feedback
    assert np.abs(np.log(eng.state.price)).max() > 0.05
