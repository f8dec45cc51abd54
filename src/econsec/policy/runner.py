"""Running scenarios: the one place above the engine that runs a scenario.

:func:`run_scenario` resolves a :class:`~econsec.policy.scenarios.Scenario` (or the name of
a shipped one) against a world and calls :func:`econsec.simulation.engine.simulate`
directly; it returns a typed :class:`RunOutput`: the engine's
:class:`~econsec.simulation.results.SimResult`, the frames the API, the brief and the CLI
show, and (for a replay) the check of the documented outcomes
(:func:`econsec.policy.compare.outcome_check`). The API, the CLI (``econsec simulate``,
``econsec runs rerun``) and the brief all run scenarios through it.

A *name* resolves only among the shipped scenarios (file stems of
``econsec/data/scenarios/*.yaml`` matching :data:`NAME_PATTERN`): no name can reach
another file, so a name from a web request is safe. Cancelling (the *cancel* event) raises
:class:`econsec.simulation.engine.SimulationCancelled`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from econsec.data.runs import StoredRun
    from econsec.data.store import Store
    from econsec.data.world import World
    from econsec.policy.scenarios import Scenario
    from econsec.simulation.results import SimResult
    from econsec.simulation.spec import SimulationSpec

#: what a scenario name from a request may look like (also the API's pattern for the field)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$"
_NAME_RE = re.compile(NAME_PATTERN)

@dataclass(frozen=True, eq=False)
class RunOutput:
    """One run of a scenario: the scenario as run, the engine's result, the world version.

    The frames are the engine's (:class:`~econsec.simulation.results.SimResult`), computed
    on first use and kept; :attr:`outcomes` is the replay's documented vs simulated check
    (no rows for a scenario without documented outcomes)."""

    scenario: Scenario
    result: SimResult
    world_version: str
    #: the world the run's network was built from (None on the OECD ICIO network): the
    #: unit values of the trade table's tonnes
    world: World | None = field(default=None, repr=False)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def runs(self) -> int:
        return self.result.runs

    @property
    def seed(self) -> int:
        """The integer seed the runner passed (a runner's run always has one)."""
        seed = self.result.seed
        if seed is None:
            raise ValueError("this run was drawn from a Generator, not an integer seed")
        return seed

    @property
    def horizon_days(self) -> int:
        return int(self.result.spec.horizon_days)

    @property
    def meta(self) -> dict[str, Any]:
        """The inputs of the run (JSON-ready)."""
        return {"scenario": self.name, "runs": self.runs, "seed": self.seed,
                "horizon_days": self.horizon_days, "world_version": self.world_version,
                "scenario_file": self.scenario.path.name}

    def backcast_note(self, named: int = 6) -> str:
        """:func:`backcast_note` of this run: the goods whose baseline took a later year's
        world shares (:meth:`World.backcast_goods`); "" when none, or on the OECD ICIO
        network."""
        if self.world is None:
            return ""
        return backcast_note(self.world, self.scenario, self.result.spec.as_of_year, named)

    def _frame(self, key: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key not in self._frames:
            self._frames[key] = make()
        return self._frames[key]

    def timeseries(self) -> pd.DataFrame:
        """Long frame: day, economy, good, metric, p5, p50, p95."""
        return self._frame("timeseries", self.result.timeseries)

    def summary(self) -> pd.DataFrame:
        """Per (economy, good): output loss, availability drop, recovery, drawdown."""
        return self._frame("summary", self.result.summary)

    def diversion(self) -> pd.DataFrame:
        """Sourcing shares before and after per buyer-good slot with a shocked flow."""
        return self._frame("diversion", self.result.diversion)

    def trade(self) -> pd.DataFrame:
        """Arrivals by buyer, good and supplier over time, in real USD (pre-shock prices),
        nominal USD (simulated prices) and tonnes (:mod:`econsec.policy.units`; the stored
        frame, ``to_frames``, keeps the engine's real columns only)."""
        from econsec.policy.units import trade_in_units

        return self._frame("trade", lambda: trade_in_units(
            self.result.trade(nominal=True), self.world, self.result.spec.as_of_year))

    def prices(self) -> pd.DataFrame:
        """Price index per good over time: good, date, price_index_p5/p50/p95."""
        return self._frame("prices", self.result.prices)

    @property
    def outcomes(self) -> pd.DataFrame:
        """Documented vs simulated change per documented outcome
        (:func:`econsec.policy.compare.outcome_check`); no rows for a scenario that
        documents no outcomes."""
        from econsec.policy.compare import outcome_check

        return self._frame("outcomes", lambda: outcome_check(self.scenario, self.result))

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every frame of the engine's result (what a stored run keeps)."""
        return self.result.to_frames()


def backcast_note(world: World, scenario: Scenario, as_of: int | None, named: int = 6) -> str:
    """One line for the user when the baseline of *scenario* as of *as_of* takes later
    figures for some goods (:meth:`World.backcast_goods`; "" when none): how many goods,
    naming *named* of them, the scenario's own first (its shocked goods, its outcomes'
    goods and their direct inputs and outputs), then the latest years first."""
    late = world.backcast_goods(as_of)
    if not late:
        return ""
    own = {g for s in scenario.shocks for g in s.goods} | {o.good for o in scenario.outcomes}
    edges = world.edges
    own |= set(edges.loc[edges["output"].isin(own), "input"].astype(str))
    own |= set(edges.loc[edges["input"].isin(own), "output"].astype(str))
    order = sorted(late, key=lambda g: (g not in own, -late[g], g))
    shown = [f"{g} ({late[g]})" for g in order[:named]]
    more = len(late) - len(shown)
    return (f"as of {as_of} the world has no world-share figure for {len(late)} goods; the "
            f"baseline takes their earliest figures (backcast): {', '.join(shown)}"
            + (f" and {more} more" if more else ""))


def shipped_name(name: str) -> str:
    """*name* if it names a shipped scenario; KeyError otherwise (a path, an odd character
    or an unknown name never reaches a file)."""
    from econsec.policy.scenarios import scenario_names

    if not isinstance(name, str) or not _NAME_RE.match(name) or name not in scenario_names():
        raise KeyError(f"unknown scenario '{name}': not a shipped scenario "
                       "(see `econsec scenarios list` or /api/scenarios)")
    return name


def spec_of(scenario: Scenario, world: World | None = None,
            db: Path | Store | None = None) -> SimulationSpec:
    """The engine's spec of *scenario* on its network: *world* (default the built-in world),
    or for ``network: icio`` the table imported in store *db* (names resolved against it;
    StoreError naming the import command when it is not imported)."""
    if scenario.network.on_icio:
        from econsec.policy.network import icio_names

        names, year = icio_names(db)
        return scenario.spec_on_icio(names, year)
    return scenario.to_spec(world)


def run_scenario(scenario: Scenario | str, world: World | None = None, *, runs: int,
                 seed: int, horizon_days: int | None = None,
                 progress: Callable[[float], None] | None = None,
                 cancel: threading.Event | None = None, backend: str = "local",
                 workers: int | None = 1, scheduler: str | None = None,
                 without: Sequence[str] = (),
                 db: Path | Store | None = None) -> RunOutput:
    """Run *scenario* (a loaded scenario, or the name of a shipped one) on *world* (default:
    the built-in world) with *runs* Monte Carlo draws from *seed*.

    A scenario with ``network: icio`` runs on the OECD ICIO table imported in store *db* (a
    path or an open store; default ``Store.default_path()``; :mod:`econsec.policy.network`),
    not on *world*; its run's ``world_version`` is the table's version
    (``icio-<edition>-<year>-<sha12>``).
    *horizon_days* overrides the scenario's horizon. *progress* receives the completed
    fraction; setting *cancel* stops the run (``SimulationCancelled``). *backend*, *workers*
    and *scheduler* choose where the chunks of runs execute (:mod:`econsec.distributed`;
    same seed, same bytes on every backend; *workers* None: as many as the machine and the
    run suit, :func:`econsec.simulation.engine.simulate`). *without*: mechanisms switched off
    (:func:`econsec.policy.ablation.switch_off`). KeyError for a name that is not shipped.
    The world is read, never changed."""
    from econsec.data.world import load_world
    from econsec.policy.network import load_icio_network
    from econsec.policy.scenarios import load_named
    from econsec.simulation.engine import simulate

    if world is None:
        world = load_world()
    if isinstance(scenario, str):
        scenario = load_named(shipped_name(scenario), world)
    if horizon_days is not None:
        scenario = scenario.with_overrides(horizon=int(horizon_days))
    # on icio the network (cached) carries the names the spec is resolved against: the
    # store is read once
    net = load_icio_network(scenario.network, db) if scenario.network.on_icio else None
    spec = (scenario.to_spec(world) if net is None
            else scenario.spec_on_icio(net.names, net.year))
    if without:
        from econsec.policy.ablation import switch_off

        spec = switch_off(spec, without)
    if net is not None:
        result = simulate(spec, baseline=net.baseline, runs=runs, seed=seed,
                          progress=progress, cancel=cancel, backend=backend, workers=workers,
                          scheduler=scheduler)
        return RunOutput(scenario=scenario, result=result, world_version=net.version)
    result = simulate(spec, world, runs=runs, seed=seed, progress=progress, cancel=cancel,
                      backend=backend, workers=workers, scheduler=scheduler)
    return RunOutput(scenario=scenario, result=result, world_version=world.version,
                     world=world)


def rerun(store: Store, run_id: str, world: World | None = None) -> tuple[StoredRun, RunOutput]:
    """Re-simulate stored run *run_id* from its stored YAML, horizon, step and seed; returns
    the stored run and the new output. StoreError if the world version differs from the
    stored one (the numbers would differ)."""
    from econsec.data.runs import load_run
    from econsec.data.world import load_world
    from econsec.errors import StoreError
    from econsec.policy.scenarios import load_scenario_text

    stored = load_run(store, run_id)
    world = world if world is not None else load_world()
    scenario = load_scenario_text(str(stored.meta["scenario_yaml"]),
                                  f"run-{stored.run_id}", world)
    if scenario.network.on_icio:
        from econsec.policy.network import load_icio_network

        version = load_icio_network(scenario.network, store).version
        what = "OECD ICIO table"
    else:
        version, what = world.version, "world"
    if version != stored.meta["world_version"]:
        raise StoreError(f"run {stored.run_id} used {what} version "
                         f"{stored.meta['world_version']}, this {what} is {version}: "
                         "the numbers would differ")
    scenario = scenario.with_overrides(horizon=int(stored.meta["horizon_days"]),
                                       step="week" if int(stored.meta["step_days"]) == 7
                                       else "day")
    out = run_scenario(scenario, world, runs=int(stored.meta["runs"]),
                       seed=int(stored.meta["seed"]), db=store)
    return stored, out


def replay_table(world: World | None = None, *, runs: int = 10, seed: int = 0) -> pd.DataFrame:
    """Per shipped replay (:func:`econsec.policy.compare.replay_names`) and outcome:
    documented vs simulated direction and change (the terminal brief's replay table). An
    outcome the world cannot simulate (e.g. no such flow, or a price assessed before the
    replay starts) stays, marked "not simulated"."""
    from econsec.policy.compare import outcome_label, replay_names

    frames = []
    for name in replay_names(world):
        checks = run_scenario(name, world, runs=runs, seed=seed).outcomes
        checks = checks.copy()
        checks.insert(0, "replay", name)
        frames.append(checks)
    out = pd.concat(frames, ignore_index=True)
    out["outcome"] = outcome_label(out)
    return out[["replay", "outcome", "period", "documented_direction", "documented_change",
                "simulated_direction", "simulated_change", "direction_matches", "source"]]
