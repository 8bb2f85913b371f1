"""Which Liknande kommuner area (IFO, ekonomiskt bistånd, LSS, äldreomsorg, ...) each KPI is compared in."""

from __future__ import annotations

import polars as pl

from transforms.comparison.rules import Rule, first_match

PEER_AREA_SCHEMA = pl.Schema(
    {"kpi_id": pl.String, "operating_area": pl.String, "peer_area": pl.String, "rule": pl.String}
)
DEFAULT_RULE = "default"


def kpi_peer_areas(kpis: pl.DataFrame, rules: list[Rule], default_area: str) -> pl.DataFrame:
    """One row per KPI: the area of its first matching rule, else `default_area` (rule 'default').

    `kpis` needs kpi_id, title, description, operating_area, perspective.
    """
    area, rule = first_match(rules, default_area, DEFAULT_RULE)
    return kpis.select("kpi_id", "operating_area", area.alias("peer_area"), rule.alias("rule")).cast(
        PEER_AREA_SCHEMA
    )
