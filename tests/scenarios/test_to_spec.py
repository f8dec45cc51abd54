"""Scenario -> SimulationSpec resolution, hand-checked, and the world is never changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from econsec.data.world import load_world
from econsec.policy.scenarios import list_scenarios, load_named, load_scenario
from econsec.simulation.spec import CapacityInvestment, DistKind, ParamDist, ShockKind, Stockpile


def test_all_shipped_scenarios_load() -> None:
    frame = list_scenarios()
    assert set(frame["name"]) >= {"jpn_kor_2019", "chn_ga_ge_2023", "chn_ga_ge_us_ban_2024",
                                  "chn_graphite_2023", "chn_ree_japan_2010",
                                  "chn_full_ban_trilateral", "taiwan_strait_advanced_logic"}
    assert "invalid" not in set(frame["kind"])
    replays = frame[frame["kind"] == "replay"]
    assert (replays["outcomes"] >= 2).all()


def test_jpn_kor_2019_dates_and_licensing() -> None:
    spec = load_named("jpn_kor_2019").to_spec()
    euv, hf, fpi = spec.shocks  # one registry measure, split by good in the replay
    for shock in spec.shocks:
        # effective 2019-07-04, lifted 2023-03-23, scenario start 2019-07-01
        assert shock.start == 3
        assert shock.end == (dt.date(2023, 3, 23) - dt.date(2019, 7, 1)).days == 1361
        assert shock.kind is ShockKind.licensing
        assert shock.measure_id == "jpn_kor_2019_fluorides"
        assert shock.imposers == frozenset({"JPN"}) and shock.targets == frozenset({"KOR"})
    assert (euv.goods, hf.goods, fpi.goods) == (
        {"photoresist_euv"}, {"hydrogen_fluoride"}, {"fluorinated_polyimide"})
    # per-run delay distributions, one per licensing shock
    assert euv.licence_delay == ParamDist(DistKind.triangular, (34.0, 40.0, 46.0))
    assert hf.licence_delay == ParamDist(DistKind.triangular, (56.0, 90.0, 134.0))
    assert fpi.licence_delay == ParamDist(DistKind.uniform, (59.0, 88.0))
    assert (euv.approval_rate, hf.approval_rate, fpi.approval_rate) == (1.0, 0.27, 1.0)
    assert spec.horizon_days == 550 and spec.as_of_year == 2019
    assert load_named("jpn_kor_2019").measure_ids == ["jpn_kor_2019_fluorides"]  # once


def test_registry_licence_delay_is_used_when_the_scenario_gives_none() -> None:
    from econsec.policy.scenarios import load_scenario_text

    text = ("name: t\ntitle: t\nkind: forward\nstart: 2019-07-01\nhorizon: 30d\n"
            "measures:\n  - id: jpn_kor_2019_fluorides\n")
    (shock,) = load_scenario_text(text).to_spec().shocks
    # the registry's 90 days, as a fixed distribution
    assert shock.licence_delay == ParamDist(DistKind.fixed, (90.0,))
    assert shock.approval_rate == 0.5  # 1 - registry intensity 0.5


def test_licensing_approval_defaults_to_one_minus_intensity() -> None:
    (shock,) = load_named("chn_graphite_2023").to_spec().shocks
    assert shock.kind is ShockKind.licensing
    # the scenario overrides the registry's intensity 0.4 with 0.09 (calibrated)
    assert shock.approval_rate == pytest.approx(1 - 0.09)
    # the scenario's window: first approvals (day 13) to the statutory limit (day 63)
    assert shock.licence_delay == ParamDist(DistKind.uniform, (13.0, 63.0))
    assert (shock.start, shock.end, shock.targets) == (0, None, frozenset())
    # one registry measure listed per good: germanium and substrates at the registry's
    # intensity 0.6, gallium with its own approval rate (calibrated on 2024 customs data)
    ge, ga = load_named("chn_ga_ge_2023").to_spec().shocks
    assert ge.goods == {"germanium", "compound_substrates"} and ga.goods == {"gallium"}
    assert ge.approval_rate == pytest.approx(1 - 0.6) and ga.approval_rate == 0.69
    assert ge.measure_id == ga.measure_id == "chn_2023_gallium_germanium"


def test_coercion_is_a_ban_with_dates() -> None:
    (shock,) = load_named("chn_ree_japan_2010").to_spec().shocks
    assert shock.kind is ShockKind.ban and shock.intensity == 0.8
    # effective 2010-09-21, lifted 2010-11-20, start 2010-09-01
    assert (shock.start, shock.end) == (20, 80)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ntitle: S\nkind: forward\nstart: 2024-01-01\nhorizon: 365d\n"
                    + body, encoding="utf-8")
    return path


def test_coercion_as_quota_and_levers(tmp_path: Path) -> None:
    s = load_scenario(_write(tmp_path, (
        "measures:\n  - id: chn_jpn_2010_rare_earths\n    as: quota\n"
        "    effective: 2024-02-01\n    lifted: null\n"
        "levers:\n  stockpile:\n    - {economies: TRILATERAL, goods: gallium, days: 60}\n"
        "  capacity_investment:\n    - {investment: lynas_jare_2023, capacity_share: 0.04}\n")))
    spec = s.to_spec()
    (shock,) = spec.shocks
    assert shock.kind is ShockKind.quota
    assert shock.intensity == pytest.approx(0.2)  # cap = 1 - 0.8 of the baseline flow
    assert (shock.start, shock.end) == (31, None)
    stock, inv = spec.levers
    assert isinstance(stock, Stockpile) and stock.economies == frozenset({"USA", "JPN", "KOR"})
    assert isinstance(inv, CapacityInvestment)
    # announced 2023-03-07 (before the start -> day 0); operational 2025-06-30
    assert (inv.economy, inv.good, inv.start) == ("AUS", "rare_earth_processing", 0)
    assert inv.lead_days == (dt.date(2025, 6, 30) - dt.date(2024, 1, 1)).days == 546
    assert inv.capacity_share == 0.04 and inv.investment_id == "lynas_jare_2023"


def test_investment_without_share_needs_one(tmp_path: Path) -> None:
    from econsec.errors import DataError

    with pytest.raises(DataError) as info:
        load_scenario(_write(tmp_path, (
            "shocks:\n  - {kind: ban, imposers: CHN, goods: gallium, start: 0}\n"
            "levers:\n  capacity_investment:\n    - investment: lynas_jare_2023\n")))
    assert info.value.field == "levers.capacity_investment[0]"
    assert info.value.line == 10 and "capacity_share" in str(info.value)


def test_a_measure_listed_twice_for_the_same_flows_is_an_error(tmp_path: Path) -> None:
    from econsec.errors import DataError

    with pytest.raises(DataError) as info:  # whole measure, then gallium again
        load_scenario(_write(tmp_path, (
            "measures:\n  - chn_2023_gallium_germanium\n"
            "  - {id: chn_2023_gallium_germanium, goods: [gallium], approval_rate: 0.7}\n")))
    assert info.value.field == "measures[1].goods" and info.value.line == 8
    assert "already listed (measures[0]) for gallium" in str(info.value)
    with pytest.raises(DataError) as info:  # same goods, overlapping targets
        load_scenario(_write(tmp_path, (
            "measures:\n  - {id: chn_2023_graphite, targets: [USA, JPN]}\n"
            "  - {id: chn_2023_graphite, targets: [JPN]}\n")))
    assert info.value.field == "measures[1].id"
    # once per good, or per target, is allowed
    spec = load_scenario(_write(tmp_path, (
        "measures:\n  - {id: chn_2023_graphite, targets: [USA]}\n"
        "  - {id: chn_2023_graphite, targets: [JPN, KOR], intensity: 0.2}\n"))).to_spec()
    assert [sh.targets for sh in spec.shocks] == [{"USA"}, {"JPN", "KOR"}]


def _snapshot(world: object) -> dict[str, pd.DataFrame]:
    return {n: getattr(world, n).copy(deep=True)
            for n in ("economies", "goods", "edges", "world_shares", "bilateral")}


def test_scenario_never_mutates_the_world() -> None:
    from econsec.policy.runner import run_scenario

    world = load_world()
    before = _snapshot(world)
    measures, investments = world.measures, world.investments
    s = load_named("chn_full_ban_trilateral").with_overrides(horizon="30d")
    s.to_spec(world)
    run_scenario(s, world, runs=2, seed=0)
    after = _snapshot(world)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name])
    assert world.measures == measures and world.investments == investments


def test_other_levers_resolve(tmp_path: Path) -> None:
    from econsec.simulation.spec import AlliedSharing, Diversification, LicenceRelief

    s = load_scenario(_write(tmp_path, (
        "measures:\n  - chn_2023_gallium_germanium\n"
        "levers:\n  allied_sharing: {members: CHIP4, start: 2024-03-01}\n"
        "  diversification:\n    - {economies: [JPN, KOR], goods: '8112.92', away_from: CHN,"
        " fraction: 0.25}\n"
        "  licence_relief:\n    - {measure: chn_2023_gallium_germanium, approval_rate: 0.9,"
        " delay_factor: 0.5, start: 2024-04-01}\n"
        "parameters:\n  spare_capacity: 0.15\n"
        "  licence_delay_days: {dist: lognormal, args: [4.0, 0.3]}\n")))
    spec = s.to_spec()
    div, allied, relief = spec.levers
    assert isinstance(allied, AlliedSharing)
    assert allied.members == frozenset({"USA", "JPN", "KOR", "TWN"}) and allied.start == 60
    assert isinstance(div, Diversification)
    assert div.goods == frozenset({"gallium", "germanium"})  # HS 8112.92 lists both
    assert (div.away_from, div.fraction) == ("CHN", 0.25)
    assert isinstance(relief, LicenceRelief)
    assert (relief.measure_id, relief.approval_rate, relief.delay_factor, relief.start) == (
        "chn_2023_gallium_germanium", 0.9, 0.5, 91)
    assert spec.params["spare_capacity"].args == (0.15,)
    assert spec.params["licence_delay_days"].args == (4.0, 0.3)
    (shock,) = spec.shocks
    # effective 2023-08-01 is before the start: in force from day 0; approval 1 - 0.6
    assert (shock.start, shock.end, shock.approval_rate) == (0, None, pytest.approx(0.4))


def test_scenario_holds_typed_shocks_and_levers_resolved_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from econsec.policy import scenarios
    from econsec.simulation.spec import Lever, Shock

    calls: list[object] = []
    real = scenarios.resolve_sections

    def counting(lines, world, start, sections):  # type: ignore[no-untyped-def]
        calls.append(world)
        return real(lines, world, start, sections)

    monkeypatch.setattr(scenarios, "resolve_sections", counting)
    world = load_world()
    s = load_scenario(_write(tmp_path, (
        "measures:\n  - chn_2023_gallium_germanium\n"
        "levers:\n  stockpile:\n    - {economies: JPN, goods: gallium, days: 30}\n")), world)
    assert calls == [world]  # resolved once, at load
    assert all(isinstance(sh, Shock) for sh in s.shocks) and len(s.shocks) == 1
    assert all(isinstance(lv, Lever) for lv in s.levers)
    assert isinstance(s.levers[0], Stockpile) and s.levers[0].days == 30.0
    spec = s.to_spec(world)
    spec_default = s.to_spec()  # None: the built-in world, the cached object loaded above
    assert calls == [world]  # same world: no second resolution
    assert spec.shocks is s.shocks and spec.levers is s.levers
    assert spec_default.shocks is s.shocks
    # another world (a copy: equal but not the same object) resolves again
    other = dataclasses.replace(world)
    again = s.to_spec(other)
    assert len(calls) == 2 and calls[1] is other
    assert again.shocks == s.shocks and again.shocks is not s.shocks
    assert again.levers == s.levers


def test_another_world_is_checked_again(tmp_path: Path) -> None:
    """A scenario naming a good the other world lacks fails there with the YAML's line."""
    import dataclasses

    from econsec.errors import DataError

    world = load_world()
    s = load_scenario(_write(tmp_path, (
        "shocks:\n  - {kind: ban, imposers: CHN, goods: gallium, start: 0}\n")), world)
    goods = world.goods[world.goods["good_id"] != "gallium"].reset_index(drop=True)
    smaller = dataclasses.replace(world, goods=goods)
    with pytest.raises(DataError) as info:
        s.to_spec(smaller)
    assert info.value.field == "shocks[0].goods" and info.value.line == 7
    assert "unknown good 'gallium'" in str(info.value)
