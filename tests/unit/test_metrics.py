"""Metrics against hand-computed and textbook values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from econsec import analysis
from econsec.data.world import load_world
from econsec.metrics.concentration import grouped_hhi, hhi
from econsec.metrics.leontief import (
    leontief_inverse,
    origin_shares,
    technical_coefficients,
    value_added_coefficients,
)


def test_hhi_textbook_values() -> None:
    assert hhi([1.0]) == 1.0
    assert hhi([0.5, 0.5]) == 0.5
    assert hhi([0.6, 0.3, 0.1]) == pytest.approx(0.46)
    with pytest.raises(ValueError):
        hhi([0.8, 0.8])


def test_grouped_hhi_leaves_out_rest_of_world() -> None:
    frame = pd.DataFrame({"good": ["g"] * 3, "economy": ["CHN", "JPN", "ROW"],
                          "share": [0.6, 0.3, 0.1]})
    out = grouped_hhi(frame, ["good"], "economy")
    assert out.loc[0, "hhi"] == pytest.approx(0.36 + 0.09)
    assert out.loc[0, "hhi_points"] == 4500
    assert out.loc[0, "top_party"] == "CHN"


def test_leontief_inverse_miller_blair_example() -> None:
    # Miller & Blair (2009), section 2.3: A = [[.15, .25], [.20, .05]],
    # L = [[1.2541, .3300], [.2640, 1.1221]] (to 4 decimals).
    a = np.array([[0.15, 0.25], [0.20, 0.05]])
    big_l = leontief_inverse(a)
    assert big_l == pytest.approx(np.array([[1.2541, 0.3300], [0.2640, 1.1221]]), abs=1e-4)


def test_origin_shares_two_nodes_by_hand() -> None:
    # node 0 (origin 0) uses 0.5 of node 1 (origin 1); node 1 uses nothing.
    # v = [0.5, 1]; O[origin 0, node 0] = 0.5, O[origin 1, node 0] = 0.5; node 1 all origin 1.
    a = sp.csc_matrix(np.array([[0.0, 0.0], [0.5, 0.0]]))
    v = value_added_coefficients(a)
    assert list(v) == [0.5, 1.0]
    o = origin_shares(a, v, np.array([0, 1]))
    assert o == pytest.approx(np.array([[0.5, 0.0], [0.5, 1.0]]))
    o_it = origin_shares(a, v, np.array([0, 1]), method="iterative")
    assert o_it == pytest.approx(o, abs=1e-12)


def test_technical_coefficients_zero_output_column() -> None:
    z = np.array([[1.0, 0.0], [2.0, 0.0]])
    a = technical_coefficients(z, np.array([10.0, 0.0])).toarray()
    assert a.tolist() == [[0.1, 0.0], [0.2, 0.0]]


def test_tiny_world_lookthrough_by_hand(tiny_world_path: Path) -> None:
    w = load_world(tiny_world_path)
    x = analysis.exposure("KOR", tiers="all", world=w)
    got = {(r.good, r.supplier): r.share for r in x.itertuples()}
    # chem: 0.9 from JPN (half JPN value added, half Chinese ore) + 0.1 from CHN
    assert got[("chem", "JPN")] == pytest.approx(0.45)
    assert got[("chem", "CHN")] == pytest.approx(0.55)
    # chip: 0.6 Korean node (KOR .8, JPN .09, CHN .11) + 0.4 Japanese (JPN .88, CHN .12)
    assert got[("chip", "KOR")] == pytest.approx(0.48)
    assert got[("chip", "JPN")] == pytest.approx(0.406)
    assert got[("chip", "CHN")] == pytest.approx(0.114)
    # phone: half Korean-made, half Chinese-made
    assert got[("phone", "KOR")] == pytest.approx(0.492)
    assert got[("phone", "CHN")] == pytest.approx(0.3456)
    assert got[("phone", "JPN")] == pytest.approx(0.1624)
    assert x.groupby("good")["share"].sum().to_numpy() == pytest.approx(np.ones(4))


def test_tiny_world_direct_dependence(tiny_world_path: Path) -> None:
    w = load_world(tiny_world_path)
    d = analysis.exposure("KOR", tiers="direct", world=w)
    chem = d[d["good"] == "chem"].set_index("supplier")
    assert chem.loc["JPN", "share"] == 0.9 and chem.loc["JPN", "basis"] == "import shares"
    assert chem.loc["JPN", "import_hhi"] == pytest.approx(0.82)
    # chip: no import data -> world shares of others renormalised: JPN 0.4 / (1 - 0.6) = 1
    chip = d[d["good"] == "chip"].set_index("supplier")
    assert chip.loc["JPN", "share"] == pytest.approx(1.0)
    assert chip.loc["JPN", "basis"] == "world-share proxy"


def test_tiny_world_chokepoints_by_hand(tiny_world_path: Path) -> None:
    w = load_world(tiny_world_path)
    c = analysis.chokepoints(world=w).set_index("good")
    # ore: CHN 1.0 x (1 - 0.2) x 100/100
    assert c.loc["ore", "holder"] == "CHN" and c.loc["ore", "score"] == pytest.approx(0.8)
    # chem: JPN 0.8 x (1 - 0.1) x 1
    assert c.loc["chem", "score"] == pytest.approx(0.72)
    assert "phone" not in c.index  # end products are not chokepoint inputs
    both = analysis.chokepoints("JPN,KOR", "CHN", world=w)
    exp = both[both["direction"] == "exposure"].set_index("good")
    lev = both[both["direction"] == "leverage"].set_index("good")
    assert list(exp.index) == ["ore"] and exp.loc["ore", "target_dependence"] == 1.0
    assert lev.loc["chem", "holder_share"] == pytest.approx(0.8)
    # CHN's import dependence on JPN+KOR for chem: JPN 0.8 / (1 - 0.2) = 1
    assert lev.loc["chem", "target_dependence"] == pytest.approx(1.0)


def test_tiny_world_self_sufficiency_by_hand(tiny_world_path: Path) -> None:
    w = load_world(tiny_world_path)
    s = analysis.self_sufficiency("JPN,KOR", world=w).set_index("good")
    # chem: JPN buys 0.8 at home, KOR 0.9 from JPN -> mean 0.85
    assert s.loc["chem", "self_sufficiency"] == pytest.approx(0.85)
    assert s.loc["ore", "self_sufficiency"] == 0.0
    assert s.loc["chip", "self_sufficiency"] == pytest.approx(1.0)


def test_domestic_supply_shares_replace_the_own_share_by_hand(tiny_copy: Path) -> None:
    (tiny_copy / "domestic_shares.csv").write_text(
        "economy,good,share,year,basis,source,note\n"
        "KOR,chem,0.25,2024,own output / use,t_fixture,\n"
        "JPN,chip,0.7,2024,own output / use,t_fixture,\n")
    w = load_world(tiny_copy)
    mix = analysis.network(w).mix.set_index(["buyer", "good", "supplier"])["share"]
    # KOR chem: imports JPN 0.9, CHN 0.1 (no own world share) -> 0.25 at home, the rest
    # rescaled to 0.75: JPN 0.675, CHN 0.075
    assert mix[("KOR", "chem", "KOR")] == 0.25
    assert mix[("KOR", "chem", "JPN")] == pytest.approx(0.675)
    assert mix[("KOR", "chem", "CHN")] == pytest.approx(0.075)
    # JPN chip: world-share proxy KOR 0.6, JPN 0.4 -> JPN 0.7, KOR 0.6 x 0.3 / 0.6 = 0.3
    assert mix[("JPN", "chip", "JPN")] == 0.7
    assert mix[("JPN", "chip", "KOR")] == pytest.approx(0.3)
    # other buyers keep the proxy; every mix still sums to 1
    assert mix[("KOR", "chip", "KOR")] == pytest.approx(0.6)
    assert np.allclose(mix.groupby(level=[0, 1]).sum(), 1.0)
    # the analyses read it: chem inside JPN+KOR = (0.8 + 0.25 + 0.675) / 2
    s = analysis.self_sufficiency("JPN,KOR", world=w).set_index("good")
    assert s.loc["chem", "self_sufficiency"] == pytest.approx(0.8625)
    # the import-share view is unchanged (domestic supply is not an import)
    d = analysis.exposure("KOR", tiers="direct", world=w)
    assert d[(d["good"] == "chem") & (d["supplier"] == "JPN")]["share"].iloc[0] == 0.9


def test_iterative_origin_shares_do_not_depend_on_the_krylov_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the answer's criterion is the Neumann one: whatever finite start BiCGSTAB hands over
    # (here zeros, or seven times the right-hand side, as a poor start would), the result
    # is still the exact solve, on the block path and on the plain per-origin one. 3 nodes,
    # 2 origins; exact values by the direct solve (SuperLU) of the same system
    from econsec.metrics import leontief, leontief_block

    a = sp.csc_matrix(np.array([[0.1, 0.3, 0.0], [0.2, 0.0, 0.4], [0.0, 0.1, 0.2]]))
    v = 1.0 - np.asarray(a.sum(axis=0)).ravel()
    labels = np.array([0, 1, 1])
    exact = origin_shares(a, v, labels, method="direct")
    assert exact.sum(axis=0) == pytest.approx(np.ones(3), abs=1e-14)  # v'L = 1
    rhs = np.where(labels[:, None] == np.array([0, 1])[None, :], v[:, None], 0.0)
    for scale in (0.0, 7.0):
        monkeypatch.setattr(leontief_block, "_bicgstab_block",
                            lambda prod, b, tol, it, _s=scale: np.array(b * _s))
        got = origin_shares(a, v, labels, method="iterative", tol=1e-15)
        assert got == pytest.approx(exact, abs=1e-13)
        monkeypatch.setattr(leontief, "_krylov_start",
                            lambda at, b, tol, it, _s=scale: b * _s)
        got = leontief.iterative_plain(a, rhs, tol=1e-15)
        assert got == pytest.approx(exact, abs=1e-13)
    # a start that is not finite never passes for converged: a named error, not NaN shares
    monkeypatch.setattr(leontief_block, "_bicgstab_block",
                        lambda prod, b, tol, it: np.full_like(b, np.nan))
    with pytest.raises(RuntimeError, match="did not converge"):
        origin_shares(a, v, labels, method="iterative", tol=1e-15, max_iter=50)
    monkeypatch.setattr(leontief, "_krylov_start", lambda at, b, tol, it: b * np.nan)
    with pytest.raises(RuntimeError, match="did not converge"):
        leontief.iterative_plain(a, rhs, tol=1e-15, max_iter=50)


def test_krylov_start_breaks_down_to_the_right_hand_side() -> None:
    # A = [[0, 1], [1, 0]] swaps the two nodes, so A' (1, 1) = (1, 1): BiCGSTAB from
    # x = b = (1, 1) has residual r = A' b = (1, 1) and (I - A') r = 0, the zero inner
    # product rhat' (I - A') p = 0 of a break-down; the start falls back to b itself
    from econsec.metrics.leontief import _krylov_start

    at = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    b = np.array([1.0, 1.0])
    assert list(_krylov_start(at, b, 1e-13, 100)) == [1.0, 1.0]


def test_krylov_start_reaches_the_max_norm_tolerance() -> None:
    # the 3-node system above, origin 1 (nodes 1 and 2): the start already solves
    # (I - A') x = b to the tolerance asked, checked against SuperLU's direct solve
    import scipy.sparse.linalg as spla

    from econsec.metrics.leontief import _krylov_start

    dense = np.array([[0.1, 0.3, 0.0], [0.2, 0.0, 0.4], [0.0, 0.1, 0.2]])
    v = 1.0 - dense.sum(axis=0)
    b = np.where(np.array([0, 1, 1]) == 1, v, 0.0)
    exact = spla.spsolve(sp.csc_matrix(np.eye(3) - dense.T), b)
    x = _krylov_start(sp.csr_matrix(dense.T), b, 1e-13, 100)
    assert np.max(np.abs(x - exact)) < 1e-12
    assert np.max(np.abs(b - x + dense.T @ x)) <= 1e-13
