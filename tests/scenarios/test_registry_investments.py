"""``capacity_investment: registry``: the registry's capacity still to come, as levers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from econsec.data.world import load_world
from econsec.domain.measures import Investment
from econsec.errors import DataError
from econsec.policy.scenarios import load_scenario_text
from econsec.simulation.spec import CapacityInvestment

HEAD = ("name: t\ntitle: t\nkind: forward\nstart: 2025-01-01\nhorizon: 365d\n"
        "measures:\n  - chn_2023_gallium_germanium\nlevers:\n")


def inv(iid: str, share: float | None, operational: dt.date | None,
        status: str = "under_construction") -> Investment:
    return Investment(id=iid, name=iid, firm="f", economy="JPN", good="gallium",
                      capacity_share=share, capacity_note="", amount_usd_bn=None,
                      announced=dt.date(2024, 7, 1), operational=operational, status=status,
                      source="s_usgs_mcs2024", year=2024)


def world_with(*investments: Investment):  # type: ignore[no-untyped-def]
    return dataclasses.replace(load_world(), investments=list(investments))


def levers(text: str, world) -> list[CapacityInvestment]:  # type: ignore[no-untyped-def]
    spec = load_scenario_text(HEAD + text, world=world).to_spec(world)
    return [lv for lv in spec.levers if isinstance(lv, CapacityInvestment)]


def test_registry_adds_only_sourced_investments_still_to_come() -> None:
    world = world_with(
        inv("coming", 0.02, dt.date(2026, 1, 1)),  # operational after the start: added
        inv("undated", 0.01, None, "announced"),  # no date yet: added
        inv("running", 0.03, dt.date(2024, 12, 31), "operating"),  # in the baseline already
        inv("unsized", None, dt.date(2026, 6, 1)),  # no sourced capacity: skipped
        inv("dropped", 0.05, dt.date(2027, 1, 1), "cancelled"))
    got = {lv.investment_id: lv for lv in levers("  capacity_investment: registry\n", world)}
    assert set(got) == {"coming", "undated"}
    # announced 2024-07-01 is before the start: decided at day 0, ramping to 2026-01-01
    assert got["coming"].start == 0 and got["coming"].lead_days == 365.0
    assert got["coming"].capacity_share == 0.02 and got["coming"].economy == "JPN"
    assert got["undated"].lead_days == 365.0  # no operational date: the default lead


def test_registry_entry_does_not_duplicate_a_named_investment() -> None:
    world = world_with(inv("coming", 0.02, dt.date(2026, 1, 1)),
                       inv("other", 0.01, dt.date(2026, 1, 1)))
    text = ("  capacity_investment:\n    - {investment: coming, capacity_share: 0.04}\n"
            "    - registry\n")
    got = levers(text, world)
    assert sorted((lv.investment_id, lv.capacity_share) for lv in got) == [
        ("coming", 0.04), ("other", 0.01)]


def test_a_string_other_than_registry_is_an_error() -> None:
    with pytest.raises(DataError) as info:
        levers("  capacity_investment: [everything]\n", world_with())
    assert info.value.field == "levers.capacity_investment[0]"
