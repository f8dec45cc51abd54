"""Sector exposure from the imported OECD ICIO table: ``source="icio"`` of
:func:`econsec.analysis.exposure` and :func:`econsec.analysis.chokepoints`.

The table is the dataset ``icio`` of the DuckDB store (``econsec data import icio PATH``;
OECD Inter-Country Input-Output Database, 2025 edition, reference year 2022, 80 economies
x 50 ISIC Rev.4 industries, current million USD; see docs/icio.md). The kernels are
:mod:`econsec.metrics.sector_exposure`: with A = Z diag(x)^-1, v = 1 - 1'A and
L = (I - A)^-1 (Leontief 1936; Miller & Blair 2009, eq. 2.4 and 2.11), for a node j
(an economy's sector) and a supplier economy o,

    direct_share[o, j]      = sum_{i in o} A[i, j]            (tier 1)
    lookthrough_share[o, j] = sum_{i in o} v_i L[i, j]         (all tiers; sums to 1 over o)
    requirement[o, j]       = sum_{i in o} (L - I)[i, j]       (all tiers, output needed)

(Baldwin, Freeman & Theodorakopoulos 2022 for face-value vs look-through exposure).

Nothing here falls back to the curated world: no ICIO table in the store is a
:class:`~econsec.errors.StoreError` naming the import command; a year the table lacks,
an unknown economy or an unknown sector is an error naming the valid choices.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from econsec.analysis.names import EmptyAnswerError, add_note
from econsec.domain.names import UnknownNameError, fold, match_choice, suggest
from econsec.errors import StoreError

if TYPE_CHECKING:
    from econsec.data.importers.icio import IcioTable
    from econsec.metrics.sector_exposure import SectorKernel

DATASET = "icio"
IMPORT_COMMAND = "econsec data import icio PATH/TO/oecd_icio2022_sanction_simulator"

#: Units of the columns of the answers (also in ``DataFrame.attrs["units"]``).
UNITS: dict[str, str] = {
    "direct_share": "fraction of the sector's gross output paid directly to the "
                    "supplier's industries (tier 1)",
    "lookthrough_share": "fraction of the sector's gross output resting on the "
                         "supplier's primary inputs, all tiers (sums to 1 over suppliers)",
    "requirement": "million USD of the supplier's output needed per million USD of the "
                   "sector's output, all tiers",
    "gross_output_musd": "million current USD",
}

CAVEAT = ("ICIO without the rest-of-world region: a supplier's look-through share "
          "includes the ROW inputs its industries process")


class IcioNotImported(StoreError):
    """The store (or its ICIO table) is absent; the message names the import command."""


@dataclass(frozen=True)
class IcioData:
    """The imported table as a kernel, with its code lists and provenance."""

    kernel: SectorKernel
    sectors: pd.DataFrame  # code, name
    countries: pd.DataFrame  # code, name
    year: int
    edition: int
    store: str

    @property
    def source(self) -> str:
        return f"OECD ICIO {self.edition} edition, year {self.year}"

    def attrs(self) -> dict[str, object]:
        """Provenance for ``DataFrame.attrs`` (dataset, edition, year, units, citation)."""
        from econsec.data.importers.icio import NOTE

        return {"dataset": DATASET, "source": self.source, "edition": self.edition,
                "year": self.year, "store": self.store, "citation": NOTE,
                "units": dict(UNITS)}


def _data_of(table: IcioTable, countries: pd.DataFrame, sectors: pd.DataFrame,
             store: str) -> IcioData:
    from econsec.metrics.sector_exposure import icio_kernel

    return IcioData(kernel=icio_kernel(table), sectors=sectors, countries=countries,
                    year=table.year, edition=table.edition, store=store)


@functools.lru_cache(maxsize=1)
def _load_cached(path: str, stamp: str) -> IcioData:
    """The kernel of the store at *path*, cached per import (*stamp*: its import time)."""
    from econsec.data.importers.icio import load_icio
    from econsec.data.store import Store

    with Store(Path(path), read_only=True) as store:
        table = load_icio(store)
        countries = store.read(DATASET, "countries")
        sectors = store.read(DATASET, "sectors")
    return _data_of(table, countries, sectors, path)


def load_icio_data(db: Path | None = None) -> IcioData:
    """The ICIO table imported in the store *db* (default store when None).

    StoreError naming ``econsec data import icio PATH`` when the store or the table is
    absent: there is no fallback to the curated world.
    """
    from econsec.data.store import Store

    path = Path(db) if db is not None else Store.default_path()
    missing = (f"source 'icio' needs the OECD ICIO table in the store, and {path} "
               f"{{}}; import it first: `{IMPORT_COMMAND}` (no fallback to curated figures)")
    if not path.exists():
        raise IcioNotImported(missing.format("does not exist"))
    with Store(path, read_only=True) as store:
        if not all(store.has(DATASET, t) for t in ("nodes", "intermediate", "sectors",
                                                      "countries")):
            raise IcioNotImported(missing.format("holds no imported ICIO table"))
        cat = store.list_datasets()
        stamp = ";".join(str(x) for x in cat.loc[cat["dataset"] == DATASET,
                                                 "imported_at"].tolist())
    return _load_cached(str(path.resolve()), stamp)


def icio_data_from_table(table: IcioTable, sectors: pd.DataFrame | None = None,
                         countries: pd.DataFrame | None = None) -> IcioData:
    """An :class:`IcioData` for a table already in memory (notebooks, tests)."""
    if sectors is None:
        sectors = pd.DataFrame({"code": table.sectors, "name": table.sectors})
    if countries is None:
        countries = pd.DataFrame({"code": table.countries, "name": table.countries})
    return _data_of(table, countries, sectors, "memory")


# --- names and year ----------------------------------------------------------------------


def check_year(data: IcioData, year: int | None) -> None:
    """An error naming the table's year when *year* is another one."""
    if year is not None and year != data.year:
        raise EmptyAnswerError(
            f"no rows: year {year}: the imported {data.source} holds year {data.year} only "
            f"(use --year {data.year}, or omit --year)")


def resolve_icio_economy(value: str, data: IcioData, *, kind: str = "economy") -> str:
    """The ICIO code of *value*: a code in any case, the table's name or a common name
    (``Korea``, ``Chinese Taipei``); UnknownNameError with suggestions otherwise."""
    from econsec.data.codes import name_to_iso3

    codes = list(data.kernel.countries)
    where = (f"the {len(codes)} economies of the {data.source} "
             "(`econsec data show icio countries`)")
    text = str(value).strip()
    if text.upper() in codes:
        return text.upper()
    aliases = {fold(str(n)): str(c) for c, n in zip(data.countries["code"],
                                                   data.countries["name"], strict=True)}
    if fold(text) in aliases:
        return aliases[fold(text)]
    iso3 = None if (not text or "\x00" in text) else name_to_iso3(text)
    if iso3 is not None and iso3 not in codes:
        raise UnknownNameError(kind, value, where=where,
                               detail=f"{iso3} is not one of the table's {len(codes)} "
                               "economies")
    if iso3 is not None:
        return iso3
    return match_choice(text, codes, kind=kind, aliases=aliases, where=where)


def resolve_icio_sector(value: str, data: IcioData) -> str:
    """The ICIO industry code of *value* (``C26``, ``c26`` or its name); otherwise
    UnknownNameError with the closest codes, listing every valid code."""
    codes = [str(c) for c in data.sectors["code"]]
    names = dict(zip(codes, data.sectors["name"].astype(str), strict=True))
    aliases = {fold(n): c for c, n in names.items()}
    text = str(value).strip()
    if text in codes:
        return text
    for c in codes:
        if fold(c) == fold(text):
            return c
    if fold(text) in aliases:
        return aliases[fold(text)]
    close = list(dict.fromkeys(aliases.get(fold(c), c) for c in suggest(
        text, [*codes, *names.values()])))
    raise UnknownNameError("ICIO sector", value, close,
                           f"the {len(codes)} ICIO industry codes {', '.join(codes)}")


# --- queries -------------------------------------------------------------------------------


def icio_exposure(
    economy: str,
    *,
    sector: str | None = None,
    tiers: str = "direct",
    year: int | None = None,
    db: Path | None = None,
    data: IcioData | None = None,
) -> pd.DataFrame:
    """Sector exposure of *economy* by supplier economy from the imported ICIO table.

    One row per (sector, supplier) with a non-zero share: ``tiers="direct"`` gives
    ``direct_share`` (tier 1: the supplier's industries' sales to the sector over the
    sector's gross output); ``tiers="all"`` adds ``lookthrough_share`` (the supplier's
    primary inputs through every tier) and ``requirement`` (formulas in the module
    docstring). The supplier's own economy is a row too (domestic inputs). Columns:
    ``economy, sector, sector_name, supplier, direct_share[, lookthrough_share,
    requirement], gross_output_musd, year, source``; units, dataset, edition and year in
    ``attrs`` (:data:`UNITS`). *sector* keeps one ICIO industry (e.g. ``C26``).
    """
    from econsec.metrics.sector_exposure import sector_lookthrough

    d = data if data is not None else load_icio_data(db)
    check_year(d, year)
    code = resolve_icio_economy(economy, d)
    sectors = [resolve_icio_sector(sector, d)] if sector is not None else None
    every = tiers == "all"
    out = sector_lookthrough(d.kernel, code, sectors=sectors, requirement=every,
                             lookthrough=every)
    keep = out["direct_share"] > 0
    if every:
        keep |= out["lookthrough_share"] != 0
    out = out[keep & (out["gross_output"] > 0)].rename(
        columns={"origin": "supplier", "gross_output": "gross_output_musd"})
    if out.empty:
        what = f"sector {sectors[0]}" if sectors else "any sector"
        raise EmptyAnswerError(f"no rows: {code} {what} has no output or no inputs in the "
                               f"{d.source}")
    names = dict(zip(d.sectors["code"].astype(str), d.sectors["name"].astype(str),
                     strict=True))
    out.insert(2, "sector_name", out["sector"].map(names))
    cols = ["economy", "sector", "sector_name", "supplier", "direct_share"]
    if every:
        cols += ["lookthrough_share", "requirement"]
    out = out[[*cols, "gross_output_musd"]].assign(year=d.year, source=d.source)
    out = out.reset_index(drop=True)
    out.attrs.update(d.attrs())
    if every:
        add_note(out, CAVEAT)
    return out


#: Default threshold of :func:`icio_chokepoints` (look-through share on the other side).
ICIO_MIN_SHARE = 0.05


def icio_chokepoints(
    bloc: Sequence[str],
    rival: Sequence[str],
    *,
    bloc_label: str,
    rival_label: str,
    min_share: float = ICIO_MIN_SHARE,
    top: int | None = None,
    db: Path | None = None,
    data: IcioData | None = None,
) -> pd.DataFrame:
    """Sector chokepoints in both directions from the imported ICIO table.

    ``exposure`` rows: the bloc's sectors (each member's ICIO industries) whose output
    rests on the rival's primary inputs, all tiers, by at least *min_share*
    (``lookthrough_share``; ``direct_share`` is the tier-1 share paid to the rival's
    industries); ``leverage`` rows: the rival's sectors resting on the bloc by at least
    *min_share*. See :func:`econsec.metrics.sector_exposure.mutual_sector_dependence`.
    Sorted by look-through share within each direction, *top* rows per direction.
    Columns: ``direction, economy, sector, sector_name, on, direct_share,
    lookthrough_share, gross_output_musd, rank, year, source``.
    """
    from econsec.metrics.sector_exposure import mutual_sector_dependence

    d = data if data is not None else load_icio_data(db)
    have = set(d.kernel.countries)
    for label, members in ((bloc_label, bloc), (rival_label, rival)):
        lacking = sorted(set(members) - have)
        if lacking:
            raise UnknownNameError("economy", ",".join(lacking), where=(
                f"the {len(have)} economies of the {d.source}"),
                detail=f"member of {label} not in the ICIO table")
    frame = mutual_sector_dependence(d.kernel, sorted(bloc), sorted(rival))
    frame.insert(3, "on", [rival_label if x == "exposure" else bloc_label
                           for x in frame["direction"]])
    names = dict(zip(d.sectors["code"].astype(str), d.sectors["name"].astype(str),
                     strict=True))
    frame.insert(3, "sector_name", frame["sector"].map(names))
    frame = frame.rename(columns={"gross_output": "gross_output_musd"})
    best = frame.groupby("direction")["lookthrough_share"].max()
    frame = frame[frame["lookthrough_share"] >= min_share]
    frame = frame.sort_values(["direction", "lookthrough_share"], ascending=[True, False],
                              kind="stable")
    if top is not None:
        frame = frame.groupby("direction", sort=False).head(top)
    frame = frame.reset_index(drop=True)
    frame["rank"] = frame.groupby("direction").cumcount() + 1
    frame = frame.assign(year=d.year, source=d.source)
    frame.attrs.update(d.attrs())
    for direction, user, on in (("exposure", bloc_label, rival_label),
                                ("leverage", rival_label, bloc_label)):
        if not frame["direction"].eq(direction).any():
            add_note(frame, f"no {direction} rows: no sector of {user} rests on {on} by "
                     f"{min_share:g} or more (min_share); the largest look-through share "
                     f"is {best.get(direction, 0.0):.3g}")
    if frame.empty:
        raise EmptyAnswerError(f"no rows: no sector of {bloc_label} or {rival_label} rests "
                               f"on the other side by {min_share:g} or more (min_share) in "
                               f"the {d.source}; the largest shares are "
                               f"{best.get('exposure', 0.0):.3g} and "
                               f"{best.get('leverage', 0.0):.3g}")
    add_note(frame, CAVEAT)
    return frame
