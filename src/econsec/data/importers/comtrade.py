"""Importer for UN Comtrade bulk / API CSV files into the trade-panel store.

UN Comtrade (https://comtradeplus.un.org/; terms of use: free with attribution "UN
Comtrade", no bulk redistribution) holds what each *reporter* declared: its imports
(flow ``M``, CIF) and exports (``X``, FOB) of each commodity with each partner.  The same
bilateral flow is therefore usually reported twice — by the exporter and, as a mirror,
by the importer — with different values (CIF/FOB, timing, re-exports).  Both are kept and
told apart by ``flow_source``:

========================  ==========  ==========  =====================================
``flow_source``           exporter    importer    meaning
========================  ==========  ==========  =====================================
``comtrade:X``            reporter    partner     exports reported by the exporter
``comtrade:M``            partner     reporter    imports reported by the importer
                                                  (the mirror of ``comtrade:X``)
``comtrade:RX``           reporter    partner     re-exports
``comtrade:RM``           partner     reporter    re-imports
========================  ==========  ==========  =====================================

Three column layouts are read, by their real header names:

* Comtrade+ bulk and API files (``refYear, reporterCode, partnerCode, flowCode, cmdCode,
  primaryValue, netWgt`` ..., optionally ``customsCode, motCode, partner2Code``);
* trimmed extracts (``year, reporter, partner, cmd, flow, value, netwgt``; ``year`` may be
  absent: then from ``--year`` or a 4-digit year in the file name);
* the legacy Comtrade CSV (``Year, Reporter Code, Partner Code, Trade Flow Code`` 1-4,
  ``Commodity Code, Trade Value (US$), Netweight (kg)``).

Cleaning, in this order, each step counted in the report's warnings:

1. exact duplicate records (all columns equal) are dropped — common in bulk downloads;
2. breakdown records are dropped where the file has the columns: customs procedure other
   than ``C00``, mode of transport other than ``0``, second partner other than ``0``
   (they repeat part of the total record);
3. partner ``0`` (World) is dropped unless ``world='keep'`` (then ``WLD``); Comtrade's
   "nes"/special areas (bunkers, free zones, areas nes ...) are dropped;
4. records that still share ``(year, reporter, partner, commodity, flow)`` are collapsed:
   ``collapse='max'`` (default) keeps the largest — in trimmed extracts that lost the
   breakdown columns, a total and its components share the key, and the total is the
   largest — ``collapse='sum'`` adds them (files with truly partial records);
5. monthly records (``freqCode`` M) are summed to calendar years.

Units: ``value`` USD (``primaryValue``), ``quantity`` = net weight kg / 1000 (tonnes).
Country codes are UN numeric codes mapped like BACI's (842 USA, 490 Taiwan, 699 India).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from econsec.data.importers import ImportReport
from econsec.data.importers.baci import _is_int, check_years_match_name, register_codes
from econsec.data.importers.fastcsv import (
    fail_at,
    has_invalid_unicode,
    raise_first_reject,
    read_csv_sql,
    read_header,
    read_into,
    reset_rejects,
)
from econsec.data.panel import commit_panel, copy_to_staging, staging
from econsec.errors import DataError

if TYPE_CHECKING:
    import duckdb

    from econsec.data.store import Store

DATASET = "comtrade"
LICENCE = "UN Comtrade terms of use: attribution 'UN Comtrade'; no bulk redistribution"

#: canonical field -> header names that carry it, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("refYear", "year", "Year"),
    "freq": ("freqCode",),
    "period": ("period", "Period"),
    "reporter": ("reporterCode", "reporter", "Reporter Code"),
    "partner": ("partnerCode", "partner", "Partner Code"),
    "flow": ("flowCode", "flow", "Trade Flow Code"),
    "cmd": ("cmdCode", "cmd", "Commodity Code"),
    "value": ("primaryValue", "value", "Trade Value (US$)"),
    "netwgt": ("netWgt", "netwgt", "Netweight (kg)"),
    "classification": ("classificationCode", "Classification"),
    "customs": ("customsCode", "Customs Proc. Code"),
    "mot": ("motCode", "Mode of Transport Code"),
    "partner2": ("partner2Code", "2nd Partner Code"),
}
_REQUIRED = ("reporter", "partner", "flow", "cmd", "value")
_NUMERIC = {"year": "INTEGER", "reporter": "INTEGER", "partner": "INTEGER",
            "value": "DOUBLE", "netwgt": "DOUBLE", "mot": "INTEGER", "partner2": "INTEGER"}
#: Comtrade partner codes that are no economy: 0 World, 97 EU, and "nes"/special areas.
AREAS_NES: frozenset[int] = frozenset(
    {97, 129, 221, 290, 471, 472, 473, 492, 527, 535, 536, 568, 577, 636, 637, 697, 837,
     838, 839, 879, 899}
)
#: Comtrade codes that BACI's table lacks: 381 Italy (Comtrade's code until 2016; ISO 380).
COMTRADE_EXTRA_CODES: dict[int, str] = {381: "ITA"}
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")

Progress = Callable[[str], None]


def resolve_columns(path: Path, header: list[str]) -> dict[str, str]:
    """canonical field -> actual header name; DataError (line 1) for a missing one."""
    found: dict[str, str] = {}
    for field, names in ALIASES.items():
        for name in names:
            if name in header:
                found[field] = name
                break
    for field in _REQUIRED:
        if field not in found:
            raise DataError(
                path,
                f"missing column: one of {', '.join(ALIASES[field])} "
                f"(header has: {', '.join(header)})",
                line=1,
                field=ALIASES[field][0],
            )
    return found


def _year_from_name(path: Path) -> int | None:
    match = _YEAR_IN_NAME.search(path.name)
    return int(match.group(1)) if match else None


def _check_raw(
    con: duckdb.DuckDBPyConnection, path: Path, header: list[str], cols: dict[str, str]
) -> None:
    """Errors that DuckDB's typed read cannot see, with file, line and column."""
    if con.execute("SELECT count(*) FROM raw").fetchone() == (0,):
        raise DataError(path, "no data rows (for the years asked)", line=2)
    for field in ("year", "reporter", "partner", "flow", "cmd", "value"):
        if field not in cols:
            continue
        if con.execute(f"SELECT 1 FROM raw WHERE {field} IS NULL LIMIT 1").fetchone():
            raise fail_at(path, header, cols[field], lambda s: s == "", "empty cell")
    bad = con.execute(
        "SELECT flow FROM raw WHERE flow NOT IN ('X', 'M', 'RX', 'RM', 'DX', 'FM', "
        "'1', '2', '3', '4') LIMIT 1"
    ).fetchone()
    if bad:
        text = str(bad[0])
        raise fail_at(path, header, cols["flow"], lambda s: s == text,
                      f"unknown flow code {text!r} (X, M, RX, RM or 1-4)")
    bad = con.execute(
        "SELECT cmd FROM raw WHERE NOT regexp_full_match(cmd, '[0-9]{2,12}|TOTAL') LIMIT 1"
    ).fetchone()
    if bad:
        text = str(bad[0])
        raise fail_at(path, header, cols["cmd"], lambda s: s == text,
                      f"{text!r} is not a commodity code")
    bad = con.execute("SELECT value FROM raw WHERE value < 0 OR isnan(value) LIMIT 1").fetchone()
    if bad:
        raise fail_at(path, header, cols["value"], lambda s: s.startswith("-") or
                      s.lower() == "nan", f"value {bad[0]} is not a trade value")
    for field in ("reporter", "partner"):
        bad = con.execute(
            f"SELECT r.{field} FROM raw r ANTI JOIN baci_codes c ON r.{field} = c.code "
            f"WHERE r.{field} <> 0 AND r.{field} NOT IN "
            f"({', '.join(str(c) for c in sorted(AREAS_NES))}) LIMIT 1"
        ).fetchone()
        if bad:
            raise fail_at(path, header, cols[field], _is_int(int(bad[0])),
                          f"unknown UN Comtrade country code {int(bad[0])}")


def import_comtrade(
    path: Path,
    store: Store,
    *,
    years: Iterable[int] | None = None,
    year: int | None = None,
    world: Literal["drop", "keep"] = "drop",
    collapse: Literal["max", "sum"] = "max",
    hs: str | None = None,
    dataset: str = DATASET,
    progress: Progress | None = None,
    replace: bool = False,
) -> ImportReport:
    """Validate the Comtrade CSV (or ``.csv.gz``) *path* and store it as panel *dataset*.

    When the file name states one year (``comtrade_2022.csv``) and *years* is not given,
    rows of another year are refused; a stored year that would shrink needs *replace*.

    *year* supplies the year for files without a year column (else taken from the file
    name); *years* keeps only those years; see the module docstring for *world* and
    *collapse*.  *hs* records the HS revision (else the file's classification codes,
    e.g. ``H5``, are recorded).  Returns rows per year and the cleaning counts as warnings.
    """
    import duckdb

    from econsec.data.store import sha256_of

    path = Path(path)
    say = progress or (lambda _msg: None)
    header, first_width = read_header(path)
    cols = resolve_columns(path, header)
    if "year" not in cols:
        year = year if year is not None else _year_from_name(path)
        if year is None:
            raise DataError(path, "no year column and no year in the file name: pass --year",
                            line=1, field="year")
    schema: dict[str, str] = {}
    for name in header:
        field = next((f for f, n in cols.items() if n == name), None)
        schema[name] = _NUMERIC.get(field or "", "VARCHAR")
    for extra in range(first_width - len(header)):  # trailing empty field(s) of API files
        schema[f"_extra{extra}"] = "VARCHAR"
    warnings: list[str] = []
    con = duckdb.connect()
    try:
        reset_rejects(con)
        register_codes(con)
        con.executemany("INSERT INTO baci_codes VALUES (?, ?)", list(COMTRADE_EXTRA_CODES.items()))
        say(f"reading {path.name}")
        read_into(con, "src", path, read_csv_sql(path, schema))
        if has_invalid_unicode(con):  # older Comtrade downloads are latin-1 (Côte d'Ivoire)
            reset_rejects(con)
            con.execute("DROP TABLE src")
            read_into(con, "src", path, read_csv_sql(path, schema, encoding="latin-1"))
            warnings.append(f"{path.name}: not UTF-8; read as latin-1")
        raise_first_reject(con, path)
        total = _count(con, "src")
        con.execute("CREATE TEMP TABLE dedup AS SELECT DISTINCT * FROM src")
        con.execute("DROP TABLE src")
        kept = _count(con, "dedup")
        if total > kept:
            warnings.append(f"{path.name}: {total - kept:,} exact duplicate records dropped "
                            f"({kept:,} of {total:,} kept)")

        def col(field: str, default: str = "NULL") -> str:
            return f'"{cols[field]}"' if field in cols else default

        year_sql = col("year", str(year))
        flow_sql = (
            "CASE trim(CAST({f} AS VARCHAR)) WHEN '1' THEN 'M' WHEN '2' THEN 'X' "
            "WHEN '3' THEN 'RX' WHEN '4' THEN 'RM' ELSE upper(trim(CAST({f} AS VARCHAR))) END"
        ).format(f=col("flow"))
        con.execute(
            f"CREATE TEMP TABLE raw AS SELECT CAST({year_sql} AS INTEGER) AS year, "
            f"{col('reporter')} AS reporter, {col('partner')} AS partner, {flow_sql} AS flow, "
            f"trim(CAST({col('cmd')} AS VARCHAR)) AS cmd, {col('value')} AS value, "
            f"{col('netwgt')} AS netwgt, "
            f"trim(CAST({col('customs')} AS VARCHAR)) AS customs, {col('mot')} AS mot, "
            f"{col('partner2')} AS partner2, upper(trim(CAST({col('freq')} AS VARCHAR))) "
            f"AS freq, trim(CAST({col('classification')} AS VARCHAR)) AS classification, "
            f"trim(CAST({col('period', year_sql)} AS VARCHAR)) AS period "
            "FROM dedup"
        )
        con.execute("DROP TABLE dedup")
        say("validating")
        _check_raw(con, path, header, cols)
        named = {int(y) for y in _YEAR_IN_NAME.findall(path.name)}
        if years is None and "year" in cols and len(named) == 1:
            check_years_match_name(con, path, "year", named.pop())
        warnings += _filter(con, path, years, world)
        if _count(con, "raw") == 0:
            raise DataError(path, "no bilateral records left after cleaning (see warnings: "
                            + "; ".join(warnings) + ")")
        n_keys = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT year, period, reporter, partner, cmd, "
            "flow FROM raw)"
        ).fetchone()
        n_rows = _count(con, "raw")
        monthly = con.execute("SELECT count(*) FROM raw WHERE freq = 'M'").fetchone()
        agg = "max" if collapse == "max" else "sum"
        if n_keys and n_keys[0] < n_rows:
            warnings.append(
                f"{path.name}: {n_rows - n_keys[0]:,} records share (year, reporter, partner, "
                f"commodity, flow) with another; collapsed by {agg}"
            )
        if monthly and monthly[0]:
            warnings.append(f"{path.name}: {monthly[0]:,} monthly records summed to years")
        classes = [str(r[0]) for r in con.execute(
            "SELECT DISTINCT classification FROM raw WHERE classification IS NOT NULL "
            "ORDER BY 1").fetchall()]
        revision = hs.upper() if hs else (",".join(classes) or None)
        say("writing Parquet")
        rep = "coalesce(rc.iso3, CASE WHEN r.reporter = 0 THEN 'WLD' END)"
        par = "coalesce(pc.iso3, CASE WHEN r.partner = 0 THEN 'WLD' END)"
        select = f"""
            WITH per_period AS (
                SELECT r.year, r.period, r.flow, r.cmd,
                       {rep} AS rep, {par} AS par,
                       {agg}(r.value) AS value, {agg}(r.netwgt) AS netwgt
                FROM raw r LEFT JOIN baci_codes rc ON r.reporter = rc.code
                           LEFT JOIN baci_codes pc ON r.partner = pc.code
                GROUP BY ALL
            )
            SELECT year,
                   CASE WHEN flow IN ('X', 'RX', 'DX') THEN rep ELSE par END AS exporter,
                   CASE WHEN flow IN ('X', 'RX', 'DX') THEN par ELSE rep END AS importer,
                   cmd AS product, sum(value) AS value, sum(netwgt) / 1000.0 AS quantity,
                   'comtrade:' || flow AS flow_source
            FROM per_period GROUP BY ALL
        """
        with staging(store) as stage:
            copy_to_staging(con, select, stage)
            say("checksum and commit")
            stats = commit_panel(store, dataset, stage, source_file=path,
                                 sha256=sha256_of(path), hs_revision=revision,
                                 licence=LICENCE, note="UN Comtrade (reporter-declared)",
                                 replace=replace)
    finally:
        con.close()
    return ImportReport(dataset, {f"year={s.year}": s.rows for s in stats}, path, LICENCE,
                        warnings)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _filter(
    con: duckdb.DuckDBPyConnection, path: Path, years: Iterable[int] | None, world: str
) -> list[str]:
    """Drop breakdown records, World/areas-nes partners and unwanted years; report counts."""
    warnings: list[str] = []
    nes = ", ".join(str(c) for c in sorted(AREAS_NES))
    steps: list[tuple[str, str]] = [
        ("breakdown records (customs procedure, mode of transport or 2nd partner not total)",
         "coalesce(customs, 'C00') NOT IN ('C00', '') OR coalesce(mot, 0) <> 0 "
         "OR coalesce(partner2, 0) <> 0"),
        ("records with a 'nes'/special area partner or reporter (bunkers, free zones ...)",
         f"partner IN ({nes}) OR reporter IN ({nes})"),
        ("records with a domestic partner (reporter = partner)", "reporter = partner"),
    ]
    if world == "drop":
        steps.append(("partner World (0) records (pass world='keep' / --world keep to keep "
                      "them as WLD)", "partner = 0 OR reporter = 0"))
    elif world != "keep":
        raise ValueError(f"world must be 'drop' or 'keep', not {world!r}")
    if years is not None:
        wanted = ", ".join(str(int(y)) for y in years) or "NULL"
        steps.append(("records of other years", f"year NOT IN ({wanted})"))
    for label, condition in steps:
        row = con.execute(
            f"SELECT count(*), coalesce(sum(value), 0) FROM raw WHERE {condition}"
        ).fetchone()
        if row and row[0]:
            con.execute(f"DELETE FROM raw WHERE {condition}")
            warnings.append(f"{path.name}: {row[0]:,} {label} dropped (USD {row[1]:,.0f})")
    return warnings
