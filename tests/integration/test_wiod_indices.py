"""Trade indices on the real WIOD 2013 tables: Korea's exports vs China's imports.

Skipped when ``../shared/data`` (next to the repository root) is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econsec.data.importers.wiod import wiod_bilateral_flows
from econsec.metrics.complementarity import export_similarity, trade_complementarity

WIOD = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "wiod2013"
INTER = WIOD / "wiot_intermediate_long_1995_2011.parquet"
FINAL = WIOD / "wiot_final_demand_long_1995_2011.parquet"

pytestmark = pytest.mark.skipif(
    not (INTER.is_file() and FINAL.is_file()), reason="../shared/data/wiod2013 is not present"
)


@pytest.fixture(scope="module")
def raw() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(INTER), pd.read_parquet(FINAL)


@pytest.fixture(scope="module")
def flows(raw: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return wiod_bilateral_flows(*raw)


def test_bilateral_flows_shape(flows: pd.DataFrame) -> None:
    assert list(flows.columns) == ["year", "exporter", "importer", "product", "value"]
    assert sorted(flows["year"].unique()) == list(range(1995, 2012))
    assert (flows["exporter"] != flows["importer"]).all()
    assert (flows["value"] >= 0).all()
    assert flows["product"].nunique() == 35


def test_tci_kor_to_chn_1995_2011(flows: pd.DataFrame) -> None:
    tci = trade_complementarity(flows, exporter="KOR", importer="CHN")
    assert tci["year"].tolist() == list(range(1995, 2012))
    assert tci["value"].between(0, 100).all()
    assert tci["value"].notna().all()


def independent_tci(raw: tuple[pd.DataFrame, pd.DataFrame], year: int) -> float:
    """TCI(KOR -> CHN) straight from the raw tables with plain pandas."""
    inter, final = raw
    cells = pd.concat(
        [
            inter.loc[
                inter["year"] == year, ["from_country", "from_industry", "to_country", "value_musd"]
            ],
            final.loc[
                final["year"] == year, ["from_country", "from_industry", "to_country", "value_musd"]
            ],
        ]
    ).astype({"from_country": str, "to_country": str, "from_industry": str})
    cells = cells[cells["from_country"] != cells["to_country"]]
    by_cell = cells.groupby(["from_country", "to_country", "from_industry"])["value_musd"].sum()
    by_cell = by_cell.clip(lower=0)  # as wiod_bilateral_flows: no negative flows
    x = by_cell.xs("KOR", level="from_country").groupby("from_industry").sum()
    m = by_cell.xs("CHN", level="to_country").groupby("from_industry").sum()
    x, m = (x / x.sum()), (m / m.sum())
    x, m = x.align(m, fill_value=0.0)
    return float(100 * (1 - (m - x).abs().sum() / 2))


def test_tci_matches_independent_pandas(
    raw: tuple[pd.DataFrame, pd.DataFrame], flows: pd.DataFrame
) -> None:
    ours = trade_complementarity(flows, exporter="KOR", importer="CHN", year=2011)
    assert ours["value"].iloc[0] == pytest.approx(independent_tci(raw, 2011), abs=1e-9)


def test_all_pairs_on_real_data(flows: pd.DataFrame) -> None:
    tci = trade_complementarity(flows, year=2011)
    assert len(tci) == 41 * 40
    kor_chn = tci[(tci["economy_a"] == "KOR") & (tci["economy_b"] == "CHN")]["value"]
    one = trade_complementarity(flows, "KOR", "CHN", year=2011)["value"]
    np.testing.assert_allclose(kor_chn.to_numpy(), one.to_numpy(), atol=1e-12)
    esi = export_similarity(flows, "KOR", "CHN")
    assert esi["value"].between(0, 100).all()
