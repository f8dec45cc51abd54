"""Short-run price elasticities and price adjustment times per good
(``price_elasticities.csv``, read by :mod:`econsec.simulation.prices`).

One row per good id, or ``default`` for every good without its own row (the default row is
in the file with its own source, so no good takes an unsourced value): ``elasticity_demand``
``eps_d >= 0`` (demand destruction and substitution in use, ``D ~ P^-eps_d``),
``elasticity_supply`` ``eps_s >= 0`` (idle capacity and stock release, ``S ~ P^eps_s``;
``eps_d + eps_s > 0``), ``adjustment_days`` ``tau > 0`` (time constant of the price's
partial adjustment), ``basis`` of the elasticities and ``adjustment_basis`` of the
adjustment time (:data:`BASES`: ``estimated`` for the good itself, ``transferred`` from
another market's estimate, ``assumption``), ``source``, ``year``, ``note``. No value is
fitted to a replay outcome (a fitted value would be a calibration and need its outcomes
named). Errors name the file, line and field (:class:`econsec.errors.DataError`).
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
#: the bases a value may have: estimated for the good, transferred from another market's
#: estimate, or an assumption
BASES = ("estimated", "transferred", "assumption")
COLUMNS = (Column("good", "id"), Column("elasticity_demand", "float"),
           Column("elasticity_supply", "float"), Column("adjustment_days", "float"),
           Column("basis"), Column("adjustment_basis"), Column("source"),
           Column("year", "year"), Column("note", required=False))


@dataclass(frozen=True)
class PriceElasticity:
    """One good's short-run elasticities (``eps_d``, ``eps_s``) and adjustment time (days)."""

    good: str
    demand: float
    supply: float
    adjustment_days: float
    source: str
    year: int
    basis: str = "assumption"
    adjustment_basis: str = "assumption"


def read_price_elasticities(path: Path) -> dict[str, PriceElasticity]:
    """The rows of *path* by good (``default`` included), checked: elasticities finite and
    non-negative with a positive sum, adjustment days positive, bases among :data:`BASES`,
    a ``default`` row."""
    frame = read_table(path, COLUMNS, key=("good",))
    out: dict[str, PriceElasticity] = {}
    for r in records(frame):
        line = int(r._line)
        for name in ("elasticity_demand", "elasticity_supply"):
            v = getattr(r, name)
            if not 0.0 <= v < float("inf"):
                raise DataError(path, f"{v} is not a finite elasticity >= 0", line=line,
                                field=name)
        if r.elasticity_demand + r.elasticity_supply <= 0.0:
            raise DataError(path, "elasticity_demand + elasticity_supply must be positive (the "
                            "price moves by excess demand / their sum)", line=line,
                            field="elasticity_supply")
        if not 0.0 < r.adjustment_days < float("inf"):
            raise DataError(path, f"{r.adjustment_days} is not a positive number of days",
                            line=line, field="adjustment_days")
        for name in ("basis", "adjustment_basis"):
            if getattr(r, name) not in BASES:
                raise DataError(path, f"'{getattr(r, name)}' is not a basis "
                                f"({', '.join(BASES)})", line=line, field=name)
        out[r.good] = PriceElasticity(r.good, float(r.elasticity_demand),
                                      float(r.elasticity_supply), float(r.adjustment_days),
                                      str(r.source), int(r.year), str(r.basis),
                                      str(r.adjustment_basis))
    if DEFAULT not in out:
        raise DataError(path, f"no '{DEFAULT}' row (the values of goods without their own row)",
                        line=1, field="good")
    return out


@functools.cache
def price_elasticities() -> dict[str, PriceElasticity]:
    """The built-in table (read once)."""
    with resources.as_file(resources.files("econsec.data").joinpath(
            "price_elasticities.csv")) as path:
        return read_price_elasticities(Path(path))
