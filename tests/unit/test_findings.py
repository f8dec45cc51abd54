"""Key findings of the brief, generated from the tiny world (tests/fixtures/tiny_world):
every expected sentence and number below is worked out by hand from the fixture CSVs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from econsec.data.world import World, load_world
from econsec.policy.skill import Skill
from econsec.reports.findings import ForwardDigest, key_findings
from econsec.reports.names import Names


@pytest.fixture
def tiny(tiny_world_path: Path) -> World:
    return load_world(tiny_world_path)


def _skill() -> Skill:
    # two replays, four outcomes: three validation (direction right twice, within
    # tolerance once) and one calibration (never counted)
    outcomes = pd.DataFrame({
        "scenario": ["a", "a", "b", "b"], "role": ["validation", "calibration",
                                                   "validation", "validation"],
        "period": ["2019-07", "2019-08", "2021-01 to 2021-06", "2023-09"],
        "direction_ok": [True, True, True, False],
        "within_tolerance": [True, False, False, False]})
    summary = pd.DataFrame({
        "scenario": ["a", "b", "all"], "validation": [1, 2, 3], "simulated": [1, 2, 3],
        "direction_ok": [1, 1, 2], "within_tolerance": [1, 0, 1],
        "direction_ok_pct": [100.0, 50.0, 200 / 3], "within_tolerance_pct": [100.0, 0.0, 100 / 3],
        "not_simulated": [0, 0, 0], "calibration": [1, 0, 1]})
    return Skill(outcomes, summary)


def _forward() -> ForwardDigest:
    summary = pd.DataFrame({
        "economy": ["CHN", "KOR", "JPN"], "good": ["ore", "chip", "chem"],
        "loss_usd_bn_p5": [5.0, 1.0, 0.5], "loss_usd_bn_p50": [9.0, 2.5, 1.2],
        "loss_usd_bn_p95": [12.0, 4.0, 2.0]})
    return ForwardDigest("ore_ban", "China bans ore", dt.date(2026, 1, 1), 365, 20, summary,
                         ["t_fixture"])


def test_key_findings_on_the_tiny_world(tiny: World) -> None:
    found = key_findings(tiny, "JPN,KOR", "CHN", as_of=2028, skill=_skill(),
                         forward=_forward())
    assert 5 <= len(found) <= 8
    texts = [f.text for f in found]
    # 1. ore: CHN has 100% of world supply (world_shares.csv); score = share 1.0 x
    #    non-substitutability (1 - substitutability 0.2 of ore->chem) 0.8 x value at
    #    stake 1 (the only market, phones $100 bn, is downstream) = 0.80
    assert texts[0] == ("China supplies 100% of the world's ore (2024), the largest "
                        "exposure of Japan and Korea: chokepoint score 0.80 of 1.")
    assert (found[0].value, found[0].year, found[0].source_ids) == (1.0, "2024", ["t_fixture"])
    # 2. bilateral.csv: KOR buys 0.1 of its chem from CHN (the only member-rival row)
    assert texts[1] == ("Korea buys 10% of its chemical imports from China (2024), the "
                        "largest recorded import dependence of a member on it.")
    assert found[1].value == pytest.approx(0.1)
    # 3. exposure: ore 0.80; leverage: chem 0.8 x (1 - 0.1) = 0.72 and chip
    #    (KOR 0.6 + JPN 0.4) x (1 - 0.5) = 0.50; 0.72 + 0.50 = 1.22
    assert texts[2] == ("Counting every chokepoint, China holds 1 over Japan and Korea "
                        "(summed score 0.80) and Japan and Korea hold 2 over it (summed "
                        "score 1.22), on figures from 2024.")
    # 4. the lever: chem, JPN makes 80% of world supply
    assert texts[3].startswith("The strongest lever of Japan and Korea is chemical: its "
                               "members supply 80% of the world's supply and China relies")
    assert found[3].value == pytest.approx(0.8)
    # 5. replays: 2 of 3 validation outcomes right in direction (67%), 1 within (33%);
    #    years of the validation periods 2019..2023
    assert texts[4] == ("Replaying 2 past episodes (2019-2023), the model gets the direction "
                        "right for 2 of 3 validation outcomes (67%) and lands within "
                        "tolerance for 1 (33%); 1 calibration outcomes are shown but not "
                        "counted.")
    assert found[4].value == pytest.approx(200 / 3)
    # 6. forward: CHN is not a member; largest member loss KOR chip, median 2.5
    assert texts[5] == ("In the forward scenario \"China bans ore\" (from 2026-01-01, 365 "
                        "days, 20 runs), the largest loss in Japan and Korea is Korea's "
                        "chip: a median US$2.5 bn of output (p5-p95 1.0-4.0).")
    assert found[5].source_ids == ["run:ore_ban", "t_fixture"]
    assert found[5].year == "2026-01-01"
    # 7. dated figures: bilateral 2 + world_shares 7 + edges 3 + goods market_year 1
    #    + domestic 0 = 13, all from 2024; 2028 - 2024 = 4 > 3, so all 13 are stale
    assert texts[6] == (f"13 of the 13 dated figures in world {tiny.version} (100%) are "
                        "more than 3 years old in 2028 (dated 2024 or earlier); the oldest "
                        "is from 2024.")
    assert found[6].value == 13.0


def test_the_replay_finding_names_the_runs_when_recorded(tiny: World) -> None:
    # the same skill as above, scored at 10 runs a replay (Skill.runs, as score_replays
    # records it): the runs follow the years, the counts are unchanged
    skill = replace(_skill(), runs=10)
    texts = [f.text for f in key_findings(tiny, "JPN,KOR", "CHN", as_of=2028, skill=skill)]
    assert ("Replaying 2 past episodes (2019-2023; 10 runs each), the model gets the "
            "direction right for 2 of 3 validation outcomes (67%) and lands within "
            "tolerance for 1 (33%); 1 calibration outcomes are shown but not counted."
            ) in texts


def test_fresh_world_and_no_runs(tiny: World) -> None:
    found = key_findings(tiny, "JPN,KOR", "CHN", as_of=2027)
    # 2027 - 2024 = 3 is not more than 3: none stale; no replay or forward sentence
    assert found[-1].text.startswith("0 of the 13 dated figures")
    assert len(found) == 5
    for f in found:
        assert f.source_ids and f.year and any(ch.isdigit() for ch in f.text)


def test_names_in_words(tiny: World) -> None:
    names = Names.of(tiny)
    assert names.good("chem") == "Chemical" and names.economy("KOR") == "Korea"
    assert names.bloc("JPN,KOR") == "Japan and Korea"
    with pytest.raises(KeyError, match="nothing"):
        names.good("nothing")
