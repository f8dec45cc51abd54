"""Bilateral import shares per importer, good and year from the trade extracts.

For importer *m*, HS6 code *k* (standing for a good, ``curated/derive_trade.csv``) and
year *t*:

    share(m, s) = value(s -> m, k, t) / total imports(m, k, t)

* **BACI** (``trade_critical_materials_atlas/baci_extract/baci_<year>.csv``: CEPII BACI
  HS17 V202601, complete flows, value in USD): the total is the sum over all exporters.
* **Comtrade, PNNL pull** (``comtrade_cmm_pnnl/*_trade_data.csv``, 2020-2024): only the
  U.S. and China report, with partner World and each other, so the one supplier's share
  is its value over the World record (the rest is the ROW remainder).

The atlas' raw Comtrade extracts (``comtrade_raw/``) are not used: the 2024 file holds
several different records per reporter, partner and code that do not add up to the
reporter's World record (Germany's HS 250490 imports from China sum to 47 million USD
against a World record of 88 thousand), so no share can be read from them as they stand.

Suppliers outside ``economies.csv`` and shares below :data:`MIN_SHARE` are left to the
ROW remainder; shares are rounded to three decimals. The HS caveat of the code (e.g.
HS 811292 mixes gallium, germanium and hafnium) goes into ``basis`` and the note.
References: Gaulier & Zignago (2010), BACI, CEPII WP 2010-23; UN Comtrade.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econsec.data.build.spec import TradeRule
from econsec.data.codes import name_to_iso3, to_iso3
from econsec.data.importers.csvread import parse_number
from econsec.errors import DataError

MIN_SHARE = 0.01
"""Suppliers with a smaller share of an importer's imports go to the ROW remainder."""

ATLAS = "trade_critical_materials_atlas"
PNNL = "comtrade_cmm_pnnl"
_ISO3_EXTRA = {"S19": "TWN"}


@dataclass
class _Cell:
    value: float = 0.0
    lines: list[int] = field(default_factory=list)


@dataclass
class _Group:
    """The flows into one importer of one code in one year."""

    suppliers: dict[str, _Cell] = field(default_factory=dict)
    total: float = 0.0
    total_lines: list[int] = field(default_factory=list)
    world: _Cell | None = None


def _rows_of(path: Path, text: str,
             required: Iterable[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """(line, record) of a CSV text; DataError naming file, line and field when the
    header lacks a column or a record is short."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise DataError(path, f"no CSV header ({exc})", line=1) from None
    for name in required:
        if name not in header:
            raise DataError(path, "missing column", line=1, field=name)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            raise DataError(path, f"truncated record: {len(fields)} fields, the header has"
                            f" {len(header)}", line=line, field=header[len(fields)])
        yield line, dict(zip(header, fields, strict=False))


def _number(path: Path, line: int, name: str, text: str) -> float:
    try:
        value = parse_number(text.strip())
    except ValueError:
        value = None
    if value is None or value != value or value < 0:
        raise DataError(path, f"{text!r} is not a trade value", line=line, field=name)
    return float(value)


def _iso3(code: str, scheme: str) -> str | None:
    code = code.strip()
    if scheme == "iso3":
        if code in _ISO3_EXTRA:
            return _ISO3_EXTRA[code]
        return code if len(code) == 3 and name_to_iso3(code) == code else None
    try:
        return to_iso3(code, "baci")
    except KeyError:
        return None


def _by_code(rules: list[TradeRule], held: set[str]) -> dict[str, list[TradeRule]]:
    """code -> rules, keeping per good only its first code the dataset holds."""
    first: dict[str, str] = {}
    for rule in rules:
        if rule.hs6 in held and rule.good not in first:
            first[rule.good] = rule.hs6
    out: dict[str, list[TradeRule]] = {}
    for rule in rules:
        if first.get(rule.good) == rule.hs6:
            out.setdefault(rule.hs6, []).append(rule)
    return out


def baci_rows(data: Path, rules: list[TradeRule], importers: set[str]) -> list[dict[str, Any]]:
    """Import shares from the complete BACI extracts (total = sum over exporters)."""
    out: list[dict[str, Any]] = []
    codes = {r.hs6 for r in rules}
    for path in sorted((data / ATLAS / "baci_extract").glob("baci_*.csv")):
        year = _year(path)
        groups: dict[tuple[str, str], _Group] = {}
        for line, rec in _rows_of(path, path.read_text(encoding="utf-8-sig"),
                                  ("i", "j", "cmd", "value")):
            cmd = rec["cmd"].strip()
            if not re.fullmatch(r"\d{6}", cmd):
                raise DataError(path, f"{cmd!r} is not an HS6 code", line=line, field="cmd")
            value = _number(path, line, "value", rec["value"])
            exporter, importer = _iso3(rec["i"], "iso3"), _iso3(rec["j"], "iso3")
            if exporter is None or importer is None:
                bad = "i" if exporter is None else "j"
                raise DataError(path, f"unknown country code {rec[bad]!r}", line=line, field=bad)
            if cmd not in codes or importer not in importers:
                continue
            g = groups.setdefault((importer, cmd), _Group())
            g.total += value
            g.total_lines.append(line)
            cell = g.suppliers.setdefault(exporter, _Cell())
            cell.value += value
            cell.lines.append(line)
        held = {c for _, c in groups}
        out.extend(_emit(groups, _by_code(rules, held), year, "d_baci_v202601", ATLAS,
                         "BACI HS17 V202601", path.relative_to(data / ATLAS).as_posix(),
                         "BACI (mirror-reconciled)", "value", importers))
    return out


def pnnl_rows(data: Path, rules: list[TradeRule], importers: set[str]) -> list[dict[str, Any]]:
    """Importer-reported shares of the one partner the PNNL pull holds (U.S. <-> China)."""
    out: list[dict[str, Any]] = []
    codes = {r.hs6 for r in rules}
    for path in sorted((data / PNNL).glob("*_trade_data.csv")):
        if path.name.startswith("light_ree"):
            continue  # the same query as heavy_ree (PROVENANCE)
        groups: dict[tuple[int, str, str], _Group] = {}
        required = ("refYear", "reporterCode", "partnerCode", "flowCode", "cmdCode",
                    "primaryValue")
        for line, rec in _rows_of(path, path.read_text(encoding="utf-8-sig"), required):
            cmd = rec["cmdCode"].strip()
            if rec["flowCode"].strip() != "M" or cmd not in codes:
                continue
            reporter = _iso3(rec["reporterCode"], "un")
            if reporter not in importers:
                continue
            value = _number(path, line, "primaryValue", rec["primaryValue"])
            year = int(rec["refYear"])
            g = groups.setdefault((year, str(reporter), cmd), _Group())
            if rec["partnerCode"].strip() == "0":
                if g.world is not None:
                    raise DataError(path, "two World records for one reporter, code and year",
                                    line=line, field="partnerCode")
                g.world = _Cell(value, [line])
                continue
            partner = _iso3(rec["partnerCode"], "un")
            if partner is not None and partner != reporter:
                cell = g.suppliers.setdefault(partner, _Cell())
                cell.value += value
                cell.lines.append(line)
        for year in sorted({y for y, _, _ in groups}):
            sub = {(m, c): g for (y, m, c), g in groups.items() if y == year and g.world}
            held = {c for _, c in sub}
            out.extend(_emit(sub, _by_code(rules, held), year, "d_comtrade_pnnl", PNNL,
                             "UN Comtrade v1 API pull of 2025-12-28", path.name,
                             "Comtrade, importer-reported (CIF)", "primaryValue", importers))
    return out


def _year(path: Path) -> int:
    match = re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", path.name)
    if not match:
        raise DataError(path, "no year in the file name (expected e.g. baci_2022.csv)")
    return int(match.group(1))


def _emit(groups: dict[tuple[str, str], _Group], by_code: dict[str, list[TradeRule]],
          year: int, source: str, dataset: str, edition: str, file: str, what: str,
          column: str, economies: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for (importer, cmd), g in sorted(groups.items()):
        total = g.world.value if g.world is not None else g.total
        if total <= 0 or cmd not in by_code:
            continue
        tline = (f"line {g.world.lines[0]} (partner World)" if g.world is not None
                 else f"sum of {len(g.total_lines)} rows")
        for rule in by_code[cmd]:
            ranked = sorted(g.suppliers.items(), key=lambda kv: (-kv[1].value, kv[0]))
            for supplier, cell in ranked:
                share = cell.value / total
                if supplier not in economies or supplier == importer or share < MIN_SHARE:
                    continue
                out.append({
                    "importer": importer, "good": rule.good, "supplier": supplier,
                    "share": round(min(share, 1.0), 3), "year": year, "period": "",
                    "basis": rule.basis, "source": source,
                    "note": (f"{what}: {supplier} {cell.value:,.0f} USD of {importer}'s "
                             f"{total:,.0f} USD imports of HS {cmd} in {year}; {rule.caveat}"),
                    "dataset": dataset, "edition": edition, "file": file,
                    "cell": (f"line {'+'.join(map(str, cell.lines))}, column {column}; "
                             f"total: {tline}"),
                    "_rank": rule.rank,
                })
    return out
