"""Typed errors. Every data error names the file, the line (or row) and the field."""

from __future__ import annotations

from pathlib import Path


class EconsecError(Exception):
    """Base class of all econsec errors."""


class DataError(EconsecError, ValueError):
    """Bad input data: names the file, the 1-based line (or YAML item) and the field.

    >>> str(DataError("shares.csv", "share above 1", line=4, field="share"))
    'shares.csv, line 4, field share: share above 1'
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        where = [self.file]
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}")


class StoreError(EconsecError):
    """The DuckDB store could not be opened or an import could not be committed."""


class MissingExtraError(EconsecError, ImportError):
    """An optional dependency is not installed: names the feature and the extra to install.

    >>> str(MissingExtraError("figures", "matplotlib", "report"))
    "figures need matplotlib, which is not installed: pip install 'econsec[report]'"
    """

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.extra = extra
        super().__init__(f"{feature} need {package}, which is not installed: "
                         f"pip install 'econsec[{extra}]'")
