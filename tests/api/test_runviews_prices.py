"""The dashboard's price table (:func:`econsec.api.runviews.price_moves`), by hand."""

from __future__ import annotations

import pandas as pd

from econsec.api.runviews import price_moves


def test_price_moves_lists_each_moving_market_with_its_peak_and_last_day() -> None:
    # gallium abroad: 1 -> 2.5 -> 1.8 (peak 2.5 on day 2, last 1.8); at home it stays 1
    # (not listed); germanium abroad dips to 0.9 (a move: peak is the largest departure
    # from 1, here below it) and ends at 1.0
    rows = []
    for day, ga, ge in (("2023-08-01", 1.0, 1.0), ("2023-08-02", 2.5, 0.9),
                        ("2023-08-03", 1.8, 1.0)):
        rows += [{"good": "gallium", "market": "international", "date": day,
                  "price_index_p50": ga},
                 {"good": "gallium", "market": "home", "date": day, "price_index_p50": 1.0},
                 {"good": "germanium", "market": "international", "date": day,
                  "price_index_p50": ge}]
    got = price_moves(pd.DataFrame(rows))
    assert got.to_dict("records") == [
        {"good": "gallium", "market": "international", "peak_p50": 2.5,
         "peak_date": "2023-08-02", "last_p50": 1.8},
        {"good": "germanium", "market": "international", "peak_p50": 0.9,
         "peak_date": "2023-08-02", "last_p50": 1.0}]
    # a run stored before prices were kept, or with no price moving: no rows
    assert price_moves(None).empty
    assert price_moves(pd.DataFrame(rows[1::3])).empty  # gallium at home only: flat
