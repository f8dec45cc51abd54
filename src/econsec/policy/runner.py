"""Running scenarios: the one place the policy layer calls the engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from econsec.data.world import World
    from econsec.policy.scenarios import Scenario


def run_scenario(scenario: Scenario, world: World | None = None, *, runs: int = 1,
                 seed: int = 0, progress: Callable[[float], None] | None = None,
                 cancel: threading.Event | None = None, backend: str = "local",
                 workers: int = 1, scheduler: str | None = None) -> Any:
    """Resolve *scenario* against *world* (default built-in) and simulate it; returns the
    engine's ``SimResult``. The world is read, never changed. *backend*, *workers* and
    *scheduler* choose where the chunks of runs execute (:mod:`econsec.distributed`)."""
    from econsec.data.world import load_world
    from econsec.simulation.engine import simulate

    if world is None:
        world = load_world()
    spec = scenario.to_spec(world)
    return simulate(spec, world, runs=runs, seed=seed, progress=progress, cancel=cancel,
                    backend=backend, workers=workers, scheduler=scheduler)
