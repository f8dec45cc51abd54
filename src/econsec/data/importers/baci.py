"""Importer for CEPII BACI yearly trade files into the trade-panel store.

BACI (Gaulier & Zignago 2010, "BACI: International Trade Database at the Product-Level.
The 1994-2007 Version", CEPII Working Paper 2010-23; http://www.cepii.fr/CEPII/en/
bdd_modele/bdd_modele_item.asp?id=37) reconciles the exporter- and importer-reported UN
Comtrade declarations into one FOB value per (year, exporter, importer, HS6 product).
Licence: Etalab Open Licence 2.0 (per CEPII).

File format (one file per year, e.g. ``BACI_HS22_Y2022_V202501.csv``)::

    t,i,j,k,v,q
    2022,4,8,610423,0.059,0.001

``t`` year; ``i`` exporter and ``j`` importer as BACI numeric country codes (ISO numeric
except a few, e.g. USA = 842, France = 251, India = 699, Taiwan = 490 "Other Asia, nes");
``k`` HS6 code of the file's HS revision (leading zero may be dropped); ``v`` value in
**thousand** USD; ``q`` quantity in metric tonnes (``NA`` or blank when missing, sometimes
space-padded).  Stored as ``value = v * 1000`` USD, ``quantity = q`` t, country codes
mapped with :func:`econsec.data.codes.to_iso3` (scheme ``baci``), ``product`` the
6-digit zero-padded HS code, ``flow_source = 'baci'``.  The HS revision (``HS92`` ...
``HS22``) is taken from the file name or given explicitly and recorded in the catalogue.

Rows with BACI code 697 ("Europe EFTA, nes", no single economy) are dropped and counted in
the report's warnings.  Every other unknown code is an error naming file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from econsec.data.codes import BACI_UNMAPPED, _lookup
from econsec.data.importers import ImportReport
from econsec.data.importers.fastcsv import (
    fail_at,
    raise_first_reject,
    read_csv_sql,
    read_header,
    read_into,
    require_columns,
    reset_rejects,
)
from econsec.data.panel import commit_panel, copy_to_staging, staging
from econsec.errors import DataError

if TYPE_CHECKING:
    import duckdb

    from econsec.data.store import Store

DATASET = "baci"
LICENCE = "CEPII BACI: Etalab Open Licence 2.0 (cite Gaulier & Zignago 2010)"
COLUMNS = ("t", "i", "j", "k", "v", "q")
_SCHEMA = {"t": "INTEGER", "i": "INTEGER", "j": "INTEGER", "k": "BIGINT", "v": "DOUBLE",
           "q": "VARCHAR"}
_NAME_RE = re.compile(r"BACI_(?P<hs>HS\d{2})_Y(?P<year>\d{4})_V(?P<version>\d+)", re.IGNORECASE)
_HS_RE = re.compile(r"^HS(92|96|02|07|12|17|22|28)$")

Progress = Callable[[str], None]


def hs_revision_of(path: Path, hs: str | None = None) -> str | None:
    """HS revision: *hs* (``'HS22'`` or ``'22'``) if given, else from a BACI file name."""
    if hs:
        text = hs.strip().upper()
        text = text if text.startswith("HS") else f"HS{text}"
        if not _HS_RE.match(text):
            raise ValueError(f"unknown HS revision {hs!r} (HS92, HS96, HS02 ... HS22)")
        return text
    match = _NAME_RE.search(Path(path).name)
    return match.group("hs").upper() if match else None


def year_in_name(path: Path) -> int | None:
    """The year a BACI file name states (``BACI_HS22_Y2022_V202501.csv`` -> 2022)."""
    match = _NAME_RE.search(Path(path).name)
    return int(match.group("year")) if match else None


def check_years_match_name(
    con: duckdb.DuckDBPyConnection, path: Path, column: str, named: int | None
) -> None:
    """DataError when table ``raw`` has rows of a year other than the file name's *named*.

    A file named for 2022 that holds 2023 rows would otherwise create or silently replace
    the stored 2023; pass ``--years`` to import such rows on purpose.
    """
    if named is None:
        return
    other = con.execute(
        f"SELECT {column}, count(*) FROM raw WHERE {column} IS DISTINCT FROM ? "
        f"GROUP BY {column} ORDER BY {column}", [named]
    ).fetchall()
    if other:
        found = ", ".join(f"{y} ({n:,} rows)" for y, n in other)
        every = sorted({named, *(int(y) for y, _ in other if y is not None)})
        raise DataError(
            path,
            f"rows of year {found} but the file name says {named}: refused (pass "
            f"--years {','.join(map(str, every))} to import them on purpose)",
            field=column,
        )


def code_table() -> list[tuple[int, str]]:
    """(BACI code, ISO3) pairs; codes of :data:`BACI_UNMAPPED` map to ``''`` (dropped)."""
    pairs = [(int(code), iso3) for code, iso3 in _lookup("baci").items()]
    pairs += [(int(code), "") for code in BACI_UNMAPPED]
    return pairs


def register_codes(con: duckdb.DuckDBPyConnection, name: str = "baci_codes") -> None:
    """Create temp table *name* ``(code INTEGER, iso3 VARCHAR)`` on *con*."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (code INTEGER, iso3 VARCHAR)")
    con.executemany(f"INSERT INTO {name} VALUES (?, ?)", code_table())


def _is_int(code: int) -> Callable[[str], bool]:
    """Predicate: a cell holds the integer *code* (leading zeros allowed)."""

    def match(cell: str) -> bool:
        return cell.isdigit() and int(cell) == code

    return match


def _check_raw(con: duckdb.DuckDBPyConnection, path: Path, header: list[str]) -> list[str]:
    """Validate temp table ``raw``; DataError (file, line, column) on the first problem."""
    warnings: list[str] = []
    if con.execute("SELECT count(*) FROM raw").fetchone() == (0,):
        raise DataError(path, "no data rows (for the years asked)", line=2)
    for col in ("t", "i", "j", "k", "v"):
        found = con.execute(f"SELECT 1 FROM raw WHERE {col} IS NULL LIMIT 1").fetchone()
        if found:
            raise fail_at(path, header, col, lambda s: s == "", "empty cell")
    for col in ("i", "j"):
        bad = con.execute(
            f"SELECT r.{col} FROM raw r ANTI JOIN baci_codes c ON r.{col} = c.code LIMIT 1"
        ).fetchone()
        if bad:
            raise fail_at(path, header, col, _is_int(int(bad[0])),
                          f"unknown BACI country code {int(bad[0])}")
    bad = con.execute("SELECT k FROM raw WHERE k < 100 OR k > 999999 LIMIT 1").fetchone()
    if bad:
        raise fail_at(path, header, "k", _is_int(int(bad[0])),
                      f"{int(bad[0])} is not an HS6 product code")
    bad = con.execute("SELECT v FROM raw WHERE v < 0 OR isnan(v) OR isinf(v) LIMIT 1").fetchone()
    if bad:
        raise fail_at(path, header, "v", lambda s: s.startswith("-") or s.lower() in
                      ("nan", "inf", "-inf", "infinity"), f"value {bad[0]} is not a trade value")
    bad = con.execute(
        "SELECT q FROM raw WHERE trim(q) NOT IN ('', 'NA') "
        "AND (TRY_CAST(trim(q) AS DOUBLE) IS NULL OR TRY_CAST(trim(q) AS DOUBLE) < 0) LIMIT 1"
    ).fetchone()
    if bad:
        text = str(bad[0]).strip()
        raise fail_at(path, header, "q", lambda s: s == text,
                      f"{text!r} is not a quantity in tonnes")
    dropped = con.execute(
        "SELECT count(*), coalesce(sum(v), 0) FROM raw r JOIN baci_codes c "
        "ON (r.i = c.code OR r.j = c.code) AND c.iso3 = ''"
    ).fetchone()
    if dropped and dropped[0]:
        warnings.append(
            f"{path.name}: {dropped[0]:,} rows (USD {dropped[1] * 1000:,.0f}) with a BACI code "
            f"that is no single economy ({', '.join(map(str, BACI_UNMAPPED))}) dropped"
        )
    return warnings


def import_baci(
    path: Path,
    store: Store,
    *,
    years: Iterable[int] | None = None,
    hs: str | None = None,
    dataset: str = DATASET,
    progress: Progress | None = None,
    replace: bool = False,
) -> ImportReport:
    """Validate BACI file *path* and store its year(s) as panel *dataset* (default ``baci``).

    *years* keeps only those years of the file; *hs* sets the HS revision when the file
    name does not carry it.  Rows of a year other than the file name's ``_Y<year>_`` are
    refused unless *years* selects them; a stored year that would shrink needs *replace*.
    Nothing is written unless the whole file is valid; a year
    already in the panel is replaced, other years are not touched.
    """
    import duckdb

    from econsec.data.store import sha256_of

    path = Path(path)
    say = progress or (lambda _msg: None)
    try:
        revision = hs_revision_of(path, hs)
    except ValueError as exc:
        raise DataError(path, str(exc)) from None
    header, _ = read_header(path)
    require_columns(path, header, COLUMNS)
    if len(header) != len(COLUMNS):
        extra = [h for h in header if h not in COLUMNS]
        raise DataError(path, "unexpected column (BACI has t,i,j,k,v,q)", line=1,
                        field=extra[0] if extra else None)
    con = duckdb.connect()
    pool = ThreadPoolExecutor(max_workers=1)  # SHA-256 of the file while DuckDB parses it
    digest = pool.submit(sha256_of, path)
    try:
        reset_rejects(con)
        register_codes(con)
        schema = {name: _SCHEMA[name] for name in header}
        where = ""
        wanted = sorted({int(y) for y in years}) if years is not None else None
        if wanted is not None:
            where = f" WHERE t IN ({', '.join(str(y) for y in wanted)})"
        say(f"reading {path.name}")
        read_into(con, "raw", path, f"{read_csv_sql(path, schema)}{where}")
        raise_first_reject(con, path)
        if wanted is None:
            check_years_match_name(con, path, "t", year_in_name(path))
        say("validating")
        warnings = _check_raw(con, path, header)
        say("writing Parquet")
        with staging(store) as stage:
            copy_to_staging(
                con,
                "SELECT r.t AS year, e.iso3 AS exporter, m.iso3 AS importer, "
                "lpad(CAST(r.k AS VARCHAR), 6, '0') AS product, r.v * 1000.0 AS value, "
                "TRY_CAST(NULLIF(NULLIF(trim(r.q), 'NA'), '') AS DOUBLE) AS quantity, "
                "'baci' AS flow_source "
                "FROM raw r JOIN baci_codes e ON r.i = e.code JOIN baci_codes m ON r.j = m.code "
                "WHERE e.iso3 <> '' AND m.iso3 <> ''",
                stage,
                years=[int(r[0]) for r in con.execute("SELECT DISTINCT t FROM raw").fetchall()],
            )
            con.execute("DROP TABLE raw")
            say("checksum and commit")
            version = _NAME_RE.search(path.name)
            stats = commit_panel(
                store,
                dataset,
                stage,
                source_file=path,
                sha256=digest.result(),
                hs_revision=revision,
                licence=LICENCE,
                note=f"CEPII BACI V{version.group('version')}" if version else "CEPII BACI",
                replace=replace,
            )
    finally:
        con.close()
        pool.shutdown(wait=True, cancel_futures=True)
    if revision is None:
        warnings.append(f"{path.name}: HS revision unknown (name the file BACI_HSxx_... "
                        "or pass --hs)")
    return ImportReport(
        dataset, {f"year={s.year}": s.rows for s in stats}, path, LICENCE, warnings
    )
