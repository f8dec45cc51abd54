"""Writing result tables: terminal (rich), CSV, JSON, Parquet and Excel.

Every CLI table command goes through :func:`emit`, so the formats behave the same
everywhere: ``--format json`` prints a JSON array of row objects with snake_case keys,
``--out PATH`` writes the file instead of printing (xlsx and parquet need ``--out``: a
named error without it). Floats in csv, json and xlsx have :data:`SIGNIFICANT` (12)
significant digits (no ``0.020000000000000018``); Parquet keeps float64 as computed.

Spreadsheet safety (CSV and XLSX): a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would be run as a formula by Excel/LibreOffice (``=HYPERLINK``
...: "CSV injection", OWASP).  :func:`neutralise_cells` prefixes such cells with an
apostrophe ``'`` so they stay text.  Numbers stay numbers: numeric columns are never
touched, nor text cells that are a plain number (``-0.5``, ``+3``, ``-84%``) or a lone
``-`` placeholder.  JSON and Parquet
are typed and written unchanged.

Terminal tables (:func:`rich_table`) never shrink a column below its content: numbers
and codes keep their full width (never wrapped or cut), free-text columns (names, notes,
sources) wrap; when the columns still do not fit the terminal, low-value columns (notes,
URLs, descriptions, then the rightmost) are dropped first and the caption says which
("2 columns hidden: note, url; use --wide or --format csv"); source ids print as short
footnote numbers (``[1,3]``) with the legend under the table (:func:`footnote_sources`).
A table names the columns that carry its answer in ``df.attrs["keep_columns"]`` (most
important first): they are dropped last (the replay table keeps documented and simulated
values in an 80-column terminal). ``--wide``
(:func:`emit` with ``wide=True``) keeps every column at its full content width, wider than
the terminal if need be (the terminal wraps the lines).
"""

from __future__ import annotations

import enum
import io
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd


class OutputFormat(enum.StrEnum):
    """Output formats accepted by ``--format``."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


_SNAKE_RE = re.compile(r"[^0-9a-zA-Z]+")


def snake_case(name: str) -> str:
    """``'Import share (%)'`` -> ``'import_share'``."""
    out = _SNAKE_RE.sub("_", str(name)).strip("_").lower()
    return out or "value"


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _json_value(value.item())
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts with snake_case keys (NaN -> null)."""
    cols = [snake_case(c) for c in df.columns]
    return [
        {c: _json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def neutral_cell(value: Any) -> Any:
    """*value*, or ``"'" + value`` when it is text a spreadsheet would run as a formula."""
    if (isinstance(value, str) and len(value) > 1 and value.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.match(value)):
        return "'" + value
    return value


def neutralise_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of *df* whose text cells cannot run as spreadsheet formulas (see the module
    docstring); numeric columns and column names that are fine are unchanged."""
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not \
                pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(neutral_cell)
    out.columns = [neutral_cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


#: significant digits of the floats of csv, json and xlsx exports: float64 sums carry
#: noise in the 16th-17th digit (0.020000000000000018); 12 digits keep every figure's
#: information (sources give 2-6) and drop the noise. Parquet keeps float64 as computed.
SIGNIFICANT = 12


def _significant(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}") if math.isfinite(value) else value


def rounded(df: pd.DataFrame) -> pd.DataFrame:
    """*df* with every float column rounded to :data:`SIGNIFICANT` significant digits
    (a copy; integers, text and dates untouched)."""
    floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    if not floats:
        return df
    out = df.copy()
    for c in floats:
        out[c] = [_significant(float(v)) for v in out[c].to_numpy()]
    return out


def render_text(df: pd.DataFrame, fmt: OutputFormat) -> str:
    """Text rendering of *df* for csv and json formats (CSV cells neutralised, floats to
    :data:`SIGNIFICANT` significant digits)."""
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        neutralise_cells(rounded(df)).to_csv(buf, index=False)
        return buf.getvalue()
    if fmt is OutputFormat.json:
        return json.dumps(to_records(rounded(df)), indent=1, ensure_ascii=False) + "\n"
    raise ValueError(f"{fmt.value} is not a text format")


#: xlsxwriter's workbook options: text is written as text, never turned into a formula, a
#: link or a number (openpyxl, the writer before, stored any text starting with "=" as a
#: formula; :func:`neutralise_cells` guards the copies a reader makes of a cell as well)
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}


def write_xlsx(target: Path | IO[bytes], sheets: Mapping[str, pd.DataFrame]) -> None:
    """Each frame of *sheets* to a sheet of that name (cut to Excel's 31 characters),
    without the index and with its text cells neutralised (:func:`neutralise_cells`),
    into the workbook *target* (a path or a binary buffer). The one Excel writer of the
    CLI and the API; xlsxwriter writes the 18,500-row time series of a 120-day run in
    about 60 % of openpyxl's time."""
    with pd.ExcelWriter(target, engine="xlsxwriter",
                        engine_kwargs={"options": XLSX_OPTIONS}) as xl:
        for name, frame in sheets.items():
            neutralise_cells(frame).to_excel(xl, sheet_name=name[:31], index=False)


#: decimals kept in the extra tables of an export (no 0.020000000000000018)
EXTRA_DECIMALS = 4


def extra_path(out: Path, name: str) -> Path:
    """Where a second table *name* of a csv/json/parquet export goes: beside *out* as
    ``<stem>_<name><suffix>`` (an xlsx export gets a sheet instead)."""
    return out.with_name(f"{out.stem}_{snake_case(name)}{out.suffix}")


def write(df: pd.DataFrame, fmt: OutputFormat, out: Path, *, sheet: str = "econsec",
          extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write *df* to *out* in *fmt* (table format writes CSV). Each *extra* table (e.g. a
    comparison's structural breaks), its floats rounded to :data:`EXTRA_DECIMALS`, goes
    to a sheet of that name (xlsx) or to :func:`extra_path` (other formats)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    extras = {name: frame.round(EXTRA_DECIMALS) for name, frame in (extra or {}).items()}
    if fmt is OutputFormat.xlsx:
        meta = metadata_frame(df)
        write_xlsx(out, {sheet: rounded(df), **extras,
                         **({"sources": meta} if not meta.empty else {})})
        return out
    for path, frame in [(out, df), *((extra_path(out, n), f) for n, f in extras.items())]:
        if fmt is OutputFormat.parquet:
            _write_parquet(frame, path, df.attrs)
        else:
            text = render_text(frame, OutputFormat.csv if fmt is OutputFormat.table else fmt)
            path.write_text(text, encoding="utf-8")
    return out


#: the ``DataFrame.attrs`` keys a result frame carries for its reader
META_KEYS = ("units", "sources", "world_version", "licence")


def metadata_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``DataFrame.attrs`` of a result frame (:data:`META_KEYS`: ``units`` column -> unit,
    ``sources`` id -> citation, ``world_version``, ``licence``) as rows ``kind, key,
    value`` (the XLSX "sources" sheet); no rows when the frame carries none."""
    rows: list[dict[str, str]] = []
    for kind in META_KEYS:
        v = df.attrs.get(kind)
        if isinstance(v, dict):
            rows += [{"kind": kind, "key": str(k), "value": str(x)} for k, x in v.items()]
        elif v is not None:
            rows.append({"kind": kind, "key": "", "value": str(v)})
    return pd.DataFrame(rows, columns=["kind", "key", "value"])


def _write_parquet(frame: pd.DataFrame, path: Path, attrs: dict[str, Any]) -> None:
    """Parquet with the result's metadata (:data:`META_KEYS` of *attrs*) as JSON under
    the key-value metadata key ``econsec``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {k: attrs[k] for k in META_KEYS if k in attrs}
    if meta:
        table = table.replace_schema_metadata({
            **(table.schema.metadata or {}),
            b"econsec": json.dumps(meta, ensure_ascii=False, default=str).encode()})
    pq.write_table(table, path)


def _fmt_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


_FREE_TEXT = frozenset({"source", "name", "title", "description", "note", "url", "value",
                        "targets", "goods", "suppliers", "capacity_note", "outcome", "period",
                        "citation", "publisher", "message", "detail", "notes"})
#: Dropped first, in this order, when a terminal table does not fit (source ids are not:
#: they print as short footnote numbers, and every figure must stay traceable).
_LOW_VALUE = ("note", "notes", "url", "description", "capacity_note", "citation", "sha256",
              "source_file", "econsec_version", "imported_at", "licence", "publisher",
              "accessed", "published", "path", "title")
_FREE_MIN = 12  # narrowest a wrapped free-text column gets
_FRAME = 3  # per column: one border + two padding characters (rich's default box)


def _is_free_text(name: str, numeric: bool) -> bool:
    return not numeric and (name in _FREE_TEXT or name.endswith(("_note", "_name")))


def fit_columns(widths: dict[str, int], free: set[str], width: int,
                keep: tuple[str, ...] = ()) -> list[str]:
    """Columns of a terminal table to drop so that the others fit *width* characters.

    *widths* is each column's content width (header and every cell); a free-text column
    needs only ``min(width, 12)`` (it wraps), any other column its whole width.  Columns
    of :data:`_LOW_VALUE` go first, then the rightmost, then the columns of *keep* (the
    table's answer, most important first: dropped last, from the end of *keep*); the
    first column always stays.
    """
    def need(col: str) -> int:
        return (min(widths[col], _FREE_MIN) if col in free else widths[col]) + _FRAME

    kept = list(widths)
    dropped: list[str] = []
    order = ([c for c in _LOW_VALUE if c in widths and c not in keep]
             + [c for c in reversed(kept) if c not in _LOW_VALUE and c not in keep]
             + [c for c in reversed(keep) if c in widths])
    for col in order:
        if sum(need(c) for c in kept) + 1 <= width or len(kept) <= 1:
            break
        if col == kept[0]:
            continue
        kept.remove(col)
        dropped.append(col)
    return dropped


def rich_table(df: pd.DataFrame, title: str | None = None, max_rows: int = 200,
               width: int | None = None, *, wide: bool = False) -> Any:
    """A :class:`rich.table.Table` of the first *max_rows* rows of *df*, fitted to *width*
    (default: the terminal's) without ever cutting a number or code; see the module
    docstring.  Hidden columns are named in the caption.  *wide*: every column at its
    whole content width (no column hidden, no text wrapped), however wide the table gets;
    print it with ``crop=False`` (:func:`print_table`)."""
    from rich.console import Console
    from rich.table import Table

    shown = df.head(max_rows)
    cells = {str(col): [_fmt_cell(v) for v in shown[col]] for col in df.columns}
    legend = footnote_sources(cells, df.attrs.get("sources"))
    numeric = {str(col): pd.api.types.is_numeric_dtype(df[col]) for col in df.columns}
    widths = {c: max([len(c), *(max((len(x) for x in v.splitlines()), default=0)
                                  for v in vals)]) for c, vals in cells.items()}
    free = set() if wide else {c for c in cells if _is_free_text(c, numeric[c])}
    dropped = [] if wide else fit_columns(widths, free, width if width is not None
                                          else Console().width,
                                          tuple(df.attrs.get("keep_columns", ())))
    kept = [c for c in cells if c not in dropped]
    # wide: the table's own width is its content's (columns + borders), never the terminal's
    table = Table(title=title, show_lines=False, header_style="bold",
                  width=sum(widths[c] + _FRAME for c in kept) + 1 if wide else None)
    for col in kept:
        if col in free:
            table.add_column(col, justify="left", overflow="fold",
                             min_width=min(widths[col], _FREE_MIN))
        else:
            table.add_column(col, justify="right" if numeric[col] else "left",
                             no_wrap=True, min_width=widths[col])
    for i in range(len(shown)):
        table.add_row(*(cells[c][i] for c in kept))
    notes = []
    if len(df) > max_rows:
        notes.append(f"{max_rows} of {len(df)} rows shown; use --format csv or --out for all")
    if dropped:
        n = len(dropped)
        notes.append(f"{n} column{'s' if n > 1 else ''} hidden to fit the terminal: "
                     f"{', '.join(dropped)}; use --wide or --format csv")
    if legend and any(c in kept for c in SOURCE_COLUMNS):
        notes.append("sources: " + "  ".join(legend))
    if notes:
        table.caption = "; ".join(notes)
        table.caption_justify = "left"
    return table


#: Columns of source ids that a terminal table prints as footnote numbers.
SOURCE_COLUMNS = ("source", "sources")


def footnote_sources(cells: dict[str, list[str]],
                     citations: dict[str, str] | None = None) -> list[str]:
    """Replace, in place, the source ids of the :data:`SOURCE_COLUMNS` of *cells* (column ->
    formatted cells) by footnote numbers in order of first appearance (``a;c`` ->
    ``[1,3]``), and return the legend, one ``[n] id`` (``[n] id: citation`` when
    *citations* has it) per id. The ids stay whole in CSV, JSON and files."""
    numbers: dict[str, int] = {}
    for col in SOURCE_COLUMNS:
        if col not in cells:
            continue
        out = []
        for cell in cells[col]:
            ids = [x.strip() for x in re.split(r"[;,]", cell) if x.strip()]
            if not ids:
                out.append(cell)
                continue
            for x in ids:
                numbers.setdefault(x, len(numbers) + 1)
            out.append("[" + ",".join(str(numbers[x]) for x in ids) + "]")
        cells[col] = out
    cite = citations or {}
    return [f"[{n}] {x}" + (f": {cite[x]}" if x in cite else "") for x, n in numbers.items()]


def print_table(df: pd.DataFrame, title: str | None = None, *, wide: bool = False,
                console: Any = None) -> None:
    """Print :func:`rich_table` of *df* on *console* (default: stdout); *wide* prints
    every column whole, lines wider than the terminal left uncut."""
    from rich.console import Console

    console = console if console is not None else Console()
    console.print(rich_table(df, title, wide=wide), crop=not wide)


def emit(
    df: pd.DataFrame,
    fmt: OutputFormat = OutputFormat.table,
    out: Path | None = None,
    *,
    title: str | None = None,
    wide: bool = False,
    extra: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Print *df* to the terminal or write it to *out* in the chosen format (with the
    *extra* tables as sheets or sibling files, see :func:`write`).

    Parquet and xlsx without *out* print a named error and exit with status 2 (they are
    binary files).  *wide* keeps every column of a terminal table whole (:func:`rich_table`).
    """
    from rich.console import Console

    if out is None and fmt in (OutputFormat.parquet, OutputFormat.xlsx):
        from rich.markup import escape

        message = (f"--format {fmt.value} writes a binary file: give --out PATH "
                   "(or --format table|csv|json to print)")
        Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                                   soft_wrap=True)
        raise SystemExit(2)
    if out is not None:
        write(df, fmt, out, sheet=title or "econsec", extra=extra)
        Console(stderr=True).print(f"wrote {len(df)} rows to {out}")
        for name, frame in (extra or {}).items():
            where = (f"sheet {name[:31]}" if fmt is OutputFormat.xlsx
                     else str(extra_path(out, name)))
            Console(stderr=True).print(f"wrote {len(frame)} {name} rows to {where} "
                                       f"(rounded to {EXTRA_DECIMALS} decimals)")
        return
    if fmt is OutputFormat.table:
        print_table(df, title, wide=wide)
    else:  # csv, json: plain stdout so the output can be piped
        print(render_text(df, fmt), end="")
