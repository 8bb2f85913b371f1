"""Kolada metadata transforms in one place: KPIs, municipalities, groups, KPI groups and OUs."""

from __future__ import annotations

from transforms.kolada.groups import GroupsResult, KpiGroupsResult, kpi_groups, municipality_groups
from transforms.kolada.kpi import kpi_dimension
from transforms.kolada.municipality import KOMMUNGRUPP_GROUP_IDS, municipality_dimension
from transforms.kolada.ou import ou_dimension
from transforms.kolada.pages import DimResult

__all__ = [
    "KOMMUNGRUPP_GROUP_IDS",
    "DimResult",
    "GroupsResult",
    "KpiGroupsResult",
    "kpi_dimension",
    "kpi_groups",
    "municipality_dimension",
    "municipality_groups",
    "ou_dimension",
]
