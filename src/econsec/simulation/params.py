"""Monte Carlo parameter draws (one value per run for each parameter of ``PARAMETERS``).

Draw order (documented so a seed reproduces a run bit for bit): one
``numpy.random.Generator`` (``np.random.default_rng(seed)``); parameters are visited in the
order of :data:`econsec.simulation.spec.PARAMETERS` (``spare_capacity``, ``ramp_days``,
``inventory_days``, ``substitutability_scale``, ``licence_delay_days``,
``resourcing_days``, ``return_days``); each parameter with a non-fixed distribution
draws a vector of ``runs`` values in one call; ``fixed`` parameters and parameters without
a distribution (their default) consume no random numbers. Then each
licensing shock with its own delay distribution (``Shock.licence_delay``), in the order of
``spec.shocks``, draws ``runs`` values, stored as ``licence_delay_days.shock<i>`` (``i`` =
the shock's position). Draws are clipped to each parameter's domain (non-negative;
``ramp_days`` at least one day).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from econsec.simulation.spec import PARAMETERS, DistKind, ParamDist, SimulationSpec

F64 = npt.NDArray[np.float64]

_LOWER = {"ramp_days": 1.0}


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


def draw_params(spec: SimulationSpec, runs: int, rng: np.random.Generator) -> dict[str, F64]:
    """Per-run parameter vectors, drawn in the documented order."""
    out: dict[str, F64] = {}
    for name, (_, default) in PARAMETERS.items():
        dist = spec.params.get(name)
        v = np.full(runs, default, dtype=np.float64) if dist is None else draw(dist, runs, rng)
        out[name] = np.maximum(v, _LOWER.get(name, 0.0))
    for i, shock in enumerate(spec.shocks):
        if shock.licence_delay is not None:
            out[shock_delay_key(i)] = np.maximum(draw(shock.licence_delay, runs, rng), 0.0)
    return out


def shock_delay_key(i: int) -> str:
    """Name of the per-run licence delay drawn for shock number *i*."""
    return f"licence_delay_days.shock{i}"


def is_random(spec: SimulationSpec) -> bool:
    """Whether any parameter distribution is non-fixed (runs then differ)."""
    dists = [*spec.params.values(),
             *(s.licence_delay for s in spec.shocks if s.licence_delay is not None)]
    return any(d.kind is not DistKind.fixed for d in dists)
