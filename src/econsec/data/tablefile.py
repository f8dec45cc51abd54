"""Strict reading of the built-in world's CSV tables.

Each table is declared as a tuple of :class:`Column`; :func:`read_table` checks the
header, parses every cell to its declared kind and rejects duplicate keys, raising
:class:`econsec.errors.DataError` with the file, the 1-based line and the column.
The returned frame keeps the line of each row in ``_line`` for later cross-checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import pandas as pd

from econsec.data.yamlfile import bad_character, decode_text
from econsec.errors import DataError

#: Largest world table read (the built-in ones are < 100 kB).
MAX_BYTES = 64 * 1024 * 1024

Kind = Literal["str", "id", "code", "float", "fraction", "int", "year", "bool", "date", "hs6list"]

ID_RE = re.compile(r"^[a-z0-9_]+$")
CODE_RE = re.compile(r"^[A-Z]{3}$")
HS6_RE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Column:
    """One declared column: name, kind, and whether an empty cell is allowed."""

    name: str
    kind: Kind = "str"
    required: bool = True


def parse_cell(raw: str, col: Column) -> Any:
    """Parse one cell; raise ValueError with a human message on a bad value."""
    text = raw.strip()
    bad = bad_character(text)
    if bad is not None:
        raise ValueError(f"control character {bad} (NUL and control characters are refused)")
    if text == "":
        if col.required:
            raise ValueError("empty, but a value is required")
        return None
    kind = col.kind
    if kind == "str":
        return text
    if kind == "id":
        if not ID_RE.match(text):
            raise ValueError(f"'{text}' is not an id of lower-case letters, digits and _")
        return text
    if kind == "code":
        if not CODE_RE.match(text):
            raise ValueError(f"'{text}' is not a three-letter upper-case economy code")
        return text
    if kind in ("float", "fraction"):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        if value != value:
            raise ValueError("NaN is not allowed")
        if kind == "fraction" and not 0.0 <= value <= 1.0:
            raise ValueError(f"{value} is outside [0, 1]")
        return value
    if kind in ("int", "year"):
        try:
            value_i = int(text)
        except ValueError:
            raise ValueError(f"'{text}' is not an integer") from None
        if kind == "year" and not 1900 <= value_i <= 2100:
            raise ValueError(f"{value_i} is not a plausible year")
        return value_i
    if kind == "bool":
        low = text.lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise ValueError(f"'{text}' is not true/false")
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{text}' is not an ISO date (YYYY-MM-DD)") from None
    if kind == "hs6list":
        codes = tuple(c.strip() for c in text.split(";") if c.strip())
        for c in codes:
            if not HS6_RE.match(c):
                raise ValueError(f"'{c}' is not a six-digit HS code")
        return codes
    raise AssertionError(kind)


def read_text(path: Path) -> str:
    """The text of a world table: at most :data:`MAX_BYTES` bytes, UTF-8 (BOM dropped), no
    NUL; a :class:`DataError` naming the file (and line) otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(path, f"file of {size:,} bytes is larger than the {MAX_BYTES:,} "
                            "bytes a world table may have")
        return decode_text(path, path.read_bytes())
    except FileNotFoundError as exc:
        raise DataError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise DataError(path, "is a folder, not a file") from exc


def read_table(
    path: Path,
    columns: Sequence[Column],
    *,
    key: Sequence[str] = (),
    min_rows: int = 0,
) -> pd.DataFrame:
    """Read *path* as declared by *columns*; *key* columns must be unique together.

    Extra columns are ignored only if they start with ``_``; any other unknown column is
    an error (it is probably a typo of a declared one).  Fewer than *min_rows* data rows
    (a header-only file of a table that cannot be empty) is an error.  The file must be
    UTF-8 text of at most :data:`MAX_BYTES` bytes; NUL and control characters are refused.
    """
    text = read_text(path)
    rows: list[dict[str, Any]] = []
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(path, "file is empty (no header line)", line=1) from None
        except csv.Error as exc:
            raise DataError(path, f"malformed CSV: {exc}", line=1) from exc
        header = [h.strip() for h in header]
        declared = {c.name for c in columns}
        for name in header:
            if name not in declared and not name.startswith("_"):
                raise DataError(path, "unknown column", line=1, field=name)
        for col in columns:
            if col.name not in header:
                raise DataError(path, "required column is missing", line=1, field=col.name)
        index = {name: i for i, name in enumerate(header)}
        seen: dict[tuple[Any, ...], int] = {}
        line = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise DataError(
                    path, f"malformed CSV (unterminated quote?): {exc}", line=reader.line_num
                ) from exc
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise DataError(
                    path,
                    f"row has {len(fields)} fields but the header has {len(header)}"
                    " (truncated or misquoted line)",
                    line=line,
                )
            row: dict[str, Any] = {"_line": line}
            for col in columns:
                try:
                    row[col.name] = parse_cell(fields[index[col.name]], col)
                except ValueError as exc:
                    raise DataError(path, str(exc), line=line, field=col.name) from None
            if key:
                k = tuple(row[c] for c in key)
                if k in seen:
                    raise DataError(
                        path,
                        f"duplicate key {k} (first on line {seen[k]})",
                        line=line,
                        field=",".join(key),
                    )
                seen[k] = line
            rows.append(row)
    if len(rows) < min_rows:
        raise DataError(path, f"no data rows (header only): this table needs at least "
                        f"{min_rows} row{'s' if min_rows > 1 else ''}", line=2)
    frame = pd.DataFrame(rows, columns=["_line", *[c.name for c in columns]])
    return frame


def records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Rows as attribute objects (``row._line`` works, unlike ``itertuples``)."""
    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and v != v else v

    return [SimpleNamespace(**{k: clean(v) for k, v in r.items()})
            for r in frame.to_dict("records")]
