"""The optimised step against a plain reference of the step rule, and its bit-for-bit
independence of how runs are grouped (one run, many runs, chunks, internal paths)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_engine import START

from econsec.simulation import kernels, state
from econsec.simulation.controls import allied_members
from econsec.simulation.engine import Engine, simulate
from econsec.simulation.kernels import FlowSums, ranges
from econsec.simulation.network_arrays import Baseline, assemble
from econsec.simulation.params import Draws
from econsec.simulation.spec import (
    AlliedSharing,
    CapacityInvestment,
    DistKind,
    ParamDist,
    Shock,
    ShockKind,
    SimulationSpec,
    Stockpile,
)
from econsec.simulation.state import CAP_TOL, REFILL_DAYS, TARIFF_ELASTICITY

STATE = ("ramp", "demand", "output", "availability", "inventory", "share", "pipeline")


def random_network(seed: int, n_eco: int = 5, n_goods: int = 6) -> Baseline:
    """Layered random network: good h is an input of goods g < h; each buyer economy buys
    each input from 1-4 supplier economies; a zero-share candidate supplier per input."""
    rng = np.random.default_rng(seed)
    eco = [f"E{i}" for i in range(n_eco)]
    goods = [f"g{j}" for j in range(n_goods)]
    nodes = [(e, g) for e in range(n_eco) for g in range(n_goods)]
    market = rng.uniform(0.2, 3.0, len(nodes)) * (rng.random(len(nodes)) < 0.8)
    edges = [(h, g, float(rng.uniform(0.03, 0.15)), float(rng.uniform(0.0, 1.0)),
              bool(rng.random() < 0.7))
             for g in range(n_goods) for h in range(g + 1, n_goods) if rng.random() < 0.6]
    mix = {}
    for c in range(n_eco):
        for h in range(n_goods):
            sup = rng.choice(n_eco, int(rng.integers(1, 5)), replace=False)
            w = rng.uniform(0.1, 1.0, len(sup))
            mix[(c, h)] = [(int(s), float(v)) for s, v in zip(sup, w / w.sum(), strict=True)]
    cand = {h: [int(rng.integers(n_eco))] for h in range(n_goods)}
    return assemble(eco, goods, nodes, market, edges, mix, cand)


def busy_spec(horizon: int = 80, step_days: int = 1) -> SimulationSpec:
    """Ban, licensing (with a pipeline), quota and tariff at once, allied sharing, an
    investment and a stockpile, uncertain parameters."""
    shocks = (
        Shock(ShockKind.ban, frozenset({"E0"}), frozenset(), frozenset({"g3", "g4"}),
              start=3, end=60, intensity=0.7),
        Shock(ShockKind.licensing, frozenset({"E1"}), frozenset(), frozenset({"g2", "g5"}),
              start=5, end=50, intensity=0.3),
        Shock(ShockKind.quota, frozenset({"E2"}), frozenset({"E3", "E4"}),
              frozenset({"g4", "g5"}), start=8, intensity=0.4),
        Shock(ShockKind.tariff, frozenset({"E3"}), frozenset(), frozenset({"g1", "g5"}),
              start=2, intensity=0.3),
    )
    levers = (AlliedSharing(frozenset({"E1", "E2", "E3"}), start=10),
              CapacityInvestment("E4", "g4", capacity_share=0.05, start=12, lead_days=20.0),
              Stockpile(frozenset({"E3"}), frozenset({"g4"}), days=5.0))
    params = {"spare_capacity": ParamDist(DistKind.uniform, (0.0, 0.3)),
              "ramp_days": ParamDist(DistKind.triangular, (5.0, 20.0, 60.0)),
              "inventory_days": ParamDist(DistKind.triangular, (1.0, 6.0, 20.0)),
              "substitutability_scale": ParamDist(DistKind.uniform, (0.0, 1.5)),
              "licence_delay_days": ParamDist(DistKind.uniform, (2.0, 15.0))}
    return SimulationSpec(start=START, horizon_days=horizon, step_days=step_days,
                          shocks=shocks, levers=levers, params=params)


def draw(spec: SimulationSpec, runs: int, seed: int = 5) -> Draws:
    from econsec.simulation.params import draw_params

    return draw_params(spec, runs, np.random.default_rng(seed))


def step_inputs(eng: Engine) -> dict[str, Any]:
    """What :meth:`Engine.step` passes to the step for the current day."""
    day = eng.state.day
    return {"ctl": eng.controls(day),
            "allies": allied_members(eng.base, eng.spec, day) if eng.has_allies else None,
            "invest": (eng.invest.capacity(day, eng.base.n_nodes) if len(eng.invest.node)
                       else np.zeros(eng.base.n_nodes))}


def reference_step(ref: dict[str, np.ndarray], eng: Engine, r: int, inp: dict[str, Any]
                   ) -> dict[str, np.ndarray]:
    """One step of run *r* written straight from the rule in the state module docstring
    (1-D arrays, every slot computed, sums with np.bincount). Updates *ref*; returns the
    step's flows."""
    b, ctl, dt_, step_no = eng.base, inp["ctl"], eng.dt, int(ref["step"])
    fs, src, node = b.flow_slot, b.flow_src, b.slot_node
    n, s = b.n_nodes, b.n_slots
    spare, ramp_days = eng.prm.spare[0, r], eng.prm.ramp_days[0, r]
    sigma = eng.prm.sigma[:, r]
    x_cap = eng.x_cap + inp["invest"]
    cap = x_cap + ref["ramp"] * spare * b.x0
    # 1. orders
    plan = np.minimum(cap, ref["demand"])
    refill = np.maximum(eng.target[:, r] - ref["inventory"], 0.0) / REFILL_DAYS
    use_q = b.slot_coef * plan[node]
    o_q = use_q + refill
    o_k = ref["share"] * o_q[fs]
    # 2. shocks
    a = np.minimum(ctl.open * o_k, ctl.quota)
    # 3. output
    frac_ref = np.divide(refill, o_q, out=np.zeros(s), where=o_q > 0)
    a_ref = a * frac_ref[fs]
    a_use = a - a_ref
    d_use = np.bincount(src, a_use, minlength=n) + b.f0
    d_ref = np.bincount(src, a_ref, minlength=n)
    demand = d_use + d_ref
    wanted = np.minimum(cap, demand)
    need = b.slot_coef * wanted[node] * dt_
    alpha = np.minimum(np.divide(ref["inventory"], need, out=np.ones(s), where=need > 0), 1.0)
    a_eff = np.where(b.slot_essential, alpha + sigma * (1.0 - alpha), 1.0)
    rho = np.ones(n)
    for q in range(s):
        rho[node[q]] = min(rho[node[q]], a_eff[q])
    y = wanted * rho
    # 4. shipments: current use first, then restocking
    phi_u = np.minimum(np.divide(y, d_use, out=np.ones(n), where=d_use > 0), 1.0)
    phi_r = np.minimum(np.divide(np.maximum(y - d_use, 0.0), d_ref, out=np.ones(n),
                                 where=d_ref > 0), 1.0)
    ship = a_use * phi_u[src] + a_ref * phi_r[src]
    arrive = ship * dt_
    lf = eng.plan.licence_flows
    pipe = ref["pipeline"]
    into = out = 0.0
    if pipe.shape[0]:
        length = pipe.shape[0]
        lic = ctl.licensed[lf]
        lag = np.rint(ctl.delay_days[:, r] / dt_).astype(np.int64)
        for j, k in enumerate(lf):
            if lic[j]:
                pipe[(step_no + lag[j]) % length, j] += arrive[k]
                into += arrive[k]
                arrive[k] = 0.0
        now = pipe[step_no % length].copy()
        pipe[step_no % length] = 0.0
        arrive[lf] += now
        out = float(now.sum())
    received = np.bincount(fs, arrive, minlength=s)
    # 5. inventories
    use_need = b.slot_coef * y[node] * dt_
    used = np.minimum(ref["inventory"], use_need)
    ref["inventory"] = ref["inventory"] + received - used
    # 6. re-sourcing, in the slots at risk
    short = phi_u < 1.0 - 1e-12
    restricted = (ctl.open != 1.0) | np.isfinite(ctl.quota) | (ctl.tariff != 0.0)
    at_risk = np.zeros(s, dtype=bool)
    at_risk[fs[restricted | short[src]]] = True
    share = ref["share"]
    per = np.where(np.isfinite(ctl.quota), use_q[fs], o_q[fs])  # capped: use part only
    kept = np.divide(ship, per, out=np.zeros_like(ship), where=per > 0)
    lost = share - kept
    lost = np.where((lost > 1e-12) & (per > 0), lost, 0.0)
    wedge = (1.0 + ctl.tariff) ** -TARIFF_ELASTICITY
    lost = lost + (share - lost) * (1.0 - wedge) * (dt_ / ramp_days)
    lost = np.where(at_risk[fs], lost, 0.0)
    head = np.maximum(x_cap + spare * b.x0 - demand, 0.0)
    wgt = head[src] * np.where(np.isfinite(ctl.quota), 0.0, ctl.open) * wedge
    allies = inp["allies"]
    if allies is not None and allies.any():
        sup_member = allies[b.node_economy[src]]
        buy_member = allies[b.node_economy[node[fs]]]
        wa = wgt * sup_member
        member_room = np.bincount(fs, wa, minlength=s)[fs] > 0
        wgt = np.where(member_room & buy_member, wa, wgt)
    lost_q = np.bincount(fs, lost, minlength=s)
    w_q = np.bincount(fs, wgt, minlength=s)
    need = lost_q * o_q  # moved orders no more than the headroom: m_q o_q <= w_q
    cut = np.divide(w_q, need, out=np.ones(s), where=need > w_q)
    lost, lost_q = lost * cut[fs], lost_q * cut
    gain = np.divide(lost_q, w_q, out=np.zeros(s), where=w_q > 0)
    ref["share"] = share - lost * (w_q > 0)[fs] + gain[fs] * wgt
    # 7. capacity
    pressure = demand > cap * (1.0 + CAP_TOL)
    ref["ramp"] = np.minimum(ref["ramp"] + pressure * (dt_ / ramp_days), 1.0)
    ref["demand"], ref["output"], ref["availability"] = demand, y, rho
    ref["step"] = np.asarray(step_no + 1)
    return {"received": received, "used": used, "final": b.f0 * phi_u * dt_,
            "shipped": ship * dt_, "into": np.asarray(into), "out": np.asarray(out)}


@pytest.mark.parametrize(("seed", "step_days"), [(1, 1), (2, 1), (3, 7)])
def test_step_matches_the_reference_rule(seed: int, step_days: int) -> None:
    net = random_network(seed)
    spec = busy_spec(horizon=80 if step_days == 1 else 280, step_days=step_days)
    runs = 4
    eng = Engine(net, spec, draw(spec, runs, seed))
    refs = [{k: np.array(getattr(eng.state, k)[..., r], copy=True) for k in STATE}
            | {"step": np.asarray(0)} for r in range(runs)]
    lost_share = False
    for _ in range(40):
        inp = step_inputs(eng)
        moved = eng.step()
        for r, ref in enumerate(refs):
            got = reference_step(ref, eng, r, inp)
            for k in STATE:
                np.testing.assert_allclose(getattr(eng.state, k)[..., r], ref[k],
                                           rtol=1e-9, atol=1e-12, err_msg=k)
            np.testing.assert_allclose(moved.received[:, r], got["received"], rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(moved.used[:, r], got["used"], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(moved.final[:, r], got["final"], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(moved.shipped[:, r], got["shipped"], rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(moved.into_pipeline[r], got["into"], rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(moved.out_of_pipeline[r], got["out"], rtol=1e-9,
                                       atol=1e-12)
        lost_share |= not np.allclose(eng.state.share, net.share0[:, None])
    assert lost_share  # the case exercises re-sourcing
    assert eng.state.pipeline.any() or step_days == 7


def run_states(net: Baseline, spec: SimulationSpec, prm: Draws,
               steps: int) -> list[dict[str, np.ndarray]]:
    """States and step flows of one engine over *steps* steps (copies)."""
    eng = Engine(net, spec, prm)
    out = []
    for _ in range(steps):
        f = eng.step()
        rec = {k: np.array(getattr(eng.state, k), copy=True) for k in STATE}
        rec |= {"received": f.received, "used": f.used, "final": f.final,
                "substituted": f.substituted, "shipped": f.shipped, "arrived": f.arrived,
                "into": f.into_pipeline, "out": f.out_of_pipeline}
        out.append(rec)
    return out


def assert_same_bits(many: list[dict[str, np.ndarray]], ones: list[list[dict[str, np.ndarray]]]
                     ) -> None:
    """Run r of *many* equals *ones[r]* (the licence pipeline's ring buffer is as long as
    the chunk's longest delay: compared through the arrivals)."""
    for t, rec in enumerate(many):
        for r, single in enumerate(ones):
            for k, v in rec.items():
                if k != "pipeline":
                    assert np.array_equal(v[..., r], single[t][k][..., 0]), (t, r, k)


@pytest.mark.parametrize("seed", [1, 4])
def test_one_run_and_many_runs_give_the_same_bits(seed: int) -> None:
    """Run r of a chunk of runs equals, bit for bit, the same parameters run alone (the
    one-run path uses sparse products, the many-run path [F, R] arrays)."""
    net = random_network(seed)
    spec = busy_spec()
    runs = 5
    prm = draw(spec, runs, seed)
    many = run_states(net, spec, prm, 45)
    ones = [run_states(net, spec, prm.take(slice(r, r + 1)), 45)
            for r in range(runs)]
    assert_same_bits(many, ones)


def test_internal_paths_give_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept per-flow products or gathers again; sub-matrices of the slots with refill
    orders or the whole matrix: every path adds the same products in the same order."""
    net = random_network(7)
    spec = busy_spec()
    prm = draw(spec, 3, 7)
    plain = run_states(net, spec, prm, 40)
    monkeypatch.setattr(state, "KEEP_VALUES", 0)
    assert_same_bits(run_states(net, spec, prm, 40),
                     [[{k: v[..., r:r + 1] for k, v in rec.items()} for rec in plain]
                      for r in range(3)])
    for sparse in (1, 10**9):  # never / always restrict to the slots with refill orders
        monkeypatch.setattr(kernels, "SPARSE", sparse)
        ones = [run_states(net, spec, prm.take(slice(r, r + 1)), 40)
                for r in range(3)]
        assert_same_bits(plain, ones)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_incremental_sums_give_the_same_bits_as_whole_sums(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sums of several runs re-added only where a weight or quantity changed (the default)
    equal the whole sums formed every step, bit for bit, over a busy random network."""
    net = random_network(seed)
    spec = busy_spec()
    prm = draw(spec, 5, seed)
    incremental = run_states(net, spec, prm, 70)
    monkeypatch.setattr(kernels, "INCREMENTAL", False)
    whole = run_states(net, spec, prm, 70)
    for t, (a, b) in enumerate(zip(incremental, whole, strict=True)):
        for k in a:
            assert a[k].tobytes() == b[k].tobytes(), (t, k)


def test_chunks_and_workers_give_the_same_bytes() -> None:
    net = random_network(3)
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
    net = random_network(2)
    spec = busy_spec()
    eng = Engine(net, spec, draw(spec, 3, 2))
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
