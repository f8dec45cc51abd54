"""Door-to-door transit days of shipments per good (``transit_days.csv``, read by
:mod:`econsec.simulation.transit`) and the regions that tell a regional route from an
interregional one.

One row per good id, or ``default`` for every good without its own row (the default row is
in the file with its own source): ``mode`` (``sea``, ``air`` or ``digital``: descriptive),
``days_regional`` (supplier and buyer economies in the same :data:`REGION`),
``days_interregional`` (different regions, or an economy without a region such as ``ROW``),
``source``, ``year``, ``note``. Domestic flows (supplier and buyer in one economy) take no
transit time. The days are typical figures, not a distribution: the run parameter
``transit_scale`` multiplies them (0, the default, switches transit off). Errors name the
file, line and field (:class:`econsec.errors.DataError`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from econsec.data.tablefile import Column, read_table, records
from econsec.errors import DataError

#: the row every good without its own row takes
DEFAULT = "default"
MODES = ("sea", "air", "digital")
COLUMNS = (Column("good", "id"), Column("mode", "id"), Column("days_regional", "float"),
           Column("days_interregional", "float"), Column("source"), Column("year", "year"),
           Column("note", required=False))

#: Shipping regions of the world's economies: the UN M49 regions and sub-regions, with
#: Eastern and South-eastern Asia together (the intra-Asia shipping lanes) and the Americas
#: split into Northern America (with Mexico and Greenland) and Latin America. ``EUR`` (the
#: EU aggregate) is in Europe; ``ROW`` has no region (every route to or from it is
#: interregional). The grouping is an assumption of this model, not a shipping statistic.
REGION: dict[str, str] = {
    **dict.fromkeys(("CHN", "HKG", "JPN", "KOR", "PRK", "TWN", "MNG", "IDN", "LAO", "MMR",
                     "MYS", "PHL", "SGP", "THA", "VNM"), "east_asia"),
    **dict.fromkeys(("IND", "LKA", "PAK"), "south_asia"),
    **dict.fromkeys(("ARE", "IRN", "ISR", "OMN", "QAT", "SAU", "TUR"), "west_asia"),
    **dict.fromkeys(("KAZ", "KGZ", "TJK"), "central_asia"),
    **dict.fromkeys(("AUT", "BEL", "CHE", "CZE", "DEU", "DNK", "ESP", "EST", "EUR", "FIN",
                     "FRA", "GBR", "HUN", "IRL", "ISL", "ITA", "LUX", "NLD", "NOR", "POL",
                     "PRT", "RUS", "SVK", "SWE", "UKR"), "europe"),
    **dict.fromkeys(("CAN", "MEX", "USA", "GRL"), "north_america"),
    **dict.fromkeys(("ARG", "BOL", "BRA", "CHL", "CUB", "PER"), "latin_america"),
    **dict.fromkeys(("CIV", "COD", "DZA", "GAB", "GHA", "GIN", "MAR", "MDG", "MOZ", "NAM",
                     "RWA", "TZA", "ZAF", "ZMB", "ZWE"), "africa"),
    **dict.fromkeys(("AUS", "NCL", "NZL", "PNG"), "oceania"),
}


@dataclass(frozen=True)
class TransitTime:
    """One good's door-to-door transit days on regional and interregional routes."""

    good: str
    mode: str
    regional: float
    interregional: float
    source: str
    year: int

    def days(self, supplier: str, buyer: str) -> float:
        """Days from *supplier* to *buyer* (economy codes): 0 within one economy, else
        regional where both have the same :data:`REGION`, else interregional."""
        if supplier == buyer:
            return 0.0
        region = REGION.get(supplier)
        if region is not None and region == REGION.get(buyer):
            return self.regional
        return self.interregional


def read_transit_days(path: Path) -> dict[str, TransitTime]:
    """The rows of *path* by good (``default`` included), checked: a known mode, days finite
    and non-negative, a ``default`` row."""
    frame = read_table(path, COLUMNS, key=("good",))
    out: dict[str, TransitTime] = {}
    for r in records(frame):
        line = int(r._line)
        if r.mode not in MODES:
            raise DataError(path, f"mode '{r.mode}' is not one of {', '.join(MODES)}",
                            line=line, field="mode")
        for name in ("days_regional", "days_interregional"):
            v = getattr(r, name)
            if not 0.0 <= v < float("inf"):
                raise DataError(path, f"{v} is not a finite number of days >= 0", line=line,
                                field=name)
        out[r.good] = TransitTime(r.good, str(r.mode), float(r.days_regional),
                                  float(r.days_interregional), str(r.source), int(r.year))
    if DEFAULT not in out:
        raise DataError(path, f"no '{DEFAULT}' row (the days of goods without their own row)",
                        line=1, field="good")
    return out


@functools.cache
def transit_days() -> dict[str, TransitTime]:
    """The built-in table (read once)."""
    with resources.as_file(resources.files("econsec.data").joinpath(
            "transit_days.csv")) as path:
        return read_transit_days(Path(path))
