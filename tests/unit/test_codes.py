"""Country and HS code harmonisation, checked against the real code lists in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from econsec.data.codes import (
    BACI_EXCEPTIONS,
    baci_to_iso3,
    country_table,
    name_to_iso3,
    to_iso3,
)
from econsec.data.hs import normalize_hs6, read_hs_nomenclature
from econsec.errors import DataError

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


def test_country_table_shape_and_focus_economies() -> None:
    table = country_table()
    assert list(table.columns) == ["iso3", "iso2", "iso_numeric", "m49", "baci", "name"]
    assert table["iso3"].is_unique
    row = table.set_index("iso3")
    assert row.loc["USA", "baci"] == 842 and row.loc["USA", "iso_numeric"] == 840
    assert row.loc["TWN", "baci"] == 490 and row.loc["TWN", "m49"] == 158
    assert row.loc["KOR", "iso2"] == "KR"
    assert row.loc["JPN", "baci"] == 392


@pytest.mark.parametrize(
    ("code", "scheme", "iso3"),
    [
        (842, "baci", "USA"),
        ("490", "baci", "TWN"),
        (699, "baci", "IND"),
        (251, "baci", "FRA"),
        (579, "baci", "NOR"),
        (757, "baci", "CHE"),
        (58, "baci", "BEL"),
        (156, "baci", "CHN"),
        (840, "iso_numeric", "USA"),
        ("410", "m49", "KOR"),
        ("kr", "iso2", "KOR"),
        ("jpn", "iso3", "JPN"),
        ("Republic of Korea", "name", "KOR"),
    ],
)
def test_to_iso3(code: str | int, scheme: str, iso3: str) -> None:
    assert to_iso3(code, scheme) == iso3  # type: ignore[arg-type]


def test_to_iso3_unknown_codes_raise_keyerror_with_message() -> None:
    with pytest.raises(KeyError, match="unknown baci country code 840"):
        to_iso3(840, "baci")  # ISO's USA code is not BACI's
    with pytest.raises(KeyError, match="unknown iso3 country code 'XXX'"):
        to_iso3("XXX", "iso3")
    with pytest.raises(KeyError, match="not a numeric"):
        to_iso3("abc", "m49")
    with pytest.raises(KeyError, match="unknown country name"):
        to_iso3("Atlantis", "name")


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Republic of Korea", "KOR"),
        ("Korea, Republic of", "KOR"),
        ("South Korea", "KOR"),
        ("DPR Korea", "PRK"),
        ("Korea, North", "PRK"),
        ("United States of America", "USA"),
        ("United States", "USA"),
        ("Taiwan", "TWN"),
        ("Chinese Taipei", "TWN"),
        ("Hong Kong", "HKG"),
        ("Macao", "MAC"),
        ("Congo (Kinshasa)", "COD"),
        ("DR Congo", "COD"),
        ("Burma", "MMR"),
        ("Russia", "RUS"),
        ("Vietnam", "VNM"),
        ("Turkey", "TUR"),
        ("Türkiye", "TUR"),
        ("Turkiye", "TUR"),
        ("Côte d’Ivoire", "CIV"),
        ("Saint Vincent & the Grenadines", "VCT"),
        ("Lao", "LAO"),
        ("Netherlands", "NLD"),
        ("Czechia", "CZE"),
        ("Republic of Kosovo", "XKX"),
    ],
)
def test_name_to_iso3_common_spellings(name: str, iso3: str) -> None:
    assert name_to_iso3(name) == iso3


def test_name_to_iso3_unknown_is_none() -> None:
    assert name_to_iso3("Atlantis") is None


def test_baci_country_file_maps_to_iso3(shared_data: Path) -> None:
    """Every code in CEPII's dictionary maps to its ISO3, Taiwan's 490/S19 to TWN."""
    baci = pd.read_csv(
        shared_data / "baci_codes" / "country_codes_V202501.csv", dtype=str, keep_default_na=False
    )
    assert len(baci) == 238
    mapped = baci_to_iso3(baci["country_code"])
    expected = baci["country_iso3"].replace({"S19": "TWN", "ZA1": "ZAF", "PUS": "UMI", "R20": ""})
    assert (mapped.fillna("") == expected).all()
    # the exceptions literal agrees with the file wherever the file gives an ISO3
    by_code = dict(zip(baci["country_code"].astype(int), baci["country_iso3"], strict=True))
    for code, iso3 in BACI_EXCEPTIONS.items():
        assert by_code[code] in (iso3, "S19", "ZA1", "PUS")
    # and the country table's baci column is a code of the file for every current economy
    table = country_table().dropna(subset=["baci"])
    in_file = table[table["iso3"].isin(set(baci["country_iso3"]))]
    assert set(in_file["baci"].astype(int)) <= set(by_code)
    assert set(in_file["baci"].astype(int).map(by_code)) <= set(in_file["iso3"]) | {"S19"}


def test_country_codes_file_agrees_with_table(shared_data: Path) -> None:
    cc = pd.read_csv(
        shared_data / "country_codes" / "country-codes.csv", dtype=str, keep_default_na=False
    )
    table = country_table().set_index("iso3")
    assert len(cc) == 249
    for iso3, iso2, numeric, m49 in zip(
        cc["ISO3166-1-Alpha-3"],
        cc["ISO3166-1-Alpha-2"],
        cc["ISO3166-1-numeric"],
        cc["M49"],
        strict=True,
    ):
        assert table.loc[iso3, "iso2"] == iso2
        assert table.loc[iso3, "iso_numeric"] == int(numeric)
        assert table.loc[iso3, "m49"] == int(m49)
        assert to_iso3(iso2, "iso2") == iso3
        assert to_iso3(numeric, "iso_numeric") == iso3
    # official English names and UN short names resolve
    for column in ("official_name_en", "UNTERM English Short"):
        wrong = [
            (n, i)
            for n, i in zip(cc[column], cc["ISO3166-1-Alpha-3"], strict=True)
            if n and name_to_iso3(n) != i
        ]
        assert wrong == []


@pytest.mark.parametrize(
    ("raw", "hs6"),
    [
        (10121, "010121"),
        ("010121", "010121"),
        ("10121", "010121"),
        ("8542.31", "854231"),
        ("8542 31", "854231"),
        (" 811292 ", "811292"),
    ],
)
def test_normalize_hs6(raw: str | int, hs6: str) -> None:
    assert normalize_hs6(raw) == hs6


@pytest.mark.parametrize("bad", ["8542", "85423100", "abcdef", "", -5, 0, True, "12345678"])
def test_normalize_hs6_rejects_bad_codes(bad: str | int) -> None:
    with pytest.raises(ValueError, match="HS"):
        normalize_hs6(bad)


def test_read_hs_datahub(shared_data: Path) -> None:
    hs = read_hs_nomenclature(shared_data / "hs_codes" / "harmonized-system.csv")
    assert list(hs.columns) == ["hscode", "description", "level", "parent", "section"]
    assert hs["level"].value_counts().to_dict() == {6: 5613, 4: 1229, 2: 97}
    row = hs.set_index("hscode").loc["811292"]
    assert row["parent"] == "8112" and row["section"] == "XV" and row["level"] == 6
    assert hs.set_index("hscode").loc["01", "parent"] is None or pd.isna(
        hs.set_index("hscode").loc["01", "parent"]
    )


def test_read_hs_baci_products(shared_data: Path) -> None:
    hs = read_hs_nomenclature(shared_data / "baci_codes" / "product_codes_HS22_V202501.csv")
    assert len(hs) == 5609
    assert (hs["level"] == 6).all()
    row = hs.set_index("hscode").loc["850760"]
    assert row["parent"] == "8507" and "lithium-ion" in row["description"]


def test_read_hs_bad_code_names_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "products.csv"
    bad.write_text("code,description\n010121,Horses\n01X129,Bad\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_hs_nomenclature(bad)
    assert err.value.line == 3 and err.value.field == "code"
    assert "products.csv, line 3, field code" in str(err.value)


def test_read_hs_unknown_format(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not an HS code list"):
        read_hs_nomenclature(bad)
