"""The world build: hand-computed shares from a few raw rows per dataset, the vintage and
precedence rules, errors that name file, line and field with nothing half-written, and the
shipped world rebuilt byte for byte from ../shared/data."""

from __future__ import annotations

import csv
import filecmp
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from econsec.cli.app import app
from econsec.data.build.assemble import build_world, curated_path
from econsec.data.world import builtin_world_path, load_world
from econsec.errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[2]

USGS_WIDE = (  # MCS 2024 layout: footnote 'e' glued to the name, thousands separators
    "\ufeffSource,Country,Type,Prod_kg_2022,Prod_kg_est_2023,Prod_notes\n"
    "MCS2024,China,Primary production,540000,600000,\n"
    "MCS2024,Japane,Primary production,3000,3000,\n"
    'MCS2024,World total (rounded),Primary production,"550,000","610,000",\n'
)
USGS_LONG = (  # MCS 2025 layout: one long file, 'PROD_EST_ 2024' with a space, CRLF
    "\ufeffSOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,PROD_NOTES,"
    "CAP_2023,CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES\r\n"
    "MCS2025,Gallium ,China,Primary production,kilograms,621000,750000,,,1000000,,,\r\n"
    "MCS2025,Gallium ,Japan,Primary production,kilograms,3000,3000,,,10000,,,\r\n"
    "MCS2025,Gallium ,World total (rounded),Primary production,kilograms,633000,760000,,,,,,\r\n"
)
BACI = (  # complete BACI extract: i exporter, j importer, value in USD
    "i,j,cmd,value\n"
    "CHN,DEU,250490,600.0\n"
    "MOZ,DEU,250490,300.0\n"
    "GBR,DEU,250490,100.0\n"
    "ITA,DEU,250490,5.0\n"
    "CHN,JPN,811010,50.0\n"
)
PNNL_HEADER = "refYear,reporterCode,flowCode,partnerCode,cmdCode,primaryValue\n"
PNNL = (  # importer-reported Comtrade: U.S. (842) imports of 811292 from China and World
    PNNL_HEADER
    + "2020,842,M,156,811292,300.0\n"
    "2020,842,M,0,811292,1000.0\n"
    "2020,842,X,0,811292,77.0\n"
    "2023,842,M,156,811292,200.0\n"
    "2023,842,M,0,811292,800.0\n"
)


def write_data(root: Path) -> Path:
    (root / "usgs_mcs" / "mcs2024" / "world").mkdir(parents=True)
    (root / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-galli_world.csv").write_text(
        USGS_WIDE, encoding="utf-8")
    (root / "usgs_mcs" / "mcs2025" / "world").mkdir(parents=True)
    (root / "usgs_mcs" / "mcs2025" / "world" / "MCS2025_World_Data.csv").write_bytes(
        USGS_LONG.encode("utf-8"))
    atlas = root / "trade_critical_materials_atlas" / "baci_extract"
    atlas.mkdir(parents=True)
    (atlas / "baci_2022.csv").write_text(BACI, encoding="utf-8")
    (root / "comtrade_cmm_pnnl").mkdir()
    (root / "comtrade_cmm_pnnl" / "gallium_trade_data.csv").write_text(PNNL, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("build")
    build_world(write_data(root / "data"), root / "world")
    return root / "world"


def shares(world_dir: Path, table: str, **where: object) -> dict[str, float]:
    w = load_world(world_dir)
    frame = w.world_shares if table == "world" else w.bilateral
    for k, v in where.items():
        frame = frame[frame[k] == v]
    party = "economy" if table == "world" else "supplier"
    return dict(zip(frame[party], frame["share"], strict=True))


def test_usgs_wide_and_long_formats_and_the_vintage_rule(built: Path) -> None:
    # MCS 2024 (wide): 2022 China 540,000 / 550,000 kg = 0.98182 -> 0.982
    assert shares(built, "world", good="gallium", year=2022) == {"CHN": 0.982, "JPN": 0.005}
    # 2023 is in both editions: MCS 2024 says 600,000 / 610,000 = 0.984, MCS 2025 (long)
    # revises it to 621,000 / 633,000 = 0.98104 -> 0.981: the newest edition wins
    w = load_world(built)
    row = w.world_shares[(w.world_shares["good"] == "gallium") & (w.world_shares["year"] == 2023)
                         & (w.world_shares["economy"] == "CHN")].iloc[0]
    assert row["share"] == 0.981 and row["source"] == "s_usgs_mcs2025"
    assert "revised from 0.984 in MCS 2024" in row["note"]
    assert (row["dataset"], row["edition"]) == ("usgs_mcs", "MCS 2025")
    assert row["file"] == "mcs2025/world/MCS2025_World_Data.csv"
    assert row["cell"] == "lines 2 / line 4, column PROD_2023"
    # 2024 (MCS 2025 estimate): 750,000 / 760,000 = 0.98684 -> 0.987; Japan 3,000 -> 0.004
    assert shares(built, "world", good="gallium", year=2024) == {"CHN": 0.987, "JPN": 0.004}


def test_baci_import_shares_by_hand(built: Path) -> None:
    # Germany's HS 250490 imports: 600 + 300 + 100 + 5 = 1,005 USD; Italy's 5 / 1,005 =
    # 0.5 % is under the 1 % floor and goes to the ROW remainder
    got = shares(built, "bilateral", importer="DEU", good="graphite_natural", year=2022)
    assert got == {"CHN": round(600 / 1005, 3), "MOZ": round(300 / 1005, 3),
                   "GBR": round(100 / 1005, 3)} == {"CHN": 0.597, "MOZ": 0.299, "GBR": 0.1}
    w = load_world(built)
    row = w.bilateral[(w.bilateral["importer"] == "DEU") & (w.bilateral["supplier"] == "CHN")]
    assert row["cell"].iloc[0] == "line 2, column value; total: sum of 4 rows"
    assert row["file"].iloc[0] == "baci_extract/baci_2022.csv"
    # the HS caveat is in basis and note
    assert row["basis"].iloc[0] == "import value (HS 250490 only)"
    assert "flake graphite 250410 is not in the BACI extract" in row["note"].iloc[0]
    # a single supplier: Japan's antimony metal 50 / 50
    assert shares(built, "bilateral", importer="JPN", good="antimony", year=2022) == {"CHN": 1.0}


def test_comtrade_importer_reported_shares_and_hs_caveat(built: Path) -> None:
    # U.S.-reported imports of HS 811292: China 300 of World 1,000 USD in 2020 (the export
    # record, flow X, is not an import); 200 / 800 = 0.25 in 2023
    pnnl = "d_comtrade_pnnl"  # (the curated layer also holds USGS yearbook figures)
    assert shares(built, "bilateral", importer="USA", good="gallium", year=2020,
                  source=pnnl) == {"CHN": 0.3}
    assert shares(built, "bilateral", importer="USA", good="gallium", year=2023,
                  source=pnnl) == {"CHN": 0.25}
    w = load_world(built)
    ge = w.bilateral[(w.bilateral["good"] == "germanium") & (w.bilateral["year"] == 2020)]
    assert ge["share"].tolist() == [0.3]
    assert "Ga/Ge/Hf" in ge["basis"].iloc[0]
    assert "mixes germanium with gallium and hafnium" in ge["note"].iloc[0]
    # 2023 trade follows China's gallium licensing (1 Aug 2023): kept, marked post-shock
    ga = w.bilateral[(w.bilateral["good"] == "gallium") & (w.bilateral["source"] == pnnl)]
    ga = ga.set_index("year")["observed_after"]
    assert ga.loc[2023] == "chn_2023_gallium_germanium" and ga.isna().loc[2020]


def test_precedence_derived_first_unless_curated_overrides(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data")
    cur = tmp_path / "curated"
    shutil.copytree(curated_path(), cur)
    text = (cur / "world_shares.csv").read_text(encoding="utf-8")
    extra = ("gallium,CHN,0.9,2024,primary low-purity production,s_usgs_mcs2024,"
             "a curated figure for the test,,\n")
    (cur / "world_shares.csv").write_text(text + extra, encoding="utf-8")
    build_world(data, tmp_path / "a", cur)
    # derived wins: 0.987 is used, the curated 0.9 is kept after it
    ws = load_world(tmp_path / "a").latest_world_shares(2024, goods=["gallium"])
    assert ws.set_index("economy").loc["CHN", "share"] == 0.987
    over = extra.replace(",,\n", ",derived: our own reading of the test,\n")
    (cur / "world_shares.csv").write_text(text + over, encoding="utf-8")
    build_world(data, tmp_path / "b", cur)
    ws = load_world(tmp_path / "b").latest_world_shares(2024, goods=["gallium"])
    assert ws.set_index("economy").loc["CHN", "share"] == 0.9
    # an override of a key the build derives nothing for is stale: the build says so
    stale = over.replace(",2024,", ",2019,")
    (cur / "world_shares.csv").write_text(text + stale, encoding="utf-8")
    lines = (text + stale).count("\n")
    report = build_world(data, tmp_path / "c", cur)
    assert any(m.startswith(f"stale override: world_shares.csv, line {lines}, field overrides")
               and "'good': 'gallium', 'year': 2019" in m for m in report.messages)
    # a bad override text is an error naming file, line and field; nothing is written
    (cur / "world_shares.csv").write_text(text + over.replace("derived: ", "since "),
                                          encoding="utf-8")
    with pytest.raises(DataError) as err:
        build_world(data, tmp_path / "d", cur)
    assert (Path(err.value.file).name, err.value.line, err.value.field) == (
        "world_shares.csv", lines, "overrides")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(("path", "bad", "line", "field"), [
    ("trade_critical_materials_atlas/baci_extract/baci_2022.csv", "MOZ,DEU,250490,abc\n",
     3, "value"),
    ("trade_critical_materials_atlas/baci_extract/baci_2022.csv", "XXQ,DEU,250490,1.0\n",
     3, "i"),
    ("usgs_mcs/mcs2025/world/MCS2025_World_Data.csv",
     "MCS2025,Gallium ,Japan,Primary production,kilograms,x3000,3000,,,10000,,,\r\n",
     3, "PROD_2023"),
    ("comtrade_cmm_pnnl/gallium_trade_data.csv", "2020,842,M,0,811292,-5\n", 3,
     "primaryValue"),
])
def test_malformed_files_name_file_line_field_and_nothing_is_written(
        tmp_path: Path, path: str, bad: str, line: int, field: str) -> None:
    data = write_data(tmp_path / "data")
    target = data / path
    rows = target.read_bytes().decode("utf-8").splitlines(keepends=True)
    rows[line - 1] = bad
    target.write_bytes("".join(rows).encode("utf-8"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the previous world")
    with pytest.raises(DataError) as err:
        build_world(data, out)
    assert (Path(err.value.file).name, err.value.line, err.value.field) == (
        target.name, line, field)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]  # no temp left
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_build_is_deterministic(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data")
    build_world(data, tmp_path / "one")
    build_world(data, tmp_path / "two")
    same = filecmp.dircmp(tmp_path / "one", tmp_path / "two")
    assert not same.diff_files and not same.left_only and not same.right_only


def shared_data_dir() -> Path:
    env = os.environ.get("ECONSEC_SHARED_DATA")
    path = Path(env) if env else (REPO_ROOT.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set ECONSEC_SHARED_DATA)")
    return path


def test_shipped_world_is_the_build_of_shared_data(tmp_path: Path) -> None:
    data = shared_data_dir()
    result = CliRunner().invoke(app, ["world", "build", "--data", str(data),
                                      "--out", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    assert "stale override" not in result.output
    shipped = builtin_world_path()
    names = sorted(p.name for p in shipped.iterdir() if p.is_file())
    assert names == sorted(p.name for p in (tmp_path / "w").iterdir())
    for name in names:
        assert (shipped / name).read_bytes() == (tmp_path / "w" / name).read_bytes(), name
    # done-when: gallium CHN 2024 reads 0.987 from MCS 2025, a series back to 2021
    w = load_world(tmp_path / "w")
    ga = w.world_shares[(w.world_shares["good"] == "gallium")
                        & (w.world_shares["economy"] == "CHN")].set_index("year")
    assert ga.loc[2024, "share"] == 0.987 and ga.loc[2024, "edition"] == "MCS 2025"
    assert {2021, 2022, 2023, 2024} <= set(ga.index)


def test_provenance_cells_point_at_the_raw_figures() -> None:
    """Follow a derived row's file, lines and column back into the raw file (read here
    with the csv module) and recompute its share."""
    data = shared_data_dir()
    w = load_world()
    ws = w.world_shares
    row = ws[(ws["good"] == "gallium") & (ws["economy"] == "CHN") & (ws["year"] == 2024)].iloc[0]
    match = re.fullmatch(r"lines (\d+) / line (\d+), column (.+)", row["cell"])
    assert match is not None
    raw = (data / row["dataset"] / row["file"]).read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([raw[0]]))
    col = header.index(match.group(3))
    china = next(csv.reader([raw[int(match.group(1)) - 1]]))
    world = next(csv.reader([raw[int(match.group(2)) - 1]]))
    assert (china[2], world[2].startswith("World total")) == ("China", True)
    assert round(float(china[col]) / float(world[col]), 3) == row["share"] == 0.987
    bil = w.bilateral
    deu = bil[(bil["importer"] == "DEU") & (bil["good"] == "graphite_natural")
              & (bil["year"] == 2024) & (bil["source"] == "d_baci_v202601")].iloc[0]
    found = re.match(r"line (\d+),", deu["cell"])
    assert found is not None
    line = int(found.group(1))
    path = data / deu["dataset"] / deu["file"]
    rows = path.read_text(encoding="utf-8").splitlines()
    i, j, cmd, value = rows[line - 1].split(",")
    assert (i, j, cmd) == (deu["supplier"], "DEU", "250490")
    total = sum(float(r.split(",")[3]) for r in rows[1:]
                if r.split(",")[1] == "DEU" and r.split(",")[2] == "250490")
    assert round(float(value) / total, 3) == deu["share"]


def write_quantities(root: Path) -> Path:
    """:func:`write_data` plus traded quantities in the three layouts the unit values are
    derived from (BACI 2024 parquet, Comtrade with netWgt, China's monthly exports)."""
    import pandas as pd

    data = write_data(root)
    pipe = data / "trade_critical_materials_atlas" / "pipeline"
    pipe.mkdir()
    pd.DataFrame({  # BACI: value in thousand USD, quantity in tonnes
        "year": [2024, 2024, 2024, 2024], "hs6": ["811010", "811010", "811010", "250490"],
        "value_kusd": [100.0, 300.0, 50.0, 7.0], "qty_t": [10.0, 20.0, None, 14.0],
    }).to_parquet(pipe / "trade.parquet", index=False)
    (data / "comtrade_cmm_pnnl" / "graphite_trade_data.csv").write_text(
        PNNL_HEADER.replace("\n", ",netWgt\n")
        + "2022,156,X,0,250410,3000000.0,2000000.0\n"   # line 2: China's exports to World
        "2022,842,M,0,250410,1000000.0,500000.0\n"      # line 3: U.S. imports from World
        "2022,842,M,156,250410,900000.0,400000.0\n"     # line 4: one pair, not World
        "2022,842,X,0,250410,50000.0,\n",               # line 5: no weight
        encoding="utf-8")
    monthly = data / "comtrade_china_ga_ge_graphite_monthly"
    monthly.mkdir()
    (monthly / "deep_dive_hs6_monthly.csv").write_text(
        "period_dt,partner_name,hs6,val,qty,uv\n"
        "2022-01-01,Japan,250410,1000.0,500.0,2.0\n"
        "2022-02-01,South Korea,250410,3000.0,1500.0,2.0\n"
        "2022-02-01,South Korea,380110,999.0,0.0,inf\n", encoding="utf-8")
    return data


def test_unit_values_by_hand_from_raw_rows(tmp_path: Path) -> None:
    from econsec.data.world import NoUnitValue

    build_world(write_quantities(tmp_path / "data"), tmp_path / "w")
    w = load_world(tmp_path / "w")
    uv = w.unit_values.set_index(["good", "year", "source"])
    # antimony (HS 811010), BACI 2024: (100 + 300) thousand USD / (10 + 20) t
    # = 400,000 / 30 = 13,333.33 USD/t; the row without a quantity (50) is left out
    sb = uv.loc[("antimony", 2024, "d_baci_v202601")]
    assert (sb["usd_per_t"], sb["value_usd"], sb["quantity_t"]) == (13333.33, 400000.0, 30.0)
    assert sb["file"] == "pipeline/trade.parquet"
    assert sb["cell"].startswith("rows with hs6 811010, year 2024 and qty_t present (2 of 3)")
    # natural graphite, Comtrade 2022, partner World only (line 4 is one pair, line 5 has
    # no weight): (3,000,000 + 1,000,000) USD / (2,000,000 + 500,000) kg
    # = 4,000,000 / 2,500 t = 1,600 USD/t
    pn = uv.loc[("graphite_natural", 2022, "d_comtrade_pnnl")]
    assert (pn["usd_per_t"], pn["quantity_t"]) == (1600.0, 2500.0)
    assert pn["cell"].startswith("lines 2-3; ") and pn["file"] == "graphite_trade_data.csv"
    assert "1 row(s) without a quantity left out" in pn["note"]
    # China's monthly exports 2022: (1,000 + 3,000) USD / (500 + 1,500) kg = 2,000 USD/t;
    # synthetic graphite's only row has qty 0: no unit value, never a guess
    mo = uv.loc[("graphite_natural", 2022, "d_comtrade_china_monthly")]
    assert mo["usd_per_t"] == 2000.0
    assert "graphite_synthetic" not in set(w.unit_values["good"])
    # natural graphite's BACI row is of 250490 (its second code): 7,000 USD / 14 t = 500
    assert uv.loc[("graphite_natural", 2024, "d_baci_v202601"), "usd_per_t"] == 500.0
    # the lookup: latest year up to the one asked for, first-listed (Comtrade before the
    # monthly table for 2022); before any figure, the earliest, flagged backcast
    got = w.unit_value("graphite_natural", 2023)
    assert (got.year, got.usd_per_t, got.source, got.backcast) == (
        2022, 1600.0, "d_comtrade_pnnl", False)
    early = w.unit_value("graphite_natural", 2019)
    assert (early.year, early.usd_per_t, early.backcast) == (2022, 1600.0, True)
    assert w.unit_value("graphite_natural").year == 2024
    with pytest.raises(NoUnitValue, match="no dataset of the world build holds a traded "
                       "quantity for HS 380110"):
        w.unit_value("graphite_synthetic", 2022)
    with pytest.raises(NoUnitValue, match="has no HS6 code"):
        w.unit_value("lithium", 2022)


def test_unit_values_file_is_checked(tmp_path: Path) -> None:
    build_world(write_quantities(tmp_path / "data"), tmp_path / "w")
    path = tmp_path / "w" / "unit_values.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # a unit value that is not value / quantity: named by file, line and field
    bad = [lines[0], lines[1].replace(",1600.0,", ",1700.0,", 1)]  # graphite first
    assert bad[1] != lines[1]
    path.write_text("".join(bad), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_world(tmp_path / "w")
    assert (Path(err.value.file).name, err.value.line, err.value.field) == (
        "unit_values.csv", 2, "usd_per_t")


def test_shipped_unit_value_from_its_raw_rows() -> None:
    # gallium 2022 (HS 811292), Comtrade partner World, lines 16, 17, 26, 27 of
    # gallium_trade_data.csv: China M 74,435,047 USD / 608,705.352 kg, China X 171,193,428 /
    # 930,884.143, U.S. M 161,145,189 / 2,312,961, U.S. X 31,643,168 / 155,771:
    # 438,416,832 USD / 4,008.321495 t = 109,376.66 USD/t
    data = shared_data_dir()
    w = load_world()
    row = w.unit_values[(w.unit_values["good"] == "gallium") & (w.unit_values["year"] == 2022)
                        ].iloc[0]
    assert (row["source"], row["file"]) == ("d_comtrade_pnnl", "gallium_trade_data.csv")
    assert row["cell"].startswith("lines 16-17+26-27;")
    raw = list(csv.DictReader((data / row["dataset"] / row["file"]).open(encoding="utf-8")))
    picked = [raw[n - 2] for n in (16, 17, 26, 27)]
    assert all(r["partnerCode"] == "0" and r["refYear"] == "2022" for r in picked)
    value = sum(float(r["primaryValue"]) for r in picked)
    tonnes = sum(float(r["netWgt"]) for r in picked) / 1000.0
    assert value == 438_416_832.0 and round(tonnes, 3) == 4008.321
    assert row["usd_per_t"] == round(value / tonnes, 2) == 109376.66
    assert w.unit_value("gallium", 2022).usd_per_t == 109376.66
