"""Blocs: named sets of economies (ISO 3166 alpha-3 codes)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Bloc:
    """A named set of economies, e.g. ``TRILATERAL`` = USA + JPN + KOR."""

    name: str
    members: frozenset[str]
    description: str = ""


BLOCS: dict[str, Bloc] = {
    b.name: b
    for b in (
        Bloc("TRILATERAL", frozenset({"USA", "JPN", "KOR"}), "US-Japan-Korea (Camp David, 2023)"),
        Bloc("CHIP4", frozenset({"USA", "JPN", "KOR", "TWN"}), "Chip 4 / Fab 4 alliance"),
        Bloc(
            "G7",
            frozenset({"USA", "JPN", "DEU", "FRA", "GBR", "ITA", "CAN"}),
            "Group of Seven",
        ),
        Bloc(
            "MSP",
            frozenset(
                {"USA", "JPN", "KOR", "AUS", "CAN", "FIN", "FRA", "DEU", "IND", "ITA", "NOR",
                 "SWE", "GBR"}
            ),
            "Minerals Security Partnership members (2024, EU as a member omitted)",
        ),
    )
}


def resolve_bloc(name_or_codes: str) -> frozenset[str]:
    """A bloc name (``TRILATERAL``), one code (``KOR``) or a comma list (``JPN,KOR``).

    Syntax only: names (``china``, ``Korea``) and membership of a world are resolved by
    :func:`econsec.analysis.names.resolve_party`; anything that is neither a bloc name
    nor ISO3-shaped codes is an :class:`~econsec.domain.names.UnknownNameError`.

    >>> sorted(resolve_bloc("TRILATERAL"))
    ['JPN', 'KOR', 'USA']
    >>> sorted(resolve_bloc("jpn, kor"))
    ['JPN', 'KOR']
    """
    key = name_or_codes.strip().upper()
    if key in BLOCS:
        return BLOCS[key].members
    parts = [p.strip() for p in key.split(",")]
    if not key or any(not re.fullmatch(r"[A-Z]{3}", p) for p in parts):
        from econsec.domain.names import UnknownNameError, suggest

        raise UnknownNameError("bloc or economy", name_or_codes,
                               suggest(name_or_codes, list(BLOCS)),
                               "a bloc (" + ", ".join(BLOCS) + ") or ISO3 codes")
    return frozenset(parts)
