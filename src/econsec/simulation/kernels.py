"""Weighted sums over the supply flows, shared by every chunk size (bit for bit).

The step rule (:mod:`econsec.simulation.step`) needs, per run, sums over flows of a
per-flow weight ``g_k`` times a slot or node quantity:

* by supplier, ``P(g, x)_i = sum_{k: src(k) = i} g_k x_{q(k)}`` (orders -> demand);
* by input slot, ``Q(g, y)_q = sum_{k in q} g_k y_{src(k)}`` (shipments -> receipts);
* per slot, ``sum_{k in q} v_k`` (plain segment sums over the flows of a slot).

Every sum adds its terms one at a time in flow order, starting from 0, and every term is
the single rounded product ``g_k x``. Two evaluations give the same bits:

* one run (``R = 1``): ``g`` is the data of a sparse matrix with the network's structure
  (columns = slots, row indices = suppliers, flows in order), and ``P``/``Q`` are one
  sparse matrix-vector product each: one pass over the flows, no per-flow temporaries;
* several runs (``[item, run]`` arrays): the per-flow products ``g_k x`` are formed for
  all runs, then summed by a 0/1 sparse matrix in flow order (``1 * t = t`` exactly).

So a run's result does not depend on how many runs share its chunk. From step to step
most terms do not change: :meth:`FlowSums.by_source_since` and :meth:`FlowSums.by_slot_since`
keep the last sum of a series (:class:`SumMemo`) and add again, over all their flows in
order, only the sources (slots) with a flow whose weight ``g_k`` or quantity ``x`` changed
(bit for bit); the others keep their sums, which are the same bits. Plain
``np.add.reduceat`` is not used for sums: it adds long segments pairwise, in an order that
differs between one and several runs.

:class:`NodeMin` takes the minimum over some slots of each node, ``min_{q in j} x_q``
(exact in any order for numbers without NaN): the slots are gathered once, each node's
padded to a power of two by repeating its first slot (``min(a, a) = a``), and nodes of the
same width are reduced together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: a one-run weighted sum is restricted to the given slots when they are fewer than
#: 1/SPARSE of all (gathering a sub-matrix costs about a full product at 1/5 of the slots)
SPARSE = 10
#: sums of several runs are formed again only where their terms changed (False: always
#: the whole sum; the same bits either way)
INCREMENTAL = True
#: the step (weighted sums, orders, production and rationing, receipts,
#: inventories, capacity ramp, re-sourcing, share updates, the recorder's accumulators)
#: runs the compiled kernels of :mod:`econsec.simulation.fused` (False: the numpy paths;
#: the same bits)
FUSED = True
#: the compiled kernels serve steps of at least this many runs (1: every step)
FUSED_MIN_RUNS = 1
#: sets of changed sources (slots) whose sub-matrices are kept, and at most this many
#: flows over all of them (times the network's flows): on large networks where most
#: items change every step the kept sets would otherwise hold many copies of the network
PART_SETS = 256
PART_FLOWS = 4
#: above this share of the flows to sum again, the whole sum is formed (cheaper than
#: gathering a sub-matrix; the same bits)
WHOLE_ABOVE = 0.5


def use_compiled(runs: int) -> bool:
    """A step (or a stage) of *runs* runs uses the compiled kernels of
    :mod:`econsec.simulation.fused` (:data:`FUSED` and at least :data:`FUSED_MIN_RUNS`
    runs)."""
    return FUSED and runs >= FUSED_MIN_RUNS


class SumMemo:
    """The last sum of one series (``P(g, x)`` or ``Q(g, y)`` of one quantity): *stamp*
    identifies the weights it used, *x* the quantity (a copy) and *out* the result."""

    __slots__ = ("out", "stamp", "x")

    def __init__(self) -> None:
        self.stamp: object = None
        self.x: F64 | None = None
        self.out: F64 | None = None


def changed_rows(a: F64, b: F64) -> npt.NDArray[np.bool_]:
    """(items,) rows of two [item, run] arrays that differ in some run, bit for bit."""
    return np.asarray((a.view(np.int64) != b.view(np.int64)).any(axis=1), dtype=np.bool_)


#: flows, where their quantity is read, items summed into, 0/1 summing matrix
_Part = tuple[I64, I64, I64, sp.csc_matrix | sp.csr_matrix]


class FlowSums:
    """Sums over the flows of a network whose flows are sorted by slot.

    *flow_slot*, *flow_src*: (F,) slot and supplier node of each flow; *n_slots*,
    *n_nodes*: sizes of the index sets.
    """

    def __init__(self, flow_slot: I64, flow_src: I64, n_slots: int, n_nodes: int) -> None:
        f = len(flow_slot)
        self.f, self.s, self.n = f, n_slots, n_nodes
        self.flow_slot = np.asarray(flow_slot, dtype=np.int64)
        self.flow_src = np.asarray(flow_src, dtype=np.int64)
        counts = np.bincount(self.flow_slot, minlength=n_slots)
        #: (S,) flows per slot, (S + 1,) first flow of each slot (CSR/CSC pointer)
        self.slot_count = counts.astype(np.int64)
        self.src_count = np.bincount(self.flow_src, minlength=n_nodes).astype(np.int64)
        self._part_flows = 0  # flows held by the kept sub-matrices
        self.slot_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        idx = self._idx = np.int32 if max(f, n_slots, n_nodes) < 2**31 - 1 else np.int64
        ptr = self.slot_ptr.astype(idx)
        src = self._src_idx = self.flow_src.astype(idx)
        ones = np.ones(f)
        # 0/1 reductions of [F, R] arrays, adding flows in order
        self._src_ones = sp.csc_matrix((ones, src, np.arange(f + 1, dtype=idx)),
                                       shape=(n_nodes, f))
        self._slot_ones = sp.csr_matrix((ones, np.arange(f, dtype=idx), ptr),
                                        shape=(n_slots, f))
        self._bufs: dict[str, F64] = {}
        self._parts_src: dict[bytes, _Part] = {}
        self._parts_slot: dict[bytes, _Part] = {}
        #: (S, N) number of flows of slot q from node i
        self._slot_src = sp.csr_matrix((ones, src, ptr), shape=(n_slots, n_nodes))
        # one-run weighted products: same structure, data = the weights g (rebound per
        # call, never written into)
        self._by_src = sp.csc_matrix((ones, src, ptr), shape=(n_nodes, n_slots))
        self._by_slot = sp.csr_matrix((ones, src, ptr), shape=(n_slots, n_nodes))

    # -- plain sums ------------------------------------------------------------------
    def to_sources(self, x: F64) -> F64:
        """``sum_{k: src = i} x_k``, [F, R] -> [N, R] (or (F,) -> (N,))."""
        return np.asarray(self._src_ones @ x)

    def to_slots(self, x: F64) -> F64:
        """``sum_{k in q} x_k``, [F, R] -> [S, R] (or (F,) -> (S,))."""
        return np.asarray(self._slot_ones @ x)

    def slots_supplied_by(self, nodes: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """[S, R]: the slot has a flow from a node flagged in *nodes* ([N, R]) in that run."""
        return np.asarray(self._slot_src @ nodes.astype(np.float64)) > 0

    def segment_sums(self, counts: I64) -> sp.csr_matrix:
        """0/1 matrix summing consecutive segments of *counts* rows each, in order (e.g. the
        flows of some slots): ``[sum(counts), R] -> [len(counts), R]``."""
        m = int(counts.sum())
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(self._idx)
        return sp.csr_matrix((np.ones(m), np.arange(m, dtype=self._idx), ptr),
                             shape=(len(counts), m))

    # -- weighted sums ------------------------------------------------------------------
    def by_source(self, g: F64, x: F64, slots: I64 | None = None) -> F64:
        """``P(g, x)_i = sum_{k: src(k) = i} g_k x_{q(k)}``: *g* [F, R] weights, *x* [S, R]
        -> [N, R]. *slots*: the slots where ``x != 0`` (others add exact zeros: skipped)
        or None for all."""
        return self.by_source_many(g, [x], [slots])[0][0]

    def by_slot(self, g: F64, y: F64, slots: I64 | None = None) -> F64:
        """``Q(g, y)_q = sum_{k in q} g_k y_{src(k)}``: *g* [F, R] weights, *y* [N, R] ->
        [S, R]. *slots*: the only slots needed (others are returned as 0) or None."""
        return self.by_slot_many(g, [y], [slots])[0][0]

    def by_source_many(self, g: F64, xs: list[F64], slots: list[I64 | None],
                       keep: bool = False) -> tuple[list[F64], list[F64] | None]:
        """``P(g, x)`` for each *x* of *xs*; with *keep* and several runs also the gathered
        ``x_{q(k)}`` ([F, R] each; work arrays, valid until the next call), else None."""
        runs = g.shape[1]
        if runs == 1:
            g1 = g[:, 0]
            dense = [j for j, sl in enumerate(slots) if not self._sparse(sl)]
            res: dict[int, F64] = {}
            if len(dense) > 1:  # one pass for all (measured 1.5x faster than one by one)
                self._by_src.data = np.ascontiguousarray(g1)
                both = np.asarray(self._by_src @ np.column_stack([xs[j][:, 0] for j in dense]))
                res = {j: both[:, i:i + 1] for i, j in enumerate(dense)}
            return [res[j] if j in res else self._one_by_source(g1, x[:, 0], sl)[:, None]
                    for j, (x, sl) in enumerate(zip(xs, slots, strict=True))], None
        out = []
        per_flow = []
        for j, x in enumerate(xs):
            xf = np.take(x, self.flow_slot, axis=0, mode="clip",
                         out=self._buf(f"x{j}" if keep else "t", x.shape[1]))
            t = np.multiply(xf, g, out=self._buf("t", x.shape[1]))
            out.append(np.asarray(self._src_ones @ t))
            per_flow.append(xf)
        return out, per_flow if keep else None

    def by_slot_many(self, g: F64, ys: list[F64], slots: list[I64 | None],
                     keep: bool = False) -> tuple[list[F64], list[F64] | None]:
        """``Q(g, y)`` for each *y* of *ys*; with *keep* and several runs also the products
        ``g_k y_{src(k)}`` ([F, R] each), else None."""
        runs = g.shape[1]
        if runs == 1:
            g1 = g[:, 0]
            return [self._one_by_slot(g1, y[:, 0], sl)[:, None]
                    for y, sl in zip(ys, slots, strict=True)], None
        out = []
        products = []
        for j, y in enumerate(ys):
            t = np.take(y, self.flow_src, axis=0, out=self._buf(f"y{j}", y.shape[1]),
                        mode="clip")
            t *= g
            out.append(np.asarray(self._slot_ones @ t))
            products.append(t)
        return out, products if keep else None

    def by_source_since(self, g: F64, x: F64, memo: SumMemo, stamp: object,
                        g_rows: I64 | None) -> F64:
        """``P(g, x)`` ([N, R], several runs) from *memo*, the last sum of the same series:
        *g_rows* are the rows of *g* changed since the weights of ``memo.stamp`` (None:
        unknown, the whole sum is formed). Sources with a flow whose ``g_k`` or ``x_q``
        changed are summed again over all their flows in order, the others keep their sum:
        the same bits as :meth:`by_source`. *memo* then holds this sum, under *stamp*, and
        *x* itself (not to be written into afterwards). The result is the memo's array,
        read-only, updated in place by the next call."""
        return self._since(g, x, memo, stamp, g_rows, by_source=True)

    def by_slot_since(self, g: F64, y: F64, memo: SumMemo, stamp: object,
                      g_rows: I64 | None) -> F64:
        """``Q(g, y)`` ([S, R], several runs) from *memo*, as :meth:`by_source_since`: slots
        with a flow whose ``g_k`` or ``y_src`` changed are summed again."""
        return self._since(g, y, memo, stamp, g_rows, by_source=False)

    def _since(self, g: F64, x: F64, memo: SumMemo, stamp: object, g_rows: I64 | None,
               *, by_source: bool) -> F64:
        out, was = memo.out, memo.x
        # a term g_k x_i(k) of flow k is summed into item o(k) (source or slot)
        x_of, o_of = (self.flow_slot, self.flow_src) if by_source else (self.flow_src,
                                                                         self.flow_slot)
        if (g_rows is None or out is None or was is None or was is x
                or was.shape != x.shape):
            out = self._whole(g, x, by_source=by_source)
        else:
            moved = changed_rows(x, was)[x_of]
            moved[g_rows] = True
            hit = np.zeros(self.n if by_source else self.s, dtype=np.bool_)
            hit[o_of[moved]] = True
            redo = int((self.src_count if by_source else self.slot_count)[hit].sum())
            if redo > WHOLE_ABOVE * self.f:  # most flows: the whole sum
                out = self._whole(g, x, by_source=by_source)
            elif redo:
                flows, x_at, items, mat = self._part(hit, by_source=by_source)
                t = np.take(g, flows, axis=0)
                t *= np.take(x, x_at, axis=0)
                out.flags.writeable = True
                out[items] = mat @ t
        out.flags.writeable = False
        memo.stamp, memo.x, memo.out = stamp, x, out
        return out

    def _whole(self, g: F64, x: F64, *, by_source: bool) -> F64:
        """The whole weighted sum ``P(g, x)`` (or ``Q(g, x)``), a new array."""
        many = self.by_source_many if by_source else self.by_slot_many
        return many(g, [x], [None])[0][0]

    def _part(self, hit: npt.NDArray[np.bool_], *, by_source: bool) -> _Part:
        """The flows of the sources (slots) *hit*, in flow order, their slots (sources),
        those items, and the 0/1 matrix summing the flows' terms by item in flow order
        (kept for :data:`PART_SETS` sets of each kind)."""
        parts = self._parts_src if by_source else self._parts_slot
        key = hit.tobytes()
        part = parts.get(key)
        if part is None:
            if len(parts) >= PART_SETS or self._part_flows > PART_FLOWS * self.f:
                self._part_flows -= sum(len(p[0]) for p in parts.values())
                parts.clear()
            items = np.flatnonzero(hit).astype(np.int64)
            if by_source:
                flows = np.flatnonzero(hit[self.flow_src]).astype(np.int64)
                rank = (np.cumsum(hit) - 1).astype(self._idx)
                mat: sp.csc_matrix | sp.csr_matrix = sp.csc_matrix(
                    (np.ones(len(flows)), rank[self.flow_src[flows]],
                     np.arange(len(flows) + 1, dtype=self._idx)),
                    shape=(len(items), len(flows)))
            else:
                flows = self.flows_of_slots(items)
                mat = self.segment_sums(self.slot_count[items])
            x_at = np.take(self.flow_slot if by_source else self.flow_src, flows)
            part = parts[key] = (flows, x_at, items, mat)
            self._part_flows += len(flows)
        return part

    def _buf(self, name: str, runs: int) -> F64:
        """A work array [F, runs] kept between calls (valid until the next call that asks
        for *name*): no page faults from fresh allocations each step."""
        b = self._bufs.get(name)
        if b is None or b.shape[1] != runs:
            b = self._bufs[name] = np.empty((self.f, runs))
        return b

    def _sparse(self, slots: I64 | None) -> bool:
        return slots is not None and len(slots) < self.s // SPARSE

    def _one_by_source(self, g: F64, x: F64, slots: I64 | None) -> F64:
        mat = self._by_src
        if self._sparse(slots):
            assert slots is not None
            if not len(slots):
                return np.zeros(self.n)
            mat = self._sub(g, slots, csc=True)
            return np.asarray(mat @ np.ascontiguousarray(x[slots]))
        mat.data = np.ascontiguousarray(g)
        return np.asarray(mat @ np.ascontiguousarray(x))

    def _one_by_slot(self, g: F64, y: F64, slots: I64 | None) -> F64:
        mat = self._by_slot
        if self._sparse(slots):
            assert slots is not None
            out = np.zeros(self.s)
            if len(slots):
                out[slots] = self._sub(g, slots, csc=False) @ np.ascontiguousarray(y)
            return out
        mat.data = np.ascontiguousarray(g)
        return np.asarray(mat @ np.ascontiguousarray(y))

    def _sub(self, g: F64, slots: I64, *, csc: bool) -> sp.csc_matrix | sp.csr_matrix:
        """The weighted matrix restricted to *slots* (sorted): flows kept in order."""
        rows = self.flows_of_slots(slots)
        ptr = np.concatenate([[0], np.cumsum(self.slot_count[slots])]).astype(self._src_idx.dtype)
        data = np.take(g, rows)
        ind = self._src_idx[rows]
        if csc:
            return sp.csc_matrix((data, ind, ptr), shape=(self.n, len(slots)))
        return sp.csr_matrix((data, ind, ptr), shape=(len(slots), self.n))

    def flows_of_slots(self, slots: I64) -> I64:
        """(sorted) flows of the (sorted) *slots*, in flow order."""
        return ranges(self.slot_ptr[slots], self.slot_count[slots])


class NodeMin:
    """Minimum over the selected slots of each node, [S, R] -> [N, R].

    *slot_node*: (S,) node of each slot (slots sorted by node); *n_nodes*; *select*: (S,)
    slots that count (None: all). Nodes without a selected slot get the *empty* value.
    """

    def __init__(self, slot_node: I64, n_nodes: int,
                 select: npt.NDArray[np.bool_] | None = None) -> None:
        self.n = n_nodes
        slots = np.arange(len(slot_node)) if select is None else np.flatnonzero(select)
        nodes = np.asarray(slot_node, dtype=np.int64)[slots]
        counts = np.bincount(nodes, minlength=n_nodes)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        width = np.zeros(n_nodes, dtype=np.int64)
        has = counts > 0
        width[has] = 1 << np.ceil(np.log2(counts[has])).astype(np.int64)
        rows: list[I64] = []
        order: list[I64] = []
        #: (first row, nodes, width) of each group of nodes padded to the same width
        self.groups: list[tuple[int, int, int]] = []
        at = 0
        for w in np.unique(width[has]):
            members = np.flatnonzero(width == w)
            pos = np.arange(int(w))[None, :]
            own = np.where(pos < counts[members][:, None], pos, 0) + first[members][:, None]
            rows.append(slots[own.ravel()])
            order.append(members)
            self.groups.append((at, len(members), int(w)))
            at += len(members) * int(w)
        #: gathered slot rows, and the nodes in the order of the reduced rows
        self.rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self.nodes = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)

    def reduce(self, x: F64) -> F64:
        """[len(nodes), R] minimum over each node's selected slots (nodes as in
        :attr:`nodes`)."""
        return self.reduce_gathered(np.take(x, self.rows, axis=0))

    def reduce_gathered(self, g: F64) -> F64:
        """:meth:`reduce` of rows already gathered (``x[rows]``, [len(rows), R])."""
        runs = g.shape[1]
        out = np.empty((len(self.nodes), runs))
        pos = 0
        for start, n, w in self.groups:
            if w == 1:
                out[pos:pos + n] = g[start:start + n]
            else:
                np.minimum.reduce(g[start:start + n * w].reshape(n, w, runs), axis=1,
                                  out=out[pos:pos + n])
            pos += n
        return out

    def __call__(self, x: F64, empty: float = 1.0) -> F64:
        """[N, R] minimum over each node's selected slots (*empty* for nodes without)."""
        out = np.full((self.n, x.shape[1]), empty)
        out[self.nodes] = self.reduce(x)
        return out


def ranges(starts: I64, counts: I64) -> I64:
    """Concatenated integer ranges ``[starts_j, starts_j + counts_j)``, in order."""
    nz = counts > 0
    starts, counts = starts[nz], counts[nz]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    step = np.ones(total, dtype=np.int64)
    heads = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step[0] = starts[0]
    step[heads[1:]] = starts[1:] - (starts[:-1] + counts[:-1] - 1)
    return np.cumsum(step)


class SlotFlows:
    """The flows of a set of slots (sorted), in flow order: their number at once, the
    indices (:attr:`rows`) formed on first use (on large networks most sets of slots at
    risk are seen once and their flows never listed)."""

    def __init__(self, sums: FlowSums, slots: I64) -> None:
        self.slots, self._sums = slots, sums
        self.n = int(sums.slot_count[slots].sum())
        self._rows: I64 | None = None

    def __len__(self) -> int:
        return self.n

    @property
    def rows(self) -> I64:
        """(sorted) flow indices."""
        if self._rows is None:
            self._rows = self._sums.flows_of_slots(self.slots)
        return self._rows


def as_rows(rows: I64 | SlotFlows) -> I64:
    """Flow indices of *rows* (an index array or :class:`SlotFlows`)."""
    return rows.rows if isinstance(rows, SlotFlows) else rows


def take_rows(x: npt.NDArray[Any], idx: I64) -> npt.NDArray[Any]:
    """Rows *idx* of *x* (``np.take`` along axis 0: 2-3x faster than fancy indexing)."""
    return np.take(x, idx, axis=0)
