"""Reference tables (kind "reference" in models.catalogue): read their inputs, replace their contents.

The inputs are the current, non-deleted rows of the core dimensions; the tables are rewritten whole
by every load inside its build file, so a failed load leaves the published ones untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from models.catalogue import TABLES, table
from warehouse.ddl import quote, scalar

_STAGED = "_jamfor_reference"


@dataclass(frozen=True)
class ReferenceInputs:
    """Current dimension rows the reference files are validated and evaluated against."""

    municipalities: pl.DataFrame  # municipality_id, title, kind
    kpis: pl.DataFrame  # kpi_id, title, description, operating_area, perspective
    kpi_group_members: pl.DataFrame  # kpi_group_id, group_title, kpi_id, member_title


def reference_tables() -> list[str]:
    """`schema.table` of every reference table in the spec."""
    return [t.qualified for t in TABLES if t.kind == "reference"]


def read_inputs(con: duckdb.DuckDBPyConnection) -> ReferenceInputs:
    """The current versions of core.municipality, core.kpi and the KPI groups with their members."""
    current = "valid_to IS NULL AND NOT is_deleted"
    return ReferenceInputs(
        municipalities=con.sql(
            f"SELECT municipality_id, title, kind FROM core.municipality WHERE {current} ORDER BY 1"
        ).pl(),
        kpis=con.sql(
            "SELECT kpi_id, title, description, operating_area, perspective "
            f"FROM core.kpi WHERE {current} ORDER BY 1"
        ).pl(),
        kpi_group_members=con.sql(
            "SELECT m.kpi_group_id, g.title AS group_title, m.kpi_id, m.member_title "
            "FROM core.kpi_group_member AS m "
            "LEFT JOIN core.kpi_group AS g ON g.kpi_group_id = m.kpi_group_id "
            "AND g.valid_to IS NULL AND NOT g.is_deleted "
            "WHERE m.valid_to IS NULL AND NOT m.is_deleted ORDER BY 1, 3"
        ).pl(),
    )


def write_reference(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the contents of the given reference tables with the frames; return rows per table.

    Each frame must have exactly the table's columns (any order); it moves to DuckDB as Arrow.
    """
    rows: dict[str, int] = {}
    for name, frame in frames.items():
        spec = table(name)
        if spec.kind != "reference":
            raise ValueError(f"{name} is not a reference table; reference tables: {reference_tables()}")
        if sorted(frame.columns) != sorted(spec.column_names):
            raise ValueError(f"{name} frame columns {frame.columns} != spec {spec.column_names}")
        target = f"{quote(spec.schema)}.{quote(spec.name)}"
        cols = ", ".join(quote(c) for c in spec.column_names)
        con.register(_STAGED, frame.select(spec.column_names))
        try:
            con.execute(f"DELETE FROM {target}")
            con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {_STAGED}")
        finally:
            con.unregister(_STAGED)
        rows[name] = int(scalar(con, f"SELECT count(*) FROM {target}"))
    return rows


def differing(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> list[str]:
    """The reference tables whose contents `write_reference(con, frames)` would change (read-only).

    Each frame is cast to its table's column types as the INSERT would, then compared as a multiset.
    """
    changed = []
    for name, frame in frames.items():
        spec = table(name)
        target = f"{quote(spec.schema)}.{quote(spec.name)}"
        cols = ", ".join(quote(c) for c in spec.column_names)
        con.register(_STAGED, frame.select(spec.column_names))
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _jamfor_reference_check AS SELECT {cols} FROM {target} LIMIT 0"
            )
            con.execute(f"INSERT INTO _jamfor_reference_check ({cols}) SELECT {cols} FROM {_STAGED}")
            differs = scalar(
                con,
                f"SELECT count(*) FROM ((SELECT {cols} FROM _jamfor_reference_check EXCEPT ALL "
                f"SELECT {cols} FROM {target}) UNION ALL (SELECT {cols} FROM {target} EXCEPT ALL "
                f"SELECT {cols} FROM _jamfor_reference_check))",
            )
            con.execute("DROP TABLE _jamfor_reference_check")
        finally:
            con.unregister(_STAGED)
        if differs:
            changed.append(name)
    return changed
