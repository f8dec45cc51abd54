"""A strict CSV reader for raw public data files.

Why: public CSVs arrive with byte-order marks, trailing empty columns, thousands
separators, footnote markers and the occasional truncated download.  pandas' reader
guesses silently; an analyst needs to know *where* a file is wrong.  Every problem found
here raises :class:`econsec.errors.DataError` naming the file, the 1-based line where the
record starts and the field:

* a required column is missing (line 1, the header);
* a record has fewer fields than the header (truncated line) or more non-empty ones;
* a quoted field is never closed (unterminated quote, usually a cut-off file);
* a value is not a number / integer / date / boolean where one is required;
* two records share a key.

All cells are kept as ``str``; parse the ones you need with :func:`to_float`,
:func:`to_int`, :func:`to_date` and :func:`to_bool`, which report the offending line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from econsec.errors import DataError

T = TypeVar("T")

#: Cells read as missing by the number parsers unless told otherwise.
DEFAULT_NULLS = frozenset({""})

_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class CsvTable:
    """The cells of one CSV file as strings, with the line on which each record starts."""

    path: Path
    header: list[str]
    frame: pd.DataFrame
    lines: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def line(self, row: int) -> int:
        """1-based line number at which record *row* (a frame index label) starts."""
        return self.lines[int(row)]

    def error(self, row: int, column: str | None, message: str) -> DataError:
        """A :class:`DataError` for *row* and *column* of this file (to raise)."""
        return DataError(self.path, message, line=self.line(row), field=column)

    def __len__(self) -> int:
        return len(self.frame)

    def columns(self) -> dict[str, list[object]]:
        """Column -> its cells as a list, record by record (``columns()[c][i]`` is
        ``frame.at[i, c]``: the frame's index is 0 .. n-1); for loops over records, where
        one ``frame.at`` per cell costs microseconds of pandas indexing each."""
        return {str(c): self.frame[c].tolist() for c in self.frame.columns}


def _decode(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(path, f"not valid {encoding} text ({exc.reason})", line=line) from None


def _unterminated_field(text: str) -> int:
    """Index of the field whose opening quote is never closed in record *text*."""
    index, in_quotes, at_start = 0, False, True
    opened_at = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(text) and text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif ch == '"' and at_start:
            in_quotes, opened_at = True, index
        elif ch == ",":
            index += 1
            at_start = True
            i += 1
            continue
        elif ch in "\r\n":
            index, at_start = 0, True
            i += 1
            continue
        at_start = False
        i += 1
    return opened_at


def read_csv_strict(
    path: Path | str,
    *,
    required: Iterable[str] = (),
    key: Sequence[str] | None = None,
    encoding: str = "utf-8-sig",
    skip_blank_rows: bool = True,
    lenient_header: bool = False,
) -> CsvTable:
    """Read *path* strictly; see the module docstring for what is checked.

    *required* columns must be in the header; *key* columns must be unique together.
    Rows whose cells are all empty are skipped (they are common at the end of exports).
    Unnamed header columns are dropped when every cell in them is empty.

    With *lenient_header* (for messy upstream files such as USGS MCS), a repeated column
    name gets a ``.2``, ``.3`` ... suffix and values under unnamed columns are dropped;
    both are reported in :attr:`CsvTable.warnings` instead of raising.
    """
    warnings: list[str] = []
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    text = _decode(path, encoding)
    physical = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_row = next(reader)
    except StopIteration:
        raise DataError(path, "empty file: no header", line=1) from None
    except csv.Error as exc:
        raise DataError(path, f"bad header: {exc}", line=1) from None
    header = [h.strip() for h in header_row]
    named = [h for h in header if h]
    seen: set[str] = set()
    for j, name in enumerate(header):
        if not name:
            continue
        if name in seen:
            if not lenient_header:
                raise DataError(path, "column appears twice in the header", line=1, field=name)
            n = 2
            while f"{name}.{n}" in seen:
                n += 1
            header[j] = f"{name}.{n}"
            warnings.append(f"{path.name}: column {name!r} appears twice; renamed {header[j]!r}")
            name = header[j]
        seen.add(name)
    named = [h for h in header if h]
    for name in required:
        if name not in seen:
            raise DataError(
                path, f"missing column (header has: {', '.join(named)})", line=1, field=name
            )

    rows: list[list[str]] = []
    lines: list[int] = []
    width = len(header)
    prev_line = reader.line_num
    while True:
        start = prev_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            record = "".join(physical[start - 1 :])
            col = _unterminated_field(record)
            name = header[col] if col < width and header[col] else f"column {col + 1}"
            raise DataError(
                path,
                f"unterminated quoted field (file truncated?): {exc}",
                line=start,
                field=name,
            ) from None
        prev_line = reader.line_num
        if skip_blank_rows and all(not cell.strip() for cell in row):
            continue
        if len(row) < width:
            missing = header[len(row)] or f"column {len(row) + 1}"
            raise DataError(
                path,
                f"truncated record: {len(row)} fields, the header has {width}",
                line=start,
                field=missing,
            )
        if len(row) > width:
            extra = row[width:]
            if any(cell.strip() for cell in extra):
                raise DataError(
                    path,
                    f"{len(row)} fields, the header has {width}",
                    line=start,
                    field=f"column {width + 1}",
                )
            row = row[:width]
        rows.append(row)
        lines.append(start)

    # drop unnamed columns when they hold nothing
    keep: list[int] = []
    for j, name in enumerate(header):
        if name:
            keep.append(j)
            continue
        for r, row in enumerate(rows):
            if row[j].strip():
                if lenient_header:
                    warnings.append(
                        f"{path.name}: values in unnamed column {j + 1} (from line {lines[r]}) "
                        "ignored"
                    )
                    break
                raise DataError(
                    path, "value in a column with no header", line=lines[r], field=f"column {j + 1}"
                )
    columns = [header[j] for j in keep]
    frame = pd.DataFrame([[row[j] for j in keep] for row in rows], columns=columns, dtype=object)
    table = CsvTable(
        path=path,
        header=columns,
        frame=frame.reset_index(drop=True),
        lines=lines,
        warnings=warnings,
    )
    if key:
        check_unique(table, key)
    return table


def check_unique(table: CsvTable, key: Sequence[str]) -> None:
    """Raise DataError at the second record that repeats the values of *key* columns."""
    for name in key:
        if name not in table.frame.columns:
            raise DataError(table.path, "missing key column", line=1, field=name)
    if not len(table.frame):
        return
    keys = table.frame[list(key)].apply(lambda s: s.str.strip())
    dup = keys.duplicated(keep="first")
    if dup.any():
        pos = int(dup.to_numpy().nonzero()[0][0])
        values = tuple(keys.iloc[pos])
        first_pos = int((keys == keys.iloc[pos]).all(axis=1).to_numpy().nonzero()[0][0])
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))
        raise DataError(
            table.path,
            f"duplicate key ({shown}); first seen on line {table.lines[first_pos]}",
            line=table.lines[pos],
            field=",".join(key),
        )


def parse_number(text: str) -> float:
    """Parse ``'72,000'``, ``'1.5'``, ``' 330 '`` (NBSP too) to float; ValueError otherwise."""
    clean = text.replace("\u00a0", " ").strip()
    if _THOUSANDS_RE.match(clean):
        clean = clean.replace(",", "")
    value = float(clean)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _convert(
    table: CsvTable,
    column: str,
    parse: Callable[[str], T],
    what: str,
    nulls: Iterable[str],
) -> list[T | None]:
    if column not in table.frame.columns:
        raise DataError(table.path, "missing column", line=1, field=column)
    null_set = {n.strip() for n in nulls}
    out: list[T | None] = []
    for i, raw in zip(table.frame.index, table.frame[column], strict=True):
        text = str(raw).replace("\u00a0", " ").strip()
        if text in null_set:
            out.append(None)
            continue
        try:
            out.append(parse(text))
        except (ValueError, TypeError):
            raise table.error(i, column, f"{raw!r} is not {what}") from None
    return out


def to_float(
    table: CsvTable,
    column: str,
    *,
    nulls: Iterable[str] = DEFAULT_NULLS,
    low: float | None = None,
    high: float | None = None,
) -> pd.Series:
    """Column *column* as float (missing -> NaN), checking the range [low, high]."""
    values = _convert(table, column, parse_number, "a number", nulls)
    for i, v in zip(table.frame.index, values, strict=True):
        if v is None:
            continue
        if (low is not None and v < low) or (high is not None and v > high):
            raise table.error(i, column, f"{v} is outside [{low}, {high}]")
    return pd.Series(
        [float("nan") if v is None else v for v in values], index=table.frame.index, dtype=float
    )


def _parse_int(text: str) -> int:
    value = parse_number(text)
    if value != int(value):
        raise ValueError(text)
    return int(value)


def to_int(table: CsvTable, column: str, *, nulls: Iterable[str] = DEFAULT_NULLS) -> pd.Series:
    """Column *column* as nullable Int64."""
    values = _convert(table, column, _parse_int, "an integer", nulls)
    return pd.Series(values, index=table.frame.index, dtype="Int64")


def to_date(table: CsvTable, column: str, *, nulls: Iterable[str] = DEFAULT_NULLS) -> pd.Series:
    """Column *column* of ISO dates (``YYYY-MM-DD``) as ``datetime.date`` objects or None."""
    values = _convert(table, column, dt.date.fromisoformat, "an ISO date (YYYY-MM-DD)", nulls)
    return pd.Series(values, index=table.frame.index, dtype=object)


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "1", "t", "y"):
        return True
    if low in ("false", "no", "0", "f", "n"):
        return False
    raise ValueError(text)


def to_bool(table: CsvTable, column: str, *, nulls: Iterable[str] = DEFAULT_NULLS) -> pd.Series:
    """Column *column* as nullable boolean (true/false, yes/no, 1/0)."""
    values = _convert(table, column, _parse_bool, "a boolean (true/false, 1/0)", nulls)
    return pd.Series(values, index=table.frame.index, dtype="boolean")


def cells(table: CsvTable, column: str) -> pd.Series:
    """Column *column* stripped of surrounding white space (NBSP included)."""
    if column not in table.frame.columns:
        raise DataError(table.path, "missing column", line=1, field=column)
    return table.frame[column].map(lambda s: str(s).replace("\u00a0", " ").strip())
