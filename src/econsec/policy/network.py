"""Which network a scenario runs on: the curated world (default) or the OECD ICIO 2022 table.

A scenario's optional ``network:`` key chooses it::

    network: world                      # the built-in (or --world) product-level world
    network: icio                       # OECD ICIO 2022, 80 economies x 50 industries
    network: {source: icio, min_share: 0.01}

On ``icio`` the engine's nodes are the table's 4,000 (economy, industry) nodes and its
"goods" are the 50 ISIC Rev.4 industry codes of the OECD table (``C26`` computer,
electronic and optical products; ``C24A`` basic iron and steel; ``C24B`` basic precious and
other non-ferrous metals; see ``econsec data show icio sectors``). The network is
:func:`econsec.simulation.network_arrays.baseline_from_io` of the imported table
(``econsec data import icio PATH``): slot ``(j, h)`` has cost share
``c = sum_t Z[(t, h), j] / x_j`` and sources ``t`` with shares
``Z[(t, h), j] / sum_t Z[(t, h), j]`` (Miller & Blair 2009, ch. 3). ``min_share`` drops the
flows below that share of their slot and renormalises (the baseline is re-closed, so it
stays a steady state); it bounds the work per step (the full table has 9.8 million flows,
``min_share: 0.01`` keeps about 1.26 million carrying 95.6 % of the value). Values are
converted from the table's million USD a year to the engine's USD bn, as on the world.

What differs from the world, and is refused rather than guessed:

* registry ``measures`` name the world's goods (gallium, photoresist ...), not industries:
  an ICIO scenario gives inline ``shocks`` with industry codes;
* ``levers`` (stockpiles, capacity investments ...) are written for the world's goods and
  are not translated to industries: an ICIO scenario with levers is refused;
* the table is for 2022 only: ``as_of_year`` other than the table's year is refused;
* prices: no sector-level short-run elasticity is sourced, so the price index of every
  industry uses the table's default elasticities (``data/price_elasticities.csv``,
  ``DEFAULT``), and quantities do not respond to it (``price_feedback`` 0) unless the
  scenario says so;
* substitutability is 0 and every input is essential (as in ARIO, Hallegatte 2008).

Names are resolved against the table (:class:`~econsec.policy.resolve.IcioNames`):
economies by ICIO code or bloc, industries by code; anything else is an error naming the
scenario file, line and key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from econsec.errors import StoreError
from econsec.policy.resolve import IcioNames

if TYPE_CHECKING:
    from econsec.data.store import Store
    from econsec.policy.yamlpath import KeyPath, Lines
    from econsec.simulation.network_arrays import Baseline

T = TypeVar("T")
SOURCES = ("world", "icio")
#: million USD (the table's unit) per USD bn (the engine's unit)
MUSD_PER_BN = 1_000.0
IMPORT_HINT = ("econsec data import icio ../shared/data/oecd_icio2022_sanction_simulator "
               "(the folder named in docs/icio.md)")


@dataclass(frozen=True)
class NetworkChoice:
    """The ``network:`` of a scenario: ``source`` world | icio, ``min_share`` for icio."""

    source: str = "world"
    min_share: float = 0.0

    @property
    def on_icio(self) -> bool:
        return self.source == "icio"


def parse_network(lines: Lines, value: Any) -> NetworkChoice:
    """``world`` | ``icio`` | ``{source: icio, min_share: 0.01}`` -> :class:`NetworkChoice`
    (errors name the file, line and key)."""
    from econsec.policy.resolve import check_keys, number

    key: KeyPath = ("network",)
    if value is None:
        return NetworkChoice()
    if isinstance(value, str):
        entry: dict[str, Any] = {"source": value}
    else:
        entry = check_keys(lines, key, value, ("source",), ("min_share",))
    source = str(entry["source"]).strip().lower()
    if source not in SOURCES:
        raise lines.error(key if isinstance(value, str) else (*key, "source"),
                          f"network must be one of {', '.join(SOURCES)}, got '{entry['source']}'")
    if "min_share" in entry and source != "icio":
        raise lines.error((*key, "min_share"), "min_share applies to the icio network only")
    share = number(lines, (*key, "min_share"), entry.get("min_share", 0.0), 0.0, 0.5)
    return NetworkChoice(source=source, min_share=share)


@dataclass(frozen=True, eq=False)
class IcioNetwork:
    """The ICIO table as the engine's network: baseline, names, and a version string that
    changes when the imported files change (stored runs and reruns compare it)."""

    baseline: Baseline
    names: IcioNames
    version: str
    year: int
    edition: int
    min_share: float


_CACHE: dict[tuple[str, float, str], IcioNetwork] = {}
_LOCK = threading.Lock()


def _version(store: Any) -> str:
    """``icio-<edition>-<year>-<sha12>`` from the store's catalogue (SHA-256 of the files
    read at import): the same imported files, the same version."""
    from econsec.data.importers.icio import DATASET, EDITION, YEAR

    cat = store.list_datasets()
    rows = cat[(cat["dataset"] == DATASET) & (cat["table_name"] == "intermediate")]
    if rows.empty:
        raise StoreError(f"{store.path}: the OECD ICIO table is not in this store; import "
                         f"it first: {IMPORT_HINT}")
    return f"icio-{EDITION}-{YEAR}-{str(rows['sha256'].iloc[0])[:12]}"


def load_icio_network(choice: NetworkChoice, db: Path | Store | None = None) -> IcioNetwork:
    """The engine network of the ICIO table imported in store *db* (a path, an open
    :class:`~econsec.data.store.Store`, or None: ``Store.default_path()``), pruned at
    ``choice.min_share``. Kept in memory per (store, min_share, version): a second run in
    the same process reuses it.

    StoreError naming the import command when the table is not in the store."""
    if not choice.on_icio:
        raise ValueError("load_icio_network needs network: icio")
    return _with_store(db, lambda store: _network(choice, store))


def _with_store(db: Path | Store | None, read: Callable[[Store], T]) -> T:
    """*read* on the open store *db*, or on the store at path *db* (default
    ``Store.default_path()``) opened read-only; StoreError naming the import command when
    there is no store file."""
    from econsec.data.store import Store

    if isinstance(db, Store):
        return read(db)
    path = Path(db) if db is not None else Store.default_path()
    if not path.is_file():
        raise StoreError(f"{path}: no store here, so no OECD ICIO table; import it first: "
                         f"{IMPORT_HINT}")
    with Store(path, read_only=True) as store:
        return read(store)


def _network(choice: NetworkChoice, store: Store) -> IcioNetwork:
    from econsec.data.importers.icio import DATASET, icio_io_arrays, load_icio
    from econsec.simulation.network_arrays import baseline_from_io

    if not store.has(DATASET, "intermediate"):
        raise StoreError(f"{store.path}: the OECD ICIO table is not in this store; import "
                         f"it first: {IMPORT_HINT}")
    version = _version(store)
    key = (str(Path(store.path).resolve()), float(choice.min_share), version)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    table = load_icio(store)
    z, output, regions, sectors = icio_io_arrays(table)
    base = baseline_from_io(z / MUSD_PER_BN, output / MUSD_PER_BN, regions, sectors,
                            min_share=choice.min_share)
    net = IcioNetwork(baseline=base, names=IcioNames(regions, sectors), version=version,
                      year=table.year, edition=table.edition, min_share=choice.min_share)
    with _LOCK:
        _CACHE.clear()  # one network at a time (the full table's arrays are large)
        _CACHE[key] = net
    return net


def icio_names(db: Path | Store | None = None) -> tuple[IcioNames, int]:
    """The economies and industries of the ICIO table in store *db* and its year, read from
    the nodes table alone (no network is built): what a scenario's names are checked
    against. StoreError naming the import command when the table is not imported."""
    from econsec.data.importers.icio import DATASET

    def read(store: Store) -> tuple[IcioNames, int]:
        if not store.has(DATASET, "nodes"):
            raise StoreError(f"{store.path}: the OECD ICIO table is not in this store; "
                             f"import it first: {IMPORT_HINT}")
        nodes = store.read(DATASET, "nodes").sort_values("node")
        return (IcioNames(list(dict.fromkeys(nodes["country"])),
                          list(dict.fromkeys(nodes["sector"]))), int(nodes["year"].iloc[0]))

    return _with_store(db, read)


def check_icio_year(lines: Lines, as_of: int | None, year: int) -> None:
    """``as_of_year`` must be the table's year (or absent): no other year is held."""
    if as_of is not None and as_of != year:
        raise lines.error(("as_of_year",), f"the OECD ICIO table holds {year} only; "
                          f"as_of_year {as_of} cannot be answered on network icio")

