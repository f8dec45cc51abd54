"""Each replay of a real episode against its documented outcomes. Figures, sources, roles
and tolerances are in the scenario files (``outcomes:``): one generic test scores every
outcome against the tolerance it carries (OpenFisca-style). An outcome the model misses
(or cannot simulate) carries ``known_miss`` in the YAML: its test is then a strict xfail
with that reason, which turns into a failure, to be promoted, when the engine is fixed.

The other tests check what outcomes cannot: diversion, per-run licence draws, the
documented figures recomputed from the shared data, and arrivals under the US ban.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from econsec.data.importers.trade_extracts import read_china_monthly
from econsec.policy.compare import (
    not_simulated_reason,
    outcome_check,
    replay_names,
    simulated_change,
)
from econsec.policy.scenarios import Scenario, load_named
from simhelpers import count_workers, shipped_run

RUNS, SEED = 20, 0
pytestmark = pytest.mark.shares("shared_runs")  # shipped_run: the session's runs


@functools.cache
def replay(name: str) -> tuple[Scenario, Any, pd.DataFrame]:
    scenario = load_named(name)
    result = shipped_run(name, RUNS, SEED).result  # run once per session
    return scenario, result, outcome_check(scenario, result)


def gain(name: str, buyer: str, good: str, supplier: str) -> float:
    div = replay(name)[1].diversion()
    rows = div[(div["buyer"] == buyer) & (div["good"] == good) & (div["supplier"] == supplier)]
    return float(rows["change"].mean())


def _outcome_cases() -> list[Any]:
    cases = []
    for name in replay_names():
        for o in load_named(name).outcomes:
            marks = [pytest.mark.xfail(strict=True, reason=o.known_miss)] if o.known_miss else []
            cases.append(pytest.param(name, o.id, id=f"{name}.{o.id}", marks=marks))
    return cases


@pytest.mark.parametrize(("name", "oid"), _outcome_cases())
def test_replay_outcome_within_its_tolerance(name: str, oid: str) -> None:
    # the case carries its own margin: documented change (or range) +- tolerance, from the
    # figure's measurement error (the outcome's note); calibration outcomes too (the fit
    # must hold), though the skill score never counts them
    scenario, result, _ = replay(name)
    o = next(x for x in scenario.outcomes if x.id == oid)
    sim = simulated_change(o, result, scenario.start)
    assert sim is not None, not_simulated_reason(o, result, scenario.start)
    band = o.documented_band
    assert band is not None and o.tolerance is not None
    assert band[0] - o.tolerance - 1e-9 <= sim <= band[1] + o.tolerance + 1e-9, (
        f"{oid}: simulated {sim:+.3f} outside {band[0]:+.3f}..{band[1]:+.3f} "
        f"+- {o.tolerance:.2f}")


def test_jpn_kor_2019_korea_resources_to_other_origins() -> None:
    # documented: re-sourced to domestic makers, China, Taiwan and the US (MOTIE 2021): other
    # origins from 55.4 % (H1 2019) to 87.2 % (2020) of Korea's HF imports (+57 %).
    # Simulated in 2020: the world's other origins (ROW) keep about 71 % of their pre-control
    # flow (Korean makers displace part of it) while Japan's capped flow keeps about a
    # quarter, so ROW's share of the imports rises from 0.555 to about 0.80 (+44 %)
    scenario, result, _ = replay("jpn_kor_2019")
    first, last = ((pd.Timestamp(d).date() - scenario.start).days
                   for d in ("2020-01-01", "2020-12-31"))
    keys, vals = result.trade_in_window(first, last)
    hf = ((keys["buyer"] == "KOR") & (keys["good"] == "hydrogen_fluoride")).to_numpy()
    row, jpn = ((hf & (keys["supplier"] == s).to_numpy()) for s in ("ROW", "JPN"))
    base = keys["baseline"].to_numpy()
    before = base[row].sum() / (base[row].sum() + base[jpn].sum())
    now = vals[:, row].sum(axis=1) / (vals[:, row].sum(axis=1) + vals[:, jpn].sum(axis=1))
    assert 0.5 < before < 0.6
    assert float(np.median(now)) / before - 1 > 0.3
    # induced localisation (sourced in the YAML: Soulbrain's doubled capacity, "about two
    # thirds" of Korean chipmakers' needs by 2 Jan 2020): by the horizon (day 549, past the
    # 182-day lead) every Korean HF slot sources at least 0.67 domestically (tau = s0 +
    # 1 x (0.67 - s0), with s0 = 0.33 < 0.67), against 0.33 before
    div = result.diversion()
    dom = div[(div["buyer"] == "KOR") & (div["good"] == "hydrogen_fluoride")
              & (div["supplier"] == "KOR")]
    assert len(dom) and (dom["share_before"] < 0.34).all()
    assert (dom["share_after"] >= 0.67 - 1e-9).all()
    # EUV resist licences were all granted (after 34-46 days): no re-sourcing away from
    # Japan, unlike HF, where 73 % of the orders are refused in this replay
    assert abs(gain("jpn_kor_2019", "KOR", "photoresist_euv", "JPN")) < 0.01


def test_jpn_kor_2019_korea_chip_output_barely_moves() -> None:
    # documented: no production stoppage (Korea Bizwire 2021): inventories of 1-2 months
    # bridge licences granted after 34-46 days (EUV resist) while HF is re-sourced
    summ = replay("jpn_kor_2019")[1].summary()
    dram = summ[(summ["economy"] == "KOR") & (summ["good"] == "dram")].iloc[0]
    assert dram["loss_usd_bn_p50"] / dram["baseline_usd_bn"] < 0.05


def test_jpn_kor_2019_licences_are_released_over_the_documented_dates() -> None:
    # the windows are spread over the shipments of every run (not drawn per run): EUV
    # resist licences on 7 and 19 Aug 2019, triangular (34, 40, 46) days after the control
    # (4 Jul = day 3); a day's approved shipments leave Japan from day 3 + 34 = 37 on, the
    # first day's share F(34.5) = 0.5^2 / ((46 - 34)(40 - 34)) = 1/288, approved in full
    # from the steady state's orders: departures are 0 on day 36 and 1/288 of the
    # pre-shock rate on day 37 in every run
    result = replay("jpn_kor_2019")[1]
    assert not [c for c in result.params if c.startswith("licence_delay_days.")]

    def departed(day: int) -> np.ndarray:
        keys, vals = result.trade_in_window(day, day, departed=True)
        sel = ((keys["good"] == "photoresist_euv") & (keys["supplier"] == "JPN")
               & (keys["buyer"] == "KOR")).to_numpy()
        return np.asarray(vals[:, sel].sum(axis=1) / keys["baseline"].to_numpy()[sel].sum())

    np.testing.assert_array_equal(departed(36), 0.0)
    np.testing.assert_allclose(departed(37), 1 / 288, rtol=1e-6)  # recorded as float32


def test_chn_ga_ge_2023_buyers_turn_to_other_producers() -> None:
    # the outcomes (Aug-Dec 2023, 2024) are scored from the YAML; here: buyers outside
    # China turn to other producers, as far as their spare capacity allows
    assert gain("chn_ga_ge_2023", "ROW", "gallium", "RUS") > 0.0
    assert gain("chn_ga_ge_2023", "ROW", "germanium", "ROW") > 0.0


def test_chn_graphite_2023_buyers_turn_to_other_producers() -> None:
    # the anode makers outside China (Korea's and Japan's in the 2023 world, SNE Research)
    # move the refused orders to other producers: their non-Chinese share rises by what
    # China's falls; the other producers' output grows only by their spare capacity (5-15 %)
    _, result, _ = replay("chn_graphite_2023")
    div = result.diversion()
    for buyer in ("KOR", "JPN"):
        rows = div[(div["buyer"] == buyer) & (div["good"] == "graphite_natural")]
        china = rows.loc[rows["supplier"] == "CHN", "change"].sum()
        others = rows.loc[rows["supplier"] != "CHN", "change"].sum()
        assert china < -0.05 and others == pytest.approx(-china, rel=0.01)  # medians of runs
    summ = result.summary()
    other = summ[(summ["good"] == "graphite_natural") & (summ["economy"] != "CHN")]
    gained = -other["loss_usd_bn_p50"]
    assert gained.max() > 0.0
    assert (gained <= 0.15 * other["baseline_usd_bn"] + 1e-12).all()


def graphite_change(prefix: str) -> tuple[float, float]:
    checks = replay("chn_graphite_2023")[2]
    row = checks[checks["period"].str.startswith(prefix)].iloc[0]
    return float(row["documented_change"]), float(row["simulated_change"])


def test_chn_graphite_2023_comtrade_outcomes_recomputed_from_the_data(
        shared_data: Path) -> None:
    # the documented figures are China's exports of HS 250410 in UN Comtrade's monthly
    # data, read as published (39 partners of the derived tables), against Jan-Oct 2023
    path = shared_data / "comtrade_china_ga_ge_graphite_monthly" / "deep_dive_hs6_monthly.csv"
    if not path.exists():
        pytest.skip(f"{path} not in shared data")
    monthly = read_china_monthly(path)
    tonnes = monthly[monthly["product"] == "250410"].groupby("month")["quantity"].sum()
    before = tonnes.loc["2023-01-01":"2023-10-01"].mean()
    assert before == pytest.approx(12_308.7, abs=0.1)
    for prefix, first, last in (("2024-01/2024-02", "2024-01-01", "2024-02-01"),
                                ("2024-03/2024-06", "2024-03-01", "2024-06-01"),
                                ("2024-07/2024-12", "2024-07-01", "2024-12-01")):
        documented, _ = graphite_change(prefix)
        assert tonnes.loc[first:last].mean() / before - 1 == pytest.approx(documented,
                                                                             abs=0.0005)


def test_chn_ga_ge_us_ban_2024_us_arrivals_under_the_ban() -> None:
    # the 2024 and 2025 outcomes are scored from the YAML; here: the ban itself
    scenario, result, _ = replay("chn_ga_ge_us_ban_2024")
    # from 9 Apr 2025 to the horizon (30 Jun), when the shipments approved before the ban
    # (2 Dec 2024 the last) have all arrived: released 51-97 days after their approval
    # (spread over the window), so by 9 Mar, then 30 days at sea to the US (transit table)
    first = (pd.Timestamp("2025-04-09").date() - scenario.start).days
    keys, vals = result.trade_in_window(first, first + 82)
    sel = ((keys["buyer"] == "USA") & (keys["supplier"] == "CHN")
           & (keys["good"] == "germanium")).to_numpy()
    # the registry ban blocks 90 % from 3 Dec 2024 on top of the 40 % approvals: <= 4 %
    base = float(keys.loc[sel, "baseline"].sum())
    assert sel.any() and float(np.median(vals[:, sel].sum(axis=1))) <= 0.04 * base + 1e-12


def test_every_replay_outcome_has_a_source_and_prices_are_simulated() -> None:
    names = replay_names()
    # the replays are the shipped scenarios of kind replay (no list kept beside them)
    assert names == ["auto_chips_2021", "chn_ga_ge_2023", "chn_ga_ge_us_ban_2024",
                     "chn_graphite_2023", "chn_ree_2025", "chn_ree_japan_2010", "chn_sb_2024",
                     "jpn_kor_2019"]
    for name in names:
        scenario = load_named(name)
        assert scenario.kind == "replay" and scenario.outcomes
        for o in scenario.outcomes:
            assert o.source.url.startswith("http") and o.source.publisher and o.year
    # the gallium price under the 2023 licensing (econsec.simulation.prices): up
    checks = replay("chn_ga_ge_2023")[2]
    price = checks[checks["metric"] == "price"].iloc[0]
    assert price["simulated_direction"] == "up"


def test_every_replay_reads_the_world_of_its_own_time() -> None:
    # a replay of a past episode reads the world's figures up to its start year, never a
    # later year standing in for it (chn_ree_japan_2010 read the latest figures until
    # December 2026: China 70 % of Japan's rare-earth imports instead of 90 %)
    for name in replay_names():
        scenario = load_named(name)
        assert scenario.as_of_year == scenario.start.year, name


def _period_window(period: str) -> tuple[Any, Any] | None:
    """The calendar span a documented period names at its start (a month ``2010-11``, a
    run of months ``2024-01/2024-10``, a quarter ``2021-Q3``, a half ``2025-H1``, a year
    ``2024 vs ...``), or None when it names days or something else."""
    import calendar
    import datetime as dt
    import re

    def month_end(y: int, m: int) -> Any:
        return dt.date(y, m, calendar.monthrange(y, m)[1])

    if m := re.match(r"(\d{4})-(\d{2})/(\d{4})-(\d{2})(?![-\d])", period):
        y1, m1, y2, m2 = map(int, m.groups())
        return dt.date(y1, m1, 1), month_end(y2, m2)
    if m := re.match(r"(\d{4})-(\d{2})(?![-/\d])", period):
        y, mo = map(int, m.groups())
        return dt.date(y, mo, 1), month_end(y, mo)
    if m := re.match(r"(\d{4})-([QH])([1-4])\b", period):
        y, kind, n = int(m.group(1)), m.group(2), int(m.group(3))
        months = 3 if kind == "Q" else 6
        return dt.date(y, (n - 1) * months + 1, 1), month_end(y, n * months)
    if m := re.match(r"(\d{4}) (vs|\()", period):
        y = int(m.group(1))
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    return None


def test_a_documented_period_is_read_over_the_whole_period() -> None:
    # an outcome whose period is a calendar month, quarter, half or year ("2010-11 vs ...",
    # "2021-Q3 vs plan") is a figure for that whole span, so its window must cover it
    # (chn_ree_japan_2010's November outcomes read 1-19 Nov until December 2026, a
    # leftover of an older horizon)
    checked = 0
    for name in replay_names():
        for o in load_named(name).outcomes:
            span = _period_window(o.period)
            if span is None or o.window is None:
                continue
            assert o.window == span, (name, o.id, o.period)
            checked += 1
    assert checked >= 45  # nearly every outcome is a customs or output figure of a span


def test_period_spans_by_hand() -> None:
    import datetime as dt

    d = dt.date
    assert _period_window("2010-11 vs Jan-Aug 2010") == (d(2010, 11, 1), d(2010, 11, 30))
    assert _period_window("2024-01/2024-02 vs x") == (d(2024, 1, 1), d(2024, 2, 29))
    assert _period_window("2021-Q3 vs plan") == (d(2021, 7, 1), d(2021, 9, 30))
    assert _period_window("2025-H1 vs 2024-H1") == (d(2025, 1, 1), d(2025, 6, 30))
    assert _period_window("2020 vs 2018 (USD)") == (d(2020, 1, 1), d(2020, 12, 31))
    assert _period_window("2023-12-15 vs 2023-06-30") is None  # days: not a span
    assert _period_window("China's share of ...") is None


def test_calibrated_parameters_name_what_they_were_fitted_on() -> None:
    # from the scenario notes and the commits that set them (git log): each approved share
    # was fitted on one customs figure
    fitted = {name: [(c.parameter, c.value, c.outcomes) for c in load_named(name).calibrations]
              for name in replay_names()}
    assert fitted == {
        "jpn_kor_2019": [("measures[1].approval_rate", 0.27, ("hf_2019_12",))],
        "chn_ga_ge_2023": [("measures[1].approval_rate", 0.69, ("ga_2024_vs_2022",))],
        "chn_ga_ge_us_ban_2024": [("measures[2].approval_rate", 0.69,
                                   ("chn_ga_ge_2023.ga_2024_vs_2022",))],
        "chn_graphite_2023": [("measures[0].intensity", 0.09, ("gr_2024_03_06",))],
        "chn_ree_japan_2010": [], "chn_ree_2025": [],
        "auto_chips_2021": [("parameters.inventory_days", {"dist": "fixed", "args": [6]},
                             ("lv_2021_q1",))],
        "chn_sb_2024": []}   # licence delays from the press, the registry's approval


def test_econsec_replays_json_schema(shared_runs: None) -> None:
    import json

    from typer.testing import CliRunner

    from econsec.cli.app import app

    # the session's runs of the replay (shared_runs: RUNS, SEED as above, run once)
    res = CliRunner().invoke(app, ["replays", "--scenario", "jpn_kor_2019", "--runs",
                                   str(RUNS), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert list(rows[0])[:11] == ["scenario", "outcome", "role", "period", "documented",
                                  "simulated", "tolerance", "within_tolerance",
                                  "direction_ok", "source", "unit"]
    # the one outcome documented in USD (a customs value), the share, the rest volumes
    assert {r["outcome"]: r["unit"] for r in rows if r["unit"] != "tonnes"} == {
        "hf_2020_vs_2018": "usd", "hf_share_2020": "share", "logic_output_2019_2020": "units"}
    assert [r["outcome"] for r in rows] == [o.id for o in load_named("jpn_kor_2019").outcomes]
    dec = next(r for r in rows if r["outcome"] == "hf_2019_12")
    assert dec["role"] == "calibration" and dec["status"] == "calibration (not counted)"
    res = CliRunner().invoke(app, ["replays", "--scenario", "jpn_kor_2019", "--runs",
                                   str(RUNS), "--format", "json", "--summary"])
    summary = {r["scenario"]: r for r in json.loads(res.stdout)}
    # 7 outcomes, one of them calibration: 6 validation outcomes counted
    assert summary["all"]["validation"] == 6 and summary["all"]["calibration"] == 1
    res = CliRunner().invoke(app, ["replays", "--scenario", "taiwan_strait_advanced_logic"])
    assert res.exit_code == 2 and "not a replay" in res.output


def test_replay_table_keeps_outcomes_the_world_cannot_simulate(shared_runs: None) -> None:
    from econsec.policy.runner import replay_table

    table = replay_table(runs=RUNS, seed=SEED)  # the session's runs (shared_runs)
    # neodymium's documented rise (Jan-Aug 2010) precedes the replay's start (1 Sep 2010)
    nd = table[(table["replay"] == "chn_ree_japan_2010")
               & table["outcome"].str.startswith("price ROW rare_earth_processing")]
    assert len(nd) == 1 and nd["simulated_direction"].iloc[0] == "not simulated"
    # Korea's spherical-graphite imports are simulated: the 2023 world holds Korea's anode
    # maker (SNE Research: 2.3 % of 2023 EV anode loading), a buyer of Chinese graphite
    kor = table[(table["replay"] == "chn_graphite_2023")
                & table["outcome"].str.startswith("imports KOR<-CHN")]
    assert len(kor) == 1 and kor["simulated_direction"].iloc[0] == "down"
    assert table["simulated_change"].notna().sum() == len(table) - 1


def test_chn_sb_2024_licensed_volumes_and_the_us_ban() -> None:
    # the outcomes are scored from the YAML; here: the mechanism by hand
    scenario, result, _ = replay("chn_sb_2024")
    # departures (what China's customs count; arrivals follow after the days at sea)
    keys, vals = result.trade_in_window(
        *((pd.Timestamp(d).date() - scenario.start).days for d in ("2025-01-01", "2025-01-31")),
        departed=True)
    base = keys["baseline"].to_numpy()
    oxide = ((keys["supplier"] == "CHN") & (keys["good"] == "antimony_trioxide")
             & keys["shocked"]).to_numpy()
    others = oxide & (keys["buyer"] != "USA").to_numpy()
    # January 2025 (day 108-138): every run's oxide licence delay (45-92 days) is over, so
    # buyers other than the US get the approved 1 - 0.6 = 40 % of their pre-control volume
    assert others.any()
    assert float(np.median(vals[:, others].sum(axis=1))) == pytest.approx(
        0.4 * float(base[others].sum()), rel=1e-6)
    # the US ban (3 Dec 2024, Announcement No. 46: "in principle" no licence, intensity 1.0)
    # refuses what waits in the licence pipeline for US buyers on its first day (the
    # refusal at the border), so nothing leaves for the US from 3 Dec on, in every run
    first = (pd.Timestamp("2024-12-03").date() - scenario.start).days
    keys, vals = result.trade_in_window(first, first + 120, departed=True)
    us = ((keys["buyer"] == "USA") & (keys["supplier"] == "CHN")
          & (keys["good"] == "antimony_trioxide")).to_numpy()
    assert us.any() and float(keys.loc[us, "baseline"].sum()) > 0
    assert float(vals[:, us].sum(axis=1).max()) == 0.0
    # the day before, licensed shipments were still leaving for the US
    keys, vals = result.trade_in_window(first - 1, first - 1, departed=True)
    assert float(np.median(vals[:, us].sum(axis=1))) > 0.0


def _output_in_window_uncached(result: Any, first: float, last: float, *,
                               nominal: bool = False) -> Any:
    """``SimResult.output_in_window`` as it was before the per-result cache: every metric
    of the records read again for each window (real output: the outcomes it stands in
    for are in units)."""
    assert not nominal
    rec = result.recorder
    w = result._window_weights(first, last)
    vals = np.tensordot(w[1:], rec.series["output"][1:].astype(np.float64), axes=(0, 0))
    labels = result.baseline.node_labels().iloc[rec.tracked].reset_index(drop=True)
    return labels, np.asarray(vals), np.asarray(result.baseline.x0[rec.tracked])


def test_cached_output_windows_leave_the_replay_table_unchanged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # auto_chips_2021 scores windowed output outcomes (several windows on one result)
    scenario, result, cached = replay("auto_chips_2021")
    windowed = [o for o in scenario.outcomes if o.metric == "output" and o.window]
    assert len(windowed) >= 2
    monkeypatch.setattr(type(result), "output_in_window", _output_in_window_uncached)
    before = outcome_check(scenario, result)
    pd.testing.assert_frame_equal(cached, before, check_exact=True)
    out = before[before["metric"] == "output"]["simulated_change"]
    assert out.notna().sum() >= 2  # the comparison covers real numbers, not only gaps


def test_replays_side_by_side_give_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # each replay on its own worker process (auto: one per CPU, here 2) scores exactly as
    # one after the other in this process, rows in the order asked
    from typer.testing import CliRunner

    from econsec.cli.app import app
    from econsec.policy.skill import score_replays

    names = ["jpn_kor_2019", "chn_graphite_2023", "chn_ga_ge_2023"]
    here = score_replays(names=names, runs=2, seed=3, workers=1)
    opened = count_workers(monkeypatch, cpus=2)
    apart = score_replays(names=names, runs=2, seed=3, workers=None)
    assert opened == [2]
    pd.testing.assert_frame_equal(apart.outcomes, here.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(apart.summary, here.summary, check_exact=True)
    assert apart.notes == here.notes
    assert here.runs == apart.runs == 2  # recorded for the brief's key finding
    assert list(dict.fromkeys(apart.outcomes["scenario"])) == names
    res = CliRunner().invoke(app, ["replays", "--workers", "none"])
    assert res.exit_code == 2 and "--workers must be a positive number or auto" in res.output
