"""Baseline arrays of the simulation: nodes, input slots and supply flows.

The simulated network is product-level (economy x good), built from the supply mix
``M[c, h, t]`` of :mod:`econsec.metrics.network`:

* **node** ``i = (s, g)``: economy ``s`` producing good ``g``;
* **slot** ``q = (j, h)``: node ``j = (c, g)`` buying input good ``h`` (one per supply-graph
  edge ``h -> g``), with cost share ``c_q = w[h, g]`` (value of ``h`` per unit value of
  ``g``), substitutability ``sigma_q`` and an ``essential`` flag;
* **flow** ``k = (t, q)``: supplier node ``(t, h)`` delivering into slot ``q``, with baseline
  sourcing share ``sh0_k = M[c, h, t]``. Candidate suppliers with zero baseline share (the
  largest producers of ``h`` and any node added by an investment) are included so buyers
  can re-source to them.

Value units (documented choice): baseline output is in USD bn per day of base-year value.
A good with a market size ``V_g`` (``goods.market_usd_bn``) has node target
``m_i = V_g p[s, g] / 365`` (``p`` = world share). Goods without a market size take their
value from downstream use: node output solves the fixed point

    x = max(m, A x),   (A x)_i = sum_{k: src(k) = i} c_q(k) sh0_k x_{node(q(k))}

(iterated from ``x = m``; converges because cost shares sum below 1). A good with neither
a market size nor downstream use is given ``V_g = 1`` (USD 1 bn a year). Final demand
``f0 = x0 - A x0 >= 0`` closes the baseline, so ``x0`` is an exact steady state of the
engine (Leontief 1936 accounting; MRIO construction as in Lenzen et al. 2013, ESR 25(1)).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from econsec.metrics.network import supply_mix

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: zero-share candidate suppliers added per slot (largest producers of the input)
CANDIDATES_PER_SLOT = 5


@dataclass(frozen=True, eq=False)
class Baseline:
    """Immutable baseline arrays (a scenario works on copies; never on the World)."""

    economies: list[str]
    goods: list[str]
    node_economy: I64  # (N,) index into economies
    node_good: I64  # (N,) index into goods
    x0: F64  # (N,) baseline output, USD bn / day
    f0: F64  # (N,) final demand, USD bn / day
    slot_node: I64  # (S,) buyer node (slots sorted by node)
    slot_good: I64  # (S,) input good
    slot_coef: F64  # (S,) cost share c_q
    slot_sigma: F64  # (S,) substitutability
    slot_essential: npt.NDArray[np.bool_]  # (S,)
    flow_slot: I64  # (F,) flows sorted by slot
    flow_src: I64  # (F,) supplier node
    share0: F64  # (F,) baseline sourcing share (sums to 1 per slot)
    world_output: F64 = field(default_factory=lambda: np.zeros(0))  # (G,) per good

    @property
    def n_nodes(self) -> int:
        return len(self.x0)

    @property
    def n_slots(self) -> int:
        return len(self.slot_node)

    @property
    def n_flows(self) -> int:
        return len(self.flow_slot)

    @property
    def flow_buyer(self) -> I64:
        """Buyer economy index of each flow."""
        return self.node_economy[self.slot_node[self.flow_slot]]

    @property
    def flow_supplier(self) -> I64:
        """Supplier economy index of each flow."""
        return self.node_economy[self.flow_src]

    @property
    def flow_good(self) -> I64:
        return self.slot_good[self.flow_slot]

    def node_labels(self) -> pd.DataFrame:
        return pd.DataFrame({
            "economy": [self.economies[e] for e in self.node_economy],
            "good": [self.goods[g] for g in self.node_good],
        })

    def node_index(self) -> dict[tuple[str, str], int]:
        return {(self.economies[e], self.goods[g]): i
                for i, (e, g) in enumerate(zip(self.node_economy, self.node_good,
                                               strict=True))}

    def baseline_flows(self) -> F64:
        """z0_k = c_q sh0_k x0_j (USD bn / day)."""
        return self.slot_coef[self.flow_slot] * self.share0 * self.x0[
            self.slot_node[self.flow_slot]]


def intermediate_demand(x: F64, slot_node: I64, slot_coef: F64, flow_slot: I64,
                        flow_src: I64, share: F64, n: int) -> F64:
    """(A x)_i = sum_{k: src(k)=i} c_q(k) sh_k x_{node(q(k))}."""
    z = slot_coef[flow_slot] * share * x[slot_node[flow_slot]]
    return np.bincount(flow_src, weights=z, minlength=n).astype(np.float64)


def solve_output(m: F64, slot_node: I64, slot_coef: F64, flow_slot: I64, flow_src: I64,
                 share: F64, tol: float = 1e-14, max_iter: int = 10_000) -> F64:
    """Fixed point x = max(m, A x) by monotone iteration from x = m."""
    x = m.copy()
    n = len(m)
    for _ in range(max_iter):
        nxt = np.maximum(m, intermediate_demand(x, slot_node, slot_coef, flow_slot, flow_src,
                                                share, n))
        if np.all(np.abs(nxt - x) <= tol * np.maximum(1.0, np.abs(nxt))):
            return nxt
        x = nxt
    return x


def assemble(
    economies: list[str],
    goods: list[str],
    nodes: list[tuple[int, int]],
    market: F64,
    edges: list[tuple[int, int, float, float, bool]],
    mix: dict[tuple[int, int], list[tuple[int, float]]],
    candidates: dict[int, list[int]] | None = None,
) -> Baseline:
    """Build a :class:`Baseline` from index-level inputs.

    *nodes*: (economy, good) pairs; *market*: (N,) node market value m_i (USD bn / day);
    *edges*: (input h, output g, cost share, substitutability, essential);
    *mix*: (buyer economy, good h) -> [(supplier economy, share)], shares summing to 1;
    *candidates*: good h -> extra supplier economies with zero baseline share.
    An input with no supplier node at all (neither in the mix nor among the candidates)
    gets no slot: it is treated as bought outside the network. Nodes are sorted by
    (good, economy), *market* follows its node.
    """
    if len(set(nodes)) != len(nodes) or len(nodes) != len(market):
        raise ValueError("nodes must be distinct and match market one to one")
    order = sorted(range(len(nodes)), key=lambda i: (nodes[i][1], nodes[i][0]))
    node_market = np.asarray(market, dtype=np.float64)[order]
    nodes = [nodes[i] for i in order]
    index = {eg: i for i, eg in enumerate(nodes)}
    inputs_of: dict[int, list[tuple[int, float, float, bool]]] = {}
    for h, g, w, s, e in edges:
        inputs_of.setdefault(g, []).append((h, w, s, e))
    slot_node: list[int] = []
    slot_good: list[int] = []
    slot_coef: list[float] = []
    slot_sigma: list[float] = []
    slot_ess: list[bool] = []
    flow_slot: list[int] = []
    flow_src: list[int] = []
    share0: list[float] = []
    for j, (c, g) in enumerate(nodes):
        for h, w, s, e in sorted(inputs_of.get(g, [])):
            q = len(slot_node)
            row = dict(mix.get((c, h), []))
            suppliers = [t for t in row if (t, h) in index and row[t] > 0]
            total = sum(row[t] for t in suppliers)
            for t in (candidates or {}).get(h, []):
                if t not in row and (t, h) in index:
                    suppliers.append(t)
                    row[t] = 0.0
            if total <= 0:  # nobody supplies the mix: fall back to candidates equally
                for t in suppliers:
                    row[t] = 1.0
                total = float(len(suppliers))
            if not suppliers:  # no supplier node at all: the input stays outside the network
                continue
            slot_node.append(j)
            slot_good.append(h)
            slot_coef.append(w)
            slot_sigma.append(s)
            slot_ess.append(e)
            for t in sorted(suppliers):
                flow_slot.append(q)
                flow_src.append(index[(t, h)])
                share0.append(row[t] / total if total > 0 else 0.0)
    arr_slot_node = np.asarray(slot_node, dtype=np.int64)
    arr_coef = np.asarray(slot_coef, dtype=np.float64)
    arr_fslot = np.asarray(flow_slot, dtype=np.int64)
    arr_fsrc = np.asarray(flow_src, dtype=np.int64)
    arr_share = np.asarray(share0, dtype=np.float64)
    node_good = np.asarray([g for _, g in nodes], dtype=np.int64)
    x0 = solve_output(node_market, arr_slot_node, arr_coef, arr_fslot, arr_fsrc, arr_share)
    az = intermediate_demand(x0, arr_slot_node, arr_coef, arr_fslot, arr_fsrc, arr_share,
                             len(nodes))
    f0 = np.maximum(x0 - az, 0.0)
    world = np.bincount(node_good, weights=x0, minlength=len(goods)).astype(np.float64)
    return Baseline(
        economies=list(economies), goods=list(goods),
        node_economy=np.asarray([c for c, _ in nodes], dtype=np.int64), node_good=node_good,
        x0=x0, f0=f0,
        slot_node=arr_slot_node, slot_good=np.asarray(slot_good, dtype=np.int64),
        slot_coef=arr_coef, slot_sigma=np.asarray(slot_sigma, dtype=np.float64),
        slot_essential=np.asarray(slot_ess, dtype=np.bool_),
        flow_slot=arr_fslot, flow_src=arr_fsrc, share0=arr_share, world_output=world,
    )


#: baselines already built, per World object (a World is never mutated: frames are copied
#: by a scenario), keyed by (extra nodes, as-of year); at most BASELINES_PER_WORLD each
_BASELINES: weakref.WeakKeyDictionary[object, dict[tuple[Any, ...], Baseline]] = (
    weakref.WeakKeyDictionary())
_BASELINES_LOCK = threading.Lock()
BASELINES_PER_WORLD = 32


def baseline_from_world(
    world: object,
    extra_nodes: list[tuple[str, str]] | None = None,
    diversify: list[tuple[set[str], set[str], str, float]] | None = None,
    as_of: int | None = None,
) -> Baseline:
    """Baseline arrays of a :class:`~econsec.data.world.World`.

    *extra_nodes*: (economy, good) nodes with zero baseline output (new capacity from
    investments or levers). *diversify*: (buyers, goods, away_from, fraction): before the
    shock, buyers move *fraction* of their sourcing of those goods away from supplier
    *away_from*, to the other suppliers in proportion to their world share. *as_of*: use
    world shares and import shares up to that year (None: latest).

    Without *diversify*, the baseline is built once per world object, *extra_nodes* and
    *as_of* (every run of a scenario needs the same one; building it takes seconds) and
    shared: its arrays are read-only, so a caller that wrote into them would fail loudly.
    """
    if diversify:
        return _build_baseline(world, extra_nodes, diversify, as_of)
    key = (tuple((str(e), str(g)) for e, g in extra_nodes or ()), as_of)
    with _BASELINES_LOCK:
        found = _BASELINES.get(world, {}).get(key)
    if found is not None:
        return found
    built = _read_only(_build_baseline(world, extra_nodes, None, as_of))
    with _BASELINES_LOCK:
        per_world = _BASELINES.setdefault(world, {})
        if len(per_world) >= BASELINES_PER_WORLD:
            per_world.pop(next(iter(per_world)))
        return per_world.setdefault(key, built)


def _read_only(base: Baseline) -> Baseline:
    """*base* with every array flagged read-only (it is shared between runs)."""
    for f in fields(base):
        value = getattr(base, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return base


def _build_baseline(
    world: object,
    extra_nodes: list[tuple[str, str]] | None,
    diversify: list[tuple[set[str], set[str], str, float]] | None,
    as_of: int | None,
) -> Baseline:
    """The build behind :func:`baseline_from_world` (never cached)."""
    from econsec.data.world import World

    assert isinstance(world, World)
    goods = list(world.good_ids)
    ws = world.latest_world_shares(as_of, model=True)  # no post-shock figure; backcast
    bil = world.latest_bilateral(as_of, model=True)
    economies = sorted(set(world.economy_codes) | set(ws["economy"]) | {"ROW"})
    mixdf = supply_mix(ws, bil, economies, goods, world.latest_domestic(as_of, model=True))
    e_ix = {e: i for i, e in enumerate(economies)}
    g_ix = {g: i for i, g in enumerate(goods)}
    mix: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for b, g, s, sh in zip(mixdf["buyer"].tolist(), mixdf["good"].tolist(),
                           mixdf["supplier"].tolist(), mixdf["share"].tolist(), strict=True):
        mix.setdefault((e_ix[b], g_ix[g]), []).append((e_ix[s], float(sh)))
    share_of: dict[tuple[int, int], float] = {
        (e_ix[e], g_ix[g]): float(s)
        for g, e, s in zip(ws["good"].tolist(), ws["economy"].tolist(), ws["share"].tolist(),
                           strict=True)}
    for g in goods:  # goods without world shares: ROW
        if not any(k[1] == g_ix[g] for k in share_of):
            share_of[(e_ix["ROW"], g_ix[g])] = 1.0
    for buyers, dgoods, away, frac in diversify or []:
        for (c, h), row in mix.items():
            if economies[c] in buyers and goods[h] in dgoods:
                mix[(c, h)] = _diversify(row, e_ix[away], frac, h, share_of)
    nodes = {(s, h) for (_, h), row in mix.items() for s, sh in row if sh > 0}
    nodes |= {k for k, v in share_of.items() if v > 0}
    for e, g in extra_nodes or []:
        nodes.add((e_ix[e], g_ix[g]))
    edges_df = world.edges
    edges = [(g_ix[str(r.input)], g_ix[str(r.output)], float(r.weight),
              float(r.substitutability), bool(r.essential))
             for r in edges_df.itertuples()]
    has_use = {h for h, _, _, _, _ in edges}
    market = world.goods.set_index("good_id")["market_usd_bn"].astype(float)
    node_list = sorted(nodes, key=lambda eg: (eg[1], eg[0]))
    m = np.zeros(len(node_list))
    for i, (ei, gi) in enumerate(node_list):
        v = float(market.get(goods[gi], np.nan))
        if not np.isfinite(v):
            v = 0.0 if gi in has_use else 1.0
        m[i] = v * share_of.get((ei, gi), 0.0) / 365.0
    cands: dict[int, list[int]] = {}
    for (ei, gi), _s in sorted(share_of.items(), key=lambda kv: -kv[1]):
        if len(cands.setdefault(gi, [])) < CANDIDATES_PER_SLOT:
            cands[gi].append(ei)
    for e, g in extra_nodes or []:
        cands.setdefault(g_ix[g], []).append(e_ix[e])
    return assemble(economies, goods, node_list, m, edges, mix, cands)


def _diversify(row: list[tuple[int, float]], away: int, frac: float, h: int,
               share_of: dict[tuple[int, int], float]) -> list[tuple[int, float]]:
    """Move *frac* of supplier *away*'s share to the others (by world share)."""
    shares = dict(row)
    moved = shares.get(away, 0.0) * frac
    if moved <= 0:
        return row
    others = {e: s for (e, g), s in share_of.items() if g == h and e != away and s > 0}
    tot = sum(others.values())
    if tot <= 0:
        return row
    shares[away] -= moved
    for e, s in others.items():
        shares[e] = shares.get(e, 0.0) + moved * s / tot
    return sorted(shares.items())


def baseline_from_io(
    z: F64,
    output: F64,
    regions: list[str],
    sectors: list[str],
    *,
    min_share: float = 0.0,
    substitutability: float = 0.0,
    essential: bool = True,
) -> Baseline:
    """Engine network of a multi-regional input-output table (sector-level nodes).

    *z*: (n, n) intermediate flows, rows = supplying (region, sector), columns = using
    (region, sector), region-major (node ``r * n_sectors + s``); *output*: (n,) gross output.
    Slot ``(j, h)`` has cost share ``c = sum_t z[(t, h), j] / x_j`` and flows from every
    region ``t`` with sourcing share ``z[(t, h), j] / sum_t z[(t, h), j]``. Flows whose share
    is below *min_share* are dropped and the slot's shares renormalised (a pruned, equivalent
    network). Output ``x0 = max(x, z 1)`` (rows of a table with negative final uses are
    closed at zero final demand), final demand ``f0 = x0 - A x0``; after pruning ``x0``
    solves ``x0 = f0 + A' x0`` (Leontief 1936; Miller & Blair 2009, ch. 3) so the baseline
    stays a steady state. Values as given (e.g. USD million per year) divided by 365: rates
    per day.
    """
    zz = np.asarray(z, dtype=np.float64)
    n_s = len(sectors)
    n = zz.shape[0]
    x = np.maximum(np.asarray(output, dtype=np.float64), zz.sum(axis=1)) / 365.0
    zz = zz / 365.0
    sup, use = np.nonzero(zz)
    val = zz[sup, use]
    h = sup % n_s
    slot_key = use * n_s + h  # slots sorted by node, then input sector
    order = np.lexsort((sup, slot_key))
    sup, use, val, h, slot_key = sup[order], use[order], val[order], h[order], slot_key[order]
    keys, slot_of = np.unique(slot_key, return_inverse=True)
    slot_val = np.bincount(slot_of, weights=val)
    share = val / slot_val[slot_of]
    slot_node = (keys // n_s).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(x[slot_node] > 0, slot_val / x[slot_node], 0.0)
    f0 = x - np.bincount(sup, weights=val, minlength=n)
    keep = share >= min_share
    if not keep.all():
        sup, slot_of, share = sup[keep], slot_of[keep], share[keep]
        tot = np.bincount(slot_of, weights=share, minlength=len(keys))
        share = share / tot[slot_of]
        x = solve_output(np.maximum(f0, 0.0), slot_node, coef, slot_of, sup, share)
        x = _leontief(np.maximum(f0, 0.0), slot_node, coef, slot_of, sup, share, x)
        f0 = x - intermediate_demand(x, slot_node, coef, slot_of, sup, share, n)
    f0 = np.maximum(f0, 0.0)
    node_good = np.tile(np.arange(n_s), n // n_s).astype(np.int64)
    node_eco = np.repeat(np.arange(n // n_s), n_s).astype(np.int64)
    return Baseline(
        economies=list(regions), goods=list(sectors), node_economy=node_eco,
        node_good=node_good, x0=x, f0=f0, slot_node=slot_node,
        slot_good=(keys % n_s).astype(np.int64), slot_coef=coef,
        slot_sigma=np.full(len(keys), substitutability),
        slot_essential=np.full(len(keys), essential, dtype=np.bool_),
        flow_slot=slot_of.astype(np.int64), flow_src=sup.astype(np.int64), share0=share,
        world_output=np.bincount(node_good, weights=x, minlength=n_s).astype(np.float64))


def _leontief(f: F64, slot_node: I64, coef: F64, flow_slot: I64, flow_src: I64, share: F64,
              x: F64, tol: float = 1e-13) -> F64:
    """x = f + A x by Jacobi iteration from *x*."""
    for _ in range(5_000):
        nxt = f + intermediate_demand(x, slot_node, coef, flow_slot, flow_src, share, len(f))
        if np.all(np.abs(nxt - x) <= tol * np.maximum(1.0, np.abs(nxt))):
            return nxt
        x = nxt
    return x
