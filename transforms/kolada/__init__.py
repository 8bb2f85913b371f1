"""jamfor transforms.kolada layer: Kolada pages frames → validated core frames plus quarantine."""

from __future__ import annotations

from transforms.kolada.metadata import (
    DimResult,
    GroupsResult,
    KpiGroupsResult,
    kpi_dimension,
    kpi_groups,
    municipality_dimension,
    municipality_groups,
    ou_dimension,
)
from transforms.kolada.values import ValuesResult, flatten_ou_values, flatten_values

__all__ = [
    "DimResult",
    "GroupsResult",
    "KpiGroupsResult",
    "ValuesResult",
    "flatten_ou_values",
    "flatten_values",
    "kpi_dimension",
    "kpi_groups",
    "municipality_dimension",
    "municipality_groups",
    "ou_dimension",
]
