"""``econsec exposure --source icio`` and ``econsec chokepoints --source icio``.

Part 1: a 3-economy x 2-sector table written by the test in the ICIO file layout,
imported with ``econsec data import icio``, then queried; the expected values are
computed by hand below. Part 2: the real OECD ICIO 2022 table in ``../shared/data``,
Korea's C26 on China against an independent numpy recomputation from the raw files.

Hand calculation (part 1). Nodes: K1 = KOR B07, K2 = KOR C26, C1 = CHN B07,
C2 = CHN C26, J1 = JPN B07, J2 = JPN C26; every gross output x = 100 (million USD).
Intermediate sales Z (row sells to column), every other cell zero:

    C1 -> K2 10   C2 -> K2 20   K1 -> K2 5   J1 -> K2 10
    J1 -> C2 20   K1 -> C2 10   K2 -> J2 30

A = Z / 100; v = 1 - column sums of A: v_K2 = 1 - 0.45 = 0.55, v_C2 = 0.7, v_J2 = 0.7,
v_K1 = v_C1 = v_J1 = 1 (they buy nothing).

Column K2 of L = (I - A)^-1, l = e_K2 + A l (J2 sells to nobody, so l_J2 = 0):
    l_K2 = 1, l_C1 = 0.1, l_C2 = 0.2, l_K1 = 0.05 + 0.1 * 0.2 = 0.07,
    l_J1 = 0.1 + 0.2 * 0.2 = 0.14, l_J2 = 0.
KOR C26 (K2) by supplier:
    direct:      CHN 0.1 + 0.2 = 0.30   JPN 0.10   KOR 0.05
    look-through CHN 1 * 0.1 + 0.7 * 0.2 = 0.24   JPN 1 * 0.14 = 0.14
                 KOR 0.55 * 1 + 1 * 0.07 = 0.62   (sum 1)
    requirement  CHN 0.1 + 0.2 = 0.30   JPN 0.14   KOR 1 + 0.07 - 1 = 0.07
(China's direct share exceeds its look-through share: part of what Korea pays Chinese
electronics is Korean and Japanese value.)

Column J2: l_J2 = 1, l_K2 = 0.3, l_C1 = 0.03, l_C2 = 0.06, l_K1 = 0.015 + 0.006 = 0.021,
l_J1 = 0.03 + 0.012 = 0.042. JPN C26 on CHN: look-through 0.03 + 0.7 * 0.06 = 0.072,
direct 0. Column C2: l_C2 = 1, l_K1 = 0.1, l_J1 = 0.2: CHN C26 on {KOR, JPN}: direct
0.1 + 0.2 = 0.3, look-through 1 * 0.1 + 1 * 0.2 = 0.3.
Chokepoints of bloc KOR,JPN against CHN, min_share 0.05: exposure K2 0.24 (rank 1),
J2 0.072 (rank 2); K1 and J1 rest on nobody (0); leverage C2 0.3; C1 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec import analysis
from econsec.analysis.names import EmptyAnswerError
from econsec.api import handlers
from econsec.cli.app import app
from econsec.data.importers import icio as icio_mod
from econsec.data.store import Store
from econsec.data.world import load_world
from econsec.domain.names import UnknownNameError
from econsec.errors import StoreError
from icio_small import write_icio_folder


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("icio_small")
    folder = write_icio_folder(root / "icio")
    db = root / "s.duckdb"
    # the import checks gross output against the published 2022 totals of USA, CHN, JPN
    # and KOR (trillions of USD): a toy table cannot pass that plausibility check
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(icio_mod, "PUBLISHED_GROSS_OUTPUT_TN", {})
        r = CliRunner().invoke(app, ["data", "import", "icio", str(folder), "--db", str(db)])
    assert r.exit_code == 0, r.output
    yield db


def _by_supplier(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("supplier")


def test_direct_and_lookthrough_by_hand(small_db: Path) -> None:
    direct = analysis.exposure("KOR", source="icio", sector="C26", db=small_db)
    d = _by_supplier(direct)
    assert d["direct_share"].to_dict() == pytest.approx({"CHN": 0.30, "JPN": 0.10,
                                                         "KOR": 0.05})
    assert list(direct["supplier"]) == ["CHN", "JPN", "KOR"]  # by share, descending
    assert "lookthrough_share" not in direct.columns
    allt = analysis.exposure("Korea", source="icio", sector="c26", tiers="all", db=small_db)
    a = _by_supplier(allt)
    assert a["lookthrough_share"].to_dict() == pytest.approx({"CHN": 0.24, "JPN": 0.14,
                                                              "KOR": 0.62})
    assert a["requirement"].to_dict() == pytest.approx({"CHN": 0.30, "JPN": 0.14,
                                                        "KOR": 0.07})
    assert a["direct_share"].to_dict() == pytest.approx(d["direct_share"].to_dict())
    assert set(allt["gross_output_musd"]) == {100.0}
    assert set(allt["sector_name"]) == {"Computer, electronic and optical products"}
    # provenance and units travel with the frame
    assert allt.attrs["dataset"] == "icio"
    assert allt.attrs["source"] == "OECD ICIO 2025 edition, year 2022"
    assert allt.attrs["year"] == 2022 and allt.attrs["edition"] == 2025
    assert set(allt.attrs["units"]) >= {"direct_share", "lookthrough_share", "requirement",
                                        "gross_output_musd"}
    assert "million current USD" in allt.attrs["units"]["gross_output_musd"]


def test_every_sector_when_none_is_asked(small_db: Path) -> None:
    frame = analysis.exposure("KOR", source="icio", tiers="all", db=small_db)
    # KOR B07 buys nothing: it rests on Korea alone (v = 1), tier 1 is empty
    b07 = frame[frame["sector"] == "B07"]
    assert b07[["supplier", "direct_share", "lookthrough_share"]].values.tolist() == [
        ["KOR", 0.0, pytest.approx(1.0)]]
    assert set(frame["sector"]) == {"B07", "C26"}


def test_sector_chokepoints_both_directions_by_hand(small_db: Path) -> None:
    frame = analysis.chokepoints("KOR,JPN", "CHN", source="icio", db=small_db)
    exp = frame[frame["direction"] == "exposure"]
    assert exp[["economy", "sector", "on", "rank"]].values.tolist() == [
        ["KOR", "C26", "CHN", 1], ["JPN", "C26", "CHN", 2]]
    assert list(exp["lookthrough_share"]) == pytest.approx([0.24, 0.072])
    assert list(exp["direct_share"]) == pytest.approx([0.30, 0.0])
    lev = frame[frame["direction"] == "leverage"]
    assert lev[["economy", "sector", "on"]].values.tolist() == [["CHN", "C26", "KOR,JPN"]]
    assert list(lev["lookthrough_share"]) == pytest.approx([0.3])
    assert list(lev["direct_share"]) == pytest.approx([0.3])
    # a threshold above 0.24 leaves only the leverage row, and a note says why
    high = analysis.chokepoints("KOR,JPN", "CHN", source="icio", db=small_db, min_share=0.25)
    assert list(high["direction"]) == ["leverage"]
    assert any("no exposure rows" in n and "0.24" in n for n in high.attrs["notes"])


def test_cli_exposure_and_chokepoints(small_db: Path) -> None:
    r = CliRunner().invoke(app, ["exposure", "KOR", "--source", "icio", "--sector", "C26",
                                 "--tiers", "all", "--year", "2022", "--db", str(small_db),
                                 "-f", "json"])
    assert r.exit_code == 0, r.output
    rows = {x["supplier"]: x for x in json.loads(r.stdout)}
    assert rows["CHN"]["lookthrough_share"] == pytest.approx(0.24)
    assert rows["CHN"]["direct_share"] == pytest.approx(0.30)
    assert rows["CHN"]["source"] == "OECD ICIO 2025 edition, year 2022"
    r = CliRunner().invoke(app, ["chokepoints", "--bloc", "KOR,JPN", "--against", "CHN",
                                 "--source", "icio", "--db", str(small_db), "-f", "csv"])
    assert r.exit_code == 0, r.output
    assert "exposure,KOR,C26" in r.stdout and "leverage,CHN,C26" in r.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["exposure", "KOR", "--source", "icio", "--year", "2021"],
     "holds year 2022 only (use --year 2022"),
    (["exposure", "KOR", "--source", "icio", "--sector", "C2"], "did you mean C26"),
    (["exposure", "KOR", "--source", "icio", "--sector", "Q86"],
     "the 2 ICIO industry codes B07, C26"),
    (["exposure", "XYZ", "--source", "icio"], "economies of the OECD ICIO"),
    (["exposure", "DEU", "--source", "icio"], "DEU is not one of the table's 3 economies"),
    (["exposure", "KOR", "--source", "icio", "--good", "gallium"], "use sector"),
    (["exposure", "KOR", "--sector", "C26"], "needs source 'icio'"),
    (["exposure", "KOR", "--source", "wiod"], "source must be 'curated' or 'trade' or 'icio'"),
    (["chokepoints", "--bloc", "TRILATERAL", "--against", "CHN", "--source", "trade"],
     "source must be 'curated' or 'icio', not 'trade'"),
    (["chokepoints", "--bloc", "TRILATERAL", "--source", "icio"], "needs --bloc and --against"),
    (["chokepoints", "--bloc", "TRILATERAL", "--against", "CHN", "--source", "icio"],
     "USA"),  # a member the table lacks is named
])
def test_cli_errors_name_the_choices(small_db: Path, args: list[str], says: str) -> None:
    r = CliRunner().invoke(app, [*args, "--db", str(small_db)])
    assert r.exit_code == 2, r.output
    assert says in " ".join(r.output.split()), r.output


def test_not_imported_names_the_import_command(tmp_path: Path) -> None:
    for db in (tmp_path / "absent.duckdb", tmp_path / "empty.duckdb"):
        if db.name == "empty.duckdb":
            Store(db).close()  # a store without the ICIO table
        with pytest.raises(StoreError, match="econsec data import icio"):
            analysis.exposure("KOR", source="icio", db=db)
        r = CliRunner().invoke(app, ["exposure", "KOR", "--source", "icio", "--db", str(db)])
        assert r.exit_code == 2
        out = " ".join(r.output.split())
        assert "econsec data import icio" in out and "no fallback to curated" in out
        # never a curated answer instead
        assert "photoresist" not in r.output


def test_api_uses_the_same_checks(small_db: Path) -> None:
    w = load_world()
    res = handlers.exposure(w, "KOR", tiers="all", source="icio", sector="C26",
                            db=str(small_db))
    rows = {x["supplier"]: x for x in res["rows"]}
    assert rows["JPN"]["lookthrough_share"] == pytest.approx(0.14)
    assert res["dataset"] == "OECD ICIO 2025 edition, year 2022" and res["year"] == 2022
    assert res["sources"][0]["url"] == "http://oe.cd/icio"
    with pytest.raises(handlers.FieldError) as info:
        handlers.exposure(w, "KOR", source="wiod")
    assert info.value.field == "source" and "'icio'" in info.value.message
    with pytest.raises(handlers.FieldError) as info:
        handlers.exposure(w, "KOR", source="icio", sector="C2", db=str(small_db))
    assert info.value.field == "sector" and "C26" in info.value.message
    with pytest.raises(handlers.FieldError) as info:
        handlers.exposure(w, "KOR", source="icio", year=2019, db=str(small_db))
    assert info.value.field == "year" and info.value.status == 404
    with pytest.raises(handlers.FieldError) as info:
        handlers.exposure(w, "KOR", source="icio", db=str(small_db.parent / "none.duckdb"))
    assert info.value.status == 404 and "econsec data import icio" in info.value.message
    assert "none.duckdb" not in info.value.message  # the server's path is not shown


def test_unknown_sector_lists_every_code(small_db: Path) -> None:
    with pytest.raises(UnknownNameError) as info:
        analysis.exposure("KOR", source="icio", sector="electronics", db=small_db)
    assert "B07, C26" in str(info.value)
    # the sector's name resolves like its code
    named = analysis.exposure("KOR", source="icio", sector="mining of metal ores",
                              tiers="all", db=small_db)
    assert set(named["sector"]) == {"B07"}
    # KOR B07 buys nothing: tier 1 has no rows, and the error says so
    with pytest.raises(EmptyAnswerError, match="KOR sector B07 has no output or no"):
        analysis.exposure("KOR", source="icio", sector="B07", db=small_db)


# --- part 2: the real table ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real_db(icio_db: Path) -> Path:
    """The session's store with the real table (tests/conftest.py; read only here)."""
    return icio_db


def test_korea_c26_on_china_against_numpy(shared_data: Path, real_db: Path) -> None:
    """Direct and look-through shares recomputed from the raw files with numpy only:
    A = Z / x, v = 1 - 1'A, l = (I - A)^-1 e_j by a dense solve (docs/icio.md quotes
    7.7% and 10.0%)."""
    folder = shared_data / "oecd_icio2022_sanction_simulator"
    nodes = pd.read_csv(folder / icio_mod.NODES)
    cells = pd.read_parquet(folder / icio_mod.INTERMEDIATE)
    key = {(c, s): k for k, (c, s) in enumerate(zip(nodes["country"].astype(str),
                                                    nodes["sector"].astype(str),
                                                    strict=True))}
    n = len(nodes)

    def node_of(country: pd.Series, sector: pd.Series) -> np.ndarray:
        """Each cell's node (row of the nodes file), -1 if absent: looked up once per
        distinct (country, sector) pair, then spread to the 9.8 million cells by their
        pd.factorize codes (a Python loop over the cells took most of the test's time)."""
        ci, countries = pd.factorize(country)
        si, sectors = pd.factorize(sector)
        assert (ci >= 0).all() and (si >= 0).all()  # no missing code
        table = np.array([[key.get((str(c), str(s)), -1) for s in sectors]
                          for c in countries])
        return table[ci, si]

    src = node_of(cells["from_country"], cells["from_sector"])
    dst = node_of(cells["to_country"], cells["to_sector"])
    assert (src >= 0).all() and (dst >= 0).all()  # every cell's nodes are in the nodes file
    # Z: the cells summed per (src, dst) pair, on the flat index (np.bincount adds in cell
    # order, as np.add.at does, ~20 times faster)
    z = np.bincount(src * n + dst, weights=cells["value_musd"].to_numpy(dtype=float),
                    minlength=n * n).reshape(n, n)
    x = nodes["gross_output_musd"].to_numpy(dtype=float)
    a = np.divide(z, x[None, :], out=np.zeros_like(z), where=x[None, :] > 0)
    v = 1.0 - a.sum(axis=0)
    j = key[("KOR", "C26")]
    e = np.zeros(n)
    e[j] = 1.0
    col = np.linalg.solve(np.eye(n) - a, e)
    chn = (nodes["country"] == "CHN").to_numpy()
    want_direct = float(a[chn, j].sum())
    want_look = float((v[chn] * col[chn]).sum())
    want_req = float(col[chn].sum())
    assert 0.07 < want_direct < 0.08 and 0.095 < want_look < 0.105  # docs: 7.7%, 10.0%

    r = CliRunner().invoke(app, ["exposure", "KOR", "--source", "icio", "--sector", "C26",
                                 "--tiers", "all", "--year", "2022", "--db", str(real_db),
                                 "-f", "json"])
    assert r.exit_code == 0, r.output
    rows = {x["supplier"]: x for x in json.loads(r.stdout)}
    assert rows["CHN"]["direct_share"] == pytest.approx(want_direct, rel=1e-9)
    assert rows["CHN"]["lookthrough_share"] == pytest.approx(want_look, rel=1e-6)
    assert rows["CHN"]["requirement"] == pytest.approx(want_req, rel=1e-6)
    assert sum(x["lookthrough_share"] for x in rows.values()) == pytest.approx(1.0, abs=1e-6)
    assert rows["CHN"]["gross_output_musd"] == pytest.approx(x[j])

    frame = analysis.chokepoints("TRILATERAL", "CHN", source="icio", db=real_db)
    kor = frame[(frame["direction"] == "exposure") & (frame["economy"] == "KOR")
                & (frame["sector"] == "C26")]
    assert list(kor["lookthrough_share"]) == pytest.approx([want_look], rel=1e-6)
    assert (frame["lookthrough_share"] >= 0.05).all()


def test_api_chokepoints_from_the_icio_table(small_db: Path) -> None:
    # the hand-worked values of the module docstring, through the API's handler
    w = load_world()
    res = handlers.chokepoints(w, "KOR,JPN", "CHN", source="icio", db=str(small_db))
    assert res["source"] == "icio" and res["sources"][0]["url"] == "http://oe.cd/icio"
    exp = [r for r in res["rows"] if r["direction"] == "exposure"]
    assert [(r["economy"], r["sector"], r["rank"]) for r in exp] == [
        ("KOR", "C26", 1), ("JPN", "C26", 2)]
    assert [r["lookthrough_share"] for r in exp] == pytest.approx([0.24, 0.072])
    lev = [r for r in res["rows"] if r["direction"] == "leverage"]
    assert [r["lookthrough_share"] for r in lev] == pytest.approx([0.3])
    with pytest.raises(handlers.FieldError) as info:
        handlers.chokepoints(w, "KOR,JPN", None, source="icio", db=str(small_db))
    assert info.value.field == "against"
    with pytest.raises(handlers.FieldError) as info:
        handlers.chokepoints(w, "KOR", "CHN", source="icio",
                             db=str(small_db.parent / "none.duckdb"))
    assert info.value.status == 404 and "none.duckdb" not in info.value.message
    with pytest.raises(handlers.FieldError) as info:
        handlers.chokepoints(w, "KOR", "CHN", source="wiod")
    assert info.value.field == "source"
    # the curated answer still states its default threshold
    assert handlers.chokepoints(w, "TRILATERAL", "CHN")["min_share"] == 0.25
