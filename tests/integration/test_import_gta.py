"""Global Trade Alert importer: 80 semiconductor export-control interventions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.data import app
from econsec.data.importers.gta import TYPE_MAP, import_gta, read_gta, split_list
from econsec.data.store import Store
from econsec.domain.measures import MeasureType
from econsec.errors import DataError


@pytest.fixture(scope="module")
def gta_file(shared_data: Path) -> Path:
    return shared_data / "gta_semiconductor_export_controls" / "interventions.csv"


@pytest.fixture(scope="module")
def measures(gta_file: Path) -> pd.DataFrame:
    return read_gta(gta_file)["measures"]


def test_counts_and_types(measures: pd.DataFrame) -> None:
    assert len(measures) == 80
    assert measures["id"].str.match(r"^gta_\d+$").all() and measures["id"].is_unique
    # PROVENANCE: Export licensing requirement 46, Export ban 31, non-tariff measure nes 3
    assert measures["gta_type"].value_counts().to_dict() == {
        "Export licensing requirement": 46,
        "Export ban": 31,
        "Export-related non-tariff measure, nes": 3,
    }
    assert measures["type"].value_counts().to_dict() == {"licensing": 46, "export_control": 34}
    assert set(TYPE_MAP.values()) <= {m.value for m in MeasureType}
    assert measures["evaluation"].value_counts().to_dict() == {"Red": 67, "Green": 10, "Amber": 3}
    assert measures["source"].eq("Global Trade Alert").all()


def test_huawei_rule(measures: pd.DataFrame) -> None:
    row = measures.set_index("id").loc["gta_80754"]
    assert row["imposer"] == "USA" and split_list(row["targets"]) == ["CHN"]
    assert split_list(row["hs6"]) == ["854149", "854151", "854159", "854190"]
    assert row["announced"] == dt.date(2020, 8, 17) and row["effective"] == dt.date(2020, 8, 17)
    assert row["lifted"] is None and bool(row["in_force"]) and row["type"] == "licensing"
    assert row["url"] == "https://globaltradealert.org/intervention/80754"
    assert row["year"] == 2020


def test_jurisdictions_and_dates(measures: pd.DataFrame) -> None:
    imposers = measures["imposer"].map(split_list)
    eu = imposers[imposers.map(len) == 27]
    assert len(eu) == 25 and {"NLD", "DEU", "FRA"} <= set(eu.iloc[0])
    assert (imposers.map(len) == 1).sum() == 55
    single = imposers[imposers.map(len) == 1].map(lambda x: x[0]).value_counts().to_dict()
    assert single == {
        "USA": 40,
        "CHN": 5,
        "CHE": 4,
        "AUS": 2,
        "JPN": 1,
        "KOR": 1,
        "GBR": 1,
        "VNM": 1,
    }
    targets = measures["targets"].map(split_list)
    assert (targets.map(lambda t: t == ["RUS"])).sum() == 14
    assert all(len(t) == len(set(t)) and all(len(c) == 3 for c in t) for t in targets)
    assert measures["lifted"].notna().sum() == 3
    assert not measures.loc[measures["lifted"].notna(), "in_force"].all()
    assert min(measures["announced"]) == dt.date(2019, 3, 28)
    assert max(measures["announced"]) == dt.date(2026, 1, 14)
    all_hs = {c for v in measures["hs6"] for c in split_list(v)}
    assert len(all_hs) == 2143
    assert {"848620", "381800", "370790", "281111", "811292"} <= all_hs


def test_import_and_store(gta_file: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        report = import_gta(gta_file, store)
        assert report.tables == {"measures": 80}
        back = store.read("gta", "measures")
    assert len(back) == 80
    row = back.set_index("id").loc["gta_80754"]
    assert split_list(row["targets"]) == ["CHN"] and len(split_list(row["hs6"])) == 4


def _bad_copy(gta_file: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = gta_file.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "interventions.csv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_unknown_country(gta_file: Path, tmp_path: Path) -> None:
    bad = _bad_copy(
        gta_file,
        tmp_path,
        "United States of America: Further restrictions imposed "
        "on transactions involving Huawei and its non-U.S. affiliates,Red,United "
        "States of America,",
        "United States of America: Further restrictions "
        "imposed on transactions involving Huawei and its non-U.S. affiliates,Red,"
        "Freedonia,",
    )
    with pytest.raises(DataError) as err:
        read_gta(bad)
    assert (err.value.line, err.value.field) == (4, "Implementing Jurisdictions")
    assert "interventions.csv, line 4" in str(err.value) and "Freedonia" in str(err.value)


def test_bad_date_and_hs_code(gta_file: Path, tmp_path: Path) -> None:
    bad = _bad_copy(gta_file, tmp_path, ",2020-08-17,2020-08-17,,1", ",2020-08-17,17/08/2020,,1")
    with pytest.raises(DataError) as err:
        read_gta(bad)
    assert (err.value.line, err.value.field) == (4, "Date Implemented")
    bad = _bad_copy(
        gta_file, tmp_path, '"854149, 854151, 854159, 854190"', '"854149, 8541X1, 854159, 854190"'
    )
    with pytest.raises(DataError) as err:
        read_gta(bad)
    assert err.value.field == "Affected Products"


def test_duplicate_intervention(gta_file: Path, tmp_path: Path) -> None:
    lines = gta_file.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "interventions.csv"
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_gta(path)
    assert err.value.field == "Intervention ID" and "first seen on line 2" in str(err.value)


def test_cli_import_gta(gta_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    result = runner.invoke(app, ["import", "gta", str(gta_file), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "gta__measures" in result.output and "80" in result.output
    bad = _bad_copy(
        gta_file, tmp_path, ",Red,United States of America,", ",Blue,United States of America,"
    )
    with Store(db) as store:
        before = store.snapshot()
    result = runner.invoke(app, ["import", "gta", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert "field GTA Evaluation" in " ".join(result.output.split())
    with Store(db) as store:
        assert store.snapshot() == before
