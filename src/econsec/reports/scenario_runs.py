"""Bridge from reports and the web API to the simulation engine.

Scenarios are chosen by *name* from the shipped list (``econsec/data/scenarios/*.yaml``),
never by path. When the engine (``econsec.simulation`` / ``econsec.policy.scenarios``) is
not installed, :func:`engine_available` is False and :func:`run_scenario` raises
:class:`EngineUnavailable`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class EngineUnavailable(RuntimeError):
    """The simulation engine is not available in this installation."""


class RunCancelled(RuntimeError):
    """A run was cancelled through its cancel event."""


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    kind: str  # "replay" or "forward"
    horizon: int | None = None
    description: str = ""


@dataclass
class RunOutput:
    scenario: str
    runs: int
    seed: int
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def scenarios_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("econsec.data") / "scenarios"))


def _engine() -> tuple[Any, Any]:
    """(load_scenario, run) of the engine, or EngineUnavailable."""
    try:
        from econsec.policy.scenarios import load_scenario  # type: ignore[import-not-found]
        from econsec.simulation import run  # type: ignore[attr-defined]
    except ImportError as exc:
        raise EngineUnavailable("simulation engine not available") from exc
    return load_scenario, run


def engine_available() -> bool:
    try:
        _engine()
    except EngineUnavailable:
        return False
    return True


def _scenario_files() -> dict[str, Path]:
    folder = scenarios_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if NAME_RE.match(p.stem)}


def list_scenarios() -> list[ScenarioInfo]:
    """The shipped scenarios (name = file stem)."""
    import yaml

    out = []
    for name, path in _scenario_files().items():
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        title = str(doc.get("title") or doc.get("name") or name)
        replay = "replay" in name or bool(doc.get("replay")) or bool(doc.get("outcomes"))
        horizon = doc.get("horizon")
        if isinstance(horizon, dict):
            horizon = horizon.get("steps") or horizon.get("periods")
        out.append(ScenarioInfo(name=name, title=title, kind="replay" if replay else "forward",
                                horizon=int(horizon) if isinstance(horizon, int) else None,
                                description=str(doc.get("description") or "")[:500]))
    return out


def scenario_path(name: str) -> Path:
    """The shipped file of scenario *name*; KeyError if it is not in the shipped list."""
    files = _scenario_files()
    if not NAME_RE.match(name) or name not in files:
        raise KeyError(f"unknown scenario '{name}'")
    return files[name]


def run_scenario(name: str, runs: int = 20, seed: int = 0, *, world: Any = None,
                 progress: Callable[[float], None] | None = None,
                 cancel: threading.Event | None = None) -> RunOutput:
    """Run shipped scenario *name* with *runs* Monte Carlo draws from *seed*."""
    load_scenario, run = _engine()
    path = scenario_path(name)
    scenario = load_scenario(path)
    if cancel is not None and cancel.is_set():
        raise RunCancelled(name)
    if progress is not None:
        progress(0.05)
    result = run(scenario, world=world, runs=runs, seed=seed)
    if cancel is not None and cancel.is_set():
        raise RunCancelled(name)
    if progress is not None:
        progress(1.0)
    return RunOutput(scenario=name, runs=runs, seed=seed, summary=result.summary(),
                     timeseries=result.timeseries())


def band_frame(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Normalise an engine time series to ``t, series, p5, p50, p95`` for charts."""
    ts = timeseries
    if {"p5", "p50", "p95"} <= set(ts.columns):
        out = ts.copy()
    else:
        value = next((c for c in ("value", "availability", "output") if c in ts.columns), None)
        run_col = "run" if "run" in ts.columns else None
        if value is None or run_col is None:
            return pd.DataFrame(columns=["t", "series", "p5", "p50", "p95"])
        keys = [c for c in ts.columns if c not in (value, run_col)]
        g = ts.groupby(keys)[value]
        out = pd.DataFrame({"p5": g.quantile(0.05), "p50": g.quantile(0.5),
                            "p95": g.quantile(0.95)}).reset_index()
    tcol = next((c for c in ("t", "step", "day", "week", "date") if c in out.columns), None)
    if tcol is None:
        return pd.DataFrame(columns=["t", "series", "p5", "p50", "p95"])
    label_cols = [c for c in ("economy", "good", "series", "metric") if c in out.columns]
    series = (out[label_cols].astype(str).agg(" ".join, axis=1) if label_cols
              else pd.Series("all", index=out.index))
    return pd.DataFrame({"t": out[tcol], "series": series, "p5": out["p5"],
                         "p50": out["p50"], "p95": out["p95"]})
