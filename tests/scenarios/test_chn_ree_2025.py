"""chn_ree_2025 beyond its scored outcomes: the licence windows spread over the shipments
of every run (econsec.simulation.licence_delays), and what they imply by hand for the first
licences and for the months before and after the last one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simhelpers import shipped_run

RUNS, SEED = 20, 0
pytestmark = pytest.mark.shares("shared_runs")  # shipped_run: the session's runs


def result() -> Any:
    return shipped_run("chn_ree_2025", RUNS, SEED).result  # shared with test_replays.py


def level(first: int, last: int, good: str, supplier: str, buyer: str | None) -> Any:
    """(R,) departures of *good* from *supplier* (to *buyer*, else to every controlled
    buyer) over days first..last, over their pre-shock rate (departures: the licence
    releases them; they arrive after the days at sea, data/transit_days.csv)."""
    keys, vals = result().trade_in_window(first, last, departed=True)
    sel = (keys["good"] == good).to_numpy() & (keys["supplier"] == supplier).to_numpy()
    sel &= (keys["buyer"] == buyer).to_numpy() if buyer else keys["shocked"].to_numpy()
    return vals[:, sel].sum(axis=1) / keys["baseline"].to_numpy()[sel].sum()


def test_licences_are_released_over_the_documented_windows() -> None:
    # the windows are spread over the shipments, not drawn per run: no delay columns
    assert not [c for c in result().params if c.startswith("licence_delay_days.")]
    # everyone else: first licences late April (26 Apr = day 22) to 30 Jun (day 87), each
    # whole day of 22..87 a 1/66 share of a day's approved shipments. Day 0's orders are
    # the steady state's (the pre-shock flow, all approved), so by hand Germany is shipped
    # nothing on day 21 and 1/66 of its pre-shock rate on day 22, in every run (shipped)
    np.testing.assert_array_equal(level(21, 21, "ndfeb_magnets", "CHN", "DEU"), 0.0)
    np.testing.assert_allclose(level(22, 22, "ndfeb_magnets", "CHN", "DEU"), 1 / 66,
                               rtol=1e-6)  # recorded as float32
    # US customers: a US electronics firm's suppliers (week before 9 Jun 2025, day 59) to
    # 30 Jun (day 87): 1/29 of the pre-shock rate on day 59, nothing before
    np.testing.assert_array_equal(level(58, 58, "ndfeb_magnets", "CHN", "USA"), 0.0)
    np.testing.assert_allclose(level(59, 59, "ndfeb_magnets", "CHN", "USA"), 1 / 29,
                               rtol=1e-6)


def test_no_magnets_reach_the_us_in_may_and_all_flow_again_in_july() -> None:
    # start 4 Apr 2025 = day 0: May is days 27..57, July days 88..118. The earliest US
    # licence is day 59, so by hand nothing leaves for the US in May in any run (-100%); the latest
    # is day 87 and nothing is refused (approval 1.0), so every run's July departures are at
    # least the pre-shock rate (buyers refill the stocks drawn down while they waited)
    may, july = level(27, 57, "ndfeb_magnets", "CHN", "USA"), level(88, 118, "ndfeb_magnets",
                                                                      "CHN", "USA")
    np.testing.assert_array_equal(may, np.zeros(RUNS))
    assert (july >= 1.0 - 1e-9).all()


def test_the_rare_earth_basket_is_never_held_back() -> None:
    # licensed with no delay and no refusal: China's rare-earth exports never fall below
    # their pre-shock rate in any month of the licence period, in any run
    for first, last in ((27, 57), (58, 87), (88, 118)):
        assert (level(first, last, "rare_earth_processing", "CHN", None) >= 1.0 - 1e-9).all()
