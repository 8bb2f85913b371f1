"""Append rejected records (the transforms' quarantine frames) to meta.quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import polars as pl

QUARANTINE_FRAME_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "entity": pl.String(),
    "natural_key": pl.String(),
    "record": pl.String(),
    "failed_check": pl.String(),
}
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
