"""Shipments in transit (:mod:`econsec.simulation.transit`): a hand-worked lift with a
transit lag, the ledger with goods on the way, the sourced table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from econsec.data.transit_days import DEFAULT, REGION, read_transit_days, transit_days
from econsec.errors import DataError
from econsec.simulation.spec import DistKind, ParamDist, SimulationSpec
from simhelpers import (
    START,
    ban,
    busy_spec,
    draw_runs,
    engine,
    params,
    random_busy_network,
    two_node,
    world_baseline,
)

#: the two-node network's economies C and S have no region: their route is interregional
INTER = transit_days()[DEFAULT].interregional


def lift_trajectory(lag_days: float) -> dict[str, list[float]]:
    """Two-node network (C makes g from h, c = 0.5, bought from S; no spare capacity, no
    substitute, 10 days of inventory) under a ban by S on days 2-5 (lifted on day 6), with
    *lag_days* of transit: receipts, shipments, goods on the way and inventory per day."""
    spec = SimulationSpec(start=START, horizon_days=12, shocks=(ban("S", start=2, end=6),))
    eng = engine(two_node(sigma=0.0), spec,
                 params(transit_scale=lag_days / INTER, spare_capacity=0.0))
    out: dict[str, list[float]] = {"received": [], "shipped": [], "on_way": [], "inv": []}
    for _ in range(12):
        f = eng.step()
        out["received"].append(float(f.received[0, 0]))
        out["shipped"].append(float(f.shipped[0, 0]))
        out["on_way"].append(float(eng.state.transit.sum()))
        out["inv"].append(float(eng.state.inventory[0, 0]))
    return out


def test_a_lift_with_a_transit_lag_by_hand() -> None:
    """By hand. S ships C's use c x = 0.5 a day, nothing on days 2-5 (the ban), 0.5 again
    from day 6 (no spare capacity: C's restocking orders are never served). With 3 days of
    transit, C receives on day t what S shipped on day t - 3: the steady state's 3 x 0.5 =
    1.5 already on the way covers days 0-2, days 3-4 bring the shipments of days 0-1, days
    5-8 bring nothing (the ban's days 2-5), and receipts resume on day 9 = the lift (6) + 3.
    Inventory starts at the target (10 days + 1 step) x 0.5 = 5.5, falls by the use 0.5 on
    each of days 5-8 to 3.5 and stays there (receipts = use). Goods on the way: 1.5 until
    the ban, 1.5 - 0.5 per banned day shipped nothing (1.0, 0.5, 0.0 after days 2-4), 0 on
    day 5, then +0.5 a day back to 1.5 on day 8."""
    got = lift_trajectory(3.0)
    half = 0.5
    assert got["shipped"] == [half, half, 0, 0, 0, 0, half, half, half, half, half, half]
    assert got["received"] == [half] * 5 + [0.0] * 4 + [half] * 3
    np.testing.assert_allclose(got["on_way"],
                               [1.5, 1.5, 1.0, 0.5, 0, 0, 0.5, 1.0, 1.5, 1.5, 1.5, 1.5])
    np.testing.assert_allclose(got["inv"], [5.5] * 5 + [5.0, 4.5, 4.0] + [3.5] * 4)
    # without transit the receipts follow the shipments on the same day
    assert lift_trajectory(0.0)["received"] == got["shipped"]


def test_receipts_resume_exactly_lag_days_after_the_lift() -> None:
    for lag in (1, 2, 4, 5):
        received = lift_trajectory(float(lag))["received"]
        # receipts stop on day 2 + lag and come back on day 6 + lag
        assert [i for i, r in enumerate(received) if r == 0.0] == list(range(2 + lag, 6 + lag))


def test_conservation_with_goods_in_transit() -> None:
    """Per step and run: shipped = received + change in the licence pipeline + change in
    transit; the change of the goods on the way is what entered less what left; per-flow
    arrivals sum to the receipts of their slot. Over the run: inventory + goods on the way
    + licensed goods held change by shipped - used."""
    net = random_busy_network(5, own_supply=True)
    spec = busy_spec(transit_scale=ParamDist(DistKind.uniform, (0.05, 0.3)))
    eng = engine(net, spec, draw_runs(spec, 3, 5))
    assert eng.prm.transit is not None
    stock0 = (eng.state.inventory.sum(axis=0) + eng.state.transit.sum(axis=(0, 1))
              + eng.state.pipeline.sum(axis=(0, 1)))
    shipped_total, used_total = np.zeros(3), np.zeros(3)
    for _ in range(60):
        on_way = eng.state.transit.sum(axis=(0, 1))
        f = eng.step()
        shipped, received = f.shipped.sum(axis=0), f.received.sum(axis=0)
        np.testing.assert_allclose(
            shipped - received,
            f.into_pipeline - f.out_of_pipeline + f.into_transit - f.out_of_transit,
            atol=1e-12)
        np.testing.assert_allclose(eng.state.transit.sum(axis=(0, 1)) - on_way,
                                   f.into_transit - f.out_of_transit, atol=1e-12)
        np.testing.assert_allclose(eng.topo.flows_to_slots(f.arrived), f.received,
                                   atol=1e-12)
        shipped_total += shipped
        used_total += f.used.sum(axis=0)
    stock = (eng.state.inventory.sum(axis=0) + eng.state.transit.sum(axis=(0, 1))
             + eng.state.pipeline.sum(axis=(0, 1)))
    np.testing.assert_allclose(stock - stock0, shipped_total - used_total, atol=1e-9)


def test_the_baseline_stays_a_steady_state_with_transit() -> None:
    """With nothing shocked, the goods already on the way keep every receipt at its
    baseline: shipments, receipts and inventories do not move."""
    net = random_busy_network(2, own_supply=True)
    spec = SimulationSpec(start=START, horizon_days=20)
    eng = engine(net, spec, params(transit_scale=0.2, spare_capacity=0.1))
    inv0 = eng.state.inventory.copy()
    first = eng.step()
    for _ in range(19):
        f = eng.step()
        np.testing.assert_allclose(f.received, first.received, rtol=1e-12)
        np.testing.assert_allclose(f.shipped, f.arrived, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(eng.state.inventory, inv0, rtol=1e-12)


def test_lags_follow_goods_and_routes_of_the_world() -> None:
    """On the built-in world at scale 1: a flow within one economy takes no transit, CHN ->
    JPN rare earths the sourced week by sea, CHN -> USA rare earths a month, JPN -> KOR
    EUV resist the air days."""
    base = world_baseline()
    eng = engine(base, SimulationSpec(start=START, horizon_days=10), params(transit_scale=1.0))
    tr = eng.prm.transit
    assert tr is not None
    lag = dict(zip(tr.flows.tolist(), tr.lag[:, 0].tolist(), strict=True))
    eco, goods = base.economies, base.goods
    table = transit_days()

    def lags(s: str, b: str, g: str) -> set[int]:
        """The lags of the flows of *g* from *s* to *b* (one per buying node)."""
        hits = np.flatnonzero((base.flow_supplier == eco.index(s))
                              & (base.flow_buyer == eco.index(b))
                              & (base.flow_good == goods.index(g)))
        assert len(hits), (s, b, g)
        return {lag[int(k)] for k in hits}

    assert lags("CHN", "JPN", "rare_earth_processing") == {7}
    assert lags("CHN", "USA", "rare_earth_processing") == {30}
    assert lags("JPN", "KOR", "photoresist_euv") == {table["photoresist_euv"].regional} == {3}
    # microcontrollers are flown like the table's other chips: 3 days within Asia, 5 from
    # Germany to Korea
    assert lags("JPN", "KOR", "microcontrollers") == {3}
    assert lags("DEU", "KOR", "microcontrollers") == {5}
    domestic = np.flatnonzero(base.flow_supplier == base.flow_buyer)
    assert len(domestic) and not np.isin(domestic, tr.flows).any()


def test_the_table_covers_known_goods_and_economies() -> None:
    base = world_baseline()
    assert set(transit_days()) - {DEFAULT} <= set(base.goods)
    assert set(base.economies) - set(REGION) == {"ROW"}


def test_a_bad_transit_table_is_refused(tmp_path: Path) -> None:
    head = "good,mode,days_regional,days_interregional,source,year,note\n"
    bad = {"mode": "x,boat,1,2,s,2020,\ndefault,sea,7,30,s,2020,\n",
           "days": "default,sea,-1,30,s,2020,\n",
           "default": "x,sea,1,2,s,2020,\n"}
    for what, rows in bad.items():
        path = tmp_path / f"{what}.csv"
        path.write_text(head + rows)
        with pytest.raises(DataError):
            read_transit_days(path)


def test_exports_count_departures_and_imports_arrivals() -> None:
    """Two-node network, ban by S on days 2-5, 3 days of transit: S's shipments to C
    (departures) stop on days 2-5, C's receipts (arrivals) on days 5-8. Mean rates over days
    2-5: departures 0, arrivals (0.5 + 0.5 + 0.5 + 0) / 4 = 0.375 (days 2-4 still bring the
    goods shipped on days -1 to 1); without transit both are 0."""
    from econsec.simulation.engine import simulate

    spec = SimulationSpec(start=START, horizon_days=12, shocks=(ban("S", start=2, end=6),))
    for lag, arrivals in ((3.0, 0.375), (0.0, 0.0)):
        prm = {"transit_scale": ParamDist(DistKind.fixed, (lag / INTER,)),
               "spare_capacity": ParamDist(DistKind.fixed, (0.0,)),
               "inventory_days": ParamDist(DistKind.fixed, (10.0,))}
        res = simulate(SimulationSpec(start=spec.start, horizon_days=12, shocks=spec.shocks,
                                      params=prm), baseline=two_node(sigma=0.0), runs=1)
        keys, came = res.trade_in_window(2, 5)
        _, left = res.trade_in_window(2, 5, departed=True)
        row = int(np.flatnonzero((keys["buyer"] == "C") & (keys["supplier"] == "S"))[0])
        assert came[0, row] == pytest.approx(arrivals)
        assert left[0, row] == pytest.approx(0.0)
        _, after = res.trade_in_window(9, 11, departed=True)
        _, landed = res.trade_in_window(9, 11)
        assert after[0, row] == pytest.approx(0.5) and landed[0, row] == pytest.approx(0.5)


def test_an_outcome_reads_the_side_whose_customs_recorded_it() -> None:
    """The ban and transit of test_exports_count_departures_and_imports_arrivals (3 days):
    over days 2-5 C's arrivals from S run at 0.375 against 0.5 before (-25 %), S's
    departures at 0 (-100 %). An imports outcome of C from the importer's customs
    (the default) reads the arrivals; one from the exporter's customs
    (``recorded_by: exporter``: e.g. China's customs on its exports to the US) the
    departures, as an exports outcome of S does."""
    import datetime as dt

    from econsec.policy.compare import simulated_change
    from econsec.policy.outcomes import Citation, Outcome
    from econsec.simulation.engine import simulate

    prm = {"transit_scale": ParamDist(DistKind.fixed, (3.0 / INTER,)),
           "spare_capacity": ParamDist(DistKind.fixed, (0.0,)),
           "inventory_days": ParamDist(DistKind.fixed, (10.0,))}
    res = simulate(SimulationSpec(start=START, horizon_days=12, params=prm,
                                  shocks=(ban("S", start=2, end=6),)),
                   baseline=two_node(sigma=0.0), runs=1)
    window = (START + dt.timedelta(days=2), START + dt.timedelta(days=5))

    def change(metric: str, economy: str, recorded_by: str = "") -> float | None:
        o = Outcome(metric=metric, economy=economy, partner="S" if metric == "imports"
                    else None, good="h", direction="down", period="days 2-5",
                    source=Citation("t", "p", "https://example.org"), year=2025,
                    unit="tonnes", magnitude=-1.0, window=window, recorded_by=recorded_by)
        return simulated_change(o, res, START)

    assert change("imports", "C") == pytest.approx(-0.25)
    assert change("imports", "C", "importer") == pytest.approx(-0.25)
    assert change("imports", "C", "exporter") == pytest.approx(-1.0)
    assert change("exports", "S") == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="recorded_by"):
        Outcome(metric="price", economy="C", good="h", direction="up", period="x",
                source=Citation("t", "p", "https://example.org"), year=2025, unit="usd",
                magnitude=0.1, recorded_by="exporter")


def test_ring_buffer_by_hand_and_in_any_memory_order() -> None:
    """pass_transit on 2 flows x 2 runs, lags [[1, 3], [2, 2]] (ring of 4 steps): what is
    sent on step t arrives on step t + lag, by hand; a buffer in Fortran order (the
    three-index path) gives the same arrivals and the same buffer, bit for bit."""
    from econsec.simulation.transit import Transit, pass_transit

    lag = np.array([[1, 3], [2, 2]], dtype=np.int64)
    tr = Transit(flows=np.array([0, 1], dtype=np.int64), lag=lag, length=4)
    assert tr.ahead.tolist() == [[4, 13], [10, 11]]  # lag * 4 cells + flat cell
    c_line, f_line = np.zeros((4, 2, 2)), np.asfortranarray(np.zeros((4, 2, 2)))
    arrivals = []
    for step in range(6):
        sent = np.full((2, 2), float(step + 1))  # step t sends t + 1 on every flow
        a, into, out = pass_transit(c_line, step, tr, sent)
        b, into_f, out_f = pass_transit(f_line, step, tr, sent)
        assert np.array_equal(a, b) and np.array_equal(into, into_f)
        assert np.array_equal(out, out_f) and np.array_equal(c_line, f_line)
        assert into.tolist() == [2.0 * (step + 1)] * 2
        arrivals.append(a.tolist())
    # flow 0 run 0 (lag 1): the send of step t - 1, i.e. t; run 1 (lag 3): t - 2 from step 3;
    # flow 1 (lag 2): t - 1 from step 2; nothing before
    expect = [[[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [1.0, 1.0]],
              [[3.0, 1.0], [2.0, 2.0]], [[4.0, 2.0], [3.0, 3.0]], [[5.0, 3.0], [4.0, 4.0]]]
    assert arrivals == expect


@pytest.mark.parametrize("runs", [1, 2, 3, 10, 128])
def test_sum_rows_adds_row_after_row(runs: int) -> None:
    """1e16 then 999 ones: added in order every 1 is lost to rounding (the spacing of
    doubles at 1e16 is 2), so the sum is 1e16 exactly, as a Python loop gives; a pairwise
    sum (numpy's along a contiguous axis) would keep most of the ones. The same bits for
    one run and for many, C- or Fortran-ordered."""
    from econsec.simulation.transit import sum_rows

    col = np.array([1e16] + [1.0] * 999)
    ref = 0.0
    for v in col.tolist():
        ref += v
    assert ref == 1e16 and float(np.sum(col)) != 1e16  # the case discriminates
    x = np.repeat(col[:, None], runs, axis=1)
    for arr in (x, np.asfortranarray(x)):
        assert sum_rows(arr).tolist() == [ref] * runs


@pytest.mark.parametrize("runs", [1, 3])
def test_compiled_pass_equals_the_numpy_pass_bit_for_bit(runs: int) -> None:
    """fused.pass_transit (gather, ring update and scatter in one compiled pass) against
    transit.pass_transit with the gather and scatter around it, over 12 steps of random
    shipments on 5 flows of which 3 are in transit (lags 0-3, a lag of 0 in some run: it
    leaves the step it enters): the same arrivals, buffer and into/out sums, bit for bit.
    The amounts span 1e-3 .. 1e13, so a sum in another order would differ in the last
    bits."""
    from econsec.simulation import fused
    from econsec.simulation.transit import Transit, pass_transit

    rng = np.random.default_rng(runs)
    flows = np.array([0, 2, 4], dtype=np.int64)
    lag = rng.integers(0, 4, size=(3, runs)).astype(np.int64)
    lag[0, 0] = 0
    lag[1, -1] = 3
    tr = Transit(flows=flows, lag=lag, length=int(lag.max()) + 1)
    ring_np = np.zeros((tr.length, 3, runs))
    ring_nb = np.zeros((tr.length, 3, runs))
    for step in range(12):
        arrived = 10.0 ** rng.uniform(-3, 13, size=(5, runs))
        a_np = arrived.copy()
        now, into_np, out_np = pass_transit(ring_np, step, tr, a_np[flows])
        a_np[flows] = now
        a_nb = arrived.copy()
        into_nb, out_nb = fused.pass_transit(ring_nb.reshape(-1), step % tr.length,
                                             tr.ahead, flows, a_nb)
        assert a_nb.tobytes() == a_np.tobytes()
        assert ring_nb.tobytes() == ring_np.tobytes()
        assert into_nb.tobytes() == into_np.tobytes()
        assert out_nb.tobytes() == out_np.tobytes()
    assert ring_np.any()  # goods are on the way: the case is not empty
