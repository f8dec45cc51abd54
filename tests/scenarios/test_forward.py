"""Forward-looking scenarios run end to end, and scenario levers reach the engine."""

from __future__ import annotations

import pytest

from econsec.policy.runner import run_scenario
from econsec.policy.scenarios import load_named, load_scenario_text

TRI = ["USA", "JPN", "KOR"]


def trilateral_loss(summary) -> float:  # type: ignore[no-untyped-def]
    return float(summary[summary["economy"].isin(TRI)]["loss_usd_bn_p50"].sum())


def test_taiwan_strait_hits_the_trilateral_and_a_stockpile_cushions_it() -> None:
    base = load_named("taiwan_strait_advanced_logic")
    assert base.step_days == 7
    plain = run_scenario(base, runs=20, seed=0).summary()
    twn = plain[(plain["economy"] == "TWN") & (plain["good"] == "logic_advanced")].iloc[0]
    assert twn["loss_usd_bn_p50"] > 0.1 * twn["baseline_usd_bn"]  # 90 % cut for 26 weeks
    loss = trilateral_loss(plain)
    assert loss > 5.0  # USD bn, downstream smartphones / PCs of the allies
    with_stock = load_scenario_text(base.text.replace("levers:\n", (
        "levers:\n  stockpile:\n    - {economies: [USA, KOR, JPN, ROW, CHN], "
        "goods: [logic_advanced, logic_legacy, advanced_packaging], days: 120}\n")), "lev")
    cushioned = trilateral_loss(run_scenario(with_stock, runs=20, seed=0).summary())
    assert cushioned < 0.5 * loss


@pytest.mark.xfail(strict=True, reason="engine/world gap: the world now has allied buyers "
                   "(JPN/USA/KOR magnets, cells, anodes, US germanium and gallium imports) but "
                   "the full ban still costs the trilateral ~0 output over the horizon; "
                   "no gallium-using allied node (GaAs/GaN substrate shares unsourced)")
def test_full_chinese_ban_costs_the_trilateral_output() -> None:
    summary = run_scenario(load_named("chn_full_ban_trilateral"), runs=10, seed=0).summary()
    assert trilateral_loss(summary) > 0.1
