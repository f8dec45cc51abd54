"""ETO importer on the real dataset in ../shared/data/eto, and on broken copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.data import app
from econsec.data.importers.eto import LICENCE, import_eto, read_eto
from econsec.data.store import Store
from econsec.errors import DataError


@pytest.fixture(scope="module")
def eto_tables(shared_data: Path) -> dict[str, pd.DataFrame]:
    return read_eto(shared_data / "eto")


@pytest.fixture
def eto_copy(shared_data: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "eto"
    shutil.copytree(shared_data / "eto", dest)
    return dest


def test_row_counts_match_provenance(eto_tables: dict[str, pd.DataFrame]) -> None:
    goods = eto_tables["goods"]
    assert (goods["type"] != "stage").sum() == 126  # inputs.csv
    assert (goods["type"] == "stage").sum() == 3
    # provision.csv: 1,300 rows = 580 country providers + 720 organisations
    assert len(eto_tables["country_shares"]) == 580
    assert len(eto_tables["firm_shares"]) == 720
    # sequence.csv: 139 rows, 53 goes-into edges and 86 is-type-of links
    assert len(eto_tables["edges"]) == 53
    assert len(eto_tables["taxonomy"]) == 86
    assert goods["type"].value_counts()["tool_resource"] == 90


def test_euv_scanners_are_asml_and_the_netherlands(eto_tables: dict[str, pd.DataFrame]) -> None:
    """provision.csv: ASML,P88,EUV lithography tools,N20,100.0,2025 and NLD,P45,...,100.0."""
    firms = eto_tables["firm_shares"]
    euv = firms[firms["good_id"] == "N20"]
    assert euv[["firm", "hq_country", "share", "year"]].values.tolist() == [
        ["ASML", "NLD", 1.0, 2025]
    ]
    countries = eto_tables["country_shares"]
    euv_c = countries[countries["good_id"] == "N20"]
    assert euv_c[["economy", "share", "share_pct"]].values.tolist() == [["NLD", 1.0, 100.0]]
    assert euv_c["good_name"].iloc[0] == "EUV lithography tools"


def test_shares_are_fractions_and_blanks_flagged(
    shared_data: Path, eto_tables: dict[str, pd.DataFrame]
) -> None:
    raw = pd.read_csv(shared_data / "eto" / "provision.csv", dtype=str, keep_default_na=False)
    both = pd.concat([eto_tables["country_shares"], eto_tables["firm_shares"]])
    assert both["share"].dropna().between(0, 1).all()
    assert int(both["share_missing"].sum()) == int((raw["share_provided"] == "").sum()) == 246
    assert both.loc[both["share_missing"], "share"].isna().all()
    assert both["source"].str.len().min() > 0  # no figure without a source


def test_economy_mapping_keeps_provider_name(eto_tables: dict[str, pd.DataFrame]) -> None:
    cs = eto_tables["country_shares"]
    various = cs[cs["provider_name"].isin(["Various countries", "Various"])]
    assert len(various) == 64 and set(various["economy"]) == {"ROW"}
    assert set(cs.loc[cs["provider_name"] == "EUR", "economy"]) == {"EUR"}
    assert {"USA", "JPN", "KOR", "CHN", "TWN", "NLD"} <= set(cs["economy"])
    # Taiwan's share of logic fabrication (TSMC) and Japan's photoresist strength are present
    firms = eto_tables["firm_shares"]
    assert (
        "TSMC" in set(firms["firm"])
        and firms.loc[firms["firm"] == "TSMC", "hq_country"].eq("TWN").all()
    )


def test_import_writes_catalogue_and_warns_about_licence(shared_data: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        report = import_eto(shared_data / "eto", store)
        assert report.tables == {
            "goods": 129,
            "edges": 53,
            "taxonomy": 86,
            "country_shares": 580,
            "firm_shares": 720,
        }
        assert any("do not redistribute" in w.lower() for w in report.warnings)
        cat = store.list_datasets()
        assert set(cat["licence"]) == {LICENCE} == {"CC BY-NC 4.0"}
        assert len(store.read("eto", "firm_shares")) == 720


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_non_numeric_share(eto_copy: Path) -> None:
    prov = eto_copy / "provision.csv"
    _edit(
        prov, "ASML,P88,EUV lithography tools,N20,100.0", "ASML,P88,EUV lithography tools,N20,all"
    )
    with pytest.raises(DataError) as err:
        read_eto(eto_copy)
    assert err.value.file.endswith("provision.csv")
    assert err.value.field == "share_provided"
    assert err.value.line == _line_of(prov, "ASML,P88,EUV")


def test_unknown_country(eto_copy: Path) -> None:
    prov = eto_copy / "providers.csv"
    _edit(prov, "NLD,Netherlands,P45,country,", "Holland,Netherlands,P45,country,")
    with pytest.raises(DataError) as err:
        read_eto(eto_copy)
    assert err.value.file.endswith("providers.csv")
    assert err.value.field == "provider_name"
    assert err.value.line == _line_of(prov, "Holland,")
    assert "unknown country 'Holland'" in str(err.value)


def test_duplicate_key(eto_copy: Path) -> None:
    prov = eto_copy / "provision.csv"
    first = prov.read_text(encoding="utf-8").splitlines()[1]
    with prov.open("a", encoding="utf-8") as fh:
        fh.write(first + "\n")
    with pytest.raises(DataError) as err:
        read_eto(eto_copy)
    assert err.value.line == 1302 and err.value.field == "provider_id,provided_id,year"


def test_missing_column_and_truncated_file(eto_copy: Path) -> None:
    seq = eto_copy / "sequence.csv"
    _edit(seq, "is_type_of_name,is_type_of_id", "is_type_of_name,parent")
    with pytest.raises(DataError) as err:
        read_eto(eto_copy)
    assert (err.value.line, err.value.field) == (1, "is_type_of_id")
    inputs = eto_copy / "inputs.csv"
    text = inputs.read_text(encoding="utf-8")
    inputs.write_text(text[: len(text) // 2], encoding="utf-8")  # cut inside a quoted field
    with pytest.raises(DataError) as err2:
        read_eto(eto_copy)
    assert err2.value.file.endswith("inputs.csv") and err2.value.line and err2.value.field


def test_cli_import_eto_and_bad_input_exit_2(
    eto_copy: Path, shared_data: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    ok = runner.invoke(app, ["import", "eto", str(shared_data / "eto"), "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    assert "eto__country_shares" in ok.output and "CC BY-NC 4.0" in ok.output
    with Store(db) as store:
        before = store.snapshot()
    _edit(
        eto_copy / "provision.csv",
        "ASML,P88,EUV lithography tools,N20,100.0",
        "ASML,P88,EUV lithography tools,N20,lots",
    )
    bad = runner.invoke(app, ["import", "eto", str(eto_copy), "--db", str(db)])
    assert bad.exit_code == 2
    message = " ".join(bad.output.split())  # rich wraps long lines
    assert "provision.csv, line" in message and "field share_provided" in message
    with Store(db) as store:
        assert store.snapshot() == before
