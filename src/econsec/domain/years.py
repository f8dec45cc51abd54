"""Years: the one year-selection type and its parser (CLI ``--years``, API ``years=``,
trade panels, the Python API).

Accepted forms (:data:`ACCEPTED`):

* a year ``"2019"`` or ``2019``;
* an inclusive range ``"2019-2024"``;
* a comma list of years and ranges ``"2019,2021"``, ``"2002, 2010-2012"``;
* an iterable of integers ``[2021, 2019, 2021]``;
* an existing :class:`Years`.

``None`` or blank text means "no selection" (:func:`parse_years_or_none` returns None).
Anything else raises :class:`YearsError` naming the bad text and the accepted forms:
a reversed range (``"2011-1995"``), non-integers (``"19x5"``, ``2019.5``, ``True``),
empty parts (``"1995-"``, ``","``), years outside :data:`MIN_YEAR`-:data:`MAX_YEAR`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MIN_YEAR = 1900
MAX_YEAR = 2100
ACCEPTED = "a year (2019), a range (2019-2024), a comma list (2019,2021 or 2002,2010-2012)"
"""The accepted forms, as quoted in every error message."""


class YearsError(ValueError):
    """A year selection that cannot be parsed; the message starts with ``years:``, names
    the bad text and lists the accepted forms."""

    def __init__(self, text: object, why: str) -> None:
        self.text = text
        self.why = why
        where = "" if repr(text) in why else f" in {text!r}"
        super().__init__(f"years: {why}{where}; expected {ACCEPTED},"
                         f" years within {MIN_YEAR}-{MAX_YEAR}")


@dataclass(frozen=True)
class Years:
    """A non-empty, sorted set of distinct calendar years.

    ``first`` and ``last`` bound it; ``years`` lists every year (a range ``2019-2021``
    holds 2019, 2020 and 2021). ``contiguous`` is True when no year between first and
    last is missing (then ``str()`` prints ``first-last``).
    """

    years: tuple[int, ...]

    def __post_init__(self) -> None:
        ys = self.years
        if not ys:
            raise YearsError(ys, "no year")
        if any(type(y) is not int for y in ys):  # bool is not a year either
            raise YearsError(ys, "not an integer")
        if list(ys) != sorted(set(ys)):
            raise YearsError(ys, "years not sorted and distinct")
        bad = [y for y in ys if not MIN_YEAR <= y <= MAX_YEAR]
        if bad:
            raise YearsError(ys, f"year {bad[0]} out of range")

    @property
    def first(self) -> int:
        return self.years[0]

    @property
    def last(self) -> int:
        return self.years[-1]

    @property
    def contiguous(self) -> bool:
        return self.last - self.first + 1 == len(self.years)

    def as_list(self) -> list[int]:
        return list(self.years)

    def __iter__(self) -> Iterator[int]:
        return iter(self.years)

    def __len__(self) -> int:
        return len(self.years)

    def __contains__(self, year: object) -> bool:
        return year in self.years

    def __str__(self) -> str:
        if self.contiguous:
            return str(self.first) if len(self) == 1 else f"{self.first}-{self.last}"
        return ",".join(map(str, self.years))


YearsLike = str | int | Iterable[int] | Years
"""What :func:`parse_years` accepts."""


def _check(year: int, text: object) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise YearsError(text, f"year {year} out of range")
    return year


def _parse_text(text: str) -> set[int]:
    out: set[int] = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise YearsError(text, "empty part")
        lo_s, sep, hi_s = part.partition("-")
        lo_s, hi_s = lo_s.strip(), hi_s.strip()
        if not (lo_s.isascii() and lo_s.isdigit()) or (
                sep and not (hi_s.isascii() and hi_s.isdigit())):
            raise YearsError(text, f"{part!r} is not a year or a range")
        lo = _check(int(lo_s), text)
        hi = _check(int(hi_s), text) if sep else lo
        if hi < lo:
            raise YearsError(text, f"range {part!r} ends before it starts")
        out.update(range(lo, hi + 1))
    return out


def parse_years(value: YearsLike) -> Years:
    """*value* (see the module docstring for the accepted forms) -> :class:`Years`.

    >>> parse_years("2002, 2010-2012").as_list()
    [2002, 2010, 2011, 2012]
    """
    if isinstance(value, Years):
        return value
    if isinstance(value, bool):
        raise YearsError(value, "not an integer")
    if isinstance(value, int):
        return Years((_check(value, value),))
    if isinstance(value, str):
        if not value.strip():
            raise YearsError(value, "no year")
        return Years(tuple(sorted(_parse_text(value))))
    try:
        items = list(value)
    except TypeError:
        raise YearsError(value, "not a year, text or list of years") from None
    out: set[int] = set()
    for item in items:
        # numpy integers are integers too; bools, floats and text are not
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise YearsError(value, f"{item!r} is not an integer")
        out.add(_check(int(item), value))
    if not out:
        raise YearsError(value, "no year")
    return Years(tuple(sorted(out)))


def parse_years_or_none(value: YearsLike | None) -> Years | None:
    """:func:`parse_years`, with ``None`` or blank text meaning no selection (None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_years(value)


def years_list(value: YearsLike | None) -> list[int] | None:
    """The selected years as a sorted list, or None for no selection."""
    parsed = parse_years_or_none(value)
    return None if parsed is None else parsed.as_list()


def ranges_text(values: Iterable[int], sep: str = ", ") -> str:
    """Whole numbers as sorted contiguous runs: ``[1995, 1996, 1997, 2001]`` ->
    ``'1995-1997, 2001'`` (the form :func:`parse_years` reads back); *sep* joins the runs
    (``'+'`` for the line numbers of a provenance note)."""
    out: list[str] = []
    vs = sorted(values)
    i = 0
    while i < len(vs):
        j = i
        while j + 1 < len(vs) and vs[j + 1] == vs[j] + 1:
            j += 1
        out.append(str(vs[i]) if i == j else f"{vs[i]}-{vs[j]}")
        i = j + 1
    return sep.join(out)
