"""Where Monte Carlo chunks run: an executor protocol with a local (processes) and a Dask
backend (:mod:`econsec.distributed.executors`).

The package knows nothing of the simulation: it runs a picklable function on a shared
object (shipped to each worker once) and one small payload per job, and hands back the
results as jobs complete. The engine (:func:`econsec.simulation.engine.simulate`) keeps
the parameter draws and the placement of each chunk's records, so results are identical
bytes whatever the backend, the worker count or the chunking. Imports are lazy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BACKENDS", "BackendError", "ChunkFailed", "Executor", "open_executor"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from econsec.distributed import executors

        return getattr(executors, name)
    raise AttributeError(name)
