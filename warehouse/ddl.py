"""Create and migrate the warehouse schema from `models.catalogue`, and keep every COMMENT applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb

from models import catalogue

if TYPE_CHECKING:
    from models.catalogue import Table

SCHEMA_DESCRIPTION = "raw/staging/core/mart/meta layers, SCD2 core tables, mart.kpi_value"


class SchemaDriftError(RuntimeError):
    """The file's tables disagree with the spec in a way an additive migration cannot fix."""


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """First column of the first row (None when no rows), reading the result to its end.

    DuckDB 2.0 refuses other work (e.g. register) on a connection whose execute() result was only
    partly fetched, so never leave a fetchone() behind.
    """
    rows = (con.execute(sql) if params is None else con.execute(sql, params)).fetchall()
    return rows[0][0] if rows else None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT; ROLLBACK and re-raise on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def present_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The `schema.table` names of the connection's own database (a file from an older jamfor may lack
    some of the catalogue's tables until its next load)."""
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = current_database()"
    ).fetchall()
    return {name for (name,) in rows}


def quote(identifier: str) -> str:
    """Quote an SQL identifier (names come from the spec, quoting guards keywords like `count`)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Render a string literal; COMMENT ON does not accept prepared parameters."""
    return "'" + text.replace("'", "''") + "'"


def qualified(table: Table) -> str:
    return f"{quote(table.schema)}.{quote(table.name)}"


def create_sql(table: Table) -> str:
    """CREATE TABLE IF NOT EXISTS for one spec table (primary keys only on small meta tables)."""
    cols = [f"{quote(c.name)} {c.type}{' NOT NULL' if c.not_null else ''}" for c in table.columns]
    # An ART index is only worth it on tiny upsert targets; history tables rely on sorted inserts instead.
    if table.kind == "meta" and table.key:
        cols.append(f"PRIMARY KEY ({', '.join(quote(k) for k in table.key)})")
    return f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({', '.join(cols)})"


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    rows = con.execute(
        "SELECT schema_name, table_name, column_name, data_type, coalesce(comment, '') "
        "FROM duckdb_columns() WHERE database_name = current_database()"
    ).fetchall()
    out: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for schema, name, column, dtype, comment in rows:
        out.setdefault((schema, name), {})[column] = (dtype, comment)
    return out


def _migrate(con: duckdb.DuckDBPyConnection, table: Table, existing: dict[str, tuple[str, str]]) -> None:
    """Add spec columns missing from an existing table; refuse type changes and unknown columns."""
    spec_names = set(table.column_names)
    unknown = sorted(set(existing) - spec_names)
    if unknown:
        raise SchemaDriftError(f"{table.qualified} has columns not in the spec: {unknown}")
    for col in table.columns:
        if col.name not in existing:
            # Added columns stay nullable: existing rows have no value for them.
            con.execute(f"ALTER TABLE {qualified(table)} ADD COLUMN {quote(col.name)} {col.type}")
        elif existing[col.name][0] != col.type:
            raise SchemaDriftError(
                f"{table.qualified}.{col.name} is {existing[col.name][0]} in the file, spec says {col.type}"
            )


def apply_comments(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> int:
    """Set table and column COMMENTs that differ from the spec; return how many statements ran."""
    tables = list(tables)
    existing = _existing_columns(con)
    table_comments = dict(
        ((s, n), c)
        for s, n, c in con.execute(
            "SELECT schema_name, table_name, coalesce(comment, '') FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
    )
    statements = []
    for table in tables:
        if (table.schema, table.name) not in table_comments:
            continue  # a mart a migration dropped: its rebuild applies them
        if table_comments.get((table.schema, table.name)) != table.comment:
            statements.append(f"COMMENT ON TABLE {qualified(table)} IS {literal(table.comment)}")
        cols = existing.get((table.schema, table.name), {})
        for col in table.columns:
            if cols.get(col.name, ("", ""))[1] != col.comment:
                statements.append(
                    f"COMMENT ON COLUMN {qualified(table)}.{quote(col.name)} IS {literal(col.comment)}"
                )
    for statement in statements:
        con.execute(statement)
    return len(statements)


def _record_version(con: duckdb.DuckDBPyConnection) -> None:
    current = scalar(con, "SELECT max(version) FROM meta.schema_version")
    if current is not None and current > catalogue.SCHEMA_VERSION:
        raise SchemaDriftError(
            f"warehouse schema version {current} is newer than this code ({catalogue.SCHEMA_VERSION}); "
            "upgrade jamfor"
        )
    if current is None or current < catalogue.SCHEMA_VERSION:
        con.execute(
            "INSERT INTO meta.schema_version VALUES (?, now(), ?)",
            [catalogue.SCHEMA_VERSION, SCHEMA_DESCRIPTION],
        )


def schema_behind(con: duckdb.DuckDBPyConnection) -> str | None:
    """What `ensure_schema` would still change on this (possibly read-only) connection: an older schema
    version, a spec table or column missing, a view missing; None when it would change nothing."""
    version = scalar(con, "SELECT max(version) FROM meta.schema_version")
    if version != catalogue.SCHEMA_VERSION:
        return f"schema version {version} -> {catalogue.SCHEMA_VERSION}"
    existing = _existing_columns(con)
    for table in catalogue.TABLES:
        if not set(table.column_names) <= set(existing.get((table.schema, table.name), {})):
            return f"{table.qualified} missing or lacking columns"
    from warehouse.views import VIEWS

    views = set(
        con.execute("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    )
    if any((view.schema, view.name) not in views for view in VIEWS):
        return "views missing"
    return None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotently create schemas, tables and views, add missing columns, apply comments, record the
    version."""
    # TIMESTAMPTZ columns come back to Polars as Datetime(us, UTC) only with a UTC session zone.
    con.execute("SET TimeZone = 'UTC'")
    for layer in catalogue.LAYERS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(layer)}")
    existing = _existing_columns(con)
    for table in catalogue.TABLES:
        current = existing.get((table.schema, table.name))
        if current is None:
            con.execute(create_sql(table))
        else:
            _migrate(con, table, current)
    # migrations and views use this module's quoting, hence imported here
    from warehouse.migrations import migrate
    from warehouse.views import ensure_views

    version = scalar(con, "SELECT max(version) FROM meta.schema_version")
    if version is not None and version < catalogue.SCHEMA_VERSION:
        migrate(con, version, catalogue.SCHEMA_VERSION)
    apply_comments(con, catalogue.TABLES)
    ensure_views(con)
    _record_version(con)
