"""chn_ree_2025 beyond its scored outcomes: the licence dates drawn per run, and what they
imply by hand for the months before and after the last licence."""

from __future__ import annotations

from typing import Any

import numpy as np

from simhelpers import shipped_run

RUNS, SEED = 20, 0


def result() -> Any:
    return shipped_run("chn_ree_2025", RUNS, SEED).result  # shared with test_replays.py


def level(first: int, last: int, good: str, supplier: str, buyer: str | None) -> Any:
    """(R,) arrivals of *good* from *supplier* (to *buyer*, else to every controlled buyer)
    over days first..last, over their pre-shock rate."""
    keys, vals = result().trade_in_window(first, last)
    sel = (keys["good"] == good).to_numpy() & (keys["supplier"] == supplier).to_numpy()
    sel &= (keys["buyer"] == buyer).to_numpy() if buyer else keys["shocked"].to_numpy()
    return vals[:, sel].sum(axis=1) / keys["baseline"].to_numpy()[sel].sum()


def test_licence_delays_are_drawn_per_run_within_the_documented_dates() -> None:
    params = result().params
    us, rest = params["licence_delay_days.shock0"], params["licence_delay_days.shock1"]
    assert len(set(us.tolist())) == RUNS and len(set(rest.tolist())) == RUNS
    # US customers: a US electronics firm's suppliers (week before 9 Jun 2025) to 30 Jun
    assert us.min() >= 59 and us.max() <= 87
    # everyone else: first licences late April (26 Apr = day 22) to 30 Jun (day 87)
    assert rest.min() >= 22 and rest.max() <= 87


def test_no_magnets_reach_the_us_in_may_and_all_flow_again_in_july() -> None:
    # start 4 Apr 2025 = day 0: May is days 27..57, July days 88..118. The earliest US
    # licence is day 59, so by hand nothing arrives in May in any run (-100%); the latest
    # is day 87 and nothing is refused (approval 1.0), so every run's July arrivals are at
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
