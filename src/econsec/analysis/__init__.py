"""The Python API: plain functions over a world or a trade panel, returning DataFrames.

>>> from econsec import analysis
>>> analysis.exposure("KOR", good="hydrogen_fluoride")            # doctest: +SKIP
>>> analysis.compare("KOR", "CHN", years="1995-2011", source="wiod")  # doctest: +SKIP

Modules:

* :mod:`econsec.analysis.world` - world queries: goods, economies, chokepoints,
  self-sufficiency, measures, blocs, the bloc dependence matrix, the supply network;
* :mod:`econsec.analysis.supply_exposure` - the one exposure entry point and the checks of
  its ``tiers`` and ``source`` options;
* :mod:`econsec.analysis.trade` - partner or rival on a trade panel: compare, breaks, RCA.

Names are resolved on first use (module ``__getattr__``), so ``import econsec.analysis``
loads neither pandas nor the world.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # world queries
    "network": "world",
    "goods_table": "world",
    "world_summary": "world",
    "economies_table": "world",
    "chokepoints": "world",
    "self_sufficiency": "world",
    "measures": "world",
    "measure_detail": "world",
    "known_blocs": "world",
    "dependence_matrix": "world",
    # exposure
    "exposure": "supply_exposure",
    "exposure_series": "supply_exposure",
    "Tiers": "choices",
    "ExposureSource": "choices",
    "TIERS": "choices",
    "SOURCES": "choices",
    "ChoiceError": "choices",
    "check_tiers": "choices",
    "check_source": "choices",
    # trade panels
    "load_trade": "trade",
    "read_wiod": "trade",
    "compare": "trade",
    "compare_wide": "trade",
    "compare_breaks": "trade",
    "index_breaks": "trade",
    "rca": "trade",
    "INDEX_NAMES": "trade",
    "COMPARE_COLUMNS": "trade",
    "BREAK_COLUMNS": "trade",
}

__all__ = [
    "BREAK_COLUMNS",
    "COMPARE_COLUMNS",
    "INDEX_NAMES",
    "SOURCES",
    "TIERS",
    "ChoiceError",
    "ExposureSource",
    "Tiers",
    "check_source",
    "check_tiers",
    "chokepoints",
    "compare",
    "compare_breaks",
    "compare_wide",
    "dependence_matrix",
    "economies_table",
    "exposure",
    "exposure_series",
    "goods_table",
    "index_breaks",
    "known_blocs",
    "load_trade",
    "measure_detail",
    "measures",
    "network",
    "rca",
    "read_wiod",
    "self_sufficiency",
    "world_summary",
]

if TYPE_CHECKING:
    from econsec.analysis.choices import (
        SOURCES,
        TIERS,
        ChoiceError,
        ExposureSource,
        Tiers,
        check_source,
        check_tiers,
    )
    from econsec.analysis.supply_exposure import exposure, exposure_series
    from econsec.analysis.trade import (
        BREAK_COLUMNS,
        COMPARE_COLUMNS,
        INDEX_NAMES,
        compare,
        compare_breaks,
        compare_wide,
        index_breaks,
        load_trade,
        rca,
        read_wiod,
    )
    from econsec.analysis.world import (
        chokepoints,
        dependence_matrix,
        economies_table,
        goods_table,
        known_blocs,
        measure_detail,
        measures,
        network,
        self_sufficiency,
        world_summary,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'econsec.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"econsec.analysis.{module}"), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
