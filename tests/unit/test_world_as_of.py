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


# --- the query rule: year <= Y only, never a later year (issue 14, item 1) ---------------


def test_exposure_before_the_first_figure_names_the_first_year() -> None:
    import pytest

    from econsec import analysis
    from econsec.analysis.names import EmptyAnswerError

    world = load_world()
    first = int(min(world.world_shares["year"].min(), world.bilateral["year"].min()))
    with pytest.raises(EmptyAnswerError, match=f"first figures are of {first}"):
        analysis.exposure("KOR", world=world, year=1990)
    hf = [world.world_shares.loc[world.world_shares["good"] == "hydrogen_fluoride", "year"],
          world.bilateral.loc[world.bilateral["good"] == "hydrogen_fluoride", "year"]]
    hf_first = int(min(s.min() for s in hf if len(s)))
    assert hf_first > 2010  # the built-in world's HF figures start after 2010
    with pytest.raises(EmptyAnswerError, match=f"first figures are of {hf_first}"):
        analysis.exposure("KOR", good="hydrogen_fluoride", world=world, year=2010)
    with pytest.raises(EmptyAnswerError, match="first figures"):
        analysis.exposure("KOR", good="hydrogen_fluoride", world=world, year=2010, tiers="all")


def test_exposure_never_uses_a_later_year() -> None:
    from econsec import analysis

    world = load_world()
    for tiers in ("direct", "all"):
        out = analysis.exposure("KOR", world=world, year=2016, tiers=tiers)
        assert len(out) > 0
        if "year" in out.columns:
            assert out["year"].max() <= 2016
        # goods first measured after 2016 are left out, and a note says so
        assert any("no figures up to 2016" in n for n in out.attrs["notes"])
    direct = analysis.exposure("KOR", world=world, year=2016)
    later = set(world.world_shares.loc[world.world_shares["year"] <= 2016, "good"]) | set(
        world.bilateral.loc[(world.bilateral["year"] <= 2016)
                            & (world.bilateral["importer"] == "KOR"), "good"])
    assert set(direct["good"]) <= later


def test_source_trade_without_the_goods_codes_is_an_error() -> None:
    import pytest

    from econsec import analysis
    from econsec.analysis.names import EmptyAnswerError

    world = load_world()
    flows = pd.DataFrame({"year": [2022], "exporter": ["JPN"], "importer": ["KOR"],
                          "product": ["010121"], "value": [5.0]})  # live horses only
    with pytest.raises(EmptyAnswerError, match="no imports by KOR of the HS codes"):
        analysis.exposure("KOR", good="hydrogen_fluoride", world=world, source="trade",
                          flows=flows, dataset="test")


def test_self_sufficiency_keeps_members_listed_only_in_older_figures() -> None:
    from econsec import analysis

    world = load_world()
    ws = world.world_shares[world.world_shares["good"] == "cathode_ncm"]
    latest = ws[ws["year"] == ws["year"].max()]
    old = ws[(ws["year"] < ws["year"].max()) & ws["economy"].isin(["JPN", "KOR", "TWN", "USA"])]
    # hand calculation: the latest set lists CHN 0.9 only, remainder 0.1; the 2016 figure
    # lists JPN 0.136 and KOR 0.083 (sum 0.219 > 0.1): scaled into the remainder, 0.1
    assert set(latest["economy"]) == {"CHN"} and abs(latest["share"].sum() - 0.9) < 1e-12
    assert abs(old["share"].sum() - 0.219) < 1e-12
    out = analysis.self_sufficiency("CHIP4", world)
    row = out[out["good"] == "cathode_ncm"].iloc[0]
    assert abs(row["world_share"] - 0.1) < 1e-9
    assert row["self_sufficiency"] > 0
