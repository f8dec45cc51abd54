"""Monte Carlo parameter draws: one value per run for each parameter of ``PARAMETERS`` and
for the licence delay of each licensing shock that has its own (``Shock.licence_delay``).

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
   delay consumes no random numbers).

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
    parameter).
    """

    params: dict[str, F64]
    licence_delay: tuple[F64 | None, ...]

    def __post_init__(self) -> None:
        missing = [name for name in PARAMETERS if name not in self.params]
        if missing:
            raise ValueError(f"draws lack parameters {missing}")
        lengths = {len(v) for v in self.params.values()}
        lengths |= {len(v) for v in self.licence_delay if v is not None}
        if len(lengths) != 1:
            raise ValueError(f"draws of different lengths {sorted(lengths)}")

    @property
    def runs(self) -> int:
        return len(self.params["spare_capacity"])

    def take(self, rows: slice) -> Draws:
        """The draws of runs *rows* (e.g. one chunk of runs)."""
        return Draws({k: v[rows] for k, v in self.params.items()},
                     tuple(None if v is None else v[rows] for v in self.licence_delay))

    def shock_delay(self, i: int) -> F64:
        """(R,) licence delay of shock *i*: its own, else the ``licence_delay_days``
        parameter."""
        own = self.licence_delay[i]
        return self.params["licence_delay_days"] if own is None else own

    def columns(self, spec: SimulationSpec) -> dict[str, F64]:
        """The parameters table's columns: every parameter, then
        ``licence_delay_days.shock<i>`` for each shock ``i`` whose delay is drawn from a
        non-fixed distribution (a fixed delay is in the scenario, not drawn)."""
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
    delays = tuple(None if s.licence_delay is None
                   else np.maximum(draw(s.licence_delay, runs, rng), 0.0) for s in spec.shocks)
    return Draws(out, delays)


def given_params(spec: SimulationSpec, values: Mapping[str, F64]) -> Draws:
    """Draws from per-run parameter vectors set by hand (tests, benchmarks): *values* by
    name (names of ``PARAMETERS``; a parameter not given takes its default), and each
    shock's own licence delay, which must then be fixed (a delay drawn from a non-fixed
    distribution needs a generator: use :func:`draw_params`)."""
    unknown = sorted(set(values) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown parameters {unknown}; known: {sorted(PARAMETERS)}")
    runs = len(next(iter(values.values()))) if values else 1
    params = {name: np.asarray(values[name], dtype=np.float64) if name in values
              else np.full(runs, default, dtype=np.float64)
              for name, (_, default) in PARAMETERS.items()}
    delays: list[F64 | None] = []
    for i, s in enumerate(spec.shocks):
        dist = s.licence_delay
        if dist is not None and dist.kind is not DistKind.fixed:
            raise ValueError(f"shock {i} draws its licence delay from a {dist.kind} "
                             "distribution: use draw_params")
        delays.append(None if dist is None else np.full(runs, max(dist.args[0], 0.0)))
    return Draws(params, tuple(delays))


def is_random(spec: SimulationSpec) -> bool:
    """Whether any parameter distribution is non-fixed (runs then differ)."""
    dists = [*spec.params.values(),
             *(s.licence_delay for s in spec.shocks if s.licence_delay is not None)]
    return any(d.kind is not DistKind.fixed for d in dists)
