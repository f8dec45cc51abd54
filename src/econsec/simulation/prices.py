"""Market price index per traded good, driven by the shortage of consumption, and its feedback
on quantities.

Two price indices per good ``h`` (1.0 = pre-shock): the **international** market's ``P_h``
and the **home** market's ``H_h`` of the economies whose exports of ``h`` are held back. The
engine's goods are homogeneous commodities whose suppliers differ by origin, not by quality,
so while trade is free one market clears every buyer of ``h`` and the two indices are one.
An export control splits it: what the controlling economy does not ship cannot reach buyers
abroad, so arbitrage across its border stops and the international price (Rotterdam's
gallium, Europe's antimony, dysprosium outside China: the prices the replays' outcomes
assess) prices the shortage of the buyers outside, while the controlling economy's own
buyers, served first by its producers, pay a home price. That is what the price reports of
every episode show: under China's 2023 licensing gallium in Rotterdam rose 114 % by
mid-December (Fastmarkets, 15 Dec 2023) while China's domestic price was expected to fall as
the curbs kept supply at home (SMM via Bloomberg, 14 Jul 2023); in January 2025 antimony in
Europe stood 57 % above September's while China's domestic price had fallen 10.5 % (Argus
via Reuters, 20 Jan 2025); in April 2025 dysprosium and terbium outside China tripled while
China's domestic prices stayed flat and the spread between home and abroad widened (SMM,
2025).

**The markets.** An economy ``e`` is a home market of good ``h`` while some flow of ``h``
from ``e`` is held back (a ban, licensing refusals or delays, a quota: ``open_k < 1``, a cap
or licensing; a tariff alone is a wedge on price, not a closed border, and splits nothing).
The buyers of ``h`` in those economies (input slots of their nodes, final demand of their
nodes of ``h``) form the home market; every other buyer of ``h`` is in the international
market. Several economies holding back the same good are pooled in one home market. Without
such a flow the home market of ``h`` is empty and both indices follow the international
(world) market. Each market is a competitive market for a storable commodity: consumption
``C(P) = C0 P^-eps_d``, flow supply ``S(P) = S0 P^eps_s``, short-run elasticities from
estimates (``data/price_elasticities.csv``), the same in both markets. The home market's
index is a scarcity index like the other: the glut that lowers a controlling economy's
domestic price (its producers' output that can no longer be exported) is not priced, since
the engine produces to orders and holds no unsold output, so ``H_h`` stays near 1 where the
real home price fell (documented, not modelled).

**Shortage** (stage 4b of :mod:`econsec.simulation.step`, after distribution). Per good,
market ``m`` (international or home) and run, consumption wanted at the pre-shock price
against what reached consumers::

    C_h^m = sum_{q: good h, buyer in m} u_q + sum_{i: good h, in m} f0_i
    A_h^m = sum_{q: good h, buyer in m} min(received_q / dt, u_q)
            + sum_{i: good h, in m} f0_i phi_use_i
    z_h^m = ln(C_h^m / max(A_h^m, 1e-3 C_h^m))     (0 where C = 0 or z <= PRICE_TOL)

and ``z_h^home = z_h^int`` for a good no economy holds back (one market). The exports a
controlling economy does ship (approved licences, what a quota lets through) are arrivals of
the international market's buyers, so they count in its ``A_h``.

``u_q = c_q p_j`` is the slot's use order (its consumption; not its restocking order) and
``min(received_q / dt, u_q)`` the part of its arrivals that meets it: restocking is neither
counted as demand nor, when it arrives, as supply to consumption, so a buyer refilling its
stock is not new consumption and its refill orders do not raise the price (restocking
orders, ``(T_q - I_q) / refill_days``, balloon once stocks are drawn although consumption
did not rise). Orders refused by controls, rationed by suppliers or late in the licence
pipeline lower ``A_h``; ``0 <= A_h <= C_h`` so ``z_h >= 0`` (1e-3 bounds it when nothing
arrives at all). The index is a scarcity index: a surplus (a demand collapse) is not
priced, since the engine produces to orders and holds no unsold output.

**Price** (partial adjustment to the market-clearing price of the shortage; each market's
index from its own ``z``, written ``z_h`` below). With the
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
value's basis); the price index is computed either way. Each buyer and supplier responds to
its own market's index (a supplier in a home market to the home index).

**Layout.** The indices are one array ``[2 G, R]``: row ``h`` the international index of good
``h``, row ``G + h`` its home index (:data:`MARKETS`); a slot or node reads row
``good + G x home`` (:class:`Markets`).

**Evaluation.** :func:`excess_demand` and :func:`adjust` state the stage in numpy (sparse
0/1 sums per good); with ``kernels.FUSED`` :func:`update_prices_fused`
forms the same numbers by compiled passes of :mod:`econsec.simulation.fused` around
numpy's ``log`` and ``exp`` (tests/unit/test_fused.py compares the two bit for bit). Both
take the log only where it can pass :data:`PRICE_TOL` and ``log``/``exp`` only where a
price can move (:data:`LOG_NEAR`; ``P = 1`` with target 0 stays exactly 1).

Without shocks ``A_h = C_h`` up to rounding (``z = 0`` under :data:`PRICE_TOL`), so
``P = 1`` exactly and the feedback scales by ``1^x = 1``: the baseline stays a steady state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from econsec.simulation import kernels
from econsec.simulation.kernels import take_rows
from econsec.simulation.spec import ShockKind

if TYPE_CHECKING:
    from econsec.data.price_elasticities import PriceElasticity
    from econsec.simulation.controls import FlowControls
    from econsec.simulation.network_arrays import Baseline

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: numerical tolerance, not a model parameter: a log excess-demand ratio this close to 0
#: (rounding in the sums of a steady state) moves no price
PRICE_TOL = 1e-9
#: consumption met below this share of consumption counts as this share (bounds ``z`` at
#: ln 1000; a numerical bound, not a model parameter)
MIN_SUPPLY = 1e-3
#: a ratio within this of 1 has ``|ln x| < 1.0001e-10 < PRICE_TOL``: its log is not taken
LOG_NEAR = 1e-10


#: the two markets of every good, in the order of the index's rows (module docstring)
MARKETS = ("international", "home")
#: the measures that hold a good back and so make its imposers a home market (a tariff does not)
HOLDING_BACK = frozenset({ShockKind.ban, ShockKind.licensing, ShockKind.quota})


@dataclass(frozen=True)
class Markets:
    """Who is in a home market while some exports are held back (module docstring).

    *slot_home* [S, 1] and *node_home* [N, 1] are 1.0 for the buyers (input slots, final
    demand and supply of nodes) in a home market of their good, else 0.0; *split* (G,) the
    goods with a home market; *slot_row* (S,) and *node_row* (N,) each one's row of the
    ``[2 G, R]`` index (``good + G x home``)."""

    slot_home: F64
    node_home: F64
    split: npt.NDArray[np.bool_]
    slot_row: I64
    node_row: I64


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
    slot_eco: I64  # (S,) economy of each slot's buyer
    node_eco: I64  # (N,) economy of each node
    flow_good: I64  # (F,) good of each flow
    flow_eco: I64  # (F,) economy of each flow's supplier
    n_economies: int
    #: the markets of the last controls seen (:meth:`markets`): (controls, markets)
    memo: list[object] = field(default_factory=list, compare=False, repr=False)

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
                   by_slot=ones(base.slot_good), by_node=ones(base.node_good),
                   slot_eco=base.node_economy[base.slot_node], node_eco=base.node_economy,
                   flow_good=base.slot_good[base.flow_slot], flow_eco=base.flow_supplier,
                   n_economies=len(base.economies))

    def markets(self, ctl: FlowControls) -> Markets | None:
        """The home markets under the controls *ctl*: economy ``e`` is a home market of
        good ``h`` while a flow of ``h`` from ``e`` is banned, refused, capped or licensed
        (``open < 1``, a cap, ``licensed``); None while no flow is held back (one market per
        good). The last answer is kept: controls change on event days only."""
        if self.memo and self.memo[0] is ctl:
            return self.memo[1]  # type: ignore[return-value]
        held = (ctl.open != 1.0) | ctl.capped | ctl.licensed
        found: Markets | None = None
        if held.any():
            g = self.n_goods
            pair = np.zeros(self.n_economies * g, dtype=np.bool_)
            pair[self.flow_eco[held] * g + self.flow_good[held]] = True
            slot_home = pair[self.slot_eco * g + self.slot_good]
            node_home = pair[self.node_eco * g + self.node_good]
            found = Markets(slot_home=slot_home.astype(np.float64)[:, None],
                            node_home=node_home.astype(np.float64)[:, None],
                            split=np.asarray(pair.reshape(self.n_economies, g).any(axis=0)),
                            slot_row=self.slot_good + g * slot_home,
                            node_row=self.node_good + g * node_home)
        self.memo[:] = [ctl, found]
        return found


def excess_demand(rule: PriceRule, use: F64, f0: F64, received: F64, phi_u: F64, dt: float,
                  mk: Markets | None = None) -> tuple[F64, F64]:
    """[G, R] log shortage ratios ``z_h`` (module docstring) of the international and the
    home market, of the use orders *use* [S, R] (consumption; not restocking), final demand
    *f0* [N, R], arrivals *received* [S, R] (amounts over *dt* days, of which only up to
    the use order counts) and the use rationing *phi_u* [N, R]; *mk*: the markets (None:
    one market per good, both ratios the same)."""
    met = received / dt if dt != 1.0 else received.copy()
    np.minimum(met, use, out=met)
    final = f0 * phi_u
    if mk is None:
        z = log_ratio(np.asarray(rule.by_slot @ use) + np.asarray(rule.by_node @ f0),
                      np.asarray(rule.by_slot @ met) + np.asarray(rule.by_node @ final))
        return z, z

    def market(s_in: F64, n_in: F64) -> F64:
        return log_ratio(np.asarray(rule.by_slot @ (use * s_in))
                         + np.asarray(rule.by_node @ (f0 * n_in)),
                         np.asarray(rule.by_slot @ (met * s_in))
                         + np.asarray(rule.by_node @ (final * n_in)))

    z_int = market(1.0 - mk.slot_home, 1.0 - mk.node_home)
    z_home = market(mk.slot_home, mk.node_home)
    z_home[~mk.split] = z_int[~mk.split]
    return z_int, z_home


def log_ratio(demand: F64, supply: F64) -> F64:
    """``ln(D / max(S, MIN_SUPPLY D))``, 0 where ``D <= 0`` or within :data:`PRICE_TOL`
    (``S <= D`` in the price stage, so the result is ``>= 0`` there)."""
    floor = np.maximum(supply, MIN_SUPPLY * demand)
    # the log only where it can pass the tolerance: within LOG_NEAR of 1 it is below
    # PRICE_TOL and reads 0 either way (the same numbers, fewer logs)
    z = np.zeros(np.shape(demand))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = demand / floor
        np.log(ratio, out=z, where=(demand > 0) & ~(np.abs(ratio - 1.0) <= LOG_NEAR))
    z[np.abs(z) <= PRICE_TOL] = 0.0
    return z


def adjust(price: F64, z: F64, rule: PriceRule) -> F64:
    """The price index after one step: ``ln P' = ln P* + (ln P - ln P*) exp(-dt / tau)``
    with ``ln P* = z / (eps_d + eps_s)`` ([G, R])."""
    target = z / (rule.eps_d + rule.eps_s)
    # where P = 1 and the target is 0, P' = exp((0 - 0) decay + 0) = 1 exactly: the log and
    # the exponential are taken only elsewhere (the same numbers)
    moving = (target != 0.0) | (price != 1.0)
    out = np.ones(np.shape(price))
    if not moving.any():
        return out
    log_p = np.zeros(np.shape(price))
    np.log(price, out=log_p, where=moving)
    log_p -= target
    log_p *= rule.decay
    log_p += target
    np.exp(log_p, out=out, where=moving)
    return out


def update_prices(price: F64, rule: PriceRule, use: F64, f0: F64, received: F64,
                  phi_u: F64, dt: float, mk: Markets | None = None) -> F64:
    """Stage 4b: the new indices [2 G, R] of both markets (see :func:`excess_demand`,
    :func:`adjust`; layout in the module docstring) under the markets *mk*."""
    g = rule.n_goods
    if kernels.use_compiled(use.shape[1]):
        return update_prices_fused(price, rule, use, f0, received, phi_u, dt, mk)
    z_int, z_home = excess_demand(rule, use, f0, received, phi_u, dt, mk)
    return np.concatenate([adjust(price[:g], z_int, rule), adjust(price[g:], z_home, rule)])


def update_prices_fused(price: F64, rule: PriceRule, use: F64, f0: F64, received: F64,
                        phi_u: F64, dt: float, mk: Markets | None = None) -> F64:
    """:func:`update_prices` by compiled passes (:mod:`econsec.simulation.fused_prices`:
    ``market_sums``, ``shortage_ratio``, ``price_targets``, ``price_relax``, term for
    term) around numpy's ``log`` and ``exp`` (the same bits as the numpy stage)."""
    from econsec.simulation import fused_prices

    demand, supply = market_sums_of(rule, use, f0, received, phi_u, dt, mk)
    ratio, need = fused_prices.shortage_ratio(demand, supply, MIN_SUPPLY, LOG_NEAR)
    z = np.zeros(ratio.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(ratio, out=z, where=need)
    target, moving, anywhere = fused_prices.price_targets(
        z, np.zeros(0, dtype=np.bool_) if mk is None else mk.split, mk is not None,
        (rule.eps_d + rule.eps_s)[:, 0], price, PRICE_TOL)
    out = np.ones(price.shape)
    if not anywhere:
        return out
    log_p = np.zeros(price.shape)
    np.log(price, out=log_p, where=moving)
    fused_prices.price_relax(log_p, target, rule.decay[:, 0])
    np.exp(log_p, out=out, where=moving)
    return out


def market_sums_of(rule: PriceRule, use: F64, f0: F64, received: F64, phi_u: F64,
                   dt: float, mk: Markets | None = None) -> tuple[F64, F64]:
    """Consumption ``C`` and what met it ``A`` ([M, G, R]; M = 1 market per good without
    *mk*, else 2: international, home) by
    :func:`econsec.simulation.fused_prices.market_sums`."""
    from econsec.simulation.fused_prices import market_sums

    if mk is None:
        slot_w, node_w = np.ones((1, len(rule.slot_good))), np.ones((1, len(rule.node_good)))
    else:
        slot_w = np.stack([1.0 - mk.slot_home[:, 0], mk.slot_home[:, 0]])
        node_w = np.stack([1.0 - mk.node_home[:, 0], mk.node_home[:, 0]])
    return market_sums(use, f0, received, phi_u, dt, rule.slot_good, rule.node_good,
                       slot_w, node_w, rule.n_goods)


def demand_response(coef: F64, f0: F64, price: F64, rule: PriceRule,
                    mk: Markets | None = None) -> tuple[F64, F64]:
    """Use coefficients (per slot) and final demand (per node) scaled by ``P^-eps_d`` of
    their good in their market (*mk*; None: the international market) in the runs with
    feedback (*coef* and *f0* themselves without feedback or while every price is 1)."""
    if not rule.any_feedback or not (price != 1.0).any():
        return coef, f0
    eps = np.concatenate([rule.eps_d, rule.eps_d])
    scale = np.power(price, -eps * rule.feedback)  # [2G, R]; P^0 = 1 without feedback
    s_row = rule.slot_good if mk is None else mk.slot_row
    n_row = rule.node_good if mk is None else mk.node_row
    return coef * take_rows(scale, s_row), f0 * take_rows(scale, n_row)


def supply_response(cap: F64, price: F64, cap_max: F64, rule: PriceRule,
                    mk: Markets | None = None) -> F64:
    """Capacity on line ``min(cap P^eps_s, cap_max)`` at the index of the node's market
    (*mk*; None: international) in the runs with feedback ([N, R]; *cap* itself without
    feedback or while every price is 1)."""
    if not rule.any_feedback or not (price != 1.0).any():
        return cap
    eps = np.concatenate([rule.eps_s, rule.eps_s])
    scale = np.power(price, eps * rule.feedback)
    n_row = rule.node_good if mk is None else mk.node_row
    return np.minimum(cap * take_rows(scale, n_row), cap_max)
