"""Importer for Global Trade Alert (GTA) intervention exports.

Why: GTA documents dated trade-policy acts with implementer, targets, HS6 products and
dates; econsec turns them into its ``Measure`` registry (export controls on chips and
chip tools since 2019 for the bundled semiconductor thread).

Source: Global Trade Alert, St Gallen Endowment for Prosperity through Trade,
https://globaltradealert.org (thread "Export controls on semiconductors").  Licence as
stated by the host repository: CC BY 4.0 with attribution "Global Trade Alert" (verify
GTA's terms before redistribution).

Table written (dataset ``gta``): ``measures`` with columns matching
:class:`econsec.domain.measures.Measure`: ``id`` (``gta_<intervention id>``), ``name``
(state-act title), ``type`` (see :data:`TYPE_MAP`), ``imposer``, ``targets``, ``hs6``,
``announced``, ``effective``, ``lifted`` (dates), ``in_force``, ``evaluation``
(Red/Amber/Green), ``url``, ``source``, ``year`` (year announced), plus ``gta_type``,
``state_act_id``, ``implementation_level``, ``eligible_firm``, ``cpc_sectors``.

**Lists are stored as ';'-joined strings** (``imposer``, ``targets``, ``hs6``,
``cpc_sectors``): ISO3 codes or HS6 codes in file order without duplicates, e.g.
``"AUT;BEL;BGR"``.  They survive CSV/Excel export unchanged; split them with
:func:`split_list`.  ``imposer`` lists every implementing jurisdiction (27 ISO3 codes for
an EU act; ``implementation_level`` is then ``Supranational``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from econsec.data.codes import name_to_iso3
from econsec.data.hs import normalize_hs6
from econsec.data.importers import ImportReport
from econsec.data.importers.csvread import CsvTable, read_csv_strict, to_date
from econsec.data.store import Store
from econsec.errors import DataError

DATASET = "gta"
LICENCE = "CC BY 4.0 (as stated by the host repository; attribute 'Global Trade Alert')"
SOURCE = "Global Trade Alert"

#: GTA intervention type -> econsec MeasureType value.  Export bans on listed goods are
#: export controls (an ``embargo`` is an across-the-board ban, GTA's "Import ban" or
#: trade-wide sanctions); licensing requirements are ``licensing``; the residual
#: "Export-related non-tariff measure, nes" are export controls.  Subsidy, tariff,
#: investment and other types are mapped for fuller GTA extracts.
TYPE_MAP: dict[str, str] = {
    "export ban": "export_control",
    "export licensing requirement": "licensing",
    "export-related non-tariff measure, nes": "export_control",
    "export quota": "export_control",
    "export tax": "tariff",
    "export tariff quota": "tariff",
    "import ban": "embargo",
    "import tariff": "tariff",
    "import tariff quota": "tariff",
    "import licensing requirement": "licensing",
    "trade finance": "subsidy",
    "export subsidy": "subsidy",
    "financial grant": "subsidy",
    "state loan": "subsidy",
    "loan guarantee": "subsidy",
    "tax or social insurance relief": "subsidy",
    "production subsidy": "subsidy",
    "state aid, nes": "subsidy",
    "fdi: entry and ownership rule": "investment",
    "fdi: treatment and operations, nes": "investment",
    "capital injection and equity stakes (including bailouts)": "investment",
    "instrument unclear": "coercion",
}

COLUMNS = [
    "Intervention ID",
    "Intervention URL",
    "State Act ID",
    "State Act Title",
    "GTA Evaluation",
    "Implementing Jurisdictions",
    "Implementation Level",
    "Eligible Firm",
    "Intervention Type",
    "Affected Sectors",
    "Affected Products",
    "Affected Jurisdictions",
    "Date Announced",
    "Date Implemented",
    "Date Removed",
    "Is In Force",
]


def split_list(value: str | None) -> list[str]:
    """``'USA;JPN'`` -> ``['USA', 'JPN']``; empty or None -> ``[]``."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return []
    return str(value).split(";")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _countries(table: CsvTable, row: int, column: str) -> list[str]:
    raw = str(table.frame.at[row, column])
    out: list[str] = []
    for part in raw.split(","):
        name = part.strip()
        if not name:
            continue
        iso3 = name_to_iso3(name)
        if iso3 is None:
            raise table.error(row, column, f"unknown country {name!r}")
        out.append(iso3)
    return _unique(out)


def read_gta(path: Path) -> dict[str, pd.DataFrame]:
    """Read and validate a GTA ``interventions.csv`` export into the ``measures`` table."""
    path = Path(path)
    table = read_csv_strict(path, required=COLUMNS, key=["Intervention ID"])
    announced = to_date(table, "Date Announced")
    implemented = to_date(table, "Date Implemented")
    removed = to_date(table, "Date Removed")
    rows: list[dict[str, object]] = []
    for i in table.frame.index:
        row = int(i)
        get = table.frame.loc[i]
        ident = str(get["Intervention ID"]).strip()
        if not ident.isdigit():
            raise table.error(row, "Intervention ID", f"{ident!r} is not a GTA intervention id")
        gta_type = str(get["Intervention Type"]).strip()
        mtype = TYPE_MAP.get(gta_type.lower())
        if mtype is None:
            raise table.error(
                row, "Intervention Type", f"GTA type {gta_type!r} has no econsec measure type"
            )
        evaluation = str(get["GTA Evaluation"]).strip()
        if evaluation not in ("Red", "Amber", "Green"):
            raise table.error(row, "GTA Evaluation", f"{evaluation!r} is not Red, Amber or Green")
        in_force_text = str(get["Is In Force"]).strip()
        if in_force_text not in ("0", "1"):
            raise table.error(row, "Is In Force", f"{in_force_text!r} is not 0 or 1")
        if announced.at[i] is None:
            raise table.error(row, "Date Announced", "empty, but a date is required")
        lifted = removed.at[i]
        effective = implemented.at[i]
        if lifted is not None and effective is not None and lifted < effective:
            raise table.error(
                row, "Date Removed", f"removed {lifted} before implemented {effective}"
            )
        hs6: list[str] = []
        for part in str(get["Affected Products"]).split(","):
            if part.strip():
                try:
                    hs6.append(normalize_hs6(part.strip()))
                except ValueError as exc:
                    raise table.error(row, "Affected Products", str(exc)) from None
        imposer = _countries(table, row, "Implementing Jurisdictions")
        if not imposer:
            raise table.error(row, "Implementing Jurisdictions", "no implementing jurisdiction")
        sectors = [s.strip() for s in str(get["Affected Sectors"]).split(",") if s.strip()]
        rows.append(
            {
                "id": f"gta_{ident}",
                "name": str(get["State Act Title"]).strip(),
                "type": mtype,
                "imposer": ";".join(imposer),
                "targets": ";".join(_countries(table, row, "Affected Jurisdictions")),
                "hs6": ";".join(_unique(hs6)),
                "announced": announced.at[i],
                "effective": effective,
                "lifted": lifted,
                "in_force": in_force_text == "1",
                "evaluation": evaluation,
                "url": str(get["Intervention URL"]).strip(),
                "source": SOURCE,
                "year": announced.at[i].year,
                "gta_type": gta_type,
                "state_act_id": str(get["State Act ID"]).strip(),
                "implementation_level": str(get["Implementation Level"]).strip(),
                "eligible_firm": str(get["Eligible Firm"]).strip(),
                "cpc_sectors": ";".join(_unique(sectors)),
            }
        )
    if not rows:
        raise DataError(path, "no interventions in file", line=2)
    measures = pd.DataFrame(rows)
    measures["year"] = measures["year"].astype("Int64")
    measures["in_force"] = measures["in_force"].astype(bool)
    return {"measures": measures}


def import_gta(path: Path, store: Store) -> ImportReport:
    """Read and validate a GTA export at *path*, then replace dataset ``gta`` in *store*."""
    path = Path(path)
    tables = read_gta(path)
    counts = store.replace_dataset(DATASET, tables, source_file=path, licence=LICENCE, note=SOURCE)
    warnings = [
        "GTA licence is as stated by the host repository (CC BY 4.0); verify GTA's "
        "terms before redistributing"
    ]
    return ImportReport(DATASET, counts, path, LICENCE, warnings)


__all__ = ["TYPE_MAP", "import_gta", "read_gta", "split_list"]
