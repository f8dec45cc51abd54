"""USGS MCS importer on the real data release files, expected values computed independently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.data import app
from econsec.data.importers.usgs import clean_name, import_usgs, read_usgs, resolve_country
from econsec.data.store import Store
from econsec.errors import DataError


@pytest.fixture(scope="module")
def usgs(shared_data: Path) -> dict[str, pd.DataFrame]:
    return read_usgs(shared_data / "usgs_mcs")


def raw_world(path: Path) -> pd.DataFrame:
    """The raw file read plainly with pandas (independent of the importer)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame[frame["Country"].str.strip() != ""]


def share(
    tables: dict[str, pd.DataFrame],
    edition: int,
    code: str,
    year: int,
    iso3: str,
    type_contains: str = "",
) -> float:
    s = tables["world_shares"]
    sel = s[
        (s["edition"] == edition)
        & (s["commodity_code"] == code)
        & (s["year"] == year)
        & (s["iso3"] == iso3)
        & s["type"].str.contains(type_contains, regex=False)
    ]
    assert len(sel) == 1, sel
    return float(sel["share"].iloc[0])


def test_gallium_china_share_mcs2024(usgs: dict[str, pd.DataFrame], shared_data: Path) -> None:
    raw = raw_world(shared_data / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-galli_world.csv")
    china = float(raw.loc[raw["Country"] == "China", "Prod_kg_est_2023"].iloc[0])
    world = float(
        raw.loc[raw["Country"].str.startswith("World total"), "Prod_kg_est_2023"]
        .iloc[0]
        .replace(",", "")
    )
    assert (china, world) == (600000.0, 610000.0)
    got = share(usgs, 2024, "galli", 2023, "CHN")
    assert got == pytest.approx(china / world) == pytest.approx(0.9836, abs=1e-4)


def test_lithium_australia_and_cobalt_drc(usgs: dict[str, pd.DataFrame]) -> None:
    # hand-read from mcs2024-lithi_world.csv: Australia 86,000 t of 180,000 t (2023 est.)
    assert share(usgs, 2024, "lithi", 2023, "AUS") == pytest.approx(86000 / 180000)
    # mcs2024-cobal_world.csv: Congo (Kinshasa) 170,000 t of 230,000 t
    assert share(usgs, 2024, "cobal", 2023, "COD") == pytest.approx(170000 / 230000)
    assert share(usgs, 2024, "cobal", 2023, "COD") == pytest.approx(0.74, abs=0.005)
    # the 2023 edition's 2022 figures too: China 540,000 of 550,000 kg gallium
    assert share(usgs, 2023, "galli", 2022, "CHN") == pytest.approx(540000 / 550000)


def test_footnote_markers_estimates_and_withheld(usgs: dict[str, pd.DataFrame]) -> None:
    prod = usgs["world_production"]
    ga = prod[(prod["edition"] == 2024) & (prod["commodity_code"] == "galli")]
    japan = ga[ga["country_name"] == "Japane"]
    assert japan.empty  # the marker is not kept in the name ...
    japan = ga[(ga["iso3"] == "JPN") & (ga["year"] == 2022)]
    assert japan["is_estimate"].all()  # ... it becomes is_estimate
    assert (japan["production"] == 3000).all() and (japan["unit"] == "kg").all()
    korea = ga[ga["iso3"] == "KOR"]
    assert korea["country_name"].iloc[0] == "Korea, Republic ofe"[:-1]
    other = ga[ga["country_name"] == "Other countries"]
    assert other["is_aggregate"].all() and other["iso3"].isna().all()
    usa_li = prod[
        (prod["edition"] == 2024) & (prod["commodity_code"] == "lithi") & (prod["iso3"] == "USA")
    ]
    assert usa_li["production"].isna().all() and set(usa_li["value_text"]) == {"W"}
    # thousands separators: barite China 1,900 kt
    ba = prod[
        (prod["edition"] == 2024)
        & (prod["commodity_code"] == "barit")
        & (prod["iso3"] == "CHN")
        & (prod["year"] == 2023)
    ]
    assert ba["production"].tolist() == [1900.0] and ba["unit"].tolist() == ["kt"]
    # upper-case MCS2024- prefix file is read
    assert "bismu" in set(prod.loc[prod["edition"] == 2024, "commodity_code"])
    # every non-aggregate row has an ISO3
    assert prod.loc[~prod["is_aggregate"], "iso3"].notna().all()


def test_row_counts_against_raw_files(usgs: dict[str, pd.DataFrame], shared_data: Path) -> None:
    """Country rows per edition: PROVENANCE counts ≈1,200 non-empty rows per edition."""
    prod = usgs["world_production"]
    for edition in (2023, 2024):
        files = sorted((shared_data / "usgs_mcs" / f"mcs{edition}" / "world").glob("*_world.csv"))
        raw_rows = 0
        for f in files:
            frame = raw_world(f)
            if any(c.startswith("Prod_") and "note" not in c.lower() for c in frame.columns):
                raw_rows += len(frame)
        got = prod[prod["edition"] == edition].drop_duplicates(
            ["commodity_code", "type", "country_name", "line"]
        )
        assert len(got) == raw_rows
        assert 1100 <= raw_rows <= 1300


def test_salient_nir(usgs: dict[str, pd.DataFrame]) -> None:
    sal = usgs["us_salient"]
    ga = sal[(sal["edition"] == 2024) & (sal["commodity_code"] == "galli")].set_index("year")
    assert ga.loc[2023, "nir_pct"] == 100 and ga.loc[2023, "consumption"] == 19000
    li = sal[(sal["edition"] == 2023) & (sal["commodity_code"] == "lithi")].set_index("year")
    assert li.loc[2018, "nir_pct"] == 50 and li.loc[2018, "nir_qualifier"] == ">"
    assert li.loc[2018, "imports"] == 3420 and li.loc[2018, "imports_field"] == "Imports_t"
    assert set(sal["edition"]) == {2022, 2023, 2024, 2025}
    exporters = sal[sal["nir_text"] == "E"]
    assert len(exporters) and (exporters["nir_pct"] == 0).all()


def test_single_file_import(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-cobal_world.csv"
    with Store(tmp_path / "s.duckdb") as store:
        report = import_usgs(path, store)
        assert report.tables["world_production"] == 2 * 14
        shares = store.read("usgs", "world_shares")
    drc = shares[(shares["iso3"] == "COD") & (shares["year"] == 2023)]
    assert drc["share"].iloc[0] == pytest.approx(170000 / 230000)
    assert report.tables["us_salient"] == 0


def test_name_cleaning() -> None:
    assert clean_name("Other countries4") == "Other countries"
    assert clean_name("United\u00a0States1") == "United States"
    assert resolve_country("Japane") == ("JPN", False, True)
    assert resolve_country("Ukraine") == ("UKR", False, False)
    assert resolve_country("Korea, Republic ofe") == ("KOR", False, True)
    assert resolve_country("Brazil (beneficiated)") == ("BRA", False, False)
    assert resolve_country("China, boric oxide equivalent") == ("CHN", False, False)
    assert resolve_country("Congo (Kinshasa)") == ("COD", False, False)
    assert resolve_country("World total (rounded)")[1] is True
    assert resolve_country("Atlantis")[0] is None


def test_bad_files_raise_data_error(tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "mcs2024" / "world"
    folder.mkdir(parents=True)
    src = shared_data / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-galli_world.csv"
    bad = folder / "mcs2024-galli_world.csv"
    shutil.copy(src, bad)
    text = src.read_text(encoding="utf-8-sig")
    bad.write_text(
        text.replace(
            "MCS2024,China,Primary production,600000", "MCS2024,China,Primary production,lots"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        read_usgs(tmp_path)
    assert (err.value.line, err.value.field) == (3, "Prod_kg_2022")
    bad.write_text(text.replace("MCS2024,Russiae,", "MCS2024,Narnia,"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_usgs(tmp_path)
    assert (err.value.line, err.value.field) == (6, "Country")
    assert "unknown country 'Narnia'" in str(err.value)
    bad.write_text(text.replace("Country,", "Land,"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_usgs(tmp_path)
    assert (err.value.line, err.value.field) == (1, "Country")


def test_cli_import_usgs(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    path = shared_data / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-galli_world.csv"
    result = runner.invoke(app, ["import", "usgs", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "usgs__world_shares" in result.output
    result = runner.invoke(app, ["import", "usgs", str(tmp_path), "--db", str(db)])
    assert result.exit_code == 2
    assert "no USGS MCS files found" in " ".join(result.output.split())


def test_world_shares_denominator_rules() -> None:
    """Hand-computed: world-total row when present, else the sum of all rows."""
    from econsec.data.importers.usgs import world_shares

    base = {
        "edition": 2024,
        "commodity_code": "x",
        "commodity": "X",
        "unit": "t",
        "is_estimate": False,
    }
    rows = [
        {
            **base,
            "type": "A",
            "year": 2023,
            "country_name": "China",
            "iso3": "CHN",
            "is_aggregate": False,
            "is_world_total": False,
            "production": 60.0,
        },
        {
            **base,
            "type": "A",
            "year": 2023,
            "country_name": "Japan",
            "iso3": "JPN",
            "is_aggregate": False,
            "is_world_total": False,
            "production": 20.0,
        },
        {
            **base,
            "type": "A",
            "year": 2023,
            "country_name": "World total (rounded)",
            "iso3": None,
            "is_aggregate": True,
            "is_world_total": True,
            "production": 100.0,
        },
        {
            **base,
            "type": "B",
            "year": 2023,
            "country_name": "China",
            "iso3": "CHN",
            "is_aggregate": False,
            "is_world_total": False,
            "production": 30.0,
        },
        {
            **base,
            "type": "B",
            "year": 2023,
            "country_name": "Other countries",
            "iso3": None,
            "is_aggregate": True,
            "is_world_total": False,
            "production": 10.0,
        },
        {
            **base,
            "type": "B",
            "year": 2023,
            "country_name": "United States",
            "iso3": "USA",
            "is_aggregate": False,
            "is_world_total": False,
            "production": None,
        },
    ]
    out = world_shares(pd.DataFrame(rows)).set_index(["type", "iso3"])
    assert out.loc[("A", "CHN"), "share"] == pytest.approx(0.6)
    assert out.loc[("A", "JPN"), "denominator"] == "world_total"
    assert out.loc[("B", "CHN"), "share"] == pytest.approx(30 / 40)
    assert out.loc[("B", "CHN"), "denominator"] == "sum"
    assert pd.isna(out.loc[("B", "USA"), "share"])


def test_mcs2025_long_format(usgs: dict[str, pd.DataFrame], shared_data: Path) -> None:
    """MCS 2025's one long file: ``PROD_EST_ 2024`` (a space in the USGS header), names
    with trailing spaces (``Russia ``), the typo ``Gemanium``; read independently here."""
    path = shared_data / "usgs_mcs" / "mcs2025" / "world" / "MCS2025_World_Data.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "PROD_EST_ 2024" in raw.columns
    ga = raw[raw["COMMODITY"].str.strip() == "Gallium"].set_index("COUNTRY")
    china, world = float(ga.loc["China", "PROD_EST_ 2024"]), float(
        ga.loc["World total (rounded)", "PROD_EST_ 2024"])
    assert (china, world) == (750000.0, 760000.0)
    assert share(usgs, 2025, "gallium", 2024, "CHN") == pytest.approx(china / world)
    assert share(usgs, 2025, "gallium", 2023, "CHN") == pytest.approx(621000 / 633000)
    prod = usgs["world_production"]
    p25 = prod[prod["edition"] == 2025]
    assert "germanium" in set(p25["commodity_code"])  # 'Gemanium' in the file
    rus = p25[(p25["commodity_code"] == "gallium") & (p25["iso3"] == "RUS")]
    assert set(rus["country_name"]) == {"Russia"} and set(rus["unit"]) == {"kg"}
    est = p25[(p25["commodity_code"] == "gallium") & (p25["year"] == 2024)]
    assert est["is_estimate"].all()
    assert len(p25.drop_duplicates(["commodity_code", "type", "country_name", "line"])) == len(
        raw[raw["COUNTRY"].str.strip() != ""])


def test_single_long_file_import(shared_data: Path) -> None:
    path = shared_data / "usgs_mcs" / "mcs2025" / "world" / "MCS2025_World_Data.csv"
    tables = read_usgs(path)
    assert set(tables["world_production"]["edition"]) == {2025}
    assert share(tables, 2025, "gallium", 2024, "CHN") == pytest.approx(750000 / 760000)
