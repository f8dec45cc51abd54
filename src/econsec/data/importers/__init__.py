"""Importers for real public datasets (ETO, USGS MCS, Global Trade Alert, code lists,
BACI, Comtrade, WIOD 2013, OECD ICIO 2022).

Each importer module has two functions:

* ``read_*(path) -> dict[str, DataFrame]`` — pure: reads and validates *everything*,
  raising :class:`econsec.errors.DataError` (file, line, field) on bad input;
* ``import_*(path, store) -> ImportReport`` — calls ``read_*`` first and only then writes
  all tables in one :meth:`econsec.data.store.Store.replace_dataset` transaction, so a bad
  file never leaves a half-imported dataset behind.

Submodules are imported on demand (no work at import time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    """What an import wrote: dataset, rows per table, licence and warnings for the user."""

    dataset: str
    tables: dict[str, int]
    source: Path
    licence: str
    warnings: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        """Rows written over all tables."""
        return sum(self.tables.values())


__all__ = ["ImportReport"]
