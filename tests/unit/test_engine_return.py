"""Sourcing after a shock is lifted: sticky by default, back to the pre-shock shares over
``return_days`` (hand-worked on the three-node network: C buys h 75 % from S1, 25 % from S2)."""

from __future__ import annotations

import numpy as np
import pytest

from econsec.simulation.engine import Engine
from econsec.simulation.spec import SimulationSpec
from simhelpers import START, ban, engine, params, three_node


def _engine(return_days: list[float] | None, end: int = 3, runs: int = 2) -> Engine:
    spec = SimulationSpec(start=START, horizon_days=20, shocks=(ban("S1", 0, end),))
    prm = params(runs=runs, spare_capacity=10.0)  # headroom for every order
    if return_days is not None:
        prm["return_days"] = np.array(return_days, dtype=float)
    return engine(three_node(), spec, prm)


def test_sourcing_stays_moved_after_a_lift_by_default() -> None:
    eng = _engine(None)
    for _ in range(3):  # days 0-2 banned: S1's share moves to S2 at once
        eng.step()
    np.testing.assert_allclose(eng.state.share[:, 0], [0.0, 1.0])
    for _ in range(5):
        eng.step()
    np.testing.assert_allclose(eng.state.share, [[0.0, 0.0], [1.0, 1.0]])


def test_return_days_bring_sourcing_back_after_the_lift() -> None:
    eng = _engine([0.0, 4.0])
    for _ in range(3):
        eng.step()
    np.testing.assert_allclose(eng.state.share, [[0.0, 0.0], [1.0, 1.0]])
    eng.step()  # day 3, the first without the ban
    # run 0 returns at once; run 1 closes a quarter of S1's gap to 0.75 each day
    np.testing.assert_allclose(eng.state.share[:, 0], [0.75, 0.25])
    np.testing.assert_allclose(eng.state.share[:, 1], [0.1875, 0.8125])
    eng.step()
    np.testing.assert_allclose(eng.state.share[:, 1], [0.328125, 0.671875])
    for _ in range(40):
        eng.step()
    np.testing.assert_allclose(eng.state.share[:, 1], [0.75, 0.25], atol=1e-5)
    np.testing.assert_allclose(eng.state.share.sum(axis=0), 1.0, rtol=1e-12)


def test_no_return_while_the_shock_lasts() -> None:
    eng = _engine([0.0, 0.0], end=10)
    for _ in range(6):
        eng.step()
        np.testing.assert_allclose(eng.state.share, [[0.0, 0.0], [1.0, 1.0]])
    # and the output of C is the same as without return_days while the ban lasts
    ref = _engine(None, end=10)
    for _ in range(6):
        ref.step()
    assert eng.state.output[:, 0] == pytest.approx(ref.state.output[:, 0], rel=1e-12)


def test_return_goes_to_the_diversified_shares() -> None:
    from econsec.simulation.spec import Diversification

    # before the shock C moves half of S1's 0.75 to S2: 0.375 / 0.625 are its shares
    lever = Diversification(frozenset({"C"}), frozenset({"h"}), "S1", 0.5)
    spec = SimulationSpec(start=START, horizon_days=20, shocks=(ban("S1", 0, 3),),
                          levers=(lever,))
    prm = params(runs=1, spare_capacity=10.0)
    prm["return_days"] = np.array([0.0])
    eng = engine(three_node(), spec, prm)
    np.testing.assert_allclose(eng.state.share[:, 0], [0.375, 0.625])
    for _ in range(4):
        eng.step()
    np.testing.assert_allclose(eng.state.share[:, 0], [0.375, 0.625])
