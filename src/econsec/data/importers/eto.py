"""Importer for the ETO Advanced Semiconductor Supply Chain Dataset (CSET / ETO).

Why: ETO is the most detailed open map of who supplies what in advanced-logic chip
making (126 inputs: tools, materials, processes; 403 providers; 1,300 market shares).
It feeds econsec's supply graph and provision shares.

Source: Emerging Technology Observatory, "Advanced Semiconductor Supply Chain Dataset",
https://eto.tech/dataset-docs/chipexplorer/ (files from github.com/georgetown-cset/
eto-chip-explorer, ``data/``).  Licence: **CC BY-NC 4.0** — non-commercial use with
attribution; econsec never bundles it and warns on import that it must not be
redistributed.  Point the importer at the user's own copy of the folder.

Tables written (dataset ``eto``):

* ``goods``: inputs.csv (+ the three stages S1-S3 as goods of type ``stage``):
  ``input_id, name, type, stage, stage_id, description, market_size_text, year, caption,
  source``.
* ``edges``: sequence.csv rows with ``goes_into_id``: ``input_id -> goes_into_id``.
* ``taxonomy``: sequence.csv rows with ``is_type_of_id``: ``input_id is_type_of parent_id``.
* ``country_shares``: provision rows of country providers: ``good_id, good_name, economy,
  provider_name, provider_id, share`` (FRACTION 0-1 from the percent), ``share_pct``,
  ``share_missing`` (True where the file leaves the share blank = provider known but
  unquantified), ``year, source``.  ``economy`` is ISO3; ETO's ``EUR`` (Europe) is kept as
  ``EUR`` and ``Various countries`` becomes ``ROW``; the original name stays in
  ``provider_name``.
* ``firm_shares``: provision rows of organisations: ``firm, provider_id, hq_country, good_id,
  good_name, share, share_pct, share_missing, year, source``.

Provision rows with no source (127 in the 2026 snapshot, from the 2019 report and 2022
updates) are attributed to the dataset itself and counted in the report's warnings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from econsec.data.codes import name_to_iso3
from econsec.data.importers import ImportReport
from econsec.data.importers.csvread import (
    CsvTable,
    cells,
    check_unique,
    read_csv_strict,
    to_float,
    to_int,
)
from econsec.data.store import Store
from econsec.errors import DataError

DATASET = "eto"
LICENCE = "CC BY-NC 4.0"
CITATION = "Emerging Technology Observatory, Advanced Semiconductor Supply Chain Dataset (CSET)"
REDISTRIBUTION_WARNING = (
    "ETO data are licensed CC BY-NC 4.0: non-commercial use only, with attribution "
    f"('{CITATION}'). Do not redistribute the imported tables or the store file."
)
FILES = ("inputs.csv", "providers.csv", "provision.csv", "sequence.csv", "stages.csv")

#: ETO provider names that are not ISO3 codes, and the economy code econsec uses.
SPECIAL_ECONOMIES: dict[str, str] = {
    "EUR": "EUR",  # "Europe": ETO's aggregate of European providers
    "Various countries": "ROW",
    "Various": "ROW",
}


def _economy(table: CsvTable, row: int, column: str, name: str) -> str:
    """ISO3 (or EUR/ROW) of an ETO country provider name; DataError if unknown."""
    if name in SPECIAL_ECONOMIES:
        return SPECIAL_ECONOMIES[name]
    iso3 = name_to_iso3(name)
    if iso3 is None:
        raise table.error(row, column, f"unknown country {name!r}")
    return iso3


def _folder(path: Path) -> Path:
    path = Path(path)
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        raise DataError(path, "ETO folder not found")
    for name in FILES:
        if not (path / name).is_file():
            raise DataError(path / name, "missing ETO file (expected the dataset's data/ folder)")
    return path


def read_eto(path: Path) -> dict[str, pd.DataFrame]:
    """Read and validate the ETO folder *path*; return the five tables (see module doc)."""
    folder = _folder(path)
    inputs = read_csv_strict(
        folder / "inputs.csv",
        required=[
            "input_id",
            "input_name",
            "type",
            "stage_name",
            "stage_id",
            "description",
            "year",
            "market_share_chart_global_market_size_info",
            "market_share_chart_caption",
            "market_share_chart_source",
        ],
        key=["input_id"],
    )
    stages = read_csv_strict(
        folder / "stages.csv",
        required=[
            "stage_id",
            "stage_name",
            "description",
            "market_share_chart_global_market_size_info",
            "market_share_chart_caption",
            "market_share_chart_source",
        ],
        key=["stage_id"],
    )
    providers = read_csv_strict(
        folder / "providers.csv",
        required=["provider_name", "alias", "provider_id", "provider_type", "country"],
        key=["provider_id", "alias"],
    )
    provision = read_csv_strict(
        folder / "provision.csv",
        required=[
            "provider_name",
            "provider_id",
            "provided_name",
            "provided_id",
            "share_provided",
            "year",
            "source",
        ],
        key=["provider_id", "provided_id", "year"],
    )
    sequence = read_csv_strict(
        folder / "sequence.csv",
        required=[
            "input_name",
            "input_id",
            "goes_into_name",
            "goes_into_id",
            "is_type_of_name",
            "is_type_of_id",
        ],
    )

    goods = _goods(inputs, stages)
    names = dict(zip(goods["input_id"], goods["name"], strict=True))
    edges, taxonomy = _graph(sequence, names)
    country_shares, firm_shares = _shares(provision, providers, names)
    return {
        "goods": goods,
        "edges": edges,
        "taxonomy": taxonomy,
        "country_shares": country_shares,
        "firm_shares": firm_shares,
    }


def _goods(inputs: CsvTable, stages: CsvTable) -> pd.DataFrame:
    kinds = {"process", "tool_resource", "material_resource", "design_resource", "ultimate_output"}
    for i, kind in cells(inputs, "type").items():
        if kind not in kinds:
            raise inputs.error(int(i), "type", f"unknown input type {kind!r}")
    year = to_int(inputs, "year")
    for i, y in year.items():
        if not pd.isna(y) and not 1990 <= int(y) <= 2100:
            raise inputs.error(int(i), "year", f"{y} is not a plausible year")
    good_rows = pd.DataFrame(
        {
            "input_id": cells(inputs, "input_id"),
            "name": cells(inputs, "input_name"),
            "type": cells(inputs, "type"),
            "stage": cells(inputs, "stage_name").replace("", None),
            "stage_id": cells(inputs, "stage_id").replace("", None),
            "description": cells(inputs, "description"),
            "market_size_text": cells(inputs, "market_share_chart_global_market_size_info").replace(
                "", None
            ),
            "year": year,
            "caption": cells(inputs, "market_share_chart_caption").replace("", None),
            "source": cells(inputs, "market_share_chart_source").replace("", None),
        }
    )
    for i, gid in good_rows["input_id"].items():
        if not gid.startswith("N"):
            raise inputs.error(int(i), "input_id", f"{gid!r} is not an ETO input id (N...)")
    stage_rows = pd.DataFrame(
        {
            "input_id": cells(stages, "stage_id"),
            "name": cells(stages, "stage_name"),
            "type": "stage",
            "stage": cells(stages, "stage_name"),
            "stage_id": cells(stages, "stage_id"),
            "description": cells(stages, "description"),
            "market_size_text": cells(stages, "market_share_chart_global_market_size_info").replace(
                "", None
            ),
            "year": pd.Series([pd.NA] * len(stages), dtype="Int64", index=stages.frame.index),
            "caption": cells(stages, "market_share_chart_caption").replace("", None),
            "source": cells(stages, "market_share_chart_source").replace("", None),
        }
    )
    out = pd.concat([stage_rows, good_rows], ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    return out


def _graph(sequence: CsvTable, names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    edges: list[dict[str, str]] = []
    taxonomy: list[dict[str, str]] = []
    for i in sequence.frame.index:
        child = sequence.frame.at[i, "input_id"].strip()
        if child not in names:
            raise sequence.error(int(i), "input_id", f"unknown input id {child!r}")
        into = sequence.frame.at[i, "goes_into_id"].strip()
        parent = sequence.frame.at[i, "is_type_of_id"].strip()
        if not into and not parent:
            raise sequence.error(int(i), "goes_into_id", "neither goes_into_id nor is_type_of_id")
        if into:
            if into not in names:
                raise sequence.error(int(i), "goes_into_id", f"unknown input id {into!r}")
            edges.append(
                {
                    "input_id": child,
                    "input_name": names[child],
                    "goes_into_id": into,
                    "goes_into_name": names[into],
                }
            )
        if parent:
            if parent not in names:
                raise sequence.error(int(i), "is_type_of_id", f"unknown input id {parent!r}")
            taxonomy.append(
                {
                    "input_id": child,
                    "input_name": names[child],
                    "is_type_of_id": parent,
                    "is_type_of_name": names[parent],
                }
            )
    edge_frame = pd.DataFrame(
        edges, columns=["input_id", "input_name", "goes_into_id", "goes_into_name"]
    )
    tax_frame = pd.DataFrame(
        taxonomy, columns=["input_id", "input_name", "is_type_of_id", "is_type_of_name"]
    )
    for frame, col, label in (
        (edge_frame, "goes_into_id", "edge"),
        (tax_frame, "is_type_of_id", "taxonomy link"),
    ):
        dup = frame.duplicated(["input_id", col])
        if dup.any():
            pos = int(dup.to_numpy().nonzero()[0][0])
            raise DataError(
                sequence.path,
                f"duplicate {label} {frame.iloc[pos]['input_id']} -> {frame.iloc[pos][col]}",
                field=col,
            )
    return edge_frame, tax_frame


def _providers(providers: CsvTable) -> dict[str, dict[str, str]]:
    """provider_id -> {name, type, country}; alias rows must agree with the first row."""
    out: dict[str, dict[str, str]] = {}
    for i in providers.frame.index:
        pid = providers.frame.at[i, "provider_id"].strip()
        record = {
            "name": providers.frame.at[i, "provider_name"].strip(),
            "type": providers.frame.at[i, "provider_type"].strip(),
            "country": providers.frame.at[i, "country"].strip(),
        }
        if record["type"] not in ("country", "organization"):
            raise providers.error(int(i), "provider_type", f"unknown type {record['type']!r}")
        if record["type"] == "organization":
            if not record["country"]:
                raise providers.error(int(i), "country", "organisation without HQ country")
            record["country"] = _economy(providers, int(i), "country", record["country"])
        else:
            record["country"] = _economy(providers, int(i), "provider_name", record["name"])
        if pid in out:
            first = out[pid]
            if first != record:
                raise providers.error(
                    int(i),
                    "provider_id",
                    f"{pid} repeats with a different name/type/country than before",
                )
            continue
        out[pid] = record
    return out


def _shares(
    provision: CsvTable, providers: CsvTable, names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    prov = _providers(providers)
    pct = to_float(provision, "share_provided", low=0.0, high=100.0)
    year = to_int(provision, "year")
    check_unique(provision, ["provider_id", "provided_id", "year"])
    countries: list[dict[str, object]] = []
    firms: list[dict[str, object]] = []
    for i in provision.frame.index:
        row = int(i)
        pid = provision.frame.at[i, "provider_id"].strip()
        gid = provision.frame.at[i, "provided_id"].strip()
        if pid not in prov:
            raise provision.error(row, "provider_id", f"unknown provider id {pid!r}")
        if gid not in names:
            raise provision.error(row, "provided_id", f"unknown input id {gid!r}")
        y = year.at[i]
        if pd.isna(y) or not 1990 <= int(y) <= 2100:
            raise provision.error(row, "year", f"{provision.frame.at[i, 'year']!r} is not a year")
        source = provision.frame.at[i, "source"].strip() or f"{CITATION} (provision.csv)"
        share_pct = float(pct.at[i])
        missing = share_pct != share_pct
        common = {
            "good_id": gid,
            "good_name": names[gid],
            "share": None if missing else share_pct / 100.0,
            "share_pct": None if missing else share_pct,
            "share_missing": missing,
            "year": int(y),
            "source": source,
            "source_in_file": bool(provision.frame.at[i, "source"].strip()),
        }
        name_in_file = provision.frame.at[i, "provider_name"].strip()
        info = prov[pid]
        if info["type"] == "country":
            economy = _economy(provision, row, "provider_name", name_in_file)
            if economy != info["country"]:
                raise provision.error(
                    row,
                    "provider_name",
                    f"{name_in_file!r} does not match provider {pid} ({info['name']})",
                )
            countries.append(
                {"economy": economy, "provider_name": name_in_file, "provider_id": pid, **common}
            )
        else:
            firms.append(
                {
                    "firm": info["name"],
                    "firm_name_in_file": name_in_file,
                    "provider_id": pid,
                    "hq_country": info["country"],
                    **common,
                }
            )
    country_cols = [
        "good_id",
        "good_name",
        "economy",
        "provider_name",
        "provider_id",
        "share",
        "share_pct",
        "share_missing",
        "year",
        "source",
        "source_in_file",
    ]
    firm_cols = [
        "firm",
        "firm_name_in_file",
        "provider_id",
        "hq_country",
        "good_id",
        "good_name",
        "share",
        "share_pct",
        "share_missing",
        "year",
        "source",
        "source_in_file",
    ]
    country_frame = pd.DataFrame(countries, columns=country_cols)
    firm_frame = pd.DataFrame(firms, columns=firm_cols)
    for frame in (country_frame, firm_frame):
        frame["share"] = frame["share"].astype(float)
        frame["share_pct"] = frame["share_pct"].astype(float)
        frame["year"] = frame["year"].astype("Int64")
        frame["share_missing"] = frame["share_missing"].astype(bool)
        frame["source_in_file"] = frame["source_in_file"].astype(bool)
    return country_frame, firm_frame


def import_eto(path: Path, store: Store) -> ImportReport:
    """Read and validate the ETO folder *path*, then replace dataset ``eto`` in *store*."""
    folder = _folder(path)
    tables = read_eto(folder)
    warnings = [REDISTRIBUTION_WARNING]
    for name in ("country_shares", "firm_shares"):
        frame = tables[name]
        unsourced = int((~frame["source_in_file"]).sum())
        if unsourced:
            warnings.append(
                f"{name}: {unsourced} rows have no source in provision.csv; "
                f"attributed to '{CITATION}'"
            )
        blank = int(frame["share_missing"].sum())
        if blank:
            warnings.append(
                f"{name}: {blank} rows have a blank share (provider known, share "
                "not quantified); kept with share = null, share_missing = true"
            )
    counts = store.replace_dataset(
        DATASET,
        tables,
        source_file=folder,
        licence=LICENCE,
        note=f"{CITATION}; non-commercial use only, do not redistribute",
        files=[folder / f for f in FILES],
    )
    return ImportReport(DATASET, counts, folder, LICENCE, warnings)
