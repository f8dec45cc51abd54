"""Measure families: ``export_control`` covers export controls, licensing and embargoes,
so ``measures list --type export_control --imposer CHN`` lists China's controls."""

from __future__ import annotations

import pytest
import yaml

from econsec import analysis
from econsec.data.world import builtin_world_path, load_world
from econsec.domain import MeasureFamily, MeasureType, types_matching
from econsec.domain.measures import FAMILY_TYPES, family_of


def test_every_type_is_in_exactly_one_family() -> None:
    members = [t for kinds in FAMILY_TYPES.values() for t in kinds]
    assert sorted(members) == sorted(MeasureType)
    assert family_of(MeasureType.licensing) is MeasureFamily.export_control
    assert family_of(MeasureType.embargo) is MeasureFamily.export_control
    assert family_of(MeasureType.tariff) is MeasureFamily.tariff


def test_type_queries() -> None:
    assert types_matching("export_control") == {
        MeasureType.export_control, MeasureType.licensing, MeasureType.embargo}
    assert types_matching("Licensing") == {MeasureType.licensing}
    with pytest.raises(ValueError, match=r"unknown measure type or family 'ban'.*licensing"):
        types_matching("ban")


def test_chinas_export_controls_are_listed() -> None:
    # independently: the registry file itself, CHN as imposer, any export-restricting type
    raw = yaml.safe_load((builtin_world_path() / "measures.yaml").read_text(encoding="utf-8"))
    expected = sorted(m["id"] for m in raw if m["imposer"] == "CHN"
                      and m["type"] in ("export_control", "licensing", "embargo"))
    assert len(expected) >= 5  # gallium/germanium, graphite, antimony, rare earths ...
    got = analysis.measures(type="export_control", imposer="CHN", world=load_world(None))
    assert sorted(got["id"]) == expected
    only_licensing = analysis.measures(type="licensing", imposer="CHN", world=load_world(None))
    assert set(only_licensing["type"]) == {"licensing"}
