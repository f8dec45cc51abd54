"""Plain handler functions behind the JSON API (no FastAPI here: callable from tests and
notebooks). Each validates its arguments and raises :class:`FieldError` naming the field;
results are JSON-ready dicts whose rows carry their ``source``.

The small world-level answers (world info, goods, scenarios, measures) are cached per
world here; the server keeps the encoded answers of the queries (exposure, chokepoints:
one to two hundred kB each) in :class:`econsec.api.answers.Answers`, bounded in bytes,
whose keys also carry the run store's stamp for answers read from the store.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.data.world import World
from econsec.domain.years import Years
from econsec.reports.tables import to_records

ECONOMY_RE = re.compile(r"^[A-Z]{3}$")
GOOD_RE = re.compile(r"^[a-z0-9_]{1,64}$")
BLOC_RE = re.compile(r"^[A-Za-z0-9_]{1,24}( *, *[A-Za-z0-9_]{1,24}){0,30}$")


class FieldError(ValueError):
    """Invalid input: *field* names the query/body field, *status* the HTTP status."""

    def __init__(self, field: str, message: str, status: int = 422,
                 where: str = "query") -> None:
        super().__init__(message)
        self.field, self.message, self.status, self.where = field, message, status, where


def _resolved(field: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A name resolved by :mod:`econsec.analysis.names`; its error as a FieldError."""
    from econsec.domain.names import UnknownNameError

    if len(str(args[0])) > 200:
        raise FieldError(field, f"{field} is longer than 200 characters")
    try:
        return fn(*args, **kwargs)
    except UnknownNameError as exc:
        raise FieldError(field, f"{exc} (API: see /api/world, /api/goods)") from None


def _answer(field: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an analysis query; an empty answer is a 404 FieldError saying why."""
    from econsec.analysis.names import EmptyAnswerError

    try:
        return fn(*args, **kwargs)
    except EmptyAnswerError as exc:
        raise FieldError(field, str(exc), status=404) from None


def check_economy(w: World, value: str, field: str = "economy") -> str:
    from econsec.analysis.names import resolve_economy

    code: str = _resolved(field, resolve_economy, value, w)
    return code


def check_good(w: World, value: str | None, field: str = "good") -> str | None:
    from econsec.analysis.names import resolve_good

    if value is None or value == "":
        return None
    good: str = _resolved(field, resolve_good, value, w)
    return good


def check_bloc(w: World, value: str | None, field: str) -> str | None:
    """A bloc name, an economy or a comma list of economies, all known: its label."""
    from econsec.analysis.names import resolve_party

    if value is None or value.strip() == "":
        return None
    label: str = _resolved(field, resolve_party, value, w).label
    return label


def _sources(w: World, frame: pd.DataFrame) -> list[dict[str, str]]:
    ids: set[str] = set()
    if "source" in frame.columns:
        for s in frame["source"].dropna():
            ids.update(x for x in str(s).split(";") if x in w.sources)
    return [{"id": sid, "citation": w.sources[sid].citation(), "url": w.sources[sid].url}
            for sid in sorted(ids)]


def _table(w: World, frame: pd.DataFrame, **meta: Any) -> dict[str, Any]:
    return {**meta, "count": len(frame), "rows": to_records(frame),
            "sources": _sources(w, frame)}


@functools.lru_cache(maxsize=4)
def world_info(w: World) -> dict[str, Any]:
    from econsec import analysis

    eco = analysis.economies_table(w)
    return {"version": w.version,
            "summary": to_records(analysis.world_summary(w)),
            "economies": to_records(eco),
            "blocs": to_records(analysis.known_blocs())}


@functools.lru_cache(maxsize=4)
def goods(w: World) -> dict[str, Any]:
    from econsec import analysis

    return _table(w, analysis.goods_table(w))


def scenarios(w: World) -> list[dict[str, Any]]:
    """The shipped scenarios (validated with the scenario loader): name, title, kind
    (replay/forward), horizon_days, description."""
    return [dict(d) for d in _scenarios(w)]


@functools.lru_cache(maxsize=4)
def _scenarios(w: World) -> tuple[dict[str, Any], ...]:
    from econsec.policy.scenarios import load_named, scenario_names

    out = []
    for name in scenario_names():
        s = load_named(name, w)
        out.append({"name": name, "title": s.title, "kind": s.kind,
                    "horizon_days": s.horizon_days,
                    "description": " ".join(s.description.split())})
    return tuple(out)


def exposure(w: World, economy: str, good: str | None = None, tiers: str = "direct",
             year: int | None = None, source: str = "curated", sector: str | None = None,
             db: str | None = None) -> dict[str, Any]:
    """Exposure rows of :func:`econsec.analysis.exposure`. Look-through rows (tiers=all)
    derive from the economy's sourcing figures, whose sources are listed. *tiers* and
    *source* go through the same checks as the CLI (:func:`econsec.analysis.check_tiers`,
    :func:`econsec.analysis.check_source`); ``source=icio`` answers by ICIO sector from
    the OECD ICIO table in the store *db* (404 naming the import command when absent)."""
    from econsec import analysis

    try:
        tiers_ = analysis.check_tiers(tiers)
        source_ = analysis.check_source(source)
    except analysis.ChoiceError as exc:
        raise FieldError(exc.field, str(exc)) from None
    if source_ == "icio":
        return _icio_exposure(economy, good, tiers_, year, sector, db)
    if sector:
        raise FieldError("sector", "sector names an ICIO industry and needs source=icio")
    code = check_economy(w, economy)
    g = check_good(w, good)
    frame = _answer("year", analysis.exposure, code, good=g, tiers=tiers_, world=w, year=year,
                    source=source_, db=Path(db) if db else None)
    out = _table(w, frame, economy=code, good=g, tiers=tiers, year=year, source=source_)
    out["notes"] = frame.attrs.get("notes", [])
    if tiers == "all":
        direct = analysis.exposure(code, good=None, tiers="direct", world=w, year=year)
        out["sources"] = _sources(w, pd.concat([direct, w.edges]))
    return out


def _icio_answer(empty_field: str, name_field: Callable[[str], str],
                 fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
    """*fn* (an analysis query with ``source="icio"``) with the ICIO errors as FieldErrors:
    an empty answer on *empty_field* (:func:`_answer`), an unknown name on the field
    *name_field* gives for its kind, the table not imported
    (404, naming the import command) or the store busy (503), in messages that do not
    show the server's store path."""
    from econsec.analysis.icio_exposure import IMPORT_COMMAND, IcioNotImported
    from econsec.domain.names import UnknownNameError
    from econsec.errors import StoreError

    try:
        return _answer(empty_field, fn, *args, **kwargs)
    except UnknownNameError as exc:
        raise FieldError(name_field(exc.kind), str(exc)) from None
    except IcioNotImported:
        raise FieldError("source", "source=icio: the OECD ICIO table is not imported in the "
                         f"server's store; run `{IMPORT_COMMAND}` there", status=404) from None
    except StoreError:
        raise FieldError("source", "source=icio: the store is busy; try again in a moment",
                         status=503) from None


def _icio_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """What every ``source=icio`` answer carries: dataset, units, rows, the OECD citation
    and the notes."""
    from econsec.data.importers.icio import NOTE

    return {"source": "icio", "dataset": frame.attrs["source"],
            "units": frame.attrs.get("units", {}), "count": len(frame),
            "rows": to_records(frame),
            "sources": [{"id": "oecd_icio", "citation": NOTE, "url": "http://oe.cd/icio"}],
            "notes": frame.attrs.get("notes", [])}


def _icio_exposure(economy: str, good: str | None, tiers: str, year: int | None,
                   sector: str | None, db: str | None) -> dict[str, Any]:
    """``source=icio`` of :func:`exposure` (errors: :func:`_icio_answer`)."""
    from econsec import analysis

    if good:
        raise FieldError("good", "source=icio answers by ICIO sector: use sector (e.g. C26)")
    frame = _icio_answer("year", lambda kind: "sector" if "sector" in kind else "economy",
                         analysis.exposure, economy, tiers=tiers, year=year, source="icio",
                         sector=sector or None, db=Path(db) if db else None)
    return {"economy": str(frame["economy"].iloc[0]), "sector": sector or None,
            "tiers": tiers, "year": int(frame.attrs["year"]), **_icio_payload(frame)}


def chokepoints(w: World, bloc: str | None = None, against: str | None = None,
                min_share: float | None = None, top: int | None = None,
                source: str = "curated", db: str | None = None) -> dict[str, Any]:
    """Chokepoint scores (``source=curated``: goods of the world, *min_share* default
    0.25) or, with ``source=icio``, the ICIO sectors of each side that rest on the other
    (:func:`econsec.analysis.chokepoints`; *min_share* default 0.05), checked as in the
    CLI."""
    from econsec import analysis

    try:
        source_ = analysis.check_source(source, ("curated", "icio"))
    except analysis.ChoiceError as exc:
        raise FieldError("source", str(exc)) from None
    if source_ == "icio":
        return _icio_chokepoints(w, bloc, against, min_share, top, db)
    b = check_bloc(w, bloc, "bloc")
    a = check_bloc(w, against, "against")
    if a is not None and b is None:
        raise FieldError("bloc", "'against' needs 'bloc' (e.g. bloc=TRILATERAL&against=CHN)")
    share = 0.25 if min_share is None else min_share
    frame = _answer("min_share", analysis.chokepoints, b, a, w, min_share=share, top=top)
    return _table(w, frame, bloc=b, against=a, min_share=share,
                  notes=frame.attrs.get("notes", []))


def _icio_chokepoints(w: World, bloc: str | None, against: str | None,
                      min_share: float | None, top: int | None,
                      db: str | None) -> dict[str, Any]:
    """``source=icio`` of :func:`chokepoints`: both sides needed (errors:
    :func:`_icio_answer`)."""
    from econsec import analysis

    if not bloc or not against:
        raise FieldError("against" if bloc else "bloc", "source=icio lists both directions: "
                         "give bloc and against (e.g. bloc=TRILATERAL&against=CHN)")
    frame = _icio_answer("min_share", lambda kind: "bloc" if "bloc" in kind else "against",
                         analysis.chokepoints, bloc, against, w, min_share=min_share,
                         top=top, source="icio", db=Path(db) if db else None)
    return {"bloc": bloc, "against": against, "min_share": min_share, **_icio_payload(frame)}


@functools.lru_cache(maxsize=256)
def measures(w: World, type: str | None = None, imposer: str | None = None,
             good: str | None = None) -> dict[str, Any]:
    from econsec import analysis

    imp = check_economy(w, imposer, "imposer") if imposer else None
    g = check_good(w, good)
    types = sorted({m.type.value for m in w.measures})
    if type and type not in types:
        raise FieldError("type", f"unknown measure type '{type}'; known: {types}")
    return _table(w, _answer("type", analysis.measures, type or None, imp, g, w))


def parse_years(value: str | None) -> Years | None:
    """The ``years`` field (:func:`econsec.domain.years.parse_years`); blank: all years."""
    from econsec.domain.years import YearsError, parse_years_or_none

    try:
        return parse_years_or_none(value)
    except YearsError as exc:
        raise FieldError("years", str(exc)) from None


def compare(w: World, a: str, b: str, years: str | None = None,
            source: str | None = None) -> dict[str, Any]:
    """Complementarity/competition indices per year for economies *a* and *b*.

    Rows of :func:`econsec.analysis.trade.compare`; FieldError 404 when no trade panel is
    loaded."""
    ca, cb = check_economy(w, a, "a"), check_economy(w, b, "b")
    if ca == cb:
        raise FieldError("b", "a and b must be different economies")
    span = parse_years(years)
    if source is not None and not re.fullmatch(r"[a-z0-9_]{1,32}", source):
        raise FieldError("source", "source must be a dataset name such as wiod or baci")
    rows, citation = _compare_rows(ca, cb, span, source, years)
    if rows is None:
        from econsec.reports.trends import NO_PANEL_NOTE

        raise FieldError("source", NO_PANEL_NOTE, status=404)
    return {"a": ca, "b": cb, "years": years, "count": len(rows), "rows": to_records(rows),
            "sources": [{"id": "trade_panel", "citation": citation, "url": ""}]}


_COMPARE_FIELDS = {"economy_a": "a", "economy_b": "b", "years": "years", "source": "source"}


def _compare_rows(a: str, b: str, span: Years | None, source: str | None,
                  years: str | None = None) -> tuple[pd.DataFrame | None, str]:
    """Rows of :func:`econsec.analysis.trade.compare` and their citation; (None, "") when
    it finds no rows."""
    from econsec.analysis import trade as trade_analysis

    kwargs: dict[str, Any] = {}
    if span is not None:
        kwargs["years"] = span
    if source is not None:
        kwargs["source"] = source
    from econsec.api.jobs import StoreBusy
    from econsec.errors import StoreError

    try:
        frame = trade_analysis.compare(a, b, **kwargs)
    except StoreError as exc:
        if _locked(exc):
            raise StoreBusy("the data store is busy (another econsec process is using it, "
                            "e.g. an import); try again in a moment") from None
        raise FieldError("source", "the data store cannot be read", status=503) from None
    except (LookupError, ValueError, OSError) as exc:
        if _locked(exc):
            raise StoreBusy("the data store is busy (another econsec process is using it, "
                            "e.g. an import); try again in a moment") from None
        # "field: message" from analysis.trade; missing data is 404, bad input 422
        msg = str(exc).strip("'\"")
        field = _COMPARE_FIELDS.get(msg.split(":", 1)[0].strip(), "source")
        missing = any(k in msg for k in ("no flows", "no store", "no data", "no trade panel"))
        raise FieldError(field, msg, status=404 if missing else 422) from None
    if frame is None or len(frame) == 0:
        return None, ""
    cite = "trade panel" + (f" ({source})" if source else "") + " via econsec.analysis"
    if "source" in frame.columns:
        cite = "; ".join(sorted({str(s) for s in frame["source"].dropna()})) or cite
    return frame, cite


def _locked(exc: BaseException) -> bool:
    """True for DuckDB's "could not set lock" (another process holds the store)."""
    text = f"{exc} {exc.__cause__ or ''}".lower()
    return "lock" in text or "conflicting" in text
