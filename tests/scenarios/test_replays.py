"""Each replay of a real episode against its documented outcome (direction and rough
magnitude). Figures and sources are in the scenario files (``outcomes:``).

Where the engine does not (yet) reproduce the documented history, the test is a strict
xfail naming the gap: it turns into a failure, to be promoted, when the engine is fixed.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from econsec.policy.compare import outcome_check
from econsec.policy.runner import run_scenario
from econsec.policy.scenarios import Scenario, load_named

RUNS, SEED = 20, 0


@functools.cache
def replay(name: str) -> tuple[Scenario, Any, pd.DataFrame]:
    scenario = load_named(name)
    result = run_scenario(scenario, runs=RUNS, seed=SEED)
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


def test_jpn_kor_2019_korea_resources_to_other_origins() -> None:
    # documented: re-sourced to domestic makers, China, Taiwan and the US (MOTIE 2021)
    assert gain("jpn_kor_2019", "KOR", "hydrogen_fluoride", "ROW") > 0.3
    # EUV resist licences were all granted (after 34-46 days): no re-sourcing away from
    # Japan, unlike HF, where half the orders are refused in this replay
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
    # documented: -100 % in Aug 2023, -73 % in Nov 2023 vs Nov 2022 (China customs)
    for good in ("gallium", "germanium"):
        assert -1.0 <= change("chn_ga_ge_2023", "exports", "CHN", good) <= -0.4
    # buyers outside China turn to other producers
    assert gain("chn_ga_ge_2023", "ROW", "gallium", "RUS") > 0.1
    assert gain("chn_ga_ge_2023", "ROW", "germanium", "ROW") > 0.1


def test_chn_graphite_2023_exports_fall() -> None:
    # documented: -94 % flake graphite Dec vs Nov 2023 (Fastmarkets); -77 % vs the
    # Jan-Oct monthly average (Bloomberg)
    assert -1.0 <= change("chn_graphite_2023", "exports", "CHN", "graphite_natural") <= -0.5
    assert gain("chn_graphite_2023", "ROW", "graphite_natural", "MOZ") > 0.05


def test_chn_ga_ge_us_ban_2024_germanium_exports_first_half_2025() -> None:
    # documented: 5,068 kg in H1 2025 vs 12,410 kg in H1 2024 = -59 % (China customs via
    # Rawmaterials.net); none to the US (Canada's 6 kg the only shipment to the Americas)
    checks = replay("chn_ga_ge_us_ban_2024")[2]
    h1 = checks[checks["period"].str.startswith("2025-H1")].iloc[0]
    assert -0.8 <= h1["simulated_change"] <= -0.4
    scenario, result, _ = replay("chn_ga_ge_us_ban_2024")
    first = (pd.Timestamp("2025-01-01").date() - scenario.start).days
    keys, vals = result.trade_in_window(first, first + 180)
    us = ((keys["buyer"] == "USA") & (keys["supplier"] == "CHN")
          & (keys["good"] == "germanium")).to_numpy()
    # the registry ban blocks 90 % and the 2023 licences approve 40 % of the rest, and the
    # US re-sources: arrivals from China fall by more than 99 % (documented: 100 %)
    base = float(keys.loc[us, "baseline"].sum())
    assert us.any() and float(np.median(vals[:, us].sum(axis=1))) < 0.01 * base


@pytest.mark.xfail(strict=True, reason="engine gap: in June 2025 (outcome window) China's "
                   "simulated germanium exports are ~-40% (licences under the 2023 regime "
                   "approve half of the orders after 63 days); documented: -93% (June 2025 "
                   "vs June 2024): licences were far scarcer than the registry's intensity")
def test_chn_ga_ge_us_ban_2024_germanium_exports_fall() -> None:
    assert change("chn_ga_ge_us_ban_2024", "exports", "CHN", "germanium") < -0.5


def test_chn_ree_japan_2010_imports_from_china_fall() -> None:
    # documented (Japan MoF via SMM): -32 % in Oct, -66 % in Nov 2010 vs the Jan-Aug
    # monthly average; Japan's sintered-magnet makers (19 % of 2010 output) are the buyers
    checks = replay("chn_ree_japan_2010")[2]
    imports = checks[checks["metric"] == "imports"]
    assert len(imports) == 2 and imports["direction_matches"].all()
    assert (imports["simulated_change"] < -0.2).all()
    share = checks[checks["metric"] == "import_share"].iloc[0]
    assert share["simulated_change"] < -0.2  # China's share of Japan's imports falls


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
