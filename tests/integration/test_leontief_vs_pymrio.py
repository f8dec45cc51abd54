"""Look-through origin shares agree with pymrio's Leontief inverse (to 1e-9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econsec.metrics.leontief import origin_shares, technical_coefficients

pymrio = pytest.importorskip("pymrio")


def _pymrio_origin_shares(z: pd.DataFrame, y: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    io = pymrio.IOSystem(Z=z, Y=y)
    io.calc_all()
    big_l = io.L.to_numpy()
    a = io.A.to_numpy()
    v = 1.0 - a.sum(axis=0)
    regions = z.index.get_level_values(0).to_numpy()
    names = sorted(set(regions))
    g = np.array([[1.0 if r == name else 0.0 for r in regions] for name in names])
    return (g * v) @ big_l, io.x.to_numpy().ravel()


def test_small_mrio_matches_pymrio() -> None:
    idx = pd.MultiIndex.from_product([["r1", "r2"], ["s1", "s2"]], names=["region", "sector"])
    z = pd.DataFrame(
        [[10.0, 5.0, 2.0, 0.0],
         [4.0, 20.0, 1.0, 3.0],
         [1.0, 0.0, 8.0, 6.0],
         [2.0, 6.0, 5.0, 12.0]], index=idx, columns=idx)
    y = pd.DataFrame([[40.0, 10.0], [30.0, 12.0], [8.0, 50.0], [9.0, 35.0]], index=idx,
                     columns=pd.MultiIndex.from_product([["r1", "r2"], ["fd"]],
                                                        names=["region", "category"]))
    expected, x = _pymrio_origin_shares(z, y)
    a = technical_coefficients(z.to_numpy(), x)
    v = 1.0 - np.asarray(a.sum(axis=0)).ravel()
    got = origin_shares(a, v, np.array([0, 0, 1, 1]), [0, 1])
    assert np.max(np.abs(got - expected)) < 1e-9
    assert np.allclose(got.sum(axis=0), 1.0)


def wiod_table(shared_data: Path, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = shared_data / "wiod2013"
    inter = pd.read_parquet(folder / "wiot_intermediate_long_1995_2011.parquet",
                            filters=[("year", "=", year)])
    final = pd.read_parquet(folder / "wiot_final_demand_long_1995_2011.parquet",
                            filters=[("year", "=", year)])
    out = pd.read_csv(folder / "wiot_gross_output_1995_2011.csv")
    out = out[out["year"] == year]
    idx = pd.MultiIndex.from_arrays([out["country"].astype(str), out["industry"].astype(str)],
                                    names=["region", "sector"])
    pos = {k: i for i, k in enumerate(idx)}
    n = len(idx)
    z = np.zeros((n, n))
    r = [pos[k] for k in zip(inter["from_country"].astype(str),
                             inter["from_industry"].astype(str), strict=True)]
    c = [pos[k] for k in zip(inter["to_country"].astype(str),
                             inter["to_industry"].astype(str), strict=True)]
    np.add.at(z, (r, c), inter["value_musd"].to_numpy(dtype=float))
    regions = sorted(set(out["country"].astype(str)))
    ycol = {reg: i for i, reg in enumerate(regions)}
    y = np.zeros((n, len(regions)))
    fr = [pos[k] for k in zip(final["from_country"].astype(str),
                              final["from_industry"].astype(str), strict=True)]
    fc = [ycol[str(k)] for k in final["to_country"]]
    np.add.at(y, (fr, fc), final["value_musd"].to_numpy(dtype=float))
    ycols = pd.MultiIndex.from_product([regions, ["fd"]], names=["region", "category"])
    return pd.DataFrame(z, index=idx, columns=idx), pd.DataFrame(y, index=idx, columns=ycols)


@pytest.mark.slow
def test_wiod_2011_matches_pymrio(shared_data: Path) -> None:
    z, y = wiod_table(shared_data, 2011)
    assert z.shape == (1435, 1435)
    expected, x = _pymrio_origin_shares(z, y)
    a = technical_coefficients(z.to_numpy(), x)
    v = 1.0 - np.asarray(a.sum(axis=0)).ravel()
    regions = z.index.get_level_values(0).to_numpy()
    names = sorted(set(regions))
    labels = np.array([names.index(r) for r in regions])
    got = origin_shares(a, v, labels, list(range(len(names))))
    assert np.max(np.abs(got - expected)) < 1e-9
    # the domestic value-added share of KOR electrical & optical equipment (c14) is a
    # plausible 0.4-0.8 and the shares of every node sum to 1
    kor_c14 = list(z.index).index(("KOR", "c14"))
    assert 0.4 < got[names.index("KOR"), kor_c14] < 0.8
    assert np.allclose(got.sum(axis=0), 1.0, atol=1e-9)
