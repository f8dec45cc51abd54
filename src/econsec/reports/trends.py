"""Complementarity-vs-competition trends for reports and the API.

A *trade panel* is any imported store table with the flows columns of
:mod:`econsec.metrics.trade_indices` (``year, exporter, importer, product, value``), e.g. a
WIOD, BACI or Comtrade import. :func:`find_trade_panel` looks for one in the store;
:func:`pair_trends` computes, per year, the trade complementarity index (TCI) both ways
and the export similarity index (ESI) for each pair (KOR-CHN and JPN-CHN by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Dataset names tried first, in order, when looking for a trade panel.
PREFERRED_DATASETS = ("wiod", "baci", "comtrade")
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (("KOR", "CHN"), ("JPN", "CHN"))
NO_PANEL_NOTE = ("no trade panel loaded: import a bilateral trade panel (WIOD, BACI or"
                 " Comtrade flows with columns year, exporter, importer, product, value)"
                 " into the store to see complementarity (TCI) and competition (ESI) trends")


@dataclass(frozen=True)
class TradePanel:
    dataset: str
    table: str
    source_file: str
    licence: str
    flows: pd.DataFrame

    def citation(self) -> str:
        return (f"store dataset {self.dataset}.{self.table} imported from {self.source_file}"
                f" (licence: {self.licence})")


def find_trade_panel(db: Path | None = None) -> TradePanel | None:
    """The first flows-shaped table in the store at *db* (default store path), or None.

    Never creates a store: a missing file means no panel."""
    from econsec.data.store import Store
    from econsec.errors import StoreError
    from econsec.metrics.trade_indices import FLOW_COLUMNS

    path = Path(db) if db is not None else Store.default_path()
    if not path.is_file():
        return None
    try:
        with Store(path, read_only=True) as store:
            cat = store.list_datasets()
            if cat.empty:
                return None
            rank = {d: i for i, d in enumerate(PREFERRED_DATASETS)}
            rows = sorted(cat.to_dict("records"),
                          key=lambda r: (rank.get(str(r["dataset"]), 99), str(r["dataset"])))
            for r in rows:
                ds, table = str(r["dataset"]), str(r["table_name"])
                cols = {str(c[0]) for c in store.con.execute(
                    f'DESCRIBE "{ds}__{table}"').fetchall()}
                if set(FLOW_COLUMNS) <= cols:
                    flows = store.read(ds, table)[list(FLOW_COLUMNS)]
                    return TradePanel(ds, table, str(r["source_file"]), str(r["licence"]),
                                      flows)
    except (StoreError, OSError):
        return None
    except Exception as exc:  # duckdb errors: a locked or foreign file is "no panel"
        if type(exc).__module__.startswith("duckdb"):
            return None
        raise
    return None


def pair_trends(flows: pd.DataFrame,
                pairs: Sequence[tuple[str, str]] = DEFAULT_PAIRS) -> pd.DataFrame:
    """Per year and pair (a, b): TCI of a's exports to b's imports, TCI of b's exports
    to a's imports, and the ESI of a and b in world markets.

    Columns: ``year, pair, tci_a_to_b, tci_b_to_a, esi``."""
    from econsec.metrics.complementarity import export_similarity, trade_complementarity
    from econsec.metrics.trade_indices import encode_flows

    enc = encode_flows(flows)
    out = []
    for a, b in pairs:
        ab = trade_complementarity(enc, exporter=a, importer=b)[["year", "value"]]
        ba = trade_complementarity(enc, exporter=b, importer=a)[["year", "value"]]
        esi = export_similarity(enc, a=a, b=b)[["year", "value"]]
        f = (ab.rename(columns={"value": "tci_a_to_b"})
             .merge(ba.rename(columns={"value": "tci_b_to_a"}), on="year", how="outer")
             .merge(esi.rename(columns={"value": "esi"}), on="year", how="outer"))
        f.insert(1, "pair", f"{a}-{b}")
        out.append(f)
    if not out:
        return pd.DataFrame(columns=["year", "pair", "tci_a_to_b", "tci_b_to_a", "esi"])
    return pd.concat(out, ignore_index=True).sort_values(["pair", "year"]).reset_index(
        drop=True)
