"""Groups of the world's goods (chip tools, chip materials, chips, battery materials,
critical minerals): which goods each holds and what it means.

``good_groups.csv`` (in the package) has one row per group: ``group`` (id), ``members``
(``;``-separated good ids, or ``stage:<stage>`` for every good of that stage of
:class:`econsec.domain.goods.Stage`) and ``definition`` (the grouping and its reference).
:func:`group_members` expands a group against a world's goods; an unknown group, an
unknown member or an unknown stage is a :class:`~econsec.errors.DataError` naming the
file, the line and the field, so a world without one of the goods says so rather than
silently shrinking the group.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pandas as pd

from econsec.domain.goods import Stage
from econsec.errors import DataError

FILE = "good_groups.csv"


@functools.lru_cache(maxsize=1)
def good_groups() -> pd.DataFrame:
    """The group table: group, members, definition (read once, checked)."""
    from econsec.data.tablefile import read_text

    path = Path(__file__).with_name(FILE)
    frame = pd.read_csv(io.StringIO(read_text(path)), dtype=str, keep_default_na=False)
    for col in ("group", "members", "definition"):
        if col not in frame.columns:
            raise DataError(str(path), f"missing column '{col}'", field=col)
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if not row.group or not row.members or not row.definition:
            empty = next(c for c in ("group", "members", "definition") if not getattr(row, c))
            raise DataError(str(path), f"empty {empty}", line=i, field=empty)
    dup = frame["group"][frame["group"].duplicated()]
    if not dup.empty:
        raise DataError(str(path), f"group '{dup.iloc[0]}' listed twice",
                        line=int(dup.index[0]) + 2, field="group")
    return frame


def group_names() -> list[str]:
    return list(good_groups()["group"])


def group_members(group: str, goods: pd.DataFrame) -> list[str]:
    """The good ids of *group* among *goods* (a world's ``goods`` table: ``good_id``,
    ``stage``), in the world's order. KeyError for an unknown group (naming the groups);
    DataError naming the line and field for a member the world does not hold."""
    table = good_groups()
    rows = table.index[table["group"] == group]
    if len(rows) == 0:
        raise KeyError(f"unknown group '{group}'; groups: {', '.join(group_names())}")
    line = int(rows[0]) + 2
    ids = list(goods["good_id"])
    stages = dict(zip(goods["good_id"], goods["stage"].astype(str), strict=True))
    out: set[str] = set()
    for item in str(table.loc[rows[0], "members"]).split(";"):
        item = item.strip()
        if item.startswith("stage:"):
            stage = item.removeprefix("stage:")
            if stage not in Stage.__members__:
                raise DataError(FILE, f"unknown stage '{stage}' (stages: "
                                f"{', '.join(Stage.__members__)})", line=line, field="members")
            out |= {g for g in ids if stages[g] == stage}
        elif item in stages:
            out.add(item)
        else:
            raise DataError(FILE, f"group '{group}': member '{item}' is not a good of this "
                            "world", line=line, field="members")
    return [g for g in ids if g in out]
