"""Cross-row checks of a world: references, share sums, and the supply graph's shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from econsec.data.tablefile import records
from econsec.data.world_schema import SHARE_SUM_TOLERANCE
from econsec.domain import Source, Stage
from econsec.errors import DataError, EconsecError


def check_refs(path: Path, frame: pd.DataFrame, allowed: Mapping[str, Iterable[str]]) -> None:
    """Every value of each column in *allowed* must be in its allowed set."""
    for column, values in allowed.items():
        col = frame[column]
        bad = col.notna() & ~col.isin(set(values))
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            value = col.iloc[i]
            what = "source id" if column == "source" else f"{column} code"
            if column in ("good", "input", "output"):
                what = "good id"
            if column == "observed_after":
                what = "measure id"
            raise DataError(path, f"unknown {what} '{value}'", line=int(frame["_line"].iloc[i]),
                            field=column)


def check_provenance(path: Path, frame: pd.DataFrame) -> None:
    """A derived row (``dataset`` set) names its edition, file and cell and overrides
    nothing; a curated row has no provenance cell; ``overrides`` reads
    ``derived: <reason>``."""
    from econsec.data.world_schema import OVERRIDE_PREFIX, PROVENANCE

    derived = frame["dataset"].notna()

    def fail(mask: pd.Series, field: str, message: str) -> None:
        if mask.any():
            i = mask.to_numpy().nonzero()[0][0]
            raise DataError(path, message, line=int(frame["_line"].iloc[i]), field=field)

    for col in PROVENANCE[1:]:
        fail(derived & frame[col.name].isna(), col.name,
             f"a derived row (with a dataset) needs '{col.name}'")
        fail(~derived & frame[col.name].notna(), col.name,
             f"'{col.name}' given without 'dataset'")
    over = frame["overrides"]
    fail(derived & over.notna(), "overrides", "only a curated row can override a derived one")
    text = over.dropna().astype(str)
    ok = text.str.startswith(OVERRIDE_PREFIX) & (text.str[len(OVERRIDE_PREFIX):].str.strip() != "")
    fail(over.notna() & ~over.astype(str).isin(set(text[ok])), "overrides",
         f"overrides must read '{OVERRIDE_PREFIX} <reason>'")


def check_goods(path: Path, goods: pd.DataFrame, sources: Mapping[str, Source]) -> None:
    """Stages must be known; a market size needs its year and its source."""
    stages = {s.value for s in Stage}
    for row in records(goods):
        line = int(row._line)
        if row.stage not in stages:
            raise DataError(path, f"unknown stage '{row.stage}' (one of {sorted(stages)})",
                            line=line, field="stage")
        if row.market_usd_bn is not None and not pd.isna(row.market_usd_bn):
            if row.market_year is None or pd.isna(row.market_year):
                raise DataError(path, "a market size needs market_year", line=line,
                                field="market_year")
            if row.source is None or row.source not in sources:
                raise DataError(path, "a market size needs a known source id", line=line,
                                field="source")
        elif row.source is not None and row.source not in sources:
            raise DataError(path, f"unknown source id '{row.source}'", line=line, field="source")


def check_share_sums(path: Path, frame: pd.DataFrame, group: list[str]) -> None:
    """Shares of one group sum to at most 1 + SHARE_SUM_TOLERANCE."""
    if frame.empty:
        return
    keyed = frame.copy()
    for col in group:
        keyed[col] = keyed[col].fillna("")
    sums = keyed.groupby(group, dropna=False)["share"].sum()
    bad = sums[sums > 1.0 + SHARE_SUM_TOLERANCE]
    if not bad.empty:
        key = bad.index[0] if isinstance(bad.index[0], tuple) else (bad.index[0],)
        mask = pd.Series(True, index=keyed.index)
        for col, val in zip(group, key, strict=True):
            mask &= keyed[col] == val
        line = int(keyed.loc[mask, "_line"].max())
        raise DataError(
            path,
            f"shares for {dict(zip(group, key, strict=True))} sum to {bad.iloc[0]:.4f}, above 1 +"
            f" {SHARE_SUM_TOLERANCE}",
            line=line,
            field="share",
        )


def check_graph(path: Path, edges: pd.DataFrame, goods: pd.DataFrame) -> None:
    """Acyclic; weights into one output sum below 1; every good reaches an end product."""
    wsum = edges.groupby("output")["weight"].sum()
    over = wsum[wsum >= 1.0]
    if not over.empty:
        out = over.index[0]
        line = int(edges.loc[edges["output"] == out, "_line"].max())
        raise DataError(path, f"input weights into '{out}' sum to {over.iloc[0]:.3f}; they must"
                        " sum below 1 (the rest is value added)", line=line, field="weight")
    children: dict[str, list[str]] = {}
    for a, b in zip(edges["input"], edges["output"], strict=True):
        children.setdefault(a, []).append(b)
    cycle = find_cycle(children)
    if cycle:
        first, second = cycle[0], cycle[1]
        line = int(edges.loc[(edges["input"] == first) & (edges["output"] == second),
                             "_line"].iloc[0])
        raise DataError(path, "the supply graph has a cycle: " + " -> ".join(cycle), line=line,
                        field="output")
    ends = set(goods.loc[goods["stage"] == Stage.end_product.value, "good_id"])
    reaches = set(ends)
    parents: dict[str, list[str]] = {}
    for a, b in zip(edges["input"], edges["output"], strict=True):
        parents.setdefault(b, []).append(a)
    stack = list(ends)
    while stack:
        node = stack.pop()
        for p in parents.get(node, []):
            if p not in reaches:
                reaches.add(p)
                stack.append(p)
    for row in records(goods):
        if row.good_id not in reaches:
            raise DataError(path.parent / "goods.csv",
                            f"good '{row.good_id}' reaches no end product in edges.csv",
                            line=int(row._line), field="good_id")


def find_cycle(children: Mapping[str, list[str]]) -> list[str]:
    """A cycle as a list of nodes (first repeated at the end), or [] if the graph is a DAG."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    for root in sorted(children):
        if colour.get(root, white) != white:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        colour[root] = grey
        while stack:
            node, i = stack[-1]
            kids = children.get(node, [])
            if i < len(kids):
                stack[-1] = (node, i + 1)
                kid = kids[i]
                state = colour.get(kid, white)
                if state == grey:
                    return [*path[path.index(kid):], kid]
                if state == white:
                    colour[kid] = grey
                    stack.append((kid, 0))
                    path.append(kid)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return []


class NoFigureForYear(EconsecError, LookupError):
    """A query for year Y found figures of a key only after Y: the world does not answer
    Y with a later figure. Names each key and the first year it has a figure for."""

    def __init__(self, what: str, year: int, first: Mapping[str, int]) -> None:
        self.what, self.year, self.first = what, year, dict(first)
        shown = ", ".join(f"{k} (first: {y})" for k, y in list(first.items())[:8])
        more = f" and {len(first) - 8} more" if len(first) > 8 else ""
        super().__init__(f"no {what} figure up to {year} for {shown}{more}; a later figure"
                         " never answers an earlier year (ask for a later --year)")


def first_years_after(frame: pd.DataFrame, key: list[str], as_of: int) -> dict[str, int]:
    """Keys (joined with a space) whose earliest figure is after *as_of*, with that year."""
    if frame.empty:
        return {}
    first = frame.groupby(key, sort=True)["year"].min()
    late = first[first > as_of]
    return {" ".join(map(str, k if isinstance(k, tuple) else (k,))): int(y)
            for k, y in late.items()}


def as_of_rows(frame: pd.DataFrame, key: list[str], as_of: int | None,
               earliest: bool = False) -> pd.DataFrame:
    """Rows usable for year *as_of*: those of year <= *as_of* (None keeps every row).

    With *earliest* (a model baseline, never a query): a key with no row up to *as_of*
    keeps the rows of its earliest year, flagged ``backcast = True``, so a replay of 2010
    still sees a good first measured in 2023 rather than losing it."""
    if as_of is None or frame.empty:
        return frame
    upto = frame["year"] <= as_of
    if not earliest:
        return frame[upto]
    groups = [frame[k] for k in key]
    has = upto.groupby(groups).transform("any")
    first = frame.groupby(groups)["year"].transform("min")
    keep = upto | (~has & (frame["year"] == first))
    return frame[keep].assign(backcast=~has[keep])


def latest_with_remainder(
    frame: pd.DataFrame, key: list[str], sub: list[str] | None = None
) -> pd.DataFrame:
    """Keep the latest year (then the last sub-key, e.g. period) per *key*; add ROW remainder.

    Shares summing above 1 (within tolerance) are rescaled to 1; the remainder
    1 - sum(shares) is added as economy/supplier ``ROW`` with source ``remainder``.
    """
    sub = sub or []
    party = "economy" if "economy" in frame.columns else "supplier"
    if frame.empty:
        return frame.drop(columns=["_line"], errors="ignore")
    latest = frame.sort_values([*key, "year", *sub])
    last = latest.groupby(key)[["year", *sub]].last().reset_index()
    cur = latest.merge(last, on=[*key, "year", *sub])
    # one figure set per key: the (basis, source) listed first in the file for that year
    cur = cur.sort_values("_line")
    tag = cur["basis"].fillna("").astype(str) + "|" + cur["source"].astype(str)
    first_tag = tag.groupby([cur[k] for k in key]).transform("first")
    cur = cur[tag == first_tag]
    cur = cur.groupby([*key, party], as_index=False).agg(
        {"share": "sum", "year": "first", **{c: "first" for c in cur.columns
                                             if c not in (*key, party, "share", "year", "_line")}}
    )
    total = cur.groupby(key)["share"].transform("sum")
    cur["share"] = cur["share"].where(total <= 1.0, cur["share"] / total)
    rest = 1.0 - cur.groupby(key)["share"].sum()
    rest = rest[rest > 1e-9].rename("share").reset_index()
    if not rest.empty:
        meta = cur.groupby(key)[["year"]].first().reset_index()
        rest = rest.merge(meta, on=key)
        rest[party] = "ROW"
        rest["source"] = "remainder"
        has_row = cur[cur[party] == "ROW"].set_index(key).index
        if len(has_row):
            add = rest.set_index(key).index.isin(has_row)
            for idx in rest.index[add]:
                m = pd.Series(True, index=cur.index)
                for k in key:
                    m &= cur[k] == rest.at[idx, k]
                m &= cur[party] == "ROW"
                cur.loc[m, "share"] += rest.at[idx, "share"]
            rest = rest[~add]
        cur = pd.concat([cur, rest], ignore_index=True)
    return cur.sort_values([*key, "share"], ascending=[True] * len(key) + [False]).reset_index(
        drop=True
    )
