"""Resolving scenario names against a world: economies, blocs, goods (id or HS code), dates.

Every failure is a :class:`~econsec.errors.DataError` naming the scenario file, the line and
the dotted key (via :class:`~econsec.policy.yamlpath.Lines`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.data.yamlfile import as_date
from econsec.domain import BLOCS
from econsec.policy.yamlpath import KeyPath, Lines

if TYPE_CHECKING:
    from econsec.data.world import World


class IcioNames:
    """The names a scenario on the ICIO network (:mod:`econsec.policy.network`) may use (what
    :class:`~econsec.policy.resolve.Resolver` reads from a world): economy codes, industry
    codes as good ids, no HS codes, no registry measures or investments."""

    def __init__(self, countries: list[str], sectors: list[str]) -> None:
        self.economy_codes = list(countries)
        self.good_ids = list(sectors)
        self.goods = pd.DataFrame({"good_id": self.good_ids, "hs6": [""] * len(sectors)})
        self.measures: list[Any] = []
        self.investments: tuple[Any, ...] = ()

    def measure(self, mid: str) -> Any:
        raise KeyError(mid)


class Resolver:
    """Names in one scenario file, checked against one world (or, for a scenario on the
    OECD ICIO network, the table's economies and industries: :class:`IcioNames`)."""

    def __init__(self, world: World | IcioNames, lines: Lines, start: dt.date) -> None:
        self.world = world
        self.lines = lines
        self.start = start
        self._codes = set(world.economy_codes)
        self._goods = set(world.good_ids)
        self._hs: dict[str, list[str]] = {}
        for gid, hs in zip(world.goods["good_id"], world.goods["hs6"], strict=True):
            codes = hs.split(";") if isinstance(hs, str) else hs if isinstance(hs, tuple) else ()
            for code in codes:
                self._hs.setdefault(str(code).strip(), []).append(str(gid))

    # -- lists ---------------------------------------------------------------------------
    def _as_list(self, key: KeyPath, value: Any, what: str) -> list[Any]:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return [value]
        if not isinstance(value, list):
            raise self.lines.error(key, f"expected {what} or a list of them")
        return value

    def economies(self, key: KeyPath, value: Any, *, allow_all: bool = False) -> frozenset[str]:
        """ISO3 codes and bloc names (``TRILATERAL``) -> a set of codes; ``ALL`` -> empty
        set (every economy but the imposers) when *allow_all*."""
        out: set[str] = set()
        for i, item in enumerate(self._as_list(key, value, "an economy code")):
            code = str(item).strip().upper()
            sub = (*key, i) if isinstance(value, list) else key
            if code == "ALL" and allow_all:
                return frozenset()
            if code in BLOCS:
                out |= BLOCS[code].members
            elif code in self._codes:
                out.add(code)
            else:
                close = difflib.get_close_matches(code, sorted(self._codes | set(BLOCS)), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise self.lines.error(sub, f"unknown economy or bloc '{item}'{hint}")
        return frozenset(out)

    def economy(self, key: KeyPath, value: Any) -> str:
        codes = self.economies(key, value)
        if len(codes) != 1 or isinstance(value, list):
            raise self.lines.error(key, f"expected one economy code, got '{value}'")
        return next(iter(codes))

    def goods(self, key: KeyPath, value: Any) -> frozenset[str]:
        """Built-in good ids or HS codes (6 digits, dots allowed: ``2811.11``); an HS code
        stands for every good that lists it."""
        out: set[str] = set()
        for i, item in enumerate(self._as_list(key, value, "a good id or HS code")):
            sub = (*key, i) if isinstance(value, list) else key
            out |= set(self._good(sub, item))
        if not out:
            raise self.lines.error(key, "no goods given")
        return frozenset(out)

    def good(self, key: KeyPath, value: Any) -> str:
        goods = self._good(key, value)
        if len(goods) != 1:
            raise self.lines.error(key, f"HS code '{value}' matches several goods "
                                   f"({', '.join(goods)}): give one good id")
        return goods[0]

    def _good(self, key: KeyPath, item: Any) -> list[str]:
        text = str(item).strip()
        if text in self._goods:
            return [text]
        digits = text.replace(".", "")
        if digits.isdigit():
            if digits in self._hs:
                return sorted(self._hs[digits])
            raise self.lines.error(key, f"no built-in good has HS code '{text}'")
        close = difflib.get_close_matches(text, sorted(self._goods), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise self.lines.error(key, f"unknown good '{text}'{hint}")

    # -- time ----------------------------------------------------------------------------
    def offset(self, key: KeyPath, value: Any) -> int:
        """An ISO date (days after the scenario start) or an int day offset."""
        if isinstance(value, bool):
            raise self.lines.error(key, f"'{value}' is not a date or a day offset")
        if isinstance(value, int):
            return value
        return (parse_date(self.lines, key, value) - self.start).days


def parse_date(lines: Lines, key: KeyPath, value: Any) -> dt.date:
    """An ISO date (YAML may already have parsed it)."""
    try:
        return as_date(value)
    except ValueError:
        raise lines.error(key, f"'{value}' is not an ISO date (YYYY-MM-DD)") from None


def number(lines: Lines, key: KeyPath, value: Any, lo: float | None = None,
           hi: float | None = None) -> float:
    """A finite number within [lo, hi] (YAML's ``.nan`` and ``.inf`` are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise lines.error(key, f"'{value}' is not a number")
    if not math.isfinite(value):
        raise lines.error(key, f"{value} is not a finite number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise lines.error(key, f"{value} is outside [{lo}, {hi}]")
    return float(value)


def check_keys(lines: Lines, key: KeyPath, entry: Any, required: tuple[str, ...],
               optional: tuple[str, ...]) -> dict[str, Any]:
    """*entry* must be a mapping with all *required* keys and no others."""
    if not isinstance(entry, dict):
        raise lines.error(key, "expected a mapping of key: value")
    allowed = set(required) | set(optional)
    for k in entry:
        if k not in allowed:
            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            allowed_s = ", ".join(sorted(allowed))
            raise lines.error((*key, k), f"unknown key{hint}; allowed: {allowed_s}")
    for k in required:
        if k not in entry:
            raise lines.error(key, f"required key '{k}' is missing")
    return entry
