"""``econsec compare``, ``econsec rca`` and ``econsec exposure --source trade`` via CliRunner.

WIOD runs read the real WIOD 2013 files (../shared/data/wiod2013) with ``--wiod``; BACI
runs read a hand-made BACI year imported into a temporary store (``--db``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from baci_sample import BACI_ROWS
from typer.testing import CliRunner

from econsec.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def wiod(shared_data: Path) -> str:
    path = shared_data / "wiod2013"
    if not path.is_dir():
        pytest.skip("needs ../shared/data/wiod2013 (the real datasets), not present")
    return str(path)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from econsec.data.importers.baci import import_baci
    from econsec.data.store import Store

    folder = tmp_path_factory.mktemp("cli_baci")
    csv = folder / "BACI_HS17_Y2022_V202501.csv"
    csv.write_text(BACI_ROWS)
    path = folder / "store.duckdb"
    with Store(path) as store:
        import_baci(csv, store)
    return str(path)


def test_compare_table_wide_with_breaks(wiod: str) -> None:
    code, out, err = run("compare", "KOR", "CHN", "--years", "1995-2011", "--source", "wiod",
                         "--wiod", wiod)
    assert code == 0, err
    assert "tci_a_to_b" in out and "tci_b_to_a" in out and "esi" in out
    assert "2011" in out and "65.4" in out  # TCI KOR->CHN 2011 = 65.39
    assert "tci_a_to_b  break 2007" in err and "toward competition" in err
    assert "esi         break 2005" in err


def test_compare_json_rows(wiod: str) -> None:
    code, out, err = run("compare", "KOR", "CHN", "--years", "2010-2011", "--wiod", wiod,
                         "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 8
    assert {"year", "economy_a", "economy_b", "index", "value"} <= set(rows[0])
    first = rows[0]
    assert (first["year"], first["economy_a"], first["economy_b"], first["index"]) == (
        2010, "KOR", "CHN", "tci_a_to_b")
    tci11 = next(r for r in rows if r["year"] == 2011 and r["index"] == "tci_a_to_b")
    assert tci11["value"] == pytest.approx(65.39, abs=0.01)
    # too few years for a break test: said so on stderr, not in the JSON
    assert "not tested" in err


def test_compare_csv_and_breaks_csv(wiod: str) -> None:
    code, out, _ = run("compare", "KOR", "CHN", "--wiod", wiod, "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "year,economy_a,economy_b,index,value,market,goods,grouping,source"
    assert len(lines) == 1 + 17 * 4
    code, out, _ = run("compare", "KOR", "CHN", "--wiod", wiod, "--breaks", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(pd.io.common.StringIO(out))
    row = frame.set_index("index").loc["tci_b_to_a"]
    assert row["break_year"] == 2005 and row["direction"] == "toward competition"


def test_compare_xlsx_out(wiod: str, tmp_path: Path) -> None:
    dest = tmp_path / "kor_chn.xlsx"
    code, _, err = run("compare", "KOR", "CHN", "--wiod", wiod, "--years", "2000-2011",
                       "--format", "xlsx", "--out", str(dest))
    assert code == 0, err
    frame = pd.read_excel(dest, engine="calamine")
    assert len(frame) == 12 * 4
    assert set(frame["index"]) == {"tci_a_to_b", "tci_b_to_a", "esi", "gl"}


def test_compare_market_goods_from_store(db: str) -> None:
    code, out, err = run("compare", "JPN", "KOR", "--market", "CHN", "--goods",
                         "semiconductors", "--source", "baci", "--db", db, "--format", "json")
    assert code == 0, err
    vals = {r["index"]: r["value"] for r in json.loads(out)}
    assert vals["esi"] == pytest.approx(25.0)
    assert vals["tci_a_to_b"] == pytest.approx(80.0)
    assert vals["tci_b_to_a"] == pytest.approx(250 / 3)


def test_rca_formats(db: str, wiod: str) -> None:
    code, out, err = run("rca", "KOR", "--year", "2022", "--source", "baci", "--db", db,
                         "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["product"] for r in rows] == ["854232", "854231"]
    assert rows[0]["rca"] == pytest.approx((100 / 120) / (110 / 370))
    code, out, err = run("rca", "CHN", "--year", "2011", "--top", "3", "--source", "wiod",
                         "--wiod", wiod)
    assert code == 0, err
    assert "Leather" in out and "c14" in out
    code, out, _ = run("rca", "CHN", "--year", "2011", "--top", "5", "--source", "wiod",
                       "--wiod", wiod, "--format", "csv")
    assert out.splitlines()[0].startswith("year,economy,product,name,exports")
    assert len(out.strip().splitlines()) == 6


def test_exposure_source_trade(db: str) -> None:
    code, out, err = run("exposure", "KOR", "--good", "gallium", "--source", "trade",
                         "--db", db, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["supplier"] == "CHN" and rows[0]["share"] == 1.0
    assert rows[0]["source"] == "baci 2022 (HS 811292, 811299)"
    code, out, _ = run("exposure", "KOR", "--good", "gallium", "--format", "json")
    assert code == 0
    assert all(not r["source"].startswith("baci") for r in json.loads(out))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "XXX", "CHN"], "economy_a"),
        (["compare", "KOR", "CHN", "--years", "2011-1995"], "years"),
        (["compare", "KOR", "CHN", "--goods", "unobtainium"], "goods"),
        (["compare", "KOR", "CHN", "--grouping", "hs5"], "grouping"),
        (["rca", "XXX", "--year", "2011", "--source", "wiod"], "economy"),
        (["rca", "CHN", "--year", "1990", "--source", "wiod"], "years"),
    ],
)
def test_errors(wiod: str, args: list[str], message: str) -> None:
    code, out, err = run(*args, "--wiod", wiod)
    assert code == 2
    assert "error:" in err and message in err
    assert "Traceback" not in out + err


def test_no_panel_error(tmp_path: Path) -> None:
    code, _, err = run("compare", "JPN", "KOR", "--source", "baci", "--db",
                       str(tmp_path / "none.duckdb"))
    assert code == 2
    assert "source:" in err and "import" in err
    code, _, err = run("exposure", "KOR", "--source", "oracle")
    assert code == 2 and "--source" in err


def test_help_has_examples() -> None:
    code, out, _ = run("compare", "--help")
    assert code == 0
    assert "econsec compare KOR CHN --years 1995-2011" in out
    code, out, _ = run("rca", "--help")
    assert code == 0 and "econsec rca CHN --year 2024 --top 20" in out


def test_compare_exports_carry_the_breaks(wiod: str, tmp_path: Path) -> None:
    dest = tmp_path / "kor_chn.xlsx"
    code, _, err = run("compare", "KOR", "CHN", "--wiod", wiod, "--format", "xlsx",
                       "--out", str(dest))
    assert code == 0, err
    sheets = pd.read_excel(dest, sheet_name=None, engine="calamine")
    brk = sheets["breaks"].set_index("index")
    # the same break as the stderr line and --breaks (TCI CHN->KOR: 2005, competition)
    assert brk.loc["tci_b_to_a", "break_year"] == 2005
    assert brk.loc["tci_b_to_a", "direction"] == "toward competition"
    assert {"f_stat", "critical_value"} <= set(brk.columns)
    # rounded to 4 decimals: ten-thousandths are whole numbers
    f = brk["f_stat"].dropna()
    assert ((f * 10_000).round(6) % 1 == 0).all()
    out = tmp_path / "kor_chn.csv"
    code, _, err = run("compare", "KOR", "CHN", "--wiod", wiod, "--format", "csv",
                       "--out", str(out))
    assert code == 0, err
    side = pd.read_csv(tmp_path / "kor_chn_breaks.csv").set_index("index")
    assert side.loc["tci_b_to_a", "break_year"] == 2005


def test_compare_exports_carry_units_and_sources(wiod: str, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    dest = tmp_path / "k.parquet"
    code, _, err = run("compare", "KOR", "CHN", "--wiod", wiod, "--format", "parquet",
                       "--out", str(dest))
    assert code == 0, err
    meta = json.loads(pq.read_schema(dest).metadata[b"econsec"])
    assert "0-100" in meta["units"]["value"] and meta["sources"]
    assert (tmp_path / "k_breaks.parquet").is_file()
    xl = tmp_path / "k.xlsx"
    code, _, err = run("compare", "KOR", "CHN", "--wiod", wiod, "--format", "xlsx",
                       "--out", str(xl))
    assert code == 0, err
    sources = pd.read_excel(xl, sheet_name="sources", engine="calamine")
    assert {"units", "sources"} <= set(sources["kind"])
