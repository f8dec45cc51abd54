"""OECD ICIO 2022 (2025 edition) into the store, and the sector look-through on it.

Reference values: the figures PROVENANCE.md of ``oecd_icio2022_sanction_simulator``
reports for the 2022 table (gross output in trillion USD rounded to 2 decimals, C26 output
in billion USD rounded to units, KOR C26 sales to Chinese industries 61.7 bn USD), plain
pandas sums of the raw files, and a dense numpy Leontief inverse on a sub-block.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econsec.data.importers.icio import (
    INTERMEDIATE,
    NODES,
    IcioTable,
    import_icio,
    load_icio,
    read_icio,
)
from econsec.data.store import Store
from econsec.errors import DataError
from econsec.metrics.sector_exposure import (
    SectorKernel,
    icio_kernel,
    sector_chokepoints,
    sector_kernel,
    sector_lookthrough,
)
from plainpandas import as_str


@pytest.fixture(scope="module")
def icio(shared_data: Path) -> Path:
    path = shared_data / "oecd_icio2022_sanction_simulator"
    if not (path / INTERMEDIATE).is_file():
        pytest.skip("oecd_icio2022_sanction_simulator not in shared data")
    return path


@pytest.fixture(scope="module")
def raw(icio: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw files read with plain pandas (no econsec code)."""
    cells = as_str(pd.read_parquet(icio / INTERMEDIATE),
                   ("from_country", "from_sector", "to_country", "to_sector"))
    return cells, pd.read_csv(icio / NODES)


@pytest.fixture(scope="module")
def store_db(icio: Path, icio_db: Path) -> Path:
    """The session's store with the table imported by :func:`import_icio` (read only)."""
    return icio_db


@pytest.fixture(scope="module")
def table(store_db: Path) -> IcioTable:
    with Store(store_db, read_only=True) as store:
        return load_icio(store)


@pytest.fixture(scope="module")
def kernel(table: IcioTable) -> SectorKernel:
    return icio_kernel(table)


def test_tables_and_provenance(store_db: Path) -> None:
    with Store(store_db, read_only=True) as store:
        cat = store.list_datasets().set_index("table_name")
        nodes = store.read("icio", "nodes")
    # PROVENANCE.md: 9,808,535 non-zero cells, 80 x 50 nodes, 51 inactive
    assert cat.loc["intermediate", "rows"] == 9_808_535
    assert cat.loc["nodes", "rows"] == 4_000
    assert cat.loc["countries", "rows"] == 80
    assert cat.loc["sectors", "rows"] == 50
    assert set(cat["dataset"]) == {"icio"}
    assert cat["licence"].str.contains("CC BY 4.0").all()
    assert cat["note"].str.contains("2025 edition").all()
    assert cat["sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert int((~nodes["active"]).sum()) == 51
    assert set(nodes["year"]) == {2022} and set(nodes["edition"]) == {2025}
    assert "ROW" not in set(nodes["country"])


def test_gross_output_against_published_figures(store_db: Path) -> None:
    with Store(store_db, read_only=True) as store:
        nodes = store.read("icio", "nodes")
    tn = nodes.groupby("country")["gross_output_musd"].sum() / 1e6
    # PROVENANCE.md, rounded to 0.01 tn USD: the tolerance is one rounding step (CHN's
    # 45,094,920 million USD is printed there as 45.10, i.e. rounded from 45.095)
    for country, figure in {"USA": 45.30, "CHN": 45.10, "DEU": 7.97, "JPN": 8.10,
                            "KOR": 4.31, "TWN": 1.62}.items():
        assert abs(tn[country] - figure) <= 0.01, country
    c26 = nodes[nodes["sector"] == "C26"].set_index("country")["gross_output_musd"] / 1e3
    for country, figure in {"CHN": 2137, "USA": 490, "KOR": 342, "TWN": 329,
                            "JPN": 165}.items():
        assert abs(c26[country] - figure) <= 0.5, country


def test_identity_and_bilateral_cells_from_raw(
    raw: tuple[pd.DataFrame, pd.DataFrame], table: IcioTable
) -> None:
    cells, nodes = raw
    rowsum = cells.groupby(["from_country", "from_sector"])["value_musd"].sum()
    key = pd.MultiIndex.from_frame(nodes[["country", "sector"]])
    sold = rowsum.reindex(key, fill_value=0.0).to_numpy()
    go = nodes["gross_output_musd"].to_numpy()
    resid = go - sold - nodes["sales_to_final_demand_and_row_musd"].to_numpy()
    assert np.all(np.abs(resid) <= 1e-6 * np.maximum(go, 1.0))
    # KOR C26 -> all Chinese industries 61.7 bn, TWN C26 -> CHN 88.0 bn (PROVENANCE.md)
    for origin, figure in (("KOR", 61.7), ("TWN", 88.0)):
        bn = cells[(cells["from_country"] == origin) & (cells["from_sector"] == "C26")
                   & (cells["to_country"] == "CHN")]["value_musd"].sum() / 1e3
        assert abs(bn - figure) <= 0.05
    # the loaded sparse Z holds the same cells
    assert table.z.nnz == len(cells)
    assert float(table.z.sum()) == pytest.approx(float(cells["value_musd"].sum()), rel=1e-12)


def test_korea_c26_on_china(
    raw: tuple[pd.DataFrame, pd.DataFrame], kernel: SectorKernel
) -> None:
    cells, nodes = raw
    out = sector_lookthrough(kernel, "KOR", sectors=["C26"], requirement=True)
    assert out["lookthrough_share"].sum() == pytest.approx(1.0, abs=1e-9)  # v'L = 1'
    chn = out[out["origin"] == "CHN"].iloc[0]
    # direct share recomputed from the raw cells: KOR C26's purchases from China / output
    bought = cells[(cells["to_country"] == "KOR") & (cells["to_sector"] == "C26")
                   & (cells["from_country"] == "CHN")]["value_musd"].sum()
    go = nodes[(nodes["country"] == "KOR") & (nodes["sector"] == "C26")]
    direct = bought / float(go["gross_output_musd"].iloc[0])
    assert chn["direct_share"] == pytest.approx(direct, rel=1e-12)
    assert direct < chn["lookthrough_share"] < 1.0
    assert chn["requirement"] >= chn["direct_share"]


def test_kernel_matches_dense_numpy_on_a_sub_block(table: IcioTable) -> None:
    keep = np.flatnonzero(table.nodes["country"].isin(["CHN", "JPN", "KOR", "TWN", "USA"]))
    z = table.z[keep][:, keep].toarray()
    x = table.gross_output[keep]
    labels = table.nodes.iloc[keep]
    sub = sector_kernel(z, x, labels["country"].tolist(), labels["sector"].tolist())
    # plain numpy: A = Z / x, L = inv(I - A), v = 1 - 1'A, O = G diag(v) L, D = G A
    a = np.divide(z, x[None, :], out=np.zeros_like(z), where=x[None, :] > 0)
    inv = np.linalg.inv(np.eye(len(x)) - a)
    v = 1.0 - a.sum(axis=0)
    j = int(np.flatnonzero((labels["country"] == "KOR").to_numpy()
                           & (labels["sector"] == "C26").to_numpy())[0])
    out = sector_lookthrough(sub, "KOR", sectors=["C26"], requirement=True)
    for origin in ("CHN", "JPN", "KOR", "TWN", "USA"):
        rows = (labels["country"] == origin).to_numpy()
        got = out[out["origin"] == origin].iloc[0]
        assert got["lookthrough_share"] == pytest.approx(float(v[rows] @ inv[rows, j]),
                                                          abs=1e-10)
        assert got["direct_share"] == pytest.approx(float(a[rows, j].sum()), abs=1e-12)
        own = 1.0 if origin == "KOR" else 0.0
        assert got["requirement"] == pytest.approx(float(inv[rows, j].sum()) - own, abs=1e-9)
    # bloc ranking: y = L w with w = output of the KOR and JPN nodes
    bloc = labels["country"].isin(["KOR", "JPN"]).to_numpy()
    w = np.where(bloc, x, 0.0)
    y = inv @ w
    ranked = sector_chokepoints(sub, ["KOR", "JPN"])
    top = ranked.iloc[0]
    i = int(np.flatnonzero((labels["country"] == top["origin"]).to_numpy()
                           & (labels["sector"] == top["sector"]).to_numpy())[0])
    assert top["lookthrough_share"] == pytest.approx(v[i] * y[i] / w.sum(), abs=1e-10)
    outside = ~bloc
    assert top["lookthrough_share"] == pytest.approx(float(np.max(v[outside] * y[outside]))
                                                     / w.sum(), abs=1e-10)


def test_bloc_chokepoints_on_the_full_table(kernel: SectorKernel) -> None:
    ranked = sector_chokepoints(kernel, ["KOR", "JPN", "USA", "TWN"], using_sectors=["C26"])
    assert not ranked["origin"].isin(["KOR", "JPN", "USA", "TWN"]).any()
    assert (ranked["requirement"] >= ranked["direct_share"] - 1e-12).all()
    assert list(ranked["lookthrough_share"]) == sorted(ranked["lookthrough_share"],
                                                       reverse=True)
    full = sector_chokepoints(kernel, ["KOR", "JPN", "USA", "TWN"], using_sectors=["C26"],
                              include_bloc=True)
    assert full["lookthrough_share"].sum() == pytest.approx(1.0, abs=1e-9)


# -- malformed inputs: errors name file, line/row and field; the store is unchanged ----


def _copy(icio: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("country_codes.csv", "sector_codes.csv", NODES):
        shutil.copy(icio / name, dest / name)
    (dest / INTERMEDIATE).symlink_to(icio / INTERMEDIATE)
    return dest


def _edit_nodes(folder: Path, line: int, column: str, value: str) -> None:
    nodes = pd.read_csv(folder / NODES, dtype=str, keep_default_na=False)
    nodes.loc[line - 2, column] = value  # line 1 is the header
    nodes.to_csv(folder / NODES, index=False)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("gross_output_musd", "-1.0", "negative value"),
        ("sector", "C99", "unknown sector code 'C99'"),
        ("country", "XXX", "unknown country code 'XXX'"),
        ("sales_to_final_demand_and_row_musd", "6400.0", "relative tolerance"),
    ],
)
def test_bad_nodes_file(icio: Path, tmp_path: Path, column: str, value: str,
                        message: str) -> None:
    folder = _copy(icio, tmp_path / "icio")
    _edit_nodes(folder, 3, column, value)  # AGO A02
    with pytest.raises(DataError, match=message) as err:
        read_icio(folder)
    assert err.value.line == 3
    assert err.value.field == column
    assert err.value.file.endswith(NODES)


def test_bad_cell_names_row_and_field(icio: Path, tmp_path: Path) -> None:
    folder = tmp_path / "icio"
    folder.mkdir()
    for name in ("country_codes.csv", "sector_codes.csv", NODES):
        shutil.copy(icio / name, folder / name)
    # the first 1,000 real cells: a bad cell is named while the cells are read, before the
    # checks of the whole table (rewriting all 9.8 million cells twice took seconds)
    cells = pd.read_parquet(icio / INTERMEDIATE).head(1000)
    cells.loc[4, "value_musd"] = -5.0  # row 5 (1-based)
    cells.to_parquet(folder / INTERMEDIATE)
    with pytest.raises(DataError, match="row 5: negative value") as err:
        read_icio(folder)
    assert err.value.field == "value_musd"
    cells.loc[4, "value_musd"] = 5.8791
    cells["to_country"] = cells["to_country"].astype(str)
    cells.loc[7, "to_country"] = "ROW"
    cells.to_parquet(folder / INTERMEDIATE)
    with pytest.raises(DataError, match="row 8: unknown code 'ROW'") as err:
        read_icio(folder)
    assert err.value.field == "to_country"


def test_failed_import_leaves_the_store_unchanged(icio: Path, tmp_path: Path,
                                                  store_db: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(store_db, db)
    with Store(db) as store:
        before = store.snapshot()
        folder = _copy(icio, tmp_path / "icio")
        _edit_nodes(folder, 10, "gross_output_musd", "-3")
        with pytest.raises(DataError):
            import_icio(folder, store)
        assert store.snapshot() == before


def test_published_range_catches_a_unit_error(icio: Path) -> None:
    from econsec.data.importers.icio import _check_published

    nodes = pd.read_csv(icio / NODES)
    _check_published(nodes, icio / NODES)  # the real file passes
    nodes.loc[nodes["country"] == "KOR", "gross_output_musd"] *= 1e3  # thousand USD
    with pytest.raises(DataError, match=r"KOR gross output .* not within 5%"):
        _check_published(nodes, icio / NODES)


def test_io_arrays_feed_the_simulation_network(
    raw: tuple[pd.DataFrame, pd.DataFrame], table: IcioTable
) -> None:
    from econsec.data.importers.icio import icio_io_arrays
    from econsec.simulation.network_arrays import baseline_from_io, intermediate_demand

    trio = ["CHN", "JPN", "KOR"]
    z, output, regions, sectors = icio_io_arrays(table, trio)
    assert z.shape == (150, 150) and regions == trio and len(sectors) == 50
    cells, nodes = raw
    inside = cells[cells["from_country"].isin(trio) & cells["to_country"].isin(trio)]
    assert np.count_nonzero(z) == len(inside)
    assert z.sum() == pytest.approx(inside["value_musd"].sum(), rel=1e-12)
    kor_c26 = regions.index("KOR") * 50 + sectors.index("C26")
    go = nodes[(nodes["country"] == "KOR") & (nodes["sector"] == "C26")]
    assert output[kor_c26] == float(go["gross_output_musd"].iloc[0])
    base = baseline_from_io(z, output, regions, sectors)
    assert base.n_flows == len(inside)
    np.testing.assert_allclose(base.x0, output / 365.0, rtol=1e-12)  # rows <= output
    demand = intermediate_demand(base.x0, base.slot_node, base.slot_coef, base.flow_slot,
                                 base.flow_src, base.share0, base.n_nodes)
    np.testing.assert_allclose(base.x0, base.f0 + demand, rtol=1e-9, atol=1e-9)
    with pytest.raises(DataError, match="unknown economies XXX"):
        icio_io_arrays(table, ["KOR", "XXX"])
