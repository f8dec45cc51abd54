"""Names resolve consistently (case, common names); unknown names are named errors."""

from __future__ import annotations

import pytest

from econsec import analysis
from econsec.analysis.names import (
    EmptyAnswerError,
    resolve_economy,
    resolve_good,
    resolve_party,
)
from econsec.data.world import load_world
from econsec.domain.names import UnknownNameError, fold, match_choice


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return load_world()


@pytest.mark.parametrize("text", ["CHN", "chn", "china", "China", "People's Republic of China"])
def test_china_by_any_name(world, text: str) -> None:  # type: ignore[no-untyped-def]
    assert resolve_economy(text, world) == "CHN"


@pytest.mark.parametrize("text", ["KOR", "Korea", "south korea", "Republic of Korea"])
def test_korea_by_any_name(world, text: str) -> None:  # type: ignore[no-untyped-def]
    assert resolve_economy(text, world) == "KOR"


def test_goods_and_blocs_by_case_and_name(world) -> None:  # type: ignore[no-untyped-def]
    assert resolve_good("Gallium", world) == "gallium"
    assert resolve_good("Hydrogen fluoride", world) == "hydrogen_fluoride"
    p = resolve_party("chip4", world)
    assert (p.label, sorted(p.members)) == ("CHIP4", ["JPN", "KOR", "TWN", "USA"])
    p = resolve_party("jpn, Korea", world)
    assert (p.label, p.members) == ("JPN,KOR", frozenset({"JPN", "KOR"}))


@pytest.mark.parametrize(("value", "close"), [("CHIPS4", "CHIP4"), ("TRILATRAL", "TRILATERAL")])
def test_unknown_bloc_suggests(world, value: str, close: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownNameError) as info:
        resolve_party(value, world)
    assert close in info.value.suggestions
    assert f"'{value}'" in str(info.value) and "econsec blocs" in str(info.value)


def test_unknown_economy_and_good_name_value_and_choices(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownNameError, match=r"unknown rival 'XYZ'.*econsec world --economies"):
        resolve_party("XYZ", world, kind="rival")
    # an ISO3 code that exists but is not an economy of the world
    with pytest.raises(UnknownNameError, match="BRB is not one of the world's"):
        resolve_economy("Barbados", world)
    with pytest.raises(UnknownNameError) as info:
        resolve_good("galium", world)
    assert "gallium" in info.value.suggestions
    with pytest.raises(UnknownNameError, match="NUL"):
        resolve_good("gallium\x00", world)


def test_unknown_name_is_a_keyerror_and_a_valueerror_with_a_plain_message() -> None:
    with pytest.raises(KeyError):
        match_choice("x", ["a"], kind="good")
    with pytest.raises(ValueError) as info:
        match_choice("x", ["a"], kind="good", where="see list")
    assert str(info.value) == "unknown good 'x'; valid choices: see list"
    assert fold(" Hydrogen-Fluoride") == "hydrogen_fluoride"


def test_analysis_functions_resolve_names(world) -> None:  # type: ignore[no-untyped-def]
    a = analysis.chokepoints("TRILATERAL", "CHN", world)
    b = analysis.chokepoints("trilateral", "china", world)
    assert a.equals(b) and len(a) > 0
    with pytest.raises(UnknownNameError, match="XYZ"):
        analysis.chokepoints("TRILATERAL", "XYZ", world)
    with pytest.raises(UnknownNameError, match="CHIP4"):
        analysis.chokepoints("CHIPS4", world=world)
    e1 = analysis.exposure("kor", good="Gallium", world=world)
    e2 = analysis.exposure("KOR", good="gallium", world=world)
    assert e1.equals(e2)


def test_empty_measure_query_says_which_filter(world) -> None:  # type: ignore[no-untyped-def]
    # China imposes no tariff in the registry: the error names the types it does impose
    with pytest.raises(EmptyAnswerError, match=r"imposer CHN.*types: .*licensing"):
        analysis.measures(type="tariff", imposer="china", world=world)
    # the export_control family takes China's licensing and embargo measures (issue 14, 2)
    reg = world.measures_frame()
    family = reg[(reg["imposer"] == "CHN")
                 & reg["type"].isin(["export_control", "licensing", "embargo"])]
    got = analysis.measures(type="export_control", imposer="china", world=world)
    assert len(family) > 0 and sorted(got["id"]) == sorted(family["id"])
    rows = analysis.measures(imposer="Japan", world=world)
    assert set(rows["imposer"]) == {"JPN"}


def test_chokepoint_direction_without_rows_is_noted(world) -> None:  # type: ignore[no-untyped-def]
    # France holds no input good with >= 25% of world supply: no exposure rows, a note
    out = analysis.chokepoints("TRILATERAL", "FRA", world)
    assert not out["direction"].eq("exposure").any()
    assert any("no exposure rows: FRA" in n for n in out.attrs["notes"])
    with pytest.raises(EmptyAnswerError, match="min_share"):
        analysis.chokepoints("FRA", world=world)
