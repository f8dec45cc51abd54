"""Transit as a pure delay of a shock's effect on the buyer (:mod:`econsec.simulation.transit`).

Note on the property "a longer transit never raises the buyer's availability during a
shock": it does not hold. Goods at sea when a ban starts keep landing for the lag, so a
longer transit *delays* the fall of the buyer's availability as much as it delays the
recovery after a lift. What holds exactly, where the supplier's shipments do not depend on
the buyer's state (a full ban on a two-node network without spare capacity: restocking
orders are never served), is the shift law tested here: with ``L`` days in transit the
buyer's availability on day ``t`` is its availability without transit on day ``t - L``
(1 before the start), so a longer transit never lowers the worst availability over a
horizon and never raises the availability on a day after the lift while the buyer
recovers later.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.data.transit_days import DEFAULT, transit_days
from econsec.simulation.spec import SimulationSpec
from simhelpers import START, ban, engine, params, two_node

EXAMPLES = int(os.environ.get("ECONSEC_HYPOTHESIS_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
DAYS = 50


def availability(lag: int, start: int, length: int, inventory: float, sigma: float
                 ) -> np.ndarray:
    """C's availability per day under a full ban by S on days [start, start + length) with
    *lag* days of transit (the route C-S takes the default interregional days)."""
    spec = SimulationSpec(start=START, horizon_days=DAYS,
                          shocks=(ban("S", start=start, end=start + length),))
    scale = lag / transit_days()[DEFAULT].interregional
    eng = engine(two_node(sigma=sigma), spec,
                 params(transit_scale=scale, spare_capacity=0.0, inventory_days=inventory))
    out = []
    for _ in range(DAYS):
        eng.step()
        out.append(float(eng.state.availability[0, 0]))
    return np.array(out)


@given(lag=st.integers(1, 12), start=st.integers(0, 10), length=st.integers(1, 25),
       inventory=st.floats(0.5, 15.0), sigma=st.floats(0.0, 0.9))
@SETTINGS
def test_transit_shifts_the_buyers_availability_by_the_lag(
        lag: int, start: int, length: int, inventory: float, sigma: float) -> None:
    plain = availability(0, start, length, inventory, sigma)
    late = availability(lag, start, length, inventory, sigma)
    np.testing.assert_allclose(late[:lag], 1.0)
    np.testing.assert_allclose(late[lag:], plain[:DAYS - lag], rtol=1e-12, atol=1e-12)
    assert late.min() >= plain.min() - 1e-12  # never a deeper trough over the horizon
