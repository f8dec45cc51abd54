"""Value types and ids of the domain model (see DESIGN.md, 'Domain model')."""

from econsec.domain.blocs import BLOCS, Bloc, resolve_bloc
from econsec.domain.goods import Stage
from econsec.domain.measures import (
    Investment,
    Measure,
    MeasureFamily,
    MeasureType,
    types_matching,
)
from econsec.domain.provenance import Source

__all__ = [
    "BLOCS",
    "Bloc",
    "Investment",
    "Measure",
    "MeasureFamily",
    "MeasureType",
    "Source",
    "Stage",
    "resolve_bloc",
    "types_matching",
]
