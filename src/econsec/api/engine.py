"""Bridge from the web API and the brief to the simulation engine.

Scenarios are chosen by *name* (the stem of a shipped file in
``econsec/data/scenarios/*.yaml``), never by path: a name that is not in the shipped list is
unknown, so no request can reach another file. The engine
(:func:`econsec.simulation.engine.simulate`) and the scenario loader
(:func:`econsec.policy.scenarios.load_scenario`) are imported lazily; when either is
missing :func:`unavailable_reason` says why and :func:`run_scenario` raises
:class:`EngineUnavailable` (the API answers 409, the brief prints a note).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: what a scenario name may look like (also the API's pattern for the field)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$"
_NAME_RE = re.compile(NAME_PATTERN)


class EngineUnavailable(RuntimeError):
    """The simulation engine or the scenario layer is not available in this build."""


class RunCancelled(RuntimeError):
    """A run was cancelled through its cancel event."""


@dataclass
class RunOutput:
    """What one scenario run returns to the API and the brief."""

    scenario: str
    runs: int
    seed: int
    horizon_days: int
    timeseries: pd.DataFrame  # long: day, economy, good, metric, p5, p50, p95
    summary: pd.DataFrame
    diversion: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    #: replays: documented vs simulated change per outcome (``outcome_check``), else None
    outcomes: pd.DataFrame | None = None


def scenarios_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("econsec.data") / "scenarios"))


def _modules() -> tuple[Any, Any]:
    try:
        from econsec.policy import scenarios as scen_mod  # type: ignore[attr-defined,unused-ignore]
    except Exception as exc:  # missing, or broken mid-edit (SyntaxError): not available
        raise EngineUnavailable(
            f"scenario layer econsec.policy.scenarios not available in this build ({exc})"
        ) from None
    try:
        from econsec.simulation import engine as engine_mod  # type: ignore[attr-defined,unused-ignore]
    except Exception as exc:  # missing, or broken mid-edit: not available
        raise EngineUnavailable(
            f"simulation engine econsec.simulation.engine not available in this build ({exc})"
        ) from None
    if not hasattr(scen_mod, "load_scenario") or not hasattr(engine_mod, "simulate"):
        raise EngineUnavailable("scenario loader or engine.simulate missing in this build")
    return scen_mod, engine_mod


def unavailable_reason() -> str | None:
    """None when scenarios can run; otherwise a sentence saying what is missing."""
    try:
        _modules()
    except EngineUnavailable as exc:
        return str(exc)
    if not scenario_files():
        return f"no shipped scenario files in {scenarios_dir()}"
    return None


def scenario_files() -> dict[str, Path]:
    """Shipped scenario files by name (file stem)."""
    folder = scenarios_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if _NAME_RE.match(p.stem)}


def scenario_path(name: str) -> Path:
    """The shipped file of scenario *name*; KeyError if it is not in the shipped list."""
    files = scenario_files()
    if not isinstance(name, str) or not _NAME_RE.match(name) or name not in files:
        raise KeyError(f"unknown scenario '{name}' (see /api/scenarios)")
    return files[name]


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if v is not None:
            return v
    return default


def list_scenarios() -> list[dict[str, Any]]:
    """The shipped scenarios: name, title, kind (replay/forward), horizon_days, description.

    Read with the scenario loader when it is there (so the fields are the validated ones),
    else from the YAML text. Cached until a file changes."""
    stamp = tuple((n, p.stat().st_mtime_ns) for n, p in scenario_files().items())
    return [dict(d) for d in _list_cached(stamp)]


@functools.lru_cache(maxsize=4)
def _list_cached(stamp: tuple[tuple[str, int], ...]) -> tuple[dict[str, Any], ...]:
    import yaml

    try:
        scen_mod: Any = _modules()[0]
    except EngineUnavailable:
        scen_mod = None
    out = []
    for name, path in scenario_files().items():
        doc: Any = None
        if scen_mod is not None:
            try:
                doc = scen_mod.load_scenario(path)
            except Exception:  # a broken file is listed with what YAML says
                doc = None
        if doc is None:
            try:
                doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                doc = {}
            doc = doc if isinstance(doc, dict) else {}
        kind = _attr(doc, "kind", "type")
        if kind is None:
            kind = "replay" if (_attr(doc, "replay", "outcomes", "outcome") or
                                "replay" in name) else "forward"
        horizon = _attr(doc, "horizon_days", "horizon")
        horizon = _horizon_days(horizon)
        out.append({"name": name, "title": str(_attr(doc, "title", "name", default=name)),
                    "kind": str(getattr(kind, "value", kind)), "horizon_days": horizon,
                    "description": " ".join(str(_attr(doc, "description",
                                                      default="")).split())[:600]})
    return tuple(out)


def load(name: str, world: Any = None) -> Any:
    """The loaded :class:`econsec.policy.scenarios.Scenario` of shipped scenario *name*."""
    scen_mod = _modules()[0]
    return scen_mod.load_scenario(scenario_path(name), world)


def _horizon_days(h: Any) -> int | None:
    if isinstance(h, bool):
        return None
    if isinstance(h, int):
        return h
    if isinstance(h, str):
        m = re.fullmatch(r"\s*(\d+)\s*([dwy]?)\s*", h)
        if m:
            return int(m.group(1)) * {"": 1, "d": 1, "w": 7, "y": 365}[m.group(2)]
    return None


def _progress_adapter(progress: Callable[[float], None] | None) -> Callable[..., None]:
    """The engine may report ``progress(fraction)`` or ``progress(done, total)``."""

    def report(*args: Any) -> None:
        if progress is None or not args:
            return
        two = len(args) >= 2 and bool(args[1])
        frac = float(args[0]) / float(args[1]) if two else float(args[0])
        progress(min(1.0, max(0.0, frac)))

    return report


def _call_frame(obj: Any, name: str) -> pd.DataFrame:
    fn = getattr(obj, name, None)
    if fn is None:
        return pd.DataFrame()
    val = fn() if callable(fn) else fn
    return val if isinstance(val, pd.DataFrame) else pd.DataFrame(val)


def run_scenario(name: str, *, runs: int = 20, seed: int = 0, horizon_days: int | None = None,
                 world: Any = None, progress: Callable[[float], None] | None = None,
                 cancel: threading.Event | None = None) -> RunOutput:
    """Run shipped scenario *name* with *runs* Monte Carlo draws from *seed*.

    *horizon_days* overrides the scenario's horizon. Raises KeyError (unknown name),
    EngineUnavailable, RunCancelled."""
    scen_mod, engine_mod = _modules()
    path = scenario_path(name)
    if world is None:
        from econsec.data.world import load_world

        world = load_world()
    scenario = scen_mod.load_scenario(path, world)
    spec = scenario.to_spec(world)
    if horizon_days is not None:
        spec = dataclasses.replace(spec, horizon_days=int(horizon_days))
    cancel = cancel if cancel is not None else threading.Event()
    if cancel.is_set():
        raise RunCancelled(name)
    kwargs: dict[str, Any] = {"runs": runs, "seed": seed}
    params = inspect.signature(engine_mod.simulate).parameters
    if "progress" in params:
        kwargs["progress"] = _progress_adapter(progress)
    if "cancel" in params:
        kwargs["cancel"] = cancel
    try:
        result = engine_mod.simulate(spec, world, **kwargs)
    except Exception as exc:
        if cancel.is_set():
            raise RunCancelled(name) from exc
        raise
    if cancel.is_set():
        raise RunCancelled(name)
    if progress is not None:
        progress(1.0)
    return RunOutput(scenario=name, runs=runs, seed=seed,
                     horizon_days=int(spec.horizon_days),
                     timeseries=_call_frame(result, "timeseries"),
                     summary=_call_frame(result, "summary"),
                     diversion=_call_frame(result, "diversion"),
                     meta={"world_version": getattr(world, "version", ""),
                           "scenario_file": path.name},
                     outcomes=_outcome_check(scenario, result))


def _outcome_check(scenario: Any, result: Any) -> pd.DataFrame | None:
    """Documented vs simulated outcomes of a replay (None without outcomes)."""
    if not getattr(scenario, "outcomes", None):
        return None
    from econsec.policy.compare import outcome_check

    return outcome_check(scenario, result)


#: metrics tried, in order, for the headline chart of a run
HEADLINE_METRICS = ("availability", "output", "output_ratio", "inventory_days")


def headline_metric(ts: pd.DataFrame) -> str:
    """The metric :func:`band_frame` charts by default ("" when there is no metric column)."""
    if "metric" not in ts.columns or ts.empty:
        return ""
    metrics = list(dict.fromkeys(ts["metric"].astype(str)))
    return next((m for m in HEADLINE_METRICS if m in metrics), metrics[0])


def band_frame(ts: pd.DataFrame, *, metric: str | None = None,
               max_series: int = 6) -> pd.DataFrame:
    """The engine's long time series reduced to ``t, series, p5, p50, p95`` for a chart:
    one metric (the first of :data:`HEADLINE_METRICS` present unless given) and the
    *max_series* (economy, good) series that move most (lowest p5)."""
    need = {"p5", "p50", "p95"}
    if ts.empty or not need <= set(ts.columns):
        return pd.DataFrame(columns=["t", "series", "p5", "p50", "p95"])
    tcol = next((c for c in ("day", "t", "step", "week") if c in ts.columns), None)
    if tcol is None:
        return pd.DataFrame(columns=["t", "series", "p5", "p50", "p95"])
    f = ts
    if "metric" in f.columns:
        chosen = metric or headline_metric(f)
        f = f[f["metric"].astype(str) == chosen]
    labels = [c for c in ("economy", "good") if c in f.columns]
    series = (f[labels].astype(str).agg(" ".join, axis=1) if labels
              else pd.Series("all", index=f.index))
    out = pd.DataFrame({"t": f[tcol].to_numpy(), "series": series.to_numpy(),
                        "p5": f["p5"].to_numpy(), "p50": f["p50"].to_numpy(),
                        "p95": f["p95"].to_numpy()})
    worst = out.groupby("series")["p5"].min().sort_values(kind="stable")
    keep = list(worst.index[:max_series])
    return out[out["series"].isin(keep)].reset_index(drop=True)
