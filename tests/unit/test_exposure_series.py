"""Exposure as a yearly series (``exposure_series``, ``econsec exposure --years``) and good
groups (``group_shares``, ``econsec world --shares --group``), on the tiny fixture world.

The tiny world (tests/fixtures/tiny_world) holds one year, 2024: KOR imports chem from JPN
0.9 and CHN 0.1; world shares ore CHN 1.0, chem JPN 0.8 / CHN 0.2, chip KOR 0.6 / JPN 0.4,
phone CHN 0.5 / KOR 0.5; the phone market is USD 100 bn; cost shares ore->chem 0.5,
chem->chip 0.2, chip->phone 0.4. A copy adds KOR's 2022 import shares of chem: JPN 0.6,
CHN 0.4.

Series of KOR on CHN, by hand (figures of year <= Y only):
* 2021: no figure at all -> the year is left out, with a note;
* 2022: chem 0.4 (import shares of 2022); no other good has a figure up to 2022;
* 2023: chem 0.4 again, its figure year 2022 (carried forward, never the 2024 figure);
* 2024: chem 0.1 (2024 import shares); ore and phone from the world-share proxy
  p[CHN] / (1 - p[KOR]): ore 1.0 / (1 - 0) = 1.0, phone 0.5 / (1 - 0.5) = 1.0; chip has no
  Chinese supplier (left out with the supplier note).

Group weights by hand: only phone has a market size (100); the network values the others by
downstream use: chip = 0.4 x 100 = 40, chem = 0.2 x 40 = 8, ore = 0.5 x 8 = 4. Group
{ore, chem, chip}, total 52:
  CHN = (1.0 x 4 + 0.2 x 8) / 52 = 5.6 / 52,  JPN = (0.8 x 8 + 0.4 x 40) / 52 = 22.4 / 52,
  KOR = 0.6 x 40 / 52 = 24 / 52.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.analysis.groups import group_members, group_shares
from econsec.analysis.names import EmptyAnswerError
from econsec.analysis.supply_exposure import exposure_series
from econsec.cli.app import app
from econsec.data import good_groups as gg
from econsec.data.world import load_world
from econsec.errors import DataError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_world"


@pytest.fixture()
def two_year_world(tmp_path: Path) -> Path:
    folder = tmp_path / "world"
    shutil.copytree(TINY, folder)
    with (folder / "bilateral.csv").open("a", encoding="utf-8") as f:
        f.write("KOR,chem,JPN,0.6,2022,,import value,t_fixture,\n"
                "KOR,chem,CHN,0.4,2022,,import value,t_fixture,\n")
    return folder


def test_series_never_answers_an_earlier_year_with_a_later_figure(two_year_world: Path
                                                                  ) -> None:
    w = load_world(two_year_world)
    f = exposure_series("KOR", "2021-2024", world=w, supplier="CHN")
    got = {(int(r.as_of), r.good): (round(float(r.share), 12), int(r.year))
           for r in f.itertuples()}
    assert got == {(2022, "chem"): (0.4, 2022), (2023, "chem"): (0.4, 2022),
                   (2024, "chem"): (0.1, 2024), (2024, "ore"): (1.0, 2024),
                   (2024, "phone"): (1.0, 2024)}
    notes = " | ".join(f.attrs["notes"])
    assert "no figures up to 2021" in notes
    assert "chip" in notes and "may be inside their ROW remainder" in notes


def test_series_without_any_figure_names_the_first_year(two_year_world: Path) -> None:
    w = load_world(two_year_world)
    with pytest.raises(EmptyAnswerError, match="first figures are of 2022"):
        exposure_series("KOR", "2015-2020", world=w)
    with pytest.raises(ValueError, match="icio"):
        exposure_series("KOR", "2022", world=w, source="icio")


def test_cli_series_grid_and_long_format(two_year_world: Path) -> None:
    r = CliRunner().invoke(app, ["exposure", "KOR", "--years", "2022-2024", "--supplier",
                                 "CHN", "--world", str(two_year_world), "--format", "csv"])
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(pd.io.common.StringIO(r.stdout[r.stdout.index("as_of"):]))
    chem = frame[frame["good"] == "chem"].set_index("as_of")["share"]
    assert chem.to_dict() == {2022: 0.4, 2023: 0.4, 2024: 0.1}
    r = CliRunner().invoke(app, ["exposure", "KOR", "--supplier", "CHN", "--world",
                                 str(two_year_world)])
    assert r.exit_code != 0 and "--supplier and --group go with --years" in r.output


@pytest.fixture()
def upstream_group(monkeypatch: pytest.MonkeyPatch) -> str:
    table = pd.DataFrame({"group": ["upstream", "minerals"],
                          "members": ["ore;chem;chip", "stage:mineral"],
                          "definition": ["test group", "test group"]})
    monkeypatch.setattr(gg, "good_groups", lambda: table)
    return "upstream"


def test_group_shares_weighted_by_value_by_hand(upstream_group: str) -> None:
    w = load_world(TINY)
    members = group_members(upstream_group, w).set_index("good")
    assert members["weight_usd_bn"].to_dict() == pytest.approx(
        {"ore": 4.0, "chem": 8.0, "chip": 40.0}, rel=1e-9)
    assert set(members["weight_basis"]) == {"implied by downstream use (no market size "
                                            "sourced)"}
    shares = group_shares(upstream_group, w).set_index("economy")["share"]
    assert shares.to_dict() == pytest.approx({"CHN": 5.6 / 52, "JPN": 22.4 / 52,
                                              "KOR": 24 / 52}, rel=1e-9)
    assert list(group_members("minerals", w)["good"]) == ["ore"]


def test_group_with_a_member_the_world_lacks_names_the_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.DataFrame({"group": ["g1", "bad"], "members": ["ore", "ore;unobtainium"],
                          "definition": ["x", "y"]})
    monkeypatch.setattr(gg, "good_groups", lambda: table)
    with pytest.raises(DataError, match=r"line 3, field members: .*'unobtainium'"):
        group_members("bad", load_world(TINY))
    with pytest.raises(KeyError, match="unknown group 'nope'; groups: g1, bad"):
        group_members("nope", load_world(TINY))


def test_shipped_groups_resolve_on_the_built_in_world() -> None:
    w = load_world()
    goods = pd.read_csv(Path(gg.__file__).with_name("world") / "goods.csv", dtype=str)
    market = dict(zip(goods["good_id"], pd.to_numeric(goods["market_usd_bn"]), strict=True))
    for group in gg.group_names():
        members = group_members(group, w)
        assert len(members) >= 5, group
        sourced = members[members["weight_basis"] == "market size"]
        # a published market size is the weight as written in goods.csv
        for g, v in zip(sourced["good"], sourced["weight_usd_bn"], strict=True):
            assert v == market[g]
        shares = group_shares(group, w)
        assert shares["share"].sum() == pytest.approx(1.0, abs=1e-9)
    tools = group_members("chip_tools", w)
    assert set(tools["stage"]) == {"equipment"}


def test_cli_world_group(upstream_group: str) -> None:
    r = CliRunner().invoke(app, ["world", "--shares", "--group", "upstream", "--world",
                                 str(TINY), "--format", "csv"])
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(pd.io.common.StringIO(r.stdout[r.stdout.index("group"):]))
    assert frame.set_index("economy")["share"].to_dict() == pytest.approx(
        {"CHN": 5.6 / 52, "JPN": 22.4 / 52, "KOR": 24 / 52}, rel=1e-6)
    r = CliRunner().invoke(app, ["world", "--group", "upstream", "--world", str(TINY)])
    assert r.exit_code != 0 and "go with --shares --group" in r.output
