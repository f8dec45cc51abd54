"""Dynamic simulation of export controls and coercion over the supply network.

``econsec.simulation.run(spec, world=None, runs=1, rng=0)`` (same function as
:func:`econsec.simulation.engine.simulate`; ``rng``: a ``numpy.random.Generator``, an int
seed or None, ``seed=`` is an alias) returns a
:class:`~econsec.simulation.results.SimResult`. Imports are lazy (no work at import time).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SimResult", "run", "simulate"]


def __getattr__(name: str) -> Any:
    if name in ("run", "simulate"):
        from econsec.simulation import engine

        return getattr(engine, name)
    if name == "SimResult":
        from econsec.simulation.results import SimResult

        return SimResult
    raise AttributeError(name)
