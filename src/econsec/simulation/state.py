"""The state of all Monte Carlo runs of a chunk, what one step moved, and the per-run
parameters the step reads.

Arrays are stored item-major, ``[node, run]`` (N), ``[slot, run]`` (S), ``[flow, run]`` (F),
with the index sets of :class:`~econsec.simulation.network_arrays.Baseline`. Rates are USD bn
per day of base-year value; stocks (inventories, shipments in transit) are USD bn. The step
rule that advances a :class:`State` is :mod:`econsec.simulation.step`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from econsec.simulation.prices import PriceRule
    from econsec.simulation.shipments import Shipments
    from econsec.simulation.transit import Transit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class State:
    """Mutable state of all runs (a scenario's copy; the Baseline is never changed)."""

    day: float
    step: int
    ramp: F64  # [N, R] share of spare capacity on line
    demand: F64  # [N, R] demand of the last step D(t-1)
    output: F64  # [N, R] output of the last step (rate)
    availability: F64  # [N, R] rho of the last step
    inventory: F64  # [S, R] USD bn on hand
    share: F64  # [F, R] sourcing shares (sum to 1 per slot)
    pipeline: F64  # [L, K, R] licensed shipments in transit by arrival step (ring buffer)
    #: (K,) open share of each licence-pipeline flow at the last step (bans only), which
    #: the step compares with today's to refuse pipeline content at the border
    #: (:func:`econsec.simulation.step.refuse_at_border`); None: the mechanism is off
    lic_open: F64 | None = None
    # --- prices (econsec.simulation.prices) ---
    #: [2 G, R] price index per good (1.0 = pre-shock), international market then home
    #: market (:data:`econsec.simulation.prices.MARKETS`); empty: no price stage
    price: F64 = field(default_factory=lambda: np.ones((0, 0)))
    # --- transit (econsec.simulation.transit) ---
    #: [L, T, R] shipments on the way by arrival step (ring buffer); empty: no transit
    transit: F64 = field(default_factory=lambda: np.zeros((0, 0, 0)))


@dataclass(frozen=True)
class StepFlows:
    """What moved during one step (amounts, USD bn): the ledger of conservation.

    The per-flow amounts ``shipped`` and ``arrived`` ([F, R]) are computed on access (the
    step itself only needs their sums); ``arrived_at(flows)`` gives a few flows' arrivals.
    ``output``, ``final`` and ``substituted`` too are formed on access, from the step's
    rates (*output_rate* ``y``, *need* ``c_q y_j dt``) and ``dt``.
    """

    output_rate: F64 = field(repr=False)  # [N, R] output rate y
    received: F64  # [S, R] arrived at buyers (immediate + out of the pipeline, after transit)
    used: F64  # [S, R] drawn from inventory by production
    need: F64 = field(repr=False)  # [S, R] input need of the output
    into_pipeline: F64  # [R] entered the licence pipeline
    out_of_pipeline: F64  # [R] left the licence pipeline
    moves: Shipments = field(repr=False)
    #: [R] entered and left transit (:mod:`econsec.simulation.transit`; zeros without it)
    into_transit: F64 = field(default_factory=lambda: np.zeros(1))
    out_of_transit: F64 = field(default_factory=lambda: np.zeros(1))
    #: [R] refused at the border: licence-pipeline content of flows a ban closed this step
    #: (it stays with the exporter, outside the modelled trade; ``refuse_at_border``)
    refused: F64 = field(default_factory=lambda: np.zeros(1))

    @property
    def output(self) -> F64:
        """[N, R] produced, ``y dt``."""
        return self.output_rate * self.moves.dt

    @property
    def final(self) -> F64:
        """[N, R] delivered to final demand, ``f0 phi_use dt``."""
        return self.moves.f0 * self.moves.phi_u * self.moves.dt

    @property
    def substituted(self) -> F64:
        """[S, R] input need met from outside the network (need less drawn from inventory)."""
        return self.need - self.used

    @property
    def shipped(self) -> F64:
        """[F, R] shipped by suppliers (arriving now, entering the licence pipeline or
        transit)."""
        return self.moves.amounts(None, arrived=False)

    @property
    def arrived(self) -> F64:
        """[F, R] arrived at the buyers per flow (immediate + out of the pipeline, after
        transit); sums to ``received`` per slot."""
        return self.moves.amounts(None, arrived=True)

    def arrived_at(self, flows: I64) -> F64:
        """[len(flows), R] arrivals of the (sorted) *flows* only."""
        return self.moves.amounts(np.asarray(flows, dtype=np.int64), arrived=True)

    def departed_at(self, flows: I64) -> F64:
        """[len(flows), R] departures of the (sorted) *flows* (after the licence pipeline,
        before transit: what the exporter's customs count)."""
        return self.moves.departed(np.asarray(flows, dtype=np.int64))


@dataclass(frozen=True)
class RunParams:
    """Per-run parameters as row vectors [1, R] (see :data:`spec.PARAMETERS`)."""

    spare: F64
    ramp_days: F64
    inventory_days: F64
    sigma: F64  # [S, R] substitutability after scaling (capped at 1)
    #: [1, R] days over which buyers close an inventory gap (``refill_days``)
    refill_days: F64
    #: [1, R] elasticity ``eps`` of re-sourcing weights to a tariff (``tariff_elasticity``)
    tariff_elasticity: F64
    #: [1, R] share of the lost share moved per step, ``min(1, dt / resourcing_days)``
    #: (None: every run moves it at once)
    resource_rate: F64 | None = None
    #: [1, R] share of the gap to the pre-shock shares closed per step once a flow is free,
    #: ``min(1, dt / return_days)`` (None: sourcing never moves back)
    return_rate: F64 | None = None
    #: [F, 1] the pre-shock shares buyers return to (the baseline's, or after a
    #: diversification lever)
    return_to: F64 | None = None
    # --- prices (econsec.simulation.prices) ---
    #: per-good elasticities, adjustment and the ``price_feedback`` switch (None: no price
    #: stage)
    prices: PriceRule | None = None
    # --- transit (econsec.simulation.transit) ---
    #: the flows that take steps to arrive and their lags (None: everything arrives the
    #: step it ships)
    transit: Transit | None = None
