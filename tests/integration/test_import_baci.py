"""BACI on real data: the critical-materials-atlas BACI extracts, checked against pandas.

The shared data hold BACI HS17 V202601 flows for 30 critical-material HS6 codes in two
shapes: ``baci_extract/baci_<year>.csv`` (ISO3 codes, USD) and ``pipeline/trade.parquet``
(2024, thousand USD and tonnes).  The latter is written back into the exact BACI file
format (numeric codes, Taiwan = 490) and imported with :func:`import_baci`; the former goes
through its adapter.  Totals are published in the folder's PROVENANCE.md: world total
$388.5 bn (2022) and $297.6 bn (2024).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.codes import country_table
from econsec.data.importers.baci import import_baci
from econsec.data.importers.trade_extracts import import_baci_iso3_extract
from econsec.data.panel import list_panels, load_flows
from econsec.data.store import Store


@pytest.fixture(scope="module")
def atlas(shared_data: Path) -> Path:
    path = shared_data / "trade_critical_materials_atlas"
    if not path.is_dir():
        pytest.skip("trade_critical_materials_atlas not in shared data")
    return path


def _baci_codes() -> dict[str, int]:
    table = country_table().dropna(subset=["baci"])
    codes = dict(zip(table["iso3"], table["baci"].astype(int), strict=True))
    codes["S19"] = 490  # BACI's ISO3 placeholder for "Other Asia, nes" (Taiwan)
    return codes


@pytest.fixture(scope="module")
def trade_2024(atlas: Path) -> pd.DataFrame:
    return pd.read_parquet(atlas / "pipeline" / "trade.parquet")


@pytest.fixture(scope="module")
def baci_file_2024(trade_2024: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipeline/trade.parquet written in exact BACI format (BACI_HS17_Y2024_V202601.csv)."""
    codes = _baci_codes()
    out = pd.DataFrame({
        "t": trade_2024["year"].astype(int),
        "i": trade_2024["exporter"].map(codes),
        "j": trade_2024["importer"].map(codes),
        "k": trade_2024["hs6"].astype(str),
        "v": trade_2024["value_kusd"].map(repr),
        "q": trade_2024["qty_t"].map(lambda q: "NA" if pd.isna(q) else repr(q)),
    })
    assert out[["i", "j"]].notna().all().all()
    path = tmp_path_factory.mktemp("baci") / "BACI_HS17_Y2024_V202601.csv"
    out.to_csv(path, index=False)
    return path


def test_baci_format_2024_matches_pandas(
    baci_file_2024: Path, trade_2024: pd.DataFrame, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_baci(baci_file_2024, store)
    assert report.tables == {"year=2024": len(trade_2024)} == {"year=2024": 21_723}
    cat = list_panels(db).iloc[0]
    assert cat["hs_revision"] == "HS17" and cat["note"] == "CEPII BACI V202601"
    assert cat["value_total_usd"] == pytest.approx(trade_2024["value_kusd"].sum() * 1000,
                                                   rel=1e-12)
    assert cat["value_total_usd"] / 1e9 == pytest.approx(297.6, abs=0.05)  # PROVENANCE.md
    assert cat["quantity_total_t"] == pytest.approx(trade_2024["qty_t"].sum(), rel=1e-12)

    flows = load_flows("baci", db=db)
    expect = trade_2024.assign(
        exporter=trade_2024["exporter"].replace({"S19": "TWN"}),
        importer=trade_2024["importer"].replace({"S19": "TWN"}),
    )
    by_exporter = flows.groupby("exporter")["value"].sum()
    ref = expect.groupby("exporter")["value_kusd"].sum() * 1000
    pd.testing.assert_series_equal(by_exporter.sort_index(), ref.sort_index(),
                                   check_names=False, rtol=1e-12)
    # one flow, cell by cell: China's exports of Ga/Ge/In/Nb/V (811292) to Japan
    got = flows[(flows["exporter"] == "CHN") & (flows["importer"] == "JPN")
                & (flows["product"] == "811292")]
    want = trade_2024[(trade_2024["exporter"] == "CHN") & (trade_2024["importer"] == "JPN")
                      & (trade_2024["hs6"] == "811292")]
    assert len(got) == len(want) == 1
    assert got["value"].iloc[0] == pytest.approx(want["value_kusd"].iloc[0] * 1000, rel=1e-12)
    assert got["quantity"].iloc[0] == pytest.approx(want["qty_t"].iloc[0], rel=1e-12)
    assert flows["quantity"].isna().sum() == trade_2024["qty_t"].isna().sum()
    assert "TWN" in set(flows["exporter"]) and "S19" not in set(flows["exporter"])


@pytest.mark.parametrize(("year", "total_bn"), [(2022, 388.5), (2024, 297.6)])
def test_iso3_extracts_match_pandas_and_published_totals(
    atlas: Path, tmp_path: Path, year: int, total_bn: float
) -> None:
    path = atlas / "baci_extract" / f"baci_{year}.csv"
    raw = pd.read_csv(path, keep_default_na=False, dtype={"cmd": str})
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_baci_iso3_extract(path, store)
    assert report.tables == {f"year={year}": len(raw)}
    flows = load_flows("atlas_baci", db=db, years=[year])
    assert flows["value"].sum() == pytest.approx(raw["value"].sum(), rel=1e-12)
    assert flows["value"].sum() / 1e9 == pytest.approx(total_bn, abs=0.05)
    twn = raw[raw["i"] == "S19"]["value"].sum()
    assert flows.loc[flows["exporter"] == "TWN", "value"].sum() == pytest.approx(twn)
    assert list_panels(db)["hs_revision"].tolist() == ["HS17"]


def test_two_extract_years_then_reimport_one(atlas: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        import_baci_iso3_extract(atlas / "baci_extract" / "baci_2022.csv", store)
        import_baci_iso3_extract(atlas / "baci_extract" / "baci_2024.csv", store)
    part = next((db.parent / "s_panels" / "atlas_baci" / "year=2022").rglob("*.parquet"))
    before = (part.stat().st_mtime_ns, part.read_bytes())
    with Store(db) as store:
        import_baci_iso3_extract(atlas / "baci_extract" / "baci_2024.csv", store)
    assert (part.stat().st_mtime_ns, part.read_bytes()) == before
    assert list_panels(db)["rows"].tolist() == [23_167, 21_723]
