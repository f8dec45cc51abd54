"""The one resolver of economy, bloc, rival and good names, and the "no answer" error.

Every analysis function, the CLI and the API handlers resolve what the user typed here,
so ``china``, ``China``, ``CHN`` and ``People's Republic of China`` give the same answer,
``chips4`` resolves to ``CHIP4`` and ``Gallium`` to ``gallium``. Economy names go through
the country-code lists of :mod:`econsec.data.codes` (ISO 3166 names plus the aliases used
by GTA, USGS, Comtrade and the press) and must be economies of the world; goods match
their id or their name in ``goods.csv``. Anything else is an
:class:`~econsec.domain.names.UnknownNameError` naming the value, the closest matches
and where to see the valid choices.

A query that finds nothing raises :class:`EmptyAnswerError` saying which filter emptied
it; a query that answers only in part carries :func:`notes` (``frame.attrs["notes"]``)
that the CLI prints and the API returns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from econsec.domain.blocs import BLOCS
from econsec.domain.names import UnknownNameError, fold, match_choice, suggest
from econsec.errors import EconsecError

if TYPE_CHECKING:
    import pandas as pd

    from econsec.data.world import World

ECONOMIES_HINT = "ISO3 codes or names of the world's economies (`econsec world --economies`)"
GOODS_HINT = "good ids or names (`econsec world --goods`)"
BLOCS_HINT = ("a bloc (" + ", ".join(BLOCS) + "; `econsec blocs`), an economy or a comma "
              "list of economies (`econsec world --economies`)")


class EmptyAnswerError(EconsecError, ValueError):
    """A query that found nothing; the message says which filter emptied it."""


@dataclass(frozen=True)
class Party:
    """A resolved bloc or economy: *label* (``TRILATERAL``, ``CHN``, ``JPN,KOR``) and its
    member ISO3 codes."""

    label: str
    members: frozenset[str]


@functools.lru_cache(maxsize=8)
def _economy_aliases(world: World) -> dict[str, str]:
    """Folded economy names of *world* (its own ``name`` column) -> code."""
    names = world.economies["name"].astype(str)
    return {fold(n): str(c) for n, c in zip(names, world.economies["code"], strict=True)}


def resolve_economy(value: str, world: World, *, kind: str = "economy") -> str:
    """The world's ISO3 code for *value*: a code in any case (``kor``), the world's name
    (``Republic of Korea``) or a common name known to the code lists (``Korea``,
    ``South Korea``, ``china``, ``Chinese Taipei``).

    >>> from econsec.data.world import load_world                       # doctest: +SKIP
    >>> resolve_economy("Korea", load_world())                           # doctest: +SKIP
    'KOR'
    """
    from econsec.data.codes import name_to_iso3

    codes = world.economy_codes
    text = str(value).strip()
    if not text:
        raise UnknownNameError(kind, value, where=ECONOMIES_HINT, detail="empty")
    if text.upper() in set(codes):
        return text.upper()
    aliases = _economy_aliases(world)
    if fold(text) in aliases:
        return aliases[fold(text)]
    iso3 = None if "\x00" in text else name_to_iso3(text)
    if iso3 is None and len(text) == 3 and text.isalpha():
        iso3 = name_to_iso3(text.upper())  # an ISO3 code the world does not hold
    if iso3 is not None:
        if iso3 in set(codes):
            return iso3
        raise UnknownNameError(kind, value, where=ECONOMIES_HINT,
                               detail=f"{iso3} is not one of the world's {len(codes)} economies")
    close = suggest(text, [*codes, *world.economies["name"].astype(str)])
    close = list(dict.fromkeys(aliases.get(fold(c), c) for c in close))
    raise UnknownNameError(kind, value, close, ECONOMIES_HINT)


@functools.lru_cache(maxsize=8)
def _good_aliases(world: World) -> dict[str, str]:
    """Folded good names (the full name and the part before a parenthesis) -> id, for
    names that point to one good only."""
    seen: dict[str, set[str]] = {}
    for gid, name in zip(world.goods["good_id"], world.goods["name"].astype(str), strict=True):
        for n in {name, name.split("(")[0]}:
            seen.setdefault(fold(n), set()).add(str(gid))
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1 and k}


def resolve_good(value: str, world: World) -> str:
    """The good id for *value*: an id in any case or spacing (``Hydrogen fluoride``) or
    the good's name in ``goods.csv`` (``Gallium``)."""
    return match_choice(value, world.good_ids, kind="good", aliases=_good_aliases(world),
                        where=GOODS_HINT)


def resolve_party(value: str, world: World, *, kind: str = "bloc or economy") -> Party:
    """A bloc name in any case (``chip4``), one economy (``china``) or a comma list of
    economies (``jpn, Korea``), as a :class:`Party` of world economies."""
    text = str(value).strip()
    if not text:
        raise UnknownNameError(kind, value, where=BLOCS_HINT, detail="empty")
    for name in BLOCS:
        if fold(name) == fold(text):
            return Party(name, BLOCS[name].members)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 1 and any(not p for p in parts):
        raise UnknownNameError(kind, value, where=BLOCS_HINT, detail="empty item in the list")
    try:
        codes = [resolve_economy(p, world, kind=kind) for p in parts]
    except UnknownNameError as exc:
        if len(parts) > 1:
            raise
        close = list(dict.fromkeys([*suggest(text, list(BLOCS)), *exc.suggestions]))[:4]
        raise UnknownNameError(kind, value, close, BLOCS_HINT, detail=exc.detail) from None
    codes = list(dict.fromkeys(codes))
    return Party(",".join(codes), frozenset(codes))


def notes(frame: pd.DataFrame) -> list[str]:
    """The notes a query attached to its answer (why rows are missing, what was assumed)."""
    return list(frame.attrs.get("notes", []))


def add_note(frame: pd.DataFrame, note: str) -> pd.DataFrame:
    """*frame* with *note* appended to ``frame.attrs["notes"]``."""
    frame.attrs["notes"] = [*notes(frame), note]
    return frame
