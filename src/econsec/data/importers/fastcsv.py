"""Fast, strict reading of big trade CSVs with DuckDB, reporting file, line and column.

Why: a BACI year is ~11M lines; :mod:`econsec.data.importers.csvread` (pure Python, every
cell a ``str``) is far too slow for it.  DuckDB's ``read_csv`` with an explicit schema
parses it in seconds on two cores; with ``store_rejects`` it records every line it could
not parse (wrong field count, non-numeric value) with its line number and column, which
:func:`raise_first_reject` turns into a :class:`~econsec.errors.DataError`.

Problems DuckDB cannot see (an unknown country code, a malformed product code, a negative
value) are found afterwards with a set query, and only then located in the file by a
Python scan (:func:`locate`), so the fast path never pays for line bookkeeping.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from econsec.errors import DataError

if TYPE_CHECKING:
    import duckdb

REJECTS_TABLE = "econsec_rejects"
REJECTS_SCAN = "econsec_reject_scans"


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline=""
        )
    return path.open("r", encoding="utf-8-sig", errors="replace", newline="")


def read_header(path: Path) -> tuple[list[str], int]:
    """(header names stripped, number of fields in the first data record).

    The second figure shows files whose data lines carry a trailing empty field that the
    header lacks (Comtrade+ API downloads do).  A UTF-16 or binary file, or a corrupt
    ``.gz``, is a DataError saying so.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    gz = path.suffix == ".gz"
    try:
        with (gzip.open(path, "rb") if gz else path.open("rb")) as raw:
            head = raw.read(8192)
            if gz:  # read to the end: checks the CRC and length (older DuckDB releases
                while raw.read(1 << 24):  # read a truncated .gz without an error)
                    pass
        _sniff(path, head)
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            first = next(reader, None)
    except (OSError, EOFError, zlib.error) as exc:
        what = "corrupt or truncated gzip file" if gz else "cannot read the file"
        raise DataError(path, f"{what}: {exc}", line=1) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(path, f"cannot read the header: {exc}", line=1) from None
    if not header or not any(h.strip() for h in header):
        raise DataError(path, "empty file: no header", line=1)
    names = [h.strip() for h in header]
    return names, len(first) if first is not None else len(names)


def _sniff(path: Path, head: bytes) -> None:
    """DataError for a UTF-16 or binary file, from its first bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(path, "file is UTF-16 text: save it as UTF-8 CSV", line=1)
    if b"\x00" in head:
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise DataError(path, "binary file (NUL bytes), not CSV text", line=line)


def require_columns(path: Path, header: Sequence[str], required: Sequence[str]) -> None:
    """DataError at line 1 naming the first *required* column missing from *header*."""
    for name in required:
        if name not in header:
            raise DataError(
                path, f"missing column (header has: {', '.join(header)})", line=1, field=name
            )


def read_csv_sql(
    path: Path,
    columns: Mapping[str, str],
    *,
    nullstr: Sequence[str] = ("",),
    encoding: str = "utf-8",
) -> str:
    """A DuckDB ``read_csv(...)`` expression with an explicit schema and rejects stored.

    *columns* maps every header column, in file order, to a DuckDB type.  Unparseable lines
    are skipped and logged in the temporary table ``econsec_rejects`` (see
    :func:`raise_first_reject`).
    """
    spec = ", ".join(f"'{_q(name)}': '{typ}'" for name, typ in columns.items())
    nulls = ", ".join(f"'{_q(n)}'" for n in nullstr)
    return (
        f"read_csv('{_q(str(path))}', header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', columns = {{{spec}}}, nullstr = [{nulls}], "
        f"store_rejects = true, rejects_table = '{REJECTS_TABLE}', "
        f"rejects_scan = '{REJECTS_SCAN}', strict_mode = true, encoding = '{encoding}')"
    )


def read_into(con: duckdb.DuckDBPyConnection, table: str, path: Path, from_sql: str) -> None:
    """``CREATE TEMP TABLE table AS SELECT * FROM from_sql``; a file DuckDB cannot read (a
    corrupt or truncated ``.gz``, a folder, an unreadable file) becomes a DataError naming
    the file instead of a DuckDB exception."""
    import duckdb

    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {from_sql}")
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = ("corrupt or truncated gzip file" if path.suffix == ".gz"
                else "cannot read the file")
        raise DataError(path, f"{what}: {detail}") from None


def _q(text: str) -> str:
    return text.replace("'", "''")


def reset_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the rejects tables of a previous read on this connection."""
    con.execute(f"DROP TABLE IF EXISTS {REJECTS_TABLE}")
    con.execute(f"DROP TABLE IF EXISTS {REJECTS_SCAN}")


def has_invalid_unicode(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the last read rejected a line for not being UTF-8 (retry as latin-1)."""
    try:
        row = con.execute(
            f"SELECT 1 FROM {REJECTS_TABLE} "
            "WHERE error_type IN ('INVALID UNICODE', 'INVALID ENCODING') LIMIT 1"
        ).fetchone()
    except Exception:
        return False
    return row is not None


def raise_first_reject(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise a DataError for the first line DuckDB rejected while reading *path*, if any."""
    try:
        row = con.execute(
            f"SELECT line, column_name, error_type, error_message, csv_line "
            f"FROM {REJECTS_TABLE} ORDER BY line, column_idx LIMIT 1"
        ).fetchone()
    except Exception:  # no rejects table: nothing was rejected
        return
    if row is None:
        return
    line, column, kind, message, text = row
    kind = str(kind)
    if kind == "MISSING COLUMNS":
        what = f"truncated record (file cut off?): {message}"
    elif kind == "TOO MANY COLUMNS":
        what = f"more fields than the header: {message}"
    elif kind == "CAST":
        bad = _cell_of(str(text or ""), str(column), path)
        what = f"{bad!r} is not a number" if bad is not None else str(message)
    else:
        what = f"{kind.lower()}: {message}"
    raise DataError(path, what, line=int(line), field=str(column))


def _cell_of(csv_line: str, column: str, path: Path) -> str | None:
    """The cell of *column* in one raw CSV line (for a readable message)."""
    try:
        header, _ = read_header(path)
        cells = next(csv.reader([csv_line.strip("\r\n")]))
        return cells[header.index(column)]
    except (StopIteration, ValueError, IndexError, DataError):
        return None


def iter_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) for every data record of *path*."""
    with _open_text(Path(path)) as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1


def locate(
    path: Path,
    header: Sequence[str],
    column: str,
    predicate: Callable[[str], bool],
) -> int | None:
    """Line of the first record whose *column* cell satisfies *predicate* (or None).

    A slow Python scan used only once an error is known to exist.
    """
    idx = list(header).index(column)
    for line, row in iter_records(path):
        if idx < len(row) and predicate(row[idx].strip()):
            return line
    return None


def fail_at(
    path: Path,
    header: Sequence[str],
    column: str,
    predicate: Callable[[str], bool],
    message: str,
) -> DataError:
    """A DataError naming the first line where *predicate* holds for *column* (to raise)."""
    return DataError(path, message, line=locate(path, header, column, predicate), field=column)
