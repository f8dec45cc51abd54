"""The partner-or-rival API (econsec.analysis.trade) on real data and on a store panel.

* WIOD 2013 (real, ../shared/data/wiod2013): every index of ``compare`` recomputed with
  plain pandas from the raw Parquet cells, for every year; the break year, sup-F and
  direction of each series recomputed with plain numpy least squares, then the seeds'
  complementarity-to-competition claim read from those; RCA recomputed.
* BACI extract 2022/2024 (real, critical materials): ESI of JPN and KOR in China's market.
* A hand-made BACI file imported into a temporary store: compare, rca and exposure with
  ``source="trade"`` read through :func:`econsec.data.panel.load_flows`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from baci_sample import BACI_ROWS

from econsec import analysis
from econsec import analysis as ta
from plainpandas import as_str

CELL_COLS = ["from_country", "from_industry", "to_country", "value_musd"]
STR_COLS = ("from_country", "to_country", "from_industry")  # read as strings
WIOD_FILES = ("wiot_intermediate_long_1995_2011.parquet",
              "wiot_final_demand_long_1995_2011.parquet")
ANDREWS_5PCT_Q2 = 5.86
"""Andrews (1993) asymptotic 5% sup-F critical value, 15% trimming, q = 2, F scale
(Stock & Watson, Introduction to Econometrics, 4th ed., Table 14.5: 11.72 / 2)."""


@pytest.fixture(scope="module")
def wiod_dir(shared_data: Path) -> Path:
    path = shared_data / "wiod2013"
    if not (path / WIOD_FILES[0]).is_file():
        pytest.skip("needs ../shared/data/wiod2013 (the real datasets), not present")
    return path


@pytest.fixture(scope="module")
def kor_chn(wiod_dir: Path) -> pd.DataFrame:
    return ta.compare("KOR", "CHN", years="1995-2011", source="wiod", wiod=wiod_dir)


def raw_cells(wiod_dir: Path, year: int) -> pd.Series:
    """Cross-border WIOD cells of one year summed per (exporter, importer, industry), USD."""
    parts = [pd.read_parquet(wiod_dir / name) for name in WIOD_FILES]
    cells = pd.concat([as_str(p.loc[p["year"] == year, CELL_COLS], STR_COLS) for p in parts])
    cells = cells[cells["from_country"] != cells["to_country"]]
    by = cells.groupby(["from_country", "to_country", "from_industry"])["value_musd"].sum()
    return by.clip(lower=0).astype(float) * 1e6


def shares(s: pd.Series) -> pd.Series:
    return s / s.sum()


def value(frame: pd.DataFrame, index: str, year: int) -> float:
    row = frame[(frame["index"] == index) & (frame["year"] == year)]
    assert len(row) == 1
    return float(row["value"].iloc[0])


def test_compare_shape(kor_chn: pd.DataFrame) -> None:
    assert list(kor_chn.columns) == ta.COMPARE_COLUMNS
    assert len(kor_chn) == 17 * 4
    assert kor_chn.groupby("index")["year"].apply(list).map(len).to_dict() == {
        "esi": 17, "gl": 17, "tci_a_to_b": 17, "tci_b_to_a": 17}
    assert set(kor_chn["market"]) == {"WLD"} and set(kor_chn["source"]) == {"wiod"}


def test_every_index_matches_plain_pandas_2011(wiod_dir: Path, kor_chn: pd.DataFrame) -> None:
    by = raw_cells(wiod_dir, 2011)
    x_kor = shares(by.xs("KOR", level="from_country").groupby("from_industry").sum())
    x_chn = shares(by.xs("CHN", level="from_country").groupby("from_industry").sum())
    m_kor = shares(by.xs("KOR", level="to_country").groupby("from_industry").sum())
    m_chn = shares(by.xs("CHN", level="to_country").groupby("from_industry").sum())

    def tci(x: pd.Series, m: pd.Series) -> float:
        x, m = x.align(m, fill_value=0.0)
        return float(100 * (1 - (m - x).abs().sum() / 2))

    esi_x, esi_y = x_kor.align(x_chn, fill_value=0.0)
    esi = float(100 * np.minimum(esi_x, esi_y).sum())
    xk = by.xs(("KOR", "CHN"), level=("from_country", "to_country"))
    mk = by.xs(("CHN", "KOR"), level=("from_country", "to_country"))
    xk, mk = xk.align(mk, fill_value=0.0)
    gl = float(1 - (xk - mk).abs().sum() / (xk + mk).sum())
    assert value(kor_chn, "tci_a_to_b", 2011) == pytest.approx(tci(x_kor, m_chn), abs=1e-12)
    assert value(kor_chn, "tci_b_to_a", 2011) == pytest.approx(tci(x_chn, m_kor), abs=1e-12)
    assert value(kor_chn, "esi", 2011) == pytest.approx(esi, abs=1e-12)
    assert value(kor_chn, "gl", 2011) == pytest.approx(gl, abs=1e-12)


@pytest.fixture(scope="module")
def kor_chn_series(wiod_dir: Path) -> pd.DataFrame:
    """TCI both ways and ESI of KOR and CHN for 1995-2011, recomputed with plain pandas
    from the raw WIOD cells (rows: year; columns: tci_a_to_b, tci_b_to_a, esi)."""
    cells = pd.concat([as_str(pd.read_parquet(wiod_dir / name, columns=["year", *CELL_COLS]),
                              STR_COLS) for name in WIOD_FILES])
    cells = cells[cells["from_country"] != cells["to_country"]]
    by = cells.groupby(["year", "from_country", "to_country", "from_industry"])[
        "value_musd"].sum().clip(lower=0)

    def side(year: int, level: str, code: str) -> pd.Series:
        one = by.xs(year, level="year").xs(code, level=level)
        return shares(one.groupby("from_industry").sum())

    rows = []
    for year in range(1995, 2012):
        xk, xc = side(year, "from_country", "KOR"), side(year, "from_country", "CHN")
        mk, mc = side(year, "to_country", "KOR"), side(year, "to_country", "CHN")
        a1, b1 = xk.align(mc, fill_value=0.0)
        a2, b2 = xc.align(mk, fill_value=0.0)
        e1, e2 = xk.align(xc, fill_value=0.0)
        rows.append({"year": year,
                     "tci_a_to_b": 100 * (1 - (b1 - a1).abs().sum() / 2),
                     "tci_b_to_a": 100 * (1 - (b2 - a2).abs().sum() / 2),
                     "esi": 100 * np.minimum(e1, e2).sum()})
    return pd.DataFrame(rows).set_index("year")


def plain_break(series: pd.Series, seg: int = 3) -> dict[str, float]:
    """The least-squares single break of a linear trend, by brute force with np.polyfit:
    for each first year of the second segment leaving >= seg years on both sides, fit a
    line to each segment; the break minimises the summed SSR. sup-F =
    ((SSR_pooled - SSR_split) / 2) / (SSR_split / (n - 4)) (Chow 1960, q = 2).
    shift = mean over post-break years of (post fit - pre-break trend extrapolated)."""
    t = series.index.to_numpy(dtype=float)
    y = series.to_numpy(dtype=float)
    n = len(y)

    def ssr(tt: np.ndarray, yy: np.ndarray) -> float:
        coef = np.polyfit(tt, yy, 1)
        return float(((yy - np.polyval(coef, tt)) ** 2).sum())

    # seg = max(3, ceil(0.15 * 17)) = 3: candidates 1998 .. 2009
    splits = {c: ssr(t[:c], y[:c]) + ssr(t[c:], y[c:]) for c in range(seg, n - seg + 1)}
    c = min(splits, key=lambda k: splits[k])
    before, after = np.polyfit(t[:c], y[:c], 1), np.polyfit(t[c:], y[c:], 1)
    shift = float(np.mean(np.polyval(after, t[c:]) - np.polyval(before, t[c:])))
    f = ((ssr(t, y) - splits[c]) / 2) / (splits[c] / (n - 4))
    return {"year": int(t[c]), "f": f, "shift": shift,
            "slope_before": float(before[0]), "slope_after": float(after[0])}


def test_every_index_series_matches_plain_pandas(kor_chn: pd.DataFrame,
                                                 kor_chn_series: pd.DataFrame) -> None:
    for index in kor_chn_series.columns:
        ours = kor_chn[kor_chn["index"] == index].set_index("year")["value"]
        pd.testing.assert_series_equal(ours, kor_chn_series[index], check_names=False,
                                       rtol=1e-12, atol=1e-9)


def test_breaks_match_plain_least_squares(kor_chn: pd.DataFrame,
                                          kor_chn_series: pd.DataFrame) -> None:
    """Break year, sup-F, slopes and direction of each series as plain np.polyfit finds
    them: TCI higher = complementarity, so a negative shift reads 'toward competition';
    ESI higher = competition, so a negative shift reads 'toward complementarity'."""
    brk = ta.index_breaks(kor_chn).set_index("index")
    for index in ("tci_a_to_b", "tci_b_to_a", "esi"):
        plain = plain_break(kor_chn_series[index])
        row = brk.loc[index]
        assert row["break_year"] == plain["year"]
        assert row["f_stat"] == pytest.approx(plain["f"], rel=1e-8)
        assert row["slope_before"] == pytest.approx(plain["slope_before"], rel=1e-8)
        assert row["slope_after"] == pytest.approx(plain["slope_after"], rel=1e-8)
        # each sup-F clears Andrews' asymptotic 5% value, and the (larger) simulated
        # finite-sample value the tool uses
        assert plain["f"] > ANDREWS_5PCT_Q2
        assert row["significant"] and row["f_stat"] > row["critical_value"]
        higher_is_competition = index == "esi"
        toward_competition = (plain["shift"] > 0) == higher_is_competition
        assert row["direction"] == ("toward competition" if toward_competition
                                    else "toward complementarity")


def test_seeds_claim_complementarity_falls_after_mid_2000s(
        kor_chn: pd.DataFrame, kor_chn_series: pd.DataFrame) -> None:
    """KITA (2021) / KCIF (2023): Korea-China trade moved from complementarity to
    competition. WIOD stops in 2011, so only the first part of that story is testable,
    and it is read here from the plain recomputation: both TCIs break in the mid-2000s
    with the trend turning down (toward competition); the ESI rose before its break
    (export baskets converging: competition) and ends above its 1995 level."""
    for index in ("tci_a_to_b", "tci_b_to_a"):
        plain = plain_break(kor_chn_series[index])
        assert 2004 <= plain["year"] <= 2008
        assert plain["shift"] < 0 and plain["slope_after"] < 0 < plain["slope_before"]
    esi = kor_chn_series["esi"]
    plain = plain_break(esi)
    assert plain["slope_before"] > 0
    assert esi[2011] > esi[1995]
    brk = ta.index_breaks(kor_chn).set_index("index")
    for index in ("tci_a_to_b", "tci_b_to_a"):
        assert brk.loc[index, "direction"] == "toward competition"


def test_goods_and_market_on_wiod(wiod_dir: Path) -> None:
    c14 = ta.compare("KOR", "JPN", years=[2011], market="CHN", goods="semiconductors",
                     source="wiod", wiod=wiod_dir)
    # one product (c14): both export it to China -> ESI 100; TCI 100 both ways
    assert value(c14, "esi", 2011) == pytest.approx(100.0)
    assert value(c14, "tci_a_to_b", 2011) == pytest.approx(100.0)
    assert set(c14["goods"]) == {"semiconductors"} and set(c14["market"]) == {"CHN"}


def test_rca_matches_plain_pandas(wiod_dir: Path) -> None:
    r = ta.rca("CHN", year=2011, source="wiod", wiod=wiod_dir, top=3)
    assert list(r["product"]) == ["c5", "c4", "c14"]
    assert r["name"].iloc[0] == "Leather, leather products and footwear"
    by = raw_cells(wiod_dir, 2011)
    x = by.xs("CHN", level="from_country").groupby("from_industry").sum()
    w = by.groupby("from_industry").sum()
    expected = (x["c5"] / x.sum()) / (w["c5"] / w.sum())
    assert r["rca"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert r["rca"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": "XXX", "b": "CHN"}, "economy_a"),
        ({"a": "KOR", "b": "ZZZ"}, "economy_b"),
        ({"a": "KOR", "b": "KOR"}, "economy_b"),
        ({"a": "KOR", "b": "CHN", "years": "2011-1995"}, "years"),
        ({"a": "KOR", "b": "CHN", "years": "1990-1991"}, "years"),
        ({"a": "KOR", "b": "CHN", "years": "abc"}, "years"),
        ({"a": "KOR", "b": "CHN", "goods": "unobtainium"}, "goods"),
        ({"a": "KOR", "b": "CHN", "market": "CHN"}, "market"),
        ({"a": "K1R", "b": "CHN"}, "economy_a"),
    ],
)
def test_errors_name_the_argument(wiod_dir: Path, kwargs: dict, match: str) -> None:
    a, b = kwargs.pop("a"), kwargs.pop("b")
    with pytest.raises(ValueError, match=match):
        ta.compare(a, b, source="wiod", wiod=wiod_dir, **kwargs)


def test_missing_wiod_folder_and_panel(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"wiod: .* lacks"):
        ta.compare("KOR", "CHN", source="wiod", wiod=tmp_path)
    with pytest.raises(ValueError, match=r"source: .*--wiod"):
        ta.compare("KOR", "CHN", source="wiod", db=tmp_path / "none.duckdb")


def test_baci_extract_esi_in_china(shared_data: Path) -> None:
    """Real BACI 2022/2024 extract (30 critical-material HS6 codes): ESI of Japan's and
    Korea's exports to China, recomputed with plain pandas."""
    folder = shared_data / "trade_critical_materials_atlas" / "baci_extract"
    parts = []
    for year in (2022, 2024):
        f = pd.read_csv(folder / f"baci_{year}.csv", dtype={"cmd": str},
                        keep_default_na=False)
        parts.append(pd.DataFrame({"year": year, "exporter": f["i"], "importer": f["j"],
                                   "product": f["cmd"], "value": f["value"]}))
    flows = pd.concat(parts, ignore_index=True)
    out = ta.compare("JPN", "KOR", market="CHN", goods="critical_minerals", flows=flows,
                     source="baci extract")
    assert sorted(out["year"].unique()) == [2022, 2024]
    sub = flows[(flows["year"] == 2024) & (flows["importer"] == "CHN")]
    sa = shares(sub[sub["exporter"] == "JPN"].groupby("product")["value"].sum())
    sb = shares(sub[sub["exporter"] == "KOR"].groupby("product")["value"].sum())
    sa, sb = sa.align(sb, fill_value=0.0)
    assert value(out, "esi", 2024) == pytest.approx(100 * np.minimum(sa, sb).sum(), abs=1e-12)
    assert 0 < value(out, "esi", 2024) < 100


# --- the trade-panel store -----------------------------------------------------------------


@pytest.fixture(scope="module")
def store_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a hand-made BACI year (codes 392 JPN, 410 KOR, 156 CHN, 842 USA,
    490 TWN; values in thousand USD)."""
    from econsec.data.importers.baci import import_baci
    from econsec.data.store import Store

    folder = tmp_path_factory.mktemp("baci")
    csv = folder / "BACI_HS17_Y2022_V202501.csv"
    csv.write_text(BACI_ROWS)
    db = folder / "store.duckdb"
    with Store(db) as store:
        import_baci(csv, store)
    return db


def test_compare_from_store_hand_computed(store_db: Path) -> None:
    out = ta.compare("JPN", "KOR", market="CHN", goods="semiconductors", source="baci",
                     db=store_db)
    # semiconductors drop 811292. Products (848620, 854231, 854232):
    # JPN exports (80, 20, 0) -> x = (.8, .2, 0); KOR imports (50, 0, 0) -> m = (1, 0, 0)
    assert value(out, "tci_a_to_b", 2022) == pytest.approx(80.0)
    # KOR exports (0, 20, 100) -> (0, 1/6, 5/6); JPN imports (0, 0, 10) -> (0, 0, 1)
    assert value(out, "tci_b_to_a", 2022) == pytest.approx(250 / 3)
    # exports to China: JPN (30, 20, 0)/50, KOR (0, 20, 60)/80 -> min sums to .25
    assert value(out, "esi", 2022) == pytest.approx(25.0)
    # JPN -> KOR 50, KOR -> JPN 0: one-way trade
    assert value(out, "gl", 2022) == pytest.approx(0.0)


def test_rca_from_store_hand_computed(store_db: Path) -> None:
    r = ta.rca("KOR", year=2022, source="baci", db=store_db).set_index("product")
    # world exports: 848620 80, 854231 170, 854232 110, 811292 10 (370); KOR 20 + 100
    assert r.loc["854232", "rca"] == pytest.approx((100 / 120) / (110 / 370))
    assert r.loc["854231", "rca"] == pytest.approx((20 / 120) / (170 / 370))
    assert r.loc["854232", "exports"] == pytest.approx(100_000.0)
    assert list(r.index) == ["854232", "854231"]
    with pytest.raises(ValueError, match="year"):
        ta.rca("KOR", year=2023, source="baci", db=store_db)


def test_exposure_source_trade(store_db: Path) -> None:
    curated = analysis.exposure("KOR")
    trade = analysis.exposure("KOR", source="trade", db=store_db)
    ga = trade[trade["good"] == "gallium"]
    # KOR imports 811292 only from CHN in the panel -> share 1, source names the panel
    assert ga[["supplier", "share", "basis"]].values.tolist() == [["CHN", 1.0, "trade panel"]]
    assert ga["source"].iloc[0] == "baci 2022 (HS 811292, 811299)"
    assert "germanium" in ga["note"].iloc[0]
    assert ga["import_hhi"].iloc[0] == pytest.approx(1.0)
    litho = trade[trade["good"] == "lithography_euv"]
    assert litho["supplier"].tolist() == ["JPN"]
    # goods the panel lacks keep the curated figures and their source ids
    keep = trade[trade["good"] == "photoresist_arf"].drop(columns="note")
    pd.testing.assert_frame_equal(
        keep.reset_index(drop=True),
        curated[curated["good"] == "photoresist_arf"].reset_index(drop=True))
    assert set(trade["good"]) == set(curated["good"])
    for _, g in trade.groupby("good"):
        assert g["share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="tiers"):
        analysis.exposure("KOR", source="trade", tiers="all", db=store_db)


# --- break table and given flows (no data needed) --------------------------------------


def test_index_breaks_hand_made_series() -> None:
    """TCI flat at 70 until 2015, from 2016 down to 64 and falling 3 a year; ESI flat at
    40, from 2016 up to 44 and rising 2 a year; GL a straight line: TCI and ESI break in
    2016, both toward competition."""
    years = np.arange(2005, 2025)
    post = years >= 2016
    after = np.where(post, years - 2015 + 1, 0)  # 2 in 2016: a jump and a new slope
    wiggle = 0.05 * np.sin(years)  # small noise so the fits are not exact
    rows = []
    for index, series in (("tci_a_to_b", 70 - 3.0 * after + wiggle),
                          ("esi", 40 + 2.0 * after + wiggle),
                          ("gl", 0.3 + 0.01 * (years - 2005) + 0.001 * np.cos(years))):
        rows += [{"year": y, "economy_a": "KOR", "economy_b": "CHN", "index": index,
                  "value": v} for y, v in zip(years, series, strict=True)]
    brk = ta.index_breaks(pd.DataFrame(rows)).set_index("index")
    assert list(brk.index) == ["tci_a_to_b", "esi", "gl"]  # INDEX_NAMES order
    for index in ("tci_a_to_b", "esi"):
        assert brk.loc[index, "break_year"] == 2016
        assert brk.loc[index, "significant"]
        assert brk.loc[index, "direction"] == "toward competition"
    assert brk.loc["tci_a_to_b", "slope_after"] == pytest.approx(-3.0, abs=0.05)
    assert brk.loc["esi", "slope_after"] == pytest.approx(2.0, abs=0.05)
    assert not brk.loc["gl", "significant"]
    assert brk.loc["gl", "direction"] == "no clear change"
    short = ta.index_breaks(pd.DataFrame(rows[:4]))
    assert short["direction"].tolist() == ["not tested"]
    assert "observations" in short["note"].iloc[0]


def test_compare_on_given_flows_hand_computed() -> None:
    """The worked example of tests/unit/test_trade_indices.py (A, B, C; products p, q, r):
    TCI A->B 25, TCI B->A 70; ESI(A, B) = 100 * (min(.25,.5) + min(.75,.5)) = 75;
    GL(A, B): A->B p 10, B->A p 20 -> 1 - 10/30 = 2/3."""
    flows = pd.DataFrame(
        [(2000, "A", "B", "p", 10.0), (2000, "A", "C", "q", 30.0), (2000, "B", "A", "p", 20.0),
         (2000, "B", "C", "q", 20.0), (2000, "C", "A", "q", 5.0), (2000, "C", "B", "r", 5.0)],
        columns=["year", "exporter", "importer", "product", "value"])
    out = ta.compare("AAA", "BBB", flows=flows.replace({"A": "AAA", "B": "BBB", "C": "CCC"}),
                     source="worked example")
    assert value(out, "tci_a_to_b", 2000) == pytest.approx(25.0)
    assert value(out, "tci_b_to_a", 2000) == pytest.approx(70.0)
    assert value(out, "esi", 2000) == pytest.approx(75.0)
    assert value(out, "gl", 2000) == pytest.approx(2 / 3)
    wide = ta.compare_wide(out)
    assert list(wide.columns) == ["year", *ta.INDEX_NAMES]


def test_wiod_store_panel_equals_direct_read(wiod_dir: Path, wiod_db: Path) -> None:
    """The same comparison from a WIOD panel imported into the store (the session's, every
    year, tests/conftest.py) and from the files."""
    db = wiod_db
    via_store = ta.compare("KOR", "CHN", years="2010-2011", source="wiod", db=db)
    direct = ta.compare("KOR", "CHN", years="2010-2011", source="wiod", wiod=wiod_dir)
    pd.testing.assert_frame_equal(via_store, direct, rtol=1e-12)
    r_store = ta.rca("ROW", year=2011, source="wiod", db=db, top=5)
    r_direct = ta.rca("ROW", year=2011, source="wiod", wiod=wiod_dir, top=5)
    pd.testing.assert_frame_equal(r_store, r_direct, rtol=1e-12)
