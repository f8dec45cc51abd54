"""Small tables in the OECD ICIO folder layout, for tests of the ICIO importer, the sector
look-through and scenarios on the ICIO network (imported explicitly:
``from icio_small import ...``; ``tests/`` is on the path through ``tests/conftest.py``).

:data:`NODES` and :data:`FLOWS` are the 3-economy x 2-sector table whose look-through values
``tests/integration/test_icio_exposure.py`` works out by hand; every gross output is 100
(million USD) unless *output* says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from econsec.data.importers import icio as icio_mod

NODES = [("CHN", "B07"), ("CHN", "C26"), ("JPN", "B07"), ("JPN", "C26"),
         ("KOR", "B07"), ("KOR", "C26")]
FLOWS = [("CHN", "B07", "KOR", "C26", 10.0), ("CHN", "C26", "KOR", "C26", 20.0),
         ("KOR", "B07", "KOR", "C26", 5.0), ("JPN", "B07", "KOR", "C26", 10.0),
         ("JPN", "B07", "CHN", "C26", 20.0), ("KOR", "B07", "CHN", "C26", 10.0),
         ("KOR", "C26", "JPN", "C26", 30.0)]
SECTOR_NAMES = {"B07": "Mining of metal ores",
                "C24A": "Manufacture of basic iron and steel",
                "C24B": "Manufacture of basic precious and other non-ferrous metals",
                "C26": "Computer, electronic and optical products"}
COUNTRY_NAMES = {"CHN": "China", "JPN": "Japan", "KOR": "Korea", "USA": "United States",
                 "ROW": "Rest of the World"}


def write_icio_folder(folder: Path, nodes: Sequence[tuple[str, str]] = NODES,
                      flows: Sequence[tuple[str, str, str, str, float]] = FLOWS,
                      output: Mapping[tuple[str, str], float] | None = None) -> Path:
    """*nodes* and *flows* (seller country, seller sector, buyer country, buyer sector,
    million USD) in the four files of the ICIO folder layout; gross output 100 per node
    unless *output* gives it."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = pd.DataFrame(list(flows), columns=["from_country", "from_sector", "to_country",
                                               "to_sector", "value_musd"])
    cells.to_parquet(folder / icio_mod.INTERMEDIATE)
    sold = cells.groupby(["from_country", "from_sector"])["value_musd"].sum()
    bought = cells.groupby(["to_country", "to_sector"])["value_musd"].sum()
    rows = []
    for node in nodes:
        go = float((output or {}).get(node, 100.0))
        s, b = float(sold.get(node, 0.0)), float(bought.get(node, 0.0))
        rows.append({"country": node[0], "sector": node[1], "gross_output_musd": go,
                     "intermediate_inputs_from_80_musd": b,
                     "sales_to_final_demand_and_row_musd": go - s,
                     "go_minus_intermediate_inputs_musd": go - b, "active": True})
    pd.DataFrame(rows).to_csv(folder / icio_mod.NODES, index=False)
    countries = sorted({c for c, _ in nodes} | {"ROW"})
    pd.DataFrame({"code": countries, "name": [COUNTRY_NAMES[c] for c in countries]}).to_csv(
        folder / icio_mod.COUNTRIES, index=False)
    sectors = list(dict.fromkeys(s for _, s in sorted(nodes, key=lambda n: n[1])))
    pd.DataFrame({"code": sectors, "name": [SECTOR_NAMES[s] for s in sectors]}).to_csv(
        folder / icio_mod.SECTORS, index=False)
    return folder
