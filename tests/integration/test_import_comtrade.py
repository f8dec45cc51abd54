"""UN Comtrade importer on every real Comtrade-shaped file, checked against pandas.

Expected figures are recomputed here with plain pandas from the raw files, following the
cleaning rules documented in :mod:`econsec.data.importers.comtrade` (exact duplicates out,
breakdown records out, World / areas-nes / self partners out, same-key records collapsed
by max, exporter = reporter for X and partner for M).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.importers.comtrade import AREAS_NES, import_comtrade
from econsec.data.panel import list_panels, load_flows
from econsec.data.store import Store
from econsec.errors import DataError

# independent of the importer's own table: Comtrade's published "nes"/special-area codes
NES = {97, 129, 221, 290, 471, 472, 473, 492, 527, 535, 536, 568, 577, 636, 637, 697, 837,
       838, 839, 879, 899}


def test_nes_list_is_the_published_one() -> None:
    assert set(AREAS_NES) == NES


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "s.duckdb"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not in shared data")
    return path


@pytest.mark.parametrize(("year", "rows", "dups"), [(2022, 166_616, 90_093),
                                                     (2024, 164_831, 90_083)])
def test_atlas_raw_comtrade(shared_data: Path, db: Path, year: int, rows: int,
                            dups: int) -> None:
    path = _need(shared_data / "trade_critical_materials_atlas" / "comtrade_raw"
                 / f"comtrade_{year}.csv.gz")
    raw = pd.read_csv(path)
    assert len(raw) == rows and int(raw.duplicated().sum()) == dups  # PROVENANCE: ~90,000
    d = raw.drop_duplicates()
    d = d[~d["partner"].isin(NES) & ~d["reporter"].isin(NES) & (d["partner"] != 0)
          & (d["reporter"] != 0) & (d["reporter"] != d["partner"])]
    g = d.groupby(["reporter", "partner", "cmd", "flow"]).agg(
        value=("value", "max"), netwgt=("netwgt", "max")).reset_index()

    with Store(db) as store:
        report = import_comtrade(path, store)
    assert any(f"{dups:,} exact duplicate records dropped" in w for w in report.warnings)
    assert report.tables == {f"year={year}": len(g)}
    flows = load_flows("comtrade", db=db)
    assert flows["value"].sum() == pytest.approx(g["value"].sum(), rel=1e-12)
    assert flows["quantity"].sum() == pytest.approx(g["netwgt"].sum() / 1000, rel=1e-12)
    for flow in ("X", "M"):
        part = flows[flows["flow_source"] == f"comtrade:{flow}"]
        assert part["value"].sum() == pytest.approx(g.loc[g["flow"] == flow, "value"].sum(),
                                                     rel=1e-12)
    # a mirror pair: China's reported exports of 811292 to Japan vs Japan's imports
    exp = g[(g["reporter"] == 156) & (g["partner"] == 392) & (g["cmd"] == 811292)
            & (g["flow"] == "X")]["value"]
    imp = g[(g["reporter"] == 392) & (g["partner"] == 156) & (g["cmd"] == 811292)
            & (g["flow"] == "M")]["value"]
    pair = flows[(flows["exporter"] == "CHN") & (flows["importer"] == "JPN")
                 & (flows["product"] == "811292")].set_index("flow_source")["value"]
    assert pair["comtrade:X"] == pytest.approx(float(exp.iloc[0]))
    assert pair["comtrade:M"] == pytest.approx(float(imp.iloc[0]))
    assert year == int(list_panels(db)["year"].iloc[0])


PNNL = ["cobalt", "copper", "gallium", "graphite", "heavy_ree", "light_ree", "lithium",
        "nickel"]


@pytest.mark.parametrize("name", PNNL)
def test_pnnl_api_files(shared_data: Path, db: Path, name: str) -> None:
    path = _need(shared_data / "comtrade_cmm_pnnl" / f"{name}_trade_data.csv")
    raw = pd.read_csv(path, dtype={"customsCode": str})
    d = raw.drop_duplicates()
    d = d[(d["customsCode"] == "C00") & (d["motCode"] == 0) & (d["partner2Code"] == 0)]
    with Store(db) as store:
        report = import_comtrade(path, store, world="keep")
    flows = load_flows("comtrade", db=db)
    assert sum(report.tables.values()) == len(flows)
    assert flows["value"].sum() == pytest.approx(d["primaryValue"].sum(), rel=1e-12)
    by_year = flows.groupby("year")["value"].sum()
    ref = d.groupby("refYear")["primaryValue"].sum()
    pd.testing.assert_series_equal(by_year, ref, check_names=False, check_index_type=False,
                                   rtol=1e-12)
    assert set(flows["flow_source"]) == {"comtrade:X", "comtrade:M"}
    assert sorted(by_year.index) == [2020, 2021, 2022, 2023, 2024]
    breakdown = int(((raw["motCode"] != 0) | (raw["customsCode"] != "C00")).sum())
    assert (breakdown > 0) == any("breakdown records" in w for w in report.warnings)


def test_pnnl_gallium_world_dropped_by_default(shared_data: Path, db: Path) -> None:
    path = _need(shared_data / "comtrade_cmm_pnnl" / "gallium_trade_data.csv")
    raw = pd.read_csv(path)
    with Store(db) as store:
        import_comtrade(path, store)
    flows = load_flows("comtrade", db=db)
    bilateral = raw[(raw["partnerCode"] != 0)]
    assert len(flows) == len(bilateral)
    assert set(flows["exporter"]) | set(flows["importer"]) == {"USA", "CHN"}
    # US-reported imports from China in 2023 (importer-reported: comtrade:M)
    want = raw[(raw["reporterCode"] == 842) & (raw["partnerCode"] == 156)
               & (raw["flowCode"] == "M") & (raw["refYear"] == 2023)]["primaryValue"]
    got = flows[(flows["year"] == 2023) & (flows["exporter"] == "CHN")
                & (flows["importer"] == "USA") & (flows["flow_source"] == "comtrade:M")]
    assert got["value"].tolist() == pytest.approx(want.tolist())


def test_sme_legacy_layout(shared_data: Path, db: Path) -> None:
    path = _need(shared_data / "comtrade_sme_exports" / "comtrade_sme_exports_2016_2020.csv")
    raw = pd.read_csv(path, encoding="utf-8-sig")
    assert len(raw) == 2_863
    with Store(db) as store:
        report = import_comtrade(path, store, world="keep")
    flows = load_flows("comtrade", db=db)
    keys = ["Year", "Reporter Code", "Partner Code", "Commodity Code", "Trade Flow Code"]
    g = raw.drop_duplicates().groupby(keys)["Trade Value (US$)"].max()
    assert sum(report.tables.values()) == len(g)
    assert flows["value"].sum() == pytest.approx(g.sum(), rel=1e-12)
    codes = {"comtrade:M": 1, "comtrade:X": 2, "comtrade:RX": 3, "comtrade:RM": 4}
    for source, code in codes.items():
        want = raw.loc[raw["Trade Flow Code"] == code, "Trade Value (US$)"].sum()
        assert flows.loc[flows["flow_source"] == source, "value"].sum() == pytest.approx(want)
    # Italy is reported under Comtrade's old code 381
    assert "ITA" in set(flows["exporter"]) | set(flows["importer"])
    jpn_x = raw[(raw["Reporter ISO"] == "JPN") & (raw["Trade Flow Code"] == 2)
                & (raw["Year"] == 2019) & (raw["Commodity Code"] == 848620)]
    got = flows[(flows["exporter"] == "JPN") & (flows["importer"] == "WLD")
                & (flows["year"] == 2019) & (flows["product"] == "848620")
                & (flows["flow_source"] == "comtrade:X")]
    assert got["value"].tolist() == jpn_x["Trade Value (US$)"].astype(float).tolist()


def test_taiwan_folder_ic_world_files_latin1(shared_data: Path, db: Path) -> None:
    folder = _need(shared_data / "taiwan_ic_exports")
    annual = folder / "ic_exports_world_HS8542_raw.csv"
    raw = pd.read_csv(annual, encoding="latin-1", index_col=False)
    with Store(db) as store:
        report = import_comtrade(annual, store, world="keep")
        assert any("latin-1" in w for w in report.warnings)
        monthly = folder / "ic_exports_world_HS8542_202501_202508_uncomtrade.csv"
        import_comtrade(monthly, store, world="keep", dataset="comtrade_monthly")
        comparison = folder / "ic_exports_comparison_uncomtrade_2013_2024.csv"
        import_comtrade(comparison, store, world="keep", dataset="comtrade_ic3")
    flows = load_flows("comtrade", db=db)
    assert len(flows) == len(raw.drop_duplicates())
    assert flows["value"].sum() == pytest.approx(raw["primaryValue"].sum(), rel=1e-12)
    assert set(flows["importer"]) == {"WLD"} and set(flows["product"]) == {"8542"}
    # China's 2013 HS 8542 exports, as printed in the comparison file
    three = load_flows("comtrade_ic3", db=db, exporters=["CHN"], years=[2013])
    assert three["value"].tolist() == [87_880_781_336.0]
    raw_m = pd.read_csv(monthly, encoding="latin-1", index_col=False)
    month = load_flows("comtrade_monthly", db=db)
    assert month["year"].unique().tolist() == [2025]
    by_rep = month.set_index("exporter")["value"]
    jpn = raw_m.loc[raw_m["reporterISO"] == "JPN", "primaryValue"].sum()
    assert by_rep["JPN"] == pytest.approx(jpn, rel=1e-12)  # 8 months summed


def _copy_with(tmp_path: Path, src: Path, old: str, new: str, name: str) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_malformed_comtrade_files(shared_data: Path, tmp_path: Path, db: Path) -> None:
    src = _need(shared_data / "comtrade_cmm_pnnl" / "gallium_trade_data.csv")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    cases = {
        "wrong": (lines[0].replace("primaryValue", "primary_value") + "".join(lines[1:]),
                  1, "primaryValue"),
        "code": ("".join(lines[:5]) + lines[5].replace(",842,", ",999,", 1)
                 + "".join(lines[6:]), 6, "reporterCode"),
        "value": ("".join(lines[:3]) + _set(lines[3], header, "primaryValue", "12a")
                  + "".join(lines[4:]), 4, "primaryValue"),
        "truncated": ("".join(lines) + lines[1][:40], len(lines) + 1, None),
    }
    for name, (text, line, field) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        with Store(db) as store, pytest.raises(DataError) as info:
            import_comtrade(path, store)
        err = info.value
        assert err.file == str(path) and err.line == line, (name, str(err))
        if field:
            assert err.field == field, (name, str(err))
        else:
            assert err.field and "truncated" in str(err)
    assert list_panels(db).empty


def _set(line: str, header: list[str], column: str, value: str) -> str:
    cells = line.rstrip("\n").split(",")
    cells[header.index(column)] = value
    return ",".join(cells) + "\n"


def test_cli_comtrade_years_and_world(shared_data: Path, db: Path) -> None:
    from typer.testing import CliRunner

    from econsec.cli.data import app

    path = _need(shared_data / "comtrade_cmm_pnnl" / "gallium_trade_data.csv")
    runner = CliRunner()
    result = runner.invoke(app, ["import", "comtrade", str(path), "--db", str(db),
                                 "--world", "keep", "--years", "2023-2024",
                                 "--dataset", "ga"])
    assert result.exit_code == 0, result.output
    raw = pd.read_csv(path)
    want = raw[raw["refYear"].isin([2023, 2024])]["primaryValue"].sum()
    cat = list_panels(db)
    assert cat["year"].tolist() == [2023, 2024]
    assert cat["value_total_usd"].sum() == pytest.approx(want, rel=1e-12)
    result = runner.invoke(app, ["import", "comtrade", str(path), "--db", str(db),
                                 "--world", "maybe"])
    assert result.exit_code == 2 and "--world must be" in result.output
