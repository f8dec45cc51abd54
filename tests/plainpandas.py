"""Plain pandas for the tests that recompute figures from the raw files (no econsec code;
imported explicitly: ``from plainpandas import as_str``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def str_values(s: pd.Series) -> pd.Series:
    """``s.astype(str)``: the same values, dtype and index. A categorical column without
    missing values (as Parquet files of WIOD and the OECD ICIO are read) has each category
    converted once and taken by code (ten times faster on millions of cells: ``astype``
    converts cell by cell); any other column, or one with a missing value, goes through
    ``astype(str)`` itself."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        if not (codes < 0).any():
            return pd.Series(s.cat.categories.astype(str).take(codes), index=s.index,
                             name=s.name)
    return s.astype(str)


def as_str(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """*frame* with *columns* as :func:`str_values` (``astype(str)``); a copy."""
    out = frame.copy()
    for col in columns:
        out[col] = str_values(out[col])
    return out
