"""Stored simulation runs in the DuckDB store, with the exact inputs that produced them.

A run is one row of ``sim_runs`` (id, created, scenario name, the exact scenario YAML text,
world version, econsec version, runs, seed, horizon, step) plus its result frames in
``sim_timeseries``, ``sim_summary``, ``sim_diversion``, ``sim_trade`` and ``sim_parameters``
(each with a ``run_id`` column), and optionally ``sim_prices`` (the price index of every
good in both markets) and ``sim_outcomes`` / ``sim_skill`` (a replay's documented vs
simulated outcomes and their scores, stored by the API). A run is written in one
transaction. ``origin`` says who stored it (``cli`` or ``api``); :func:`prune_runs` keeps
the newest *keep* runs of one origin (the server's retention limit). This module stores and loads
runs; it does not run them (:func:`econsec.policy.runner.rerun` re-simulates a stored run
from its stored YAML and seed; with the same world version the numbers are the same).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from econsec.data.store import Store, econsec_version
from econsec.errors import StoreError

RUNS_TABLE = "sim_runs"
FRAMES = ("timeseries", "summary", "diversion", "trade", "parameters")
#: frames a run may carry besides the required ones: the price index of every good in both
#: markets (never empty when stored; runs stored before econsec kept it have none) and a
#: replay's outcome checks (the API stores those)
EXTRA_FRAMES = ("prices", "outcomes", "skill")
#: extra frames that are never empty when stored: no rows means the run predates them
NEVER_EMPTY = ("prices",)
ORIGINS = ("cli", "api")
_RUNS_DDL = f"""
CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (
    run_id VARCHAR PRIMARY KEY,
    created TIMESTAMP NOT NULL,
    scenario VARCHAR NOT NULL,
    scenario_yaml VARCHAR NOT NULL,
    world_version VARCHAR NOT NULL,
    econsec_version VARCHAR NOT NULL,
    runs INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    horizon_days INTEGER NOT NULL,
    step_days INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class StoredRun:
    meta: dict[str, Any]
    frames: dict[str, pd.DataFrame]

    @property
    def run_id(self) -> str:
        return str(self.meta["run_id"])


def _tables(store: Store) -> set[str]:
    rows = store.con.execute("SELECT table_name FROM information_schema.tables "
                             "WHERE table_schema = 'main'").fetchall()
    return {str(r[0]) for r in rows}


@dataclass(frozen=True)
class RunRecord:
    """What a stored run row holds besides its frames (the exact inputs of the run)."""

    scenario: str
    scenario_yaml: str
    world_version: str
    runs: int
    seed: int
    horizon_days: int
    step_days: int


def save_run(store: Store, scenario: Any, result: Any, world_version: str) -> str:
    """Store *result* of *scenario* (with its YAML text) run on the network of
    *world_version* (a world's version, or the ICIO table's); returns the id."""
    record = RunRecord(scenario.name, scenario.text, world_version, int(result.runs),
                       int(result.seed), int(scenario.horizon_days), int(scenario.step_days))
    return save_frames(store, record, result.to_frames())


def _ensure_runs_table(store: Store) -> None:
    store.con.execute(_RUNS_DDL)
    store.con.execute(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN IF NOT EXISTS origin VARCHAR "
                      "DEFAULT 'cli'")


def save_frames(store: Store, record: RunRecord, frames: dict[str, pd.DataFrame], *,
                origin: str = "cli") -> str:
    """Store one run: *record* and its *frames* (every name of :data:`FRAMES`, optionally
    those of :data:`EXTRA_FRAMES`), in one transaction; returns the new run id
    (``YYYYmmdd-HHMMSS-<10 hex>``)."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    missing = [n for n in FRAMES if n not in frames]
    if missing:
        raise ValueError(f"a stored run needs the frames {missing}")
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    digest = hashlib.sha256(
        f"{created.isoformat()}|{record.scenario}|{record.seed}|{record.runs}|"
        f"{id(frames)}".encode()).hexdigest()[:10]
    run_id = f"{created:%Y%m%d-%H%M%S}-{digest}"
    con = store.con
    _ensure_runs_table(store)
    with store.transaction():
        con.execute(f"INSERT INTO {RUNS_TABLE} (run_id, created, scenario, scenario_yaml, "
                    "world_version, econsec_version, runs, seed, horizon_days, step_days, "
                    "origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                        run_id, created, record.scenario, record.scenario_yaml,
                        record.world_version, econsec_version(), int(record.runs),
                        int(record.seed), int(record.horizon_days), int(record.step_days),
                        origin])
        existing = _tables(store)
        for name in (*FRAMES, *(n for n in EXTRA_FRAMES if n in frames)):
            frame = _storable(frames[name])
            frame.insert(0, "run_id", run_id)
            view = "_econsec_run_frame"
            con.register(view, frame)
            try:
                if f"sim_{name}" in existing:
                    _add_columns(store, f"sim_{name}", view)
                    con.execute(f"INSERT INTO sim_{name} BY NAME SELECT * FROM {view}")
                else:
                    con.execute(f"CREATE TABLE sim_{name} AS SELECT * FROM {view}")
            finally:
                con.unregister(view)
    return run_id


def _add_columns(store: Store, table: str, view: str) -> None:
    """Add to *table* the columns of *view* it lacks (e.g. the per-shock licence delays of
    a scenario in ``parameters``); earlier runs read NULL there."""
    con = store.con
    have = {str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
    for col, typ, *_ in con.execute(f"DESCRIBE {view}").fetchall():
        if col not in have:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" {typ}')


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose object columns have one type DuckDB can keep across runs: all-bool
    (with None) columns as nullable booleans, other object columns as strings."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        vals = out[col].dropna()
        if len(vals) and all(isinstance(v, bool) for v in vals):
            out[col] = out[col].astype("boolean")
        else:
            out[col] = out[col].map(lambda v: None if v is None else str(v)).astype("string")
    return out


def _has_origin(store: Store) -> bool:
    cols = {str(r[0]) for r in store.con.execute(f"DESCRIBE {RUNS_TABLE}").fetchall()}
    return "origin" in cols


def list_runs(store: Store, *, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Stored runs, newest first (without the YAML text); *limit* rows from *offset*."""
    cols = ["run_id", "created", "scenario", "runs", "seed", "horizon_days", "step_days",
            "world_version", "econsec_version"]
    if RUNS_TABLE not in _tables(store):
        return pd.DataFrame(columns=[*cols, "origin"])
    origin = "origin" if _has_origin(store) else "'cli' AS origin"
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return store.con.execute(
        f"SELECT {', '.join(cols)}, {origin} FROM {RUNS_TABLE} "
        f"ORDER BY created DESC, run_id DESC{page}").df()


def count_runs(store: Store) -> int:
    """How many runs the store holds."""
    if RUNS_TABLE not in _tables(store):
        return 0
    return int(store.con.execute(f"SELECT count(*) FROM {RUNS_TABLE}").fetchall()[0][0])


def prune_runs(store: Store, keep: int, *, origin: str = "api") -> list[str]:
    """Delete the runs of *origin* beyond the newest *keep* (with their frames), in one
    transaction; returns the deleted ids. *keep* 0 keeps every run."""
    if keep < 0:
        raise ValueError(f"keep must be >= 0, not {keep}")
    if keep == 0 or RUNS_TABLE not in _tables(store) or not _has_origin(store):
        return []
    old = [str(r[0]) for r in store.con.execute(
        f"SELECT run_id FROM {RUNS_TABLE} WHERE origin = ? "
        f"ORDER BY created DESC, run_id DESC OFFSET {int(keep)}", [origin]).fetchall()]
    if not old:
        return []
    tables = _tables(store)
    marks = ", ".join("?" for _ in old)
    with store.transaction():
        for name in (*FRAMES, *EXTRA_FRAMES):
            if f"sim_{name}" in tables:
                store.con.execute(f"DELETE FROM sim_{name} WHERE run_id IN ({marks})", old)
        store.con.execute(f"DELETE FROM {RUNS_TABLE} WHERE run_id IN ({marks})", old)
    return old


def load_run(store: Store, run_id: str) -> StoredRun:
    """A stored run with its frames; StoreError naming the id if it is not there."""
    if RUNS_TABLE not in _tables(store):
        raise StoreError(f"no stored runs in {store.path}: run `econsec simulate NAME`")
    ids = [str(r[0]) for r in store.con.execute(
        f"SELECT run_id FROM {RUNS_TABLE} WHERE run_id = ? OR run_id LIKE ?",
        [run_id, f"{run_id}%"]).fetchall()]
    if len(ids) != 1:
        what = "no stored run" if not ids else f"{len(ids)} stored runs match"
        raise StoreError(f"{what} '{run_id}' in {store.path}; see `econsec runs list`")
    meta = store.con.execute(f"SELECT * FROM {RUNS_TABLE} WHERE run_id = ?", ids).df()
    frames = {}
    tables = _tables(store)
    for name in (*FRAMES, *EXTRA_FRAMES):
        if f"sim_{name}" not in tables:  # a frame added after the store's first run
            continue
        frame = store.con.execute(f"SELECT * FROM sim_{name} WHERE run_id = ?", ids).df()
        frame = frame.drop(columns="run_id").reset_index(drop=True)
        if name in NEVER_EMPTY and frame.empty:  # stored before econsec kept this frame
            continue
        if name == "parameters":  # columns vary by scenario: keep this run's own
            frame = frame.loc[:, frame.notna().any(axis=0)]
        frames[name] = frame
    return StoredRun(meta.iloc[0].to_dict(), frames)
