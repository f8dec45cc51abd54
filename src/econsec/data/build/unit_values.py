"""Unit values (USD per tonne) per good and year from published trade quantities.

For good *g* with HS6 codes ``K_g`` (``goods.csv``, column ``hs6``), a dataset *d* and a
year *t*, over the rows *r* of *d* with a code in ``K_g``, year *t* and a positive
quantity:

    unit_value(g, t, d) = sum_r value_r / sum_r quantity_r      (USD per tonne)

summed over every trading pair the dataset holds (world trade as far as the dataset
goes, never one pair). Rows without a quantity are left out of both sums (a value with
no tonnage would bias the ratio up) and counted in the note. Datasets
(``../shared/data``, each with its PROVENANCE.md):

1. ``trade_critical_materials_atlas/pipeline/trade.parquet``: CEPII BACI HS17 V202601,
   2024, every exporter -> importer flow of 30 critical-material codes, ``value_kusd``
   (thousand USD) and ``qty_t`` (tonnes); the complete world trade of the code;
2. ``comtrade_cmm_pnnl/*_trade_data.csv``: UN Comtrade annual reports 2020-2024, the
   records with partner World of the two reporters (U.S. and China, imports and
   exports), ``primaryValue`` (USD) and ``netWgt`` (kg);
3. ``comtrade_china_ga_ge_graphite_monthly/deep_dive_hs6_monthly.csv``: China's monthly
   exports to 39 partners, 2017-2024, ``val`` (USD) and ``qty`` (kg), summed over the
   partners and months of the year.

A good with no code any dataset holds gets no unit value (never a guess): its tonnes are
reported as missing with the reason (:func:`econsec.data.world.World.unit_value`). The
codes' caveats stand: HS 811292 mixes gallium, germanium, hafnium, indium, niobium and
vanadium, and 280429 neon with helium, so their unit values are those of the mix.

**Order** (the first-listed row of a (good, year) is the one used, as for the share
tables): the good's order in ``goods.csv``, the year, then the position in the good's
``hs6`` list of the first code the row covers (natural graphite: the flake code 250410
before 250490), then the dataset in the order above (the most complete first).
References: Gaulier & Zignago (2010), BACI, CEPII WP 2010-23; UN Comtrade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econsec.data.build.trade import ATLAS, PNNL, _number, _rows_of
from econsec.domain.years import ranges_text
from econsec.errors import DataError

MONTHLY = "comtrade_china_ga_ge_graphite_monthly"
BACI_FILE = "pipeline/trade.parquet"
MONTHLY_FILE = "deep_dive_hs6_monthly.csv"
#: dataset folder -> (position in the order, source id, edition, basis)
DATASETS = {
    ATLAS: (0, "d_baci_v202601", "BACI HS17 V202601",
            "world trade, all flows (BACI, mirror-reconciled)"),
    PNNL: (1, "d_comtrade_pnnl", "UN Comtrade v1 API pull of 2025-12-28",
           "U.S. and Chinese trade with the World (Comtrade, reporter-declared)"),
    MONTHLY: (2, "d_comtrade_china_monthly", "qennis/ChinaCriticalMineralComtrade @ 44040f4",
              "China's exports to 39 partners (Comtrade monthly, summed over the year)"),
}


@dataclass
class _Sum:
    """Value (USD) and quantity (tonnes) of one code and year in one dataset, and the
    rows (line numbers, or parquet row positions) they come from."""

    value: float = 0.0
    tonnes: float = 0.0
    rows: list[int] = field(default_factory=list)
    skipped: int = 0  # rows with a value but no quantity


def _add(sums: dict[tuple[int, str], _Sum], year: int, code: str, row: int,
         value: float, tonnes: float | None) -> None:
    cell = sums.setdefault((year, code), _Sum())
    if tonnes is None or tonnes <= 0:
        cell.skipped += 1
        return
    cell.value += value
    cell.tonnes += tonnes
    cell.rows.append(row)


def _baci(data: Path, codes: set[str], messages: list[str]) -> dict[tuple[int, str], _Sum]:
    import pandas as pd

    path = data / ATLAS / BACI_FILE
    frame = pd.read_parquet(path, columns=["year", "hs6", "value_kusd", "qty_t"])
    sums: dict[tuple[int, str], _Sum] = {}
    for pos, (year, code, kusd, qty) in enumerate(frame.itertuples(index=False)):
        code = str(code)
        if code not in codes:
            continue
        if kusd != kusd or kusd < 0:
            raise DataError(path, f"{kusd!r} (row {pos}, 0-based) is not a trade value",
                            field="value_kusd")
        _add(sums, int(year), code, pos, float(kusd) * 1000.0,
             None if qty != qty else float(qty))
    return sums


def _pnnl_files(data: Path) -> list[Path]:
    """The PNNL files read (light_ree is the same query as heavy_ree, PROVENANCE)."""
    return sorted(p for p in (data / PNNL).glob("*_trade_data.csv")
                  if not p.name.startswith("light_ree"))


#: PNNL rows span several files: a row is recorded as (file index) * _FILE_TAG + line
_FILE_TAG = 1_000_000


def _pnnl(data: Path, codes: set[str], messages: list[str]) -> dict[tuple[int, str], _Sum]:
    sums: dict[tuple[int, str], _Sum] = {}
    required = ("refYear", "partnerCode", "cmdCode", "primaryValue", "netWgt")
    for index, path in enumerate(_pnnl_files(data)):
        text = path.read_text(encoding="utf-8-sig")
        if "netWgt" not in text.partition("\n")[0].split(","):
            messages.append(f"unit values: {path} has no netWgt column; no unit value "
                            "derived from it")
            continue
        for line, rec in _rows_of(path, text, required):
            code = rec["cmdCode"].strip()
            if code not in codes or rec["partnerCode"].strip() != "0":
                continue
            value = _number(path, line, "primaryValue", rec["primaryValue"])
            kg = rec["netWgt"].strip()
            tonnes = _number(path, line, "netWgt", kg) / 1000.0 if kg else None
            _add(sums, int(rec["refYear"]), code, index * _FILE_TAG + line, value, tonnes)
    return sums


def _monthly(data: Path, codes: set[str], messages: list[str]
             ) -> dict[tuple[int, str], _Sum]:
    path = data / MONTHLY / MONTHLY_FILE
    sums: dict[tuple[int, str], _Sum] = {}
    for line, rec in _rows_of(path, path.read_text(encoding="utf-8-sig"),
                              ("period_dt", "hs6", "val", "qty")):
        code = rec["hs6"].strip()
        if code not in codes:
            continue
        value = _number(path, line, "val", rec["val"])
        kg = rec["qty"].strip()
        tonnes = _number(path, line, "qty", kg) / 1000.0 if kg else None
        _add(sums, int(rec["period_dt"][:4]), code, line, value, tonnes)
    return sums


def _pnnl_cell(data: Path, rows: list[int]) -> tuple[str, str]:
    """(file(s), lines) of tagged PNNL rows."""
    files = [p.name for p in _pnnl_files(data)]
    by_file: dict[str, list[int]] = {}
    for r in rows:
        by_file.setdefault(files[r // _FILE_TAG], []).append(r % _FILE_TAG)
    names = sorted(by_file)
    lines = "; ".join(f"{n}: lines {ranges_text(by_file[n], '+')}" if len(names) > 1
                      else f"lines {ranges_text(by_file[n], '+')}" for n in names)
    return ";".join(names), lines


def unit_value_rows(data: Path, goods_hs6: dict[str, tuple[str, ...]]
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of ``unit_values.csv`` (module docstring) derived from the datasets in
    *data* for the goods of *goods_hs6* (good -> HS6 codes, in ``goods.csv`` order), and
    the build's messages (a dataset file that is missing)."""
    codes = {c for cs in goods_hs6.values() for c in cs}
    messages: list[str] = []
    readers = ((ATLAS, data / ATLAS / BACI_FILE, _baci),
               (PNNL, data / PNNL, _pnnl),
               (MONTHLY, data / MONTHLY / MONTHLY_FILE, _monthly))
    sums: dict[str, dict[tuple[int, str], _Sum]] = {}
    for name, path, read in readers:
        if not path.exists():
            messages.append(f"unit values: {path} not found; no unit value derived from "
                            f"{name}")
            continue
        sums[name] = read(data, codes, messages)
    order = {g: i for i, g in enumerate(goods_hs6)}
    out: list[dict[str, Any]] = []
    for good, good_codes in goods_hs6.items():
        for name, by_key in sums.items():
            years = sorted({y for y, c in by_key if c in good_codes})
            for year in years:
                held = [c for c in good_codes if (year, c) in by_key]
                row = _row(data, good, year, name, [(c, by_key[(year, c)]) for c in held],
                           good_codes)
                if row is not None:
                    row["_order"] = (order[good], year, row["_rank"], DATASETS[name][0])
                    out.append(row)
    out.sort(key=lambda r: r["_order"])
    return out, messages


def _row(data: Path, good: str, year: int, dataset: str, cells: list[tuple[str, _Sum]],
         good_codes: tuple[str, ...]) -> dict[str, Any] | None:
    value = sum(s.value for _, s in cells)
    tonnes = sum(s.tonnes for _, s in cells)
    if tonnes <= 0:
        return None
    used = [c for c, s in cells if s.rows]
    skipped = sum(s.skipped for _, s in cells)
    n = sum(len(s.rows) for _, s in cells)
    _, source, edition, basis = DATASETS[dataset]
    rows = [r for _, s in cells for r in s.rows]
    # the rows: by their filter where there are hundreds (every row matching it is summed),
    # by line where there are a few
    every = f"{n} of {n + skipped}" if skipped else f"all {n}"
    if dataset == ATLAS:
        file = BACI_FILE
        where = (f"rows with hs6 {' or '.join(used)}, year {year} and qty_t present "
                 f"({every})")
        columns = "value_kusd x 1000 / qty_t"
    elif dataset == PNNL:
        file, where = _pnnl_cell(data, rows)
        columns = "primaryValue / (netWgt / 1000), partnerCode 0 (World)"
    else:
        file = MONTHLY_FILE
        where = (f"rows with hs6 {' or '.join(used)}, period_dt in {year} and qty > 0 "
                 f"({every}; lines {min(rows)}-{max(rows)})")
        columns = "val / (qty / 1000), summed over partners and months"
    codes = ";".join(used)
    left_out = f"; {skipped} row(s) without a quantity left out" if skipped else ""
    return {
        "good": good, "year": year, "usd_per_t": round(value / tonnes, 2),
        "value_usd": round(value, 2), "quantity_t": round(tonnes, 3), "hs6": codes,
        "basis": basis, "source": source,
        "note": (f"{value:,.0f} USD / {tonnes:,.3f} t of HS {codes.replace(';', '+')} in "
                 f"{year} over {n} rows{left_out}"),
        "dataset": dataset, "edition": edition, "file": file,
        "cell": f"{where}; columns {columns}",
        "_rank": min(good_codes.index(c) for c in used),
    }

