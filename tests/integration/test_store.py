"""The DuckDB store: round trips, catalogue, errors and transactional imports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.data import app
from econsec.data.importers.gta import import_gta
from econsec.data.store import Store, sha256_of
from econsec.errors import StoreError


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.csv"
    path.write_text("a,b\n1,x\n", encoding="utf-8")
    return path


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "iso3": ["USA", "JPN", None],
            "share": [0.5, 0.25, float("nan")],
            "year": pd.array([2023, 2023, None], dtype="Int64"),
        }
    )


def test_round_trip_catalogue_and_has(tmp_path: Path, source: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        counts = store.replace_dataset(
            "demo",
            {"shares": frame(), "other": frame().head(1)},
            source_file=source,
            licence="CC0",
            note="test",
        )
        assert counts == {"shares": 3, "other": 1}
        assert store.has("demo", "shares") and not store.has("demo", "nope")
        back = store.read("demo", "shares")
        assert back["iso3"].tolist()[:2] == ["USA", "JPN"] and pd.isna(back["iso3"][2])
        assert back["share"].tolist()[:2] == [0.5, 0.25]
        cat = store.list_datasets()
    assert sorted(cat["table_name"]) == ["other", "shares"]
    row = cat.set_index("table_name").loc["shares"]
    assert row["rows"] == 3 and row["licence"] == "CC0" and row["note"] == "test"
    assert row["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert row["source_file"] == str(source.resolve())
    # reopening read-only sees the same data
    with Store(db, read_only=True) as store:
        assert len(store.read("demo", "other")) == 1


def test_replace_drops_stale_tables(tmp_path: Path, source: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.replace_dataset("demo", {"a": frame(), "b": frame()}, source_file=source, licence="x")
        store.replace_dataset("demo", {"a": frame().head(2)}, source_file=source, licence="x")
        assert not store.has("demo", "b")
        assert store.read("demo", "a").shape[0] == 2
        assert store.list_datasets()["table_name"].tolist() == ["a"]


def test_read_missing_names_the_import_command(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(StoreError) as err:
        store.read("usgs", "world_shares")
    assert "econsec data import usgs" in str(err.value)


def test_bad_names_rejected(tmp_path: Path, source: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        for dataset, table in (("Bad", "t"), ("a__b", "t"), ("ok", "x;drop")):
            with pytest.raises(StoreError):
                store.replace_dataset(dataset, {table: frame()}, source_file=source, licence="x")


def test_default_path_uses_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECONSEC_DB", str(tmp_path / "env.duckdb"))
    assert Store.default_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("ECONSEC_DB")
    assert Store.default_path().name == "econsec.duckdb"


def test_transaction_rolls_back_and_reraises(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError, match="boom"), store.transaction():
            store.con.execute("CREATE TABLE t (x INTEGER)")
            raise RuntimeError("boom")
        assert "t" not in store.snapshot()["tables"]


def test_closed_store_and_read_only_missing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_datasets()
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_failed_replace_half_way_leaves_store_unchanged(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second table's creation fails after the old tables were dropped: all rolled back."""
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.replace_dataset(
            "demo", {"a": frame(), "b": frame().head(1)}, source_file=source, licence="v1"
        )
        before = store.snapshot()
        before_a = store.read("demo", "a")

        calls = {"n": 0}
        original = Store._create_table

        def failing(self: Store, qualified: str, data: pd.DataFrame) -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full (injected)")
            original(self, qualified, data)

        monkeypatch.setattr(Store, "_create_table", failing)
        with pytest.raises(RuntimeError, match="injected"):
            store.replace_dataset(
                "demo", {"a": frame().head(2), "c": frame()}, source_file=source, licence="v2"
            )
        assert calls["n"] == 2
        assert store.snapshot() == before
        pd.testing.assert_frame_equal(store.read("demo", "a"), before_a)
    with Store(db) as store:  # and on disk
        assert store.snapshot() == before


def test_failed_gta_import_leaves_store_unchanged(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An importer failing inside the store transaction changes nothing."""
    gta = shared_data / "gta_semiconductor_export_controls" / "interventions.csv"
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        import_gta(gta, store)
        before = store.snapshot()
        catalogue = store.list_datasets()

        def broken_insert(self: Store, qualified: str, data: pd.DataFrame) -> None:
            self.con.execute(f'CREATE TABLE "{qualified}" AS SELECT 1 AS x')
            raise RuntimeError("importer crashed half-way")

        monkeypatch.setattr(Store, "_create_table", broken_insert)
        with pytest.raises(RuntimeError, match="half-way"):
            import_gta(gta, store)
        assert store.snapshot() == before
        pd.testing.assert_frame_equal(store.list_datasets(), catalogue)


def test_sha256_of_folder_depends_on_files(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("1")
    (folder / "b.csv").write_text("2")
    whole = sha256_of(folder)
    only_a = sha256_of(folder, [folder / "a.csv"])
    assert whole != only_a and len(whole) == 64
    (folder / "b.csv").write_text("3")
    assert sha256_of(folder) != whole and sha256_of(folder, [folder / "a.csv"]) == only_a


def test_cli_list_and_show(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    gta = shared_data / "gta_semiconductor_export_controls" / "interventions.csv"
    result = runner.invoke(app, ["import", "gta", str(gta), "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["list", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "gta,measures,80," in result.output
    result = runner.invoke(
        app, ["show", "gta", "measures", "-n", "2", "--db", str(db), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count('"id": "gta_') == 2
    out = tmp_path / "m.csv"
    result = runner.invoke(
        app,
        [
            "show",
            "gta",
            "measures",
            "--db",
            str(db),
            "--out",
            str(out),
            "--format",
            "csv",
            "-n",
            "100",
        ],
    )
    assert result.exit_code == 0 and len(pd.read_csv(out)) == 80
    result = runner.invoke(app, ["show", "eto", "goods", "--db", str(db)])
    assert result.exit_code == 2
    assert "econsec data import eto" in result.output
    result = runner.invoke(app, ["list", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 0 and "no datasets imported yet" in result.output


def test_cli_import_countries_and_hs(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    cc = shared_data / "country_codes" / "country-codes.csv"
    result = runner.invoke(app, ["import", "countries", str(cc), "--db", str(db)])
    assert result.exit_code == 0, result.output
    baci = shared_data / "baci_codes" / "country_codes_V202501.csv"
    assert runner.invoke(app, ["import", "countries", str(baci), "--db", str(db)]).exit_code == 0
    hs = shared_data / "hs_codes" / "harmonized-system.csv"
    result = runner.invoke(app, ["import", "hs", str(hs), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        countries = store.read("countries", "countries").set_index("iso3")
        assert len(countries) == 249
        assert countries.loc["USA", "baci"] == 842 and countries.loc["TWN", "m49"] == 158
        baci_t = store.read("baci_codes", "countries").set_index("baci")
        assert baci_t.loc[490, "iso3"] == "TWN" and baci_t.loc[490, "iso3_cepii"] == "S19"
        nomen = store.read("hs", "nomenclature")
        assert len(nomen) == 6939
        before = store.snapshot()
    bad = tmp_path / "harmonized-system.csv"
    lines = hs.read_text(encoding="utf-8-sig").splitlines()
    bad.write_text("\n".join([*lines[:5], lines[3]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "hs", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert "line 6, field hscode: duplicate code" in " ".join(result.output.split())
    with Store(db) as store:
        assert store.snapshot() == before
