"""Marts: analyst-facing tables rebuilt from the core tables with CREATE OR REPLACE ... AS SELECT.

Each mart is a registered builder returning its SELECT; `rebuild` materialises them all, checks the
result against the mart's spec (so every column is documented) and re-applies the comments, which
CREATE OR REPLACE drops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from warehouse.ddl import SchemaDriftError, apply_comments, quote, scalar
from warehouse.spec import table as table_spec

MartSelect = Callable[[duckdb.DuckDBPyConnection], str]


@dataclass(frozen=True)
class Mart:
    """A mart: its `schema.table` (must be in warehouse.spec) and the builder of its SELECT."""

    table: str
    select: MartSelect


MARTS: list[Mart] = []


def register(table: str) -> Callable[[MartSelect], MartSelect]:
    """Decorator: register a builder for `table` (spec lookup fails early on an undocumented mart)."""
    spec = table_spec(table)
    if spec.kind != "mart":
        raise ValueError(f"{table} is not a mart in warehouse.spec")

    def decorate(builder: MartSelect) -> MartSelect:
        MARTS.append(Mart(table, builder))
        return builder

    return decorate


@register("mart.kpi_value")
def kpi_value(con: duckdb.DuckDBPyConnection) -> str:
    """Current, non-deleted values with KPI and unit labels; LEFT JOINs keep values of unknown ids."""
    return """
        SELECT h.kpi_id, k.title AS kpi_title, k.operating_area, h.municipality_id,
               m.title AS municipality_title, m.kind AS municipality_kind, h.year, h.gender, h.value,
               h.status, h.is_preliminary, h.source, h.fetched_at
        FROM core.kpi_value_history AS h
        LEFT JOIN core.kpi AS k
               ON k.kpi_id = h.kpi_id AND k.valid_to IS NULL AND NOT k.is_deleted
        LEFT JOIN core.municipality AS m
               ON m.municipality_id = h.municipality_id AND m.valid_to IS NULL AND NOT m.is_deleted
        WHERE h.valid_to IS NULL AND NOT h.is_deleted
        ORDER BY h.kpi_id, h.municipality_id, h.year, h.gender
    """


def missing(con: duckdb.DuckDBPyConnection) -> list[Mart]:
    """Registered marts whose table does not exist yet (a new warehouse, or a mart added by an upgrade)."""
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    return [mart for mart in MARTS if mart.table not in present]


def rebuild(con: duckdb.DuckDBPyConnection, marts: list[Mart] | None = None) -> dict[str, int]:
    """Rebuild every registered mart (or the given ones); return rows per mart."""
    rows: dict[str, int] = {}
    for mart in MARTS if marts is None else marts:
        spec = table_spec(mart.table)
        target = f"{quote(spec.schema)}.{quote(spec.name)}"
        con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.select(con)}")
        built = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [spec.schema, spec.name],
        ).fetchall()
        expected = [(c.name, c.type) for c in spec.columns]
        if built != expected:
            raise SchemaDriftError(f"{mart.table} built columns {built} != spec {expected}")
        apply_comments(con, [spec])
        rows[mart.table] = scalar(con, f"SELECT count(*) FROM {target}")
    return rows
