"""The one exposure entry point: option checks shared by CLI and API, and the bloc
dependence matrix kernel (hand-computed)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from typer.testing import CliRunner

from econsec import analysis
from econsec.metrics.dependence import bloc_dependence_matrix


@pytest.mark.parametrize(("check", "field", "bad"), [
    (analysis.check_tiers, "tiers", "some"),
    (analysis.check_source, "source", "world"),
])
def test_choice_errors_name_the_option_and_the_choices(check: Callable[[str], str],
                                                       field: str, bad: str) -> None:
    with pytest.raises(analysis.ChoiceError) as info:
        check(bad)
    err = info.value
    assert err.field == field and err.value == bad
    choices = analysis.TIERS if field == "tiers" else analysis.SOURCES
    assert err.choices == choices
    for choice in choices:
        assert f"'{choice}'" in str(err)
    assert repr(bad) in str(err)


def test_checks_pass_valid_choices_through() -> None:
    assert analysis.TIERS == ("direct", "all")
    assert analysis.SOURCES == ("curated", "trade", "icio")
    assert [analysis.check_tiers(t) for t in analysis.TIERS] == ["direct", "all"]
    assert [analysis.check_source(s) for s in analysis.SOURCES] == ["curated", "trade", "icio"]


def test_entry_point_rejects_bad_options() -> None:
    with pytest.raises(analysis.ChoiceError, match="tiers"):
        analysis.exposure("KOR", tiers="some")
    with pytest.raises(analysis.ChoiceError, match="source"):
        analysis.exposure("KOR", source="other")
    with pytest.raises(ValueError, match="tiers 'direct' only"):
        analysis.exposure("KOR", tiers="all", source="trade")
    with pytest.raises(KeyError, match="unknown economy"):
        analysis.exposure("XXX")


def test_cli_and_api_use_the_same_check() -> None:
    from econsec.api import handlers
    from econsec.cli.app import app
    from econsec.data.world import load_world

    r = CliRunner().invoke(app, ["exposure", "KOR", "--tiers", "some"])
    assert r.exit_code == 2
    assert "tiers must be 'direct' or 'all', not 'some'" in r.output
    with pytest.raises(handlers.FieldError) as info:
        handlers.exposure(load_world(), "KOR", tiers="some")
    assert info.value.field == "tiers"
    assert str(info.value) == str(analysis.ChoiceError("tiers", "some", analysis.TIERS))


def test_bloc_dependence_matrix_hand_computed() -> None:
    """Members KOR, JPN; rival CHN + HKG. KOR imports of g1: CHN .5 + HKG .2 = .7;
    JPN g1: CHN .1; JPN g2: CHN .4; KOR g2: none from the rival -> 0. A member's own
    row (CHN buying from CHN) never counts; USA is not a member."""
    bil = pd.DataFrame([
        ("KOR", "g1", "CHN", 0.5, "s1"), ("KOR", "g1", "HKG", 0.2, "s2"),
        ("KOR", "g1", "USA", 0.3, "s3"), ("JPN", "g1", "CHN", 0.1, "s1;s4"),
        ("JPN", "g2", "CHN", 0.4, "s5"), ("KOR", "g2", "JPN", 1.0, "s6"),
        ("USA", "g1", "CHN", 0.9, "s7"),
    ], columns=["importer", "good", "supplier", "share", "source"])
    mat, srcs = bloc_dependence_matrix(bil, {"KOR", "JPN"}, {"CHN", "HKG"})
    assert list(mat.columns) == ["g1", "g2"]  # ordered by column max: .7 > .4
    assert mat.loc["KOR", "g1"] == pytest.approx(0.7)
    assert mat.loc["JPN", "g1"] == pytest.approx(0.1)
    assert mat.loc["JPN", "g2"] == pytest.approx(0.4)
    assert mat.loc["KOR", "g2"] == 0.0
    assert srcs == ["s1", "s2", "s4", "s5"]
    empty, none = bloc_dependence_matrix(bil, {"KOR"}, {"DEU"})
    assert empty.empty and none == []


def test_analysis_dependence_matrix_reads_the_latest_bilateral_shares() -> None:
    from econsec.data.world import load_world

    w = load_world()
    mat, srcs = analysis.dependence_matrix("TRILATERAL", "CHN", w)
    direct, _ = bloc_dependence_matrix(w.latest_bilateral(), {"USA", "JPN", "KOR"}, {"CHN"})
    pd.testing.assert_frame_equal(mat, direct)
    assert srcs and set(mat.index) <= {"USA", "JPN", "KOR"}
