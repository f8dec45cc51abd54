"""Mechanism ablation: the replays' skill with a mechanism of the engine switched off.

Issue 13 asks for the skill table "before and after each mechanism". Each mechanism is
switched off through the engine's own switch (:data:`MECHANISMS`), on a copy of the
scenario's resolved :class:`~econsec.simulation.spec.SimulationSpec`, never by editing a
scenario:

* ``prices`` - the price stage (:mod:`econsec.simulation.prices`): ``spec.prices = False``,
  so every good's price index stays 1.0 and nothing responds to it (price outcomes are then
  simulated as no change);
* ``adaptation`` - induced localisation (:mod:`econsec.simulation.adaptation`):
  ``localisation_share`` fixed at 0;
* ``anticipation`` - front-loading between announcement and effect: ``frontload_days``
  fixed at 0;
* ``transit`` - shipping time (:mod:`econsec.simulation.transit`): ``transit_scale`` fixed
  at 0, goods arrive the day they ship (departures equal arrivals);
* ``return`` - buyers moving back to the pre-shock suppliers after a lift:
  ``return_days`` fixed at infinity (never);
* ``licence_spread`` - licence delays spread over the shipments of a run
  (:mod:`econsec.simulation.licence_delays`): ``spec.licence_spread = False``, so each
  licensing shock's delay is one value drawn per run for every shipment (the behaviour
  before the mechanism: exports sit at zero, then jump to the whole approved flow);
* ``border_refusal`` - a ban refusing what waits in the licence pipeline when it takes
  effect (:func:`econsec.simulation.step.refuse_at_border`): ``spec.border_refusal =
  False``, so that content is still released after the ban starts.

A parameter fixed by the switch draws no random numbers; where a scenario drew it from a
distribution (``return_days`` in ``chn_ree_japan_2010``), the parameters drawn after it
take other random numbers than in the scenario as shipped (documented draw order,
:mod:`econsec.simulation.params`), so that row of the ablation also differs by sampling.
The ``licence_spread`` switch does not: licence delays are drawn after every parameter,
so the parameters' draws are the same with and without it.
:func:`econsec.policy.skill.ablation_table` scores the replays under each configuration of
:func:`ablation_configs`. A switch whose parameter no replay sets (localisation,
front-loading) leaves the table unchanged: the mechanism exists but no replay has a sourced
value for it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from econsec.simulation.spec import DistKind, ParamDist, SimulationSpec

#: mechanism -> the parameter value that switches it off, or the spec's boolean switch
#: (a field of :class:`~econsec.simulation.spec.SimulationSpec` set to False)
MECHANISMS: dict[str, tuple[str, float] | str] = {
    "prices": "prices",
    "adaptation": ("localisation_share", 0.0),
    "anticipation": ("frontload_days", 0.0),
    "transit": ("transit_scale", 0.0),
    "return": ("return_days", math.inf),
    "licence_spread": "licence_spread",
    "border_refusal": "border_refusal",
}


def check_mechanisms(names: Sequence[str]) -> tuple[str, ...]:
    """*names* checked against :data:`MECHANISMS` (ValueError naming the known ones)."""
    unknown = sorted(set(names) - set(MECHANISMS))
    if unknown:
        raise ValueError(f"unknown mechanism(s) {unknown}; known: {list(MECHANISMS)}")
    return tuple(dict.fromkeys(names))


def switch_off(spec: SimulationSpec, names: Sequence[str]) -> SimulationSpec:
    """A copy of *spec* with the mechanisms *names* switched off (module docstring)."""
    params = dict(spec.params)
    switched: set[str] = set()
    for name in check_mechanisms(names):
        off = MECHANISMS[name]
        if isinstance(off, str):
            switched.add(off)
        else:
            params[off[0]] = ParamDist(DistKind.fixed, (off[1],))
    # each switch is a boolean field of the spec, True as shipped: off is False
    fields: dict[str, Any] = dict.fromkeys(switched, False)
    return dataclasses.replace(spec, params=MappingProxyType(params), **fields)


def ablation_configs(names: Sequence[str] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(label, switched off) of the ablation: none, each of *names* (default: every
    mechanism) in turn, then all of them."""
    chosen = check_mechanisms(list(MECHANISMS) if names is None else names)
    out: list[tuple[str, tuple[str, ...]]] = [("none", ()), *((n, (n,)) for n in chosen)]
    if len(chosen) > 1:
        out.append(("all", chosen))
    return out

