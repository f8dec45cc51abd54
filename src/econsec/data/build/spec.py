"""What the world build derives, and from which files: the curated derivation tables.

``curated/derive_usgs.csv`` maps a good to USGS MCS commodities (the five-letter code of
the per-commodity files of MCS 2022-2024 and the name code of the long MCS 2025 file,
see :func:`econsec.data.importers.usgs.long_commodity_code`), a regular expression the
production ``type`` must match, the ``basis`` written to ``world_shares.csv`` and a note.

``curated/observed_after.csv`` (``good, first_year, measure, note``) marks the derived
import shares of a good from a year on as observed after a measure (post-shock).

``curated/derive_trade.csv`` maps a good to the HS6 codes whose import shares stand for
it, the ``basis`` (which names the HS caveat in a few words) and the caveat itself, which
goes into every derived row's note (e.g. HS 811292 mixes gallium, germanium and hafnium).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from econsec.data.tablefile import Column, read_table, records
from econsec.errors import DataError

USGS_COLUMNS = (
    Column("good", "id"),
    Column("commodity_codes"),
    Column("type_pattern"),
    Column("basis"),
    Column("note", required=False),
)
OBSERVED_COLUMNS = (
    Column("good", "id"),
    Column("first_year", "year"),
    Column("measure", "id"),
    Column("note", required=False),
)

TRADE_COLUMNS = (
    Column("good", "id"),
    Column("hs6"),
    Column("basis"),
    Column("caveat"),
)


@dataclass(frozen=True)
class ObservedAfter:
    """Derived import shares of *good* from *first_year* on follow *measure*."""

    good: str
    first_year: int
    measure: str


def read_observed_after(path: Path, goods: set[str]) -> list[ObservedAfter]:
    """``curated/observed_after.csv``: which derived import shares are post-shock (the
    measure ids are checked when the built world is loaded)."""
    out = []
    for row in records(read_table(path, OBSERVED_COLUMNS, key=("good", "measure"))):
        if row.good not in goods:
            raise DataError(path, f"unknown good id '{row.good}'", line=row._line, field="good")
        out.append(ObservedAfter(row.good, int(row.first_year), row.measure))
    return out


@dataclass(frozen=True)
class UsgsRule:
    """One good's USGS MCS derivation."""

    good: str
    codes: tuple[str, ...]
    type_pattern: re.Pattern[str]
    basis: str
    note: str


@dataclass(frozen=True)
class TradeRule:
    """One (good, HS6 code) import-share derivation."""

    good: str
    hs6: str
    basis: str
    caveat: str
    rank: int = 0  # position in the table: for one key, the first-listed code is used


def read_usgs_rules(path: Path, goods: set[str]) -> list[UsgsRule]:
    """The USGS derivation table; DataError (file, line, field) on an unknown good or a
    bad regular expression."""
    out = []
    for row in records(read_table(path, USGS_COLUMNS, key=("good",))):
        if row.good not in goods:
            raise DataError(path, f"unknown good id '{row.good}'", line=row._line, field="good")
        try:
            pattern = re.compile(row.type_pattern, re.IGNORECASE)
        except re.error as exc:
            raise DataError(path, f"bad regular expression: {exc}", line=row._line,
                            field="type_pattern") from None
        codes = tuple(c.strip() for c in row.commodity_codes.split(";") if c.strip())
        out.append(UsgsRule(row.good, codes, pattern, row.basis, row.note or ""))
    return out


def read_trade_rules(path: Path, goods_hs6: dict[str, tuple[str, ...]]) -> list[TradeRule]:
    """The trade derivation table; each code must be one of the good's ``hs6`` codes in
    ``goods.csv`` (DataError naming file, line and field otherwise)."""
    out: list[TradeRule] = []
    for row in records(read_table(path, TRADE_COLUMNS, key=("good", "hs6"))):
        if row.good not in goods_hs6:
            raise DataError(path, f"unknown good id '{row.good}'", line=row._line, field="good")
        if row.hs6 not in goods_hs6[row.good]:
            raise DataError(path, f"HS code {row.hs6} is not among good '{row.good}''s codes"
                            f" in goods.csv ({';'.join(goods_hs6[row.good]) or 'none'})",
                            line=row._line, field="hs6")
        out.append(TradeRule(row.good, row.hs6, row.basis, row.caveat, len(out)))
    return out
