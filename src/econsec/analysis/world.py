"""World queries of the Python API: plain functions over a world, returning DataFrames.

Every function takes an optional ``world`` (default: the built-in world) so a notebook user
can pass a world loaded from their own folder, or a scenario's copy. Exposure is in
:mod:`econsec.analysis.supply_exposure`; trade-panel queries in :mod:`econsec.analysis.trade`.

>>> from econsec import analysis
>>> analysis.chokepoints("TRILATERAL", "CHN").head()   # doctest: +SKIP
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from econsec.analysis.as_of import filled_world_shares
from econsec.analysis.names import (
    EmptyAnswerError,
    add_note,
    resolve_economy,
    resolve_good,
    resolve_party,
)
from econsec.data.world import World, load_world
from econsec.domain import BLOCS
from econsec.metrics import chokepoints as ck
from econsec.metrics.concentration import world_supply_hhi
from econsec.metrics.dependence import bloc_dependence_matrix, direct_import_dependence
from econsec.metrics.network import SupplyNetwork, build_network


def _world(world: World | None) -> World:
    return world if world is not None else load_world()


@functools.lru_cache(maxsize=8)
def _network_cached(world: World, as_of: int | None) -> SupplyNetwork:
    return build_network(world.latest_world_shares(as_of), world.latest_bilateral(as_of),
                         world.edges, world.good_ids, buyers=world.economy_codes,
                         domestic=world.latest_domestic(as_of))


@functools.lru_cache(maxsize=8)
def _filled_network(world: World) -> SupplyNetwork:
    """The network on :func:`~econsec.analysis.as_of.filled_world_shares`."""
    return build_network(filled_world_shares(world), world.latest_bilateral(),
                         world.edges, world.good_ids, buyers=world.economy_codes,
                         domestic=world.latest_domestic())


def network(world: World | None = None, as_of: int | None = None) -> SupplyNetwork:
    """The (economy x good) supply network of *world* with figures up to year *as_of*
    (default: the latest of each), cached per world and year."""
    return _network_cached(_world(world), as_of)


def _check_economy(w: World, code: str) -> str:
    """The economy's code (:func:`~econsec.analysis.names.resolve_economy`)."""
    return resolve_economy(code, w)


def _goods_arg(w: World, good: str | None) -> list[str]:
    if good is None:
        return w.good_ids
    return [resolve_good(good, w)]


def goods_table(world: World | None = None) -> pd.DataFrame:
    """Goods with stage, HS codes, market size, the top supplier and world-supply HHI."""
    w = _world(world)
    hhi = world_supply_hhi(w.latest_world_shares())
    g = w.goods.drop(columns="_line").copy()
    g["hs6"] = g["hs6"].map(lambda t: ";".join(t) if isinstance(t, tuple) else "")
    out = g.merge(hhi, left_on="good_id", right_on="good", how="left").drop(columns="good")
    return out[["good_id", "name", "stage", "hs6", "market_usd_bn", "market_year",
                "top_party", "top_share", "hhi", "source"]].rename(
        columns={"top_party": "top_supplier", "top_share": "top_supplier_share",
                 "hhi": "world_hhi"})


def world_summary(world: World | None = None) -> pd.DataFrame:
    """Counts of goods, edges, shares, measures, investments, economies and sources."""
    w = _world(world)
    rows = [
        ("goods", len(w.goods), "nodes of the supply network"),
        ("edges", len(w.edges), "input -> output links of the supply graph"),
        ("world share rows", len(w.world_shares),
         f"{w.world_shares['good'].nunique()} goods with world supply shares"),
        ("bilateral share rows", len(w.bilateral),
         f"{w.bilateral[['importer', 'good']].drop_duplicates().shape[0]} importer-good pairs"),
        ("measures", len(w.measures), "dated policy acts"),
        ("investments", len(w.investments), "dated capacity changes"),
        ("economies", len(w.economies), "ISO 3166 alpha-3 codes plus ROW"),
        ("sources", len(w.sources), "cited documents and datasets"),
    ]
    return pd.DataFrame(rows, columns=["item", "count", "note"]).assign(version=w.version)


def economies_table(world: World | None = None) -> pd.DataFrame:
    w = _world(world)
    return w.economies.drop(columns="_line").reset_index(drop=True)


def chokepoints(
    bloc: str | None = None,
    against: str | None = None,
    world: World | None = None,
    *,
    min_share: float | None = None,
    top: int | None = None,
    source: str = "curated",
    db: Path | None = None,
) -> pd.DataFrame:
    """Chokepoint scores (see :mod:`econsec.metrics.chokepoints`).

    * no arguments: for each input good, its largest single-economy holder;
    * ``bloc``: the goods that bloc controls;
    * ``bloc`` and ``against``: both directions: the bloc's exposure to the rival (the
      rival as holder, the bloc's dependence on it) and the bloc's leverage over the
      rival (the bloc as holder, the rival's dependence on the bloc).

    *min_share* (default 0.25) is the holder's minimum share of world supply.
    ``source="icio"`` (needs *bloc* and *against*): the sector-level view from the OECD
    ICIO table in the store *db*: the bloc's ICIO sectors whose output rests on the
    rival's primary inputs (all tiers) by at least *min_share* (default 0.05), and the
    rival's sectors resting on the bloc
    (:func:`econsec.analysis.icio_exposure.icio_chokepoints`). *source* is checked by
    :func:`econsec.analysis.choices.check_source` (``curated`` or ``icio``).
    """
    from econsec.analysis.choices import check_source

    source_ = check_source(source, ("curated", "icio"))
    w = _world(world)
    if source_ == "icio":
        from econsec.analysis.icio_exposure import ICIO_MIN_SHARE, icio_chokepoints

        if bloc is None or against is None:
            raise ValueError("source 'icio' needs --bloc and --against (e.g. --bloc "
                             "TRILATERAL --against CHN)")
        b = resolve_party(bloc, w)
        r = resolve_party(against, w, kind="rival")
        if b.members & r.members:
            raise ValueError(f"against: {r.label} shares members "
                             f"{','.join(sorted(b.members & r.members))} with bloc {b.label}")
        return icio_chokepoints(sorted(b.members), sorted(r.members), bloc_label=b.label,
                                rival_label=r.label, top=top, db=db,
                                min_share=ICIO_MIN_SHARE if min_share is None else min_share)
    if min_share is None:
        min_share = 0.25
    shares = w.latest_world_shares()
    shares = shares[shares["economy"] != "ROW"]
    if bloc is None and against is None:
        holders = {e: frozenset({e}) for e in sorted(set(shares["economy"]))}
        scores = ck.chokepoint_scores(shares, w.edges, w.goods, holders)
        out = scores.sort_values("holder_share", ascending=False).groupby("good").head(1)
        out = out.sort_values("score", ascending=False).reset_index(drop=True)
        return _nonempty(out.head(top) if top else out, "no input good has a holder")
    if bloc is None:
        raise ValueError("--against needs --bloc (e.g. --bloc TRILATERAL --against CHN)")
    party = resolve_party(bloc, w)
    members, bloc_name = party.members, party.label
    bloc_scores = ck.chokepoint_scores(shares, w.edges, w.goods, {bloc_name: members})
    if against is None:
        out = bloc_scores[bloc_scores["holder_share"] >= min_share].reset_index(drop=True)
        return _nonempty(out.head(top) if top else out,
                         f"{bloc_name} holds no input good with a world share >= "
                         f"{min_share:g} (min_share); its largest is "
                         f"{bloc_scores['holder_share'].max():.3g}")
    rparty = resolve_party(against, w, kind="rival")
    rival, rival_name = rparty.members, rparty.label
    if members & rival:
        raise ValueError(f"against: {rival_name} shares members "
                         f"{','.join(sorted(members & rival))} with bloc {bloc_name}")
    rival_scores = ck.chokepoint_scores(shares, w.edges, w.goods, {rival_name: rival})
    goods = w.good_ids
    bil, ws = w.latest_bilateral(), w.latest_world_shares()
    dep_bloc = pd.concat([direct_import_dependence(bil, ws, m, goods) for m in sorted(members)])
    dep_bloc = dep_bloc[dep_bloc["supplier"].isin(rival)].groupby(
        ["economy", "good"])["share"].sum().groupby("good").mean().reset_index()
    dep_rival = pd.concat([direct_import_dependence(bil, ws, r, goods) for r in sorted(rival)])
    dep_rival = dep_rival[dep_rival["supplier"].isin(members)].groupby(
        ["economy", "good"])["share"].sum().groupby("good").mean().reset_index()
    out = ck.mutual_chokepoints(rival_scores, bloc_scores, dep_bloc, dep_rival,
                                min_share=min_share)
    out.insert(2, "target", [rival_name if d == "leverage" else bloc_name
                             for d in out["direction"]])
    if top:
        out = out.groupby("direction", sort=False).head(top).reset_index(drop=True)
    sides = {"exposure": (rival_name, rival_scores), "leverage": (bloc_name, bloc_scores)}
    for direction, (holder, scores) in sides.items():
        if not out["direction"].eq(direction).any():
            add_note(out, f"no {direction} rows: {holder} holds no input good with a world "
                     f"share >= {min_share:g} (min_share) on which the other side depends; "
                     f"its largest share is {scores['holder_share'].max():.3g}")
    return _nonempty(out, f"neither {bloc_name} nor {rival_name} holds an input good with "
                     f"a world share >= {min_share:g} (min_share)")


def _nonempty(frame: pd.DataFrame, why: str) -> pd.DataFrame:
    """*frame*, or EmptyAnswerError saying *why* it is empty."""
    if frame.empty:
        raise EmptyAnswerError(f"no rows: {why}")
    return frame


def self_sufficiency(bloc: str = "TRILATERAL", world: World | None = None) -> pd.DataFrame:
    """Bloc self-sufficiency per good.

    See :func:`econsec.metrics.chokepoints.bloc_self_sufficiency`; goods without a world
    share figure are left out (no answer rather than a false zero). World shares are
    :func:`~econsec.analysis.as_of.filled_world_shares`: a member listed only in an older
    figure of a good keeps its share (carried into the latest figure's remainder)."""
    w = _world(world)
    party = resolve_party(bloc, w)
    shares = filled_world_shares(w)
    mix = _filled_network(w).mix
    mix = mix[mix["good"].isin(set(shares["good"]))]  # goods with no share figure: no answer
    out = ck.bloc_self_sufficiency(mix, shares, party.members)
    out.insert(0, "bloc", party.label)
    return _nonempty(out, f"no good has supply figures for the members of {party.label}")


def measures(
    type: str | None = None,
    imposer: str | None = None,
    good: str | None = None,
    world: World | None = None,
) -> pd.DataFrame:
    """The measures registry, optionally filtered by type, imposer and good.

    *type* is a measure type or a family: ``export_control`` selects the whole family
    (export controls, licensing, embargoes; :func:`econsec.domain.types_matching`). An
    unknown type, imposer or good is a named error with suggestions; an empty selection
    says which filter emptied it.
    """
    from econsec.domain import MeasureFamily, MeasureType, types_matching

    w = _world(world)
    frame = w.measures_frame()
    asked: list[str] = []
    if type:
        try:
            wanted = types_matching(type)
        except ValueError:
            from econsec.domain.names import UnknownNameError, suggest

            names = sorted({t.value for t in MeasureType} | {f.value for f in MeasureFamily})
            raise UnknownNameError("measure type", type, suggest(type, names),
                                   ", ".join(names)) from None
        frame = frame[frame["type"].isin({t.value for t in wanted})]
        asked.append(f"type {type}")
        _nonempty(frame, f"the registry has no measure of type {type}")
    if imposer:
        code = resolve_economy(imposer, w, kind="imposer")
        before = frame
        frame = frame[frame["imposer"] == code]
        asked.append(f"imposer {code}")
        if frame.empty:
            mine = w.measures_frame()
            mine = mine[mine["imposer"] == code]
            kinds = ", ".join(sorted(set(mine["type"]))) or "none"
            raise EmptyAnswerError(
                f"no rows: no measure matches {' and '.join(asked)}; {code} imposes "
                f"{len(mine)} measures (types: {kinds}) and the {len(before)} measures "
                f"of {asked[0] if len(asked) > 1 else 'the registry'} have imposers "
                f"{', '.join(sorted(set(before['imposer'])))}")
    if good:
        gid = resolve_good(good, w)
        frame = frame[frame["goods"].str.split(";").map(lambda gs: gid in gs)]
        asked.append(f"good {gid}")
        _nonempty(frame, f"no measure matches {' and '.join(asked)}")
    return frame.sort_values("announced").reset_index(drop=True)


def measure_detail(measure_id: str, world: World | None = None) -> pd.DataFrame:
    """One measure as a field/value table, with its full citation."""
    from econsec.domain.names import match_choice

    w = _world(world)
    m = w.measure(match_choice(measure_id, [x.id for x in w.measures], kind="measure",
                               where="`econsec measures list`"))
    src = w.sources[m.source]
    fields = [
        ("id", m.id), ("name", m.name), ("type", m.type.value), ("imposer", m.imposer),
        ("targets", ", ".join(m.targets)), ("goods", ", ".join(m.goods)),
        ("announced", m.announced.isoformat()),
        ("effective", m.effective.isoformat() if m.effective else ""),
        ("lifted", m.lifted.isoformat() if m.lifted else ""),
        ("intensity", f"{m.intensity:g}"),
        ("licence_delay_days", "" if m.licence_delay_days is None else f"{m.licence_delay_days:g}"),
        ("amount_usd_bn", "" if m.amount_usd_bn is None else f"{m.amount_usd_bn:g}"),
        ("description", m.description), ("source", src.citation()),
    ]
    return pd.DataFrame(fields, columns=["field", "value"])


def known_blocs() -> pd.DataFrame:
    return pd.DataFrame([{"bloc": b.name, "members": ",".join(sorted(b.members)),
                          "description": b.description} for b in BLOCS.values()])


def dependence_matrix(bloc: str, against: str,
                      world: World | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Members of *bloc* x goods: the share of each member's imports of the good that
    comes from *against* (recorded bilateral shares, latest year), and the source ids
    behind it; see :func:`econsec.metrics.dependence.bloc_dependence_matrix`."""
    w = _world(world)
    return bloc_dependence_matrix(w.latest_bilateral(), resolve_party(bloc, w).members,
                                  resolve_party(against, w, kind="rival").members)
