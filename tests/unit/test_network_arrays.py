"""Baseline arrays: assembly, output fixed point, world build."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from econsec.simulation.network_arrays import (
    Baseline,
    assemble,
    baseline_from_world,
    intermediate_demand,
)


@functools.cache
def world_baseline() -> Baseline:
    from econsec.data.world import load_world

    return baseline_from_world(load_world())


def test_assemble_sorts_nodes_with_their_market_values() -> None:
    # nodes given out of (good, economy) order: market must follow its node
    b = assemble(["A", "B"], ["g", "h"], [(1, 1), (0, 0)], np.array([0.0, 2.0]),
                 [(1, 0, 0.25, 0.0, True)], {(0, 1): [(1, 1.0)]})
    assert b.node_labels().values.tolist() == [["A", "g"], ["B", "h"]]
    np.testing.assert_allclose(b.x0, [2.0, 0.5])
    np.testing.assert_allclose(b.f0, [2.0, 0.0])


def test_output_fixed_point_takes_max_of_market_and_use() -> None:
    # h has its own market 0.2 but downstream use 0.5: x_h = max(0.2, 0.5)
    b = assemble(["A"], ["g", "h"], [(0, 0), (0, 1)], np.array([1.0, 0.2]),
                 [(1, 0, 0.5, 0.3, False)], {(0, 1): [(0, 1.0)]})
    np.testing.assert_allclose(b.x0, [1.0, 0.5])
    np.testing.assert_allclose(b.f0, [1.0, 0.0])
    assert b.slot_sigma.tolist() == [0.3] and b.slot_essential.tolist() == [False]


def test_candidates_get_zero_share_and_missing_suppliers_drop_the_slot() -> None:
    b = assemble(["A", "B", "C"], ["g", "h", "k"], [(0, 0), (1, 1), (2, 1)],
                 np.array([1.0, 0.0, 0.1]),
                 [(1, 0, 0.5, 0.0, True), (2, 0, 0.1, 0.0, True)],
                 {(0, 1): [(1, 1.0)]}, candidates={1: [2]})
    # slot for k has no supplier node: dropped; slot h has B (1.0) and candidate C (0.0)
    assert b.n_slots == 1
    assert b.share0.tolist() == [1.0, 0.0]
    assert [b.economies[e] for e in b.flow_supplier] == ["B", "C"]


def test_world_baseline_is_consistent() -> None:
    b = world_baseline()
    per_slot = np.bincount(b.flow_slot, weights=b.share0, minlength=b.n_slots)
    np.testing.assert_allclose(per_slot, 1.0, atol=1e-12)
    assert (b.f0 >= 0).all() and (b.x0 >= 0).all()
    az = intermediate_demand(b.x0, b.slot_node, b.slot_coef, b.flow_slot, b.flow_src,
                             b.share0, b.n_nodes)
    # market clearing: output = intermediate use + final demand
    np.testing.assert_allclose(b.x0, az + b.f0, rtol=1e-12, atol=1e-15)
    assert (np.diff(b.flow_slot) >= 0).all() and (np.diff(b.slot_node) >= 0).all()
    cost = np.bincount(b.slot_node, weights=b.slot_coef, minlength=b.n_nodes)
    assert cost.max() < 1.0


def test_world_smartphone_market_is_split_by_world_share() -> None:
    from econsec.data.world import load_world

    w = load_world()
    b = world_baseline()
    ix = b.node_index()
    market = float(w.goods.set_index("good_id").loc["smartphones", "market_usd_bn"])
    total = sum(b.x0[i] for (e, g), i in ix.items() if g == "smartphones")
    assert total * 365 == pytest.approx(market, rel=1e-9)


def test_baseline_from_io_two_regions() -> None:
    from econsec.simulation.network_arrays import baseline_from_io

    # 2 regions x 1 sector: Z = [[10, 20], [30, 0]] (per year), x = [100, 80]
    z = np.array([[10.0, 20.0], [30.0, 0.0]])
    b = baseline_from_io(z, np.array([100.0, 80.0]), ["A", "B"], ["s"])
    np.testing.assert_allclose(b.x0 * 365, [100.0, 80.0])
    np.testing.assert_allclose(b.f0 * 365, [70.0, 50.0])
    # node A buys 10 from A and 30 from B: one slot, shares 0.25 / 0.75, c = 0.4
    assert b.slot_node.tolist() == [0, 1]
    np.testing.assert_allclose(b.slot_coef, [0.4, 0.25])
    np.testing.assert_allclose(b.share0, [0.25, 0.75, 1.0])
    az = intermediate_demand(b.x0, b.slot_node, b.slot_coef, b.flow_slot, b.flow_src,
                             b.share0, b.n_nodes)
    np.testing.assert_allclose(az + b.f0, b.x0, rtol=1e-12)


def test_baseline_from_io_pruned_stays_closed() -> None:
    from econsec.simulation.network_arrays import baseline_from_io

    z = np.array([[10.0, 20.0], [30.0, 0.0]])
    b = baseline_from_io(z, np.array([100.0, 80.0]), ["A", "B"], ["s"], min_share=0.3)
    np.testing.assert_allclose(b.share0, [1.0, 1.0])  # A's 25% own supply is pruned
    az = intermediate_demand(b.x0, b.slot_node, b.slot_coef, b.flow_slot, b.flow_src,
                             b.share0, b.n_nodes)
    np.testing.assert_allclose(az + b.f0, b.x0, rtol=1e-10)
    assert (b.f0 >= 0).all()
