"""The options of the exposure and chokepoint questions, checked in one place.

:func:`check_tiers` and :func:`check_source` turn a user's value into a typed choice or
raise :class:`ChoiceError` naming the option and its valid choices; the CLI, the JSON API
and notebooks all go through them (:func:`econsec.analysis.supply_exposure.exposure`,
:func:`econsec.analysis.world.chokepoints`).
"""

from __future__ import annotations

from typing import Literal, cast, get_args

Tiers = Literal["direct", "all"]
"""``direct``: import shares by supplier; ``all``: look-through through every tier."""
ExposureSource = Literal["curated", "trade", "icio"]
"""``curated``: the built-in world's shares; ``trade``: a trade panel's import shares;
``icio``: sector shares from the imported OECD ICIO table."""

TIERS: tuple[str, ...] = get_args(Tiers)
SOURCES: tuple[str, ...] = get_args(ExposureSource)


class ChoiceError(ValueError):
    """An option outside its valid choices; *field* names the option, *choices* the
    valid values (the message lists them)."""

    def __init__(self, field: str, value: object, choices: tuple[str, ...]) -> None:
        self.field, self.value, self.choices = field, value, choices
        valid = " or ".join(f"'{c}'" for c in choices)
        super().__init__(f"{field} must be {valid}, not {value!r}")


def check_tiers(value: str) -> Tiers:
    """*value* as a :data:`Tiers` choice, or :class:`ChoiceError` listing the choices."""
    if value not in TIERS:
        raise ChoiceError("tiers", value, TIERS)
    return cast(Tiers, value)


def check_source(value: str, allowed: tuple[str, ...] = SOURCES) -> ExposureSource:
    """*value* as an :data:`ExposureSource` among *allowed* (default: all of them; the
    chokepoints pass ``("curated", "icio")``), or :class:`ChoiceError` listing them."""
    if value not in allowed or value not in SOURCES:
        raise ChoiceError("source", value, allowed)
    return cast(ExposureSource, value)
