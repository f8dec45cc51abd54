"""Options shared by the commands: ``--format``, ``--out``, ``--wide``, ``--db`` and
``--workers``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from econsec.reports.tables import OutputFormat

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (terminal), csv, json, parquet or xlsx."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to this file instead of printing."),
]
WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="Terminal table: every column and its whole text, even "
                 "wider than the terminal (by default columns that do not fit are hidden "
                 "and named below the table)."),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB store to use (default: $ECONSEC_DB or the user data directory).",
        envvar="ECONSEC_DB",
    ),
]

WorkersOpt = Annotated[
    str,
    typer.Option("--workers", envvar="ECONSEC_WORKERS",
                 help="Worker processes: a number, or auto (one per usable "
                 "CPU, at most one per chunk of 128 runs of a simulation or per replay, "
                 "within half the free memory; a single chunk or replay stays in this "
                 "process). Same numbers for any value."),
]


def workers_of(text: str) -> int | None:
    """``--workers``: a positive number, or ``auto`` (None: econsec chooses,
    :func:`econsec.distributed.processes.auto_workers`)."""
    if text.strip().lower() == "auto":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise fail(f"--workers must be a positive number or auto (got {text!r})")
    return n


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print *message* in red on stderr and return an Exit to raise."""
    from rich.console import Console
    from rich.markup import escape

    # escape: a message's own brackets (econsec[report], a list) are text, not markup
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                               soft_wrap=True, markup=True)
    return typer.Exit(code)


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call an :mod:`econsec.analysis` query; a named error (unknown name, empty answer,
    bad option) becomes a red ``error:`` line and exit code 2, never a traceback."""
    from econsec.errors import EconsecError

    try:
        return fn(*args, **kwargs)
    except (KeyError, ValueError, EconsecError) as exc:
        raise fail(str(exc).strip("'\"")) from None


def show(frame: pd.DataFrame, fmt: OutputFormat, out: Path | None, title: str,
         wide: bool = False, keep: tuple[str, ...] = ()) -> None:
    """Emit *frame* (*wide*: every column whole in a terminal table; *keep*: the columns
    that carry the answer, most important first, hidden last in a narrow terminal), then
    the query's notes (why rows are missing) on stderr."""
    from rich.console import Console

    from econsec.reports.tables import emit

    if keep:
        frame.attrs["keep_columns"] = keep
    emit(frame, fmt, out, title=title, wide=wide)
    for note in frame.attrs.get("notes", []):
        Console(stderr=True).print(f"[yellow]note:[/] {note}", highlight=False,
                                   soft_wrap=True)
