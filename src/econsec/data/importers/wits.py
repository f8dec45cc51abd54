"""Importer for the World Bank WITS country Trade Summaries (1988-2019) as a trade panel.

Input: the folder ``wits_trade_summary_kor_chn_jpn_usa_twn`` (see its PROVENANCE.md), file
``wits_trade_summary_all_reporters_long.parquet``: every reporter of the WITS bulk file
``wits_en_trade_summary_allcountries_allyears.zip`` (vintage ending 2019) melted to long
form (``reporter_code, reporter, partner, product_group, indicator_type, indicator, year,
value``). WITS computes these summaries from UN Comtrade.

What is kept: ``Export(US$ Mil)`` to partner ``World`` by the **16 WITS product groups**
(Animal ... Miscellaneous, HS-section based), for every reporter that is an economy. The
aggregates ``EUN, ECS, LCN, NAC, SAS, SSF, Wld`` and the overlapping ``BLX``
(Belgium-Luxembourg) and ``ANT`` (Netherlands Antilles) are dropped, as PROVENANCE.md
says to before summing. Stored as trade panel ``wits`` (:mod:`econsec.data.panel`):
``exporter`` = reporter (WITS codes are ISO3 except ``OAS`` "Other Asia, nes" = Taiwan,
stored as ``TWN``, and ``ROM`` = Romania, stored as ``ROU``; other WITS-only codes such as
``SER``, ``MNT``, ``TMP``, ``SUD`` are kept as given), ``importer`` = ``WLD`` (the world as
market), ``product`` = the group name, ``value`` = USD (million x 1e6), ``quantity`` NaN,
``flow_source = 'wits'``. The world of the panel is the sum of these reporters, so
Balassa RCA and the Finger-Kreinin export similarity by product group follow from
:func:`econsec.metrics.trade_indices.balassa_rca` and
:func:`econsec.metrics.complementarity.export_similarity` on ``load_flows("wits")``.

What the source lacks: imports are given **only by 4 stages of processing** (raw
materials, intermediate, consumer, capital goods), never by the 16 groups. The trade
complementarity index (Michaely 1996) and the Grubel-Lloyd index (1975) need the
partner's imports by the same products as the exports, so they cannot be computed from
this source: :func:`check_wits_index` raises :class:`ImportsByProductMissing` saying so.

Checks (DataError naming file, 1-based row and field; nothing is written on failure):
columns present; every export product group one of the 16 or the 4 stages; values
finite and non-negative; one value per (reporter, year, group); and per reporter-year the
16 groups add up to the reported ``Exports (in US$ Mil)`` within
``SUM_ATOL_MUSD + SUM_RTOL x total`` (WITS rounds each cell to 0.01 million USD). The
source itself breaks this by 1-2% in four reporter-years (GBR 1997 and 1998, RUS 1997,
SAU 1991): those are kept (the groups are what RCA and ESI use) and listed as warnings;
a gap above ``SUM_ERROR_RTOL`` (5%) is an error (a truncated or mixed-up file).

Licence: World Bank WITS data derived from UN Comtrade (World Bank terms; generally CC BY
4.0, UN Comtrade restricts bulk redistribution), not verified; host repository has no
licence file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from econsec.data.importers import ImportReport
from econsec.errors import DataError, EconsecError

if TYPE_CHECKING:
    from econsec.data.store import Store

DATASET = "wits"
LICENCE = "World Bank WITS (from UN Comtrade); World Bank terms, not verified"
NOTE = ("WITS Trade Summary bulk file (vintage ending 2019): exports to World by 16 WITS "
        "product groups, US$ million x 1e6; imports exist only by 4 stages (not stored)")
FILE = "wits_trade_summary_all_reporters_long.parquet"
EXPORT_INDICATOR = "Export(US$ Mil)"
TOTAL_INDICATOR = "Exports (in US$ Mil)"
#: The 16 WITS product groups (HS-section based), as written in the source.
PRODUCT_GROUPS: tuple[str, ...] = (
    "Animal", "Vegetable", "Food Products", "Minerals", "Fuels", "Chemicals",
    "Plastic or Rubber", "Hides and Skins", "Wood", "Textiles and Clothing", "Footwear",
    "Stone and Glass", "Metals", "Mach and Elec", "Transportation", "Miscellaneous",
)
#: Stages of processing (exports and imports are both given by these).
STAGES: tuple[str, ...] = ("Raw materials", "Intermediate goods", "Consumer goods",
                           "Capital goods")
#: Reporters that are aggregates or overlap other reporters (PROVENANCE.md).
AGGREGATES: frozenset[str] = frozenset(
    {"EUN", "ECS", "LCN", "NAC", "SAS", "SSF", "BLX", "ANT", "Wld"})
#: WITS reporter codes stored as another code.
WITS_CODES: dict[str, str] = {"OAS": "TWN", "ROM": "ROU"}
SUM_ATOL_MUSD = 0.01 * len(PRODUCT_GROUPS)
SUM_RTOL = 1e-3
SUM_ERROR_RTOL = 0.05
#: Indices this source supports, and those needing imports by product.
SUPPORTED_INDICES: tuple[str, ...] = ("esi", "rca")
NEEDS_IMPORTS_BY_PRODUCT: tuple[str, ...] = ("tci", "grubel_lloyd")
_COLUMNS = ("reporter_code", "partner", "product_group", "indicator", "year", "value")


class ImportsByProductMissing(EconsecError):
    """The WITS trade summary has no imports by product: TCI and Grubel-Lloyd need them."""


def check_wits_index(index: str) -> None:
    """Refuse, with the reason, an index the WITS trade summary cannot give.

    ``esi`` (Finger-Kreinin export similarity) and ``rca`` (Balassa) use exports by
    product only and pass. ``tci`` (Michaely's trade complementarity: exporter's export
    shares against the partner's import shares by product) and ``grubel_lloyd``
    (intra-industry trade: exports and imports of the same product) raise
    :class:`ImportsByProductMissing`; any other name raises ValueError.
    """
    key = index.lower().replace("-", "_")
    if key in SUPPORTED_INDICES:
        return
    if key in NEEDS_IMPORTS_BY_PRODUCT or key == "gl":
        raise ImportsByProductMissing(
            f"{index} needs imports by product, which the WITS trade summary lacks: it gives "
            f"exports by {len(PRODUCT_GROUPS)} product groups but imports only by "
            f"{len(STAGES)} stages of processing ({', '.join(STAGES)}). Use a BACI or "
            "Comtrade panel (econsec data import baci|comtrade PATH) for TCI and "
            "Grubel-Lloyd.")
    raise ValueError(f"unknown index {index!r}: WITS gives {', '.join(SUPPORTED_INDICES)}")


def wits_file(path: Path) -> Path:
    """The long Parquet file in folder *path* (or *path* itself)."""
    path = Path(path)
    file = path / FILE if path.is_dir() else path
    if not file.is_file():
        raise DataError(file, f"WITS file not found (expected {FILE} in {path})")
    return file


def _fail(file: Path, frame: pd.DataFrame, mask: np.ndarray, field: str, message: str) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        row = int(frame.index[pos]) + 1
        raise DataError(file, f"row {row}: {message} ({frame[field].iloc[pos]!r})",
                        field=field)


def read_wits_exports(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Exports by product group as a panel frame (module docstring), checked in full, and
    the warnings (reporter-years whose groups miss the reported total by over 0.1%)."""
    import pyarrow.parquet as pq

    file = wits_file(path)
    try:
        names = pq.read_schema(file).names
    except Exception as exc:
        raise DataError(file, f"not a readable Parquet file: {exc}") from None
    for name in _COLUMNS:
        if name not in names:
            raise DataError(file, f"missing column (file has: {', '.join(names)})", field=name)
    raw = pd.read_parquet(file, columns=list(_COLUMNS))
    for col in ("reporter_code", "partner", "product_group", "indicator"):
        raw[col] = raw[col].astype(str).str.strip()
    keep = ~raw["reporter_code"].isin(AGGREGATES).to_numpy()
    is_export = (raw["indicator"] == EXPORT_INDICATOR).to_numpy() & keep
    is_total = (raw["indicator"] == TOTAL_INDICATOR).to_numpy() & keep
    exp = raw[is_export]
    _fail(file, exp, ~exp["product_group"].isin(PRODUCT_GROUPS + STAGES).to_numpy(),
          "product_group", "unknown product group")
    _fail(file, exp, (exp["partner"] != "World").to_numpy(), "partner",
          "exports by product group are expected to partner World")
    _fail(file, exp, ~exp["reporter_code"].str.fullmatch("[A-Z]{3}").to_numpy(),
          "reporter_code", "reporter code is not three capital letters")
    exp = exp[exp["product_group"].isin(PRODUCT_GROUPS)]
    for frame in (exp, raw[is_total]):
        value = frame["value"].to_numpy(dtype=float)
        _fail(file, frame, ~np.isfinite(value), "value", "missing or infinite value")
        _fail(file, frame, value < 0, "value", "negative value")
    dup = exp.duplicated(["reporter_code", "year", "product_group"]).to_numpy()
    _fail(file, exp, dup, "product_group", "second value for the same reporter, year and group")
    totals = raw[is_total].groupby(["reporter_code", "year"])["value"].sum()
    sums = exp.groupby(["reporter_code", "year"])["value"].sum()
    both = pd.concat([sums.rename("groups"), totals.rename("total")], axis=1, join="inner")
    gap = (both["groups"] - both["total"]).abs()
    warnings = []
    for level, rtol in (("error", SUM_ERROR_RTOL), ("warning", SUM_RTOL)):
        for (reporter, year), row in both[gap > SUM_ATOL_MUSD + rtol * both["total"]].iterrows():
            message = (f"{reporter} {year}: the {len(PRODUCT_GROUPS)} export groups add up to "
                       f"{row['groups']:.2f} but {TOTAL_INDICATOR} is {row['total']:.2f} US$ "
                       "million")
            if level == "error":
                raise DataError(file, f"{message} (over {SUM_ERROR_RTOL:.0%} apart)",
                                field="value")
            warnings.append(f"{file.name}: {message} (the groups are kept)")
    flows = pd.DataFrame({
        "year": exp["year"].astype("int64").to_numpy(),
        "exporter": exp["reporter_code"].replace(WITS_CODES).to_numpy(),
        "importer": "WLD",
        "product": exp["product_group"].to_numpy(),
        "value": exp["value"].to_numpy(dtype=float) * 1e6,
        "quantity": np.nan,
        "flow_source": "wits",
    })
    return flows, warnings


def import_wits(
    path: Path,
    store: Store,
    *,
    dataset: str = DATASET,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Check the WITS trade summaries at *path*; store exports by group as panel *dataset*."""
    from econsec.data.panel import write_panel_frame
    from econsec.data.store import sha256_of

    say = progress or (lambda _msg: None)
    file = wits_file(path)
    say("reading WITS trade summaries")
    flows, warnings = read_wits_exports(file)
    if flows.empty:
        raise DataError(file, f"no {EXPORT_INDICATOR} rows by product group", field="indicator")
    say("writing Parquet")
    stats = write_panel_frame(store, dataset, flows, source_file=file, sha256=sha256_of(file),
                              hs_revision=None, licence=LICENCE, note=NOTE)
    warnings += ["imports are by stage only: TCI and Grubel-Lloyd cannot be computed from "
                "this source (econsec.data.importers.wits.check_wits_index)"]
    return ImportReport(dataset, {f"year={s.year}": s.rows for s in stats}, file, LICENCE,
                        warnings)
