"""Figures as of a year: latest up to the year, else the nearest (earliest) figure."""

from __future__ import annotations

import pandas as pd

from econsec.data.world import load_world
from econsec.data.world_checks import as_of_rows


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "good": ["a", "a", "a", "b", "b"],
        "economy": ["X", "X", "Y", "X", "Y"],
        "share": [0.5, 0.6, 0.3, 0.9, 0.8],
        "year": [2010, 2020, 2020, 2023, 2025],
    })


def test_as_of_keeps_rows_up_to_the_year_or_the_earliest_year() -> None:
    out = as_of_rows(frame(), ["good"], 2015)
    # good a: the 2010 row only; good b has nothing up to 2015: its earliest year (2023)
    assert sorted(zip(out["good"], out["year"], strict=True)) == [("a", 2010), ("b", 2023)]
    out = as_of_rows(frame(), ["good"], 2024)
    assert sorted(zip(out["good"], out["year"], strict=True)) == [
        ("a", 2010), ("a", 2020), ("a", 2020), ("b", 2023)]
    assert len(as_of_rows(frame(), ["good"], None)) == 5


def test_no_good_is_lost_to_row_when_modelling_an_early_year() -> None:
    world = load_world()
    goods = set(world.world_shares["good"])
    for year in (2010, 2019):
        ws = world.latest_world_shares(year)
        assert set(ws["good"]) == goods
    # Korea's DRAM fabs exist in a 2019 model (shares first measured after 2019)
    ws = world.latest_world_shares(2019)
    kor = ws[(ws["good"] == "dram") & (ws["economy"] == "KOR")]
    assert len(kor) == 1 and kor["share"].iloc[0] > 0.5
