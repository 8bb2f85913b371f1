"""Polars frame contracts derived from the catalogue: a model's `frame` columns with their Polars dtypes."""

from __future__ import annotations

import polars as pl

from models.catalogue import Table

# DuckDB type (models.catalogue.TYPES) -> the Polars dtype a frame carries for it
POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "DATE": pl.Date(),
    "TIMESTAMP WITH TIME ZONE": pl.Datetime("us", "UTC"),
}


def frame_schema(spec: Table) -> dict[str, pl.DataType]:
    """The frame a load hands over for `spec`: its `frame` columns, in order, with Polars dtypes."""
    return {name: POLARS_TYPES[spec.column(name).type] for name in spec.frame}
