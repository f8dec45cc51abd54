"""Writing result tables: terminal (rich), CSV, JSON, Parquet and Excel.

Every CLI table command goes through :func:`emit`, so the formats behave the same
everywhere: ``--format json`` prints a JSON array of row objects with snake_case keys,
``--out PATH`` writes the file instead of printing (xlsx and parquet need ``--out``).
"""

from __future__ import annotations

import enum
import io
import json
import math
import re
from pathlib import Path
from typing import Any

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


def render_text(df: pd.DataFrame, fmt: OutputFormat) -> str:
    """Text rendering of *df* for csv and json formats."""
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        df.to_csv(buf, index=False)
        return buf.getvalue()
    if fmt is OutputFormat.json:
        return json.dumps(to_records(df), indent=1, ensure_ascii=False) + "\n"
    raise ValueError(f"{fmt.value} is not a text format")


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
        with pd.ExcelWriter(out, engine="openpyxl") as xl:
            df.to_excel(xl, sheet_name=sheet[:31], index=False)
            for name, frame in extras.items():
                frame.to_excel(xl, sheet_name=name[:31], index=False)
            meta = metadata_frame(df)
            if not meta.empty:
                meta.to_excel(xl, sheet_name="sources", index=False)
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
                        "targets", "goods", "suppliers", "capacity_note", "outcome", "period"})


def rich_table(df: pd.DataFrame, title: str | None = None, max_rows: int = 200) -> Any:
    """A :class:`rich.table.Table` of the first *max_rows* rows of *df*."""
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        free_text = str(col) in _FREE_TEXT
        table.add_column(str(col), justify="right" if numeric else "left",
                         overflow="fold", no_wrap=not free_text and not numeric)
    for row in df.head(max_rows).itertuples(index=False, name=None):
        table.add_row(*(_fmt_cell(v) for v in row))
    if len(df) > max_rows:
        table.caption = f"{max_rows} of {len(df)} rows shown; use --format csv or --out for all"
    return table


def emit(
    df: pd.DataFrame,
    fmt: OutputFormat = OutputFormat.table,
    out: Path | None = None,
    *,
    title: str | None = None,
    extra: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Print *df* to the terminal or write it to *out* in the chosen format (with the
    *extra* tables as sheets or sibling files, see :func:`write`)."""
    from rich.console import Console

    console = Console()
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
        console.print(rich_table(df, title))
    elif fmt in (OutputFormat.csv, OutputFormat.json):
        # plain stdout so the output can be piped
        print(render_text(df, fmt), end="")
    else:
        raise ValueError(f"--format {fmt.value} writes a binary file: give --out PATH")
