"""The supply mix M[c, g, s] (:func:`econsec.metrics.network.supply_mix`), by hand."""

from __future__ import annotations

import pandas as pd

from econsec.metrics.network import supply_mix


def test_supply_mix_by_hand() -> None:
    # world shares: g made by CHN 0.6, JPN 0.3, ROW 0.1; h by KOR 0.5, CHN 0.5.
    # Korea reports its imports of g (CHN 0.8, USA 0.2) and of h (CHN 1.0); Japan none.
    ws = pd.DataFrame({"good": ["g", "g", "g", "h", "h"],
                       "economy": ["CHN", "JPN", "ROW", "KOR", "CHN"],
                       "share": [0.6, 0.3, 0.1, 0.5, 0.5]})
    bil = pd.DataFrame({"importer": ["KOR", "KOR", "KOR"], "good": ["g", "g", "h"],
                        "supplier": ["CHN", "USA", "CHN"], "share": [0.8, 0.2, 1.0]})
    mix = supply_mix(ws, bil, ["JPN", "KOR"], ["g", "h"])
    got = {(r.buyer, r.good, r.supplier): (r.share, r.basis) for r in mix.itertuples()}
    assert got == {
        # Japan: no import data, the world shares stand in (Japan's own 0.3 included)
        ("JPN", "g", "CHN"): (0.6, "world-share proxy"),
        ("JPN", "g", "JPN"): (0.3, "world-share proxy"),
        ("JPN", "g", "ROW"): (0.1, "world-share proxy"),
        ("JPN", "h", "CHN"): (0.5, "world-share proxy"),
        ("JPN", "h", "KOR"): (0.5, "world-share proxy"),
        # Korea makes no g: its import shares as they are (x (1 - 0))
        ("KOR", "g", "CHN"): (0.8, "import shares"),
        ("KOR", "g", "USA"): (0.2, "import shares"),
        # Korea makes half the world's h: imports x (1 - 0.5), its own 0.5 domestic
        ("KOR", "h", "CHN"): (0.5, "import shares"),
        ("KOR", "h", "KOR"): (0.5, "domestic (world share)"),
    }
    # rows sorted by buyer, good, supplier; each buyer-good mix sums to 1
    assert list(mix["buyer"]) == sorted(mix["buyer"])
    assert mix.groupby(["buyer", "good"])["share"].sum().tolist() == [1.0, 1.0, 1.0, 1.0]
