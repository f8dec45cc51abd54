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
  the panel has the good's HS codes (:func:`_panel_shares`, :func:`_with_panel_shares`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

import pandas as pd

if TYPE_CHECKING:
    from econsec.data.world import World

Tiers = Literal["direct", "all"]
"""``direct``: import shares by supplier; ``all``: look-through through every tier."""
ExposureSource = Literal["curated", "trade"]
"""``curated``: the built-in world's shares; ``trade``: a trade panel's import shares."""

TIERS: tuple[str, ...] = get_args(Tiers)
SOURCES: tuple[str, ...] = get_args(ExposureSource)

#: Panel datasets tried, in order, for import shares of built-in goods (HS6 products).
EXPOSURE_DATASETS = ("baci", "comtrade")

_PANEL_COLUMNS = ["economy", "good", "supplier", "share", "basis", "year", "source", "note"]


class ChoiceError(ValueError):
    """An option outside its valid choices; *field* names the option, *choices* the
    valid values (the message lists them)."""

    def __init__(self, field: str, value: object, choices: tuple[str, ...]) -> None:
        self.field, self.value, self.choices = field, value, choices
        valid = " or ".join(f"'{c}'" for c in choices)
        super().__init__(f"{field} must be {valid}, not {value!r}")


def check_tiers(value: str) -> Tiers:
    """*value* as a :data:`Tiers` choice, or :class:`ChoiceError` listing the choices."""
    if value not in TIERS:
        raise ChoiceError("tiers", value, TIERS)
    return cast(Tiers, value)


def check_source(value: str) -> ExposureSource:
    """*value* as an :data:`ExposureSource`, or :class:`ChoiceError` listing the choices."""
    if value not in SOURCES:
        raise ChoiceError("source", value, SOURCES)
    return cast(ExposureSource, value)


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

    *year* uses the latest figures up to that year (e.g. 2019 for the situation before
    Japan's July 2019 controls); *period* picks import shares of one period, e.g.
    ``"2019-01/2019-05"``.

    ``source="trade"`` (direct tiers only): import shares from the trade panel in the
    store *db* (BACI, else Comtrade; latest year up to *year*) for goods whose HS codes
    it holds, curated figures for the rest; the ``source`` column names each figure's
    origin. Pass *flows* (``year, exporter, importer, product, value``) and its *dataset*
    name to use a panel already in memory.

    Raises :class:`ChoiceError` for a bad *tiers* or *source*, ``KeyError`` for an
    unknown economy or good, ``ValueError`` for ``source="trade"`` with ``tiers="all"``.
    """
    from econsec.analysis.world import _check_economy, _goods_arg, _world, network
    from econsec.metrics.concentration import import_source_hhi
    from econsec.metrics.dependence import direct_import_dependence
    from econsec.metrics.exposure import lookthrough_exposure

    tiers_ = check_tiers(tiers)
    source_ = check_source(source)
    w = _world(world)
    code = _check_economy(w, economy)
    goods = _goods_arg(w, good)
    if source_ == "trade" and tiers_ != "direct":
        raise ValueError("source 'trade' supports tiers 'direct' only")
    if tiers_ == "all":
        out = lookthrough_exposure(network(w, year), code, goods)
        out["tiers"] = "all"
        return out
    dep = direct_import_dependence(w.latest_bilateral(year, period),
                                   w.latest_world_shares(year, goods=goods), code, goods)
    if source_ == "trade":
        dep = _with_panel_shares(dep, code, goods, w, db=db, year=year, flows=flows,
                                 dataset=dataset)
    h = import_source_hhi(dep.rename(columns={"economy": "importer"}))[
        ["importer", "good", "hhi"]].rename(columns={"importer": "economy",
                                                     "hhi": "import_hhi"})
    return dep.merge(h, on=["economy", "good"], how="left")


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
    the others keep the curated rows of *curated* (``source`` = the curated source id).
    Columns: those of *curated* plus ``note``.
    """
    trade = _panel_shares(economy, goods, world, db=db, year=year, flows=flows,
                          dataset=dataset)
    keep = curated[~curated["good"].isin(set(trade["good"]))].assign(note="")
    parts = [p for p in (trade, keep) if not p.empty]
    if not parts:
        return keep
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["good", "share"], ascending=[True, False]).reset_index(drop=True)
