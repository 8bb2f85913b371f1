"""A read-only status summary of the published warehouse (safe while another process is loading)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.catalogue import TABLES
from warehouse.ddl import present_tables, quote, scalar
from warehouse.publish import connect_readonly
from warehouse.records import fetch_records

LAST_RUNS = 10


def summary(path: Path, *, last_runs: int = LAST_RUNS) -> dict[str, Any]:
    """Last runs, watermarks, row counts per core/mart table and quarantine counts per entity.

    Reads the published file only; a running load writes to its own build file, so this never waits.
    """
    con = connect_readonly(path)
    # Timestamps are cast to text in SQL so the summary is JSON-ready for the CLI and Prefect artifacts.
    try:
        present = present_tables(con)
        wanted = [t for t in TABLES if t.schema in ("core", "mart")]
        # a file published by an older jamfor lacks the newer tables until its next load builds them
        counted = [t for t in wanted if t.qualified in present]
        missing = [t.qualified for t in wanted if t.qualified not in present]
        counts_sql = " UNION ALL ".join(
            f"SELECT '{t.qualified}' AS table_name, count(*) AS n FROM {quote(t.schema)}.{quote(t.name)}"
            for t in counted
        )
        row_counts = dict(con.execute(counts_sql).fetchall())
        runs = fetch_records(
            con,
            "SELECT run_id, flow, scope, started_at::VARCHAR AS started_at, "
            "finished_at::VARCHAR AS finished_at, "
            "status, rows_in, rows_loaded, rows_quarantined, rows_inserted, rows_revised, rows_deleted, "
            "rows_unchanged, message FROM meta.load_run ORDER BY started_at DESC, run_id DESC LIMIT ?",
            [last_runs],
        )
        watermarks = fetch_records(
            con,
            "SELECT source, scope_key, watermark::VARCHAR AS watermark, run_id, "
            "updated_at::VARCHAR AS updated_at "
            "FROM meta.watermark ORDER BY source, scope_key",
        )
        # a file published before the view existed gets it on its next load; until then, count keys
        has_view = scalar(
            con,
            "SELECT count(*) FROM duckdb_views() "
            "WHERE schema_name = 'meta' AND view_name = 'quarantine_current'",
        )
        current = (
            "meta.quarantine_current"
            if has_view
            else "(SELECT DISTINCT source, entity, natural_key FROM meta.quarantine)"
        )
        quarantine = dict(
            con.execute(f"SELECT entity, count(*) FROM {current} GROUP BY entity ORDER BY entity").fetchall()
        )
        version = scalar(con, "SELECT max(version) FROM meta.schema_version")
    finally:
        con.close()
    return {
        "path": str(path),
        "schema_version": version,
        "last_runs": runs,
        "watermarks": watermarks,
        "row_counts": row_counts,
        "missing_tables": missing,
        "quarantine_by_entity": quarantine,
    }


def format_summary(status: dict[str, Any]) -> str:
    """Render `summary()` as plain text for the CLI."""
    lines = [f"Warehouse {status['path']} (schema v{status['schema_version']})", "", "Rows:"]
    lines += [f"  {name:<34} {n:>12,}" for name, n in status["row_counts"].items()]
    lines += [
        f"  {name:<34} {'not yet built':>12} (the next load builds it)" for name in status["missing_tables"]
    ]
    lines += ["", "Last runs (published):"]
    lines += [
        f"  {r['started_at']}  {r['flow'] or '?':<16} {r['status']:<10} in {r['rows_in'] or 0:,}, "
        f"new {r['rows_inserted'] or 0:,}, revised {r['rows_revised'] or 0:,}, "
        f"deleted {r['rows_deleted'] or 0:,}, quarantined {r['rows_quarantined'] or 0:,}"
        for r in status["last_runs"]
    ] or ["  (none)"]
    lines += ["", "Watermarks (next from_date):"]
    lines += [f"  {w['source']}/{w['scope_key']}: {w['watermark']}" for w in status["watermarks"]] or [
        "  (none)"
    ]
    lines += ["", "Quarantined now, by entity (meta.quarantine_current):"]
    lines += [f"  {e}: {n:,}" for e, n in status["quarantine_by_entity"].items()] or ["  (none)"]
    return "\n".join(lines)
