"""Induced localisation (stage 6b, :mod:`econsec.simulation.adaptation`): hand-worked
trajectories on three-node networks, the default that changes nothing, and the fast step
against the plain reference with localisation on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from econsec.simulation.network_arrays import Baseline, assemble
from econsec.simulation.spec import DistKind, ParamDist, Shock, ShockKind, SimulationSpec
from simhelpers import START, ban, engine, params, random_busy_network

#: ceiling and lead of the hand-worked cases
LEAD = 10.0


def own_supply(s1: float, s2: float) -> Baseline:
    """C makes g (USD 1bn/day, all final) from h (cost share 0.5, essential, sigma 0),
    bought from S1 (*s1*), S2 (*s2*) and C's own h producers (the rest)."""
    # economies C=0, S1=1, S2=2; goods g=0, h=1
    mix = [(1, s1), (2, s2), (0, 1.0 - s1 - s2)]
    return assemble(["C", "S1", "S2"], ["g", "h"], [(0, 0), (1, 1), (2, 1), (0, 1)],
                    np.array([1.0, 0.0, 0.0, 0.0]), [(1, 0, 0.5, 0.0, True)],
                    {(0, 1): [m for m in mix if m[1] > 0]})


def flow(b: Baseline, supplier: str) -> int:
    """The flow of h from *supplier* into C's g node."""
    e = b.economies.index(supplier)
    return int(np.flatnonzero(b.flow_supplier == e)[0])


def spec_of(*shocks: Shock, horizon: int = 40) -> SimulationSpec:
    return SimulationSpec(start=START, horizon_days=horizon, shocks=shocks)


def test_localisation_ramp_under_a_cap_displaces_imports_in_proportion() -> None:
    """A quota capping S1 -> C at its baseline rate refuses any more: C's own h producers
    ramp up to 85% of C's use over 10 days, taking share from S1 and S2 2:1.

    Hand calculation (no spare capacity, no inventory gap: receipts = use every step):
    use of h u = 0.5 x 1 = 0.5/day; shares S1 0.5, S2 0.25, own 0.25; the quota is
    0.5 x 0.5 = 0.25/day, which S1 ships, so re-sourcing moves nothing (lost = 0.5 - 0.25 /
    0.5 = 0). Trigger day 0, L(t) = min(t / 10, 1); lambda = 0.85 adds 0.85 - 0.25 = 0.60:
    tau_t = 0.25 + 0.06 min(t, 10); the imports keep their 2:1 ratio,
    S1 = (1 - tau) 2/3, S2 = (1 - tau) / 3. Own capacity x0 + L 0.60 x 0.5 =
    0.125 + 0.03 min(t, 10). After step 10: own 0.85, S1 0.10, S2 0.05; S1 then ships
    0.10 x 0.5 = 0.05/day, 80% below its 0.25 (and total imports 0.075 vs 0.375: -80%).
    """
    b = own_supply(0.5, 0.25)
    quota = Shock(ShockKind.quota, frozenset({"S1"}), frozenset({"C"}), frozenset({"h"}),
                  start=0, intensity=1.0)
    eng = engine(b, spec_of(quota), params(localisation_share=0.85,
                                           localisation_lead_days=LEAD))
    k1, k2, kd = flow(b, "S1"), flow(b, "S2"), flow(b, "C")
    own = b.node_index()[("C", "h")]
    for t in range(15):
        invest, _ = eng.capacity_added(eng.state.day)
        assert invest[own, 0] == pytest.approx(0.03 * min(t, 10), abs=1e-12)
        moved = eng.step()
        tau = 0.25 + 0.06 * min(t, 10)
        assert eng.state.share[kd, 0] == pytest.approx(tau, abs=1e-12)
        assert eng.state.share[k1, 0] == pytest.approx((1 - tau) * 2 / 3, abs=1e-12)
        assert eng.state.share[k2, 0] == pytest.approx((1 - tau) / 3, abs=1e-12)
        assert eng.state.availability[:, 0] == pytest.approx(1.0)
    # step 14 ships with the shares after step 13: S1 0.10 x 0.5 = 0.05, S2 0.025
    assert moved.shipped[k1, 0] == pytest.approx(0.05, abs=1e-12)
    assert moved.shipped[k2, 0] == pytest.approx(0.025, abs=1e-12)
    assert moved.shipped[kd, 0] == pytest.approx(0.425, abs=1e-12)


def test_localisation_under_a_ban_stays_after_the_lift() -> None:
    """S1 bans h to C on days 0-15 (C buys 75% from S1, 25% from its own producers, no
    S2); lambda 0.65 over 10 days.

    Hand calculation: re-sourcing can move S1's refused share only to C's own producers,
    up to their capacity over the orders o_q >= u = 0.5 (C's g output and use do not fall
    while inventory lasts), i.e. to at most (0.125 + 0.02 L') / o_q <= tau; stage 6b then
    sets the own share to tau_t = 0.25 + 0.04 min(t, 10) (added share 0.65 - 0.25 = 0.40,
    capacity 0.125 + 0.40 x 0.5 L). After the lift (day 15) the capacity is sunk and the
    shares stay (without return_days): own 0.65, S1 0.35.
    """
    b = own_supply(0.75, 0.0)
    eng = engine(b, spec_of(ban("S1", end=15)),
                 params(localisation_share=0.65, localisation_lead_days=LEAD))
    k1, kd = flow(b, "S1"), flow(b, "C")
    for t in range(25):
        eng.step()
        tau = 0.25 + 0.04 * min(t, 10)
        assert eng.state.share[kd, 0] == pytest.approx(tau, abs=1e-12), t
        assert eng.state.share[k1, 0] == pytest.approx(1 - tau, abs=1e-12), t


def test_no_localisation_by_default_and_none_without_a_refusal() -> None:
    """localisation_share 0 (the default) compiles nothing; a tariff or a licence delay
    with full approval is not a refusal, so a positive share compiles nothing either."""
    b = own_supply(0.5, 0.25)
    assert engine(b, spec_of(ban("S1")), params()).loc is None
    tariff = Shock(ShockKind.tariff, frozenset({"S1"}), frozenset(), frozenset({"h"}),
                   start=0, intensity=0.5)
    delay = Shock(ShockKind.licensing, frozenset({"S1"}), frozenset(), frozenset({"h"}),
                  start=0, intensity=0.0, approval_rate=1.0,
                  licence_delay=ParamDist(DistKind.fixed, (20.0,)))
    eng = engine(b, spec_of(tariff, delay), params(localisation_share=0.9))
    assert eng.loc is None


def test_a_buyer_without_own_producers_is_a_named_error() -> None:
    """Localisation needs the buyer's own node and a flow from it (simulate builds the
    world's baseline with them); a hand network without them is an error, not a no-op."""
    b = own_supply(0.75, 0.25)  # no C -> C flow of h
    with pytest.raises(ValueError, match="localisation"):
        engine(b, spec_of(ban("S1")), params(localisation_share=0.5))


def test_the_fast_step_matches_the_reference_with_localisation() -> None:
    """The busy random network with every buyer also buying from itself, localisation on
    with per-run ceilings and lead times: the fast step equals the plain reference."""
    from test_step_kernels import check_against_reference

    from simhelpers import busy_spec

    net = random_busy_network(5, own_supply=True)
    spec = busy_spec(localisation_share=ParamDist(DistKind.uniform, (0.3, 0.9)),
                     localisation_lead_days=ParamDist(DistKind.uniform, (0.0, 40.0)))
    eng, _ = check_against_reference(net, spec, runs=3, seed=5, steps=60)
    assert eng.loc is not None
    assert len(eng.loc.node) >= 3


def test_frontloading_volume_between_announcement_and_effect() -> None:
    """S's ban on h to C is announced on day 2 and takes effect on day 5; buyers add 20
    days of use to their inventory target in between (refill over 10 days; S has 100%
    spare capacity, on line the step after demand exceeds capacity).

    Hand calculation (two_node: C makes 1/day of g from 0.5/day of h bought from S;
    10 days of cover, target (10 + 1) x 0.5 = 5.5):
    days 0-1: steady, S ships 0.5/day;
    day 2: target 5.5 + 20 x 0.5 = 15.5, refill (15.5 - 5.5) / 10 = 1.0, S's capacity is
    still 0.5: it serves use (0.5) and no refill; demand 1.5 > 0.5 brings the spare on line;
    day 3: capacity 1.0: use 0.5 + refill 0.5 of 1.0 (phi_refill 0.5): ships 1.0,
    inventory 5.5 + 1.0 - 0.5 = 6.0;
    day 4: refill (15.5 - 6.0) / 10 = 0.95, ships 0.5 + 0.5 = 1.0, inventory 6.5;
    day 5: the ban: nothing arrives; the target is 5.5 again.
    Front-loaded: 1.0 (days 3-4) on top of 5 x 0.5 = 2.5; C's inventory is 6.5 at the
    effect, 1.0 above the 5.5 it would hold without.
    """
    from simhelpers import two_node

    b = two_node()
    shock = Shock(ShockKind.ban, frozenset({"S"}), frozenset(), frozenset({"h"}),
                  start=5, announced=2)
    for days, want_arrivals, want_inv in ((20.0, [0.5, 0.5, 0.5, 1.0, 1.0, 0.0], 6.5),
                                          (0.0, [0.5] * 5 + [0.0], 5.5)):
        eng = engine(b, spec_of(shock), params(spare_capacity=1.0, inventory_days=10.0,
                                               refill_days=10.0, frontload_days=days))
        got = []
        for t in range(6):
            got.append(float(eng.step().received[0, 0]))
            if t == 4:
                assert eng.state.inventory[0, 0] == pytest.approx(want_inv, abs=1e-12)
        assert got == pytest.approx(want_arrivals, abs=1e-12)


def test_frontloading_needs_an_announcement_before_the_effect() -> None:
    with pytest.raises(ValueError, match="announced after"):
        Shock(ShockKind.ban, frozenset({"S"}), frozenset(), frozenset({"h"}), start=5,
              announced=7)
    b = own_supply(0.5, 0.25)
    assert engine(b, spec_of(ban("S1", start=3)), params(frontload_days=30.0)
                  ).frontload is None


def test_the_fast_step_matches_the_reference_with_frontloading() -> None:
    """Every shock of the busy spec announced on day 0 (effects on days 2-8), per-run
    front-loading: the fast step equals the plain reference."""
    import dataclasses

    from test_step_kernels import check_against_reference

    from simhelpers import busy_spec

    spec = busy_spec(frontload_days=ParamDist(DistKind.uniform, (5.0, 40.0)))
    spec = dataclasses.replace(spec, shocks=tuple(dataclasses.replace(s, announced=0)
                                                  for s in spec.shocks))
    eng, _ = check_against_reference(random_busy_network(6), spec, runs=3, seed=6,
                                     steps=30)
    assert eng.frontload is not None


def test_scenarios_carry_the_announcement_and_name_a_bad_one(tmp_path: Any) -> None:
    """The registry's announced date (1 Jul 2019, effective 4 Jul) becomes the shock's
    announcement (day 0 of a scenario starting on 1 Jul, start day 3); an inline shock
    announced after its start is an error naming the file, line and key."""
    from econsec.errors import DataError
    from econsec.policy.scenarios import load_scenario

    text = ("name: demo\ntitle: Demo\nkind: forward\nstart: 2019-07-01\nhorizon: 60d\n"
            "measures:\n  - id: jpn_kor_2019_fluorides\n"
            "parameters:\n  frontload_days: 30\n  localisation_share: 0.5\n")
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    shock = load_scenario(path).shocks[0]
    assert (shock.announced, shock.start) == (0, 3)
    bad = text + ("shocks:\n  - kind: ban\n    imposers: CHN\n    goods: [gallium]\n"
                  "    start: 2019-08-01\n    announced: 2019-09-01\n")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "demo.yaml" in msg and "line 16" in msg and "shocks[0].announced" in msg
