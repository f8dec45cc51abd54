"""Importer for the OECD Inter-Country Input-Output (ICIO) table, 2025 edition, year 2022.

Input: the folder ``oecd_icio2022_sanction_simulator`` (see its PROVENANCE.md), which holds
the intermediate block of the OECD ICIO 2025 release for reference year 2022 ("SML"
version: CHN and MEX not split), 80 economies x 50 ISIC Rev.4 industries = 4,000 nodes,
current million USD, taken from the PyPI package ``sanction-simulator`` 0.1.4 and
reconstructed losslessly at the OECD's 4-decimal precision:

* ``icio2022_intermediate_long.parquet``: the non-zero cells Z[i, j] of the 4000 x 4000
  intermediate block (``from_country, from_sector, to_country, to_sector, value_musd``);
* ``icio2022_nodes.csv``: per node ``gross_output_musd`` (OECD ``OUT``),
  ``intermediate_inputs_from_80_musd`` (column sum of Z), ``sales_to_final_demand_and_row_musd``
  (all final demand of all countries **plus** intermediate sales to ROW industries: the rest
  of the world region is dropped, so ROW flows sit in this column and, on the input side,
  in ``go_minus_intermediate_inputs_musd`` = value added + net taxes on products +
  intermediate imports from ROW), ``active`` (False for the 51 zero-output nodes);
* ``country_codes.csv`` and ``sector_codes.csv``: OECD codes -> names (``code`` first).

Checks (each failure is a :class:`DataError` naming file, 1-based line or Parquet row, and
field; nothing is written unless everything passes):

* every country and sector code is in the code lists, and the nodes file holds each
  (country, sector) of the 80 x 50 grid exactly once; no duplicate cell in the Parquet;
* no missing, infinite or negative value (``go_minus_intermediate_inputs_musd`` excepted:
  it is negative for ISL C21 and CYP H51, whose inputs exceed their output in the OECD
  table, as PROVENANCE.md explains);
* an inactive node has zero output and no cell in its column (it buys nothing);
* row identity per node (Miller & Blair 2009, eq. 2.1, with final demand and ROW sales in
  one column)::

      gross_output_i = sum_j Z[i, j] + sales_to_final_demand_and_row_i

  within ``IDENTITY_RTOL`` (1e-6) of gross output (absolute 1e-6 million USD for nodes
  below 1 million USD, e.g. the inactive ones; the file holds it to 5e-10), and the
  column totals ``intermediate_inputs_from_80 = sum_i Z[i, j]`` likewise;
* each economy's gross output in ``PUBLISHED_GROSS_OUTPUT_TN`` (USA, CHN, JPN, KOR) lies
  within ``PUBLISHED_RTOL`` (5%) of the figure: this guards against a wrong unit (thousand
  vs million USD) or year; the figures are those PROVENANCE.md reports for the 2022 table,
  consistent with GDP x GO/GDP (Korea 2022 GDP 1.67 tn USD x ~2.6; China 17.9 tn x ~2.5).

Tables written (dataset ``icio``, one transaction via :meth:`Store.replace_dataset`):

* ``nodes``: ``node`` (0-based, country-major: country index x 50 + sector index, countries
  sorted by code, sectors in ``sector_codes.csv`` order), ``country, sector,
  gross_output_musd, intermediate_inputs_from_80_musd, sales_to_final_demand_and_row_musd,
  go_minus_intermediate_inputs_musd, active, year`` (2022), ``edition`` (2025);
* ``intermediate``: ``from_country, from_sector, to_country, to_sector, value_musd``;
* ``countries`` (``code, name``) and ``sectors`` (``code, name``): the code lists.

:func:`load_icio` reads them back as an :class:`IcioTable` (sparse Z, gross output, node
labels) for :mod:`econsec.metrics.sector_exposure`.

Citation: OECD (2025), *OECD Inter-Country Input-Output Database*, http://oe.cd/icio .
Licence: OECD data, CC BY 4.0 per the OECD since 2024 (not verified for this copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from econsec.data.importers import ImportReport
from econsec.errors import DataError

if TYPE_CHECKING:
    import numpy.typing as npt
    import scipy.sparse as sp

    from econsec.data.store import Store

DATASET = "icio"
EDITION = 2025
YEAR = 2022
LICENCE = "OECD data; CC BY 4.0 per OECD, not verified"
NOTE = (f"OECD (2025), OECD Inter-Country Input-Output Database, http://oe.cd/icio, via PyPI "
        "sanction-simulator 0.1.4 (MIT covers its code only); "
        f"OECD ICIO {EDITION} edition, reference year {YEAR}, SML; 80 economies x 50 "
        "industries; current million USD; ROW region dropped (its flows are in "
        "sales_to_final_demand_and_row_musd / go_minus_intermediate_inputs_musd)")
INTERMEDIATE = "icio2022_intermediate_long.parquet"
NODES = "icio2022_nodes.csv"
COUNTRIES = "country_codes.csv"
SECTORS = "sector_codes.csv"

#: Relative tolerance of the row and column identities.
IDENTITY_RTOL = 1e-6
#: Gross output 2022 in trillion USD (PROVENANCE.md "Checks run on the conversion").
PUBLISHED_GROSS_OUTPUT_TN: dict[str, float] = {
    "USA": 45.30, "CHN": 45.10, "JPN": 8.10, "KOR": 4.31,
}
#: Relative tolerance of the gross-output plausibility check at import.
PUBLISHED_RTOL = 0.05

_CELL_COLUMNS = ("from_country", "from_sector", "to_country", "to_sector", "value_musd")
_NODE_NUMBERS = ("gross_output_musd", "intermediate_inputs_from_80_musd",
                 "sales_to_final_demand_and_row_musd", "go_minus_intermediate_inputs_musd")
#: Node columns that may be negative (inputs above output in two OECD columns).
_MAY_BE_NEGATIVE = frozenset({"go_minus_intermediate_inputs_musd"})


@dataclass(frozen=True)
class IcioTable:
    """The ICIO intermediate block as kernel inputs.

    ``z``: (n, n) sparse CSC, Z[i, j] = sales of node i to node j (million USD);
    ``gross_output``: (n,) million USD; ``nodes``: frame with ``node, country, sector``
    (row k describes node k) and the other node columns; ``year``, ``edition``.
    """

    z: sp.csc_matrix
    gross_output: npt.NDArray[np.float64]
    nodes: pd.DataFrame
    year: int
    edition: int

    @property
    def countries(self) -> list[str]:
        """Economy codes in node order (each once)."""
        return list(dict.fromkeys(self.nodes["country"]))

    @property
    def sectors(self) -> list[str]:
        """Sector codes in node order (each once)."""
        return list(dict.fromkeys(self.nodes["sector"]))


def icio_files(path: Path) -> dict[str, Path]:
    """The four input files in folder *path* (DataError naming the first one missing)."""
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    files = {name: folder / name for name in (INTERMEDIATE, NODES, COUNTRIES, SECTORS)}
    for name, file in files.items():
        if not file.is_file():
            raise DataError(file, f"ICIO file not found (expected {name} in {folder})")
    return files


def _code_list(file: Path) -> pd.DataFrame:
    from econsec.data.importers.csvread import read_csv_strict

    table = read_csv_strict(file, key=["code"])
    if len(table.header) < 2 or table.header[0] != "code":
        raise DataError(file, "expected columns code, name", line=1, field=table.header[0])
    frame = table.frame.iloc[:, :2].copy()
    frame.columns = ["code", "name"]
    for i, code in zip(frame.index, frame["code"], strict=True):
        if not str(code).strip():
            raise table.error(i, "code", "empty code")
    frame["code"] = frame["code"].str.strip()
    frame["name"] = frame["name"].str.strip()
    return frame.reset_index(drop=True)


def _read_nodes(file: Path, countries: set[str], sectors: list[str]) -> pd.DataFrame:
    from econsec.data.importers.csvread import read_csv_strict, to_bool, to_float

    table = read_csv_strict(file, required=("country", "sector", *_NODE_NUMBERS, "active"),
                            key=("country", "sector"))
    frame = table.frame
    for field, known in (("country", countries), ("sector", set(sectors))):
        frame[field] = frame[field].str.strip()
        bad = ~frame[field].isin(known)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise table.error(i, field, f"unknown {field} code {frame[field].iloc[i]!r} "
                              f"(not in {COUNTRIES if field == 'country' else SECTORS})")
    out = frame[["country", "sector"]].copy()
    out["_line"] = [table.line(i) for i in frame.index]
    for col in _NODE_NUMBERS:
        values = to_float(table, col, nulls=())
        finite = np.isfinite(values.to_numpy())
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise table.error(i, col, f"{values.iloc[i]} is not a finite number")
        if col not in _MAY_BE_NEGATIVE and (values < 0).any():
            i = int(np.flatnonzero((values < 0).to_numpy())[0])
            raise table.error(i, col, f"negative value {values.iloc[i]}")
        out[col] = values
    active = to_bool(table, "active", nulls=())
    out["active"] = active.astype(bool)
    go = out["gross_output_musd"].to_numpy()
    wrong = (out["active"].to_numpy() & (go <= 0)) | (~out["active"].to_numpy() & (go != 0))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise table.error(i, "active", f"active={bool(out['active'].iloc[i])} but gross "
                          f"output is {go[i]} (inactive nodes have zero output, active ones "
                          "positive)")
    # the full grid: every country with data x every sector
    present = sorted(set(out["country"]))
    if len(out) != len(present) * len(sectors):
        have = set(zip(out["country"], out["sector"], strict=True))
        missing = next((c, s) for c in present for s in sectors if (c, s) not in have)
        raise DataError(file, f"no row for country {missing[0]} sector {missing[1]} "
                        f"(expected {len(present)} x {len(sectors)} nodes)", field="sector")
    rank = {s: k for k, s in enumerate(sectors)}
    out["_s"] = out["sector"].map(rank)
    out = out.sort_values(["country", "_s"], kind="stable").drop(columns="_s")
    out = out.reset_index(drop=True)
    out.insert(0, "node", np.arange(len(out), dtype=np.int64))
    return out


def _node_index(cells: pd.DataFrame, nodes: pd.DataFrame,
                file: Path) -> tuple[np.ndarray, np.ndarray]:
    """(from, to) node indices of each cell, node = country index x n_sectors + sector index
    (the order of *nodes*); the code columns become categoricals of the node codes.
    DataError at the first row whose code is not a node's.

    Each column's distinct codes are looked up once (:func:`_positions`), not its rows,
    and the indices are int32 (a node count is far below 2^31 / n): on the ICIO's 9.8M
    cells read back from the store (DuckDB ENUMs, pandas categoricals) this took 0.24-0.5
    CPU-s with categorical recoding and int64 temporaries."""
    countries = list(dict.fromkeys(nodes["country"]))
    sectors = list(dict.fromkeys(nodes["sector"]))
    index: dict[str, np.ndarray] = {}
    for field, known in (("from_country", countries), ("from_sector", sectors),
                         ("to_country", countries), ("to_sector", sectors)):
        codes = _positions(cells[field], known)
        if len(codes) and codes.min() < 0:
            row = int(np.flatnonzero(codes < 0)[0])
            raise DataError(file, f"row {row + 1}: unknown code {cells[field].iloc[row]!r} "
                            "(not a node of the nodes file)", field=field)
        index[field] = codes
        column = cells[field]
        if not (isinstance(column.dtype, pd.CategoricalDtype)
                and [str(c) for c in column.cat.categories] == known):
            cells[field] = pd.Categorical.from_codes(codes, categories=known)
    n_sec = len(sectors)
    return (index["from_country"] * n_sec + index["from_sector"],
            index["to_country"] * n_sec + index["to_sector"])


def _positions(column: pd.Series, known: list[str]) -> np.ndarray:
    """Index in *known* of each value of *column* (as text), -1 where absent or missing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        distinct = [str(c) for c in column.cat.categories]
    else:
        codes, uniques = pd.factorize(column)
        distinct = [str(c) for c in uniques]
    where = {c: k for k, c in enumerate(known)}
    # one more entry, -1, for the code -1 of a missing value
    lookup = np.array([where.get(c, -1) for c in distinct] + [-1], dtype=np.int32)
    if np.array_equal(lookup[:-1], np.arange(len(distinct))):
        return codes.astype(np.int32)  # the codes are the positions (-1 stays -1)
    return lookup[codes]  # int32: half the memory traffic of int64 on millions of cells


def _read_cells(file: Path, nodes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray,
                                                          np.ndarray]:
    """The Parquet cells, checked; also their (from, to) node indices."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(file).names
    except Exception as exc:
        raise DataError(file, f"not a readable Parquet file: {exc}") from None
    for name in _CELL_COLUMNS:
        if name not in names:
            raise DataError(file, f"missing column (file has: {', '.join(names)})", field=name)
    cells = pd.read_parquet(file, columns=list(_CELL_COLUMNS))
    src, dst = _node_index(cells, nodes, file)
    value = cells["value_musd"].to_numpy(dtype=float)
    bad = ~np.isfinite(value)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(file, f"row {row + 1}: missing or infinite value", field="value_musd")
    bad = value < 0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(file, f"row {row + 1}: negative value {value[row]}", field="value_musd")
    n = len(nodes)
    key = src * n + dst
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if dup.size:
        row = int(order[dup[0] + 1])
        raise DataError(file, f"row {row + 1}: the cell {cells['from_country'].iloc[row]}_"
                        f"{cells['from_sector'].iloc[row]} -> {cells['to_country'].iloc[row]}_"
                        f"{cells['to_sector'].iloc[row]} appears twice",
                        field="from_country,from_sector,to_country,to_sector")
    inactive = ~nodes["active"].to_numpy()
    bad = inactive[dst] & (value > 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(file, f"row {row + 1}: inactive node {cells['to_country'].iloc[row]}_"
                        f"{cells['to_sector'].iloc[row]} (zero output) buys inputs",
                        field="to_sector")
    return cells, src, dst


def _check_identities(nodes: pd.DataFrame, src: np.ndarray, dst: np.ndarray,
                      value: np.ndarray, file: Path) -> None:
    """Row and column identities within IDENTITY_RTOL of gross output (module docstring)."""
    n = len(nodes)
    rowsum = np.bincount(src, weights=value, minlength=n)
    colsum = np.bincount(dst, weights=value, minlength=n)
    go = nodes["gross_output_musd"].to_numpy()
    scale = np.maximum(np.abs(go), 1.0)  # inactive nodes: absolute 1e-6 million USD
    checks = (
        ("sales_to_final_demand_and_row_musd", go - rowsum,
         "gross output - intermediate sales (row sum of the Parquet)"),
        ("intermediate_inputs_from_80_musd", colsum, "column sum of the Parquet"),
        ("go_minus_intermediate_inputs_musd", go - colsum,
         "gross output - column sum of the Parquet"),
    )
    for field, expected, what in checks:
        got = nodes[field].to_numpy()
        bad = np.abs(got - expected) > IDENTITY_RTOL * scale
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(file, f"{nodes['country'].iloc[k]} {nodes['sector'].iloc[k]}: "
                            f"{got[k]} but {what} is {expected[k]} (relative tolerance "
                            f"{IDENTITY_RTOL})", line=int(nodes["_line"].iloc[k]), field=field)


def _check_published(nodes: pd.DataFrame, file: Path) -> None:
    totals = nodes.groupby("country")["gross_output_musd"].sum() / 1e6
    for country, figure in PUBLISHED_GROSS_OUTPUT_TN.items():
        if country not in totals.index:
            raise DataError(file, f"no rows for {country}, whose gross output is checked",
                            field="country")
        got = float(totals[country])
        if abs(got - figure) > PUBLISHED_RTOL * figure:
            raise DataError(file, f"{country} gross output {got:.2f} tn USD is not within "
                            f"{PUBLISHED_RTOL:.0%} of the published {figure:.2f} tn USD "
                            "(wrong unit or year?)", field="gross_output_musd")


def read_icio(path: Path) -> dict[str, pd.DataFrame]:
    """Read and check the ICIO folder *path*; tables ``nodes, intermediate, countries,
    sectors`` (see the module docstring). Pure: nothing is written."""
    files = icio_files(path)
    countries = _code_list(files[COUNTRIES])
    sectors = _code_list(files[SECTORS])
    nodes = _read_nodes(files[NODES], set(countries["code"]), list(sectors["code"]))
    cells, src, dst = _read_cells(files[INTERMEDIATE], nodes)
    _check_identities(nodes, src, dst, cells["value_musd"].to_numpy(dtype=float), files[NODES])
    _check_published(nodes, files[NODES])
    nodes = nodes.drop(columns="_line")
    nodes["year"] = YEAR
    nodes["edition"] = EDITION
    used = set(nodes["country"])
    return {
        "nodes": nodes,
        "intermediate": cells,
        "countries": countries[countries["code"].isin(used)].reset_index(drop=True),
        "sectors": sectors,
    }


def import_icio(
    path: Path,
    store: Store,
    *,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Check the ICIO folder *path* in full, then replace dataset ``icio`` in *store*."""
    say = progress or (lambda _msg: None)
    files = icio_files(path)
    say("reading and checking the OECD ICIO 2022 table")
    tables = read_icio(path)
    folder = files[NODES].parent
    say("writing to the store")
    counts = store.replace_dataset(DATASET, tables, source_file=folder, licence=LICENCE,
                                   note=NOTE, files=list(files.values()))
    inactive = int((~tables["nodes"]["active"]).sum())
    warnings = [f"{inactive} inactive nodes (zero output) kept with zero rows and columns"]
    return ImportReport(DATASET, counts, folder, LICENCE, warnings)


def load_icio(store: Store) -> IcioTable:
    """The imported ICIO table from *store* as kernel inputs (:class:`IcioTable`).

    StoreError naming ``econsec data import icio PATH`` when it is not imported.
    """
    import scipy.sparse as sp

    nodes = store.read(DATASET, "nodes").sort_values("node").reset_index(drop=True)
    if not np.array_equal(nodes["node"].to_numpy(), np.arange(len(nodes))):
        from econsec.errors import StoreError

        raise StoreError(f"{store.path}: table icio__nodes does not number its nodes 0..n-1; "
                         "re-run `econsec data import icio PATH`")
    cells = store.read(DATASET, "intermediate")
    src, dst = _node_index(cells, nodes, store.path)
    n = len(nodes)
    z = sp.csc_matrix((cells["value_musd"].to_numpy(dtype=float), (src, dst)), shape=(n, n))
    return IcioTable(
        z=z,
        gross_output=nodes["gross_output_musd"].to_numpy(dtype=float),
        nodes=nodes,
        year=int(nodes["year"].iloc[0]),
        edition=int(nodes["edition"].iloc[0]),
    )


def icio_io_arrays(
    table: IcioTable, countries: list[str] | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str], list[str]]:
    """``(z, output, regions, sectors)`` for the simulation's network builder.

    The arguments of ``econsec.simulation.network_arrays.baseline_from_io(z, output,
    regions, sectors, min_share=...)``: *z* dense (n, n) million USD a year, rows = supplying
    node, columns = using node, region-major (node ``r * 50 + s``, as :class:`IcioTable`);
    *output* the gross output. *countries* keeps a sub-block (its flows with the other
    economies are left out; output stays the table's gross output, so the dropped sales
    end up in final demand). The simulation layer is not imported here (layers import
    downward): the caller passes these arrays on. Dense because ``baseline_from_io``
    takes a dense table: 4,000 x 4,000 float64 is 128 MB.
    """
    keep = np.arange(len(table.nodes))
    if countries is not None:
        unknown = sorted(set(countries) - set(table.countries))
        if unknown:
            raise DataError("icio__nodes", f"unknown economies {', '.join(unknown)}",
                            field="country")
        keep = np.flatnonzero(table.nodes["country"].isin(countries).to_numpy())
    sub = table.z[keep][:, keep]
    regions = list(dict.fromkeys(table.nodes["country"].iloc[keep]))
    return (np.asarray(sub.toarray(), dtype=np.float64), table.gross_output[keep].copy(),
            regions, table.sectors)
