"""Append rejected records (the transforms' quarantine frames) to meta.quarantine, and the query that
lists one file's rejected rows."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import polars as pl

from models.catalogue import table
from models.frames import frame_schema
from warehouse.ddl import literal

QUARANTINE_FRAME_SCHEMA: dict[str, pl.DataType] = frame_schema(table("meta.quarantine"))
_FRAME = "_jamfor_quarantine"


def record(
    con: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    *,
    run_id: str,
    quarantined_at: datetime | None = None,
) -> int:
    """Append a quarantine frame (design.md contract) for `run_id`; return the rows written."""
    if dict(frame.schema) != QUARANTINE_FRAME_SCHEMA:
        raise ValueError(
            f"quarantine frame schema {dict(frame.schema)} != contract {QUARANTINE_FRAME_SCHEMA}"
        )
    if frame.height == 0:
        return 0
    at = quarantined_at or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("quarantined_at must be timezone-aware")
    con.register(_FRAME, frame)
    try:
        con.execute(
            "INSERT INTO meta.quarantine (run_id, source, entity, natural_key, record, failed_check, "
            "quarantined_at) SELECT $run_id, source, entity, natural_key, record, failed_check, $at "
            f"FROM {_FRAME}",
            {"run_id": run_id, "at": at},
        )
    finally:
        con.unregister(_FRAME)
    return frame.height


def file_rows_sql(run_id: str, file_name: str) -> str:
    """A query (to paste into duckdb) listing what run `run_id` quarantined from the file `file_name`.

    It reads meta.quarantine, not meta.quarantine_current: the view keeps one row per natural key, so
    two bad rows of one file that share a key (e.g. two unknown kommuner for one measure and period)
    would show as one, and it hides a file's rows once a later delivery supersedes the file.
    """
    return (
        f"SELECT * FROM meta.quarantine WHERE run_id = {literal(run_id)} "
        f"AND starts_with(failed_check, {literal(file_name + ', row ')}) "
        "ORDER BY CAST(record->>'file_row' AS INTEGER)"
    )
