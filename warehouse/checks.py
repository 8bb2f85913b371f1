"""Warehouse self-checks in SQL: content hashes per table, and the data tests' problems as text."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from warehouse.datatests import run_data_tests
from warehouse.ddl import quote, scalar


def table_hashes(con: duckdb.DuckDBPyConnection, schemas: Sequence[str] = ("core", "mart")) -> dict[str, str]:
    """An order-independent content hash per table (row count + sum of row hashes), keyed schema.table."""
    names = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND list_contains($schemas, schema_name) ORDER BY schema_name, table_name",
        {"schemas": list(schemas)},
    ).fetchall()
    return {f"{schema}.{name}": _table_hash(con, schema, name) for schema, name in names}


def fingerprint(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, str]:
    """table_hashes for the named `schema.table`s only (names come from models.catalogue, not users)."""
    return {t: _table_hash(con, *t.split(".", 1)) for t in tables}


def _table_hash(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> str:
    # Summing (not XOR-ing) row hashes keeps duplicate rows from cancelling each other out.
    return scalar(
        con,
        f"SELECT md5(count(*)::VARCHAR || ':' || coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR) "
        f"FROM {quote(schema)}.{quote(name)} AS t",
    )


def integrity_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every failed data test of the catalogue's models (warehouse.datatests), one line each; empty when
    all is well. The build runs the same tests before it publishes."""
    return [str(failure) for failure in run_data_tests(con)]
