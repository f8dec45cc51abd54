"""Each replay of a real episode against its documented outcome (direction and rough
magnitude). Figures and sources are in the scenario files (``outcomes:``).

Where the engine does not (yet) reproduce the documented history, the test is a strict
xfail naming the gap: it turns into a failure, to be promoted, when the engine is fixed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from econsec.data.importers.trade_extracts import read_china_monthly
from econsec.policy.compare import outcome_check
from econsec.policy.runner import run_scenario
from econsec.policy.scenarios import Scenario, load_named

RUNS, SEED = 20, 0


@functools.cache
def replay(name: str) -> tuple[Scenario, Any, pd.DataFrame]:
    scenario = load_named(name)
    result = run_scenario(scenario, runs=RUNS, seed=SEED).result
    return scenario, result, outcome_check(scenario, result)


def change(name: str, metric: str, economy: str, good: str) -> float:
    checks = replay(name)[2]
    row = checks[(checks["metric"] == metric) & (checks["economy"] == economy)
                 & (checks["good"] == good)].iloc[0]
    return float(row["simulated_change"])


def gain(name: str, buyer: str, good: str, supplier: str) -> float:
    div = replay(name)[1].diversion()
    rows = div[(div["buyer"] == buyer) & (div["good"] == good) & (div["supplier"] == supplier)]
    return float(rows["change"].mean())


def test_jpn_kor_2019_hf_imports_from_japan_fall_sharply() -> None:
    # documented: -83.7 % (Jul 2019 vs Jun, MoF via BusinessKorea); -86 % (2020 vs 2018)
    assert -1.0 <= change("jpn_kor_2019", "imports", "KOR", "hydrogen_fluoride") <= -0.6
    checks = replay("jpn_kor_2019")[2]
    imports = checks[checks["metric"] == "imports"]
    hf = imports.set_index(imports["period"].str.slice(0, 7))["simulated_change"]
    # no licence yet in August-September 2019 (MoF: 0 t and 100 kg, -100 %); December,
    # once licences flowed, calibrates the approved share (-73.1 %, in sample); 2020 out of
    # sample: -73 % simulated vs -86 % documented (Korean buyers also moved approved orders)
    assert hf["2019-08"] == hf["2019-09"] == -1.0
    assert hf["2019-12"] == pytest.approx(-0.731, abs=0.01)
    assert -0.9 < hf["2020 vs"] < -0.6


def test_jpn_kor_2019_korea_resources_to_other_origins() -> None:
    # documented: re-sourced to domestic makers, China, Taiwan and the US (MOTIE 2021): other
    # origins from 55.4 % to 87.2 % of Korea's HF imports (+57 %). Simulated with buyers
    # moving orders over 60-120 days (qualification, sourced) to suppliers with headroom
    # (5-20 % spare): about +18 %: the direction holds, the size is under-predicted because
    # the world has no Korean or Chinese HF capacity expansion (Soulbrain, SK Materials)
    assert gain("jpn_kor_2019", "KOR", "hydrogen_fluoride", "ROW") > 0.1
    # EUV resist licences were all granted (after 34-46 days): no re-sourcing away from
    # Japan, unlike HF, where 73 % of the orders are refused in this replay
    assert abs(gain("jpn_kor_2019", "KOR", "photoresist_euv", "JPN")) < 0.01


def test_jpn_kor_2019_korea_chip_output_barely_moves() -> None:
    # documented: no production stoppage (Korea Bizwire 2021): inventories of 1-2 months
    # bridge licences granted after 34-46 days (EUV resist) while HF is re-sourced
    assert change("jpn_kor_2019", "output", "KOR", "logic_advanced") > -0.05
    summ = replay("jpn_kor_2019")[1].summary()
    dram = summ[(summ["economy"] == "KOR") & (summ["good"] == "dram")].iloc[0]
    assert dram["loss_usd_bn_p50"] / dram["baseline_usd_bn"] < 0.05


def test_jpn_kor_2019_licence_delays_are_drawn_per_run_within_the_documented_dates() -> None:
    params = replay("jpn_kor_2019")[1].params
    euv, hf = params["licence_delay_days.shock0"], params["licence_delay_days.shock1"]
    assert len(set(euv.tolist())) == RUNS  # one draw per run
    assert euv.min() >= 34 and euv.max() <= 46  # EUV resist licences: 7 and 19 Aug 2019
    assert hf.min() >= 56 and hf.max() <= 134  # HF: 29 Aug (gas) to ~15 Nov 2019 (liquid)


def test_chn_ga_ge_2023_exports_fall_then_partly_recover() -> None:
    # documented: -100 % in Aug 2023 (both metals); gallium -92 % Oct, -73 % Nov, -11 % Dec
    # 2023 (the backlog of licences), -26 % to -36 % over 2024 vs 2022 (China customs)
    for good in ("gallium", "germanium"):
        assert -1.0 <= change("chn_ga_ge_2023", "exports", "CHN", good) <= -0.4
    assert gallium_change("2023-10") < -0.6  # first licences after 51-97 days
    # gallium licences approve 69 % of pre-control volumes (calibrated on 2024: in sample,
    # so this checks that a licence cap holds over a year of restocking orders) ...
    assert gallium_change("2024 vs") == pytest.approx(-0.31, abs=0.01)
    # ... and December 2023 (out of sample) is at that level: -31 % vs -11 % documented (the
    # backlog spike above the cap is not in the model)
    assert -0.4 < gallium_change("2023-12") < -0.1
    # buyers outside China turn to other producers, as far as their spare capacity allows
    assert gain("chn_ga_ge_2023", "ROW", "gallium", "RUS") > 0.0
    assert gain("chn_ga_ge_2023", "ROW", "germanium", "ROW") > 0.0


def gallium_change(period: str) -> float:
    checks = replay("chn_ga_ge_2023")[2]
    rows = checks[(checks["good"] == "gallium") & checks["period"].str.startswith(period)]
    return float(rows["simulated_change"].iloc[0])


@pytest.mark.xfail(strict=True, reason="model gap: one licence delay per run, drawn from "
                   "the sourced window (first approvals 21 Sep to a permit in early Nov "
                   "2023), so by November gallium flows at the approved 69 % (-31 %); "
                   "documented: 1.53 t in November (-73 %) and 7.03 t in December, i.e. "
                   "most exporters were licensed only in late November-December")
def test_chn_ga_ge_2023_gallium_november_still_scarce() -> None:
    assert -0.8 < gallium_change("2023-11") < -0.5


def test_chn_graphite_2023_exports_fall() -> None:
    # documented: -94 % flake graphite Dec vs Nov 2023 (Fastmarkets); -77 % vs the
    # Jan-Oct monthly average (Bloomberg)
    assert -1.0 <= change("chn_graphite_2023", "exports", "CHN", "graphite_natural") <= -0.5
    # buyers move the refused orders to other producers (Mozambique's share of ROW's orders
    # rises), whose output grows only by their spare capacity (5-15 %)
    _, result, _ = replay("chn_graphite_2023")
    div = result.diversion()
    moz = div[(div["buyer"] == "ROW") & (div["good"] == "graphite_natural")
              & (div["supplier"] == "MOZ")].iloc[0]
    assert moz["change"] > 0.05 * moz["share_before"]
    summ = result.summary().set_index(["economy", "good"])
    gained = -summ.loc[("MOZ", "graphite_natural"), "loss_usd_bn_p50"]
    assert 0.0 < gained <= 0.15 * summ.loc[("MOZ", "graphite_natural"), "baseline_usd_bn"]


def test_chn_ga_ge_2023_smartphone_output_not_disrupted() -> None:
    # documented: world smartphone shipments +6.4 % in 2024 (IDC). Simulated about -2 %:
    # GaAs substrates are made in Germany, Japan, China and elsewhere (Yole 2019), Chinese
    # makers use domestic gallium, and Japan met 42 % of its use at home (mostly recycled)
    # and bought 57 % of its imports from China (JOGMEC 2021). Still a gap, not asserted:
    # RF chips outside China lose ~13 % of output, as German and other substrate makers
    # buy on the world-share proxy (98 % Chinese primary gallium; their recycling, part of
    # ~280 t/yr of secondary capacity worldwide per USGS, has no sourced split) and hold
    # only the scenario's 30-90 days of stock
    checks = replay("chn_ga_ge_2023")[2]
    row = checks[(checks["metric"] == "output") & (checks["good"] == "smartphones")].iloc[0]
    assert bool(row["direction_matches"])


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
    # simulated: no licensed shipment for 63 days (to 2 Feb), then 91 % approvals:
    # Jan-Feb -58 % (documented -62.5 %)
    assert -0.8 < graphite_change("2024-01/2024-02")[1] < -0.5


def test_chn_graphite_2023_exports_recover_from_march_2024() -> None:
    # approvals calibrated on Mar-Jun 2024 (91 % of pre-control volumes); buyers keep
    # ordering what is approved (restocking orders refused at the cap move no share), so
    # the out-of-sample Jul-Dec 2024 matches Comtrade (-8.5 %): simulated -9 %
    for prefix in ("2024-03/2024-06", "2024-07/2024-12"):
        documented, simulated = graphite_change(prefix)
        assert simulated == pytest.approx(documented, abs=0.05)


def test_chn_ga_ge_us_ban_2024_licensing_in_2024_and_the_us_ban() -> None:
    # documented: H1 2024 germanium exports under the 2023 licences 2,068 kg a month vs
    # 4,637 before them (-55 %; Rawmaterials.net, Reuters); no shipments to the US in
    # Jan-Oct 2024 (-100 %), none in 2025 (Canada the only buyer in the Americas)
    checks = replay("chn_ga_ge_us_ban_2024")[2].set_index("period")
    h1 = checks.loc[checks.index.str.startswith("2024-H1"), "simulated_change"].iloc[0]
    assert -0.8 <= h1 <= -0.4
    us = checks.loc[checks.index.str.startswith("2024-01/2024-10"), "simulated_change"].iloc[0]
    # the US buyer gets the 40 % approvals of every buyer (no other supplier has headroom):
    # -60 %; documented -100 % (exporters did not ship to the US even before the ban)
    assert us < -0.5
    scenario, result, _ = replay("chn_ga_ge_us_ban_2024")
    # from April 2025, when shipments licensed before the ban (51-97 days) have arrived
    first = (pd.Timestamp("2025-04-01").date() - scenario.start).days
    keys, vals = result.trade_in_window(first, first + 90)
    sel = ((keys["buyer"] == "USA") & (keys["supplier"] == "CHN")
           & (keys["good"] == "germanium")).to_numpy()
    # the registry ban blocks 90 % from 3 Dec 2024 on top of the 40 % approvals: <= 4 %
    base = float(keys.loc[sel, "baseline"].sum())
    assert sel.any() and float(np.median(vals[:, sel].sum(axis=1))) <= 0.04 * base + 1e-12


@pytest.mark.xfail(strict=True, reason="data gap: 2025 germanium exports vs 2024, simulated "
                   "-17 % (H1) and -22 % (June); documented -59 % and -93 %. The collapse "
                   "coincides with stricter licence review after MOFCOM Announcement No. 46 "
                   "and the 9 May 2025 anti-smuggling campaign (Reuters, 21 Jul 2025), for "
                   "which no approval rate is published: the replay has only the 2023 "
                   "licensing and the US ban")
def test_chn_ga_ge_us_ban_2024_germanium_exports_collapse_in_2025() -> None:
    checks = replay("chn_ga_ge_us_ban_2024")[2].set_index("period")
    for period in ("2025-H1", "2025-06"):
        sim = checks.loc[checks.index.str.startswith(period), "simulated_change"].iloc[0]
        assert sim < -0.5


def test_chn_ree_japan_2010_imports_from_china_fall() -> None:
    # documented (Japan MoF via SMM): -32 % in Oct, -66 % in Nov 2010 vs the Jan-Aug
    # monthly average; Japan's sintered-magnet makers (19 % of 2010 output) are the buyers
    checks = replay("chn_ree_japan_2010")[2]
    imports = checks[(checks["metric"] == "imports") & (checks["documented_direction"] == "down")]
    assert len(imports) == 2 and imports["direction_matches"].all()
    assert (imports["simulated_change"] < -0.2).all()
    share = checks[checks["metric"] == "import_share"].iloc[0]
    assert share["simulated_change"] < -0.2  # China's share of Japan's imports falls


@pytest.mark.xfail(strict=True, reason="model gap: buyers move back to Chinese suppliers "
                   "within 1-4 weeks of the lift (return_days, METI), but their restocking "
                   "orders are rationed by Chinese spare capacity coming on line over "
                   "180-730 days (China's output was bounded by export quotas, not "
                   "capacity): +12 % from China in December 2010; documented: 4,080 t, six "
                   "times November and +117 % on the Jan-Aug average (Japan MoF via Reuters)")
def test_chn_ree_japan_2010_imports_rebound_after_the_lift() -> None:
    checks = replay("chn_ree_japan_2010")[2]
    dec = checks[checks["period"].str.startswith("2010-12")].iloc[0]
    assert dec["simulated_change"] > 0.5


def test_every_replay_outcome_has_a_source_and_price_is_context_only() -> None:
    for name in ("jpn_kor_2019", "chn_ga_ge_2023", "chn_ga_ge_us_ban_2024",
                 "chn_graphite_2023", "chn_ree_japan_2010"):
        scenario = load_named(name)
        assert scenario.kind == "replay" and scenario.outcomes
        for o in scenario.outcomes:
            assert o.source.url.startswith("http") and o.source.publisher and o.year
    checks = replay("chn_ga_ge_2023")[2]
    price = checks[checks["metric"] == "price"].iloc[0]
    assert price["simulated_direction"] == "not simulated"


def test_replay_table_keeps_outcomes_the_world_cannot_simulate() -> None:
    from econsec.policy.runner import replay_table

    table = replay_table(runs=2, seed=0)
    assert "price" not in set(table["outcome"].str.split(" ").str[0])  # context only
    # Korea's spherical-graphite imports: the 2023 world has no Korean anode maker
    kor = table[(table["replay"] == "chn_graphite_2023")
                & table["outcome"].str.startswith("imports KOR<-CHN")]
    assert len(kor) == 1 and kor["simulated_direction"].iloc[0] == "not simulated"
    assert table["simulated_change"].notna().sum() == len(table) - 1
