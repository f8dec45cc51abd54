"""Adapters for trade extracts that are not in BACI or Comtrade bulk shape.

Each reads a small file strictly (:func:`econsec.data.importers.csvread.read_csv_strict`:
errors name file, line and column), harmonises it to the panel convention
(:data:`econsec.data.panel.PANEL_COLUMNS`) and stores it as a trade panel:

* :func:`import_baci_iso3_extract` — critical-materials-atlas ``baci_extract/baci_<year>.csv``
  (``i, j, cmd, value``; BACI ISO3 codes with Taiwan as ``S19``; value already in USD;
  HS17, BACI V202601).  ``flow_source = 'baci'``.
* :func:`import_atlas_top_flows` — ``atlas_top_flows_2002_2024.csv`` (ISO2 codes, value
  USD, top-6 suppliers/customers per material only — fine for shares, not for totals).
  ``product`` is the material's title HS6 code from ``crosswalk.json`` (``811292`` for the
  gallium/germanium group); HS02 or HS17 recorded per year.  ``flow_source =
  'baci_top6'``.
* :func:`import_china_monthly` — China's monthly exports of gallium/germanium and graphite
  by partner (``deep_dive_hs6_monthly.csv``: ``period_dt, partner_name, hs6, val`` USD,
  ``qty`` kg), summed to calendar years (``quantity`` in tonnes); :func:`read_china_monthly`
  returns the monthly series itself for event studies of the 2023 export controls.
  ``flow_source = 'comtrade:X'`` (China-reported exports).
* :func:`import_taiwan_customs` — Taiwan Customs HS 8542 exports by destination
  (``Year, Country`` in Traditional Chinese, ``HS Code`` 11-digit CCC, ``Export Value
  (USD)``), names translated with the folder's ``country_name_map_full.json``, CCC codes
  aggregated to HS6.  ``flow_source = 'taiwan_customs:X'``.  2025 is a partial year.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from econsec.data.codes import name_to_iso3, to_iso3
from econsec.data.importers import ImportReport
from econsec.data.importers.csvread import CsvTable, cells, read_csv_strict, to_float, to_int
from econsec.data.panel import write_panel_frame
from econsec.errors import DataError

if TYPE_CHECKING:
    from econsec.data.store import Store

LICENCE_ATLAS = ("critical-materials-atlas (no licence file; internal reference) from CEPII "
                 "BACI V202601 (Etalab 2.0)")
LICENCE_CHINA = "qennis/ChinaCriticalMineralComtrade (no licence file) from UN Comtrade"
LICENCE_TAIWAN = "Taiwan Customs Administration open data (via a0013333j-png, no licence file)"
#: Names used by the extracts that :func:`name_to_iso3` does not know.
EXTRA_NAMES: dict[str, str] = {"UAE": "ARE", "S19": "TWN"}
#: Historic ISO2 codes in the atlas (Netherlands Antilles, Serbia and Montenegro).
HISTORIC_ISO2: dict[str, str] = {"AN": "ANT", "CS": "SCG"}
#: Destination names that are no economy (dropped, counted in warnings).
NOT_ECONOMIES = frozenset({"Others", "其他國家"})


def _year_in_name(path: Path) -> int:
    match = re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", path.name)
    if not match:
        raise DataError(path, "no year in the file name (expected e.g. baci_2022.csv)")
    return int(match.group(1))


def _codes(table: CsvTable, column: str, convert: dict[str, str | None]) -> pd.Series:
    """Map *column* through *convert* (cell -> ISO3); DataError at the first unknown one."""
    values = cells(table, column)
    mapped = values.map(convert)
    bad = mapped.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise table.error(table.frame.index[row], column,
                          f"unknown country {values.iloc[row]!r}")
    return mapped.astype(str)


def _hs6(table: CsvTable, column: str, digits: int = 6) -> pd.Series:
    values = cells(table, column)
    ok = values.str.fullmatch(r"\d{" + str(digits) + "}")
    if not ok.all():
        row = int((~ok).to_numpy().nonzero()[0][0])
        raise table.error(table.frame.index[row], column,
                          f"{values.iloc[row]!r} is not a {digits}-digit code")
    return values


def _commit(store: Store, dataset: str, frame: pd.DataFrame, path: Path,
            files: list[Path], hs: str | dict[int, str] | None, licence: str, note: str,
            warnings: list[str], *, replace: bool = False) -> ImportReport:
    from econsec.data.store import sha256_of

    digest = sha256_of(path, files if path.is_dir() else None)
    stats = write_panel_frame(store, dataset, frame, source_file=path, sha256=digest,
                              hs_revision=hs, licence=licence, note=note, replace=replace)
    return ImportReport(dataset, {f"year={s.year}": s.rows for s in stats}, path, licence,
                        warnings)


def _frame(year: pd.Series | int, exporter: pd.Series | str, importer: pd.Series | str,
           product: pd.Series, value: pd.Series, quantity: pd.Series | float,
           source: str) -> pd.DataFrame:
    frame = pd.DataFrame({"year": year, "exporter": exporter, "importer": importer,
                          "product": product, "value": value, "quantity": quantity})
    frame["flow_source"] = source
    return frame


# -- critical-materials atlas ------------------------------------------------------------


def read_baci_iso3_extract(path: Path) -> pd.DataFrame:
    """Atlas ``baci_<year>.csv`` as a panel frame (year from the file name)."""
    path = Path(path)
    year = _year_in_name(path)
    table = read_csv_strict(path, required=("i", "j", "cmd", "value"), key=("i", "j", "cmd"))
    iso = {code: code for code in set(cells(table, "i")) | set(cells(table, "j"))
           if len(code) == 3 and name_to_iso3(code) == code}
    convert: dict[str, str | None] = {**iso, **EXTRA_NAMES}
    return _frame(year, _codes(table, "i", convert), _codes(table, "j", convert),
                  _hs6(table, "cmd"), to_float(table, "value", low=0.0), float("nan"), "baci")


def import_baci_iso3_extract(path: Path, store: Store, *,
                             dataset: str = "atlas_baci",
                             replace: bool = False) -> ImportReport:
    """Store an atlas ``baci_extract/baci_<year>.csv`` as panel *dataset* (HS17)."""
    path = Path(path)
    frame = read_baci_iso3_extract(path)
    return _commit(store, dataset, frame, path, [path], "HS17", LICENCE_ATLAS,
                   "CEPII BACI HS17 V202601 extract, 30 critical-material HS6 codes", [],
                   replace=replace)


def read_atlas_top_flows(path: Path, crosswalk: Path | None = None) -> pd.DataFrame:
    """``atlas_top_flows_2002_2024.csv`` as a panel frame plus an ``hs_vintage`` column."""
    path = Path(path)
    crosswalk = crosswalk or path.parent / "crosswalk.json"
    try:
        titles = {k: str(v["title_code"]) for k, v in json.loads(crosswalk.read_text()).items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(crosswalk, f"cannot read the material crosswalk: {exc}") from None
    titles["gallium_germanium_group"] = titles.get("gallium", "811292")
    table = read_csv_strict(path, required=("year", "hs_vintage", "material", "exporter_iso2",
                                            "importer_iso2", "value_usd"))
    iso2 = set(cells(table, "exporter_iso2")) | set(cells(table, "importer_iso2"))
    convert: dict[str, str | None] = {}
    for code in iso2:
        try:
            convert[code] = to_iso3(code, "iso2")
        except KeyError:
            convert[code] = HISTORIC_ISO2.get(code)
    material = cells(table, "material")
    product = material.map(titles)
    if product.isna().any():
        row = int(product.isna().to_numpy().nonzero()[0][0])
        raise table.error(table.frame.index[row], "material",
                          f"material {material.iloc[row]!r} is not in {crosswalk.name}")
    frame = _frame(to_int(table, "year").astype("int64"),
                   _codes(table, "exporter_iso2", convert),
                   _codes(table, "importer_iso2", convert), product.astype(str),
                   to_float(table, "value_usd", low=0.0), float("nan"), "baci_top6")
    frame["hs_vintage"] = cells(table, "hs_vintage")
    return frame


def import_atlas_top_flows(path: Path, store: Store, *,
                           dataset: str = "atlas_top",
                           replace: bool = False) -> ImportReport:
    """Store the atlas top-flows CSV (2002-2024) as panel *dataset*."""
    path = Path(path)
    frame = read_atlas_top_flows(path)
    hs = {int(y): str(v) for y, v in
          frame.groupby("year")["hs_vintage"].agg(lambda s: ",".join(sorted(set(s)))).items()}
    return _commit(store, dataset, frame.drop(columns="hs_vintage"), path, [path], hs,
                   LICENCE_ATLAS, "top-6 suppliers/customers per material only; not totals",
                   ["top-6 filtered flows: use for shares, not for world totals"],
                   replace=replace)


# -- China monthly Ga/Ge/graphite exports -----------------------------------------------


def read_china_monthly(path: Path) -> pd.DataFrame:
    """``deep_dive_hs6_monthly.csv`` as ``month`` (Timestamp), ``exporter`` CHN,
    ``importer`` ISO3, ``product`` HS6, ``value`` USD, ``quantity`` t."""
    path = Path(path)
    table = read_csv_strict(path, required=("period_dt", "partner_name", "hs6", "val", "qty"),
                            key=("period_dt", "partner_name", "hs6"))
    names = {n: EXTRA_NAMES.get(n) or name_to_iso3(n) for n in set(cells(table, "partner_name"))}
    month = pd.to_datetime(cells(table, "period_dt"), format="%Y-%m-%d", errors="coerce")
    if month.isna().any():
        row = int(month.isna().to_numpy().nonzero()[0][0])
        raise table.error(table.frame.index[row], "period_dt", "not a YYYY-MM-DD date")
    return pd.DataFrame({
        "month": month, "exporter": "CHN",
        "importer": _codes(table, "partner_name", names), "product": _hs6(table, "hs6"),
        "value": to_float(table, "val", low=0.0),
        "quantity": to_float(table, "qty", low=0.0) / 1000.0,
    })


def import_china_monthly(path: Path, store: Store, *,
                         dataset: str = "china_cm_exports",
                         replace: bool = False) -> ImportReport:
    """Store China's monthly Ga/Ge/graphite exports, summed to years, as panel *dataset*."""
    path = Path(path)
    monthly = read_china_monthly(path)
    monthly["year"] = monthly["month"].dt.year.astype("int64")
    months = monthly.groupby("year")["month"].nunique()
    yearly = (monthly.groupby(["year", "exporter", "importer", "product"], as_index=False)
              [["value", "quantity"]].sum())
    yearly["flow_source"] = "comtrade:X"
    partial = [int(y) for y, n in months.items() if n < 12]
    warnings = [f"{path.name}: monthly values summed to years"]
    if partial:
        warnings.append(f"{path.name}: fewer than 12 months in {partial}")
    return _commit(store, dataset, yearly, path, [path], None, LICENCE_CHINA,
                   "China-reported monthly exports (HS 250410, 380110, 811292), summed",
                   warnings, replace=replace)


# -- Taiwan Customs HS 8542 exports -------------------------------------------------------


def read_taiwan_customs(path: Path, name_map: Path | None = None) -> tuple[pd.DataFrame,
                                                                          list[str]]:
    """Taiwan Customs export file as a panel frame (TWN -> destination, HS6) + warnings."""
    path = Path(path)
    name_map = name_map or path.parent / "country_name_map_full.json"
    try:
        english: dict[str, str] = json.loads(name_map.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(name_map, f"cannot read the destination-name map: {exc}") from None
    table = read_csv_strict(path, required=("Year", "Country", "HS Code",
                                            "Export Value (USD)"))
    country = cells(table, "Country")
    drop = country.isin(NOT_ECONOMIES) | country.map(english).isin(NOT_ECONOMIES)
    warnings: list[str] = []
    value = to_float(table, "Export Value (USD)", low=0.0)
    if drop.any():
        warnings.append(f"{path.name}: {int(drop.sum())} rows to 'Others' (USD "
                        f"{value[drop].sum():,.0f}) dropped")
    convert: dict[str, str | None] = {}
    for name in set(country[~drop]):
        eng = english.get(name)
        convert[name] = (EXTRA_NAMES.get(eng) or name_to_iso3(eng)) if eng else None
    keep = table.frame.index[~drop.to_numpy()]
    sub = CsvTable(path, table.header, table.frame.loc[keep].reset_index(drop=True),
                   [table.lines[int(i)] for i in keep])
    ccc = _hs6(sub, "HS Code", digits=11)
    frame = _frame(to_int(sub, "Year").astype("int64"), "TWN", _codes(sub, "Country", convert),
                   ccc.str[:6], value[~drop].reset_index(drop=True), float("nan"),
                   "taiwan_customs:X")
    frame = frame.groupby(["year", "exporter", "importer", "product", "flow_source"],
                          as_index=False, dropna=False).agg(value=("value", "sum"),
                                                            quantity=("quantity", "sum"))
    frame["quantity"] = float("nan")
    return frame, warnings


def import_taiwan_customs(path: Path, store: Store, *,
                          dataset: str = "taiwan_ic_exports",
                          replace: bool = False) -> ImportReport:
    """Store Taiwan's HS 8542 exports by destination (2013-2025) as panel *dataset*."""
    path = Path(path)
    frame, warnings = read_taiwan_customs(path)
    if 2025 in set(frame["year"]):
        warnings.append(f"{path.name}: 2025 is a partial year")
    return _commit(store, dataset, frame, path, [path], None, LICENCE_TAIWAN,
                   "Taiwan Customs HS 8542 exports by destination (CCC -> HS6)", warnings,
                   replace=replace)
