"""Skill of the replays: each documented outcome scored against its tolerance, and a skill
summary that counts validation outcomes only.

For an outcome with documented change ``r`` (or range ``[lo, hi]``), tolerance ``t``
(percentage points of the change, from the figure's measurement error; see
:mod:`econsec.policy.outcomes`) and simulated change ``s``
(:func:`econsec.policy.compare.simulated_change`):

* ``within_tolerance``: ``r - t <= s <= r + t`` (``lo - t <= s <= hi + t``);
* ``direction_ok``: the simulated direction (down below -2 %, up above +2 %, else flat) is
  the documented one; a ``flat`` outcome with a range is right when ``s`` lies in the range
  (+- 2 %), as in :func:`econsec.policy.compare.outcome_check`.

Calibration outcomes (a parameter was fitted on them) are shown, marked, and never
counted. An outcome the world cannot simulate stays in the table, ``simulated`` empty and
the reason given, and counts in the summary as neither right in direction nor within
tolerance (the percentages are over every validation outcome, simulated or not, so a gap
in the model is never hidden by leaving its outcomes out).

:func:`score_replays` is the entry point for the CLI (``econsec replays``), the brief and
the dashboard; :func:`score_outcomes` scores one replay already run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from econsec.policy.compare import FLAT_BAND, direction_of, not_simulated_reason, simulated_change
from econsec.policy.outcomes import Outcome
from econsec.policy.scenarios import Scenario

#: One row per outcome: the columns of ``econsec replays``, then details (``unit``: what the
#: documented figure counts, tonnes | kg | usd | units | share; :mod:`econsec.policy.outcomes`).
OUTCOME_COLUMNS = ["scenario", "outcome", "role", "period", "documented", "simulated",
                   "tolerance", "within_tolerance", "direction_ok", "source", "unit",
                   "status", "reason", "metric", "economy", "partner", "good",
                   "documented_low", "documented_high", "documented_direction",
                   "simulated_direction", "known_miss", "url"]
#: One row per replay and one ``all`` row: validation outcomes only.
SUMMARY_COLUMNS = ["scenario", "validation", "simulated", "direction_ok", "within_tolerance",
                   "direction_ok_pct", "within_tolerance_pct", "not_simulated", "calibration"]
ALL = "all"


@dataclass(frozen=True)
class Skill:
    """Scored outcomes (:data:`OUTCOME_COLUMNS`) and the summary (:data:`SUMMARY_COLUMNS`)."""

    outcomes: pd.DataFrame
    summary: pd.DataFrame
    #: per replay whose baseline took later figures: the note of
    #: :meth:`~econsec.policy.runner.RunOutput.backcast_note` (replays without are absent)
    notes: dict[str, str] = field(default_factory=dict)
    #: Monte Carlo runs of each replay (the simulated values are medians over them); None
    #: when not recorded
    runs: int | None = None


def score_outcome(outcome: Outcome, simulated: float | None) -> tuple[bool | None, bool | None]:
    """(within_tolerance, direction_ok) of *simulated* against *outcome* (None, None when
    not simulated)."""
    if simulated is None:
        return None, None
    if outcome.direction == "flat" and outcome.range is not None:
        direction = outcome.range[0] - FLAT_BAND <= simulated <= outcome.range[1] + FLAT_BAND
    else:
        direction = direction_of(simulated) == outcome.direction
    return outcome.within_tolerance(simulated), bool(direction)


def score_outcomes(scenario: Scenario, result: Any) -> pd.DataFrame:
    """One row per documented outcome of *scenario* run as *result*
    (:data:`OUTCOME_COLUMNS`). ``status``: ``validation``, ``calibration (not counted)`` or
    ``not simulated``; ``reason``: why not simulated."""
    rows = []
    for o in scenario.outcomes:
        sim = simulated_change(o, result, scenario.start)
        within, direction = score_outcome(o, sim)
        band = o.documented_band
        assert band is not None  # the schema requires a magnitude or a range
        status = ("calibration (not counted)" if o.role == "calibration"
                  else "not simulated" if sim is None else "validation")
        rows.append({
            "scenario": scenario.name, "outcome": o.id, "role": o.role, "period": o.period,
            "unit": o.unit,
            "documented": o.magnitude if o.magnitude is not None else (band[0] + band[1]) / 2,
            "simulated": sim, "tolerance": o.tolerance, "within_tolerance": within,
            "direction_ok": direction, "source": f"{o.source.publisher} ({o.year})",
            "status": status,
            "reason": "" if sim is not None else not_simulated_reason(o, result, scenario.start),
            "metric": o.metric, "economy": o.economy, "partner": o.partner or "",
            "good": o.good, "documented_low": band[0], "documented_high": band[1],
            "documented_direction": o.direction,
            "simulated_direction": "not simulated" if sim is None else direction_of(sim),
            "known_miss": o.known_miss, "url": o.source.url})
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def skill_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and overall (``all``): validation outcomes, how many were simulated,
    right in direction and within tolerance, and the two shares in % of the validation
    outcomes (not simulated counts as a miss); calibration outcomes only counted aside."""
    rows = []
    groups = [(name, g) for name, g in outcomes.groupby("scenario", sort=False)]
    for name, g in [*groups, (ALL, outcomes)]:
        val = g[g["role"] == "validation"]
        n = len(val)
        right = int((val["direction_ok"] == True).sum())  # noqa: E712 (None = not simulated)
        within = int((val["within_tolerance"] == True).sum())  # noqa: E712
        simulated = int(val["simulated"].notna().sum())
        rows.append({
            "scenario": name, "validation": n, "simulated": simulated,
            "direction_ok": right, "within_tolerance": within,
            "direction_ok_pct": 100.0 * right / n if n else None,
            "within_tolerance_pct": 100.0 * within / n if n else None,
            "not_simulated": n - simulated,
            "calibration": int((g["role"] == "calibration").sum())})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


#: memory of one process scoring replays, beyond a worker's base
#: (:data:`econsec.distributed.processes.WORKER_BASE_BYTES`), per Monte Carlo run: peak RSS
#: 0.43 GB at 20 runs and 0.76 GB at 200 (``econsec replays``, built-in world, Dec 2026),
#: i.e. ~1.8 MB a run
REPLAY_BYTES_PER_RUN = 2 * 2**20


def scenario_workers(jobs: int, runs: int, workers: int | None) -> int:
    """Processes for *jobs* scenarios of *runs* runs each, run side by side: *workers*, or
    for None one per usable CPU, at most one per scenario, within half the free memory
    (:func:`econsec.distributed.processes.auto_workers`, ``WORKER_BASE_BYTES + runs
    REPLAY_BYTES_PER_RUN`` each)."""
    if workers is not None:
        return workers
    from econsec.distributed.processes import WORKER_BASE_BYTES, auto_workers

    return auto_workers(jobs, WORKER_BASE_BYTES + runs * REPLAY_BYTES_PER_RUN)


def score_replays(world: Any = None, *, names: list[str] | None = None, runs: int = 20,
                  seed: int = 0, without: Sequence[str] = (), workers: int | None = 1
                  ) -> Skill:
    """Run each shipped replay (*names*, default: every scenario of ``kind: replay``) with
    *runs* Monte Carlo runs and *seed*, and score its outcomes (:class:`Skill`); *without*:
    mechanisms switched off (:mod:`econsec.policy.ablation`).

    The replays are independent: with *workers* > 1 they run side by side in that many
    local processes (:mod:`econsec.distributed`), each replay's runs in one process; None
    chooses (:func:`scenario_workers`). The result is the same whatever *workers*: each
    replay runs with *seed*, and the rows keep the order of *names*."""
    from econsec.distributed.executors import map_ordered
    from econsec.policy.compare import replay_names
    from econsec.policy.scenarios import load_named

    if names is None:
        chosen = replay_names(world)  # chosen by their kind
    else:
        chosen = names
        for name in chosen:  # every name checked before any replay runs
            kind = load_named(name, world).kind
            if kind != "replay":
                raise ValueError(f"'{name}' is a {kind} scenario, not a replay: it "
                                 "documents no outcomes")
    if not chosen:
        raise ValueError("no replay to score")
    workers = scenario_workers(len(chosen), runs, workers)
    if workers > 1 and world is None:  # loaded once here, not by every worker
        from econsec.data.world import load_world

        world = load_world()
    done = map_ordered(_score_one, (world, runs, seed, tuple(without)), list(chosen), workers,
                       preload=(__name__, "econsec.simulation.preload"))
    frames = [frame for frame, _ in done]
    notes = {name: note for name, (_, note) in zip(chosen, done, strict=True) if note}
    outcomes = pd.concat(frames, ignore_index=True)
    return Skill(outcomes, skill_summary(outcomes), notes, runs)


def _score_one(shared: tuple[Any, int, int, tuple[str, ...]], name: str
               ) -> tuple[pd.DataFrame, str]:
    """Run replay *name* (``shared``: world, runs, seed, mechanisms off) and score it:
    (the outcome rows, the run's backcast note or "")."""
    from econsec.policy.runner import run_scenario
    from econsec.policy.scenarios import load_named

    world, runs, seed, without = shared
    scenario = load_named(name, world)
    run = run_scenario(scenario, world, runs=runs, seed=seed, without=without)
    return score_outcomes(scenario, run.result), run.backcast_note()


ABLATION_COLUMNS = ["switched_off", "scenario", "validation", "simulated", "direction_ok",
                    "within_tolerance", "direction_ok_pct", "within_tolerance_pct"]


def ablation_table(world: Any = None, *, names: list[str] | None = None,
                   mechanisms: Sequence[str] | None = None, runs: int = 20,
                   seed: int = 0, workers: int | None = 1) -> pd.DataFrame:
    """The skill summary (validation outcomes only) of the replays *names* (default: every
    shipped replay) for each configuration of
    :func:`econsec.policy.ablation.ablation_configs` (every mechanism on, each of
    *mechanisms* off in turn, all off): one row per configuration and replay plus its
    ``all`` row, columns :data:`ABLATION_COLUMNS`; *workers* as for
    :func:`score_replays`."""
    from econsec.policy.ablation import ablation_configs

    frames = []
    for label, off in ablation_configs(mechanisms):
        summary = score_replays(world, names=names, runs=runs, seed=seed, without=off,
                                workers=workers).summary
        frames.append(summary.assign(switched_off=label))
    return pd.concat(frames, ignore_index=True)[ABLATION_COLUMNS]
