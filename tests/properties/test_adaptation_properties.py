"""Invariants of induced localisation (Hypothesis): a longer lead time never raises the
worst availability; goods are still conserved; shares still sum to 1."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econsec.simulation.network_arrays import Baseline, assemble
from econsec.simulation.spec import SimulationSpec
from simhelpers import START, ban, chain_networks, engine, params

EXAMPLES = int(os.environ.get("ECONSEC_HYPOTHESIS_EXAMPLES", "15"))
# derandomize: the same examples on every run. The lead-time property has a counterexample
# (found and pinned below); the property test is kept, marked non-strict.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def worst_availability(b: Baseline, intensity: float, ceiling: float, lead: float,
                       steps: int = 60) -> float:
    """Lowest availability of any node outside the imposer E1 over *steps* days of a ban
    by E1 on h, with localisation (*ceiling*, *lead*)."""
    spec = SimulationSpec(start=START, horizon_days=steps,
                          shocks=(ban("E1", intensity=intensity),))
    eng = engine(b, spec, params(spare_capacity=0.1, ramp_days=30.0, inventory_days=5.0,
                                 localisation_share=ceiling, localisation_lead_days=lead))
    outside = b.node_economy != b.economies.index("E1")
    worst = 1.0
    for _ in range(steps):
        eng.step()
        worst = min(worst, float(eng.state.availability[outside, 0].min()))
    return worst


def counterexample() -> Baseline:
    """The network on which a longer lead time RAISES the worst availability (found by
    Hypothesis, 6 Dec 2026): economies E0-E2, chain h -> m -> g, cost shares 0.5, no
    substitution, every input essential; g's final demand 1 per economy; every slot buys
    from the three economies in equal shares except E0's m, which buys h 1/9 from itself
    and 4/9 each from E1 and E2. A full ban by E1 on h, localisation ceiling 0.25: lead
    1 day gives a worst availability of 0.796 (E0's m, day 58), lead 2 days 0.862 (day 24).
    With the faster ramp, localisation's displacement of every import in proportion leaves
    more of E0's m orders on the banned E1 once the capacity-limited re-sourcing has run
    (E1's share 0.206 against 0.193 at day 59): the result depends on the order in which
    the two stages moved the shares, not only on the capacity available."""
    third = [(0, 1 / 3), (1, 1 / 3), (2, 1 / 3)]
    mix = {(c, 1): third for c in range(3)} | {(c, 2): third for c in (1, 2)}
    mix[(0, 2)] = [(0, 1 / 9), (1, 4 / 9), (2, 4 / 9)]
    nodes = [(e, g) for e in range(3) for g in range(3)]
    market = np.array([1.0 if g == 0 else 0.0 for _, g in nodes])
    return assemble(["E0", "E1", "E2"], ["g", "m", "h"], nodes, market,
                    [(1, 0, 0.5, 0.0, True), (2, 1, 0.5, 0.0, True)], mix)


@pytest.mark.xfail(strict=True, reason="known defect of induced localisation (issue 13 "
                   "note): the worst availability is not monotone in the lead time when "
                   "re-sourcing is capacity-limited; this test passes once it is")
def test_the_known_counterexample_of_lead_time_monotonicity() -> None:
    b = counterexample()
    fast = worst_availability(b, 1.0, 0.25, 1.0)
    slow = worst_availability(b, 1.0, 0.25, 2.0)
    assert slow <= fast + 1e-9


def test_the_counterexample_network_is_the_one_found() -> None:
    # the two figures the counterexample's docstring quotes, so the pinned case stays
    # the one that was found (a change of the engine shows up here first)
    b = counterexample()
    assert worst_availability(b, 1.0, 0.25, 1.0) == pytest.approx(0.7962, abs=1e-3)
    assert worst_availability(b, 1.0, 0.25, 2.0) == pytest.approx(0.8621, abs=1e-3)


@pytest.mark.xfail(strict=False, reason="not an invariant of the model as built: see "
                   "test_the_known_counterexample_of_lead_time_monotonicity; most "
                   "generated networks satisfy it, some (e.g. that one) do not")
@given(b=chain_networks(), intensity=st.floats(0.2, 1.0), ceiling=st.floats(0.0, 1.0),
       lead=st.floats(0.0, 60.0), longer=st.floats(1.0, 120.0))
@SETTINGS
def test_a_longer_lead_time_never_raises_availability(b: Baseline, intensity: float,
                                                      ceiling: float, lead: float,
                                                      longer: float) -> None:
    fast = worst_availability(b, intensity, ceiling, lead)
    slow = worst_availability(b, intensity, ceiling, lead + longer)
    assert slow <= fast + 1e-9


@given(b=chain_networks(), intensity=st.floats(0.2, 1.0), ceiling=st.floats(0.0, 1.0),
       lead=st.floats(0.0, 60.0))
@SETTINGS
def test_conservation_with_localisation(b: Baseline, intensity: float, ceiling: float,
                                        lead: float) -> None:
    spec = SimulationSpec(start=START, horizon_days=40,
                          shocks=(ban("E1", intensity=intensity),))
    eng = engine(b, spec, params(spare_capacity=0.1, ramp_days=30.0, inventory_days=5.0,
                                 localisation_share=ceiling, localisation_lead_days=lead))
    topo = eng.topo
    for _ in range(40):
        inv0 = eng.state.inventory.copy()
        f = eng.step()
        np.testing.assert_allclose(f.output, topo.flows_to_sources(f.shipped) + f.final,
                                   rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(eng.state.inventory - inv0, f.received - f.used,
                                   rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(topo.flows_to_slots(eng.state.share), 1.0, atol=1e-12)
        assert (eng.state.share >= -1e-15).all()
