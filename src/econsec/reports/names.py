"""Names a person reads: goods and economies in words (from the world's ``goods.csv``
``name`` and ``economies.csv`` ``name`` columns), blocs as their members' names.

Ids stay in tables' id columns and in exports; every sentence, axis label and legend of a
report uses these names. An id the world does not know is a ``KeyError`` naming it (never
a silent fallback to the id)."""

from __future__ import annotations

from dataclasses import dataclass

from econsec.data.world import World
from econsec.domain import BLOCS, resolve_bloc


@dataclass(frozen=True)
class Names:
    """Lookups ``good id -> name`` and ``economy code -> name`` of one world."""

    goods: dict[str, str]
    economies: dict[str, str]

    @classmethod
    def of(cls, world: World) -> Names:
        return cls(dict(zip(world.goods["good_id"].astype(str),
                            world.goods["name"].astype(str), strict=True)),
                   dict(zip(world.economies["code"].astype(str),
                            world.economies["name"].astype(str), strict=True)))

    def good(self, gid: str) -> str:
        """Short name of good *gid*: its ``name`` without a trailing parenthesis
        ("Gallium (primary, low purity)" -> "Gallium")."""
        try:
            name = self.goods[str(gid)]
        except KeyError:
            raise KeyError(f"good '{gid}' is not in this world's goods.csv") from None
        short = name.split(" (", 1)[0].strip()
        return short or name

    def economy(self, code: str) -> str:
        """Name of economy *code* (economies.csv); "rest of the world" for ``ROW``; "the
        world" for ``WLD`` (an outcome summed over every economy, policy/compare.py)."""
        if code == "WLD":
            return "the world"
        try:
            return self.economies[str(code)]
        except KeyError:
            raise KeyError(f"economy '{code}' is not in this world's economies.csv") from None

    def economies_list(self, codes: str | list[str] | set[str] | frozenset[str]) -> str:
        """"Japan, Korea and United States" for codes (a list or a comma-joined string)."""
        parts = [c for c in (codes.split(",") if isinstance(codes, str) else codes) if c]
        names = sorted(self.economy(c.strip()) for c in parts)
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]

    def bloc(self, bloc: str) -> str:
        """A bloc in words: "the trilateral (Japan, Korea and United States)" for a named
        bloc, the member names for a list of codes, the name for one economy."""
        key = bloc.strip().upper()
        members = resolve_bloc(key)
        if key in BLOCS:
            return f"the {key.lower()} ({self.economies_list(members)})"
        return self.economies_list(members)

    def bloc_short(self, bloc: str) -> str:
        """"the trilateral" for a named bloc, the member names otherwise."""
        key = bloc.strip().upper()
        return f"the {key.lower()}" if key in BLOCS else self.economies_list(resolve_bloc(key))
