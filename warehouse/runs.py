"""The run ledger (meta.load_run), the raw page manifest (raw.kolada_page) and watermarks (meta.watermark).

All of these are written through the load's build connection, so they commit (and publish) together
with the data they describe: a failed run leaves no ledger row, no manifest and no moved watermark.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import polars as pl

from warehouse.ddl import scalar

# "completed" matches Prefect's terminal state name; "failed" exists for callers that keep failed runs.
RUN_STATUSES = ("running", "completed", "failed")
COUNT_COLUMNS = (
    "rows_in",
    "rows_loaded",
    "rows_quarantined",
    "rows_inserted",
    "rows_revised",
    "rows_deleted",
    "rows_unchanged",
)
MANIFEST_COLUMNS = ("url", "fetched_at", "status", "sha256", "endpoint")
_MANIFEST = "_jamfor_manifest"


def _now(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        raise ValueError(f"timestamp {value.isoformat()} must be timezone-aware")
    return value


def _scope_json(scope: Mapping[str, Any] | str | None) -> str:
    if isinstance(scope, str):
        json.loads(scope)  # a malformed scope is a caller bug; fail here, not in a later report
        return scope
    return json.dumps(dict(scope or {}), sort_keys=True, ensure_ascii=False, default=str)


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    flow: str,
    scope: Mapping[str, Any] | str | None = None,
    started_at: datetime | None = None,
) -> None:
    """Insert the ledger row for a new run (status 'running'); a reused run_id is an error.

    `scope` is a mapping (serialised with sorted keys) or already-serialised JSON text.
    """
    if scalar(con, "SELECT count(*) FROM meta.load_run WHERE run_id = ?", [run_id]):
        raise ValueError(f"run_id {run_id!r} is already in meta.load_run")
    con.execute(
        "INSERT INTO meta.load_run (run_id, flow, scope, started_at, status) VALUES (?, ?, ?, ?, 'running')",
        [run_id, flow, _scope_json(scope), _now(started_at)],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    counts: Mapping[str, int],
    status: str,
    message: str | None = None,
    *,
    finished_at: datetime | None = None,
) -> None:
    """Set the run's counters (keys from COUNT_COLUMNS), status and message."""
    if status not in RUN_STATUSES:
        raise ValueError(f"status {status!r} not in {RUN_STATUSES}")
    unknown = sorted(set(counts) - set(COUNT_COLUMNS))
    if unknown:
        raise ValueError(f"unknown count keys {unknown}; allowed {COUNT_COLUMNS}")
    assignments = "".join(f", {c} = ${c}" for c in counts)
    params: dict[str, object] = {
        "run_id": run_id,
        "status": status,
        "message": message,
        "finished_at": _now(finished_at),
        **{c: int(v) for c, v in counts.items()},
    }
    updated = scalar(
        con,
        f"UPDATE meta.load_run SET status = $status, message = $message, finished_at = $finished_at"
        f"{assignments} WHERE run_id = $run_id",
        params,
    )
    if updated != 1:
        raise ValueError(f"run_id {run_id!r} not found in meta.load_run (call start_run first)")


def record_pages(
    con: duckdb.DuckDBPyConnection, run_id: str, manifest: pl.DataFrame, *, raw_path: str | None = None
) -> int:
    """Append the run's page manifest to raw.kolada_page; return the rows written.

    `manifest` is the raw-store pages frame (url, fetched_at, status, sha256, endpoint) plus either
    `n_bytes` or the `body` (its UTF-8 size is taken in SQL; the body itself is not stored). `raw_path`
    comes from a `raw_path` column or, for one file, the argument.
    """
    missing = sorted(set(MANIFEST_COLUMNS) - set(manifest.columns))
    if missing:
        raise ValueError(f"page manifest lacks columns {missing}")
    if "n_bytes" in manifest.columns:
        size = "n_bytes"
    elif "body" in manifest.columns:
        size = "octet_length(encode(body))"
    else:
        raise ValueError("page manifest needs an n_bytes or a body column")
    path_expr = "raw_path" if "raw_path" in manifest.columns else "$raw_path::VARCHAR"
    con.register(_MANIFEST, manifest)
    try:
        con.execute(
            "INSERT INTO raw.kolada_page "
            "(run_id, url, fetched_at, status, sha256, n_bytes, endpoint, raw_path) "
            f"SELECT $run_id, url, fetched_at, status, sha256, {size}, endpoint, {path_expr} "
            f"FROM {_MANIFEST}",
            {"run_id": run_id, **({"raw_path": raw_path} if path_expr.startswith("$") else {})},
        )
    finally:
        con.unregister(_MANIFEST)
    return manifest.height


def get_watermark(con: duckdb.DuckDBPyConnection, source: str, scope_key: str) -> date | None:
    """The from_date for the next incremental run of (source, scope_key), or None if never loaded."""
    return scalar(
        con, "SELECT watermark FROM meta.watermark WHERE source = ? AND scope_key = ?", [source, scope_key]
    )


def set_watermark(
    con: duckdb.DuckDBPyConnection,
    source: str,
    scope_key: str,
    watermark: date,
    *,
    run_id: str,
    updated_at: datetime | None = None,
) -> None:
    """Upsert the watermark of (source, scope_key)."""
    con.execute(
        "INSERT INTO meta.watermark VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, scope_key) DO UPDATE SET "
        "watermark = excluded.watermark, run_id = excluded.run_id, updated_at = excluded.updated_at",
        [source, scope_key, watermark, run_id, _now(updated_at)],
    )
