"""Options shared by every table command: ``--format``, ``--out`` and ``--db``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from econsec.reports.tables import OutputFormat

FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (terminal), csv, json, parquet or xlsx."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to this file instead of printing."),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB store to use (default: $ECONSEC_DB or the user data directory).",
        envvar="ECONSEC_DB",
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print *message* in red on stderr and return an Exit to raise."""
    from rich.console import Console
    from rich.markup import escape

    # escape: a message's own brackets (econsec[report], a list) are text, not markup
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                               soft_wrap=True, markup=True)
    return typer.Exit(code)
