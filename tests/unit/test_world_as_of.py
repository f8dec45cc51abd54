"""Figures as of a year: a query uses years <= Y only (else a named error giving the first
year); a model baseline backcasts a good's earliest figure, flagged, and skips post-shock
rows (observed_after)."""

from __future__ import annotations

import pandas as pd
import pytest

from econsec.data.world import load_world
from econsec.data.world_checks import NoFigureForYear, as_of_rows, first_years_after


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "good": ["a", "a", "a", "b", "b"],
        "economy": ["X", "X", "Y", "X", "Y"],
        "share": [0.5, 0.6, 0.3, 0.9, 0.8],
        "year": [2010, 2020, 2020, 2023, 2025],
    })


def test_query_rows_are_of_the_year_or_earlier_only() -> None:
    out = as_of_rows(frame(), ["good"], 2015)
    # good a: the 2010 row only; good b (first measured 2023) has no row up to 2015
    assert sorted(zip(out["good"], out["year"], strict=True)) == [("a", 2010)]
    out = as_of_rows(frame(), ["good"], 2024)
    assert sorted(zip(out["good"], out["year"], strict=True)) == [
        ("a", 2010), ("a", 2020), ("a", 2020), ("b", 2023)]
    assert len(as_of_rows(frame(), ["good"], None)) == 5
    assert first_years_after(frame(), ["good"], 2015) == {"b": 2023}
    assert first_years_after(frame(), ["good"], 2023) == {}


def test_model_rows_backcast_the_earliest_year_flagged() -> None:
    out = as_of_rows(frame(), ["good"], 2015, earliest=True)
    got = sorted(zip(out["good"], out["year"], out["backcast"], strict=True))
    assert got == [("a", 2010, False), ("b", 2023, True)]


def test_no_later_figure_answers_an_earlier_year() -> None:
    world = load_world()
    # gallium: USGS MCS 2022 is the earliest edition, its first year is 2020
    with pytest.raises(NoFigureForYear, match=r"gallium \(first: 2020\)"):
        world.latest_world_shares(2019, goods=["gallium"])
    for year in (2020, 2021, 2022, 2023, 2024):
        ws = world.latest_world_shares(year, goods=["gallium"])
        assert set(ws["year"]) == {year}
    # the latest up to 2030 is 2024, never a year above the one asked
    assert set(world.latest_world_shares(2030, goods=["gallium"])["year"]) == {2024}
    for year in (2021, 2022, 2023, 2024):
        bil = world.latest_bilateral(year)
        assert (bil["year"] <= year).all()


def test_a_model_keeps_every_good_for_an_early_year() -> None:
    world = load_world()
    goods = set(world.world_shares["good"])
    for year in (2010, 2019):
        ws = world.latest_world_shares(year, model=True)
        assert set(ws["good"]) == goods
        backcast = ws[ws["backcast"].fillna(False).astype(bool)]
        assert (backcast["year"] > year).all()  # flagged, every later figure
        assert not ws.loc[ws["year"] > year, "backcast"].eq(False).any()
    # Korea's DRAM fabs exist in a 2019 model (shares first measured after 2019)
    ws = world.latest_world_shares(2019, model=True)
    kor = ws[(ws["good"] == "dram") & (ws["economy"] == "KOR")]
    assert len(kor) == 1 and kor["share"].iloc[0] > 0.5


def test_post_shock_import_shares_are_kept_but_never_a_model_baseline() -> None:
    world = load_world()
    marked = world.bilateral[world.bilateral["observed_after"].notna()]
    # Korea's photoresist imports of Jan-May 2020, after Japan's July 2019 controls
    pr = marked[(marked["importer"] == "KOR") & (marked["good"] == "photoresist_euv")]
    assert set(pr["year"]) == {2020, 2021}
    assert set(pr["observed_after"]) == {"jpn_kor_2019_fluorides"}
    query = world.latest_bilateral(2020)
    q = query[(query["importer"] == "KOR") & (query["good"] == "photoresist_euv")]
    assert set(q["year"]) == {2020}  # a fact: a query for 2020 sees it
    model = world.latest_bilateral(2020, model=True)
    m = model[(model["importer"] == "KOR") & (model["good"] == "photoresist_euv")]
    assert set(m["year"]) == {2019}  # a model starts from the pre-shock figure
    # gallium trade of 2023 on follows China's licensing of 1 Aug 2023
    ga = world.bilateral[(world.bilateral["good"] == "gallium")
                         & (world.bilateral["dataset"].notna())]
    assert (ga.loc[ga["year"] >= 2023, "observed_after"] == "chn_2023_gallium_germanium").all()
    assert ga.loc[ga["year"] < 2023, "observed_after"].isna().all()


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


def test_backcast_goods_name_the_later_year_standing_in() -> None:
    world = load_world()
    # independently: the built-in world's microcontroller shares begin with 2021 and its
    # rare-earth mining shares with 2010 (USGS MCS 2011, for the 2010 replay): read off
    # the table directly
    ws = world.world_shares
    first = ws.groupby("good")["year"].min()
    assert int(first["microcontrollers"]) == 2021 and int(first["rare_earth_mining"]) == 2010
    late = world.backcast_goods(2020)
    assert late["microcontrollers"] == 2021 and "rare_earth_mining" not in late
    # every good first measured after the year is named, with its first year, and no other
    for year in (2010, 2020):
        expected = {str(g): int(y) for g, y in first.items() if y > year}
        assert world.backcast_goods(year) == expected
    assert world.backcast_goods(None) == {}
    assert world.backcast_goods(int(first.max())) == {}


def test_a_view_formed_once_is_handed_out_as_a_copy() -> None:
    """World keeps each latest-figure view it formed; a caller that writes into its copy
    changes nothing the next caller gets, and a query that raised is asked again."""
    import dataclasses

    world = dataclasses.replace(load_world())  # a World of its own: no views formed yet
    first = world.latest_world_shares(2022, goods=["gallium"])
    china = float(first.loc[first["economy"] == "CHN", "share"].iloc[0])
    first["share"] = -1.0  # the caller's copy only
    again = world.latest_world_shares(2022, goods=["gallium"])
    assert again is not first
    assert float(again.loc[again["economy"] == "CHN", "share"].iloc[0]) == china
    assert (again["share"] > 0).all()
    bil = world.latest_bilateral(2022)
    bil.drop(bil.index, inplace=True)
    assert len(world.latest_bilateral(2022)) > 0
    for _ in range(2):  # raised both times: a failed view is never kept
        with pytest.raises(NoFigureForYear):
            world.latest_world_shares(2019, goods=["gallium"])
