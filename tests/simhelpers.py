"""Networks, specs and parameters shared by the simulation tests (imported explicitly:
``from simhelpers import ...``; ``tests/`` is on the path through ``tests/conftest.py``).

* hand-worked networks: :func:`two_node`, :func:`three_node` (values in their docstrings);
* random networks: :func:`random_busy_network` (seeded, for the reference-step checks) and
  the Hypothesis strategy :func:`chain_networks`;
* shocks and specs: :func:`ban`, :func:`licensing`, :func:`busy_spec`;
* parameters: :func:`params` (per-run arrays), :func:`fixed` (distributions),
  :func:`draw_runs` (drawn as the engine draws them);
* the built-in world, loaded once: :func:`world`, :func:`world_baseline`;
* a shipped scenario's run, once per (name, runs, seed): :func:`shipped_run`, and
  :func:`shared_run`, the runner memoised for such runs (the ``shared_runs`` fixture);
* worker processes: :func:`count_workers` (a machine of N CPUs, the pools opened).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import numpy as np
from hypothesis import strategies as st

from econsec.policy.runner import run_scenario as _run_scenario
from econsec.simulation.controls import allied_members
from econsec.simulation.engine import Engine
from econsec.simulation.network_arrays import Baseline, assemble, baseline_from_world
from econsec.simulation.params import Draws, draw_params, given_params
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

#: start date of the synthetic scenarios (any date: the engine counts days from it)
START = dt.date(2025, 1, 1)

#: per-run parameters of the hand-worked cases (no spare capacity, one-day ramp-up, ten days
#: of inventory, substitutability as given, re-sourcing at once)
HAND_PARAMS = {"spare_capacity": 0.0, "ramp_days": 1.0, "inventory_days": 10.0,
               "substitutability_scale": 1.0, "licence_delay_days": 60.0,
               "resourcing_days": 0.0}


def fixed(**kw: float) -> dict[str, ParamDist]:
    """Fixed distributions of the named parameters."""
    return {k: ParamDist(DistKind.fixed, (v,)) for k, v in kw.items()}


def params(runs: int = 1, **kw: float) -> dict[str, np.ndarray]:
    """Per-run parameter arrays: :data:`HAND_PARAMS` with *kw* replaced or added."""
    return {k: np.full(runs, v, dtype=np.float64) for k, v in (HAND_PARAMS | kw).items()}


def engine(base: Baseline, spec: SimulationSpec, prm: dict[str, np.ndarray] | Draws) -> Engine:
    """An engine with per-run parameters *prm*: hand-set arrays (:func:`params`, through
    :func:`econsec.simulation.params.given_params`) or drawn ones (:func:`draw_runs`)."""
    return Engine(base, spec, prm if isinstance(prm, Draws) else given_params(spec, prm))


def one_run(prm: Draws, r: int) -> Draws:
    """The draws of run *r* alone."""
    return prm.take(slice(r, r + 1))


def draw_runs(spec: SimulationSpec, runs: int, seed: int = 5) -> Draws:
    """Per-run parameters of *spec* drawn as :func:`econsec.simulation.engine.simulate`
    draws them."""
    return draw_params(spec, runs, np.random.default_rng(seed))


def two_node(sigma: float = 0.4) -> Baseline:
    """C makes g (USD 1bn/day, all final) from h (cost share 0.5), bought from S."""
    # economies C=0, S=1; goods g=0, h=1
    return assemble(["C", "S"], ["g", "h"], [(0, 0), (1, 1)], np.array([1.0, 0.0]),
                    [(1, 0, 0.5, sigma, True)], {(0, 1): [(1, 1.0)]})


def three_node(sigma: float = 0.0) -> Baseline:
    """C makes g from h bought 75% from S1 and 25% from S2."""
    # economies C=0, S1=1, S2=2; goods g=0, h=1
    return assemble(["C", "S1", "S2"], ["g", "h"], [(0, 0), (1, 1), (2, 1)],
                    np.array([1.0, 0.0, 0.0]), [(1, 0, 0.5, sigma, True)],
                    {(0, 1): [(1, 0.75), (2, 0.25)]})


def ban(imposer: str, start: int = 0, end: int | None = None, intensity: float = 1.0,
        goods: str = "h") -> Shock:
    """A ban by *imposer* on *goods* to everyone else."""
    return Shock(ShockKind.ban, frozenset({imposer}), frozenset(), frozenset({goods}),
                 start=start, end=end, intensity=intensity)


def licensing(imposer: str, approval: float, delay: float, start: int = 0,
              end: int | None = None, measure_id: str | None = None) -> Shock:
    """Licensing of good h by *imposer*: *approval* of the volume after *delay* days."""
    return Shock(ShockKind.licensing, frozenset({imposer}), frozenset(), frozenset({"h"}),
                 start=start, end=end, intensity=0.0, approval_rate=approval,
                 licence_delay=ParamDist(DistKind.fixed, (delay,)),
                 measure_id=measure_id)


def random_busy_network(seed: int, n_eco: int = 5, n_goods: int = 6,
                        own_supply: bool = False) -> Baseline:
    """Layered random network: good h is an input of goods g < h; each buyer economy buys
    each input from 1-4 supplier economies; a zero-share candidate supplier per input
    (*own_supply*: every buyer also buys from its own producers, weight 0.2 where the
    draw left them out; the same random draws)."""
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
            if own_supply and c not in sup:
                sup, w = np.append(sup, c), np.append(w, 0.2)
            mix[(c, h)] = [(int(s), float(v)) for s, v in zip(sup, w / w.sum(), strict=True)]
    cand = {h: [int(rng.integers(n_eco))] for h in range(n_goods)}
    return assemble(eco, goods, nodes, market, edges, mix, cand)


def busy_spec(horizon: int = 80, step_days: int = 1, **extra: ParamDist) -> SimulationSpec:
    """Ban, licensing (with a pipeline), quota and tariff at once, allied sharing, an
    investment and a stockpile, uncertain parameters (*extra*: more distributions)."""
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
    dists = {"spare_capacity": ParamDist(DistKind.uniform, (0.0, 0.3)),
             "ramp_days": ParamDist(DistKind.triangular, (5.0, 20.0, 60.0)),
             "inventory_days": ParamDist(DistKind.triangular, (1.0, 6.0, 20.0)),
             "substitutability_scale": ParamDist(DistKind.uniform, (0.0, 1.5)),
             "licence_delay_days": ParamDist(DistKind.uniform, (2.0, 15.0))} | extra
    return SimulationSpec(start=START, horizon_days=horizon, step_days=step_days,
                          shocks=shocks, levers=levers, params=dists)


def step_inputs(eng: Engine) -> dict[str, Any]:
    """What :meth:`Engine.step` passes to the step for the current day, besides the state:
    the keyword arguments of :func:`econsec.simulation.step.step`."""
    day = eng.state.day
    invest, local = eng.capacity_added(day)
    return {"ctl": eng.controls(day), "licence_flows": eng.plan.licence_flows,
            "dt": eng.dt, "x_cap": eng.x_cap, "target": eng.target_on(day),
            "allies": allied_members(eng.base, eng.spec, day) if eng.has_allies else None,
            "invest": invest, "local": local, "node_shock": eng.node_on(day)}


@st.composite
def chain_networks(draw: st.DrawFn, autarkic_e0: bool = False) -> Baseline:
    """Hypothesis strategy: a random layered network, 2-3 economies, 3 goods in a chain
    h -> m -> g (*autarkic_e0*: economy E0 buys its inputs only from itself)."""
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


@functools.cache
def world() -> Any:
    """The built-in world (loaded once per test session)."""
    from econsec.data.world import load_world

    return load_world()


@functools.cache
def world_baseline() -> Baseline:
    """The built-in world's baseline (latest figures)."""
    return baseline_from_world(world())


#: plain runs of shipped scenarios on the built-in world, by (name, runs, seed, horizon,
#: mechanisms switched off): computed once per test session, kept beside the world
_SHARED: dict[tuple[Any, ...], Any] = {}


@functools.cache
def _shipped_as_loaded(name: str) -> tuple[Any, ...]:
    """YAML text, horizon, step and file of the shipped scenario *name* as loaded."""
    from econsec.policy.scenarios import load_named

    s = load_named(name)
    return s.text, s.horizon_days, s.step_days, s.path


#: the runner's keyword arguments of a plain run, at their defaults
_PLAIN: dict[str, Any] = {"progress": None, "cancel": None, "backend": "local", "workers": 1,
                          "scheduler": None, "db": None}


def shared_run(scenario: Any, world: Any = None, *, runs: int, seed: int,
               horizon_days: int | None = None, without: Any = (), **kw: Any) -> Any:
    """:func:`econsec.policy.runner.run_scenario`, computed once per test session for a
    plain run of a shipped scenario on the built-in world, the scenario unchanged (same
    YAML, horizon, step and file; no progress, cancel, backend, workers or store): the
    same arguments give the same bytes (same seed), so every test that asks for such a run
    reads the one output (tests only read it). Any other call runs the real function."""
    from econsec.data.world import load_world
    from econsec.policy.scenarios import scenario_names

    real = _run_scenario  # the runner itself, imported before any fixture patches it
    plain = set(kw) <= _PLAIN.keys() and all(kw[k] == _PLAIN[k] for k in kw)
    name = scenario if isinstance(scenario, str) else getattr(scenario, "name", None)
    built_in = load_world()
    if not (plain and (world is None or world is built_in) and name in scenario_names()
            and (isinstance(scenario, str) or _shipped_as_loaded(name) == (
                scenario.text, scenario.horizon_days, scenario.step_days, scenario.path))):
        return real(scenario, world, runs=runs, seed=seed, horizon_days=horizon_days,
                    without=without, **kw)
    key = (name, runs, seed, horizon_days, tuple(without))
    if key not in _SHARED:  # the world is kept beside its answer: the built-in world's id
        _SHARED[key] = (built_in, real(scenario, built_in, runs=runs, seed=seed,
                                       horizon_days=horizon_days, without=without))
    return _SHARED[key][1]


def shipped_run(name: str, runs: int, seed: int) -> Any:
    """The :class:`~econsec.policy.runner.RunOutput` of the shipped scenario *name* on the
    built-in world, computed once per test session (tests only read it; shared with
    every :func:`shared_run` of the same run)."""
    return shared_run(name, runs=runs, seed=seed)


def count_workers(monkeypatch: Any, cpus: int = 2) -> list[int]:
    """Pretend this machine has *cpus* usable CPUs and no memory bound, and record the
    worker count of every executor opened from now on (the returned list)."""
    from econsec.distributed import executors, processes

    opened: list[int] = []
    real = executors.open_executor

    def spy(backend: str = "local", workers: int = 1, *a: Any, **kw: Any) -> Any:
        opened.append(workers)
        return real(backend, workers, *a, **kw)

    monkeypatch.setattr(executors, "open_executor", spy)
    monkeypatch.setattr(processes, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(processes, "available_memory", lambda: None)
    return opened
