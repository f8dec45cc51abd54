"""Exposure: the one entry point for "who does an economy depend on, good by good".

:func:`exposure` is what the CLI (``econsec exposure``), the JSON API (``/api/exposure``)
and notebooks call. Its options are checked once, here: :func:`check_tiers` and
:func:`check_source` raise :class:`ChoiceError` naming the option and its valid choices.

The computations are metrics kernels:

* ``tiers="direct"``: :func:`econsec.metrics.dependence.direct_import_dependence`
  (import shares, else a world-share proxy) with the import-source HHI
  (:func:`econsec.metrics.concentration.import_source_hhi`);
* ``tiers="all"``: :func:`econsec.metrics.exposure.lookthrough_exposure` on the supply
  network;
* ``source="trade"``: import shares from a trade panel replace the curated ones where
  the panel has the good's HS codes (:func:`_panel_shares`, :func:`_with_panel_shares`);
* ``source="icio"``: sector exposure from the OECD ICIO table in the store
  (:func:`econsec.analysis.icio_exposure.icio_exposure`: direct input shares and the
  Leontief look-through by supplier economy, per ICIO industry).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from econsec.analysis.choices import (
    check_source,
    check_tiers,
)
from econsec.analysis.names import EmptyAnswerError

if TYPE_CHECKING:
    from econsec.data.world import World

#: Panel datasets tried, in order, for import shares of built-in goods (HS6 products).
EXPOSURE_DATASETS = ("baci", "comtrade")

_PANEL_COLUMNS = ["economy", "good", "supplier", "share", "basis", "year", "source", "note"]


def exposure(
    economy: str,
    good: str | None = None,
    tiers: str = "direct",
    world: World | None = None,
    *,
    year: int | None = None,
    period: str | None = None,
    source: str = "curated",
    db: Path | None = None,
    flows: pd.DataFrame | None = None,
    dataset: str | None = None,
    sector: str | None = None,
) -> pd.DataFrame:
    """Who *economy* depends on for each good (or for *good* only).

    ``tiers="direct"``: direct import dependence by supplier,
    ``d[c, g, s] = m[c, g, s] / sum_s' m[c, g, s']`` (import shares where the world has
    them, else the world-share proxy ``p[s, g] / (1 - p[c, g])``; see
    :func:`econsec.metrics.dependence.direct_import_dependence`), with the import-source
    HHI ``sum_s d[c, g, s]^2`` as ``import_hhi``.
    ``tiers="all"``: look-through exposure through every tier of the supply graph,
    ``X[c, g, o] = sum_s M[c, g, s] O[o, (s, g)]``
    (:func:`econsec.metrics.exposure.lookthrough_exposure`; Baldwin, Freeman &
    Theodorakopoulos 2022).
    Columns always include economy, good, supplier, share.

    *year* uses the latest figures of year <= *year* only, never a later year
    (:func:`econsec.analysis.as_of.world_upto`; e.g. 2019 for the situation before
    Japan's July 2019 controls): goods without such figures are left out with a note, and
    when none is left :class:`~econsec.analysis.names.EmptyAnswerError` names the first
    year with figures. *period* picks import shares of one period, e.g.
    ``"2019-01/2019-05"`` (EmptyAnswerError when the economy has none for it).

    ``source="trade"`` (direct tiers only): import shares from the trade panel in the
    store *db* (BACI, else Comtrade; latest year up to *year*) for goods whose HS codes
    it holds, curated figures for the rest; the ``source`` column names each figure's
    origin, and a note lists the goods left with curated figures. When the panel answers
    for none of the goods (no panel, no HS codes, no imports of them),
    :class:`~econsec.analysis.names.EmptyAnswerError` says which. Pass *flows* (``year,
    exporter, importer, product, value``) and its *dataset* name to use a panel already
    in memory.

    ``source="icio"``: sector exposure by supplier economy from the OECD ICIO table in
    the store *db*, per ICIO industry (*sector*, e.g. ``"C26"``, keeps one):
    ``direct_share`` for ``tiers="direct"``, plus ``lookthrough_share`` and
    ``requirement`` for ``tiers="all"``; units and the dataset/edition/year in
    ``attrs`` (:func:`econsec.analysis.icio_exposure.icio_exposure`). A StoreError names
    the import command when the table is not imported (no fallback to curated figures);
    a *year* other than the table's is refused, naming the table's year.

    Raises :class:`ChoiceError` for a bad *tiers* or *source*, ``KeyError`` for an
    unknown economy, good or sector, ``ValueError`` for ``source="trade"`` with
    ``tiers="all"``, for *sector* without ``source="icio"`` and for *good* or *period*
    with it.
    """
    from econsec.analysis.as_of import first_year, world_upto
    from econsec.analysis.names import add_note
    from econsec.analysis.world import _check_economy, _goods_arg, _world, network
    from econsec.metrics.concentration import import_source_hhi
    from econsec.metrics.dependence import direct_import_dependence
    from econsec.metrics.exposure import lookthrough_exposure

    tiers_ = check_tiers(tiers)
    source_ = check_source(source)
    if source_ == "icio":
        from econsec.analysis.icio_exposure import icio_exposure

        if good is not None or period is not None:
            raise ValueError(f"source 'icio' answers by ICIO sector, not by "
                             f"{'good' if good is not None else 'period'}: use sector "
                             "(e.g. --sector C26) and --year")
        return icio_exposure(economy, sector=sector, tiers=tiers_, year=year, db=db)
    if sector is not None:
        raise ValueError("sector names an ICIO industry and needs source 'icio' "
                         "(e.g. --source icio --sector C26); for goods use good")
    w = _world(world)
    code = _check_economy(w, economy)
    goods = _goods_arg(w, good)
    if source_ == "trade" and tiers_ != "direct":
        raise ValueError("source 'trade' supports tiers 'direct' only")
    wy = world_upto(w, year)
    if tiers_ == "all":
        out = lookthrough_exposure(network(wy), code, goods)
        out["tiers"] = "all"
    else:
        bil = wy.latest_bilateral(None, period)
        if period is not None and bil[(bil["importer"] == code)
                                      & bil["good"].isin(goods)].empty:
            periods = sorted({str(p) for p in w.bilateral.loc[
                w.bilateral["importer"] == code, "period"].dropna() if str(p)})
            raise EmptyAnswerError(
                f"no rows: period {period!r}: {code} has no import shares of "
                f"{goods[0] if good is not None else 'any good'} for that period"
                + (f" up to {year}" if year is not None else "")
                + f" (its periods: {', '.join(periods) or 'none'})")
        out = direct_import_dependence(bil, wy.latest_world_shares(goods=goods), code, goods)
    covered = set(wy.world_shares["good"]) | set(
        wy.bilateral.loc[wy.bilateral["importer"] == code, "good"])
    missing = [g for g in goods if g not in covered or not out["good"].eq(g).any()]
    if year is not None and missing:
        out = out[~out["good"].isin(missing)].reset_index(drop=True)
        first = first_year(w, goods=missing)
        if len(missing) == len(goods):
            what = f"good {goods[0]}" if good is not None else f"the goods of {code}"
            raise EmptyAnswerError(
                f"no rows: year {year}: no figures for {what} up to {year}"
                + (f"; the first figures are of {first} (use --year {first} or later)"
                   if first is not None else ""))
        add_note(out, f"year {year}: {len(missing)} goods have no figures up to {year} and "
                 f"are left out ({', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''})"
                 + (f"; their first figures are of {first}" if first is not None else ""))
    if out.empty:
        raise EmptyAnswerError(f"no rows: no supply figures for {', '.join(goods)}")
    if tiers_ == "all":
        return out
    if source_ == "trade":
        out = _with_panel_shares(out, code, goods, w, db=db, year=year, flows=flows,
                                 dataset=dataset)
    h = import_source_hhi(out.rename(columns={"economy": "importer"}))[
        ["importer", "good", "hhi"]].rename(columns={"importer": "economy",
                                                     "hhi": "import_hhi"})
    res = out.merge(h, on=["economy", "good"], how="left")
    res.attrs["notes"] = list(out.attrs.get("notes", []))
    return res


def exposure_series(
    economy: str,
    years: object,
    good: str | None = None,
    tiers: str = "direct",
    world: World | None = None,
    *,
    supplier: str | None = None,
    group: str | None = None,
    source: str = "curated",
    db: Path | None = None,
) -> pd.DataFrame:
    """:func:`exposure` as of each year of *years* (``"2019-2024"``, ``[2019, 2021]``: any
    form of :func:`econsec.domain.years.parse_years`), stacked with an ``as_of`` column.

    Row ``(as_of = Y, good, supplier)`` is the answer of ``exposure(..., year=Y)``: the
    latest figure of year <= Y (its own year is in ``year``, so a figure carried forward
    from an earlier year shows it; never a later year). *supplier* (an economy name or
    code) keeps its rows only, e.g. Korea's dependence on China by mineral, year by year,
    against the 50 % ceiling of its 2030 supply-chain target. A year without figures for
    any of the goods is left out with a note naming it; when no year answers,
    :class:`~econsec.analysis.names.EmptyAnswerError` names the first year with figures.
    Goods without a row for *supplier* are left out with a note: the supplier may be
    inside the ``ROW`` remainder, so the share is not known to be 0. *group* (a good group
    of :mod:`econsec.data.good_groups`, e.g. ``critical_minerals``) keeps its members, with
    a note per year naming the members without figures. ``source="icio"`` is
    refused (the ICIO table holds 2022 only: use :func:`exposure` with ``year=2022``).
    """
    from econsec.analysis.as_of import first_year
    from econsec.analysis.names import add_note, resolve_economy
    from econsec.analysis.world import _check_economy, _goods_arg, _world
    from econsec.domain.years import parse_years

    if check_source(source) == "icio":
        raise ValueError("source 'icio' holds one year (2022): a series needs yearly figures; "
                         "use --year 2022")
    span = parse_years(years)  # type: ignore[arg-type]
    w = _world(world)
    code = _check_economy(w, economy)
    goods = _goods_arg(w, good)
    members: list[str] | None = None
    if group is not None:
        from econsec.data.good_groups import group_members

        if good is not None:
            raise ValueError("give good or group, not both")
        members = group_members(group, w.goods)
        goods = members
    sup = None
    if supplier is not None:
        sup = "ROW" if supplier.strip().upper() == "ROW" else resolve_economy(supplier, w,
                                                                            kind="supplier")
    frames: list[pd.DataFrame] = []
    silent: list[int] = []
    notes: list[str] = []
    for y in span:
        try:
            one = exposure(code, good, tiers, w, year=y, source=source, db=db)
        except EmptyAnswerError:
            silent.append(y)
            continue
        if members is not None:
            one = one[one["good"].isin(members)]
            absent = [g for g in members if g not in set(one["good"])]
            if one.empty:
                silent.append(y)
                continue
            if absent:
                notes.append(f"as of {y}: {len(absent)} of the {len(members)} {group} goods "
                             f"have no figures and are left out ({', '.join(absent)})")
        else:
            notes += [n if n.startswith(f"year {y}:") else f"as of {y}: {n}"
                      for n in one.attrs.get("notes", [])]
        one = one.copy()
        one.insert(0, "as_of", y)
        frames.append(one)
    if not frames:
        first = first_year(w, goods=goods)
        raise EmptyAnswerError(
            f"no rows: years {span}: no figures for "
            + (f"good {goods[0]}" if good is not None else f"the goods of {code}")
            + (f" up to {span.last}; the first figures are of {first}"
               if first is not None else ""))
    out = pd.concat(frames, ignore_index=True)
    if sup is not None:
        held = set(out.loc[out["supplier"] == sup, "good"])
        left = sorted(set(out["good"]) - held)
        out = out[out["supplier"] == sup].reset_index(drop=True)
        if out.empty:
            raise EmptyAnswerError(f"no rows: supplier {sup}: no figure names {sup} as a "
                                   f"supplier of {code} in {span} (it may be inside ROW)")
        if left:
            notes.append(f"supplier {sup}: {len(left)} goods have no row for {sup} and are "
                         f"left out ({', '.join(left[:8])}{' ...' if len(left) > 8 else ''}); "
                         f"{sup} may be inside their ROW remainder, so its share is not known")
    out.attrs["notes"] = list(dict.fromkeys(notes))
    if silent:
        add_note(out, f"no figures up to {', '.join(map(str, silent))}: "
                 f"{'that year is' if len(silent) == 1 else 'those years are'} left out")
    return out


# --- import shares from a trade panel ----------------------------------------------------


def _exposure_panel(db: Path | None, year: int | None) -> tuple[str, int] | None:
    """(dataset, year) of the HS6 panel used for exposure: the preferred dataset's latest
    year up to *year*; None when the store holds no such panel."""
    from econsec.data.panel import list_panels

    cat = list_panels(db)
    if cat.empty:
        return None
    cat = cat[cat["dataset"].astype(str) != "wiod"]
    if year is not None:
        cat = cat[cat["year"].astype(int) <= year]
    if cat.empty:
        return None
    rank = {d: i for i, d in enumerate(EXPOSURE_DATASETS)}
    datasets = sorted(cat["dataset"].astype(str).unique(), key=lambda d: (rank.get(d, 99), d))
    ds = datasets[0]
    return ds, int(cat.loc[cat["dataset"] == ds, "year"].astype(int).max())


def _panel_shares(
    economy: str,
    goods: list[str],
    world: World,
    *,
    db: Path | None = None,
    year: int | None = None,
    flows: pd.DataFrame | None = None,
    dataset: str | None = None,
) -> pd.DataFrame:
    """Import shares of *economy* by supplier for built-in goods, from a trade panel.

    ``d[c, g, s] = M[c <- s, HS(g)] / sum_s' M[c <- s', HS(g)]``: imports of the good's
    HS6 codes (``goods.csv`` ``hs6``) from supplier s over imports from all suppliers,
    in the latest panel year up to *year* (BACI preferred, then Comtrade). Goods whose
    HS codes have no imports in the panel are left out (the caller keeps the curated
    shares). Goods sharing an HS code get the same shares: trade data cannot tell them
    apart (``note`` says so). Comtrade panels hold both reporting sides: only the
    importer-reported rows (``comtrade:M``) are used, so no flow counts twice.

    Columns: ``economy, good, supplier, share, basis, year, source, note`` with
    ``basis = "trade panel"`` and ``source = "<dataset> <year> (HS ...)"``.
    """
    from econsec.metrics.product_groups import hs6_codes

    hs = {g: tuple(h) for g, h in zip(world.goods["good_id"], world.goods["hs6"], strict=True)
          if g in set(goods) and isinstance(h, tuple) and h}
    if not hs:
        return pd.DataFrame(columns=_PANEL_COLUMNS)
    if flows is None:
        picked = _exposure_panel(db, year)
        if picked is None:
            return pd.DataFrame(columns=_PANEL_COLUMNS)
        dataset, pyear = picked
        codes = sorted({c for h in hs.values() for c in h})
        from econsec.data import panel

        flows = panel.load_flows(dataset, years=[pyear], db=db, importers=[economy],
                                 products=codes)
    else:
        dataset = dataset or "panel"
        flows = flows[flows["importer"] == economy]
        if year is not None:
            flows = flows[flows["year"] <= year]
        if flows.empty:
            return pd.DataFrame(columns=_PANEL_COLUMNS)
        pyear = int(flows["year"].max())
        flows = flows[flows["year"] == pyear]
    flows = flows[flows["exporter"] != economy]
    if "flow_source" in flows.columns:  # Comtrade: importer-reported rows only, no double count
        src = flows["flow_source"].astype(str)
        if src.eq("comtrade:M").any():
            flows = flows[src == "comtrade:M"]
    flows = flows.assign(product=hs6_codes(flows["product"]))
    owners: dict[str, list[str]] = {}
    for g, codes_g in hs.items():
        for c in codes_g:
            owners.setdefault(c, []).append(g)
    parts = []
    for g, codes_g in hs.items():
        sub = flows[flows["product"].isin(codes_g)]
        by = sub.groupby("exporter")["value"].sum()
        by = by[by > 0]
        if by.empty:
            continue
        shared = sorted({o for c in codes_g for o in owners[c]} - {g})
        parts.append(pd.DataFrame({
            "economy": economy, "good": g, "supplier": by.index.astype(str),
            "share": (by / by.sum()).to_numpy(), "basis": "trade panel", "year": pyear,
            "source": f"{dataset} {pyear} (HS {', '.join(codes_g)})",
            "note": f"HS code shared with {', '.join(shared)}" if shared else "",
        }))
    if not parts:
        return pd.DataFrame(columns=_PANEL_COLUMNS)
    return pd.concat(parts, ignore_index=True)[_PANEL_COLUMNS]


def _with_panel_shares(
    curated: pd.DataFrame,
    economy: str,
    goods: list[str],
    world: World,
    *,
    db: Path | None = None,
    year: int | None = None,
    flows: pd.DataFrame | None = None,
    dataset: str | None = None,
) -> pd.DataFrame:
    """Direct dependence with panel import shares where the panel has the good.

    Goods with imports of their HS codes in the panel (:func:`_panel_shares`) take the
    panel's shares (``basis = "trade panel"``, ``source = "<dataset> <year> (HS ...)"``);
    the others keep the curated rows of *curated* (``source`` = the curated source id)
    and are listed in a note. When the panel has none of the goods,
    :class:`~econsec.analysis.names.EmptyAnswerError` says why. Columns: those of
    *curated* plus ``note``.
    """
    trade = _panel_shares(economy, goods, world, db=db, year=year, flows=flows,
                          dataset=dataset)
    if trade.empty:
        raise EmptyAnswerError("no rows: source 'trade': " + _why_no_panel_shares(
            economy, goods, world, db=db, year=year, flows=flows))
    keep = curated[~curated["good"].isin(set(trade["good"]))].assign(note="")
    parts = [p for p in (trade, keep) if not p.empty]
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["good", "share"], ascending=[True, False]).reset_index(drop=True)
    if not keep.empty:
        rest = sorted(set(keep["good"]))
        out.attrs["notes"] = [
            *curated.attrs.get("notes", []),
            f"source 'trade': the panel has no imports of the HS codes of {len(rest)} goods"
            f" ({', '.join(rest[:8])}{' ...' if len(rest) > 8 else ''}): their rows are the"
            " curated shares (column source names each row's origin)"]
    return out


def _why_no_panel_shares(economy: str, goods: list[str], world: World, *,
                         db: Path | None, year: int | None,
                         flows: pd.DataFrame | None) -> str:
    """Why :func:`_panel_shares` found nothing: no HS codes, no panel, or no imports."""
    from econsec.data.panel import list_panels

    hs = {g: h for g, h in zip(world.goods["good_id"], world.goods["hs6"], strict=True)
          if g in set(goods) and isinstance(h, tuple) and h}
    what = goods[0] if len(goods) == 1 else f"the {len(goods)} goods"
    if not hs:
        return f"{what} has no HS codes in goods.csv, so no trade panel can measure it"
    if flows is None:
        cat = list_panels(db)
        cat = cat[cat["dataset"].astype(str) != "wiod"] if not cat.empty else cat
        if cat.empty:
            return ("the store holds no HS6 trade panel (import one: `econsec data import "
                    "baci PATH` or `econsec data import comtrade PATH`)")
        first = int(cat["year"].astype(int).min())
        if year is not None and first > year:
            return (f"the store's HS6 panels start in {first}, after --year {year}")
    codes = sorted({c for h in hs.values() for c in h})
    return (f"the panel holds no imports by {economy} of the HS codes of {what} "
            f"({', '.join(codes[:10])}{' ...' if len(codes) > 10 else ''})")
