"""Compile a world folder: published datasets + the curated layer -> world files.

Steps (like OWID's etl: raw -> harmonised -> published, provenance on every row):

1. the curated layer (``econsec/data/curated``: goods, edges, economies, measures,
   investments, sources, domestic shares, and the shares no dataset holds) is read and
   validated;
2. figures are derived from the datasets in DIR, as the curated derivation tables say
   (``derive_usgs.csv``, ``derive_trade.csv``, ``observed_after.csv``):
   :mod:`econsec.data.build.minerals` (USGS MCS world shares per year) and
   :mod:`econsec.data.build.trade` (import shares per importer, good and year) and
   :mod:`econsec.data.build.unit_values` (USD per tonne per good and year from traded
   quantities), each row recording dataset, edition, file and row/cell;
3. derived and curated share rows are merged under the precedence rule below and
   written, with the curated files that need no derivation copied byte for byte;
4. the result is loaded with :func:`econsec.data.world.load_world` (every check of the
   format) in a temporary folder, which only then replaces FOLDER, so a failed build
   never leaves a half-written world.

**Precedence** (docs/world-format.md): for one key - (good, year) for world shares,
(importer, good, year, period) for import shares - the derived figures are listed first,
so they are the ones used, and curated figures for the same key follow (kept for
comparison); unless a curated row of that key says ``overrides: derived: <reason>``,
in which case the curated figures come first. An ``overrides`` with no derived figure
to override is reported in the build's messages (stale, or a data folder without the
dataset). Among derived figures of one key, those of the code listed first in
``derive_trade.csv`` come first. The build is deterministic: the same inputs give the
same bytes.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data import world_schema as schema
from econsec.data.build.minerals import usgs_share_rows
from econsec.data.build.spec import read_observed_after, read_trade_rules, read_usgs_rules
from econsec.data.build.trade import baci_rows, pnnl_rows
from econsec.data.build.unit_values import unit_value_rows
from econsec.data.tablefile import Column, read_table, records
from econsec.errors import DataError

MERGED = ("world_shares.csv", "bilateral.csv")
DERIVATION_FILES = ("derive_usgs.csv", "derive_trade.csv", "observed_after.csv")
WS_KEY = ("good", "year")
BIL_KEY = ("importer", "good", "year", "period")


@dataclass
class BuildReport:
    """What a build wrote: rows per table by origin, and messages."""

    out: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"table": t, **c} for t, c in self.counts.items()])


def curated_path() -> Path:
    """Folder of the curated layer shipped inside the package."""
    return Path(str(resources.files("econsec.data") / "curated"))


def build_world(data: Path, out: Path, curated: Path | None = None) -> BuildReport:
    """Build a world folder at *out* from the datasets in *data* and the curated layer."""
    from econsec.data.world import load_world

    started = time.perf_counter()
    data, out = Path(data), Path(out)
    cur = Path(curated) if curated is not None else curated_path()
    if not data.is_dir():
        raise DataError(data, "data folder not found")
    goods = read_table(cur / "goods.csv", schema.GOODS, key=("good_id",))
    good_ids = set(goods["good_id"])
    goods_hs6 = {str(g): tuple(h or ()) for g, h in zip(goods["good_id"], goods["hs6"],
                                                       strict=True)}
    economies = set(read_table(cur / "economies.csv", schema.ECONOMIES, key=("code",))["code"])
    partners = economies - {"ROW", "EUR"}
    report = BuildReport(out)

    usgs_rules = read_usgs_rules(cur / "derive_usgs.csv", good_ids)
    trade_rules = read_trade_rules(cur / "derive_trade.csv", goods_hs6)
    ws_derived, msgs = usgs_share_rows(_need(data, "usgs_mcs"), usgs_rules, partners)
    report.messages.extend(msgs)
    bil_derived = (baci_rows(data, trade_rules, partners)
                   + pnnl_rows(data, trade_rules, partners))
    for mark in read_observed_after(cur / "observed_after.csv", good_ids):
        for rec in bil_derived:
            if rec["good"] == mark.good and rec["year"] >= mark.first_year:
                rec["observed_after"] = mark.measure

    order = {g: i for i, g in enumerate(goods["good_id"])}
    ws = _merge(cur / "world_shares.csv", schema.WORLD_SHARES_FULL, WS_KEY, ws_derived,
                lambda k: (order[k[0]], k[1]), report.messages)
    bil = _merge(cur / "bilateral.csv", schema.BILATERAL_FULL, BIL_KEY, bil_derived,
                 lambda k: (k[0], order[k[1]], k[2], k[3]), report.messages)
    for name, rows, derived in (("world_shares.csv", ws, ws_derived),
                                ("bilateral.csv", bil, bil_derived)):
        report.counts[name] = {"derived": len(derived), "curated": len(rows) - len(derived)}
    unit_values, msgs = unit_value_rows(data, goods_hs6)
    report.messages.extend(msgs)
    report.counts["unit_values.csv"] = {"derived": len(unit_values), "curated": 0}

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        for path in sorted(cur.iterdir()):
            if path.is_file() and path.name not in (*MERGED, *DERIVATION_FILES):
                shutil.copyfile(path, tmp / path.name)
        _write(tmp / "world_shares.csv", schema.WORLD_SHARES_FULL, ws)
        _write(tmp / "bilateral.csv", schema.BILATERAL_FULL, bil)
        _write(tmp / "unit_values.csv", schema.UNIT_VALUES, unit_values)
        load_world(tmp)  # every check of the world format, before anything is replaced
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - started
    return report


def _need(data: Path, name: str) -> Path:
    path = data / name
    if not path.is_dir():
        raise DataError(path, "dataset folder not found (expected the layout of ../shared/data)")
    return path


def _merge(path: Path, columns: Sequence[Column], key: tuple[str, ...],
           derived: list[dict[str, Any]], sort_key: Any,
           messages: list[str]) -> list[dict[str, Any]]:
    """Curated rows of *path* and *derived* rows in the precedence order; an override of
    a key nothing is derived for goes to *messages* (stale, or a partial data folder)."""
    names = [c.name for c in columns]
    provenance = {c.name for c in schema.PROVENANCE}
    frame = read_table(path, [c for c in columns if c.name not in provenance])
    curated: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    overriding: dict[tuple[Any, ...], int] = {}
    for row in records(frame):
        rec = {n: getattr(row, n, None) for n in names}
        if key == BIL_KEY and rec["period"] is None:
            rec["period"] = ""
        k = tuple(rec[c] for c in key)
        curated.setdefault(k, []).append(rec)
        text = rec.get("overrides")
        if text:
            if not str(text).startswith(schema.OVERRIDE_PREFIX) or \
                    not str(text)[len(schema.OVERRIDE_PREFIX):].strip():
                raise DataError(path, f"'{text}' must read 'derived: <reason>'",
                                line=int(row._line), field="overrides")
            overriding[k] = int(row._line)
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for rec in derived:
        by_key.setdefault(tuple(rec[c] for c in key), []).append(rec)
    for k, line in overriding.items():
        if k not in by_key:
            messages.append(f"stale override: {path.name}, line {line}, field overrides: the"
                            f" build derives no figure for {dict(zip(key, k, strict=True))}"
                            " from these datasets")
    out: list[dict[str, Any]] = []
    for k in sorted(set(curated) | set(by_key), key=sort_key):
        # derived figures of one key: the first-listed rule's code first (stable sort)
        first = sorted(by_key.get(k, []), key=lambda r: int(r.get("_rank", 0)))
        second = curated.get(k, [])
        if k in overriding:
            first, second = second, first
        out.extend(first)
        out.extend(second)
    return out


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write(path: Path, columns: Sequence[Column], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = [c.name for c in columns]
    writer.writerow(names)
    for rec in rows:
        writer.writerow([_cell(rec.get(n)) for n in names])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _replace(tmp: Path, out: Path) -> None:
    """Put the built folder *tmp* in place of *out* (renames only, no partial copy)."""
    if not out.exists():
        tmp.rename(out)
        return
    if not out.is_dir():
        raise DataError(out, "the output exists and is not a folder")
    old = out.parent / f".{out.name}.old-{tmp.name.rsplit('-', 1)[-1]}"
    out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
