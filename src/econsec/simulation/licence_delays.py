"""Licence delays spread over shipments: under licensing each approved shipment waits for its
own licence, so the licences of one episode arrive over a window, not on one day.

Mechanism. A shipment approved on day ``s`` under a licensing shock is released (leaves
the supplier) on day ``s + d``, with ``d`` distributed over the shipments of one run by the
shock's ``licence_delay_days`` distribution ``D``:

``released_k(t) = sum_d w_d approved_k(t - d)``,   ``sum_d w_d = 1``,

with the day weights ``w`` of :func:`day_weights`:

* ``fixed c``: ``w_c = 1``, a single delay (every shipment waits ``c`` days);
* ``uniform [a, b]``: the whole days ``rint(a) .. rint(b)``, each ``1 / (rint(b) - rint(a)
  + 1)``: released evenly over ``[s + a, s + b]`` (a constant approved flow ``q`` from day
  0 is released at ``q (t - a + 1) / (b - a + 1)`` on days ``a <= t <= b``, then at ``q``);
* ``triangular``, ``normal``, ``lognormal``: the distribution rounded to whole days,
  ``w_d = F(d + 1/2) - F(d - 1/2)`` (``F`` its CDF; all the mass below 1/2 on day 0, as the
  per-run draw clips at 0), cut at ``mu + 6 sd`` (normal) or ``exp(mu + 6 sd)``
  (lognormal), a tail of ``1e-9``, and renormalised.

On a step of ``dt`` days a delay of ``v`` days is ``rint(v / dt)`` steps, as for a single
delay. A :class:`~econsec.simulation.spec.LicenceRelief` with ``delay_factor`` ``f`` makes
day ``d`` a delay of ``f d``. A flow under several licensing shocks needs every licence,
granted independently: its delay is the longest, ``P(d_k <= j) = prod_i F_i(j)``
(:func:`lag_cdf` per shock). Flows whose delay is one value per run (a shock without its own
delay, which takes the ``licence_delay_days`` parameter; a fixed delay; every delay with
``SimulationSpec.licence_spread`` False) combine with it as ``1[j >= c_r] prod_i F_i(j)``
(``c_r`` the longest of them in run ``r``, in steps): the pipeline stage's release weights
(:func:`econsec.simulation.step.licence_pipeline`).

Conservation: what is ordered is shipped now (flows not under licensing), put in the licence
pipeline (the approved share), or refused (the approval cap, never shipped); what enters the
pipeline leaves it ``j`` steps later in the shares ``w_j`` (sum 1), so ``shipped = released +
change in the pipeline`` at every step (the ledger of :mod:`econsec.simulation.step`).

Evidence (the windows are the ones cited in the replays' YAMLs): licences were granted
exporter by exporter and application by application over weeks, not all on one day. CLEPA
reported 60 % of its members' magnet-licence applications issued by 30 Jun 2025 (25 %
earlier) with "hundreds of permits" pending (Reuters via Hindustan Times, 30 Jun 2025,
https://www.hindustantimes.com/world-news/us-news/chinas-rare-earths-are-flowing-again-but-not-freely-101751251601471.html);
MOFCOM's statutory review of a dual-use export licence takes 45 working days (about 63
calendar days; the figure of the graphite and rare-earth replays' YAMLs; "up to 45 days are
estimated" for gallium and germanium, Rawmaterials.net citing Reuters, 21 Sep 2023,
https://rawmaterials.net/lengthy-licensing-procedures-china-did-not-export-gallium-and-germanium-in-august/),
counted from each application's filing; the first gallium and germanium licences came on
21 Sep 2023 (MOFCOM via Reuters; Metal Bulletin, 21 Sep 2023: "a number" granted, further
applications pending) and further ones through November and December 2023 (a trader's
permit "secured in early November", Reuters, 20 Nov 2023; December exports 4.6 times
November's, China customs); antimony licences from the reopening of
export channels on 30 Oct 2024 over "two to three months" (ScrapInsight; Reuters, 20 Sep
2024). A uniform window of first-to-last licence dates is therefore read as the spread of
the licence dates of one episode's shipments.

Run-to-run uncertainty: with the spread, a shock's own delay distribution is not drawn
per run (no random numbers are consumed for it): the sourced windows say when an
episode's licences came (the first and the last dates), not how the whole window could have
sat elsewhere, and no distribution of the window itself is sourced for any shipped replay.
A per-run draw would count the same spread twice. The runs of a replay still differ by
their other parameters (inventories, spare capacity, ...). The ``licence_delay_days``
parameter (a shock without a delay of its own: an unknown mean delay, not a window) keeps
its per-run draw. ``licence_spread: False`` (:mod:`econsec.policy.ablation`) restores the
behaviour before: one delay per run, drawn from the distribution, for every shipment.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from econsec.simulation.spec import DistKind, ParamDist, ShockKind, SimulationSpec

F64 = npt.NDArray[np.float64]

#: the longest licence delay the spread represents (days; the registry's bound on
#: ``licence_delay_days``)
MAX_DELAY_DAYS = 3650
#: standard deviations kept of a normal (or the log of a lognormal) delay: a tail of 1e-9
TAIL_SD = 6.0


def spread_shocks(spec: SimulationSpec) -> tuple[bool, ...]:
    """Per shock of *spec*: whether its licence delay is spread over shipments (a licensing
    shock with its own non-fixed delay, under ``spec.licence_spread``)."""
    return tuple(spec.licence_spread and s.kind is ShockKind.licensing
                 and s.licence_delay is not None
                 and s.licence_delay.kind is not DistKind.fixed for s in spec.shocks)


def longest_day(dist: ParamDist) -> float:
    """The longest delay (days) of *dist* the weights of :func:`day_weights` reach."""
    a = dist.args
    if dist.kind is DistKind.fixed:
        hi = a[0]
    elif dist.kind is DistKind.uniform:
        hi = float(np.rint(max(a)))
    elif dist.kind is DistKind.triangular:
        hi = a[2]
    elif dist.kind is DistKind.normal:
        hi = a[0] + TAIL_SD * a[1]
    else:
        hi = math.exp(a[0] + TAIL_SD * a[1])
    if not hi <= MAX_DELAY_DAYS:
        raise ValueError(f"licence delay {dist.kind} {list(a)} reaches {hi:g} days, beyond "
                         f"the {MAX_DELAY_DAYS} days a delay may take")
    return max(hi, 0.0)


def _cdf(dist: ParamDist, x: F64) -> F64:
    """CDF of a triangular, normal or lognormal *dist* at *x*."""
    a = dist.args
    if dist.kind is DistKind.triangular:
        lo, mode, hi = a
        if hi <= lo:
            return np.where(x >= lo, 1.0, 0.0)
        left = np.divide((x - lo) ** 2, (hi - lo) * (mode - lo)) if mode > lo else 1.0
        right = 1.0 - (np.divide((hi - x) ** 2, (hi - lo) * (hi - mode)) if hi > mode else 0.0)
        return np.where(x <= lo, 0.0, np.where(x >= hi, 1.0,
                                               np.where(x <= mode, left, right)))
    mu, sd = a
    if dist.kind is DistKind.lognormal:
        with np.errstate(divide="ignore"):
            x = np.where(x > 0, np.log(np.maximum(x, 0.0)), -np.inf)
    if sd <= 0:
        return np.where(x >= mu, 1.0, 0.0)
    z = (x - mu) / (sd * math.sqrt(2.0))
    return np.asarray([0.5 * (1.0 + math.erf(v)) for v in z], dtype=np.float64)


def day_weights(dist: ParamDist) -> F64:
    """``(D + 1,)`` weights of a delay of 0 .. D whole days under *dist* (module rule),
    summing to 1. ValueError for a uniform or triangular delay below 0 days."""
    a = dist.args
    if dist.kind in (DistKind.uniform, DistKind.triangular) and min(a) < 0:
        raise ValueError(f"licence delay {dist.kind} {list(a)} takes negative days")
    top = math.ceil(longest_day(dist))  # uniform: rint(b), a whole number already
    if dist.kind is DistKind.fixed:
        w = np.zeros(int(np.rint(max(a[0], 0.0))) + 1)
        w[-1] = 1.0
        return w
    if dist.kind is DistKind.uniform:
        first = int(np.rint(min(a)))
        w = np.zeros(top + 1)
        w[first:] = 1.0 / (top - first + 1)
        return w
    edges = np.arange(top + 1, dtype=np.float64) + 0.5
    cdf = _cdf(dist, edges)
    w = np.diff(cdf, prepend=0.0)
    total = float(w.sum())
    if not total > 0:
        raise ValueError(f"licence delay {dist.kind} {list(a)} has no mass on 0-{top} days")
    return np.asarray(w / total, dtype=np.float64)


def lag_cdf(dist: ParamDist, factor: float, dt: float, length: int) -> F64:
    """``(length,)`` CDF of the delay of *dist* in steps of *dt* days, each day ``d`` a
    delay of ``rint(factor d / dt)`` steps (*factor*: a licence relief's
    ``delay_factor``); ends at exactly 1. ValueError if *length* is too short."""
    w = day_weights(dist)
    lag = np.rint(factor * np.arange(len(w)) / dt).astype(np.int64)
    if lag[-1] >= length:
        raise ValueError(f"licence delay of {lag[-1]} steps beyond the pipeline's {length}")
    cdf = np.cumsum(np.bincount(lag, weights=w, minlength=length))
    cdf[lag[-1]:] = 1.0
    return np.asarray(cdf, dtype=np.float64)
