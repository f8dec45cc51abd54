"""The built-in world: goods, supply graph, world and bilateral shares, measures,
investments and the sources behind every figure.

``load_world()`` reads the folder shipped in the package (``econsec/data/world``) or any
folder in the same format (docs/world-format.md). Everything is read and validated before
anything is returned, so a bad file never half-loads.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data import world_checks as checks
from econsec.data import world_schema as schema
from econsec.data.tablefile import ID_RE, read_table, records
from econsec.data.yamlfile import Located, as_date, load_yaml_sequence
from econsec.domain import BLOCS, Investment, Measure, MeasureType, Source, Stage
from econsec.errors import DataError

WORLD_FILES = (
    "economies.csv",
    "goods.csv",
    "edges.csv",
    "world_shares.csv",
    "bilateral.csv",
    "measures.yaml",
    "investments.yaml",
)


@dataclass(frozen=True, eq=False)
class World:
    """A validated world. Frames are never mutated in place: a scenario copies them."""

    path: Path
    version: str
    sources: dict[str, Source]
    economies: pd.DataFrame
    goods: pd.DataFrame
    edges: pd.DataFrame
    world_shares: pd.DataFrame
    bilateral: pd.DataFrame
    measures: tuple[Measure, ...]
    investments: tuple[Investment, ...]
    #: share of an economy's use of a good met by its own output (optional file; may be
    #: empty): economy, good, share, year, basis, source, note
    domestic_shares: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=[c.name for c in schema.DOMESTIC_SHARES]))

    # ----- convenience views -------------------------------------------------------
    @property
    def good_ids(self) -> list[str]:
        return list(self.goods["good_id"])

    @property
    def economy_codes(self) -> list[str]:
        return list(self.economies["code"])

    def good(self, good_id: str) -> pd.Series:
        """The row of one good; KeyError names the unknown id and close matches."""
        rows = self.goods[self.goods["good_id"] == good_id]
        if rows.empty:
            import difflib

            close = difflib.get_close_matches(good_id, self.good_ids, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise KeyError(f"unknown good '{good_id}'{hint}")
        return rows.iloc[0]

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"unknown measure '{measure_id}'")

    def latest_world_shares(self, as_of: int | None = None) -> pd.DataFrame:
        """World supply shares of the most recent year (up to *as_of*) per good, with the
        remainder as ROW. A good with no figure up to *as_of* keeps its earliest figure
        (the nearest year; see :func:`~econsec.data.world_checks.as_of_rows`).

        Columns: good, economy, share, year, basis, source. Where the stated shares sum
        above 1 (rounding, within tolerance) they are rescaled to sum to 1.
        """
        ws = checks.as_of_rows(self.world_shares, ["good"], as_of)
        return checks.latest_with_remainder(ws, ["good"])

    def latest_bilateral(self, as_of: int | None = None,
                         period: str | None = None) -> pd.DataFrame:
        """Import shares of the most recent year (up to *as_of*, else the earliest year) and
        period per (importer, good), remainder ROW. *period* (e.g. ``2019-01/2019-05``)
        selects figures for that period only."""
        bil = self.bilateral.copy()
        bil["period"] = bil["period"].fillna("")
        if period is not None:
            bil = bil[bil["period"] == period]
        bil = checks.as_of_rows(bil, ["importer", "good"], as_of)
        return checks.latest_with_remainder(bil, ["importer", "good"], sub=["period"])

    def latest_domestic(self, as_of: int | None = None) -> pd.DataFrame:
        """Domestic supply shares of the most recent year (up to *as_of*, else the earliest
        year) per (economy, good), first-listed source: economy, good, share, year, basis,
        source. No remainder is added (the rest of the use is imported)."""
        dom = self.domestic_shares
        if dom.empty:
            return dom.copy()
        dom = checks.as_of_rows(dom, ["economy", "good"], as_of)
        return dom.drop_duplicates(["economy", "good"], keep="first").reset_index(drop=True)

    def source_table(self) -> pd.DataFrame:
        """All sources with the number of rows citing each."""
        counts: dict[str, int] = {}
        for frame in (self.goods, self.edges, self.world_shares, self.bilateral,
                      self.domestic_shares):
            for sid in frame["source"].dropna():
                counts[sid] = counts.get(sid, 0) + 1
        for m in self.measures:
            counts[m.source] = counts.get(m.source, 0) + 1
        for inv in self.investments:
            counts[inv.source] = counts.get(inv.source, 0) + 1
        return pd.DataFrame(
            [
                {
                    "source_id": s.source_id,
                    "publisher": s.publisher,
                    "title": s.title,
                    "published": s.published,
                    "url": s.url,
                    "rows_citing": counts.get(s.source_id, 0),
                }
                for s in self.sources.values()
            ]
        )

    def measures_frame(self) -> pd.DataFrame:
        """The measures registry as a frame (lists joined with ';')."""
        return pd.DataFrame(
            [
                {
                    "id": m.id,
                    "type": m.type.value,
                    "imposer": m.imposer,
                    "targets": ";".join(m.targets),
                    "goods": ";".join(m.goods),
                    "announced": m.announced,
                    "effective": m.effective,
                    "lifted": m.lifted,
                    "intensity": m.intensity,
                    "name": m.name,
                    "source": m.source,
                }
                for m in self.measures
            ]
        )

    def investments_frame(self) -> pd.DataFrame:
        return pd.DataFrame([inv.__dict__ for inv in self.investments])


def builtin_world_path() -> Path:
    """Folder of the built-in world shipped inside the package."""
    return Path(str(resources.files("econsec.data") / "world"))


def load_world(path: str | Path | None = None) -> World:
    """Load and validate a world folder (default: the built-in world). Cached per folder."""
    folder = Path(path) if path is not None else builtin_world_path()
    folder = folder.resolve()
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.glob("*"))
        if p.is_file()
    )
    return _load_world_cached(folder, stamp)


@functools.lru_cache(maxsize=8)
def _load_world_cached(folder: Path, stamp: tuple[Any, ...]) -> World:
    if not folder.is_dir():
        raise DataError(folder, "world folder not found")
    for name in WORLD_FILES:
        if not (folder / name).is_file():
            raise DataError(folder / name, "required world file is missing")
    sources = _read_sources(folder)
    economies = read_table(folder / "economies.csv", schema.ECONOMIES, key=("code",),
                           min_rows=1)
    codes = set(economies["code"])
    goods = read_table(folder / "goods.csv", schema.GOODS, key=("good_id",), min_rows=1)
    checks.check_goods(folder / "goods.csv", goods, sources)
    good_ids = set(goods["good_id"])
    edges = read_table(folder / "edges.csv", schema.EDGES, key=("input", "output"))
    checks.check_refs(folder / "edges.csv", edges, {"input": good_ids, "output": good_ids})
    checks.check_refs(folder / "edges.csv", edges, {"source": set(sources)})
    checks.check_graph(folder / "edges.csv", edges, goods)
    shares = read_table(
        folder / "world_shares.csv", schema.WORLD_SHARES,
        key=("good", "economy", "year", "basis", "source"), min_rows=1,
    )
    checks.check_refs(
        folder / "world_shares.csv",
        shares,
        {"good": good_ids, "economy": codes, "source": set(sources)},
    )
    checks.check_share_sums(folder / "world_shares.csv", shares,
                            ["good", "year", "basis", "source"])
    bilateral = read_table(
        folder / "bilateral.csv",
        schema.BILATERAL,
        key=("importer", "good", "supplier", "year", "period", "source"),
    )
    checks.check_refs(
        folder / "bilateral.csv",
        bilateral,
        {"importer": codes, "supplier": codes, "good": good_ids, "source": set(sources)},
    )
    checks.check_share_sums(
        folder / "bilateral.csv", bilateral, ["importer", "good", "year", "period", "source"]
    )
    domestic = _read_domestic(folder / "domestic_shares.csv", sources, good_ids, codes)
    measures = _read_measures(folder / "measures.yaml", sources, good_ids, codes)
    investments = _read_investments(folder / "investments.yaml", sources, good_ids, codes)
    digest = hashlib.sha256()
    for p in sorted(folder.glob("*")):
        if p.is_file() and p.suffix in (".csv", ".yaml"):
            digest.update(p.name.encode())
            digest.update(p.read_bytes())
    goods["stage"] = goods["stage"].astype(str)
    return World(
        path=folder,
        version=digest.hexdigest()[:12],
        sources=sources,
        economies=economies,
        goods=goods,
        edges=edges,
        world_shares=shares,
        bilateral=bilateral,
        measures=tuple(measures),
        investments=tuple(investments),
        domestic_shares=domestic,
    )


def _read_domestic(path: Path, sources: dict[str, Source], good_ids: set[str],
                   codes: set[str]) -> pd.DataFrame:
    """The optional domestic supply shares (empty frame when the file is absent)."""
    if not path.is_file():
        return pd.DataFrame(columns=[c.name for c in schema.DOMESTIC_SHARES])
    frame = read_table(path, schema.DOMESTIC_SHARES, key=("economy", "good", "year", "source"))
    checks.check_refs(path, frame, {"economy": codes, "good": good_ids, "source": set(sources)})
    return frame


def _read_sources(folder: Path) -> dict[str, Source]:
    files = sorted(folder.glob("sources*.csv"))
    if not files:
        raise DataError(folder / "sources.csv", "no sources*.csv file: every figure needs a source")
    out: dict[str, Source] = {}
    for path in files:
        frame = read_table(path, schema.SOURCES, key=("source_id",))
        for row in records(frame):
            sid = str(row.source_id)
            if sid in out:
                raise DataError(path, "source id already defined in another sources file",
                                line=int(row._line), field="source_id")
            url = str(row.url)
            if not url.startswith(("http://", "https://")):
                raise DataError(path, f"'{url}' is not an http(s) URL",
                                line=int(row._line), field="url")
            out[sid] = Source(sid, str(row.title), str(row.publisher), url,
                              str(row.published or ""), str(row.accessed or ""))
    return out


def _economy_ok(code: str, codes: set[str]) -> bool:
    return code in codes or code in BLOCS or code == "ALL"


def _date(path: Path, item: Located, key: str, required: bool) -> dt.date | None:
    value = item.value.get(key)
    if value is None:
        if required:
            raise DataError(path, "date is required", line=item.line_of(key), field=key)
        return None
    try:
        return as_date(value)
    except ValueError:
        raise DataError(path, f"'{value}' is not an ISO date (YYYY-MM-DD)",
                        line=item.line_of(key), field=key) from None


def _check_keys(path: Path, item: Located, required: tuple[str, ...],
                optional: tuple[str, ...]) -> None:
    for key in item.value:
        if key not in required and key not in optional:
            raise DataError(path, "unknown key", line=item.line_of(key), field=key)
    for key in required:
        if key not in item.value:
            raise DataError(path, "required key is missing", line=item.line, field=key)


def _number(path: Path, item: Located, key: str, lo: float | None = None,
            hi: float | None = None) -> float | None:
    value = item.value.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(path, f"'{value}' is not a number", line=item.line_of(key), field=key)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise DataError(path, f"{value} is outside [{lo}, {hi}]",
                        line=item.line_of(key), field=key)
    return float(value)


def _code_list(path: Path, item: Located, key: str, allowed: set[str],
               what: str) -> tuple[str, ...]:
    value = item.value.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DataError(path, f"expected a list of {what}", line=item.line_of(key), field=key)
    out = []
    for v in value:
        s = str(v)
        if s not in allowed:
            raise DataError(path, f"unknown {what} '{s}'", line=item.line_of(key), field=key)
        out.append(s)
    return tuple(out)


def _read_measures(path: Path, sources: dict[str, Source], good_ids: set[str],
                   codes: set[str]) -> list[Measure]:
    items = load_yaml_sequence(path, min_items=1)
    economies = codes | set(BLOCS) | {"ALL"}
    seen: dict[str, int] = {}
    out = []
    for item in items:
        _check_keys(path, item, schema.MEASURE_KEYS_REQUIRED, schema.MEASURE_KEYS_OPTIONAL)
        v = item.value
        mid = str(v["id"])
        if not ID_RE.match(mid):
            raise DataError(path, f"'{mid}' is not an id of lower-case letters, digits and _",
                            line=item.line_of("id"), field="id")
        if mid in seen:
            raise DataError(path, f"duplicate measure id '{mid}' (first on line {seen[mid]})",
                            line=item.line_of("id"), field="id")
        seen[mid] = item.line
        try:
            mtype = MeasureType(str(v["type"]))
        except ValueError:
            allowed = ", ".join(t.value for t in MeasureType)
            raise DataError(path, f"unknown type '{v['type']}' (one of {allowed})",
                            line=item.line_of("type"), field="type") from None
        imposer = str(v["imposer"])
        if not _economy_ok(imposer, codes):
            raise DataError(path, f"unknown economy '{imposer}'",
                            line=item.line_of("imposer"), field="imposer")
        announced = _date(path, item, "announced", True)
        effective = _date(path, item, "effective", False)
        lifted = _date(path, item, "lifted", False)
        assert announced is not None
        if effective is not None and effective < announced:
            raise DataError(path, "effective date is before the announced date",
                            line=item.line_of("effective"), field="effective")
        if lifted is not None and lifted < (effective or announced):
            raise DataError(path, "lifted date is before the effective date",
                            line=item.line_of("lifted"), field="lifted")
        source = str(v["source"])
        if source not in sources:
            raise DataError(path, f"unknown source id '{source}'",
                            line=item.line_of("source"), field="source")
        intensity = _number(path, item, "intensity", 0.0, 1.0)
        year = v["year"]
        if not isinstance(year, int) or not 1900 <= year <= 2100:
            raise DataError(path, f"'{year}' is not a year", line=item.line_of("year"),
                            field="year")
        out.append(Measure(
            id=mid, name=str(v["name"]), type=mtype, imposer=imposer,
            targets=_code_list(path, item, "targets", economies, "economy"),
            goods=_code_list(path, item, "goods", good_ids, "good"),
            announced=announced, effective=effective, lifted=lifted,
            intensity=intensity if intensity is not None else 0.0,
            source=source, year=year, description=str(v.get("description") or ""),
            licence_delay_days=_number(path, item, "licence_delay_days", 0.0, 3650.0),
            amount_usd_bn=_number(path, item, "amount_usd_bn", 0.0, None),
        ))
    return out


def _read_investments(path: Path, sources: dict[str, Source], good_ids: set[str],
                      codes: set[str]) -> list[Investment]:
    items = load_yaml_sequence(path)
    seen: set[str] = set()
    out = []
    for item in items:
        _check_keys(path, item, schema.INVESTMENT_KEYS_REQUIRED, schema.INVESTMENT_KEYS_OPTIONAL)
        v = item.value
        iid = str(v["id"])
        if iid in seen:
            raise DataError(path, f"duplicate investment id '{iid}'", line=item.line_of("id"),
                            field="id")
        seen.add(iid)
        economy = str(v["economy"])
        if economy not in codes:
            raise DataError(path, f"unknown economy '{economy}'", line=item.line_of("economy"),
                            field="economy")
        good = str(v["good"])
        if good not in good_ids:
            raise DataError(path, f"unknown good '{good}'", line=item.line_of("good"),
                            field="good")
        status = str(v["status"])
        if status not in schema.INVESTMENT_STATUSES:
            raise DataError(path, f"unknown status '{status}'", line=item.line_of("status"),
                            field="status")
        source = str(v["source"])
        if source not in sources:
            raise DataError(path, f"unknown source id '{source}'", line=item.line_of("source"),
                            field="source")
        announced = _date(path, item, "announced", True)
        assert announced is not None
        out.append(Investment(
            id=iid, name=str(v["name"]), firm=str(v["firm"]), economy=economy, good=good,
            capacity_share=_number(path, item, "capacity_share", 0.0, 1.0),
            capacity_note=str(v.get("capacity_note") or ""),
            amount_usd_bn=_number(path, item, "amount_usd_bn", 0.0, None),
            announced=announced, operational=_date(path, item, "operational", False),
            status=status, source=source, year=int(v["year"]),
        ))
    return out


def stage_order() -> list[str]:
    """Stages upstream first (for sorting tables)."""
    return [s.value for s in Stage]
