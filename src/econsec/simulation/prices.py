"""Market price index per traded good, driven by the shortage of consumption, and its feedback
on quantities.

One price index ``P_h`` per good ``h`` (1.0 = pre-shock), shared by every buyer and supplier
of the good: the documented outcomes are world reference prices of a good (gallium in
Rotterdam, neodymium metal), and the engine's goods are homogeneous commodities whose
suppliers differ by origin, not by quality. (A price per (good, supplier economy) would need
an Armington price system the outcomes cannot check; a segmented market, e.g. the gap
between China's domestic gallium price and Rotterdam's under export controls, is therefore
not represented: the index is the world market's.)

**The market.** A competitive world market for a storable commodity: consumption
``C(P) = C0 P^-eps_d``, flow supply ``S(P) = S0 P^eps_s``, short-run elasticities from
estimates (``data/price_elasticities.csv``). The market is every buyer of the good in the
world: the use of every input slot buying ``h`` and the final demand of every node making
``h``, the producer economy's own buyers included (China's own gallium users count in the
market as much as Japan's), so a control cutting part of one producer's exports is a
shortage share of *world* consumption, not of the refused buyers' orders.

**Shortage** (stage 4b of :mod:`econsec.simulation.step`, after distribution). Per good and
run, consumption wanted at the pre-shock price against what reached consumers::

    C_h = sum_{q: good h} u_q + sum_{i: good h} f0_i
    A_h = sum_{q: good h} min(received_q / dt, u_q) + sum_{i: good h} f0_i phi_use_i
    z_h = ln(C_h / max(A_h, 1e-3 C_h))     (0 where C_h = 0 or z_h <= PRICE_TOL)

``u_q = c_q p_j`` is the slot's use order (its consumption; not its restocking order) and
``min(received_q / dt, u_q)`` the part of its arrivals that meets it: restocking is neither
counted as demand nor, when it arrives, as supply to consumption, so a buyer refilling its
stock is not new consumption and its refill orders do not raise the price (restocking
orders, ``(T_q - I_q) / refill_days``, balloon once stocks are drawn although consumption
did not rise). Orders refused by controls, rationed by suppliers or late in the licence
pipeline lower ``A_h``; ``0 <= A_h <= C_h`` so ``z_h >= 0`` (1e-3 bounds it when nothing
arrives at all). The index is a scarcity index: a surplus (a demand collapse) is not
priced, since the engine produces to orders and holds no unsold output.

**Price** (partial adjustment to the market-clearing price of the shortage). With the
constant-elasticity curves, the price at which consumption ``C0 P^-eps_d`` equals the supply
left ``A P^eps_s`` is ``ln P* = ln(C0 / A) / (eps_d + eps_s)`` - the "virtual price" of the
rationed quantity (Neary & Roberts 1980, European Economic Review 13(1) 25-42) - and the
market price moves toward it with time constant ``tau`` (``adjustment_days``): Nerlove's
partial adjustment (Nerlove 1958, The Dynamics of Supply). Integrated exactly over a step of
``dt`` days with ``z_h`` held::

    ln P*_h = z_h / (eps_d,h + eps_s,h)
    ln P_h(t + dt) = ln P*_h + (ln P_h(t) - ln P*_h) exp(-dt / tau_h)

For small ``dt / tau`` this is ``d ln P / dt = (ln P* - ln P) / tau``. A constant shortage
gives a constant price after the adjustment: ``ln P -> z / (eps_d + eps_s)``, with no drift;
the price falls back to 1 once consumption is served again (``z = 0``).

*Inventories.* Stocks smooth consumption, not the price of a lasting cut: in the competitive
storage model (Deaton & Laroque 1992, Review of Economic Studies 59(1) 1-23; Williams &
Wright 1991, Storage and Commodity Markets) and in Pindyck's two-market account (Pindyck
2001, Energy Journal 22(3) 1-29: a cash market and a market for storage, where the
convenience yield rises as inventories fall below their desired level) holders release
stocks only at a price that reflects the scarcity they expect, so a persistent cut is priced
by the flow shortage while the stocks are drawn. The index therefore reads the flow
(arrivals against consumption), not the stock drawn from inventory. A separate
convenience-yield term (a premium as stocks fall below target) is not added: no published
sensitivity of the spot premium to inventories was found for these goods, and for a lasting
cut it would count the same scarcity twice. What this leaves out: a *temporary* cut met from
ample stocks moves the real price less than the index (the model has no expectation of a
shock's duration), and restocking after a cut does not hold the price up.

**Feedback** (run parameter ``price_feedback``, 0 or 1; default 0: see below). At the next
step, demand for good ``h`` is scaled by ``P_h^-eps_d`` - use coefficients ``c_q`` of the
slots buying ``h`` (substitution in use and thrift: orders *and* input needs fall, the rest
being met from outside the network as with ``sigma``) and final demand ``f0`` of the nodes of
``h`` (demand destruction) - and the capacity of a supplier of ``h`` on line by
``P_h^eps_s``, within its spare-capacity ceiling: ``cap = min(cap P^eps_s, cap_max)`` (idle
capacity, stock release). With feedback the measured ``z`` is the shortage left after the
quantities have responded, so the price settles where the remaining shortage's virtual price
equals it (a partial, not full, market clearing: the engine still rations what the price
does not clear). Without feedback (the default) the quantities do not respond and the index
is the price that would clear the measured shortage with the elasticities. Feedback is off
by default because the elasticities are transferred from another market (no short-run
estimate was found for the replays' goods: ``data/price_elasticities.csv`` gives each
value's basis); the price index is computed either way.

Without shocks ``A_h = C_h`` up to rounding (``z = 0`` under :data:`PRICE_TOL`), so
``P = 1`` exactly and the feedback scales by ``1^x = 1``: the baseline stays a steady state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from econsec.simulation.kernels import take_rows

if TYPE_CHECKING:
    from econsec.data.price_elasticities import PriceElasticity
    from econsec.simulation.network_arrays import Baseline

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: numerical tolerance, not a model parameter: a log excess-demand ratio this close to 0
#: (rounding in the sums of a steady state) moves no price
PRICE_TOL = 1e-9
#: consumption met below this share of consumption counts as this share (bounds ``z`` at
#: ln 1000; a numerical bound, not a model parameter)
MIN_SUPPLY = 1e-3


@dataclass(frozen=True, eq=False)
class PriceRule:
    """Per-good elasticities and adjustment and the index sets the price stage reads.

    *eps_d*, *eps_s*, *decay* (``exp(-dt / tau)``) are [G, 1]; *feedback* is [1, R] (0 or 1
    per run)."""

    slot_good: I64  # (S,) input good of each slot
    node_good: I64  # (N,) output good of each node
    eps_d: F64
    eps_s: F64
    decay: F64
    feedback: F64
    by_slot: sp.csr_matrix  # [G, S] 0/1: sums over the slots of each good
    by_node: sp.csr_matrix  # [G, N] 0/1

    @property
    def n_goods(self) -> int:
        return len(self.eps_d)

    @property
    def any_feedback(self) -> bool:
        return bool(self.feedback.any())

    @classmethod
    def of(cls, base: Baseline, table: dict[str, PriceElasticity], default: str,
           feedback: F64, dt: float) -> PriceRule:
        """The rule for the goods of *base* (rows of *table* by good id, *default* for the
        others) with per-run *feedback* ([1, R], each 0 or 1) and steps of *dt* days."""
        if not np.isin(feedback, (0.0, 1.0)).all():
            raise ValueError(f"price_feedback must be 0 (off) or 1 (on), got "
                             f"{sorted(set(np.ravel(feedback).tolist()))}")
        rows = [table.get(g, table[default]) for g in base.goods]
        g = len(rows)

        def col(v: list[float]) -> F64:
            return np.asarray(v, dtype=np.float64)[:, None]

        def ones(index: I64) -> sp.csr_matrix:
            n = len(index)
            return sp.csr_matrix((np.ones(n), (index, np.arange(n))), shape=(g, n))

        return cls(slot_good=base.slot_good, node_good=base.node_good,
                   eps_d=col([r.demand for r in rows]), eps_s=col([r.supply for r in rows]),
                   decay=np.exp(-dt / col([r.adjustment_days for r in rows])),
                   feedback=np.asarray(feedback, dtype=np.float64),
                   by_slot=ones(base.slot_good), by_node=ones(base.node_good))


def excess_demand(rule: PriceRule, use: F64, f0: F64, received: F64, phi_u: F64, dt: float
                  ) -> F64:
    """[G, R] log shortage ratio ``z_h`` (module docstring) of the use orders *use* [S, R]
    (consumption; not restocking), final demand *f0* [N, R], arrivals *received* [S, R]
    (amounts over *dt* days, of which only up to the use order counts) and the use rationing
    *phi_u* [N, R]."""
    wanted = np.asarray(rule.by_slot @ use) + np.asarray(rule.by_node @ f0)
    met = received / dt if dt != 1.0 else received.copy()
    np.minimum(met, use, out=met)
    got = np.asarray(rule.by_slot @ met) + np.asarray(rule.by_node @ (f0 * phi_u))
    return log_ratio(wanted, got)


def log_ratio(demand: F64, supply: F64) -> F64:
    """``ln(D / max(S, MIN_SUPPLY D))``, 0 where ``D <= 0`` or within :data:`PRICE_TOL`
    (``S <= D`` in the price stage, so the result is ``>= 0`` there)."""
    floor = np.maximum(supply, MIN_SUPPLY * demand)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(demand > 0, np.log(demand / floor), 0.0)
    z[np.abs(z) <= PRICE_TOL] = 0.0
    return np.asarray(z, dtype=np.float64)


def adjust(price: F64, z: F64, rule: PriceRule) -> F64:
    """The price index after one step: ``ln P' = ln P* + (ln P - ln P*) exp(-dt / tau)``
    with ``ln P* = z / (eps_d + eps_s)`` ([G, R])."""
    target = z / (rule.eps_d + rule.eps_s)
    log_p = np.log(price)
    log_p -= target
    log_p *= rule.decay
    log_p += target
    return np.asarray(np.exp(log_p), dtype=np.float64)


def update_prices(price: F64, rule: PriceRule, use: F64, f0: F64, received: F64,
                  phi_u: F64, dt: float) -> F64:
    """Stage 4b: the new price index [G, R] (see :func:`excess_demand`, :func:`adjust`)."""
    return adjust(price, excess_demand(rule, use, f0, received, phi_u, dt), rule)


def demand_response(coef: F64, f0: F64, price: F64, rule: PriceRule) -> tuple[F64, F64]:
    """Use coefficients (per slot) and final demand (per node) scaled by ``P^-eps_d`` of
    their good in the runs with feedback (*coef* and *f0* themselves without feedback or
    while every price is 1)."""
    if not rule.any_feedback or not (price != 1.0).any():
        return coef, f0
    scale = np.power(price, -rule.eps_d * rule.feedback)  # [G, R]; P^0 = 1 without feedback
    return coef * take_rows(scale, rule.slot_good), f0 * take_rows(scale, rule.node_good)


def supply_response(cap: F64, price: F64, cap_max: F64, rule: PriceRule) -> F64:
    """Capacity on line ``min(cap P^eps_s, cap_max)`` in the runs with feedback ([N, R];
    *cap* itself without feedback or while every price is 1)."""
    if not rule.any_feedback or not (price != 1.0).any():
        return cap
    scale = np.power(price, rule.eps_s * rule.feedback)
    return np.minimum(cap * take_rows(scale, rule.node_good), cap_max)
