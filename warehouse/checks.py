"""Warehouse self-checks in SQL: content hashes per table and history/mart integrity problems."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from models.catalogue import TABLES, table
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


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(scalar(con, sql) or 0)


def _history_problems(con: duckdb.DuckDBPyConnection, qualified: str, key: Sequence[str]) -> list[str]:
    keys = ", ".join(quote(k) for k in key)
    checks = {
        "keys with more than one current version": (
            f"SELECT count(*) FROM (SELECT {keys} FROM {qualified} WHERE valid_to IS NULL "
            f"GROUP BY {keys} HAVING count(*) > 1)"
        ),
        "versions with valid_to < valid_from": (
            f"SELECT count(*) FROM {qualified} WHERE valid_to < valid_from"
        ),
        "closed versions not followed by a version starting at their valid_to": (
            f"SELECT count(*) FROM (SELECT valid_to, lead(valid_from) OVER (PARTITION BY {keys} "
            f"ORDER BY valid_from, valid_to NULLS LAST) AS next_from FROM {qualified}) "
            "WHERE valid_to IS NOT NULL AND next_from IS DISTINCT FROM valid_to"
        ),
    }
    problems = []
    for label, sql in checks.items():
        n = _count(con, sql)
        if n:
            problems.append(f"{qualified}: {n} {label}")
    return problems


def _mart_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    current = "FROM core.kpi_value_history WHERE valid_to IS NULL AND NOT is_deleted"
    key = "kpi_id, municipality_id, year, gender"
    problems = []
    dupes = _count(
        con, f"SELECT count(*) FROM (SELECT {key} FROM mart.kpi_value GROUP BY {key} HAVING count(*) > 1)"
    )
    if dupes:
        problems.append(f"mart.kpi_value: {dupes} duplicate keys")
    orphans = _count(
        con,
        "SELECT count(*) FROM mart.kpi_value AS m "
        "WHERE NOT EXISTS (SELECT 1 FROM core.kpi_value_history AS h "
        "WHERE h.kpi_id = m.kpi_id AND h.municipality_id = m.municipality_id AND h.year = m.year "
        "AND h.gender = m.gender AND h.valid_to IS NULL AND NOT h.is_deleted)",
    )
    if orphans:
        problems.append(f"mart.kpi_value: {orphans} rows without a current non-deleted history version")
    mart_rows = _count(con, "SELECT count(*) FROM mart.kpi_value")
    history_rows = _count(con, f"SELECT count(*) {current}")
    if mart_rows != history_rows:
        problems.append(
            f"mart.kpi_value has {mart_rows} rows, current non-deleted history has {history_rows}"
        )
    return problems


def integrity_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Human-readable integrity problems of the SCD2 tables and mart.kpi_value; empty when all is well."""
    problems: list[str] = []
    for spec in TABLES:
        if spec.kind == "scd2":
            problems += _history_problems(con, f"{quote(spec.schema)}.{quote(spec.name)}", spec.key)
    table("mart.kpi_value")  # fails loudly if the mart was renamed without updating these checks
    problems += _mart_problems(con)
    return problems
