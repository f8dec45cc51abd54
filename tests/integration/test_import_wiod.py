"""WIOD 2013 into the trade-panel store, checked against an independent pandas computation.

Gross bilateral exports E_cd,k = sum_l Z[c,k -> d,l] + sum_f F[c,k -> d,f] (c != d),
negative bilateral totals (inventory changes) set to 0, million USD -> USD.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.importers.wiod import FINAL, INTERMEDIATE, import_wiod
from econsec.data.panel import list_panels, load_flows
from econsec.data.store import Store
from econsec.errors import DataError
from plainpandas import as_str


@pytest.fixture(scope="module")
def wiod(shared_data: Path) -> Path:
    path = shared_data / "wiod2013"
    if not (path / INTERMEDIATE).is_file():
        pytest.skip("wiod2013 not in shared data")
    return path


@pytest.fixture(scope="module")
def expected(wiod: Path) -> pd.DataFrame:
    """Independent recomputation: one concat, one groupby, no econsec code."""
    inter = pd.read_parquet(wiod / INTERMEDIATE)
    final = pd.read_parquet(wiod / FINAL)
    cols = ["year", "from_country", "from_industry", "to_country", "value_musd"]
    cells = pd.concat([as_str(part[cols], ("from_country", "from_industry", "to_country"))
                       for part in (inter, final)])
    cells = cells[cells["from_country"] != cells["to_country"]]
    out = (cells.groupby(["year", "from_country", "to_country", "from_industry"])
           ["value_musd"].sum().reset_index())
    out["value"] = out["value_musd"].clip(lower=0).astype(float) * 1e6
    rename = {"ROM": "ROU", "RoW": "ROW"}
    out["exporter"] = out["from_country"].replace(rename)
    out["importer"] = out["to_country"].replace(rename)
    return out


@pytest.fixture(scope="module")
def store_db(wiod: Path, wiod_db: Path) -> Path:
    """The session's store with the panel imported by :func:`import_wiod` (read only)."""
    return wiod_db


def test_rows_and_totals_per_year(store_db: Path, expected: pd.DataFrame) -> None:
    cat = list_panels(store_db).set_index("year")
    assert list(cat.index) == list(range(1995, 2012))
    ref_rows = expected.groupby("year").size()
    ref_value = expected.groupby("year")["value"].sum()
    for year in range(1995, 2012):
        assert cat.loc[year, "rows"] == ref_rows[year]
        assert cat.loc[year, "value_total_usd"] == pytest.approx(ref_value[year], rel=1e-12)
    assert set(cat["flow_sources"]) == {"wiod2013"}


def test_one_year_cell_by_cell(store_db: Path, expected: pd.DataFrame) -> None:
    flows = load_flows("wiod", db=store_db, years=[2011])
    assert flows["quantity"].isna().all()
    got = flows.set_index(["exporter", "importer", "product"])["value"].sort_index()
    ref = (expected[expected["year"] == 2011]
           .set_index(["exporter", "importer", "from_industry"])["value"].sort_index())
    assert len(got) == len(ref)
    pd.testing.assert_series_equal(got, ref, check_names=False, rtol=1e-12)
    # Korea's exports of electrical & optical equipment (c14) to China, 2011
    kor = flows[(flows["exporter"] == "KOR") & (flows["importer"] == "CHN")
                & (flows["product"] == "c14")]["value"]
    assert kor.iloc[0] > 50e9  # tens of billions of USD in 2011
    economies = set(flows["exporter"])
    assert {"ROU", "ROW", "TWN"} <= economies and not {"ROM", "RoW"} & economies
    assert len(economies) == 41 and flows["product"].nunique() == 35


def test_years_option_and_reimport_touches_only_that_year(wiod: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        report = import_wiod(wiod, store, years=[2010, 2011])
    assert sorted(report.tables) == ["year=2010", "year=2011"]
    part = next((tmp_path / "s_panels" / "wiod" / "year=2010").rglob("*.parquet"))
    before = (part.stat().st_mtime_ns, part.read_bytes())
    with Store(db) as store:
        import_wiod(wiod, store, years=[2011])
    assert (part.stat().st_mtime_ns, part.read_bytes()) == before
    assert list_panels(db)["year"].tolist() == [2010, 2011]


def test_missing_files_named(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(DataError, match=INTERMEDIATE):
        import_wiod(tmp_path, store)
