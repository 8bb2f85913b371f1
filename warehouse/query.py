"""Read-only queries on the published warehouse for the CLI (parameters only, never formatted text)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.publish import connect_readonly


def kpi_value_sample(warehouse_path: Path, *, municipality_id: str, limit: int = 10) -> pl.DataFrame:
    """The municipality's latest value (gender T) of each KPI in mart.kpi_value, for a quick look."""
    con = connect_readonly(warehouse_path)
    try:
        return con.sql(
            """
            SELECT kpi_id, kpi_title, municipality_title, year, gender, value, is_preliminary
            FROM mart.kpi_value
            WHERE municipality_id = $municipality AND gender = 'T'
            QUALIFY row_number() OVER (PARTITION BY kpi_id ORDER BY year DESC) = 1
            ORDER BY kpi_id
            LIMIT $limit
            """,
            params={"municipality": municipality_id, "limit": limit},
        ).pl()
    finally:
        con.close()
