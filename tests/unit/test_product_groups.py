"""Product groupings: HS levels, built-in goods, named groups, WIOD industries.

Hand-made flows (one year; values in USD):

    A -> B  854231  10      A -> B  854232  30      B -> A  811292  5
    A -> C  848620  20      C -> A  250490   7      B -> C  010121  1
"""

from __future__ import annotations

import pandas as pd
import pytest

from econsec.metrics.complementarity import export_similarity
from econsec.metrics.product_groups import (
    WIOD_INDUSTRIES,
    apply_grouping,
    group_definition,
    group_labels,
    group_names,
    hs6_codes,
    product_groups,
    product_names,
    resolve_goods,
    select_products,
)


@pytest.fixture
def flows() -> pd.DataFrame:
    rows = [
        (2020, "A", "B", "854231", 10.0),
        (2020, "A", "B", "854232", 30.0),
        (2020, "B", "A", "811292", 5.0),
        (2020, "A", "C", "848620", 20.0),
        (2020, "C", "A", "250490", 7.0),
        (2020, "B", "C", "010121", 1.0),
    ]
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "product", "value"])


def test_named_groups_have_definitions_and_codes() -> None:
    groups = product_groups()
    assert {"semiconductors", "critical_minerals", "batteries"} <= set(group_names())
    assert set(groups["hs"].str.len()) <= {2, 4, 6}
    assert groups["hs"].str.fullmatch(r"\d+").all()
    for name in group_names():
        assert len(group_definition(name)) > 80  # a real definition with its source
    semis = set(groups.loc[groups["group"] == "semiconductors", "hs"])
    assert {"8541", "8542", "8486"} <= semis
    crm = groups[groups["group"] == "critical_minerals"]
    assert len(crm) == 30 and crm["hs"].is_unique  # the atlas's 30 title codes
    assert "850760" in set(groups.loc[groups["group"] == "batteries", "hs"])
    assert set(groups["wiod"]) - {""} <= set(WIOD_INDUSTRIES)


def test_wiod_industries_complete() -> None:
    assert list(WIOD_INDUSTRIES) == [f"c{i}" for i in range(1, 36)]
    assert WIOD_INDUSTRIES["c14"] == "Electrical and optical equipment"


def test_hs6_codes_pad_integer_like_codes() -> None:
    assert list(hs6_codes(pd.Index([10121, "8542.31", "854231", "85"]))) == [
        "010121", "854231", "854231", "85"]


def test_resolve_named_group_good_hs_and_wiod() -> None:
    semis = resolve_goods("semiconductors")
    assert semis.hs_prefixes == ("8541", "8542", "8486", "381800")
    assert semis.wiod == ("c14",)
    mixed = resolve_goods("dram, 8542.31 ,c2")
    assert mixed.hs_prefixes == ("854232", "854231")  # dram's HS code from goods.csv
    assert mixed.wiod == ("c2",)
    assert "dram" in mixed.note and "Mining" in mixed.note


@pytest.mark.parametrize("spec", ["semiconductorz", "123", "", "cZ9"])
def test_resolve_unknown_names_the_argument(spec: str) -> None:
    with pytest.raises(ValueError, match="goods"):
        resolve_goods(spec)


def test_resolve_good_without_hs_code() -> None:
    with pytest.raises(ValueError, match="eda_software"):
        resolve_goods("eda_software")


def test_select_semiconductors(flows: pd.DataFrame) -> None:
    sel = select_products(flows, resolve_goods("semiconductors"))
    assert sorted(sel["product"]) == ["848620", "854231", "854232"]
    chips = select_products(flows, resolve_goods("chips"))
    assert sorted(chips["product"]) == ["854231", "854232"]


def test_hs_levels(flows: pd.DataFrame) -> None:
    hs4 = apply_grouping(flows, "hs4")
    got = hs4.groupby("product", observed=True)["value"].sum().to_dict()
    assert got == {"8542": 40.0, "8112": 5.0, "8486": 20.0, "2504": 7.0, "0101": 1.0}
    hs2 = apply_grouping(flows, "hs2")
    got2 = hs2.groupby("product", observed=True)["value"].sum().to_dict()
    assert got2 == {"85": 40.0, "81": 5.0, "84": 20.0, "25": 7.0, "01": 1.0}
    assert apply_grouping(flows, "hs6")["value"].sum() == pytest.approx(73.0)


def test_good_grouping_joint_labels_and_drop_unmapped(flows: pd.DataFrame) -> None:
    g = apply_grouping(flows, "good")
    by = g.groupby("product", observed=True)["value"].sum().to_dict()
    # 854231 is listed by logic_advanced and logic_legacy; 854232 by dram, hbm and nand;
    # 811292 by gallium and germanium; 250490 by graphite_natural; 010121 by no good
    assert by["logic_advanced|logic_legacy"] == 10.0
    assert by["dram|hbm|nand"] == 30.0
    assert by["gallium|germanium"] == 5.0
    assert by["graphite_natural"] == 7.0
    assert sum(by.values()) == pytest.approx(72.0)  # the live horse (010121) is dropped
    assert "cmp_tools" in next(k for k in by if "lithography_euv" in k)


def test_grouping_changes_the_index_as_hand_computed(flows: pd.DataFrame) -> None:
    # ESI of A and B. HS6: A exports 854231 10, 854232 30, 848620 20 (60);
    # B exports 811292 5, 010121 1: no common product -> 0.
    # HS2: A: 85 40/60, 84 20/60; B: 81 5/6, 01 1/6 -> still 0.
    # Chips only with hs4: A exports 8542 40 -> share 1; B none -> NaN.
    hs6 = export_similarity(flows, "A", "B")["value"].iloc[0]
    assert hs6 == 0.0
    f2 = flows.assign(product=["854231", "854232", "854239", "848620", "250490", "010121"])
    # B now exports 854239 (5) and 010121 (1). HS4: A 8542 40/60, 8486 20/60;
    # B 8542 5/6, 0101 1/6 -> ESI = 100 * min(2/3, 5/6) = 66.67
    esi4 = export_similarity(apply_grouping(f2, "hs4"), "A", "B")["value"].iloc[0]
    assert esi4 == pytest.approx(200 / 3)


def test_wiod_grouping_checks_codes() -> None:
    f = pd.DataFrame({"year": [2011], "exporter": ["KOR"], "importer": ["CHN"],
                      "product": ["c14"], "value": [1.0]})
    assert apply_grouping(f, "wiod") is f
    with pytest.raises(ValueError, match="WIOD industries"):
        apply_grouping(f, "hs4")
    with pytest.raises(ValueError, match=r"c1\.\.c35"):
        group_labels(pd.Index(["854231"]), "wiod")
    with pytest.raises(ValueError, match="grouping must be one of"):
        group_labels(pd.Index(["854231"]), "hs5")


def test_product_names() -> None:
    assert list(product_names(pd.Index(["c14", "c99"]), "wiod")) == [
        "Electrical and optical equipment", ""]
    names = product_names(pd.Index(["gallium|germanium"]), "good")
    assert names[0].startswith("Gallium") and " | Germanium" in names[0]
    assert product_names(pd.Index(["850760"]), "hs6")[0] == "Lithium-ion accumulators"
