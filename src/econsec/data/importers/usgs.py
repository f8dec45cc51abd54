"""Importer for USGS Mineral Commodity Summaries (MCS) data releases.

Why: USGS MCS is the standard public source for world mine and refinery production of
critical minerals by country (gallium, germanium, graphite, lithium, cobalt, rare earths
...), from which econsec derives supplier shares and U.S. net import reliance.

Source: U.S. Geological Survey, National Minerals Information Center, Mineral Commodity
Summaries data releases (e.g. https://doi.org/10.5066/P9WCYUI6, MCS 2024), public domain.

The raw CSVs are messy; this importer cleans them explicitly:

* UTF-8 BOM, non-breaking spaces, trailing empty columns and rows;
* footnote markers glued to names (``Other countries4``, ``New Caledonia11``) and the
  ``e`` (estimated) marker (``Japane``, ``Korea, Republic ofe``) — the name is resolved
  first as written, then without the trailing ``e``, which sets ``is_estimate``;
* thousands separators (``"72,000"``), ``e`` value prefix (``e11,900``), special values
  ``W`` (withheld), ``NA``, ``--``, ``XX``, ``<100``, "Less than ½ unit.", "Included with
  ilmenite" -> null production with the text kept in ``value_text``;
* units in column names (``Prod_kg_2022``, ``Prod_t_est_2023``, ``Prod_Sponge_t_Est_2021``,
  ``Prod_mmt_2022`` ...), ``_est`` in the column marks estimates;
* MCS 2025 world data come as one long CSV (``MCS2025_World_Data.csv``: ``COMMODITY``,
  ``COUNTRY``, ``TYPE``, ``UNIT_MEAS``, ``PROD_2023``, ``PROD_EST_ 2024`` with a space in
  the USGS header, trailing spaces in names, the typo ``Gemanium``); it is read by
  :func:`read_mcs_long` into the same rows, with ``commodity_code`` the commodity name in
  lower case (``rare_earths``, ``silicon``, ``germanium``);
* file names ``mcs2024-galli_world.csv``, ``MCS2024-bismu_world.csv``,
  ``lithium_mcs2022-lithi_world.csv``; one 2024 file has ``Mine production, fluorspar``
  as the header of its Type column, one has blank Type cells.

Tables written (dataset ``usgs``):

* ``world_production``: ``edition, commodity_code, commodity, type, country_name, iso3``
  (null for aggregates), ``is_aggregate, is_world_total, year, production, unit,
  is_estimate, value_text, notes, source_file, line``.
* ``world_shares``: ``edition, commodity_code, commodity, type, year, iso3, production,
  world_production, share, denominator`` (``world_total`` when the file's "World total" row
  is used, ``sum`` when there is none and the rows are summed), ``unit, is_estimate``.
* ``us_salient``: U.S. salient statistics per commodity and year: ``nir_pct`` parsed
  (``>50`` -> 50 with ``nir_qualifier`` ``>``; ``E`` = net exporter -> 0), ``nir_text``,
  ``imports, exports, consumption`` with the column each came from (units are in that
  name) — see :func:`_pick_field`.
* ``us_salient_long``: every salient cell as ``field, value, value_text``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from econsec.data.codes import name_to_iso3
from econsec.data.importers import ImportReport
from econsec.data.importers.csvread import CsvTable, parse_number, read_csv_strict
from econsec.data.store import Store
from econsec.errors import DataError

DATASET = "usgs"
LICENCE = "Public domain (U.S. Government work; USGS data release)"
SOURCE = "U.S. Geological Survey, Mineral Commodity Summaries"

_FILE_RE = re.compile(
    r"mcs(?P<edition>\d{4})-?(?P<code>[a-z][a-z-]*?)_(?P<kind>world|salient)", re.IGNORECASE
)
_PROD_RE = re.compile(
    r"^Prod_(?:(?P<qual>[A-Za-z]+)_)?(?P<unit>kg|t|kt|Mt|mt|mmt|kct|mct|mcm)_"
    r"(?:(?P<est>est)_)?(?P<year>\d{4})$",
    re.IGNORECASE,
)
_UNITS = {
    "kg": "kg",
    "t": "t",
    "kt": "kt",
    "mt": "Mt",
    "mmt": "Mt",
    "kct": "thousand carats",
    "mct": "million carats",
    "mcm": "million m3",
}
_NULL_VALUES = {"", "W", "NA", "--", "XX", "-"}
_TEXT_VALUES = re.compile(r"^(less than .*|included with .*|<\s*[\d.,]+)$", re.IGNORECASE)


def find_files(path: Path) -> tuple[list[Path], list[Path]]:
    """World and salient CSV files under *path* (a folder) or *path* itself (a file)."""
    path = Path(path)
    if path.is_file() and _LONG_FILE_RE.match(path.name):
        return [], []  # the long MCS 2025 file: see find_long_files
    if path.is_file():
        match = _FILE_RE.search(path.name)
        if not match or path.suffix.lower() != ".csv":
            raise DataError(path, "not a USGS MCS file (mcsYYYY-<code>_world.csv or _salient.csv)")
        return ([path], []) if match["kind"].lower() == "world" else ([], [path])
    if not path.is_dir():
        raise DataError(path, "USGS MCS folder or file not found")
    world = sorted(
        {
            *path.glob("mcs*/world/*_world.csv"),
            *path.glob("MCS*/world/*_world.csv"),
            *path.glob("*/selected_commodities/*world*.csv"),
            *path.glob("*_world.csv"),
        }
    )
    salient = sorted(
        {
            *path.glob("mcs*/salient/*_salient.csv"),
            *path.glob("*/selected_commodities/*salient*.csv"),
            *path.glob("mcs*_partial_salient/*_salient.csv"),
            *path.glob("*_salient.csv"),
        }
    )
    if not world and not salient and not find_long_files(path):
        raise DataError(path, "no USGS MCS files found (expected mcsYYYY/world/*_world.csv)")
    return world, salient


_LONG_FILE_RE = re.compile(r"^MCS(?P<edition>\d{4})_World_Data\.csv$", re.IGNORECASE)
_LONG_PROD_RE = re.compile(r"^PROD_(?P<est>EST_)?\s*(?P<year>\d{4})$", re.IGNORECASE)
_LONG_UNITS = {
    "kilograms": "kg",
    "metric tons": "t",
    "thousand metric tons": "kt",
    "million metric tons": "Mt",
    "thousand carats": "thousand carats",
    "million carats": "million carats",
    "million cubic meters": "million m3",
}
#: commodity names misspelt in the USGS long file -> the right name
_LONG_NAME_FIXES = {"gemanium": "germanium"}


def find_long_files(path: Path) -> list[Path]:
    """The long-format world files (``mcsYYYY/world/MCSYYYY_World_Data.csv``) under *path*."""
    path = Path(path)
    if path.is_file():
        return [path] if _LONG_FILE_RE.match(path.name) else []
    return sorted(p for p in path.glob("mcs*/world/*.csv") if _LONG_FILE_RE.match(p.name))


def long_commodity_code(name: str) -> str:
    """Code of a commodity of the long file: its cleaned name in lower case, ``_`` for
    spaces (``"Rare earths"`` -> ``rare_earths``; the USGS typo ``Gemanium`` -> germanium)."""
    low = re.sub(r"\s+", " ", name.replace("\u00a0", " ")).strip().lower()
    low = _LONG_NAME_FIXES.get(low, low)
    return re.sub(r"[^a-z0-9]+", "_", low).strip("_")


def read_mcs_long(path: Path, warnings: list[str] | None = None) -> list[dict[str, object]]:
    """Production rows of a long-format MCS world file (MCS 2025), in the columns of
    ``world_production``. Only the ``PROD_*`` columns are read (capacity and reserves
    are not production). A value that is neither a number nor a known null raises a
    :class:`DataError` naming the file, line and column."""
    path = Path(path)
    match = _LONG_FILE_RE.match(path.name)
    if not match:
        raise DataError(path, "not a long-format MCS world file (MCSYYYY_World_Data.csv)")
    edition = int(match["edition"])
    table = read_csv_strict(path, required=["COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"],
                            lenient_header=True)
    if warnings is not None:
        warnings.extend(table.warnings)
    prod_cols = [(c, m) for c in table.frame.columns if (m := _LONG_PROD_RE.match(c))]
    if not prod_cols:
        raise DataError(path, "no production column (PROD_YYYY)", line=1, field="PROD_")
    rows: list[dict[str, object]] = []
    column_cells = table.columns()
    for i in table.frame.index:
        commodity = re.sub(r"\s+", " ", str(column_cells["COMMODITY"][i])).strip()
        raw_name = str(column_cells["COUNTRY"][i])
        name = clean_name(raw_name)
        if not commodity or not name:
            continue
        iso3, aggregate, name_est = resolve_country(name)
        if iso3 is None and not aggregate:
            raise table.error(int(i), "COUNTRY", f"unknown country {raw_name.strip()!r}")
        if name_est and name.endswith("e"):
            name = name[:-1]
        unit_text = re.sub(r"\s+", " ", str(column_cells["UNIT_MEAS"][i])).strip().lower()
        unit = _LONG_UNITS.get(unit_text, unit_text)
        kind = re.sub(r"\s+", " ", str(column_cells["TYPE"][i]).replace("\u00a0", " ")).strip()
        notes = str(column_cells["PROD_NOTES"][i]).strip() if "PROD_NOTES" in table.frame else ""
        for col, m in prod_cols:
            try:
                value, value_est, text = _parse_value(str(column_cells[col][i]))
            except ValueError:
                raise table.error(
                    int(i), col, f"{column_cells[col][i]!r} is not a production figure"
                ) from None
            rows.append({
                "edition": edition,
                "commodity_code": long_commodity_code(commodity),
                "commodity": commodity,
                "type": kind or "Production",
                "country_name": name,
                "iso3": iso3,
                "is_aggregate": aggregate,
                "is_world_total": aggregate and name.lower().startswith("world"),
                "year": int(m["year"]),
                "production": value,
                "unit": unit,
                "is_estimate": bool(m["est"]) or name_est or value_est,
                "value_text": text,
                "notes": notes or None,
                "source_file": path.name,
                "line": table.line(int(i)),
                "column": col,
            })
    return rows


def _file_id(path: Path) -> tuple[int, str]:
    match = _FILE_RE.search(path.name)
    if not match:
        raise DataError(path, "file name does not say the MCS edition and commodity code")
    return int(match["edition"]), match["code"].lower()


def clean_name(raw: str) -> str:
    """Name without NBSPs, doubled spaces and trailing footnote digits."""
    text = re.sub(r"\s+", " ", raw.replace("\u00a0", " ")).strip()
    return re.sub(r"(?<=[A-Za-z).])\d+$", "", text).strip()


@functools.cache
def resolve_country(name: str) -> tuple[str | None, bool, bool]:
    """``(iso3, is_aggregate, estimated_marker)`` for a cleaned USGS country name.

    Aggregates ("World total ...", "Other countries", "United States and Canada") get no
    ISO3.  Unknown names return ``(None, False, False)``.
    """
    low = name.lower()
    if low.startswith("world") or low.startswith("other") or " and canada" in low:
        return None, True, False
    candidates = [name]
    stem = re.split(r"\s*\(|,\s(?!republic of|north|south)", name, maxsplit=1)[0].strip()
    if stem != name:
        candidates.append(stem)
    for candidate in candidates:
        iso3 = name_to_iso3(candidate)
        if iso3 is not None:
            return iso3, False, False
        if candidate.endswith("e"):
            iso3 = name_to_iso3(candidate[:-1])
            if iso3 is not None:
                return iso3, False, True
    return None, False, False


def _parse_value(text: str) -> tuple[float | None, bool, str | None]:
    """``(value, estimated, text_if_not_numeric)``; ValueError for unexpected text."""
    clean = text.replace("\u00a0", " ").strip()
    if clean in _NULL_VALUES:
        return None, False, clean or None
    estimated = False
    if clean[:1].lower() == "e" and clean[1:2].isdigit():
        estimated, clean = True, clean[1:]
    try:
        return parse_number(clean), estimated, None
    except ValueError:
        pass
    if _TEXT_VALUES.match(clean):
        return None, False, clean
    raise ValueError(text)


def _read_lenient(path: Path) -> CsvTable | DataError:
    """A salient file read as every reader of it reads it, or the error it raised."""
    try:
        return read_csv_strict(path, lenient_header=True)
    except DataError as exc:
        return exc


def _commodity_names(salient: Mapping[Path, CsvTable | DataError],
                     world: Iterable[Path]) -> dict[tuple[int, str], str]:
    """(edition, code) -> commodity name, from salient files (*salient*: each read once,
    :func:`_read_lenient`) or the world file's metadata."""
    names: dict[tuple[int, str], str] = {}
    for path, table in salient.items():
        if isinstance(table, DataError):
            continue
        if "Commodity" in table.frame.columns:
            found = [c.strip() for c in table.frame["Commodity"] if c.strip()]
            if found:
                names.setdefault(_file_id(path), found[0])
    for path in world:
        key = _file_id(path)
        if key in names:
            continue
        meta = path.with_name(path.name.replace("_world.csv", "_meta.xml"))
        if meta.is_file():
            text = meta.read_text(encoding="utf-8", errors="replace")
            found_title = re.search(r"Mineral Commodity Summaries \d{4} - (.+?) Data Release", text)
            if found_title:
                names[key] = found_title.group(1).strip().title()
    return names


def _read_world(path: Path, commodity: str, warnings: list[str]) -> list[dict[str, object]]:
    edition, code = _file_id(path)
    table = read_csv_strict(path, required=["Country"], lenient_header=True)
    warnings.extend(table.warnings)
    columns = list(table.frame.columns)
    type_col = "Type"
    if "Type" not in columns:
        if len(columns) > 2 and columns[1] == "Country" and _PROD_RE.match(columns[2]) is None:
            type_col = columns[2]
            warnings.append(f"{path.name}: no 'Type' column; using column {type_col!r} as type")
        else:
            raise DataError(path, "missing column", line=1, field="Type")
    prod_cols = [(c, m) for c in columns if (m := _PROD_RE.match(c))]
    if not prod_cols:
        warnings.append(f"{path.name}: no production columns (only capacity/reserves); skipped")
        return []
    notes_col = next((c for c in columns if c.lower() in ("prod_notes", "prod_note")), None)
    rows: list[dict[str, object]] = []
    column_cells = table.columns()
    for i in table.frame.index:
        raw_name = str(column_cells["Country"][i])
        name = clean_name(raw_name)
        if not name:
            continue
        kind = re.sub(r"\s+", " ", str(column_cells[type_col][i]).replace("\u00a0", " ")).strip()
        if not kind:
            kind = "Production"
            if not any("blank Type" in w and path.name in w for w in warnings):
                warnings.append(f"{path.name}: blank Type cells read as 'Production'")
        iso3, aggregate, name_est = resolve_country(name)
        if iso3 is None and not aggregate:
            raise table.error(int(i), "Country", f"unknown country {raw_name.strip()!r}")
        if name_est and name.endswith("e"):
            name = name[:-1]  # the USGS "estimated" marker, kept as is_estimate
        notes = str(column_cells[notes_col][i]).strip() if notes_col else ""
        for col, match in prod_cols:
            try:
                value, value_est, text = _parse_value(str(column_cells[col][i]))
            except ValueError:
                raise table.error(
                    int(i), col, f"{column_cells[col][i]!r} is not a production figure"
                ) from None
            rows.append(
                {
                    "edition": edition,
                    "commodity_code": code,
                    "commodity": commodity,
                    "type": kind if not match["qual"] else f"{kind} ({match['qual'].lower()})",
                    "country_name": name,
                    "iso3": iso3,
                    "is_aggregate": aggregate,
                    "is_world_total": aggregate and name.lower().startswith("world"),
                    "year": int(match["year"]),
                    "production": value,
                    "unit": _UNITS[match["unit"].lower()],
                    "is_estimate": bool(match["est"]) or name_est or value_est,
                    "value_text": text,
                    "notes": notes or None,
                    "source_file": path.name,
                    "line": table.line(int(i)),
                    "column": col,
                }
            )
    return rows


_PRODUCTION_COLUMNS = [
    "edition",
    "commodity_code",
    "commodity",
    "type",
    "country_name",
    "iso3",
    "is_aggregate",
    "is_world_total",
    "year",
    "production",
    "unit",
    "is_estimate",
    "value_text",
    "notes",
    "source_file",
    "line",
]


def world_shares(production: pd.DataFrame) -> pd.DataFrame:
    """Each economy's share of world production per (edition, commodity, type, year).

    share = production / world total, where the world total is the file's "World total"
    row when it has a value, else the sum of all rows (countries and "Other countries").
    Rows of one economy (e.g. "Brazil (beneficiated)" and "Brazil (crude)") are summed.
    """
    keys = ["edition", "commodity_code", "commodity", "type", "year"]
    cols = [
        *keys,
        "iso3",
        "production",
        "world_production",
        "share",
        "denominator",
        "unit",
        "is_estimate",
    ]
    countries = production[production["iso3"].notna()]
    if not len(countries):
        return pd.DataFrame(columns=cols)
    world = (
        production[production["is_world_total"] & production["production"].notna()]
        .groupby(keys)["production"]
        .first()
        .rename("world_total")
    )
    summed = (
        production[~production["is_world_total"]]
        .groupby(keys)["production"]
        .sum(min_count=1)
        .rename("row_sum")
    )
    by = countries.groupby([*keys, "iso3"], sort=True)
    out = pd.concat(
        [
            by["production"].sum(min_count=1),
            by["unit"].first(),
            by["is_estimate"].any(),
        ],
        axis=1,
    ).reset_index()
    out = out.join(world, on=keys).join(summed, on=keys)
    has_world = out["world_total"].notna()
    out["world_production"] = out["world_total"].where(has_world, out["row_sum"])
    out["denominator"] = has_world.map({True: "world_total", False: "sum"})
    valid = out["world_production"] > 0
    out["share"] = (out["production"] / out["world_production"]).where(valid)
    return out[cols].reset_index(drop=True)


def _pick_field(columns: list[str], prefix: str) -> str | None:
    """The salient column for a quantity: plain ``<prefix>_<unit>``, else a total, else first."""
    cands = [c for c in columns if c.lower().startswith(prefix.lower())]
    if not cands:
        return None
    plain = [c for c in cands if re.fullmatch(rf"{prefix}_[A-Za-z]{{1,4}}", c, re.IGNORECASE)]
    if plain:
        return plain[0]
    total = [c for c in cands if re.search(r"total|all", c, re.IGNORECASE)]
    return (total or cands)[0]


def _parse_salient(text: str) -> tuple[float | None, str | None]:
    """Number with any leading ``>``/``<`` removed (the qualifier goes in the text)."""
    clean = text.replace("\u00a0", " ").replace("%", "").strip()
    if clean in _NULL_VALUES:
        return None, clean or None
    qual = clean[:1] if clean[:1] in "<>" else ""
    try:
        value = parse_number(clean[1:] if qual else clean)
    except ValueError:
        return None, clean
    return value, (text.strip() if qual else None)


def _read_salient(
    path: Path, warnings: list[str], table: CsvTable | DataError
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Wide and long rows of salient file *path*, read once by :func:`_read_lenient`
    (*table*; its error is raised here)."""
    edition, code = _file_id(path)
    if isinstance(table, DataError):
        raise table
    warnings.extend(table.warnings)
    columns = list(table.frame.columns)
    if "Year" not in columns or "Commodity" not in columns:
        warnings.append(f"{path.name}: no Year/Commodity columns (not a salient table); skipped")
        return [], []
    value_cols = [c for c in columns if c not in ("DataSource", "Source", "Commodity", "Year")]
    nir_candidates = [c for c in value_cols if c.upper().startswith("NIR")]
    nir_col = (
        next((c for c in nir_candidates if c == "NIR_pct"), None)
        or next((c for c in nir_candidates if re.search("all|total", c, re.IGNORECASE)), None)
        or (nir_candidates[-1] if nir_candidates else None)
    )
    picks = {
        q: _pick_field(value_cols, p)
        for q, p in (("imports", "Imports"), ("exports", "Exports"), ("consumption", "Consump"))
    }
    wide: list[dict[str, object]] = []
    long: list[dict[str, object]] = []
    column_cells = table.columns()
    for i in table.frame.index:
        year_text = str(column_cells["Year"][i]).strip()
        commodity = str(column_cells["Commodity"][i]).strip()
        if not year_text:
            continue
        if not re.fullmatch(r"\d{4}", year_text):
            raise table.error(int(i), "Year", f"{year_text!r} is not a year")
        year = int(year_text)
        row: dict[str, object] = {
            "edition": edition,
            "commodity_code": code,
            "commodity": commodity,
            "year": year,
        }
        if nir_col:
            raw = str(column_cells[nir_col][i]).strip()
            value, _ = _parse_salient(raw)
            qualifier = raw[:1] if raw[:1] in "<>" else ""
            if raw.upper() == "E":
                value, qualifier = 0.0, "E"
            row.update(
                nir_pct=value,
                nir_qualifier=qualifier or None,
                nir_text=raw or None,
                nir_field=nir_col,
            )
        else:
            row.update(nir_pct=None, nir_qualifier=None, nir_text=None, nir_field=None)
        for quantity, col in picks.items():
            row[quantity] = _parse_salient(str(column_cells[col][i]))[0] if col else None
            row[f"{quantity}_field"] = col
        wide.append(row)
        for col in value_cols:
            raw = str(column_cells[col][i])
            value, text = _parse_salient(raw)
            long.append(
                {
                    "edition": edition,
                    "commodity_code": code,
                    "commodity": commodity,
                    "year": year,
                    "field": col,
                    "value": value,
                    "value_text": text if value is None or text else None,
                    "source_file": path.name,
                    "line": table.line(int(i)),
                }
            )
    return wide, long


def read_world_production(path: Path, warnings: list[str] | None = None,
                          codes: Iterable[str] | None = None) -> pd.DataFrame:
    """World production rows of every MCS edition under *path* (per-commodity files and
    the long MCS 2025 file), with the ``column`` each figure was read from and the file's
    path relative to *path* in ``source_file``; only commodities in *codes* if given.
    Salient files are not read."""
    warn = warnings if warnings is not None else []
    path = Path(path)
    keep = None if codes is None else set(codes)
    world_files, _ = find_files(path)
    rows: list[dict[str, object]] = []
    for file in world_files:
        if keep is not None and _file_id(file)[1] not in keep:
            continue
        part = _read_world(file, _file_id(file)[1], warn)
        rel = file.relative_to(path).as_posix() if path.is_dir() else file.name
        rows.extend({**r, "source_file": rel} for r in part)
    for file in find_long_files(path):
        rel = file.relative_to(path).as_posix() if path.is_dir() else file.name
        rows.extend({**r, "source_file": rel} for r in read_mcs_long(file, warn)
                    if keep is None or r["commodity_code"] in keep)
    frame = pd.DataFrame(rows, columns=[*_PRODUCTION_COLUMNS, "column"])
    _check_duplicates(frame)
    return frame


def read_usgs(path: Path, warnings: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read USGS MCS world and salient files under *path* (folder or single file)."""
    warn = warnings if warnings is not None else []
    world_files, salient_files = find_files(Path(path))
    salient_tables = {file: _read_lenient(file) for file in salient_files}
    names = _commodity_names(salient_tables, world_files)
    prod_rows: list[dict[str, object]] = []
    for file in world_files:
        key = _file_id(file)
        prod_rows.extend(_read_world(file, names.get(key, key[1]), warn))
    for file in find_long_files(Path(path)):
        prod_rows.extend(read_mcs_long(file, warn))
    production = pd.DataFrame(prod_rows, columns=_PRODUCTION_COLUMNS)
    _check_duplicates(production)
    production = production.astype(
        {
            "edition": "Int64",
            "year": "Int64",
            "production": float,
            "line": "Int64",
            "is_aggregate": bool,
            "is_world_total": bool,
            "is_estimate": bool,
        }
    )
    wide: list[dict[str, object]] = []
    long: list[dict[str, object]] = []
    for file in salient_files:
        w, lg = _read_salient(file, warn, salient_tables[file])
        wide.extend(w)
        long.extend(lg)
    salient = pd.DataFrame(
        wide,
        columns=[
            "edition",
            "commodity_code",
            "commodity",
            "year",
            "nir_pct",
            "nir_qualifier",
            "nir_text",
            "nir_field",
            "imports",
            "imports_field",
            "exports",
            "exports_field",
            "consumption",
            "consumption_field",
        ],
    )
    salient_long = pd.DataFrame(
        long,
        columns=[
            "edition",
            "commodity_code",
            "commodity",
            "year",
            "field",
            "value",
            "value_text",
            "source_file",
            "line",
        ],
    )
    for frame, float_cols in (
        (salient, ["nir_pct", "imports", "exports", "consumption"]),
        (salient_long, ["value"]),
    ):
        for col in float_cols:
            frame[col] = frame[col].astype(float)
        frame["edition"] = frame["edition"].astype("Int64")
        frame["year"] = frame["year"].astype("Int64")
    shares = world_shares(production)
    if len(shares):
        shares["edition"] = shares["edition"].astype("Int64")
        shares["year"] = shares["year"].astype("Int64")
    return {
        "world_production": production,
        "world_shares": shares,
        "us_salient": salient,
        "us_salient_long": salient_long,
    }


def _check_duplicates(production: pd.DataFrame) -> None:
    keys = ["edition", "commodity_code", "type", "country_name", "year"]
    dup = production.duplicated(keys, keep="first")
    if dup.any():
        row = production[dup].iloc[0]
        raise DataError(
            str(row["source_file"]),
            f"duplicate row for {row['country_name']!r}, {row['type']!r}, {row['year']} in "
            f"MCS {row['edition']} {row['commodity_code']} (the same file given twice?)",
            line=int(row["line"]),
            field="Country",
        )


def import_usgs(path: Path, store: Store) -> ImportReport:
    """Read and validate USGS MCS files at *path*, then replace dataset ``usgs``."""
    path = Path(path)
    warnings: list[str] = []
    tables = read_usgs(path, warnings)
    world_files, salient_files = find_files(path)
    counts = store.replace_dataset(
        DATASET,
        tables,
        source_file=path,
        licence=LICENCE,
        note=SOURCE,
        files=None if path.is_file() else [*world_files, *salient_files,
                                           *find_long_files(path)],
    )
    return ImportReport(DATASET, counts, path, LICENCE, warnings)
