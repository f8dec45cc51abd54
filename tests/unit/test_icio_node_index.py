"""ICIO cells to node indices (``_node_index``): node = country index x n_sectors + sector
index in the nodes file's order, whatever form the code columns take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econsec.data.importers.icio import _node_index
from econsec.errors import DataError

# nodes in file order: countries KOR, CHN (not alphabetical), sectors C26, A01
NODES = pd.DataFrame({"country": ["KOR", "KOR", "CHN", "CHN"],
                      "sector": ["C26", "A01", "C26", "A01"]})
CELLS = {"from_country": ["CHN", "KOR", "CHN"], "from_sector": ["A01", "C26", "C26"],
         "to_country": ["KOR", "CHN", "CHN"], "to_sector": ["C26", "A01", "A01"]}
# by hand: CHN/A01 = 1 * 2 + 1 = 3, KOR/C26 = 0, CHN/C26 = 2; KOR/C26 = 0, CHN/A01 = 3
WANT_FROM, WANT_TO = [3, 0, 2], [0, 3, 3]


def _frames() -> list[pd.DataFrame]:
    plain = pd.DataFrame(CELLS)
    alphabetical = plain.astype("category")  # categories CHN < KOR, A01 < C26
    same_order = plain.copy()
    for field in CELLS:
        known = ["KOR", "CHN"] if field.endswith("country") else ["C26", "A01"]
        same_order[field] = pd.Categorical(plain[field], categories=known)
    return [plain, alphabetical, same_order]


@pytest.mark.parametrize("cells", _frames())
def test_node_indices_by_hand(cells: pd.DataFrame) -> None:
    src, dst = _node_index(cells, NODES, Path("cells.parquet"))
    assert src.tolist() == WANT_FROM
    assert dst.tolist() == WANT_TO
    for field in CELLS:  # the columns become categoricals of the node codes, values kept
        assert cells[field].astype(str).tolist() == CELLS[field]
        assert list(cells[field].cat.categories) == list(dict.fromkeys(
            NODES["country" if field.endswith("country") else "sector"]))


@pytest.mark.parametrize("bad", ["ROW", None])
@pytest.mark.parametrize("categorical", [False, True])
def test_unknown_or_missing_code_names_its_row(bad: str | None, categorical: bool) -> None:
    cells = pd.DataFrame({k: list(v) for k, v in CELLS.items()})
    cells.loc[1, "to_country"] = bad
    if categorical:
        cells = cells.astype("category")
    with pytest.raises(DataError, match="row 2: unknown code"):
        _node_index(cells, NODES, Path("cells.parquet"))


def test_many_cells_keep_int32_indices() -> None:
    cells = pd.DataFrame({k: np.repeat(v, 1000) for k, v in CELLS.items()})
    src, dst = _node_index(cells, NODES, Path("cells.parquet"))
    assert src.dtype == np.int32
    assert np.array_equal(src, np.repeat(WANT_FROM, 1000))
    assert np.array_equal(dst, np.repeat(WANT_TO, 1000))
