"""Stored simulation runs in the DuckDB store, with the exact inputs that produced them.

A run is one row of ``sim_runs`` (id, created, scenario name, the exact scenario YAML text,
world version, econsec version, runs, seed, horizon, step) plus its result frames in
``sim_timeseries``, ``sim_summary``, ``sim_diversion`` and ``sim_parameters`` (each with a
``run_id`` column). A run is written in one transaction. This module stores and loads
runs; it does not run them (:func:`econsec.policy.runner.rerun` re-simulates a stored run
from its stored YAML and seed; with the same world version the numbers are the same).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.data.store import Store, econsec_version
from econsec.errors import StoreError

if TYPE_CHECKING:
    from econsec.data.world import World

RUNS_TABLE = "sim_runs"
FRAMES = ("timeseries", "summary", "diversion", "trade", "parameters")
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


def save_run(store: Store, scenario: Any, result: Any, world: World) -> str:
    """Store *result* of *scenario* (with its YAML text) run on *world*; returns the id."""
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    digest = hashlib.sha256(
        f"{created.isoformat()}|{scenario.name}|{result.seed}|{result.runs}".encode()
    ).hexdigest()[:10]
    run_id = f"{created:%Y%m%d-%H%M%S}-{digest}"
    frames = result.to_frames()
    con = store.con
    con.execute(_RUNS_DDL)
    with store.transaction():
        con.execute(f"INSERT INTO {RUNS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            run_id, created, scenario.name, scenario.text, world.version, econsec_version(),
            int(result.runs), int(result.seed), int(scenario.horizon_days),
            int(scenario.step_days)])
        existing = _tables(store)
        for name in FRAMES:
            frame = frames[name].copy()
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


def list_runs(store: Store) -> pd.DataFrame:
    """Stored runs, newest first (without the YAML text)."""
    cols = ["run_id", "created", "scenario", "runs", "seed", "horizon_days", "step_days",
            "world_version", "econsec_version"]
    if RUNS_TABLE not in _tables(store):
        return pd.DataFrame(columns=cols)
    return store.con.execute(
        f"SELECT {', '.join(cols)} FROM {RUNS_TABLE} ORDER BY created DESC, run_id DESC").df()


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
    for name in FRAMES:
        if f"sim_{name}" not in tables:  # a frame added after the store's first run
            continue
        frame = store.con.execute(f"SELECT * FROM sim_{name} WHERE run_id = ?", ids).df()
        frame = frame.drop(columns="run_id").reset_index(drop=True)
        if name == "parameters":  # columns vary by scenario: keep this run's own
            frame = frame.loc[:, frame.notna().any(axis=0)]
        frames[name] = frame
    return StoredRun(meta.iloc[0].to_dict(), frames)
