"""BI tools through SQLAlchemy + duckdb-engine (Superset's route): introspection and fresh data.

docs/connect.md promises these: schemas, tables and columns with their comments through
`inspect(engine)`, and that an engine with `poolclass=NullPool` sees a newer publish while SQLAlchemy's
default QueuePool keeps the pre-load snapshot (so the documented setting is what makes the difference).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool, QueuePool

from warehouse import marts
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import building

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COUNT = sqlalchemy.text("SELECT count(*) FROM mart.kpi_value")


def _publish(path: Path, frame: pl.DataFrame, run_id: str) -> None:
    with building(path, run_id=run_id) as con, transaction(con):
        merge_values(con, frame, run_id=run_id, as_of=T0, scope=None)
        marts.rebuild(con)


def _url(path: Path) -> str:
    """The URL docs/connect.md gives: an absolute path and access_mode=read_only."""
    return f"duckdb:///{path.resolve()}?access_mode=read_only"


def _first_kpi(values: pl.DataFrame) -> pl.DataFrame:
    return values.filter(pl.col("kpi_id") == values["kpi_id"][0])


@pytest.fixture
def warehouse(tmp_path: Path, small_values: pl.DataFrame) -> Path:
    """A published warehouse of one KPI; the tests then publish all of small_values over it."""
    path = tmp_path / "jamfor.duckdb"
    _publish(path, _first_kpi(small_values), "run-1")
    return path


def test_sqlalchemy_version_is_the_pinned_2_0() -> None:
    # duckdb-engine's column lookup fails under SQLAlchemy 2.1 (pg_catalog.pg_collation not found)
    assert sqlalchemy.__version__.startswith("2.0.")


def test_inspect_lists_schemas_tables_and_column_comments(warehouse: Path) -> None:
    engine = sqlalchemy.create_engine(_url(warehouse), poolclass=NullPool)
    try:
        found = inspect(engine)
        # duckdb-engine names schemas <database>.<schema>; the database is the file's stem
        assert {"jamfor.core", "jamfor.mart", "jamfor.meta"} <= set(found.get_schema_names())
        assert {"kpi_value", "municipality_comparison"} <= set(found.get_table_names(schema="mart"))
        columns = {c["name"]: c for c in found.get_columns("kpi_value", schema="mart")}
        assert {"kpi_id", "municipality_id", "year", "gender", "value"} <= set(columns)
        assert all(c["comment"] for c in columns.values()), "every mart column has a COMMENT"
        assert columns["kpi_id"]["comment"].startswith("Kolada KPI id")
        assert found.get_table_comment("kpi_value", schema="mart")["text"].startswith("Current Kolada")
    finally:
        engine.dispose()


# One engine per test: DuckDB shares one open database per file path within a process, so a second
# engine's open connection in the same process would hand the first the old file too. A BI server
# has one engine per database, which is what these tests model.


def test_nullpool_engine_sees_a_newer_publish(warehouse: Path, small_values: pl.DataFrame) -> None:
    engine = sqlalchemy.create_engine(_url(warehouse), poolclass=NullPool)
    try:
        with engine.connect() as con:
            before = con.execute(COUNT).scalar_one()
        _publish(warehouse, small_values, "run-2")
        with engine.connect() as con:
            after = con.execute(COUNT).scalar_one()
        assert before < after == small_values.height
    finally:
        engine.dispose()


def test_default_pool_keeps_the_old_snapshot_until_disposed(
    warehouse: Path, small_values: pl.DataFrame
) -> None:
    engine = sqlalchemy.create_engine(_url(warehouse))
    assert isinstance(engine.pool, QueuePool)  # what Superset and a plain create_engine use
    try:
        with engine.connect() as con:
            before = con.execute(COUNT).scalar_one()
        _publish(warehouse, small_values, "run-2")
        with engine.connect() as con:
            assert con.execute(COUNT).scalar_one() == before, "a pooled connection keeps the old file"
        engine.dispose()  # the other documented fix: dispose the pool after a publish
        with engine.connect() as con:
            assert con.execute(COUNT).scalar_one() == small_values.height
    finally:
        engine.dispose()


def test_pool_recycle_bounds_how_long_a_pool_serves_the_old_snapshot(
    warehouse: Path, small_values: pl.DataFrame
) -> None:
    # Superset's route (engine parameters are JSON, so no NullPool there): {"pool_recycle": N}
    engine = sqlalchemy.create_engine(_url(warehouse), pool_recycle=1)
    try:
        with engine.connect() as con:
            before = con.execute(COUNT).scalar_one()
        _publish(warehouse, small_values, "run-2")
        time.sleep(1.2)
        with engine.connect() as con:
            after = con.execute(COUNT).scalar_one()
        assert before < after == small_values.height
    finally:
        engine.dispose()
