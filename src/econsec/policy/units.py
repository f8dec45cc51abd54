"""Simulated trade in physical units and in real and nominal USD.

The engine's flows are real: USD bn a day at pre-shock prices (docs/simulation.md,
"Units"). For the trade table of a run (``econsec simulate NAME --table trade``):

* ``real_usd_bn_p5/p50/p95`` and ``real_usd_bn_baseline``: the arrival rate as the engine
  records it (USD bn/day at pre-shock prices; quantiles over runs);
* ``nominal_usd_bn_p5/p50/p95``: per run, the rate times the good's simulated price index
  over the interval (``SimResult.interval_prices``: ``(p_{i-1} + p_i) / 2``), then the
  quantiles; equal to real without the price mechanism;
* ``tonnes_p5/p50/p95`` and ``tonnes_baseline`` (tonnes/day):

      tonnes = real USD a day x 1e9 / unit value (USD per tonne)

  with the good's unit value of the scenario's as-of year (``World.unit_value``: the
  latest figure up to that year, or the earliest, flagged, when there is none up to it;
  ``unit_value_year`` says which year, ``unit_value_usd_per_t`` the figure). The unit
  value is fixed over a run, so the tonnes' quantiles are the real quantiles over it. A
  good without a unit value (no HS code, or no dataset of the world build holds a
  quantity for its codes) has no tonnes: empty cells and the reason in ``tonnes_note``;
  never a guessed unit value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from econsec.data.world import World

TRADE_COLUMNS = ["day", "buyer", "good", "supplier",
                 "real_usd_bn_p5", "real_usd_bn_p50", "real_usd_bn_p95", "real_usd_bn_baseline",
                 "nominal_usd_bn_p5", "nominal_usd_bn_p50", "nominal_usd_bn_p95",
                 "tonnes_p5", "tonnes_p50", "tonnes_p95", "tonnes_baseline",
                 "unit_value_usd_per_t", "unit_value_year", "tonnes_note"]
USD_BN = 1e9


def unit_values_of(goods: list[str], world: World | None, as_of_year: int | None
                   ) -> dict[str, tuple[float | None, int | None, str]]:
    """Per good: (USD per tonne, its year, note) for year *as_of_year* (None: the latest);
    (None, None, reason) for a good without one."""
    from econsec.data.world import NoUnitValue

    out: dict[str, tuple[float | None, int | None, str]] = {}
    for good in goods:
        if world is None:
            out[good] = (None, None, "no unit value: this network is not the world's goods "
                                     "(OECD ICIO industries)")
            continue
        try:
            uv = world.unit_value(good, as_of_year)
        except NoUnitValue as exc:
            out[good] = (None, None, str(exc))
            continue
        note = f"HS {uv.hs6.replace(';', '+')}, {uv.source}"
        if uv.backcast:
            note += f"; backcast: no unit value up to {as_of_year}, the earliest ({uv.year})"
        out[good] = (uv.usd_per_t, uv.year, note)
    return out


def trade_in_units(trade: pd.DataFrame, world: World | None, as_of_year: int | None
                   ) -> pd.DataFrame:
    """The frame of ``SimResult.trade(nominal=True)`` with its USD columns named real and
    nominal and the tonnes beside them (module docstring; columns :data:`TRADE_COLUMNS`)."""
    out = trade.rename(columns={
        "p5": "real_usd_bn_p5", "p50": "real_usd_bn_p50", "p95": "real_usd_bn_p95",
        "baseline": "real_usd_bn_baseline", "nominal_p5": "nominal_usd_bn_p5",
        "nominal_p50": "nominal_usd_bn_p50", "nominal_p95": "nominal_usd_bn_p95"})
    values = unit_values_of(sorted(set(out["good"])), world, as_of_year)
    usd_per_t = out["good"].map(lambda g: values[g][0]).astype(float)
    for q in ("p5", "p50", "p95", "baseline"):
        out[f"tonnes_{q}"] = out[f"real_usd_bn_{q}"] * USD_BN / usd_per_t
    out["unit_value_usd_per_t"] = usd_per_t
    out["unit_value_year"] = out["good"].map(lambda g: values[g][1]).astype("Int64")
    out["tonnes_note"] = out["good"].map(lambda g: values[g][2])
    return out[TRADE_COLUMNS]
