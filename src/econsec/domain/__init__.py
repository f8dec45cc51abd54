"""Value types and ids of the domain model (see DESIGN.md, 'Domain model')."""

from econsec.domain.blocs import BLOCS, Bloc, resolve_bloc
from econsec.domain.goods import Stage
from econsec.domain.measures import Investment, Measure, MeasureType
from econsec.domain.provenance import Source

__all__ = [
    "BLOCS",
    "Bloc",
    "Investment",
    "Measure",
    "MeasureType",
    "Source",
    "Stage",
    "resolve_bloc",
]
