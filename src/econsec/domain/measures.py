"""Measures (dated policy acts) and investments (dated capacity changes)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class MeasureType(enum.StrEnum):
    """Kinds of policy act in the measures registry."""

    export_control = "export_control"
    licensing = "licensing"
    embargo = "embargo"
    tariff = "tariff"
    subsidy = "subsidy"
    agreement = "agreement"
    stockpile_mandate = "stockpile_mandate"
    coercion = "coercion"
    investment = "investment"

    @property
    def restricts_trade(self) -> bool:
        """True for measures that cut, delay or tax flows."""
        return self in _TRADE_RESTRICTING


class MeasureFamily(enum.StrEnum):
    """Families of measure types: ``export_control`` covers every act that stops or holds
    back exports (outright controls and bans, licensing requirements, embargoes); every
    other family holds the one type of its name."""

    export_control = "export_control"
    tariff = "tariff"
    subsidy = "subsidy"
    agreement = "agreement"
    stockpile_mandate = "stockpile_mandate"
    coercion = "coercion"
    investment = "investment"


#: Types of each family (a type is in exactly one family).
FAMILY_TYPES: dict[MeasureFamily, frozenset[MeasureType]] = {
    MeasureFamily.export_control: frozenset(
        {MeasureType.export_control, MeasureType.licensing, MeasureType.embargo}
    ),
    **{
        MeasureFamily(t.value): frozenset({t})
        for t in MeasureType
        if t.value in MeasureFamily.__members__ and t is not MeasureType.export_control
    },
}


def family_of(kind: MeasureType) -> MeasureFamily:
    """The family of measure type *kind* (``licensing`` -> ``export_control``)."""
    for family, kinds in FAMILY_TYPES.items():
        if kind in kinds:
            return family
    raise KeyError(f"measure type {kind.value!r} has no family")


def types_matching(query: str) -> frozenset[MeasureType]:
    """Measure types a ``--type`` query selects: a family name selects all its types
    (``export_control`` -> export_control, licensing, embargo), a type name itself.

    Raises ValueError naming the valid choices for anything else.
    """
    text = query.strip().lower()
    if text in MeasureFamily.__members__:
        return FAMILY_TYPES[MeasureFamily(text)]
    if text in MeasureType.__members__:
        return frozenset({MeasureType(text)})
    choices = sorted(set(MeasureFamily.__members__) | set(MeasureType.__members__))
    raise ValueError(f"unknown measure type or family {query!r} (one of {', '.join(choices)})")


_TRADE_RESTRICTING = frozenset(
    {
        MeasureType.export_control,
        MeasureType.licensing,
        MeasureType.embargo,
        MeasureType.tariff,
        MeasureType.coercion,
    }
)


@dataclass(frozen=True)
class Measure:
    """A dated policy act with imposer, targets, goods, dates, intensity and source."""

    id: str
    name: str
    type: MeasureType
    imposer: str
    targets: tuple[str, ...]
    goods: tuple[str, ...]
    announced: dt.date
    effective: dt.date | None
    lifted: dt.date | None
    intensity: float
    source: str
    year: int
    description: str = ""
    licence_delay_days: float | None = None
    amount_usd_bn: float | None = None

    @property
    def family(self) -> MeasureFamily:
        """The family of this measure's type (licensing, embargo -> export_control)."""
        return family_of(self.type)

    def active_on(self, day: dt.date) -> bool:
        """In force on *day*: effective (or announced) <= day < lifted."""
        start = self.effective or self.announced
        return start <= day and (self.lifted is None or day < self.lifted)

    def targets_economy(self, economy: str) -> bool:
        """True when *economy* is among the targets (``ALL`` targets everyone but the imposer)."""
        if "ALL" in self.targets:
            return economy != self.imposer
        return economy in self.targets


@dataclass(frozen=True)
class Investment:
    """A dated capacity change (a fab, refinery, mine or plant)."""

    id: str
    name: str
    firm: str
    economy: str
    good: str
    capacity_share: float | None
    capacity_note: str
    amount_usd_bn: float | None
    announced: dt.date
    operational: dt.date | None
    status: str
    source: str
    year: int
