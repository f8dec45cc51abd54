"""Scenarios on the OECD ICIO network (``network: icio``, :mod:`econsec.policy.network`).

Small tables in the ICIO file layout (``tests/icio_small.py``), imported with the real
importer (its published-total plausibility check switched off: a toy table cannot pass it).

Hand calculation (the 6-node table of ``icio_small``; every gross output 100 million USD a
year = 0.1 USD bn; engine conventions of tests/unit/test_engine.py: an inventory of
``inventory_days`` + 1 days of use, every input essential, orders placed on a day are
produced the next day). Ban CHN -> KOR on C26 from day 0, horizon 60 days, inventory 10 days,
no spare capacity:

* KOR C26 (K2) buys C26 only from CHN C26 (20): nothing else can supply the slot, so it
  produces on inventory for 11 days (days 0-10) and nothing after: loss 49 days x 0.1/365.
* JPN C26 (J2) buys only K2's C26 (30): K2's deliveries stop after day 10, J2's own
  11 days of inventory carry it to day 21: loss 60 - 22 = 38 days x 0.1/365.
* CHN C26 (C2) loses its sale to K2 (20 a year) for the whole horizon: 0.02 x 60/365.
* C2 then needs 20% less of its inputs (its output falls from 100 to 80): JPN B07 sells it
  20 x 0.2 = 4 a year less, KOR B07 10 x 0.2 = 2 less, from day 1 (the order lag):
  0.004 x 59/365 and 0.002 x 59/365.
* CHN B07 sells only to K2, whose orders follow its customers' demand, not its constrained
  output (the ARIO order rule): no loss.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from econsec.cli.app import app
from econsec.data.importers import icio as icio_mod
from econsec.data.store import Store
from econsec.errors import DataError, StoreError
from econsec.policy.network import NetworkChoice, load_icio_network
from econsec.policy.runner import rerun, run_scenario
from econsec.policy.scenarios import load_named, load_scenario
from icio_small import write_icio_folder

HAND = """name: hand
title: Hand-worked ban on a small ICIO table
kind: forward
network: icio
start: 2025-01-01
horizon: 60d
shocks:
  - {kind: ban, imposers: CHN, targets: KOR, goods: C26, start: 0, intensity: 1.0}
parameters:
  spare_capacity: {dist: fixed, args: [0]}
  ramp_days: {dist: fixed, args: [1]}
  inventory_days: {dist: fixed, args: [10]}
"""

#: 4 economies x 4 industries with the sectors the shipped scenario names
NODES4 = [(c, s) for c in ("CHN", "JPN", "KOR", "USA") for s in ("B07", "C24A", "C24B", "C26")]
FLOWS4 = [("CHN", "C26", "USA", "C26", 10.0), ("JPN", "C26", "USA", "C26", 10.0),
          ("CHN", "C24B", "KOR", "C26", 8.0), ("USA", "C24B", "KOR", "C26", 2.0),
          ("CHN", "C24A", "JPN", "C24B", 5.0), ("KOR", "C24A", "JPN", "C24B", 5.0),
          ("CHN", "B07", "CHN", "C24B", 20.0), ("KOR", "C26", "JPN", "C26", 15.0),
          ("USA", "B07", "USA", "C24A", 10.0)]


def _import(folder: Path, db: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(icio_mod, "PUBLISHED_GROSS_OUTPUT_TN", {})
        with Store(db) as store:
            icio_mod.import_icio(folder, store)
    return db


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("icio_net")
    return _import(write_icio_folder(root / "icio"), root / "small.duckdb")


@pytest.fixture(scope="module")
def four_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("icio_net4")
    return _import(write_icio_folder(root / "icio", NODES4, FLOWS4), root / "four.duckdb")


@pytest.fixture()
def hand_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hand.yaml"
    path.write_text(HAND, encoding="utf-8")
    yield path


def test_hand_worked_ban_on_the_icio_network(small_db: Path, hand_file: Path) -> None:
    out = run_scenario(load_scenario(hand_file), runs=1, seed=0, db=small_db)
    loss = out.summary().set_index(["economy", "good"])["loss_usd_bn_p50"]
    assert loss[("KOR", "C26")] == pytest.approx(0.1 * 49 / 365, rel=1e-9)
    assert loss[("JPN", "C26")] == pytest.approx(0.1 * 38 / 365, rel=1e-9)
    assert loss[("CHN", "C26")] == pytest.approx(0.02 * 60 / 365, rel=1e-9)
    assert loss[("JPN", "B07")] == pytest.approx(0.004 * 59 / 365, rel=1e-6)
    assert loss[("KOR", "B07")] == pytest.approx(0.002 * 59 / 365, rel=1e-6)
    assert loss[("CHN", "B07")] == 0.0
    # baseline over the horizon in USD bn: 100 million a year x 60/365
    base = out.summary().set_index(["economy", "good"])["baseline_usd_bn"]
    assert base[("KOR", "C26")] == pytest.approx(0.1 * 60 / 365, rel=1e-12)
    assert out.world_version.startswith("icio-2025-2022-")


def test_a_ban_on_other_targets_leaves_korea_whole(small_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "jpn.yaml"
    path.write_text(HAND.replace("targets: KOR", "targets: JPN"), encoding="utf-8")
    out = run_scenario(load_scenario(path), runs=1, seed=0, db=small_db)
    # CHN sells JPN nothing in this table: no flow is touched, nobody loses
    assert (out.summary()["loss_usd_bn_p50"].abs() < 1e-15).all()


def test_shipped_icio_scenario_end_to_end_on_a_small_table(four_db: Path) -> None:
    sc = load_named("icio_chn_electronics_metals")
    assert sc.network == NetworkChoice("icio", 0.01) and sc.kind == "forward"
    r = CliRunner().invoke(app, ["simulate", "icio_chn_electronics_metals", "--runs", "3",
                                 "--seed", "1", "--db", str(four_db), "--format", "json",
                                 "--top", "100"])
    assert r.exit_code == 0, r.output
    rows = {(x["economy"], x["good"]): x for x in json.loads(r.stdout[r.stdout.index("["):])}
    # half of CHN's C26 sale to USA (10 a year) and of its C24B sale to KOR (8) is
    # blocked; USA and KOR re-source to JPN C26 / USA C24B within spare capacity: China
    # loses sales whatever the draw
    assert rows[("CHN", "C26")]["loss_usd_bn_p5"] > 0
    assert rows[("CHN", "C24B")]["loss_usd_bn_p5"] > 0
    # refused buyers keep moving orders away (resourcing_days), so China can lose more
    # than the blocked half, but never more than the whole sale: 10 of its output of 100
    chn = rows[("CHN", "C26")]
    assert chn["loss_usd_bn_p95"] <= 0.1 * chn["baseline_usd_bn"] * (1 + 1e-9)
    # the trilateral's buyers re-source, nobody else is touched: no loss outside them
    assert all(abs(x["loss_usd_bn_p50"]) < 1e-12 for k, x in rows.items()
               if k[0] not in ("CHN", "USA", "JPN", "KOR"))
    with Store(four_db, read_only=True) as st:
        runs = st.con.execute("SELECT scenario, world_version FROM sim_runs").fetchall()
    assert runs[-1][0] == "icio_chn_electronics_metals"
    assert str(runs[-1][1]).startswith("icio-2025-2022-")


def test_stored_icio_run_reruns_to_the_same_numbers(small_db: Path, hand_file: Path,
                                                     tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["simulate", str(hand_file), "--runs", "2", "--seed", "3",
                                 "--db", str(small_db), "--format", "csv"])
    assert r.exit_code == 0, r.output
    with Store(small_db) as st:
        run_id = st.con.execute("SELECT run_id FROM sim_runs ORDER BY created DESC "
                                "LIMIT 1").fetchone()[0]
        stored, out = rerun(st, run_id)
    first = run_scenario(load_scenario(hand_file), runs=2, seed=3, db=small_db)
    assert out.summary().equals(first.summary())
    assert stored.meta["world_version"] == out.world_version


@pytest.mark.parametrize(("edit", "says"), [
    (("goods: C26", "goods: C99"), "unknown good 'C99'"),
    (("imposers: CHN", "imposers: XXX"), "unknown economy or bloc 'XXX'"),
    (("network: icio", "network: icio\nas_of_year: 2019"), "holds 2022 only"),
])
def test_names_are_checked_against_the_table(small_db: Path, tmp_path: Path,
                                             edit: tuple[str, str], says: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(HAND.replace(*edit), encoding="utf-8")
    sc = load_scenario(path)  # names are resolved when the table is loaded
    with pytest.raises(DataError, match=says) as err:
        run_scenario(sc, runs=1, seed=0, db=small_db)
    assert str(path) in str(err.value) and "line" in str(err.value)


@pytest.mark.parametrize(("edit", "says"), [
    (("shocks:", "measures: [chn_ga_ge_2023]\nshocks:"), "registry measures name the world"),
    (("shocks:", "levers:\n  stockpile: []\nshocks:"), "levers are written for the world"),
    (("network: icio", "network: {source: icio, min_share: 0.9}"), "min_share"),
    (("network: icio", "network: iciox"), "network must be one of world, icio"),
    (("network: icio", "network: {source: world, min_share: 0.1}"), "icio network only"),
])
def test_what_the_icio_network_cannot_take_is_refused_at_load(
        tmp_path: Path, edit: tuple[str, str], says: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(HAND.replace(*edit), encoding="utf-8")
    with pytest.raises(DataError, match=says):
        load_scenario(path)


def test_not_imported_names_the_import_command(tmp_path: Path, hand_file: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    sc = load_scenario(hand_file)
    for db in (empty, tmp_path / "missing.duckdb"):
        with pytest.raises(StoreError, match="econsec data import icio"):
            run_scenario(sc, runs=1, seed=0, db=db)
    r = CliRunner().invoke(app, ["simulate", str(hand_file), "--runs", "1", "--db",
                                 str(empty)])
    assert r.exit_code != 0 and "econsec data import icio" in r.output


def test_an_icio_scenario_has_no_world_spec(hand_file: Path) -> None:
    with pytest.raises(DataError, match="runs on network icio"):
        load_scenario(hand_file).to_spec()


def test_network_is_cached_per_store_and_share(small_db: Path) -> None:
    a = load_icio_network(NetworkChoice("icio", 0.0), small_db)
    assert load_icio_network(NetworkChoice("icio", 0.0), small_db) is a
    b = load_icio_network(NetworkChoice("icio", 0.3), small_db)
    assert b is not a
    # 7 cells; the slot (KOR C26, B07) has shares 10/25, 5/25, 10/25 = 0.4, 0.2, 0.4, so a
    # 0.3 threshold drops KOR B07's flow; every other slot has one supplier
    assert a.baseline.n_flows == 7 and b.baseline.n_flows == 6
    # values in USD bn a day: 100 million a year
    assert a.baseline.x0.max() == pytest.approx(0.1 / 365, rel=1e-12)


def test_scenarios_show_resolves_against_the_table(four_db: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["scenarios", "show", "icio_chn_electronics_metals",
                                 "--db", str(four_db), "--format", "json"])
    assert r.exit_code == 0, r.output
    (shock,) = json.loads(r.stdout[r.stdout.index("["):])
    assert (shock["kind"], shock["imposers"], shock["targets"], shock["goods"],
            shock["intensity"]) == ("ban", "CHN", "JPN;KOR;USA", "C24A;C24B;C26", 0.5)
    r = CliRunner().invoke(app, ["scenarios", "show", "icio_chn_electronics_metals",
                                 "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code != 0 and "econsec data import icio" in r.output
    assert "Traceback" not in r.output
