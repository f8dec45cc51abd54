"""Monte Carlo parameter draws: one value per run for each parameter of ``PARAMETERS`` and
for the licence delay of each licensing shock that has its own (``Shock.licence_delay``)
and is not spread over shipments (:mod:`econsec.simulation.licence_delays`: with
``SimulationSpec.licence_spread``, a shock's own non-fixed delay is the distribution of the
delays within every run and is not drawn).

Draw order (documented so a seed reproduces a run bit for bit): one
``numpy.random.Generator`` (``np.random.default_rng(seed)``);

1. parameters are visited in the order of :data:`econsec.simulation.spec.PARAMETERS`
   (``spare_capacity``, ``ramp_days``, ``inventory_days``, ``substitutability_scale``,
   ``licence_delay_days``, ``resourcing_days``, ``return_days``, ``refill_days``,
   ``tariff_elasticity``, ``price_feedback``, ``localisation_share``,
   ``localisation_lead_days``, ``frontload_days``, ``transit_scale``); each parameter with a
   non-fixed distribution draws a vector of ``runs`` values in one call; ``fixed``
   parameters and parameters without a distribution (their default) consume no random
   numbers;
2. then each shock with its own licence delay (``Shock.licence_delay`` not None), in the
   order of ``spec.shocks``, draws a vector of ``runs`` values in one call (a ``fixed``
   delay and a delay spread over shipments consume no random numbers; the parameters of 1.
   are therefore the same with and without the spread).

A call draws with ``Generator.uniform(low, high, runs)``, ``.triangular(low, mode, high,
runs)``, ``.normal(mean, sd, runs)`` or ``.lognormal(mean, sd, runs)``. Draws are clipped to
each parameter's domain (non-negative; ``ramp_days`` at least one day). The result is a
:class:`Draws`: the parameter vectors by name and the delays by shock position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from econsec.simulation.licence_delays import spread_shocks
from econsec.simulation.spec import PARAMETERS, DistKind, ParamDist, SimulationSpec

F64 = npt.NDArray[np.float64]

_LOWER = {"ramp_days": 1.0}


@dataclass(frozen=True)
class Draws:
    """The per-run values of one simulation's random inputs (``R`` runs).

    *params*: ``(R,)`` vector of every parameter of ``PARAMETERS``, by name.
    *licence_delay*: one entry per shock of the spec, by position: the ``(R,)`` licence
    delay (days) drawn from the shock's ``licence_delay``, or None where the shock has none
    (non-licensing shocks, and licensing shocks that take the ``licence_delay_days``
    parameter) or where its delay is spread over shipments.
    *spread*: per shock, whether its delay is spread over shipments
    (:func:`econsec.simulation.licence_delays.spread_shocks`; empty: none is).
    """

    params: dict[str, F64]
    licence_delay: tuple[F64 | None, ...]
    spread: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        missing = [name for name in PARAMETERS if name not in self.params]
        if missing:
            raise ValueError(f"draws lack parameters {missing}")
        lengths = {len(v) for v in self.params.values()}
        lengths |= {len(v) for v in self.licence_delay if v is not None}
        if len(lengths) != 1:
            raise ValueError(f"draws of different lengths {sorted(lengths)}")
        if self.spread and len(self.spread) != len(self.licence_delay):
            raise ValueError(f"spread flags for {len(self.spread)} shocks, delays for "
                             f"{len(self.licence_delay)}")
        if any(v is not None for v, s in zip(self.licence_delay, self.spread, strict=False) if s):
            raise ValueError("a delay spread over shipments is not drawn per run")

    @property
    def runs(self) -> int:
        return len(self.params["spare_capacity"])

    def take(self, rows: slice) -> Draws:
        """The draws of runs *rows* (e.g. one chunk of runs)."""
        return Draws({k: v[rows] for k, v in self.params.items()},
                     tuple(None if v is None else v[rows] for v in self.licence_delay),
                     self.spread)

    def is_spread(self, i: int) -> bool:
        """Whether shock *i*'s licence delay is spread over shipments (not drawn)."""
        return bool(self.spread) and self.spread[i]

    def shock_delay(self, i: int) -> F64:
        """(R,) licence delay of shock *i*: its own, else the ``licence_delay_days``
        parameter (ValueError for a delay spread over shipments: it has no per-run value)."""
        if self.is_spread(i):
            raise ValueError(f"shock {i}'s licence delay is spread over shipments, not "
                             "drawn per run")
        own = self.licence_delay[i]
        return self.params["licence_delay_days"] if own is None else own

    def columns(self, spec: SimulationSpec) -> dict[str, F64]:
        """The parameters table's columns: every parameter, then
        ``licence_delay_days.shock<i>`` for each shock ``i`` whose delay is drawn from a
        non-fixed distribution drawn per run (a fixed delay is in the scenario, a spread
        one is the same in every run: neither is drawn)."""
        out = dict(self.params)
        for i, (shock, v) in enumerate(zip(spec.shocks, self.licence_delay, strict=True)):
            dist = shock.licence_delay
            if v is not None and dist is not None and dist.kind is not DistKind.fixed:
                out[f"licence_delay_days.shock{i}"] = v
        return out


def draw(dist: ParamDist, runs: int, rng: np.random.Generator) -> F64:
    """*runs* draws of *dist* (see :class:`ParamDist` for the argument conventions)."""
    a = dist.args
    if dist.kind is DistKind.fixed:
        return np.full(runs, a[0], dtype=np.float64)
    if dist.kind is DistKind.uniform:
        return rng.uniform(a[0], a[1], runs)
    if dist.kind is DistKind.triangular:
        return rng.triangular(a[0], a[1], a[2], runs)
    if dist.kind is DistKind.normal:
        return rng.normal(a[0], a[1], runs)
    return rng.lognormal(a[0], a[1], runs)


def draw_params(spec: SimulationSpec, runs: int, rng: np.random.Generator) -> Draws:
    """Per-run parameters and shock licence delays, drawn in the documented order."""
    out: dict[str, F64] = {}
    for name, (_, default) in PARAMETERS.items():
        dist = spec.params.get(name)
        v = np.full(runs, default, dtype=np.float64) if dist is None else draw(dist, runs, rng)
        out[name] = np.maximum(v, _LOWER.get(name, 0.0))
    spread = spread_shocks(spec)
    delays = tuple(None if s.licence_delay is None or spread[i]
                   else np.maximum(draw(s.licence_delay, runs, rng), 0.0)
                   for i, s in enumerate(spec.shocks))
    return Draws(out, delays, spread)


def given_params(spec: SimulationSpec, values: Mapping[str, F64]) -> Draws:
    """Draws from per-run parameter vectors set by hand (tests, benchmarks): *values* by
    name (names of ``PARAMETERS``; a parameter not given takes its default), and each
    shock's own licence delay, which must then be fixed or spread over shipments (a delay
    drawn per run from a non-fixed distribution needs a generator: use
    :func:`draw_params`)."""
    unknown = sorted(set(values) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown parameters {unknown}; known: {sorted(PARAMETERS)}")
    runs = len(next(iter(values.values()))) if values else 1
    params = {name: np.asarray(values[name], dtype=np.float64) if name in values
              else np.full(runs, default, dtype=np.float64)
              for name, (_, default) in PARAMETERS.items()}
    delays: list[F64 | None] = []
    spread = spread_shocks(spec)
    for i, s in enumerate(spec.shocks):
        dist = s.licence_delay
        if dist is not None and dist.kind is not DistKind.fixed and not spread[i]:
            raise ValueError(f"shock {i} draws its licence delay from a {dist.kind} "
                             "distribution: use draw_params")
        delays.append(None if dist is None or spread[i]
                      else np.full(runs, max(dist.args[0], 0.0)))
    return Draws(params, tuple(delays), spread)


def is_random(spec: SimulationSpec) -> bool:
    """Whether any parameter distribution is non-fixed (runs then differ; a licence delay
    spread over shipments is the same in every run)."""
    spread = spread_shocks(spec)
    dists = [*spec.params.values(),
             *(s.licence_delay for i, s in enumerate(spec.shocks)
               if s.licence_delay is not None and not spread[i])]
    return any(d.kind is not DistKind.fixed for d in dists)
