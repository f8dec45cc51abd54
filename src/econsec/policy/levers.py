"""Parsing the ``levers:`` and ``parameters:`` sections of a scenario file.

``levers`` (every key optional)::

    stockpile:            [{economies: KOR, goods: [gallium], days: 60}]
    diversification:      [{economies: [JPN], goods: [rare_earth_processing],
                            away_from: CHN, fraction: 0.3}]
    allied_sharing:       {members: TRILATERAL, start: 2023-08-01}   # or: true
    capacity_investment:  [{economy: AUS, good: rare_earth_processing,
                            capacity_share: 0.05, start: 0, lead_days: 730},
                           {investment: lynas_kalgoorlie, capacity_share: 0.03},
                           registry]
    licence_relief:       [{measure: chn_2023_gallium_germanium, approval_rate: 0.9,
                            delay_factor: 0.5, start: 2023-10-01}]

A registry investment (``investment: ID``) starts at its ``announced`` date (clipped to the
scenario start) and ramps up until its ``operational`` date; its ``capacity_share`` comes
from the registry unless the scenario gives one (the registry leaves it null where no
sourced capacity figure exists, and then the scenario must give it).

The entry ``registry`` (alone, ``capacity_investment: registry``, or in the list) adds every
registry investment that has a sourced ``capacity_share``, is not ``cancelled`` and is not
yet operational at the scenario start (its ``operational`` date is after the start or
unknown): the capacity the registry says is coming. Investments named explicitly in the
same list are not added twice; those without a capacity figure are skipped.

``parameters``: ``name: number`` (fixed) or ``name: {dist: KIND, args: [...]}`` with KIND in
fixed, uniform, triangular, normal, lognormal (see :class:`econsec.simulation.spec.ParamDist`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from econsec.policy.resolve import IcioNames, Resolver, check_keys, number
from econsec.policy.yamlpath import KeyPath, Lines
from econsec.simulation.spec import (
    PARAMETERS,
    AlliedSharing,
    CapacityInvestment,
    DistKind,
    Diversification,
    Lever,
    LicenceRelief,
    ParamDist,
    Stockpile,
)

#: the ``capacity_investment`` entry that stands for every registry investment still to come
REGISTRY = "registry"

LEVER_KEYS = ("stockpile", "diversification", "allied_sharing", "capacity_investment",
              "licence_relief")


def _entries(lines: Lines, key: KeyPath, value: Any) -> list[tuple[KeyPath, Any]]:
    if isinstance(value, dict):
        return [(key, value)]
    if not isinstance(value, list):
        raise lines.error(key, "expected a mapping or a list of mappings")
    return [((*key, i), v) for i, v in enumerate(value)]


def parse_levers(section: object, res: Resolver) -> tuple[Lever, ...]:
    """The ``levers`` mapping (YAML) -> spec levers (resolved against the world of *res*)."""
    lines = res.lines
    if section is None:
        return ()
    if isinstance(res.world, IcioNames):
        raise lines.error(("levers",), "levers are written for the world's goods and are not "
                          "translated to the industries of network icio: remove levers: or "
                          "run on network: world")
    raw = check_keys(lines, ("levers",), section, (), LEVER_KEYS)
    out: list[Lever] = []
    for k, e in _entries(lines, ("levers", "stockpile"), raw.get("stockpile", [])):
        check_keys(lines, k, e, ("economies", "goods", "days"), ())
        out.append(Stockpile(res.economies((*k, "economies"), e["economies"]),
                             res.goods((*k, "goods"), e["goods"]),
                             number(lines, (*k, "days"), e["days"], 0, 3650)))
    for k, e in _entries(lines, ("levers", "diversification"), raw.get("diversification", [])):
        check_keys(lines, k, e, ("economies", "goods", "away_from", "fraction"), ())
        out.append(Diversification(res.economies((*k, "economies"), e["economies"]),
                                   res.goods((*k, "goods"), e["goods"]),
                                   res.economy((*k, "away_from"), e["away_from"]),
                                   number(lines, (*k, "fraction"), e["fraction"], 0, 1)))
    if "allied_sharing" in raw:
        out.extend(_allied(res, raw["allied_sharing"]))
    invest = raw.get("capacity_investment", [])
    if invest == REGISTRY:
        invest = [REGISTRY]
    named: list[CapacityInvestment] = []
    auto = False
    for k, e in _entries(lines, ("levers", "capacity_investment"), invest):
        if e == REGISTRY:
            auto = True
        else:
            named.append(_investment(res, k, e))
    out.extend(named)
    if auto:
        have = {lv.investment_id for lv in named}
        out.extend(lv for lv in registry_investments(res) if lv.investment_id not in have)
    for k, e in _entries(lines, ("levers", "licence_relief"), raw.get("licence_relief", [])):
        check_keys(lines, k, e, ("approval_rate",), ("measure", "delay_factor", "start"))
        mid = e.get("measure")
        if mid is not None:
            try:
                res.world.measure(str(mid))
            except KeyError:
                raise lines.error((*k, "measure"), f"unknown measure id '{mid}'") from None
        out.append(LicenceRelief(
            None if mid is None else str(mid),
            number(lines, (*k, "approval_rate"), e["approval_rate"], 0, 1),
            number(lines, (*k, "delay_factor"), e.get("delay_factor", 1.0), 0, 10),
            max(0, res.offset((*k, "start"), e.get("start", 0)))))
    return tuple(out)


def registry_investments(res: Resolver) -> list[CapacityInvestment]:
    """Registry investments still to come at the scenario start with a sourced
    ``capacity_share``, as levers (see the module docstring)."""
    return [_investment(res, ("levers", "capacity_investment"), {"investment": inv.id})
            for inv in res.world.investments
            if inv.status != "cancelled" and inv.capacity_share is not None
            and (inv.operational is None or inv.operational > res.start)]


def _allied(res: Resolver, value: Any) -> list[Lever]:
    key: KeyPath = ("levers", "allied_sharing")
    if value is False:
        return []
    if value is True:
        return [AlliedSharing(res.economies(key, "TRILATERAL"))]
    check_keys(res.lines, key, value, ("members",), ("start",))
    return [AlliedSharing(res.economies((*key, "members"), value["members"]),
                          max(0, res.offset((*key, "start"), value.get("start", 0))))]


def _investment(res: Resolver, k: KeyPath, e: Any) -> CapacityInvestment:
    lines = res.lines
    if isinstance(e, dict) and "investment" in e:
        check_keys(lines, k, e, ("investment",), ("capacity_share", "start", "lead_days"))
        iid = str(e["investment"])
        inv = next((i for i in res.world.investments if i.id == iid), None)
        if inv is None:
            raise lines.error((*k, "investment"), f"unknown investment id '{iid}'")
        share = e.get("capacity_share", inv.capacity_share)
        if share is None:
            raise lines.error(k, f"investment '{iid}' has no capacity_share in the registry "
                              "(no sourced figure): give capacity_share in the scenario")
        start = max(0, (inv.announced - res.start).days)
        if "start" in e:
            start = max(0, res.offset((*k, "start"), e["start"]))
        if "lead_days" in e:
            lead = number(lines, (*k, "lead_days"), e["lead_days"], 0)
        elif inv.operational is not None:
            lead = float(max(1, (inv.operational - res.start).days - start))
        else:
            lead = 365.0
        return CapacityInvestment(inv.economy, inv.good,
                                  number(lines, (*k, "capacity_share"), share, 0, 1),
                                  start, lead, investment_id=iid)
    check_keys(lines, k, e, ("economy", "good", "capacity_share"), ("start", "lead_days"))
    return CapacityInvestment(res.economy((*k, "economy"), e["economy"]),
                              res.good((*k, "good"), e["good"]),
                              number(lines, (*k, "capacity_share"), e["capacity_share"], 0, 1),
                              max(0, res.offset((*k, "start"), e.get("start", 0))),
                              number(lines, (*k, "lead_days"), e.get("lead_days", 365.0), 0))


def parse_parameters(lines: Lines, raw: Any) -> Mapping[str, ParamDist]:
    """The ``parameters`` mapping -> {name: ParamDist}; names from spec.PARAMETERS."""
    if raw is None:
        return {}
    check_keys(lines, ("parameters",), raw, (), tuple(PARAMETERS))
    out: dict[str, ParamDist] = {}
    for name, value in raw.items():
        out[name] = parse_dist(lines, ("parameters", name), value)
    return out


def parse_dist(lines: Lines, key: KeyPath, value: Any) -> ParamDist:
    """A number (fixed) or ``{dist: NAME, args: [...]}`` -> :class:`ParamDist`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ParamDist(DistKind.fixed, (number(lines, key, value, 0),))
    check_keys(lines, key, value, ("dist", "args"), ())
    try:
        kind = DistKind(str(value["dist"]))
    except ValueError:
        raise lines.error((*key, "dist"), f"unknown distribution '{value['dist']}'; "
                          f"known: {', '.join(k.value for k in DistKind)}") from None
    args_raw = value["args"]
    if not isinstance(args_raw, list):
        raise lines.error((*key, "args"), "expected a list of numbers")
    args = tuple(number(lines, (*key, "args", i), a) for i, a in enumerate(args_raw))
    try:
        dist = ParamDist(kind, args)
    except ValueError as exc:
        raise lines.error((*key, "args"), str(exc)) from None
    _check_dist(lines, (*key, "args"), dist)
    return dist


def _check_dist(lines: Lines, key: KeyPath, dist: ParamDist) -> None:
    """The support of a distribution given in a scenario (its arguments are finite numbers,
    checked by :func:`~econsec.policy.resolve.number`): uniform low <= high; triangular
    low <= mode <= high with low < high (numpy draws nothing from a point); sd >= 0; values
    of fixed, uniform and triangular >= 0."""
    a = dist.args
    if dist.kind is DistKind.uniform and not a[0] <= a[1]:
        raise lines.error(key, f"uniform needs low <= high, got {list(a)}")
    if dist.kind is DistKind.triangular and not (a[0] <= a[1] <= a[2] and a[0] < a[2]):
        raise lines.error(key, f"triangular needs low <= mode <= high and low < high, "
                          f"got {list(a)}")
    if dist.kind in (DistKind.normal, DistKind.lognormal) and a[1] < 0:
        raise lines.error(key, f"standard deviation must be >= 0, got {a[1]}")
    if dist.kind in (DistKind.fixed, DistKind.uniform, DistKind.triangular) and a[0] < 0:
        raise lines.error(key, f"parameter values must be >= 0, got {list(a)}")
