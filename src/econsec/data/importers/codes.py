"""Importers for country-code and HS-code lists.

Why: econsec's built-in code tables (:mod:`econsec.data.codes`, :mod:`econsec.data.hs`)
cover the joins it needs, but analysts also want the full reference lists in the store —
regions, UN names, CEPII's BACI dictionary, HS descriptions — to join their own queries.

* :func:`import_countries`: datahub ``country-codes.csv`` (ISO 3166 + UN M49 + regions,
  ODC-PDDL) -> dataset ``countries``, table ``countries``; or CEPII BACI
  ``country_codes_V*.csv`` -> dataset ``baci_codes``, table ``countries`` with econsec's
  ISO3 mapping next to CEPII's own (Taiwan = 490 -> TWN).
* :func:`import_hs`: datahub ``harmonized-system.csv`` -> dataset ``hs``, table
  ``nomenclature``; CEPII ``product_codes_HS22_V*.csv`` -> dataset ``hs_baci``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from econsec.data.codes import baci_to_iso3, country_table
from econsec.data.hs import read_hs_nomenclature
from econsec.data.importers import ImportReport
from econsec.data.importers.csvread import CsvTable, cells, read_csv_strict, to_int
from econsec.data.store import Store
from econsec.errors import DataError

DATAHUB_LICENCE = "ODC-PDDL-1.0 (datahub.io core dataset; ISO alpha-2 codes: see ISO terms)"
CEPII_LICENCE = "CEPII BACI terms (Licence Ouverte 2.0 per CEPII; verify before redistribution)"

_DATAHUB = {
    "ISO3166-1-Alpha-3": "iso3",
    "ISO3166-1-Alpha-2": "iso2",
    "ISO3166-1-numeric": "iso_numeric",
    "M49": "m49",
    "official_name_en": "official_name",
    "CLDR display name": "name",
    "Region Name": "region",
    "Sub-region Name": "sub_region",
    "Intermediate Region Name": "intermediate_region",
    "is_independent": "is_independent",
}
_BACI = ["country_code", "country_name", "country_iso2", "country_iso3"]


def _check_codes(table: CsvTable, column: str, pattern: str, *, allow_blank: bool) -> None:
    regex = re.compile(pattern)
    for i, value in cells(table, column).items():
        if value == "" and allow_blank:
            continue
        if not regex.fullmatch(value):
            raise table.error(int(i), column, f"{value!r} is not a valid code")


def read_countries(path: Path) -> tuple[str, dict[str, pd.DataFrame]]:
    """Read a country-code list; return ``(dataset, tables)`` (format from the header)."""
    path = Path(path)
    probe = read_csv_strict(path)
    if "ISO3166-1-Alpha-3" in probe.header:
        table = read_csv_strict(path, required=list(_DATAHUB), key=["ISO3166-1-Alpha-3"])
        _check_codes(table, "ISO3166-1-Alpha-3", r"[A-Z]{3}", allow_blank=False)
        _check_codes(table, "ISO3166-1-Alpha-2", r"[A-Z]{2}", allow_blank=False)
        frame = pd.DataFrame({new: cells(table, old) for old, new in _DATAHUB.items()})
        frame["iso_numeric"] = to_int(table, "ISO3166-1-numeric")
        frame["m49"] = to_int(table, "M49")
        baci = country_table().set_index("iso3")["baci"]
        frame["baci"] = frame["iso3"].map(baci).astype("Int64")
        return "countries", {"countries": frame.replace({"": None})}
    if set(_BACI) <= set(probe.header):
        table = read_csv_strict(path, required=_BACI, key=["country_code"])
        frame = pd.DataFrame(
            {
                "baci": to_int(table, "country_code"),
                "name": cells(table, "country_name"),
                "iso2": cells(table, "country_iso2").replace("", None),
                "iso3_cepii": cells(table, "country_iso3"),
            }
        )
        frame["iso3"] = baci_to_iso3(frame["baci"])
        return "baci_codes", {"countries": frame}
    raise DataError(
        path,
        "not a country-code list: expected datahub country-codes.csv "
        f"(ISO3166-1-Alpha-3 ...) or CEPII {', '.join(_BACI)}",
        line=1,
    )


def import_countries(path: Path, store: Store) -> ImportReport:
    """Import a country-code list into dataset ``countries`` (or ``baci_codes``)."""
    path = Path(path)
    dataset, tables = read_countries(path)
    licence = DATAHUB_LICENCE if dataset == "countries" else CEPII_LICENCE
    counts = store.replace_dataset(dataset, tables, source_file=path, licence=licence)
    return ImportReport(dataset, counts, path, licence, [])


def read_hs(path: Path) -> tuple[str, dict[str, pd.DataFrame]]:
    """Read an HS code list; return ``(dataset, tables)``."""
    path = Path(path)
    frame = read_hs_nomenclature(path)
    dataset = "hs" if frame["section"].notna().any() else "hs_baci"
    return dataset, {"nomenclature": frame}


def import_hs(path: Path, store: Store) -> ImportReport:
    """Import an HS code list into dataset ``hs`` (datahub) or ``hs_baci`` (CEPII)."""
    path = Path(path)
    dataset, tables = read_hs(path)
    licence = (
        "ODC-PDDL-1.0 (datahub.io; HS nomenclature by the WCO)"
        if dataset == "hs"
        else CEPII_LICENCE
    )
    counts = store.replace_dataset(dataset, tables, source_file=path, licence=licence)
    return ImportReport(dataset, counts, path, licence, [])
