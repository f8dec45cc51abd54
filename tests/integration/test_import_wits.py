"""WITS trade summaries -> trade panel ``wits``; ESI and RCA by product group.

A tiny file in the source's long layout gives hand-computed values; on the real folder,
stored values are compared with the raw wide CSVs (parsed here with the csv module).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from econsec.data.importers.wits import (
    FILE,
    PRODUCT_GROUPS,
    ImportsByProductMissing,
    check_wits_index,
    import_wits,
    read_wits_exports,
)
from econsec.data.panel import list_panels, load_flows
from econsec.data.store import Store
from econsec.errors import DataError
from econsec.metrics.complementarity import export_similarity
from econsec.metrics.trade_indices import balassa_rca

EXPORT = "Export(US$ Mil)"
TOTAL = "Exports (in US$ Mil)"


def _rows(*extra: tuple[str, str, str, str, float]) -> list[dict[str, object]]:
    """(reporter_code, partner, product_group, indicator, value) rows for 2019."""
    base = [
        ("AAA", "World", "Animal", EXPORT, 30.0),
        ("AAA", "World", "Fuels", EXPORT, 70.0),
        ("AAA", "World", "Raw materials", EXPORT, 55.0),  # a stage: not a product group
        ("AAA", "...", "...", TOTAL, 100.0),
        ("OAS", "World", "Animal", EXPORT, 60.0),
        ("OAS", "World", "Fuels", EXPORT, 40.0),
        ("OAS", "World", "Capital goods", "Import(US$ Mil)", 999.0),  # imports: by stage
        ("OAS", "...", "...", TOTAL, 100.0),
        ("Wld", "World", "Animal", EXPORT, 1000.0),  # aggregate: dropped
        ("EUN", "World", "Fuels", EXPORT, 500.0),  # aggregate: dropped
    ]
    return [{"reporter_code": r, "reporter": r, "partner": p, "product_group": g,
             "indicator_type": "Export", "indicator": i, "year": 2019, "value": v}
            for r, p, g, i, v in [*base, *extra]]


def _write(folder: Path, rows: list[dict[str, object]]) -> Path:
    folder.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / FILE)
    return folder


def test_hand_computed_panel_rca_and_esi(tmp_path: Path) -> None:
    folder = _write(tmp_path / "wits", _rows())
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_wits(folder, store)
    assert report.tables == {"year=2019": 4}
    flows = load_flows("wits", db=db)
    # OAS stored as TWN; values million USD x 1e6; importer is the world market
    got = flows.set_index(["exporter", "product"])["value"].sort_index()
    assert got.to_dict() == {("AAA", "Animal"): 30e6, ("AAA", "Fuels"): 70e6,
                             ("TWN", "Animal"): 60e6, ("TWN", "Fuels"): 40e6}
    assert set(flows["importer"]) == {"WLD"} and set(flows["flow_source"]) == {"wits"}
    # world = AAA + TWN: Animal 90, Fuels 110, total 200
    # RCA AAA Animal = (30/100)/(90/200) = 0.3/0.45 = 2/3; AAA Fuels = 0.7/0.55 = 14/11
    # RCA TWN Animal = 0.6/0.45 = 4/3
    rca = balassa_rca(flows, year=2019).set_index(["economy", "product"])["rca"]
    assert rca[("AAA", "Animal")] == pytest.approx(2 / 3, rel=1e-12)
    assert rca[("AAA", "Fuels")] == pytest.approx(14 / 11, rel=1e-12)
    assert rca[("TWN", "Animal")] == pytest.approx(4 / 3, rel=1e-12)
    # ESI = 100 (min(0.3, 0.6) + min(0.7, 0.4)) = 100 (0.3 + 0.4) = 70
    esi = export_similarity(flows, "AAA", "TWN", year=2019)
    assert esi["value"].iloc[0] == pytest.approx(70.0, rel=1e-12)
    cat = list_panels(db)
    assert cat["licence"].iloc[0].startswith("World Bank WITS")
    assert len(cat["sha256"].iloc[0]) == 64


def test_tci_and_grubel_lloyd_are_refused_with_the_reason() -> None:
    for index in ("tci", "grubel_lloyd", "Grubel-Lloyd", "gl"):
        with pytest.raises(ImportsByProductMissing, match="imports only by 4 stages"):
            check_wits_index(index)
    check_wits_index("esi")
    check_wits_index("rca")
    with pytest.raises(ValueError, match="unknown index"):
        check_wits_index("hhi")


@pytest.mark.parametrize(
    ("extra", "message", "field"),
    [
        (("AAA", "World", "Toys", EXPORT, 1.0), "row 11: unknown product group", "product_group"),
        (("BBB", "World", "Fuels", EXPORT, -2.0), "row 11: negative value", "value"),
        (("AAA", "World", "Fuels", EXPORT, 70.0), "row 11: second value", "product_group"),
        (("Bb1", "World", "Fuels", EXPORT, 2.0), "row 11: reporter code", "reporter_code"),
    ],
)
def test_bad_rows_name_row_and_field(tmp_path: Path, extra: tuple[str, str, str, str, float],
                                     message: str, field: str) -> None:
    folder = _write(tmp_path / "wits", _rows(extra))
    with pytest.raises(DataError, match=message) as err:
        read_wits_exports(folder)
    assert err.value.field == field


def test_group_sum_against_total(tmp_path: Path) -> None:
    # AAA's groups add to 100: a total of 101 (1% apart) warns, 120 (17%) is an error
    rows = [r for r in _rows() if not (r["reporter_code"] == "AAA"
                                       and r["indicator"] == TOTAL)]
    rows.append({**_rows()[3], "value": 101.0})
    _, warnings = read_wits_exports(_write(tmp_path / "a", rows))
    assert len(warnings) == 1 and "AAA 2019" in warnings[0]
    rows[-1] = {**rows[-1], "value": 120.0}
    with pytest.raises(DataError, match=r"AAA 2019: .*\(over 5% apart\)"):
        read_wits_exports(_write(tmp_path / "b", rows))


# -- the real folder ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def wits(shared_data: Path) -> Path:
    path = shared_data / "wits_trade_summary_kor_chn_jpn_usa_twn"
    if not (path / FILE).is_file():
        pytest.skip("wits_trade_summary_kor_chn_jpn_usa_twn not in shared data")
    return path


def _raw_exports(folder: Path, code: str, year: int) -> dict[str, float]:
    """Export(US$ Mil) by product group from the raw wide CSV of one reporter."""
    out = {}
    with open(folder / f"en_{code}_AllYears_WITS_Trade_Summary.csv", newline="",
              encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if row["Indicator"] == EXPORT and row["Product categories"] in PRODUCT_GROUPS:
                out[row["Product categories"]] = float(row[str(year)].strip())
    return out


def test_real_panel_against_raw_csvs(wits: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_wits(wits, store)
    assert {int(k.split("=")[1]) for k in report.tables} == set(range(1988, 2020))
    flows = load_flows("wits", db=db, years=[2019])
    kor_raw = _raw_exports(wits, "KOR", 2019)
    chn_raw = _raw_exports(wits, "CHN", 2019)
    twn_raw = _raw_exports(wits, "OAS", 2019)
    # PROVENANCE.md: KOR 2019 Mach and Elec 222,447; the 16 groups sum to 542,172
    assert round(kor_raw["Mach and Elec"]) == 222_447
    assert round(sum(kor_raw.values())) == 542_172
    got = flows[flows["exporter"] == "KOR"].set_index("product")["value"] / 1e6
    assert got.to_dict() == pytest.approx(kor_raw, rel=1e-12)
    tw = flows[flows["exporter"] == "TWN"].set_index("product")["value"] / 1e6
    assert tw.to_dict() == pytest.approx(twn_raw, rel=1e-12)
    # Finger-Kreinin from the raw files: 100 sum_k min(s_KOR,k, s_CHN,k)
    kt, ct = sum(kor_raw.values()), sum(chn_raw.values())
    ref = 100 * sum(min(kor_raw.get(g, 0.0) / kt, chn_raw.get(g, 0.0) / ct)
                    for g in PRODUCT_GROUPS)
    esi = export_similarity(flows, "KOR", "CHN", year=2019)["value"].iloc[0]
    assert esi == pytest.approx(ref, rel=1e-12)
    # aggregates are not exporters of the panel
    assert not set(flows["exporter"]) & {"Wld", "EUN", "WLD"}
