"""The trade-panel store: BACI-format import, partitions, catalogue, load_flows, failures.

All inputs are tiny hand-written BACI CSVs, so every expected figure is computed by hand
(values in thousand USD x 1000; BACI codes 842 -> USA, 490 -> TWN, 156 -> CHN, 392 -> JPN,
410 -> KOR, 4 -> AFG, 8 -> ALB).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec.cli.data import app
from econsec.data import panel as panel_mod
from econsec.data.importers.baci import hs_revision_of, import_baci
from econsec.data.panel import list_panels, load_flows, panels_dir
from econsec.data.store import Store
from econsec.errors import DataError, StoreError

Y2022 = """t,i,j,k,v,q
2022,842,156,854231,1000.5,2.5
2022,842,490,854231,250,NA
2022,156,842,811292,40.25,  NA
2022,490,842,10121,3,0.75
2022,410,392,854232,12,1
"""
Y2021 = """t,i,j,k,v,q
2021,842,156,854231,800,2
2021,392,410,281111,5.5,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def state(db: Path) -> dict[str, object]:
    """Everything an import may touch: the DuckDB file's bytes, catalogue rows and every
    panel file's bytes (call with no store open)."""
    root = panels_dir(db)
    files = (
        {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(root.rglob("*")) if p.is_file()}
        if root.exists() else {}
    )
    catalogue = list_panels(db).astype(str).to_dict("records")
    stores = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(db.parent.glob(db.name + "*"))}
    return {"files": files, "catalogue": catalogue, "store": stores}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def two_years(tmp_path: Path, db: Path) -> Path:
    with Store(db) as store:
        import_baci(write(tmp_path, "BACI_HS22_Y2022_V202501.csv", Y2022), store)
        import_baci(write(tmp_path, "BACI_HS17_Y2021_V202501.csv", Y2021), store)
    return db


def test_values_codes_and_units(two_years: Path) -> None:
    flows = load_flows("baci", db=two_years, years=[2022])
    assert list(flows.columns) == list(panel_mod.PANEL_COLUMNS)
    assert str(flows["year"].dtype) == "int64" and str(flows["value"].dtype) == "float64"
    assert str(flows["quantity"].dtype) == "float64"
    rows = {(r.exporter, r.importer, r.product): (r.value, r.quantity)
            for r in flows.itertuples()}
    assert rows[("USA", "CHN", "854231")] == (1_000_500.0, 2.5)
    assert rows[("CHN", "USA", "811292")][0] == 40_250.0
    assert math.isnan(rows[("CHN", "USA", "811292")][1])  # '  NA' (space-padded)
    assert math.isnan(rows[("USA", "TWN", "854231")][1])  # 'NA'
    assert rows[("TWN", "USA", "010121")] == (3_000.0, 0.75)  # k padded to 6 digits
    assert rows[("KOR", "JPN", "854232")] == (12_000.0, 1.0)
    assert set(flows["flow_source"]) == {"baci"}
    assert len(flows) == 5


def test_catalogue(two_years: Path, tmp_path: Path) -> None:
    cat = list_panels(two_years).set_index("year")
    assert list(cat.index) == [2021, 2022]
    assert cat.loc[2022, "rows"] == 5
    assert cat.loc[2022, "value_total_usd"] == pytest.approx(
        (1000.5 + 250 + 40.25 + 3 + 12) * 1000
    )
    assert cat.loc[2022, "quantity_total_t"] == pytest.approx(2.5 + 0.75 + 1)
    assert cat.loc[2021, "value_total_usd"] == pytest.approx(805_500.0)
    assert cat.loc[2022, "hs_revision"] == "HS22" and cat.loc[2021, "hs_revision"] == "HS17"
    raw = (tmp_path / "BACI_HS22_Y2022_V202501.csv").read_bytes()
    assert cat.loc[2022, "sha256"] == hashlib.sha256(raw).hexdigest()
    # a versioned folder per import: baci/year=2022/v<ns>-<pid>
    assert re.fullmatch(r"baci/year=2022/v\d+-\d+", cat.loc[2022, "path"])
    assert cat.loc[2022, "note"] == "CEPII BACI V202501"
    assert (panels_dir(two_years) / cat.loc[2022, "path"]).is_dir()


def test_filters_push_down(two_years: Path) -> None:
    both = load_flows("baci", db=two_years)
    assert sorted(both["year"].unique()) == [2021, 2022] and len(both) == 7
    usa = load_flows("baci", db=two_years, exporters=["USA"])
    assert sorted(zip(usa["year"], usa["importer"], strict=True)) == [
        (2021, "CHN"), (2022, "CHN"), (2022, "TWN")
    ]
    one = load_flows("baci", db=two_years, years=[2021], importers="KOR", products=["281111"])
    assert one[["exporter", "value"]].values.tolist() == [["JPN", 5500.0]]
    assert load_flows("baci", db=two_years, exporters=[]).empty


def test_adding_a_year_leaves_the_other_untouched(tmp_path: Path, db: Path) -> None:
    with Store(db) as store:
        import_baci(write(tmp_path, "BACI_HS22_Y2022_V202501.csv", Y2022), store)
    part = next((panels_dir(db) / "baci" / "year=2022").rglob("*.parquet"))
    before_stat = part.stat().st_mtime_ns
    before_bytes = part.read_bytes()
    before_row = list_panels(db).astype(str).to_dict("records")
    with Store(db) as store:
        import_baci(write(tmp_path, "BACI_HS17_Y2021_V202501.csv", Y2021), store)
    assert part.stat().st_mtime_ns == before_stat and part.read_bytes() == before_bytes
    after = list_panels(db).astype(str)
    assert after[after["year"] == "2022"].to_dict("records") == before_row
    # re-importing 2021 replaces only 2021
    changed = Y2021.replace("800,2", "900,2")
    with Store(db) as store:
        import_baci(write(tmp_path, "BACI_HS17_Y2021_V202502.csv", changed), store)
    assert part.read_bytes() == before_bytes
    cat = list_panels(db).set_index("year")
    assert cat.loc[2021, "value_total_usd"] == pytest.approx(905_500.0)
    assert cat.loc[2021, "note"] == "CEPII BACI V202502" and len(cat) == 2
    assert not list(panels_dir(db).glob(".staging-*")) and not list(panels_dir(db).glob(".trash-*"))


def test_years_option_keeps_only_those(tmp_path: Path, db: Path) -> None:
    both = write(tmp_path, "BACI_HS22_Y2022_V202501.csv", Y2022 + Y2021.split("\n", 1)[1])
    with Store(db) as store:
        report = import_baci(both, store, years=[2021])
    assert report.tables == {"year=2021": 2}
    with Store(db) as store, pytest.raises(DataError, match="no data rows"):
        import_baci(both, store, years=[1999])


def test_missing_dataset_and_year_errors(two_years: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no trade panel 'wiod'.*econsec data import wiod"):
        load_flows("wiod", db=two_years)
    with pytest.raises(StoreError, match=r"no year 2019 \(imported: 2021-2022\)"):
        load_flows("baci", db=two_years, years=[2019, 2021])
    with pytest.raises(StoreError, match="no store"):
        load_flows("baci", db=tmp_path / "absent.duckdb")


MALFORMED = {
    "wrong_columns": ("t,i,j,k,value,q\n2022,842,156,854231,1,1\n", 1, "v", "missing column"),
    "bad_exporter": (Y2022 + "2022,999,156,854231,1,1\n", 7, "i", "unknown BACI country code 999"),
    "bad_importer": (Y2022.replace("2022,410,392", "2022,410,9999"), 6, "j",
                     "unknown BACI country code 9999"),
    "non_numeric_value": (Y2022.replace("250,NA", "2x0,NA"), 3, "v", "'2x0' is not a number"),
    "non_numeric_quantity": (Y2022.replace("12,1", "12,abc"), 6, "q", "not a quantity"),
    "truncated": (Y2022 + "2022,842,156,8542", 7, "v", "truncated record"),
    "bad_product": (Y2022.replace("854232", "8542321"), 6, "k", "not an HS6 product code"),
    "negative_value": (Y2022.replace("1000.5", "-1000.5"), 2, "v", "not a trade value"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_line_and_column_and_changes_nothing(
    case: str, two_years: Path, tmp_path: Path
) -> None:
    text, line, column, message = MALFORMED[case]
    bad = write(tmp_path, "BACI_HS22_Y2022_V202601.csv", text)
    before = state(two_years)
    with Store(two_years) as store, pytest.raises(DataError) as info:
        import_baci(bad, store)
    err = info.value
    assert (err.file, err.line, err.field) == (str(bad), line, column)
    assert message in str(err)
    assert str(bad) in str(err) and f"line {line}" in str(err) and f"field {column}" in str(err)
    assert state(two_years) == before


def test_error_line_is_exact_deep_in_a_big_file(tmp_path: Path, db: Path) -> None:
    """DuckDB parses in parallel; the reported line must still be the file's line."""
    body = "".join(f"2022,842,156,{100000 + n},1.5,1\n" for n in range(60_000))
    lines = body.splitlines(keepends=True)
    lines[41_234] = "2022,842,156,141234,oops,1\n"  # file line 41,236 (header is line 1)
    lines[50_000] = "2022,842,777,150000,1.5,1\n"
    path = write(tmp_path, "BACI_HS22_Y2022_V202501.csv", "t,i,j,k,v,q\n" + "".join(lines))
    with Store(db) as store, pytest.raises(DataError) as info:
        import_baci(path, store)
    assert (info.value.line, info.value.field) == (41_236, "v")
    path.write_text("t,i,j,k,v,q\n" + "".join(lines).replace("oops", "1.5"))
    with Store(db) as store, pytest.raises(DataError) as info:
        import_baci(path, store)
    assert (info.value.line, info.value.field) == (50_002, "j")
    assert "unknown BACI country code 777" in str(info.value)


def test_failure_while_swapping_rolls_everything_back(
    two_years: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both years replaced in one commit; the second folder move fails -> all undone."""
    both = write(tmp_path, "BACI_HS22_Y2022_V202601.csv",
                 Y2022.replace("1000.5", "7") + Y2021.split("\n", 1)[1])
    before = state(two_years)
    real_replace = panel_mod.os.replace
    calls = {"n": 0}

    def flaky(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # 2021 moved to its new version folder, then 2022 fails
            raise OSError("disk full (simulated)")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(panel_mod.os, "replace", flaky)
    with Store(two_years) as store, pytest.raises(OSError, match="simulated"):
        import_baci(both, store, years=[2021, 2022])
    monkeypatch.setattr(panel_mod.os, "replace", real_replace)
    assert state(two_years) == before
    assert load_flows("baci", db=two_years, years=[2022], exporters=["USA"],
                      importers=["CHN"])["value"].tolist() == [1_000_500.0]


def test_an_import_that_shrinks_a_year_needs_replace(two_years: Path, tmp_path: Path) -> None:
    """2022 holds 5 rows; a 2022 file of 1 row is refused, then accepted with replace."""
    small = write(tmp_path, "BACI_HS22_Y2022_V202602.csv", "t,i,j,k,v,q\n2022,842,156,854231,9,1\n")
    before = state(two_years)
    shrink = r"2022: 5 -> 1 rows.*--replace"
    with Store(two_years) as store, pytest.raises(StoreError, match=shrink):
        import_baci(small, store)
    assert state(two_years) == before
    with Store(two_years) as store:
        import_baci(small, store, replace=True)
    assert load_flows("baci", db=two_years, years=[2022])["value"].tolist() == [9000.0]


def test_rows_of_a_year_the_file_name_contradicts_are_refused(
    tmp_path: Path, db: Path
) -> None:
    """A file named ..._Y2022_... holding 2023 rows: refused unless --years picks them."""
    wrong = write(tmp_path, "BACI_HS22_Y2022_V202501.csv", Y2022.replace("2022,", "2023,"))
    with Store(db) as store, pytest.raises(DataError, match=r"2023.*file name says 2022.*--years"):
        import_baci(wrong, store)
    assert list_panels(db).empty
    with Store(db) as store:
        import_baci(wrong, store, years=[2023])
    assert list_panels(db)["year"].tolist() == [2023]


def test_hs_revision_from_name_or_option(tmp_path: Path) -> None:
    assert hs_revision_of(Path("BACI_HS92_Y1995_V202501.csv")) == "HS92"
    assert hs_revision_of(Path("trade_2022.csv")) is None
    assert hs_revision_of(Path("x.csv"), "17") == "HS17"
    with pytest.raises(ValueError, match="unknown HS revision"):
        hs_revision_of(Path("x.csv"), "HS19")


def test_cli_import_and_panels(tmp_path: Path, db: Path) -> None:
    runner = CliRunner()
    path = write(tmp_path, "BACI_HS22_Y2022_V202501.csv", Y2022)
    result = runner.invoke(app, ["import", "baci", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2022" in result.output and "HS22" in result.output
    result = runner.invoke(app, ["panels", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["dataset"], r["year"], r["rows"]) for r in rows] == [("baci", 2022, 5)]
    assert rows[0]["value_total_usd"] == pytest.approx(1_305_750.0)
    bad = write(tmp_path, "BACI_HS22_Y2022_V202502.csv",
                Y2022.replace("2022,410,392", "2022,999,392"))
    result = runner.invoke(app, ["import", "baci", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert "line 6" in flat and "field i" in flat and "unknown BACI country code 999" in flat
    assert list_panels(db)["year"].tolist() == [2022]


def test_load_flows_frame_is_plain_pandas(two_years: Path) -> None:
    flows = load_flows("baci", db=two_years, years=[2021])
    expected = pd.DataFrame({
        "year": [2021, 2021], "exporter": ["JPN", "USA"], "importer": ["KOR", "CHN"],
        "product": ["281111", "854231"], "value": [5500.0, 800_000.0],
        "quantity": [float("nan"), 2.0], "flow_source": ["baci", "baci"],
    })
    got = flows.sort_values("exporter", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_load_while_the_store_is_open_in_this_process(two_years: Path) -> None:
    with Store(two_years) as store:
        assert len(load_flows("baci", db=two_years, years=[2021])) == 2
        assert store.con.execute("SELECT count(*) FROM _panels").fetchone() == (2,)
    with Store(two_years, read_only=True):
        assert list_panels(two_years)["rows"].tolist() == [2, 5]
