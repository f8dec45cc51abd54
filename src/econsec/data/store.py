"""The embedded DuckDB store that holds imported datasets.

Why: imported public datasets (ETO, USGS, GTA, code lists) are read once, validated, and
kept in one local DuckDB file so that metrics and the CLI can query them in
milliseconds without re-parsing raw CSVs.  Each dataset's tables are named
``<dataset>__<table>`` and every import is recorded in the ``_imports`` catalogue with its
row counts, source file, SHA-256 checksum, licence, time and econsec version (provenance).

Imports are transactional: :meth:`Store.replace_dataset` drops the dataset's old tables,
writes the new ones and updates the catalogue inside ONE transaction, so a failure
anywhere leaves the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pandas as pd

from econsec.errors import StoreError

if TYPE_CHECKING:
    import duckdb

CATALOGUE = "_imports"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Which ``econsec data import`` command fills each dataset (for error messages).
IMPORT_COMMANDS: dict[str, str] = {
    "eto": "econsec data import eto PATH/TO/eto",
    "usgs": "econsec data import usgs PATH/TO/usgs_mcs",
    "gta": "econsec data import gta PATH/TO/interventions.csv",
    "countries": "econsec data import countries PATH/TO/country-codes.csv",
    "hs": "econsec data import hs PATH/TO/harmonized-system.csv",
    "baci": "econsec data import baci PATH/TO/BACI_HS22_Y2022_V202501.csv",
    "comtrade": "econsec data import comtrade PATH/TO/comtrade.csv",
    "wiod": "econsec data import wiod PATH/TO/wiod2013",
    "icio": "econsec data import icio PATH/TO/oecd_icio2022_sanction_simulator",
}

_CATALOGUE_DDL = f"""
CREATE TABLE IF NOT EXISTS {CATALOGUE} (
    dataset VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    licence VARCHAR NOT NULL,
    note VARCHAR,
    imported_at TIMESTAMP NOT NULL,
    econsec_version VARCHAR NOT NULL
)
"""


def econsec_version() -> str:
    """Installed econsec version, or ``'unknown'`` when running from a source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("econsec")
    except PackageNotFoundError:
        return "unknown"


def sha256_of(path: Path, files: Sequence[Path] | None = None) -> str:
    """SHA-256 of a file, or of a folder's files (each file's name and digest, sorted).

    *files* restricts a folder's digest to the files actually read.
    """
    path = Path(path)
    if path.is_file() and files is None:
        return _file_digest(path)
    members = (
        sorted(Path(f) for f in files)
        if files is not None
        else sorted(p for p in path.rglob("*") if p.is_file())
    )
    outer = hashlib.sha256()
    for member in members:
        try:
            name = member.relative_to(path).as_posix()
        except ValueError:
            name = member.name
        outer.update(f"{name}\0{_file_digest(member)}\n".encode())
    return outer.hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_name(kind: str, name: str) -> None:
    if not _NAME_RE.match(name) or "__" in name:
        raise StoreError(
            f"bad {kind} name {name!r}: use lower-case letters, digits and single underscores"
        )


class Store:
    """An embedded DuckDB database of imported datasets.

    >>> with Store(tmp_path / "s.duckdb") as store:         # doctest: +SKIP
    ...     store.replace_dataset("demo", {"t": df}, source_file=p, licence="CC0")
    ...     store.read("demo", "t")
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path) if path is not None else self.default_path()
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"no store at {self.path}: import a dataset first")
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con: duckdb.DuckDBPyConnection | None = duckdb.connect(
                str(self.path), read_only=read_only
            )
        except (duckdb.Error, OSError) as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        #: Folders an interrupted panel commit had left, removed on opening (see
        #: :func:`econsec.data.panel_files.recover_panels`).
        self.recovered: list[str] = []
        if not read_only:
            self.con.execute(_CATALOGUE_DDL)
            from econsec.data.panel_files import recover_panels

            self.recovered = recover_panels(self.path, self.con)

    # -- lifecycle -------------------------------------------------------------------

    @staticmethod
    def default_path() -> Path:
        """``$ECONSEC_DB`` if set, else ``<user data dir>/econsec/econsec.duckdb``."""
        env = os.environ.get("ECONSEC_DB")
        if env:
            return Path(env).expanduser()
        from platformdirs import user_data_dir

        return Path(user_data_dir("econsec")) / "econsec.duckdb"

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (StoreError once closed)."""
        if self._con is None:
            raise StoreError(f"store {self.path} is closed")
        return self._con

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """BEGIN ... COMMIT; ROLLBACK on any exception, which is re-raised."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------

    def replace_dataset(
        self,
        dataset: str,
        tables: dict[str, pd.DataFrame],
        *,
        source_file: Path,
        licence: str,
        note: str = "",
        files: Sequence[Path] | None = None,
    ) -> dict[str, int]:
        """Replace every table of *dataset* with *tables*, in one transaction.

        Old ``<dataset>__*`` tables are dropped (also those not in *tables*), the new ones
        created from the DataFrames, and the catalogue rows of *dataset* replaced by one
        row per table.  *files* lists the files actually read when *source_file* is a
        folder (they make up the checksum).  Returns the row count of each table.
        """
        _check_name("dataset", dataset)
        for name in tables:
            _check_name("table", name)
        if not tables:
            raise StoreError(f"nothing to import for dataset {dataset!r}")
        source_file = Path(source_file)
        digest = sha256_of(source_file, files)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        version = econsec_version()
        counts: dict[str, int] = {}
        with self.transaction():
            for old in self._dataset_tables(dataset):
                self.con.execute(f'DROP TABLE "{dataset}__{old}"')
            self.con.execute(f"DELETE FROM {CATALOGUE} WHERE dataset = ?", [dataset])
            for name, frame in tables.items():
                self._create_table(f"{dataset}__{name}", frame)
                counts[name] = len(frame)
                self.con.execute(
                    f"INSERT INTO {CATALOGUE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        dataset,
                        name,
                        len(frame),
                        str(source_file.resolve()),
                        digest,
                        licence,
                        note,
                        now,
                        version,
                    ],
                )
        return counts

    def _create_table(self, qualified: str, frame: pd.DataFrame) -> None:
        """CREATE TABLE *qualified* AS the rows of *frame* (registered, then dropped)."""
        view = "_econsec_import_frame"
        self.con.register(view, frame)
        try:
            self.con.execute(f'CREATE TABLE "{qualified}" AS SELECT * FROM {view}')
        finally:
            self.con.unregister(view)

    # -- reading ---------------------------------------------------------------------

    def _all_tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def _dataset_tables(self, dataset: str) -> list[str]:
        prefix = f"{dataset}__"
        return [t[len(prefix) :] for t in self._all_tables() if t.startswith(prefix)]

    def has(self, dataset: str, table: str) -> bool:
        """True when ``<dataset>__<table>`` exists."""
        return f"{dataset}__{table}" in self._all_tables()

    def read(self, dataset: str, table: str) -> pd.DataFrame:
        """Table *table* of *dataset* as a DataFrame; StoreError naming the import to run."""
        if not self.has(dataset, table):
            have = self._dataset_tables(dataset)
            if have:
                hint = f"dataset {dataset!r} has tables: {', '.join(have)}"
            else:
                command = IMPORT_COMMANDS.get(dataset, f"econsec data import {dataset} PATH")
                hint = f"dataset {dataset!r} is not imported; run `{command}`"
            raise StoreError(f"no table {table!r} of dataset {dataset!r} in {self.path}: {hint}")
        return self.con.execute(f'SELECT * FROM "{dataset}__{table}"').df()

    def list_datasets(self) -> pd.DataFrame:
        """The ``_imports`` catalogue: one row per imported table."""
        if CATALOGUE not in self._all_tables():
            return pd.DataFrame(
                columns=[
                    "dataset",
                    "table_name",
                    "rows",
                    "source_file",
                    "sha256",
                    "licence",
                    "note",
                    "imported_at",
                    "econsec_version",
                ]
            )
        return self.con.execute(f"SELECT * FROM {CATALOGUE} ORDER BY dataset, table_name").df()

    def snapshot(self) -> dict[str, Any]:
        """Table names with row counts plus the catalogue (to compare store states)."""
        counts = {
            t: int(self.con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0])
            for t in self._all_tables()
        }
        return {"tables": counts, "catalogue": self.list_datasets().to_dict("records")}
