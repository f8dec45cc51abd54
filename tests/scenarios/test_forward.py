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


@pytest.mark.xfail(strict=True, reason=(
    "world built from data (BACI import shares for ~80 importers): the targeted ban costs"
    " the trilateral 43.9 (was 27.3) and the ban on all destinations 107.8 (was 172.0) USD bn"
    " (5 runs, seed 0), so small < 0.25 * large fails. BACI shares are by shipping partner,"
    " not origin: re-exports through hubs (NLD, BEL, USA ...) look like non-Chinese supply,"
    " so a ban on ALL destinations bites less. Not tuned; see the world build's report."))
def test_a_ban_targeted_at_the_trilateral_is_cushioned_by_diversion() -> None:
    """A Chinese ban aimed only at the US, Japan and Korea is partly cushioned by trade
    diversion: third countries' buyers re-source to China, freeing non-Chinese supply, as far
    as the non-Chinese suppliers have headroom. The same ban on every destination costs the
    trilateral far more; the targeted ban still costs billions (US EVs and cells lack
    anode material: Japanese and Korean anode makers only add their spare capacity)."""
    scenario = load_named("chn_full_ban_trilateral")
    targeted = run_scenario(scenario, runs=5, seed=0)
    everyone = run_scenario(load_scenario_text(
        scenario.text.replace("targets: TRILATERAL", "targets: ALL"), "all"), runs=5, seed=0)
    small, large = trilateral_loss(targeted.summary()), trilateral_loss(everyone.summary())
    assert large > 100.0  # USD bn over two years (measured ~228)
    assert 1.0 < small < 0.25 * large  # measured ~27
    div = targeted.diversion()
    us_anode = div[(div["buyer"] == "USA") & (div["good"] == "anode_material")]
    china = us_anode.loc[us_anode["supplier"] == "CHN"].iloc[0]
    assert 0.5 < china["share_after"] < china["share_before"]  # orders China cannot fill
    assert us_anode.loc[us_anode["supplier"].isin(["JPN", "KOR"]), "change"].sum() > 0.05
