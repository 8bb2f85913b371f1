"""The SQL of the no-change check (pipeline.nochange): a read-only session on the published file and
what in it an incremental load would change beyond the fetch's rows.

The session gets the load's DuckDB tuning and its own spill directory beside the warehouse (removed
afterwards); the caller holds the writer lock, so no load replaces the file meanwhile.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from warehouse import history, marts, runs, storage
from warehouse.ddl import schema_behind
from warehouse.publish import READ_ALIAS, connect_readonly
from warehouse.staging import STAGE


@contextmanager
def published_session(
    warehouse: Path, *, run_id: str, config: Mapping[str, str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published `warehouse` with DuckDB `config` (memory_limit, threads)."""
    spill = warehouse.with_name(f"{warehouse.name}.build-{run_id}.check.tmp")
    con = connect_readonly(warehouse)
    try:
        for name, value in {**config, "temp_directory": str(spill)}.items():
            con.execute(f"SET {name} = $value", {"value": value})  # names come from Tuning, not users
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def state_change(con: duckdb.DuckDBPyConnection, watermark: tuple[str, date] | None) -> str | None:
    """What the build would change beyond the fetch's rows: schema, storage, marts, a first watermark."""
    behind = schema_behind(con)
    if behind is not None:
        return behind
    if storage.attached_version(con, READ_ALIAS) != storage.STORAGE_VERSION:
        return f"storage version -> {storage.STORAGE_VERSION}"
    missing = marts.missing(con)
    if missing:
        return f"marts missing: {', '.join(m.table for m in missing)}"
    if watermark is not None and runs.get_watermark(con, "kolada", watermark[0]) is None:
        return f"first watermark of scope {watermark[0]}"
    return None


def dimension_change(
    con: duckdb.DuckDBPyConnection, dimensions: Mapping[str, tuple[pl.DataFrame, tuple[str, ...]]]
) -> str | None:
    """The first dimension whose snapshot differs from its current rows (changed, new or vanished)."""
    for table, (frame, keys) in dimensions.items():
        if history.dimension_changes(con, table, frame, key_cols=keys):
            return f"{table} changed"
    return None


def changed_staged_values(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The staged values (warehouse.staging) that are new or differ from their current versions, with
    the merge's own predicate; the stage is dropped afterwards."""
    changed = con.sql(history.changed_values_sql(STAGE)).pl()
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")
    return changed
