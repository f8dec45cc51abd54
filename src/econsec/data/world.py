"""The built-in world: goods, supply graph, world and bilateral shares, measures,
investments and the sources behind every figure.

``load_world()`` reads the folder shipped in the package (``econsec/data/world``) or any
folder in the same format (docs/world-format.md). Everything is read and validated before
anything is returned, so a bad file never half-loads.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data import world_checks as checks
from econsec.data import world_schema as schema
from econsec.data.tablefile import ID_RE, Column, parse_cell, read_table, read_text, records
from econsec.data.yamlfile import Located, as_date, bad_character, load_yaml_sequence
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


@dataclass(frozen=True)
class UnitValue:
    """USD per tonne of *good* (``unit_values.csv``): the figure of *year* from *source*
    over HS codes *hs6*; *backcast*: no figure up to the year asked for, so the earliest
    one is used (as a model baseline does, docs/world-format.md "Time")."""

    good: str
    year: int
    usd_per_t: float
    hs6: str
    source: str
    backcast: bool = False


class NoUnitValue(LookupError):
    """A good has no unit value in the world: the reason (no HS code, or no dataset holds
    a quantity for its codes)."""


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
    #: USD per tonne per good and year, built from trade quantities (optional file; may be
    #: empty): good, year, usd_per_t, value_usd, quantity_t, hs6, basis, source, note and
    #: the provenance columns
    unit_values: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=[c.name for c in schema.UNIT_VALUES]))
    #: the latest-figure views already formed (:meth:`_view`), per method and arguments;
    #: the frames above never change, so a view formed once stays right
    _views: dict[tuple[Any, ...], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def _view(self, key: tuple[Any, ...], form: Any) -> pd.DataFrame:
        """A copy of the view *key*, formed by ``form()`` the first time it is asked for
        (tens of milliseconds of pandas each; a brief asks for the same ones dozens of
        times). A view that raises is not kept."""
        if key not in self._views:
            self._views[key] = form()
        return self._views[key].copy()

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

    def latest_world_shares(self, as_of: int | None = None, *,
                            goods: list[str] | None = None,
                            model: bool = False) -> pd.DataFrame:
        """World supply shares of the most recent year up to *as_of* per good, with the
        remainder as ROW (docs/world-format.md, "Time").

        A query (``model=False``): a good (of *goods*, default all) with figures but none
        up to *as_of* raises :class:`~econsec.data.world_checks.NoFigureForYear` naming
        the first year available. A model baseline (``model=True``): rows marked
        ``observed_after`` are skipped, and a good with no figure up to *as_of* takes
        its earliest one, flagged ``backcast``.

        Columns: good, economy, share, year, basis, source (and the provenance columns).
        Where the stated shares sum above 1 (rounding, within tolerance) they are
        rescaled to sum to 1.
        """
        return self._view(("world_shares", as_of, None if goods is None else tuple(goods),
                           model), lambda: self._latest_world_shares(as_of, goods, model))

    def _latest_world_shares(self, as_of: int | None, goods: list[str] | None,
                             model: bool) -> pd.DataFrame:
        ws = self.world_shares
        if goods is not None:
            ws = ws[ws["good"].isin(goods)]
        if model:
            ws = ws[ws["observed_after"].isna()]
        elif as_of is not None:
            late = checks.first_years_after(ws, ["good"], as_of)
            if late:
                raise checks.NoFigureForYear("world share", as_of, late)
        ws = checks.as_of_rows(ws, ["good"], as_of, earliest=model)
        return checks.latest_with_remainder(ws, ["good"])

    def latest_bilateral(self, as_of: int | None = None, period: str | None = None, *,
                         model: bool = False) -> pd.DataFrame:
        """Import shares of the most recent year up to *as_of* and period per (importer,
        good), remainder ROW. *period* (e.g. ``2019-01/2019-05``) selects figures for
        that period only. A pair with figures only after *as_of* has none here (its
        sourcing falls back to world shares, of year <= *as_of*); ``model=True`` also
        skips rows marked ``observed_after`` (post-shock shares)."""
        return self._view(("bilateral", as_of, period, model),
                          lambda: self._latest_bilateral(as_of, period, model))

    def _latest_bilateral(self, as_of: int | None, period: str | None,
                          model: bool) -> pd.DataFrame:
        bil = self.bilateral
        if model:
            bil = bil[bil["observed_after"].isna()]
        bil = bil.copy()
        bil["period"] = bil["period"].fillna("")
        if period is not None:
            bil = bil[bil["period"] == period]
        bil = checks.as_of_rows(bil, ["importer", "good"], as_of)
        return checks.latest_with_remainder(bil, ["importer", "good"], sub=["period"])

    def latest_domestic(self, as_of: int | None = None, *,
                        model: bool = False) -> pd.DataFrame:
        """Domestic supply shares of the most recent year up to *as_of* per (economy,
        good), first-listed source: economy, good, share, year, basis, source. No
        remainder is added (the rest of the use is imported). *model* is accepted for
        symmetry (domestic shares carry no ``observed_after``)."""
        dom = self.domestic_shares
        if dom.empty:
            return dom.copy()
        dom = checks.as_of_rows(dom, ["economy", "good"], as_of)
        return dom.drop_duplicates(["economy", "good"], keep="first").reset_index(drop=True)

    def unit_value(self, good: str, as_of: int | None = None) -> UnitValue:
        """USD per tonne of *good* for year *as_of* (None: the latest year): the
        first-listed figure of the latest year up to *as_of*, or, with none up to it, of
        the earliest year (``backcast``). :class:`NoUnitValue` says why a good has none
        (no HS code, or no dataset in the build holds a quantity for its codes); the
        world never guesses one."""
        rows = self.unit_values[self.unit_values["good"] == good]
        if rows.empty:
            codes = self.good(good)["hs6"]
            if not codes:
                raise NoUnitValue(f"no unit value for {good}: the good has no HS6 code "
                                  "(goods.csv), so no trade quantity stands for it")
            raise NoUnitValue(f"no unit value for {good}: no dataset of the world build "
                              f"holds a traded quantity for HS {'+'.join(codes)}")
        rows = checks.as_of_rows(rows, ["good"], as_of, earliest=True)
        year = int(rows["year"].max())
        first = rows[rows["year"] == year].iloc[0]
        backcast = bool(first["backcast"]) if "backcast" in rows.columns else False
        return UnitValue(good, year, float(first["usd_per_t"]), ";".join(first["hs6"]),
                         str(first["source"]), backcast)

    def backcast_goods(self, as_of: int | None) -> dict[str, int]:
        """Goods whose model baseline as of *as_of* stands on a later year's world shares:
        good -> the year standing in (its earliest figure; :meth:`latest_world_shares`
        with ``model=True``). Import shares are never backcast (a pair without a figure up
        to *as_of* falls back to the world shares). Empty for *as_of* None (the latest
        figures) or when every good has a figure up to *as_of*."""
        if as_of is None:
            return {}
        ws = self.latest_world_shares(as_of, model=True)
        if "backcast" not in ws.columns:
            return {}
        late = ws[ws["backcast"].fillna(False).astype(bool)]
        return {str(g): int(y) for g, y in late.groupby("good", sort=True)["year"].max().items()}

    def stale_figures(self, older_than: int = 3, today: int | None = None) -> pd.DataFrame:
        """The figures in use (the latest year per key) older than *older_than* years
        before *today* (default: this calendar year): world shares per good, import
        shares per (importer, good), domestic shares per (economy, good), edge
        coefficients, market sizes. Columns: table, key, year, age, source, publisher.
        A figure of year y is older than N years when today - y > N."""
        if older_than < 0:
            raise ValueError(f"--older-than must be 0 or more, not {older_than}")
        now = dt.date.today().year if today is None else today
        parts = []
        for table, frame, key in (
            ("world_shares", self.world_shares, ["good"]),
            ("bilateral", self.bilateral, ["importer", "good"]),
            ("domestic_shares", self.domestic_shares, ["economy", "good"]),
            ("edges", self.edges, ["input", "output"]),
        ):
            if frame.empty:
                continue
            latest = frame.sort_values([*key, "year", "_line"]).groupby(key).tail(1)
            latest = latest.assign(table=table,
                                   key=latest[key].astype(str).agg(" ".join, axis=1))
            parts.append(latest[["table", "key", "year", "source"]])
        market = self.goods.dropna(subset=["market_year"])
        parts.append(pd.DataFrame({"table": "goods (market size)", "key": market["good_id"],
                                   "year": market["market_year"], "source": market["source"]}))
        out = pd.concat(parts, ignore_index=True)
        out["year"] = out["year"].astype(int)
        out["age"] = now - out["year"]
        out = out[out["age"] > older_than]
        out["publisher"] = [self.sources[s].publisher if s in self.sources else ""
                            for s in out["source"]]
        return out.sort_values(["table", "year", "key"]).reset_index(drop=True)[
            ["table", "key", "year", "age", "source", "publisher"]]

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
    shares = _read_shares(
        folder / "world_shares.csv", schema.WORLD_SHARES_FULL,
        key=("good", "economy", "year", "basis", "source"), min_rows=1,
    )
    checks.check_refs(
        folder / "world_shares.csv",
        shares,
        {"good": good_ids, "economy": codes, "source": set(sources)},
    )
    checks.check_share_sums(folder / "world_shares.csv", shares,
                            ["good", "year", "basis", "source"])
    bilateral = _read_shares(
        folder / "bilateral.csv",
        schema.BILATERAL_FULL,
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
    unit_values = _read_unit_values(folder / "unit_values.csv", sources, good_ids)
    measures = _read_measures(folder / "measures.yaml", sources, good_ids, codes)
    investments = _read_investments(folder / "investments.yaml", sources, good_ids, codes)
    measure_ids = {m.id for m in measures}
    for name, frame in (("world_shares.csv", shares), ("bilateral.csv", bilateral)):
        checks.check_refs(folder / name, frame.dropna(subset=["observed_after"]),
                          {"observed_after": measure_ids})
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
        unit_values=unit_values,
    )


def _read_shares(path: Path, columns: tuple[Column, ...], key: tuple[str, ...],
                 min_rows: int = 0) -> pd.DataFrame:
    """A share table whose provenance and precedence columns
    (:data:`~econsec.data.world_schema.OPTIONAL_COLUMNS`) may be absent from the header
    (then empty). Same checks and messages as :func:`read_table` (file, line, field), but
    column by column, since a built world holds thousands of rows; plus the provenance
    checks."""
    text = read_text(path)
    header = _read_header(text)
    present = [c for c in columns if c.name not in schema.OPTIONAL_COLUMNS or c.name in header]
    if len(header) < 1:
        return read_table(path, present, key=key, min_rows=min_rows)  # names the problem
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle, strict=True)
        names = [h.strip() for h in next(reader)]
        declared = {c.name for c in present}
        for name in names:
            if name not in declared and not name.startswith("_"):
                raise DataError(path, "unknown column", line=1, field=name)
        rows: list[list[str]] = []
        lines: list[int] = []
        try:
            for fields in reader:
                if not fields or all(not f.strip() for f in fields):
                    continue
                if len(fields) != len(names):
                    raise DataError(path, f"row has {len(fields)} fields but the header has"
                                    f" {len(names)} (truncated or misquoted line)",
                                    line=reader.line_num)
                rows.append(fields)
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise DataError(path, f"malformed CSV (unterminated quote?): {exc}",
                            line=reader.line_num) from exc
    if len(rows) < min_rows:
        raise DataError(path, f"no data rows (header only): this table needs at least "
                        f"{min_rows} row{'s' if min_rows > 1 else ''}", line=2)
    raw = pd.DataFrame(rows, columns=names, dtype=object)
    parsed: dict[str, list[Any]] = {"_line": lines}
    for col in present:
        parsed[col.name] = _parse_column(path, raw[col.name].str.strip(), col, lines)
    frame = pd.DataFrame(parsed)  # the dtypes read_table's frames get
    for c in columns:
        if c.name not in frame.columns:
            frame[c.name] = None
    dup = frame.duplicated(list(key), keep=False)
    if dup.any():
        firsts = frame[dup].groupby(list(key), sort=False)["_line"].agg(["min", "max"])
        first, second = int(firsts["min"].iloc[0]), int(firsts["max"].iloc[0])
        k = tuple(frame.loc[frame["_line"] == second, list(key)].iloc[0])
        raise DataError(path, f"duplicate key {k} (first on line {first})", line=second,
                        field=",".join(key))
    checks.check_provenance(path, frame)
    return frame


def _parse_column(path: Path, text: pd.Series, col: Column, lines: list[int]) -> list[Any]:
    """Cells of one column parsed to the column's kind; the first bad cell raises the
    message :func:`~econsec.data.tablefile.parse_cell` gives for it."""
    empty = text == ""
    if col.kind in ("float", "fraction", "year", "int"):
        values = pd.to_numeric(text.where(~empty), errors="coerce")
        ok = values.notna() | empty
        if col.kind == "fraction":
            ok &= empty | values.between(0.0, 1.0)
        if col.kind in ("year", "int"):
            ok &= empty | text.str.fullmatch(r"[+-]?\d+")
        if col.kind == "year":
            ok &= empty | values.between(1900, 2100)
    elif col.kind == "id":
        ok = empty | text.str.fullmatch(ID_RE.pattern[1:-1])
        values = text
    elif col.kind == "code":
        ok = empty | text.str.fullmatch(r"[A-Z]{3}")
        values = text
    elif col.kind == "str":  # control characters refused, as read_table does
        ok = text.map(bad_character).isna()
        values = text
    else:  # kinds the share tables do not use: cell by cell
        return [parse_cell_at(path, str(t), col, line) for t, line in zip(text, lines,
                                                                         strict=True)]
    if col.required:
        ok &= ~empty
    if not ok.all():
        i = int((~ok).to_numpy().nonzero()[0][0])
        try:
            parse_cell(str(text.iloc[i]), col)
            message = f"'{text.iloc[i]}' is not valid"
        except ValueError as exc:
            message = str(exc)
        raise DataError(path, message, line=lines[i], field=col.name)
    if col.kind in ("year", "int"):
        return [None if e else int(v) for v, e in zip(values, empty, strict=True)]
    if col.kind in ("float", "fraction"):
        return [None if e else float(v) for v, e in zip(values, empty, strict=True)]
    return [None if e else v for v, e in zip(values, empty, strict=True)]


def parse_cell_at(path: Path, text: str, col: Column, line: int) -> Any:
    """:func:`parse_cell`, its error as a DataError naming file, line and field."""
    try:
        return parse_cell(text, col)
    except ValueError as exc:
        raise DataError(path, str(exc), line=line, field=col.name) from None


def _read_header(text: str) -> set[str]:
    """The column names of a CSV text's first line (empty if there is none)."""
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return set()  # read_table names the problem
    return {h.strip() for h in first}


def _read_domestic(path: Path, sources: dict[str, Source], good_ids: set[str],
                   codes: set[str]) -> pd.DataFrame:
    """The optional domestic supply shares (empty frame when the file is absent)."""
    if not path.is_file():
        return pd.DataFrame(columns=[c.name for c in schema.DOMESTIC_SHARES])
    frame = read_table(path, schema.DOMESTIC_SHARES, key=("economy", "good", "year", "source"))
    checks.check_refs(path, frame, {"economy": codes, "good": good_ids, "source": set(sources)})
    return frame


def _read_unit_values(path: Path, sources: dict[str, Source],
                      good_ids: set[str]) -> pd.DataFrame:
    """The optional unit values (empty frame when the file is absent): every row derived
    (provenance required), a positive USD per tonne equal to value / quantity."""
    if not path.is_file():
        return pd.DataFrame(columns=[c.name for c in schema.UNIT_VALUES])
    frame = read_table(path, schema.UNIT_VALUES, key=("good", "year", "source", "hs6"))
    checks.check_refs(path, frame, {"good": good_ids, "source": set(sources)})
    for row in records(frame):
        for col in ("dataset", "edition", "file", "cell"):
            if getattr(row, col) is None:
                raise DataError(path, f"a unit value is derived: '{col}' is required",
                                line=int(row._line), field=col)
        if not row.usd_per_t > 0 or not row.quantity_t > 0:
            raise DataError(path, "usd_per_t and quantity_t must be positive",
                            line=int(row._line), field="usd_per_t")
        if abs(row.value_usd / row.quantity_t - row.usd_per_t) > 0.01 + 1e-3 * row.usd_per_t:
            raise DataError(path, f"usd_per_t {row.usd_per_t} is not value_usd / quantity_t "
                            f"({row.value_usd / row.quantity_t:.2f})", line=int(row._line),
                            field="usd_per_t")
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
