"""The simulation engine: ``simulate(spec, world, runs=, rng=)`` -> :class:`SimResult`.

The engine owns the clock (DESIGN principle 5): step ``t`` covers days
``[t dt, (t + 1) dt)`` with ``dt = spec.step_days``. All Monte Carlo runs advance together
in the same arrays (one value per run for each node, slot and flow, stored item-major
``[node, run]``; :mod:`econsec.simulation.step` gives the step rule). Runs are processed
in chunks of :data:`CHUNK_RUNS` to keep the arrays in cache (fewer on large networks, so a
chunk's state stays within :data:`CHUNK_MEMORY`). Parameters are drawn once,
before any step, from one ``numpy.random.Generator`` in the order documented in
:mod:`econsec.simulation.params`, so results are identical bit for bit for a seed and do
not depend on the chunk size.

Randomness (DESIGN principle 5; the Mesa/QuantEcon convention): ``rng`` is a
``numpy.random.Generator`` (used as is: the draws advance it), an int seed
(``np.random.default_rng(seed)``: the same int gives the same bytes) or None (fresh
entropy from the operating system: not reproducible). ``seed=`` is the same argument under
its older name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from econsec.errors import EconsecError
from econsec.simulation.adaptation import Frontload, Localisation, LocalStep, refused_pairs
from econsec.simulation.controls import (
    FlowControls,
    InvestmentSchedule,
    NodeShocks,
    ShockPlan,
    allied_members,
    stockpile_days,
)
from econsec.simulation.network_arrays import Baseline, baseline_from_world, solve_output
from econsec.simulation.params import Draws, draw_params
from econsec.simulation.prices import PriceRule
from econsec.simulation.recorder import Recorder, record_every, recorded_steps
from econsec.simulation.records import BLOCK_BUDGET, RunRecords, chunk_arrays, field_cells
from econsec.simulation.results import SimResult
from econsec.simulation.spec import (
    PARAMETERS,
    AlliedSharing,
    CapacityInvestment,
    Diversification,
    ShockKind,
    SimulationSpec,
)
from econsec.simulation.state import RunParams, State, StepFlows
from econsec.simulation.step import step
from econsec.simulation.topology import Topology
from econsec.simulation.transit import Transit, steady_rates

if TYPE_CHECKING:
    from econsec.data.world import World

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: runs advanced together in one set of arrays
CHUNK_RUNS = 128
#: per-run state of a chunk, bytes per flow and run: measured 113 on the OECD ICIO network
#: (1.26 million flows; peak RSS +2.27 GB from 16 to 32 runs in one chunk, 2026-12-06):
#: about 14 float64 arrays of [flows, runs] (orders, shares, arrivals, pipelines ...)
STATE_BYTES_PER_FLOW_RUN = 120
#: memory a chunk's per-run state may take; large networks get smaller chunks
CHUNK_MEMORY = 2**30
#: a worker's copy of the network and its topology, bytes per flow: the one-run ICIO bench
#: peaked at 2.88 GB RSS on 9.81 million flows (docs/simulation.md, 7 Dec 2026), i.e.
#: ~250 B per flow beyond a worker's base memory, of which one run's state is ~120
NETWORK_BYTES_PER_FLOW = 130


def auto_chunk_runs(n_flows: int) -> int:
    """Runs per chunk: :data:`CHUNK_RUNS` (cache-sized on the built-in world), fewer when
    ``runs x flows x STATE_BYTES_PER_FLOW_RUN`` would pass :data:`CHUNK_MEMORY` (7 runs on
    the 1.26 million flows of the pruned ICIO network), at least 1. Results do not depend
    on the chunking, so this only bounds memory."""
    per_run = STATE_BYTES_PER_FLOW_RUN * max(n_flows, 1)
    return max(1, min(CHUNK_RUNS, CHUNK_MEMORY // per_run))


def worker_bytes(n_flows: int, chunk_runs: int) -> int:
    """Memory of one worker process simulating chunks of *chunk_runs* runs on a network of
    *n_flows* flows: ``WORKER_BASE_BYTES + n_flows (NETWORK_BYTES_PER_FLOW + chunk_runs
    STATE_BYTES_PER_FLOW_RUN)`` (for :func:`econsec.distributed.processes.auto_workers`)."""
    from econsec.distributed.processes import WORKER_BASE_BYTES

    return WORKER_BASE_BYTES + n_flows * (NETWORK_BYTES_PER_FLOW
                                          + chunk_runs * STATE_BYTES_PER_FLOW_RUN)


#: what may stand for randomness: a Generator (used as is), an int seed, None (fresh entropy)
RngLike = np.random.Generator | int | None
_UNSET: Any = object()


class SimulationCancelled(EconsecError):
    """The caller's cancel event was set while the simulation ran."""


def diversified_shares(base: Baseline, spec: SimulationSpec) -> F64:
    """(F,) initial sourcing shares after :class:`Diversification` levers: in the slots of
    the named buyers and goods, ``fraction`` of supplier ``away_from``'s share moves to the
    other suppliers of the slot in proportion to their baseline output ``x0``."""
    share = base.share0.copy()
    if not any(isinstance(lv, Diversification) for lv in spec.levers):
        return share
    eco = np.asarray(base.economies)
    goods = np.asarray(base.goods)
    buyer = eco[base.flow_buyer]
    good = goods[base.flow_good]
    supplier = eco[base.flow_supplier]
    for lv in spec.levers:
        if not isinstance(lv, Diversification):
            continue
        in_scope = np.isin(buyer, list(lv.economies)) & np.isin(good, list(lv.goods))
        away = in_scope & (supplier == lv.away_from)
        moved = np.bincount(base.flow_slot, weights=np.where(away, share * lv.fraction, 0.0),
                            minlength=base.n_slots)
        w = np.where(in_scope & ~away, base.x0[base.flow_src], 0.0)
        w_q = np.bincount(base.flow_slot, weights=w, minlength=base.n_slots)
        ok = (w_q > 0)[base.flow_slot]
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(ok, moved[base.flow_slot] * w / w_q[base.flow_slot], 0.0)
        share = share - np.where(away & ok, share * lv.fraction, 0.0) + gain
    return share


def tracked_nodes(base: Baseline, plan: ShockPlan, spec: SimulationSpec) -> I64:
    """Nodes touched by a shock (suppliers and buyers of shocked flows, nodes of an outage,
    investment nodes) and every node downstream of them; all nodes when nothing is touched
    or a demand shock is in the spec."""
    touched = plan.touched_flows()
    if any(s.kind is ShockKind.demand for s in spec.shocks):
        # a demand shock moves orders upstream, then rationing downstream: every node
        return np.arange(base.n_nodes, dtype=np.int64)
    seed = NodeShocks(base, spec).nodes()  # outages: their nodes and what is downstream
    seed[base.flow_src[touched]] = True
    seed[base.slot_node[base.flow_slot[touched]]] = True
    index = base.node_index()
    for lv in spec.levers:
        if isinstance(lv, CapacityInvestment) and (lv.economy, lv.good) in index:
            seed[index[(lv.economy, lv.good)]] = True
    if not seed.any():
        return np.arange(base.n_nodes, dtype=np.int64)
    buyer = base.slot_node[base.flow_slot]
    reach = seed.copy()
    while True:
        nxt = reach.copy()
        nxt[buyer[reach[base.flow_src]]] = True
        if (nxt == reach).all():
            break
        reach = nxt
    return np.flatnonzero(reach).astype(np.int64)


def _rate(dt: float, days: F64) -> F64:
    """[1, R] share of a gap closed per step of *dt* days: ``min(1, dt / days)`` (0 days:
    at once; infinite days: never)."""
    return np.minimum(1.0, np.divide(dt, days, out=np.full_like(days, np.inf),
                                     where=days > 0))[None, :]


class Engine:
    """All runs of one chunk: state, parameters and controls (a copy of the baseline)."""

    def __init__(self, base: Baseline, spec: SimulationSpec, draws: Draws) -> None:
        self.base, self.spec = base, spec
        self.dt = float(spec.step_days)
        self.topo = Topology(base)
        params, runs = draws.params, draws.runs
        col = {k: v[None, :] for k, v in params.items()}
        sigma = np.minimum(base.slot_sigma[:, None] * col["substitutability_scale"], 1.0)
        days = params.get("resourcing_days", np.zeros(runs))
        rate = None if not days.any() else _rate(self.dt, days)
        back = params.get("return_days", np.full(runs, np.inf))
        share = diversified_shares(base, spec)

        def row(name: str) -> F64:  # [1, R]; the default where the draw has no entry
            v = params.get(name)
            return np.full((1, runs), PARAMETERS[name][1]) if v is None else v[None, :]

        refill_days = row("refill_days")
        if not (refill_days > 0).all():
            raise ValueError("refill_days must be positive (days to close an inventory gap)")
        self.prm = RunParams(col["spare_capacity"], col["ramp_days"], col["inventory_days"],
                             sigma, refill_days=refill_days,
                             tariff_elasticity=row("tariff_elasticity"), resource_rate=rate,
                             return_rate=None if np.isinf(back).all() else _rate(self.dt, back),
                             return_to=share[:, None],
                             prices=(price_rule(base, row("price_feedback"), self.dt)
                                     if spec.prices else None),
                             transit=Transit.of(base, row("transit_scale")[0], self.dt))
        self.plan = ShockPlan(base, spec, draws)
        self.node_shocks = NodeShocks(base, spec)
        self.invest = InvestmentSchedule.of(base, spec)
        if np.array_equal(share, base.share0):
            x_ref = base.x0
        else:  # the diversified network's own steady state x = f0 + A(share) x
            x_ref = solve_output(base.f0, base.slot_node, base.slot_coef, base.flow_slot,
                                 base.flow_src, share)
            x_ref = _leontief_fixed_point(base, share, x_ref)
        self.x_ref = x_ref
        self.x_cap = np.maximum(base.x0, x_ref)
        self.d_ref = base.slot_coef * x_ref[base.slot_node]
        cover = col["inventory_days"] + stockpile_days(base, spec)[:, None] + self.dt
        self.target = cover * self.d_ref[:, None]
        n_lic = len(self.plan.licence_flows)
        length = int(np.ceil(self.plan.max_delay() / self.dt)) + 1 if n_lic else 0
        self.has_allies = any(isinstance(lv, AlliedSharing) for lv in spec.levers)
        self._events = self.plan.event_days()
        self._ctl_key: int | None = None
        self._ctl: FlowControls | None = None
        self._no_invest = np.zeros(base.n_nodes)
        # induced localisation (simulation/adaptation.py): compiled only when some run
        # localises and a control refuses something
        self.loc_share, self.loc_lead = row("localisation_share"), row("localisation_lead_days")
        first = refused_pairs(base, self.plan) if (self.loc_share > 0).any() else {}
        self.loc = Localisation.of(base, first, share, self.d_ref) if first else None
        # anticipation (simulation/adaptation.py): raised targets before announced shocks
        front = row("frontload_days")
        ahead = (Frontload(base, self.plan, front, self.d_ref, self.target)
                 if (front > 0).any() else None)
        self.frontload = ahead if ahead else None  # None: no shock announced ahead
        self.state = State(
            day=0.0, step=0,
            ramp=np.zeros((base.n_nodes, runs)),
            demand=np.repeat(x_ref[:, None], runs, axis=1),
            output=np.repeat(x_ref[:, None], runs, axis=1),
            availability=np.ones((base.n_nodes, runs)),
            inventory=self.target.copy(),
            share=np.repeat(share[:, None], runs, axis=1),
            pipeline=np.zeros((length, n_lic, runs)),
            lic_open=np.ones(n_lic) if spec.border_refusal and n_lic else None,
            price=np.ones((2 * len(base.goods), runs)),  # both markets (prices.py)
            transit=np.zeros((0, 0, runs)),
        )
        tr = self.prm.transit
        if tr is not None:  # the steady state's shipments already on the way
            self.state.transit = tr.initial(steady_rates(base, share, x_ref), self.dt)

    def controls(self, day: float) -> FlowControls:
        key = int(np.searchsorted(self._events, day, side="right"))
        if key != self._ctl_key or self._ctl is None:
            self._ctl = self.plan.controls(day)
            self._ctl_key = key
        return self._ctl

    def step(self) -> StepFlows:
        day = self.state.day
        allies = allied_members(self.base, self.spec, day) if self.has_allies else None
        invest, local = self.capacity_added(day)
        return step(self.state, self.topo, self.base, self.prm, self.controls(day),
                    self.plan.licence_flows, dt=self.dt, x_cap=self.x_cap, invest=invest,
                    target=self.target_on(day), allies=allies, local=local,
                    node_shock=self.node_on(day))

    def node_on(self, day: float) -> tuple[F64, F64] | None:
        """The node shocks on *day*: ((N,) final-demand multiplier, (N,) capacity kept), or
        None (none in effect)."""
        return self.node_shocks.at(day) if self.node_shocks else None

    def target_on(self, day: float) -> F64:
        """[S, R] inventory targets on *day* (raised by front-loading before an announced
        shock takes effect)."""
        return self.target if self.frontload is None else self.frontload.target_on(day)

    def capacity_added(self, day: float) -> tuple[F64, LocalStep | None]:
        """Capacity added on *day* by investments ((N,)), plus induced localisation's
        ([N, R] then), and stage 6b's inputs (None without localisation)."""
        invest = (self.invest.capacity(day, self.base.n_nodes) if len(self.invest.node)
                  else self._no_invest)
        if self.loc is None:
            return invest, None
        added = self.loc.capacity(day, self.loc_share, self.loc_lead, self.base.n_nodes)
        return invest[:, None] + added, self.loc.at(day, self.loc_share, self.loc_lead)


def price_rule(base: Baseline, feedback: F64, dt: float) -> PriceRule:
    """The price stage's rule for *base*: the built-in per-good elasticities
    (``data/price_elasticities.csv``) and the per-run ``price_feedback`` switch."""
    from econsec.data.price_elasticities import DEFAULT, price_elasticities

    return PriceRule.of(base, price_elasticities(), DEFAULT, feedback, dt)


def _leontief_fixed_point(base: Baseline, share: F64, x: F64, tol: float = 1e-14) -> F64:
    """x = f0 + A(share) x by Jacobi iteration from *x*."""
    for _ in range(10_000):
        z = base.slot_coef[base.flow_slot] * share * x[base.slot_node[base.flow_slot]]
        nxt = base.f0 + np.bincount(base.flow_src, weights=z, minlength=base.n_nodes)
        if np.all(np.abs(nxt - x) <= tol * np.maximum(1.0, np.abs(nxt))):
            return np.asarray(nxt, dtype=np.float64)
        x = nxt
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class _Chunk:
    """One chunk of runs to simulate (picklable, for worker processes)."""

    baseline: Baseline
    spec: SimulationSpec
    params: Draws
    n_steps: int
    tracked: I64
    every: int
    div_flows: I64


def _run_chunk(job: _Chunk, on_step: Callable[[], None] | None = None
               ) -> tuple[Recorder, F64, F64]:
    """Simulate one chunk; returns its recorder and the diversion shares at start/end."""
    eng = Engine(job.baseline, job.spec, job.params)
    runs = job.params.runs
    rec = Recorder(job.baseline, runs, job.n_steps, job.tracked, eng.d_ref, job.every,
                   flows=job.div_flows, departures=eng.prm.transit is not None)
    start = eng.state.share[job.div_flows].T.copy()
    rec.record(eng.state, eng.topo, eng.dt)
    for _ in range(job.n_steps):
        if on_step is not None:
            on_step()
        moved = eng.step()
        trade = len(job.div_flows) > 0
        rec.record(eng.state, eng.topo, eng.dt,
                   moved.arrived_at(job.div_flows) if trade else None,
                   moved.departed_at(job.div_flows) if trade and rec.departed is not None
                   else None)
    rec.end()
    return rec, start, eng.state.share[job.div_flows].T.copy()


@dataclass(frozen=True)
class _Shared:
    """What every chunk of one simulation shares (shipped to each worker once)."""

    baseline: Baseline
    spec: SimulationSpec
    n_steps: int
    tracked: I64
    every: int
    div_flows: I64


def _chunk_records(shared: _Shared, params: Draws,
                   on_step: Callable[[], None] | None = None) -> dict[str, Any]:
    """Simulate the runs of *params* (one chunk); their records, cell-major
    (:func:`econsec.simulation.records.chunk_arrays`)."""
    job = _Chunk(shared.baseline, shared.spec, params, shared.n_steps, shared.tracked,
                 shared.every, shared.div_flows)
    rec, start, end = _run_chunk(job, on_step)
    return chunk_arrays(rec, start, end)


def simulate(
    spec: SimulationSpec,
    world: World | None = None,
    *,
    runs: int = 1,
    rng: RngLike = _UNSET,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    baseline: Baseline | None = None,
    chunk_runs: int | None = None,
    workers: int | None = 1,
    backend: str = "local",
    scheduler: str | None = None,
    records_dir: Path | None = None,
    block_budget: int = BLOCK_BUDGET,
    chunk_fn: Callable[..., dict[str, Any]] | None = None,
) -> SimResult:
    """Run *spec* over the built-in world (or *world*, or a prebuilt *baseline*).

    *runs* Monte Carlo runs share one parameter draw sequence from *rng*: a
    ``numpy.random.Generator`` (used as is), an int seed (``np.random.default_rng(rng)``,
    the same bytes for the same int) or None (fresh entropy); *seed* is an alias of *rng*
    (an int); neither given: seed 0. *progress* gets the completed fraction in [0, 1];
    setting *cancel* stops the run with :class:`SimulationCancelled`.

    Runs are simulated in chunks of *chunk_runs* (None: :func:`auto_chunk_runs`, by the
    network's size, or, with several workers and fewer runs than their full chunks, one
    even chunk per worker) on *backend* (:mod:`econsec.distributed`:
    ``local`` with *workers* processes, 1 = this process; ``dask`` on a new
    ``LocalCluster`` of *workers* processes or on the cluster at *scheduler*). *workers*
    None chooses the number (:func:`econsec.distributed.processes.auto_workers`: one per
    usable CPU, at most one per chunk, within half the available memory; 1 runs the chunks
    in this process). Parameters
    are drawn here, once, and each chunk's records land in its own runs, so results are
    identical bytes whatever the backend, *workers* and *chunk_runs*. With local worker
    processes, progress counts their steps (in shared memory) and a cancel stops them; on
    Dask both act per chunk. Each finished chunk's records are
    written to Parquet in *records_dir* (a temporary folder when None) and the result's
    quantiles are formed from them in blocks of at most *block_budget* bytes
    (:mod:`econsec.simulation.records`). A chunk that fails is retried once, then
    :class:`econsec.distributed.executors.ChunkFailed` is raised and the records written
    so far are removed. *chunk_fn* replaces the per-chunk function (tests inject failures).
    """
    from econsec.distributed.executors import ChunkFailed, open_executor

    if runs < 1:
        raise ValueError("runs must be at least 1")
    if seed is not None and rng is not _UNSET:
        raise ValueError("give rng or its alias seed, not both")
    if rng is _UNSET:
        rng = 0 if seed is None else seed
    if baseline is None:
        if world is None:
            from econsec.data.world import load_world

            world = load_world()
        extra = [(lv.economy, lv.good) for lv in spec.levers
                 if isinstance(lv, CapacityInvestment)]
        baseline = baseline_from_world(world, extra_nodes=extra, as_of=spec.as_of_year)
        params = draw_params(spec, runs, np.random.default_rng(rng))
        if (params.params["localisation_share"] > 0).any():
            # the refused buyers' own nodes (and flows from them), as for an investment
            pairs = refused_pairs(baseline, ShockPlan(baseline, spec, params.take(slice(0, 1))))
            if pairs:
                extra += [(baseline.economies[c], baseline.goods[h]) for c, h in sorted(pairs)]
                baseline = baseline_from_world(world, extra_nodes=extra, as_of=spec.as_of_year)
    else:
        params = draw_params(spec, runs, np.random.default_rng(rng))
    dt = float(spec.step_days)
    n_steps = int(np.ceil(spec.horizon_days / dt))
    plan = ShockPlan(baseline, spec, params.take(slice(0, 1)))  # which flows, not how much
    tracked = tracked_nodes(baseline, plan, spec)
    shocked = plan.touched_flows()
    div_flows = np.flatnonzero(np.isin(baseline.flow_slot, baseline.flow_slot[shocked]))
    # departures kept beside the arrivals when some run has shipments in transit
    in_transit = bool((params.params["transit_scale"] > 0).any())
    every = record_every(runs, n_steps, len(tracked), len(div_flows) * (2 if in_transit else 1))
    n_rec = len(recorded_steps(n_steps, every))
    auto_chunks = chunk_runs is None
    if chunk_runs is None:
        chunk_runs = auto_chunk_runs(baseline.n_flows)
    if workers is None:
        from econsec.distributed.processes import auto_workers

        workers = auto_workers(-(-runs // chunk_runs), worker_bytes(baseline.n_flows,
                                                                     chunk_runs))
    if auto_chunks and workers > 1 and runs < workers * chunk_runs:
        # fewer runs than the workers' full chunks: one even chunk per worker (200 runs on
        # 2 workers as 100 + 100, not 128 + 72), so they finish together
        chunk_runs = -(-runs // workers)
    chunks = [slice(lo, min(lo + chunk_runs, runs)) for lo in range(0, runs, chunk_runs)]
    records = RunRecords(records_dir, runs, chunks,
                         field_cells(n_rec, len(tracked), baseline.n_nodes, len(div_flows),
                                     len(baseline.goods), departures=in_transit),
                         every=every, tracked=tracked, budget=block_budget,
                         shape={"flows": len(div_flows), "goods": len(baseline.goods)})
    shared = _Shared(baseline, spec, n_steps, tracked, every, div_flows)
    fn = _chunk_records if chunk_fn is None else chunk_fn
    total = n_steps * len(chunks)
    done = 0
    shown = 0.0

    def report(frac: float) -> None:  # never backwards (a retried chunk's steps count twice)
        nonlocal shown
        if progress is not None and shown < frac < 1.0:
            shown = frac
            progress(frac)

    def tick() -> None:  # in-process runs: every step (local processes count theirs)
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise SimulationCancelled("simulation cancelled")
        if done:
            report(done / total)
        done += 1

    try:
        with open_executor(backend, workers, scheduler, on_step=tick,
                           preload=(__name__, "econsec.simulation.preload")) as ex:
            handle = ex.share(shared)
            todo = list(range(len(chunks)))
            failed: set[int] = set()
            in_flight = finished = 0
            while todo or in_flight:
                while todo and in_flight < ex.slots:
                    i = todo.pop(0)
                    ex.submit(i, fn, handle, params.take(chunks[i]))
                    in_flight += 1
                if cancel is not None and cancel.is_set():
                    ex.cancel()
                    raise SimulationCancelled("simulation cancelled")
                got = ex.next_completed(timeout=0.2)
                if got is None:
                    if (steps := ex.steps()) is not None:  # the workers' steps so far
                        report(steps / total)
                    continue
                i, out, exc = got
                in_flight -= 1
                if isinstance(exc, SimulationCancelled):
                    raise exc
                if exc is not None:
                    if i in failed:
                        ex.cancel()
                        rows = chunks[i]
                        raise ChunkFailed(f"chunk {i} (runs {rows.start}-{rows.stop - 1}) "
                                          f"failed twice on backend {backend}: "
                                          f"{type(exc).__name__}: {exc}") from exc
                    failed.add(i)
                    todo.insert(0, i)
                    continue
                records.write_chunk(i, out)
                del out
                finished += 1
                done = finished * n_steps
                report(done / total)
        records.finish()
    except BaseException:
        records.discard()
        raise
    if progress is not None:
        progress(1.0)
    seed_used = int(rng) if isinstance(rng, int | np.integer) else None
    return SimResult(spec=spec, runs=runs, seed=seed_used, baseline=baseline, recorder=records,
                     params=params.columns(spec), diversion_flows=div_flows,
                     shocked_flows=shocked,
                     first_shock_day=min([s.start for s in spec.shocks], default=0))


#: ``econsec.simulation.run``: the same function as :func:`simulate`
run = simulate
