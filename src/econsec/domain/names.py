"""Names a user types, resolved to the ids econsec uses: the matching rules and the errors.

One rule for every economy, bloc, rival and good name (see
:mod:`econsec.analysis.names`, which binds these rules to a world and the country-code
lists): a value is compared case-insensitively and with spaces, hyphens and underscores
treated alike; a name that matches no id is an :class:`UnknownNameError` naming the
value, the closest valid choices ("did you mean") and where to see them all. Nothing
falls back silently to an empty answer.

>>> match_choice("Gallium", ["gallium", "germanium"], kind="good")
'gallium'
>>> match_choice("Hydrogen fluoride", ["hydrogen_fluoride"], kind="good")
'hydrogen_fluoride'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

from econsec.errors import EconsecError


class UnknownNameError(EconsecError, KeyError, ValueError):
    """A name outside its valid choices.

    *kind* is what was asked for (``economy``, ``good``, ``bloc or economy`` ...),
    *value* the text given, *suggestions* the closest valid choices and *where* how to
    list them all. ``str()`` is the plain message (not ``KeyError``'s quoted repr).
    """

    def __init__(self, kind: str, value: object, suggestions: Iterable[str] = (),
                 where: str = "", detail: str = "") -> None:
        self.kind, self.value = kind, value
        self.suggestions = tuple(suggestions)
        self.where, self.detail = where, detail
        msg = f"unknown {kind} {str(value)!r}"
        if detail:
            msg += f": {detail}"
        if self.suggestions:
            msg += f" (did you mean {', '.join(self.suggestions)}?)"
        if where:
            msg += f"; valid choices: {where}"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:
        return self.message


def fold(text: str) -> str:
    """Comparison key of a name: accent-free, lower case, ``_``/``-``/spaces as one ``_``.

    >>> fold("Hydrogen-fluoride "), fold("CHIP4"), fold("Côte d'Ivoire")
    ('hydrogen_fluoride', 'chip4', "cote_d'ivoire")
    """
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", "_", text.strip().lower()).strip("_")


def suggest(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to *n* choices closest to *value* (difflib ratio >= 0.6 on folded names)."""
    by_key: dict[str, str] = {}
    for c in choices:
        by_key.setdefault(fold(c), c)
    close = difflib.get_close_matches(fold(value), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in close]


def match_choice(value: str, choices: Iterable[str], *, kind: str,
                 aliases: Mapping[str, str] | None = None, where: str = "") -> str:
    """The choice *value* names: an exact id, the same id in another case or spacing, or
    an alias (``aliases`` maps folded names to ids). Otherwise :class:`UnknownNameError`
    with the closest choices and *where* to see them all."""
    ids = list(choices)
    text = str(value).strip()
    if "\x00" in text:
        raise UnknownNameError(kind, value, where=where, detail="contains a NUL byte")
    if text in ids:
        return text
    key = fold(text)
    for c in ids:
        if fold(c) == key:
            return c
    if aliases and key in aliases:
        return aliases[key]
    pool = ids + sorted(aliases.keys() if aliases else [])
    close = suggest(text, pool)
    if aliases:
        close = list(dict.fromkeys(aliases.get(c, c) for c in close))
    raise UnknownNameError(kind, value, close, where)
