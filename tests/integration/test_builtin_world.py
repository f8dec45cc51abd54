"""The built-in world: loads, is complete enough, and reproduces the seeds' facts."""

from __future__ import annotations

import pytest

from econsec import analysis
from econsec.data.world import load_world
from econsec.domain import MeasureType


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return load_world()


def test_size_and_coverage(world) -> None:  # type: ignore[no-untyped-def]
    assert len(world.goods) >= 70
    stages = set(world.goods["stage"])
    assert stages == {"mineral", "material", "equipment", "design", "chip", "battery",
                      "end_product"}
    required = {"gallium", "germanium", "graphite_natural", "graphite_synthetic", "antimony",
                "rare_earth_mining", "rare_earth_processing", "lithium", "nickel", "cobalt",
                "manganese", "fluorspar", "tungsten", "polysilicon", "neon",
                "hydrogen_fluoride", "photoresist_euv", "photoresist_arf", "photoresist_krf",
                "fluorinated_polyimide", "silicon_wafer", "electronic_gases", "cmp_materials",
                "ndfeb_magnets", "lithography_euv", "lithography_duv", "eda_software",
                "logic_advanced", "logic_legacy", "dram", "hbm", "nand", "power_analog",
                "cathode_ncm", "anode_material", "electrolyte", "separator", "battery_cell",
                "electric_vehicles", "ai_servers", "smartphones", "telecom_equipment"}
    assert required <= set(world.good_ids)
    economies = set(world.world_shares["economy"])
    assert {"USA", "JPN", "KOR", "CHN", "TWN", "AUS", "NLD", "DEU", "CHL", "ARG", "COD",
            "IDN"} <= economies
    assert len(economies) >= 12


def test_every_figure_has_a_source(world) -> None:  # type: ignore[no-untyped-def]
    for frame in (world.edges, world.world_shares, world.bilateral):
        assert frame["source"].isin(world.sources.keys()).all()
        assert frame["year"].notna().all()
    priced = world.goods[world.goods["market_usd_bn"].notna()]
    assert priced["source"].isin(world.sources.keys()).all()
    for s in world.sources.values():
        assert s.url.startswith("http") and s.title and s.publisher


def test_measures_registry(world) -> None:  # type: ignore[no-untyped-def]
    assert len(world.measures) >= 30
    types = {m.type for m in world.measures}
    assert {MeasureType.export_control, MeasureType.subsidy, MeasureType.agreement,
            MeasureType.coercion} <= types
    china = [m for m in world.measures if m.imposer == "CHN" and "gallium" in m.goods]
    assert any(m.effective is not None and m.effective.isoformat() == "2023-08-01"
               for m in china)
    japan = [m for m in world.measures if m.imposer == "JPN" and "KOR" in m.targets
             and "hydrogen_fluoride" in m.goods]
    assert any(m.effective is not None and m.effective.isoformat() == "2019-07-04"
               for m in japan)
    # MOFCOM Announcement No. 46 of 2024, clause 2: Ga, Ge, Sb and superhard materials to
    # the US "in principle" not permitted (read as no licence: 1.0); graphite only under
    # stricter review, with no published refusal rate, so not in the ban
    us_ban = world.measure("chn_usa_2024_ga_ge_sb_ban")
    assert us_ban.intensity == 1.0 and us_ban.targets == ("USA",)
    assert {"gallium", "germanium", "antimony"} <= set(us_ban.goods)
    assert not any(g.startswith("graphite") for g in us_ban.goods)
    assert len(world.investments) >= 9


@pytest.mark.parametrize(("good", "low", "high"), [
    ("hydrogen_fluoride", 0.42, 0.46),   # ~44% (KITA, Jan-May 2019)
    ("photoresist_arf", 0.90, 1.0),      # above 90%
    ("fluorinated_polyimide", 0.90, 1.0),
])
def test_korea_reliance_on_japan_before_july_2019(world, good: str, low: float,  # type: ignore[no-untyped-def]
                                                  high: float) -> None:
    dep = analysis.exposure("KOR", good=good, world=world, year=2019,
                            period="2019-01/2019-05")
    jpn = dep[dep["supplier"] == "JPN"]
    assert len(jpn) == 1 and jpn["basis"].iloc[0] == "import shares"
    assert low <= float(jpn["share"].iloc[0]) <= high


def test_china_gallium_share(world) -> None:  # type: ignore[no-untyped-def]
    ws = world.latest_world_shares()
    ga = ws[(ws["good"] == "gallium") & (ws["economy"] == "CHN")]
    assert 0.97 <= float(ga["share"].iloc[0]) <= 0.99  # ~98% (USGS MCS 2024)


def test_brief_both_directions(world) -> None:  # type: ignore[no-untyped-def]
    both = analysis.chokepoints("TRILATERAL", "CHN", world)
    exposure = both[both["direction"] == "exposure"]
    leverage = both[both["direction"] == "leverage"]
    assert {"gallium", "rare_earth_processing", "graphite_natural"} <= set(exposure["good"])
    assert {"lithography_euv", "eda_software"} & set(leverage["good"]) or len(leverage) > 0
    assert ((both["score"] >= 0) & (both["score"] <= 1)).all()


def test_lookthrough_is_a_distribution(world) -> None:  # type: ignore[no-untyped-def]
    x = analysis.exposure("KOR", tiers="all", world=world)
    sums = x.groupby("good")["share"].sum()
    assert sums.between(1 - 1e-9, 1 + 1e-9).all()
    dram = x[(x["good"] == "dram")].set_index("supplier")["share"]
    assert dram.idxmax() == "KOR"  # Korea makes most of its own DRAM


def test_curated_override_of_a_mixed_hs_code(world) -> None:  # type: ignore[no-untyped-def]
    """USGS's yearbook counts U.S. imports of unwrought gallium alone (HTS 8112.92.1000):
    China USD 1,870,000 of 4,910,000 in 2022 = 0.381; the derived BACI shares of HS 811292
    (gallium mixed with germanium, hafnium, niobium ...) are kept after it, not used."""
    bil = world.latest_bilateral(2022)
    usa = bil[(bil["importer"] == "USA") & (bil["good"] == "gallium")].set_index("supplier")
    assert usa.loc["CHN", "share"] == round(1_870_000 / 4_910_000, 3) == 0.381
    assert set(usa["source"]) - {"remainder"} == {"s_usgs_myb2023_gallium"}
    rows = world.bilateral[(world.bilateral["importer"] == "USA")
                           & (world.bilateral["good"] == "gallium")
                           & (world.bilateral["year"] == 2022)]
    assert rows["overrides"].dropna().str.startswith("derived: ").all()
    assert "d_baci_v202601" in set(rows["source"])  # kept for comparison
    first = rows.sort_values("_line").iloc[0]
    assert first["source"] == "s_usgs_myb2023_gallium"


def test_polysilicon_split_by_grade(world) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: chip wafers take electronic-grade polysilicon, solar modules the solar
    grade. Tokuyama alone holds more than 20% of semiconductor polysilicon (Nikkei/METI
    2024), so Japan's share is at least 0.20; China is not a producer of record."""
    edges = world.edges
    into_wafer = set(edges.loc[edges["output"] == "silicon_wafer", "input"])
    assert "polysilicon_electronic" in into_wafer and "polysilicon" not in into_wafer
    ws = world.world_shares
    eg = ws[(ws["good"] == "polysilicon_electronic") & (ws["year"] == 2024)]
    assert eg.set_index("economy")["share"].to_dict() == {"JPN": 0.2}
    solar = ws[(ws["good"] == "polysilicon") & (ws["year"] == 2024)]
    assert float(solar.set_index("economy").loc["CHN", "share"]) == 0.935  # Bernreuter 93.5%


def test_pv_module_edges_from_published_figures(world) -> None:  # type: ignore[no-untyped-def]
    """Recomputed by hand from the published figures, not read from the code:
    polysilicon: 2 g/W (Fraunhofer ISE) x USD 25/kg / USD 0.263/W (Rethink, Jan 2023) = 0.190;
    antimony: 50,000 t in PV glass (Fastmarkets 2023) / 502 GW (ITRPV) = 0.0996 g/W,
    x USD 5.49/lb x 2.20462 lb/kg = USD 0.001205/W, / mean module price
    (0.263 + 0.263/2) / 2 = USD 0.197/W -> 0.0061."""
    e = world.edges.set_index(["input", "output"])["weight"]
    assert abs(float(e[("polysilicon", "solar_pv_modules")]) - 0.002 * 25 / 0.263) < 0.005
    sb = 50_000e3 / 502e9 * 5.49 * 2.20462 / ((0.263 + 0.263 / 2) / 2)
    assert abs(sb - 0.0061) < 0.0001
    assert abs(float(e[("antimony", "solar_pv_modules")]) - sb) < 0.0005
