"""Importer for the WIOD 2013 world input-output tables as a bilateral trade panel.

Gross bilateral exports of WIOD industry k from country c to country d (c != d) are the
cross-border cells of the world input-output table, intermediate plus final use::

    E_cd,k = sum_l Z[c,k -> d,l] + sum_f F[c,k -> d,f]

(Z the intermediate block, F the final-demand block, f the five final-demand categories;
:func:`wiod_bilateral_flows`). This is the standard derivation of gross exports from an
MRIO table (Timmer et al. 2015, "An Illustrated User Guide to the World Input-Output
Database", Review of International Economics 23: 575-605). 41 regions x 35 industries
(``c1`` ... ``c35``), 1995-2011, current million USD -> stored in USD. ``product`` is the
WIOD industry code, ``quantity`` is NaN, ``flow_source = 'wiod2013'``. Country codes are
ISO3 except WIOD's ``ROM`` (Romania, stored as ``ROU``) and ``RoW`` (rest of the world,
stored as ``ROW``).

Input: the long Parquet files ``wiot_intermediate_long_1995_2011.parquet`` and
``wiot_final_demand_long_1995_2011.parquet`` (columns in
``shared/data/wiod2013/PROVENANCE.md``), given as their folder.
Licence: WIOD, free with citation of Timmer et al. (2015).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from econsec.data.importers import ImportReport
from econsec.data.panel import commit_panel, copy_to_staging, staging
from econsec.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from econsec.data.store import Store

DATASET = "wiod"
LICENCE = "WIOD 2013 release: free use with citation of Timmer et al. (2015)"
INTERMEDIATE = "wiot_intermediate_long_1995_2011.parquet"
FINAL = "wiot_final_demand_long_1995_2011.parquet"
#: WIOD region codes that are not ISO3, and what econsec stores instead.
WIOD_CODES: dict[str, str] = {"ROM": "ROU", "RoW": "ROW"}
_INTER_COLUMNS = ("year", "from_country", "from_industry", "to_country", "to_industry",
                  "value_musd")
_FINAL_COLUMNS = ("year", "from_country", "from_industry", "to_country", "final_demand",
                  "value_musd")
_KEYS = ["year", "from_country", "from_industry", "to_country"]


def wiod_files(path: Path) -> tuple[Path, Path]:
    """(intermediate, final demand) Parquet files in folder *path* (or next to a file)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    files = (folder / INTERMEDIATE, folder / FINAL)
    for file in files:
        if not file.is_file():
            raise DataError(file, f"WIOD file not found (expected {INTERMEDIATE} and {FINAL} "
                            f"in {folder})")
    return files


def _read(file: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(file).names
    except Exception as exc:
        raise DataError(file, f"not a readable Parquet file: {exc}") from None
    for name in columns:
        if name not in names:
            raise DataError(file, f"missing column (file has: {', '.join(names)})", field=name)
    frame = pd.read_parquet(file, columns=list(columns))
    bad = frame["value_musd"].isna()
    if bad.any():
        raise DataError(file, f"missing value in row {int(bad.to_numpy().argmax()) + 1}",
                        field="value_musd")
    return frame


def wiod_bilateral_flows(intermediate: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Long flows frame ``[year, exporter, importer, product, value]`` from WIOD 2013.

    ``intermediate``: columns ``year, from_country, from_industry, to_country,
    to_industry, value_musd``; ``final``: ``year, from_country, from_industry,
    to_country, final_demand, value_musd`` (the long parquet files described in
    ``shared/data/wiod2013/PROVENANCE.md``). Domestic cells (``to == from``) are
    dropped; ``product`` is the WIOD industry (``c1`` ... ``c35``); ``value`` is in USD
    (``value_musd * 1e6``).

    Final demand includes changes in inventories (INVEN), which can be negative; a
    bilateral total that ends up negative (96 of ~390k cells in 1995-2011) is set to 0,
    since a flow cannot be negative.
    """
    import pandas as pd

    parts = []
    for df in (intermediate, final):
        cross = df[_differs(df["from_country"], df["to_country"])]
        parts.append(
            cross.groupby(_KEYS, observed=True, sort=False)["value_musd"].sum().astype(float)
        )
    total = pd.concat(parts).groupby(level=list(range(len(_KEYS))), sort=True).sum()
    out = total.reset_index()
    return pd.DataFrame(
        {
            "year": out["year"].astype("int64"),
            "exporter": out["from_country"].astype(str),
            "importer": out["to_country"].astype(str),
            "product": out["from_industry"].astype(str),
            "value": out["value_musd"].clip(lower=0.0) * 1e6,
        }
    )


def _differs(a: pd.Series, b: pd.Series) -> npt.NDArray[np.bool_]:
    """``a.astype(str) != b.astype(str)`` element by element (a missing value differs from
    everything, itself included, as there), formed on the category codes when both are
    categorical (WIOD's Parquet columns are dictionary-encoded): the labels are converted
    once per category, not once per row (5.7M rows of the intermediate table: 1.4 s as
    strings)."""
    import numpy as np
    import pandas as pd

    if not (isinstance(a.dtype, pd.CategoricalDtype)
            and isinstance(b.dtype, pd.CategoricalDtype)):
        return np.asarray(a.astype(str) != b.astype(str), dtype=np.bool_)
    labels = [[str(v) for v in s.cat.categories] for s in (a, b)]
    union = {label: i for i, label in enumerate(dict.fromkeys(labels[0] + labels[1]))}
    # code -1 (missing) takes the last entry: -1 on one side, -2 on the other
    ids = [np.array([union[label] for label in lab] + [miss], dtype=np.int64)[
        s.cat.codes.to_numpy()] for lab, s, miss in zip(labels, (a, b), (-1, -2), strict=True)]
    return np.asarray(ids[0] != ids[1], dtype=np.bool_)


def read_wiod_flows(path: Path, years: Iterable[int] | None = None) -> pd.DataFrame:
    """WIOD bilateral flows as a panel frame (``year, exporter, importer, product, value,
    quantity, flow_source``), countries harmonised to ISO3 (ROM -> ROU, RoW -> ROW)."""
    inter_file, final_file = wiod_files(path)
    inter = _read(inter_file, _INTER_COLUMNS)
    final = _read(final_file, _FINAL_COLUMNS)
    if years is not None:
        wanted = sorted({int(y) for y in years})
        inter = inter[inter["year"].isin(wanted)]
        final = final[final["year"].isin(wanted)]
    flows = wiod_bilateral_flows(inter, final)
    for col in ("exporter", "importer"):
        flows[col] = flows[col].replace(WIOD_CODES)
    flows["quantity"] = float("nan")
    flows["flow_source"] = "wiod2013"
    return flows


def import_wiod(
    path: Path,
    store: Store,
    *,
    years: Iterable[int] | None = None,
    dataset: str = DATASET,
    progress: Callable[[str], None] | None = None,
    replace: bool = False,
) -> ImportReport:
    """Derive bilateral industry flows from WIOD 2013 at *path*; store as panel *dataset*
    (a stored year that would shrink needs *replace*)."""
    import duckdb

    from econsec.data.store import sha256_of

    say = progress or (lambda _msg: None)
    say("reading WIOD tables")
    files = wiod_files(path)
    flows = read_wiod_flows(path, years)
    if flows.empty:
        raise DataError(files[0], "no rows for the years asked", field="year")
    folder = files[0].parent
    con = duckdb.connect()
    try:
        con.register("wiod_flows", flows)
        say("writing Parquet")
        with staging(store) as stage:
            copy_to_staging(con, "SELECT * FROM wiod_flows", stage)
            stats = commit_panel(
                store, dataset, stage, source_file=folder, sha256=sha256_of(folder, files),
                hs_revision=None, licence=LICENCE,
                note="WIOD 2013 industries c1-c35 (ISIC Rev.3); gross exports inter + final",
                replace=replace,
            )
    finally:
        con.close()
    return ImportReport(dataset, {f"year={s.year}": s.rows for s in stats}, folder, LICENCE)
