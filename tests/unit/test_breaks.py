"""Structural break detection (econsec.metrics.breaks)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from econsec.metrics.breaks import (
    ANDREWS_SUP_F_5PCT,
    BreakResult,
    chow_test,
    detect_break,
    sup_f_critical_value,
)

YEARS = np.arange(2000, 2024)


def broken_series(seed: int = 1) -> np.ndarray:
    """Rising complementarity until 2015, then a drop at 2016 and a falling trend."""
    rng = np.random.default_rng(seed)
    trend = np.where(YEARS < 2016, 40 + 0.8 * (YEARS - 2000), 48 - 1.5 * (YEARS - 2016))
    return trend + rng.normal(0.0, 0.5, YEARS.size)


def test_known_break_at_2016_found() -> None:
    res = detect_break(YEARS, broken_series(), higher_means="complementarity")
    assert isinstance(res, BreakResult)
    assert res.break_year == 2016
    assert res.p_value < 0.01
    assert res.significant
    assert res.f_stat > res.critical_value
    assert res.slope_before == pytest.approx(0.8, abs=0.1)
    assert res.slope_after == pytest.approx(-1.5, abs=0.2)
    assert res.direction == "toward competition"  # TCI fell
    assert res.shift < 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.break_year = 2000  # type: ignore[misc]


def test_direction_for_an_index_where_higher_means_competition() -> None:
    res = detect_break(YEARS, broken_series(), higher_means="competition")
    assert res.direction == "toward complementarity"  # ESI fell
    up = detect_break(YEARS, -broken_series(), higher_means="competition")
    assert up.break_year == 2016
    assert up.direction == "toward competition"  # ESI rose
    assert detect_break(YEARS, -broken_series()).direction == "higher"


def test_straight_line_has_no_significant_break() -> None:
    exact = detect_break(YEARS, 3.0 + 0.2 * YEARS, higher_means="complementarity")
    assert exact.f_stat == 0.0
    assert exact.p_value == 1.0
    assert not exact.significant
    assert exact.direction == "no clear change"
    rng = np.random.default_rng(7)
    noisy = detect_break(YEARS, 50 + 0.3 * (YEARS - 2000) + rng.normal(0, 1, YEARS.size))
    assert not noisy.significant
    assert noisy.direction == "no clear change"


def test_chow_test_at_known_year() -> None:
    res = chow_test(YEARS, broken_series(), 2016)
    assert res.break_year == 2016
    assert (res.df_num, res.df_den) == (2, YEARS.size - 4)
    assert res.p_value < 1e-6
    # F by hand from the SSRs: [(SSR_p - SSR_u)/2] / [SSR_u/(n-4)]
    assert res.f_stat == pytest.approx(
        ((res.ssr_pooled - res.ssr_split) / 2) / (res.ssr_split / (YEARS.size - 4))
    )


def test_chow_hand_computed() -> None:
    # y = 0,0,0,1,2,3 at t = 0..5, break at t = 3. Centred: t - 2.5, y - 1 = -1,-1,-1,0,1,2
    # Sxx = 17.5, Sxy = 2.5+1.5+.5+0+1.5+5 = 11, Syy = 8 -> SSR_p = 8 - 11^2/17.5 = 1.0857
    # segments (0,0,0) and (1,2,3) are exact lines -> SSR_u = 0 -> F = inf, p = 0
    t = np.arange(6)
    y = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    res = chow_test(t, y, 3)
    assert res.ssr_pooled == pytest.approx(8 - 11**2 / 17.5)
    assert res.f_stat == np.inf and res.p_value == 0.0
    # add one noisy point per segment: n = 8, compare with a direct lstsq computation
    t = np.arange(8)
    y = np.array([0.0, 0.5, 0.0, 0.2, 1.0, 2.0, 3.5, 4.0])
    res = chow_test(t, y, 4)

    def ssr(tt: np.ndarray, yy: np.ndarray) -> float:
        x = np.column_stack([np.ones_like(tt, dtype=float), tt])
        r = yy - x @ np.linalg.lstsq(x, yy, rcond=None)[0]
        return float(r @ r)

    ssr_u = ssr(t[:4], y[:4]) + ssr(t[4:], y[4:])
    f = ((ssr(t, y) - ssr_u) / 2) / (ssr_u / 4)
    assert res.f_stat == pytest.approx(f)


def test_critical_values() -> None:
    assert ANDREWS_SUP_F_5PCT[2] == pytest.approx(5.86)
    cv17 = sup_f_critical_value(np.arange(1995, 2012))
    assert 7.0 < cv17 < 9.0  # finite-sample value for 17 years is well above 5.86
    assert sup_f_critical_value(np.arange(200)) < cv17
    res = detect_break(YEARS, broken_series(), critical_value=1e9)
    assert not res.significant and res.critical_value == 1e9


def test_input_validation() -> None:
    with pytest.raises(ValueError):
        detect_break(YEARS[:5], broken_series()[:5])  # too short for two segments of 3
    with pytest.raises(ValueError):
        detect_break(YEARS, broken_series(), higher_means="rivalry")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        chow_test(YEARS, broken_series(), 2001)
    with pytest.raises(ValueError):
        detect_break([2000, 2000, 2001], [1.0, 2.0, 3.0])


def test_unsorted_years_and_nans_are_handled() -> None:
    y = broken_series()
    y_nan = y.copy()
    y_nan[3] = np.nan
    order = np.random.default_rng(0).permutation(YEARS.size)
    res = detect_break(YEARS[order], y_nan[order])
    assert res.break_year == 2016
    assert res.n_obs == YEARS.size - 1
