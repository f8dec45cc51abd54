"""Adapters for non-bulk trade extracts: China monthly Ga/Ge/graphite, Taiwan IC, atlas top flows.

Each is checked against a pandas recomputation from the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from econsec.data.importers.trade_extracts import (
    import_atlas_top_flows,
    import_china_monthly,
    import_taiwan_customs,
    read_china_monthly,
)
from econsec.data.panel import list_panels, load_flows
from econsec.data.store import Store
from econsec.errors import DataError


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not in shared data")
    return path


def test_china_monthly(shared_data: Path, tmp_path: Path) -> None:
    path = _need(shared_data / "comtrade_china_ga_ge_graphite_monthly"
                 / "deep_dive_hs6_monthly.csv")
    raw = pd.read_csv(path, dtype={"hs6": str})
    assert len(raw) == 6_442
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_china_monthly(path, store)
    raw["year"] = raw["period_dt"].str[:4].astype(int)
    ref = raw.groupby(["year", "partner_name", "hs6"]).agg(val=("val", "sum"),
                                                            qty=("qty", "sum"))
    assert sum(report.tables.values()) == len(ref)
    flows = load_flows("china_cm_exports", db=db)
    assert set(flows["exporter"]) == {"CHN"} and set(flows["flow_source"]) == {"comtrade:X"}
    assert flows["value"].sum() == pytest.approx(raw["val"].sum(), rel=1e-12)
    assert flows["quantity"].sum() == pytest.approx(raw["qty"].sum() / 1000, rel=1e-12)
    # gallium/germanium group (811292) to Japan in 2023, the year controls began
    want = ref.loc[(2023, "Japan", "811292"), "val"]
    got = flows[(flows["year"] == 2023) & (flows["importer"] == "JPN")
                & (flows["product"] == "811292")]["value"]
    assert got.tolist() == [pytest.approx(want)]
    assert {"ARE", "KOR", "TWN", "USA"} <= set(flows["importer"])  # 'UAE', 'South Korea' ...
    assert list_panels(db)["year"].tolist() == list(range(2017, 2025))
    monthly = read_china_monthly(path)
    assert len(monthly) == 6_442 and monthly["month"].min() == pd.Timestamp("2017-01-01")


def test_taiwan_customs(shared_data: Path, tmp_path: Path) -> None:
    folder = _need(shared_data / "taiwan_ic_exports")
    path = folder / "taiwan_exports_by_country_2013_2025.csv"
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype={"HS Code": str})
    names = json.loads((folder / "country_name_map_full.json").read_text(encoding="utf-8"))
    assert len(raw) == 9_683
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_taiwan_customs(path, store)
    others = raw["Country"].map(names) == "Others"
    kept = raw[~others]
    assert any("2025 is a partial year" in w for w in report.warnings)
    flows = load_flows("taiwan_ic_exports", db=db)
    assert set(flows["exporter"]) == {"TWN"}
    assert flows["value"].sum() == pytest.approx(kept["Export Value (USD)"].sum(), rel=1e-12)
    ref = kept.assign(hs6=kept["HS Code"].str[:6]).groupby(["Year", "Country", "hs6"]).size()
    assert len(flows) == len(ref)
    # mainland China (中國大陸) vs Hong Kong (香港), 2024, all HS 8542
    for zh, iso3 in (("中國大陸", "CHN"), ("香港", "HKG")):
        want = kept[(kept["Year"] == 2024) & (kept["Country"] == zh)]["Export Value (USD)"]
        got = flows[(flows["year"] == 2024) & (flows["importer"] == iso3)]["value"]
        assert got.sum() == pytest.approx(want.sum(), rel=1e-12)
    assert set(flows["product"]) <= {"854231", "854232", "854233", "854239", "854290"}


def test_atlas_top_flows(shared_data: Path, tmp_path: Path) -> None:
    path = _need(shared_data / "trade_critical_materials_atlas"
                 / "atlas_top_flows_2002_2024.csv")
    raw = pd.read_csv(path, keep_default_na=False)
    assert len(raw) == 326_231
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_atlas_top_flows(path, store)
    assert sum(report.tables.values()) == len(raw)
    cat = list_panels(db).set_index("year")
    assert cat.loc[2002, "hs_revision"] == "HS02" and cat.loc[2024, "hs_revision"] == "HS17"
    ref = raw.groupby("year")["value_usd"].sum()
    for year in (2002, 2016, 2017, 2024):
        assert cat.loc[year, "value_total_usd"] == pytest.approx(ref[year], rel=1e-12)
    flows = load_flows("atlas_top", db=db, years=[2022], products=["811292"])
    want = raw[(raw["year"] == 2022) & (raw["material"] == "gallium_germanium_group")]
    assert flows["value"].sum() == pytest.approx(want["value_usd"].sum())
    namibia = load_flows("atlas_top", db=db, exporters=["NAM"])  # ISO2 'NA', not missing
    assert len(namibia) == int((raw["exporter_iso2"] == "NA").sum()) > 0


def test_extract_errors_name_line_and_column(shared_data: Path, tmp_path: Path) -> None:
    src = _need(shared_data / "comtrade_china_ga_ge_graphite_monthly"
                / "deep_dive_hs6_monthly.csv")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "deep_dive_hs6_monthly.csv"
    bad.write_text("".join(lines[:3]) + lines[3].replace("Belgium", "Atlantis")
                   + "".join(lines[4:]), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(DataError) as info:
        import_china_monthly(bad, store)
    assert (info.value.line, info.value.field) == (4, "partner_name")
    bad.write_text("".join(lines[:3]) + lines[3].replace("501880.0", "5O1880"), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(DataError) as info:
        import_china_monthly(bad, store)
    assert (info.value.line, info.value.field) == (4, "val")
    assert list_panels(tmp_path / "s.duckdb").empty
