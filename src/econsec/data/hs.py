"""Harmonized System (HS) product codes: nomenclature tables and code normalisation.

Why: goods in econsec carry HS 2022 six-digit codes, and every trade file writes them
differently (``8542.31``, ``10121`` with the leading zero lost by a spreadsheet, ``"010121"``).
:func:`normalize_hs6` gives the one canonical form; :func:`read_hs_nomenclature` reads the
two code lists we meet — the datahub/UN Comtrade ``harmonized-system.csv`` and the CEPII BACI
``product_codes_HS22_V*.csv`` — into one shape.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from econsec.data.importers.csvread import CsvTable, read_csv_strict
from econsec.errors import DataError

_HS_CLEAN_RE = re.compile(r"[\s.\-]")

HS_COLUMNS = ["hscode", "description", "level", "parent", "section"]


def normalize_hs6(code: str | int) -> str:
    """Return *code* as a zero-padded six-digit HS subheading string.

    Accepts ints (``10121`` -> ``'010121'``), strings with dots or spaces
    (``'8542.31'`` -> ``'854231'``) and five-digit strings that lost their leading zero.
    Raises ``ValueError`` for anything else (letters, 2/4/8/10-digit codes, negatives).

    >>> normalize_hs6(10121), normalize_hs6("8542.31")
    ('010121', '854231')
    """
    if isinstance(code, bool):
        raise ValueError(f"{code!r} is not an HS code")
    if isinstance(code, int):
        if not 0 < code <= 999_999:
            raise ValueError(f"{code} is not a six-digit HS code")
        return f"{code:06d}"
    text = _HS_CLEAN_RE.sub("", str(code))
    if not text.isdigit() or len(text) not in (5, 6):
        raise ValueError(f"{code!r} is not a six-digit HS code")
    return text.zfill(6)


def read_hs_nomenclature(path: Path) -> pd.DataFrame:
    """Read an HS code list into ``hscode, description, level, parent, section``.

    Two formats are recognised from the header:

    * datahub / UN Comtrade ``harmonized-system.csv`` (``section, hscode, description,
      parent, level``; chapters, headings and subheadings; the ``TOTAL`` row is dropped);
    * CEPII BACI ``product_codes_HS22_V*.csv`` (``code, description``; subheadings only:
      ``level`` 6, ``parent`` the four-digit heading, ``section`` unknown).

    Raises :class:`~econsec.errors.DataError` naming file, line and field on a bad code,
    a missing column or a duplicate code.
    """
    path = Path(path)
    probe = read_csv_strict(path)
    header = set(probe.header)
    if {"hscode", "description", "level", "parent", "section"} <= header:
        table = read_csv_strict(
            path, required=["section", "hscode", "description", "parent", "level"]
        )
        frame = table.frame
        keep = frame["hscode"].str.strip() != "TOTAL"
        rows = []
        for i in frame.index[keep]:
            code = frame.at[i, "hscode"].strip()
            level_text = frame.at[i, "level"].strip()
            if not code.isdigit() or len(code) not in (2, 4, 6):
                raise table.error(i, "hscode", f"{code!r} is not a 2, 4 or 6 digit HS code")
            if level_text != str(len(code)):
                raise table.error(i, "level", f"level {level_text!r} does not match code {code}")
            parent = frame.at[i, "parent"].strip()
            rows.append(
                {
                    "hscode": code,
                    "description": frame.at[i, "description"].strip(),
                    "level": len(code),
                    "parent": None if parent in ("", "TOTAL") else parent,
                    "section": frame.at[i, "section"].strip() or None,
                }
            )
        out = pd.DataFrame(rows, columns=HS_COLUMNS)
        _check_unique(table, out, list(frame.index[keep]), "hscode")
    elif {"code", "description"} <= header:
        table = read_csv_strict(path, required=["code", "description"])
        frame = table.frame
        rows = []
        for i in frame.index:
            raw = frame.at[i, "code"]
            try:
                code = normalize_hs6(raw)
            except ValueError as exc:
                raise table.error(i, "code", str(exc)) from None
            rows.append(
                {
                    "hscode": code,
                    "description": frame.at[i, "description"].strip(),
                    "level": 6,
                    "parent": code[:4],
                    "section": None,
                }
            )
        out = pd.DataFrame(rows, columns=HS_COLUMNS)
        _check_unique(table, out, list(frame.index), "code")
    else:
        raise DataError(
            path,
            "not an HS code list: expected columns hscode, description, level, parent, "
            f"section (datahub) or code, description (CEPII BACI); found {sorted(header)}",
            line=1,
        )
    out["level"] = out["level"].astype("Int64")
    return out


def _check_unique(table: CsvTable, out: pd.DataFrame, rows: list[int], field: str) -> None:
    """Raise DataError at the first repeated code (*rows* maps out's rows to file rows)."""
    dup = out["hscode"].duplicated()
    if dup.any():
        pos = int(dup.to_numpy().nonzero()[0][0])
        raise table.error(rows[pos], field, f"duplicate code {out['hscode'].iloc[pos]}")
