"""The compiled re-sourcing kernels (econsec.simulation.fused_resourcing): a hand-worked
slot, and the one-run kernel against the kernel of several runs, bit for bit, in each of
its paths (plain, allied sharing, capped flows with a re-sourcing rate, tariff wedges, in
place). The step-level comparisons with the numpy stage and the reference rule are in
test_fused.py and test_step_kernels.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from econsec.simulation import fused_resourcing as fr

#: no allied sharing (not read then); *capped* and *dest_open* are read by the kernel of
#: several runs whatever *plain* says, so the cases give them for every flow, as the step does
NO_BOOL = np.zeros(1, dtype=np.bool_)


def call(slots: np.ndarray, slot_ptr: np.ndarray, src: np.ndarray, a: dict[str, Any],
         out: np.ndarray, *, in_place: bool = False) -> bool:
    """resource_slots with the arrays of *a* (runs = their second axis)."""
    share_w = a["share"] if in_place else out
    return bool(fr.resource_slots(
        fr.SlotsAtRisk(slots, slot_ptr, src),
        fr.StepArrays(a["share"], a["g"], a["phi_u"], a["phi_r"], a["use"], a["refill"],
                      a["o_q"], a["head"], a["short_r"]),
        fr.FlowRules(a["sp_pos"], a["sp_rate"], a["capped"], a["dest_open"], a["wedge"],
                     a["has_wedge"], a["ramp"], a["restricted"], a["rate"], a["has_rate"],
                     a["plain"]),
        fr.Allies(a["sup"], a["buy"], a["allied"]),
        fr.Written(out, in_place, share_w, share_w, False, np.zeros(0), out, False)))


def one_slot(head1: float) -> dict[str, Any]:
    """One slot, two flows of share 1/2; supplier 0 serves half its orders (phi_use 0.5)
    and has no headroom, supplier 1 serves all and has *head1*; use orders 1, no refill."""
    col = np.array([[0.5], [0.5]])
    return {"share": col.copy(), "g": col.copy(), "phi_u": np.array([[0.5], [1.0]]),
            "phi_r": np.ones((2, 1)), "use": np.ones((1, 1)), "refill": np.zeros((1, 1)),
            "o_q": np.ones((1, 1)), "sp_pos": np.full(2, -1, dtype=np.int64),
            "sp_rate": np.zeros((0, 1)), "capped": np.zeros(2, dtype=np.bool_),
            "dest_open": np.ones(2), "wedge": np.ones((1, 1)), "has_wedge": False,
            "ramp": np.ones(1), "head": np.array([[0.0], [head1]]),
            "restricted": np.zeros(1, dtype=np.bool_),
            "short_r": np.array([[True], [False]]), "sup": NO_BOOL, "buy": NO_BOOL,
            "allied": False, "rate": np.ones(1), "has_rate": False, "plain": True}


@pytest.mark.parametrize(("head1", "want"), [
    # shipped 0.5 x 0.5 = 0.25 of orders 1: flow 0 loses 0.5 - 0.25 = 0.25; flow 1 (weight
    # 2, room for all of it) gains 0.25 / 2 x 2 = 0.25
    (2.0, [0.25, 0.75]),
    # room 0.1 < need 0.25: cut 0.1 / 0.25 = 0.4, flow 0 loses 0.25 x 0.4 = 0.1, flow 1
    # gains (0.25 x 0.4) / 0.1 x 0.1 = 0.1
    (0.1, [0.4, 0.6]),
])
def test_one_slot_by_hand(head1: float, want: list[float]) -> None:
    ptr = np.array([0, 2], dtype=np.int64)
    src = np.array([0, 1], dtype=np.int64)
    for runs in (1, 2):  # the one-run kernel and the kernel of several runs
        a = {k: (np.repeat(v, runs, axis=1) if isinstance(v, np.ndarray) and v.ndim == 2
                 and k not in ("sp_rate", "wedge") else v) for k, v in one_slot(head1).items()}
        a["rate"], a["ramp"] = np.ones(runs), np.ones(runs)
        out = np.empty((2, runs))
        assert call(np.array([0], dtype=np.int64), ptr, src, a, out)
        np.testing.assert_allclose(out, np.repeat(np.array(want)[:, None], runs, axis=1),
                                   rtol=0, atol=1e-15)


def random_case(runs: int, seed: int, path: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """A random network of 40 nodes and 300 slots of 1-12 flows, [item, runs] arrays."""
    rng = np.random.default_rng(seed)
    n, s = 40, 300
    count = rng.integers(1, 13, s)
    ptr = np.r_[0, np.cumsum(count)].astype(np.int64)
    f = int(ptr[-1])
    src = np.concatenate([rng.choice(n, c, replace=False) for c in count]).astype(np.int32)
    share = rng.random((f, runs))
    share /= np.repeat(np.add.reduceat(share, ptr[:-1], axis=0), count, axis=0)
    share[rng.random((f, runs)) < 0.05] = 0.0
    use = rng.uniform(0.5, 2.0, (s, runs))
    use[rng.random((s, runs)) < 0.05] = 0.0
    refill = np.where(rng.random((s, runs)) < 0.5, rng.uniform(0, 1, (s, runs)), 0.0)
    head = np.where(rng.random((n, runs)) < 0.3, 0.0, rng.uniform(0, 1, (n, runs)))
    phi_u = np.where(rng.random((n, runs)) < 0.5, 1.0, rng.uniform(0.3, 1.0, (n, runs)))
    a: dict[str, Any] = {
        "share": share, "g": share * rng.choice([1.0, 0.7], (f, 1)), "phi_u": phi_u,
        "phi_r": rng.uniform(0.2, 1.0, (n, runs)), "use": use, "refill": refill,
        "o_q": use + refill, "sp_pos": np.full(f, -1, dtype=np.int64),
        "sp_rate": np.zeros((0, runs)), "capped": np.zeros(f, dtype=np.bool_),
        "dest_open": np.ones(f),
        "wedge": np.ones((1, 1)), "has_wedge": False, "ramp": np.full(runs, 0.1),
        "head": head, "restricted": rng.random(s) < 0.1, "short_r": phi_u < 1.0,
        "sup": NO_BOOL, "buy": NO_BOOL, "allied": False, "rate": np.ones(runs),
        "has_rate": False, "plain": True}
    if path == "allied":
        a.update(sup=rng.random(f) < 0.5, buy=rng.random(s) < 0.5, allied=True)
    elif path == "capped_rate":
        a.update(capped=rng.random(f) < 0.2, dest_open=rng.choice([1.0, 0.5, 0.0], f),
                 plain=False, rate=rng.uniform(0.1, 1.0, runs), has_rate=True)
    elif path == "wedge":
        a.update(wedge=rng.uniform(0.5, 1.0, (f, 1)), has_wedge=True, plain=False)
    elif path == "special":
        pos = np.full(f, -1, dtype=np.int64)
        pos[::9] = np.arange(len(pos[::9]))
        a.update(sp_pos=pos, sp_rate=rng.uniform(0, 0.5, (len(pos[::9]), runs)),
                 plain=False)
    return ptr, src, a


def column(a: dict[str, Any], r: int) -> dict[str, Any]:
    """Run *r* of the case as a one-run case (the [item, R] arrays' column *r*)."""
    per_run = ("share", "g", "phi_u", "phi_r", "use", "refill", "o_q", "sp_rate", "head",
               "short_r")
    b = dict(a)
    for k in per_run:
        b[k] = np.ascontiguousarray(a[k][:, r:r + 1])
    b["rate"], b["ramp"] = a["rate"][r:r + 1].copy(), a["ramp"][r:r + 1].copy()
    return b


@pytest.mark.parametrize("path", ["plain", "allied", "capped_rate", "wedge", "special"])
@pytest.mark.parametrize("in_place", [False, True])
def test_one_run_kernel_equals_the_kernel_of_several_runs(path: str, in_place: bool) -> None:
    runs = 3
    ptr, src, a = random_case(runs, seed=len(path), path=path)
    slots = np.flatnonzero(np.random.default_rng(9).random(len(ptr) - 1) < 0.7)
    slots = slots.astype(np.int64)
    f = int(ptr[-1])
    many = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}
    size = f if in_place else int(sum(ptr[q + 1] - ptr[q] for q in slots))
    out = np.empty((size, runs))
    moved = call(slots, ptr, src, many, out, in_place=in_place)
    got = many["share"] if in_place else out
    flows = np.concatenate([np.arange(ptr[q], ptr[q + 1]) for q in slots])
    assert moved  # the case moves shares in some run
    assert not np.array_equal(got[flows] if in_place else got, a["share"][flows])
    for r in range(runs):
        one = column(a, r)
        out1 = np.empty((size, 1))
        call(slots, ptr, src, one, out1, in_place=in_place)
        got1 = one["share"] if in_place else out1
        # bit for bit (-0 and +0 told apart)
        assert np.array_equal(got1[:, 0].view(np.int64), got[:, r].copy().view(np.int64)), r
