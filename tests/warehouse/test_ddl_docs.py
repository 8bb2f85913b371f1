"""Schema creation, migrations, comments on everything, and the data dictionary."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from models.catalogue import LAYERS, SCHEMA_VERSION, TABLES
from warehouse import marts
from warehouse.ddl import SchemaDriftError, ensure_schema
from warehouse.docs import data_dictionary, data_dictionary_for
from warehouse.history import merge_values

OURS = "database_name = current_database() AND schema_name IN ('raw', 'staging', 'core', 'mart', 'meta')"


def _uncommented(con: duckdb.DuckDBPyConnection) -> list[tuple[str, ...]]:
    tables = con.execute(
        f"SELECT schema_name, table_name FROM duckdb_tables() WHERE {OURS} AND coalesce(comment, '') = ''"
    ).fetchall()
    columns = con.execute(
        f"SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        f"WHERE {OURS} AND coalesce(comment, '') = ''"
    ).fetchall()
    return tables + columns


def test_every_table_and_column_has_a_comment(con, small_values):
    found = con.execute(
        f"SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE {OURS}"
    ).fetchall()
    assert sorted(n for (n,) in found) == sorted(t.qualified for t in TABLES)
    assert _uncommented(con) == []
    # CREATE OR REPLACE drops comments; the rebuild must put them back.
    merge_values(con, small_values, run_id="r1", as_of=datetime(2026, 1, 1, tzinfo=UTC), scope=None)
    marts.rebuild(con)
    assert _uncommented(con) == []


def test_ensure_schema_is_idempotent(con):
    ensure_schema(con)
    ensure_schema(con)
    assert con.execute("SELECT version FROM meta.schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_missing_column_is_added_with_its_comment():
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.watermark (source VARCHAR, scope_key VARCHAR, watermark DATE, run_id VARCHAR)"
    )
    ensure_schema(con)
    cols = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() "
        "WHERE schema_name = 'meta' AND table_name = 'watermark'"
    ).fetchall()
    assert ("updated_at", "When it was set (UTC).") in cols
    assert _uncommented(con) == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("CREATE TABLE meta.watermark (source INTEGER)", "spec says VARCHAR"),
        ("CREATE TABLE meta.watermark (source VARCHAR, surprise VARCHAR)", "not in the spec"),
    ],
)
def test_schema_drift_is_refused(setup, message):
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA meta")
    con.execute(setup)
    with pytest.raises(SchemaDriftError, match=message):
        ensure_schema(con)


def test_newer_file_version_is_refused(con):
    con.execute("INSERT INTO meta.schema_version VALUES (?, now(), 'from the future')", [SCHEMA_VERSION + 1])
    with pytest.raises(SchemaDriftError, match="newer than this code"):
        ensure_schema(con)


def test_data_dictionary_lists_layers_tables_and_grain(con):
    text = data_dictionary(con)
    positions = [text.index(f"## {layer}\n") for layer in LAYERS]
    assert positions == sorted(positions)
    for spec in TABLES:
        assert f"### {spec.qualified}\n" in text
    assert "one row per kpi_id, municipality_id, year, gender" in text
    assert "| value | DOUBLE | The value as published; NULL = published as missing. |" in text
    assert "Källa: Kolada" in text


def test_data_dictionary_without_a_published_file(tmp_path):
    text = data_dictionary_for(tmp_path / "absent.duckdb")
    assert "### mart.kpi_value" in text
    assert not (tmp_path / "absent.duckdb").exists()
