"""Malformed world files: each error names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from econsec.data.world import load_world
from econsec.errors import DataError


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _error(folder: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_world(folder)
    return info.value


def test_tiny_world_loads(tiny_world_path: Path) -> None:
    w = load_world(tiny_world_path)
    assert w.good_ids == ["ore", "chem", "chip", "phone"]
    assert len(w.measures) == 2 and w.measures[0].licence_delay_days == 90
    assert w.investments[0].capacity_share == 0.1


def test_unknown_economy_code(tiny_copy: Path) -> None:
    _replace(tiny_copy / "world_shares.csv", "chem,CHN,0.2", "chem,XXX,0.2")
    err = _error(tiny_copy)
    assert err.file.endswith("world_shares.csv") and err.line == 4 and err.field == "economy"
    assert "XXX" in str(err)


def test_share_above_one(tiny_copy: Path) -> None:
    _replace(tiny_copy / "world_shares.csv", "ore,CHN,1.0", "ore,CHN,1.5")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (2, "share") and "outside [0, 1]" in str(err)


def test_shares_summing_above_one(tiny_copy: Path) -> None:
    _replace(tiny_copy / "world_shares.csv", "chem,CHN,0.2", "chem,CHN,0.3")
    err = _error(tiny_copy)
    assert err.field == "share" and "sum to 1.1000" in str(err)
    assert err.file.endswith("world_shares.csv") and err.line == 4


def test_cycle_in_graph(tiny_copy: Path) -> None:
    with (tiny_copy / "edges.csv").open("a") as fh:
        fh.write("phone,ore,0.1,0.5,false,2024,t_fixture,\n")
    err = _error(tiny_copy)
    assert err.file.endswith("edges.csv") and err.field == "output"
    assert "cycle" in str(err) and "phone -> ore -> chem" in str(err)


def test_missing_source(tiny_copy: Path) -> None:
    _replace(tiny_copy / "edges.csv", "chip,phone,0.4,0.5,true,2024,t_fixture",
             "chip,phone,0.4,0.5,true,2024,")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (4, "source") and "required" in str(err)


def test_unknown_source_id(tiny_copy: Path) -> None:
    _replace(tiny_copy / "bilateral.csv", "KOR,chem,CHN,0.1,2024,,import value,t_fixture",
             "KOR,chem,CHN,0.1,2024,,import value,nowhere")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (3, "source") and "nowhere" in str(err)


def test_truncated_csv(tiny_copy: Path) -> None:
    path = tiny_copy / "world_shares.csv"
    path.write_text(path.read_text().rstrip("\n").rsplit(",", 3)[0] + "\n")
    err = _error(tiny_copy)
    assert err.file.endswith("world_shares.csv") and err.line == 8
    assert "truncated" in str(err)


def test_unterminated_quote(tiny_copy: Path) -> None:
    with (tiny_copy / "goods.csv").open("a") as fh:
        fh.write('extra,"Extra good,material,,,,,\n')
    err = _error(tiny_copy)
    assert err.file.endswith("goods.csv") and err.line is not None


def test_duplicate_key(tiny_copy: Path) -> None:
    with (tiny_copy / "edges.csv").open("a") as fh:
        fh.write("ore,chem,0.1,0.2,true,2024,t_fixture,\n")
    err = _error(tiny_copy)
    assert err.line == 5 and err.field == "input,output" and "first on line 2" in str(err)


def test_unknown_good_in_bilateral(tiny_copy: Path) -> None:
    _replace(tiny_copy / "bilateral.csv", "KOR,chem,JPN", "KOR,chemical,JPN")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (2, "good") and "unknown good id 'chemical'" in str(err)


def test_unknown_column(tiny_copy: Path) -> None:
    _replace(tiny_copy / "goods.csv", "description", "descripton")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (1, "descripton")


def test_good_not_reaching_end_product(tiny_copy: Path) -> None:
    with (tiny_copy / "goods.csv").open("a") as fh:
        fh.write("dust,Dust,mineral,,,,,orphan,\n")
    err = _error(tiny_copy)
    assert err.file.endswith("goods.csv") and err.line == 6 and "dust" in str(err)


def test_weights_must_leave_value_added(tiny_copy: Path) -> None:
    _replace(tiny_copy / "edges.csv", "chip,phone,0.4", "chip,phone,1.0")
    err = _error(tiny_copy)
    assert err.field == "weight" and "phone" in str(err)


def test_bad_url_in_sources(tiny_copy: Path) -> None:
    _replace(tiny_copy / "sources.csv", "https://example.org/econsec-tiny-world", "example.org")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (2, "url")


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "needle"),
    [
        ("  type: licensing", "  type: licence", 3, "type", "unknown type"),
        ("  effective: 2019-07-04", "  effective: 2019-13-04", 8, "effective",
         "month must be in 1..12"),
        ("  lifted: 2023-03-23", "  lifted: 2018-01-01", 9, "lifted", "before"),
        ("  goods: [chem]", "  goods: [chemx]", 6, "goods", "unknown good"),
        ("  targets: [KOR]", "  targets: [ZZZ]", 5, "targets", "unknown economy"),
        ("  intensity: 0.5", "  intensity: 1.5", 10, "intensity", "outside"),
        ("  source: t_fixture\n  year: 2019\n- id: chn",
         "  source: t_fixture\n  year: 2019\n  colour: red\n- id: chn", 14, "colour",
         "unknown key"),
        ("- id: chn_ore_ban", "- id: jpn_chem_to_kor", 14, "id", "duplicate"),
    ],
)
def test_bad_measures(tiny_copy: Path, old: str, new: str, line: int, field: str,
                      needle: str) -> None:
    _replace(tiny_copy / "measures.yaml", old, new)
    err = _error(tiny_copy)
    assert err.file.endswith("measures.yaml")
    assert (err.line, err.field) == (line, field), str(err)
    assert needle in str(err)


def test_missing_required_measure_key(tiny_copy: Path) -> None:
    _replace(tiny_copy / "measures.yaml", "  imposer: CHN\n", "")
    err = _error(tiny_copy)
    assert err.field == "imposer" and err.line == 14 and "missing" in str(err)


def test_yaml_syntax_error(tiny_copy: Path) -> None:
    _replace(tiny_copy / "investments.yaml", "  firm: Example Co", "  firm: [Example Co")
    err = _error(tiny_copy)
    assert err.file.endswith("investments.yaml") and err.line is not None


def test_missing_file(tiny_copy: Path) -> None:
    (tiny_copy / "bilateral.csv").unlink()
    err = _error(tiny_copy)
    assert err.file.endswith("bilateral.csv") and "missing" in str(err)


def test_domestic_shares_are_optional_and_checked(tiny_copy: Path) -> None:
    assert load_world(tiny_copy).latest_domestic().empty  # no file: nothing recorded
    path = tiny_copy / "domestic_shares.csv"
    path.write_text("economy,good,share,year,basis,source,note\n"
                    "KOR,chem,0.25,2024,own output / use,t_fixture,\n"
                    "XXX,chem,0.5,2024,own output / use,t_fixture,\n")
    err = _error(tiny_copy)
    assert err.file.endswith("domestic_shares.csv") and (err.line, err.field) == (3, "economy")
    _replace(path, "XXX,chem,0.5", "JPN,chem,1.5")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (3, "share") and "outside [0, 1]" in str(err)
    _replace(path, "JPN,chem,1.5,2024,own output / use,t_fixture", "JPN,chem,0.5,2024,x,nope")
    err = _error(tiny_copy)
    assert (err.line, err.field) == (3, "source")


PROVENANCE_HEADER = ("good,economy,share,year,basis,source,note,dataset,edition,file,cell,"
                     "overrides,observed_after")


@pytest.mark.parametrize(("row", "field", "message"), [
    # a derived row must say where it came from: edition, file and cell
    ("ore,CHN,1.0,2024,production,t_fixture,,usgs_mcs,MCS 2025,f.csv,,,", "cell",
     "needs 'cell'"),
    # provenance cells on a curated row (no dataset)
    ("ore,CHN,1.0,2024,production,t_fixture,,,,f.csv,,,", "file", "without 'dataset'"),
    # a derived row cannot override, and an override needs its reason
    ("ore,CHN,1.0,2024,production,t_fixture,,usgs_mcs,MCS 2025,f.csv,line 2,derived: x,",
     "overrides", "only a curated row"),
    ("ore,CHN,1.0,2024,production,t_fixture,,,,,,because,", "overrides", "derived: <reason>"),
    ("ore,CHN,1.0,2024,production,t_fixture,,,,,,derived:  ,", "overrides", "<reason>"),
    # observed_after must name a measure of measures.yaml
    ("ore,CHN,1.0,2024,production,t_fixture,,,,,,,no_such_measure", "observed_after",
     "unknown measure id 'no_such_measure'"),
])
def test_provenance_and_precedence_columns(tiny_copy: Path, row: str, field: str,
                                           message: str) -> None:
    path = tiny_copy / "world_shares.csv"
    lines = path.read_text().splitlines()
    body = [line + ",,,,,," for line in lines[1:]]
    body[0] = row
    path.write_text("\n".join([PROVENANCE_HEADER, *body]) + "\n")
    err = _error(tiny_copy)
    assert (Path(err.file).name, err.line, err.field) == ("world_shares.csv", 2, field)
    assert message in str(err)


def test_provenance_columns_are_optional_and_read(tiny_copy: Path) -> None:
    path = tiny_copy / "world_shares.csv"
    lines = path.read_text().splitlines()
    body = [line + ",,,,,," for line in lines[1:]]
    body[0] = ("ore,CHN,1.0,2024,production,t_fixture,,usgs_mcs,MCS 2025,"
               "mcs2025/world/MCS2025_World_Data.csv,\"lines 3 / line 9, column PROD_2023\",,"
               "chn_ore_ban")
    path.write_text("\n".join([PROVENANCE_HEADER, *body]) + "\n")
    w = load_world(tiny_copy)
    row = w.world_shares.iloc[0]
    assert (row["dataset"], row["cell"], row["observed_after"]) == (
        "usgs_mcs", "lines 3 / line 9, column PROD_2023", "chn_ore_ban")
    assert w.bilateral["dataset"].isna().all()  # header without the columns: empty


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("ore,CHN,1.0,2024", "ore,CHN,1.0,2024.0", "year", "is not an integer"),
    ("ore,CHN,1.0,2024", "ore,CHN,nan,2024", "share", "NaN is not allowed"),
    ("ore,CHN,1.0,2024", "ore,CHN,,2024", "share", "a value is required"),
    ("ore,CHN,1.0,2024", "ore,chn,1.0,2024", "economy", "three-letter upper-case"),
    ("ore,CHN,1.0,2024", "Ore,CHN,1.0,2024", "good", "lower-case letters"),
])
def test_share_table_cells(tiny_copy: Path, old: str, new: str, field: str,
                           message: str) -> None:
    _replace(tiny_copy / "world_shares.csv", old, new)
    err = _error(tiny_copy)
    assert (Path(err.file).name, err.line, err.field) == ("world_shares.csv", 2, field)
    assert message in str(err)
