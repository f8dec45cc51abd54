"""Comtrade panels hold both reporting sides; exposure must not add them together."""

from __future__ import annotations

import pandas as pd
import pytest

from econsec import analysis
from econsec.data.world import load_world


def test_comtrade_mirror_rows_not_double_counted() -> None:
    w = load_world()
    # KOR imports of HS 281111 (hydrogen fluoride): importer reports JPN 60, CHN 40;
    # exporters' mirror reports JPN 90, CHN 10. Shares must come from one side only.
    flows = pd.DataFrame({
        "year": [2019] * 4,
        "exporter": ["JPN", "CHN", "JPN", "CHN"],
        "importer": ["KOR"] * 4,
        "product": ["281111"] * 4,
        "value": [60.0, 40.0, 90.0, 10.0],
        "quantity": [float("nan")] * 4,
        "flow_source": ["comtrade:M", "comtrade:M", "comtrade:X", "comtrade:X"],
    })
    out = analysis.exposure("KOR", good="hydrogen_fluoride", world=w, source="trade",
                            flows=flows, dataset="comtrade")
    shares = out.set_index("supplier")["share"]
    assert shares["JPN"] == 0.6
    assert shares["CHN"] == 0.4
    assert set(out["basis"]) == {"trade panel"}
    # import-source HHI of the importer-reported side only: 0.6^2 + 0.4^2 = 0.52
    assert out["import_hhi"].iloc[0] == pytest.approx(0.52, abs=1e-12)
