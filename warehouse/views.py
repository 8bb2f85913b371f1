"""Warehouse views: their SQL, COMMENTs and column COMMENTs in one place; `ensure_views` (re)creates them.

meta.quarantine keeps every run's rejected rows (a full refresh rejects the same bad record again,
so the table grows by run); meta.quarantine_current answers "what is quarantined now".
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from models.catalogue import table as table_spec
from warehouse.ddl import literal, quote

# The Kolada flow that re-reads every record of its scope: a record it no longer rejects is fixed.
FULL_REFRESH_FLOW = "kolada-yearly"


@dataclass(frozen=True)
class View:
    """One view: schema, name, comment, body (SELECT) and a comment per output column, in order."""

    schema: str
    name: str
    comment: str
    sql: str
    columns: tuple[tuple[str, str], ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


# file-fed tables: their quarantine rows' natural key is the key columns joined by '/'
FILE_ENTITIES = ("network_measure", "population", "register_value")


def _stored_later(entity: str) -> str:
    """SQL: the quarantined key `q` has since been stored in core.<entity> by a later load."""
    spec = table_spec(f"core.{entity}")
    key = ", ".join(f"CAST(h.{quote(k)} AS VARCHAR)" for k in spec.key)
    return (
        f"EXISTS (SELECT 1 FROM core.{quote(entity)} AS h WHERE q.entity = '{entity}' "
        "AND h.valid_to IS NULL AND NOT h.is_deleted AND h.valid_from > q.quarantined_at "
        f"AND concat_ws('/', {key}) = q.natural_key)"
    )


QUARANTINE_CURRENT = View(
    "meta",
    "quarantine_current",
    "What is quarantined as of the newest load: one row per (source, entity, natural_key), its newest "
    "rejection. A record rejected before the newest completed full refresh of its source "
    f"(flow {FULL_REFRESH_FLOW}) and not rejected again by it is no longer shown, nor is a file's row "
    "once a later delivery stored its key or superseded the file. meta.quarantine keeps every run's rows.",
    f"""
WITH ranked AS (
    SELECT q.*, coalesce(r.started_at, q.quarantined_at) AS run_started_at,
           count(*) OVER k AS n_rejections,
           min(q.quarantined_at) OVER k AS first_quarantined_at,
           row_number() OVER (PARTITION BY q.source, q.entity, q.natural_key
                              ORDER BY coalesce(r.started_at, q.quarantined_at) DESC, q.quarantined_at DESC,
                                       q.run_id DESC, q.failed_check, q.record) AS newest
    FROM meta.quarantine AS q
    LEFT JOIN meta.load_run AS r ON r.run_id = q.run_id
    WINDOW k AS (PARTITION BY q.source, q.entity, q.natural_key)
),
full_refresh AS (
    SELECT 'kolada' AS source, max(started_at) AS started_at
    FROM meta.load_run WHERE flow = '{FULL_REFRESH_FLOW}' AND status = 'completed'
)
SELECT q.source, q.entity, q.natural_key, q.run_id, q.record, q.failed_check, q.quarantined_at,
       q.first_quarantined_at, q.n_rejections
FROM ranked AS q
LEFT JOIN full_refresh AS f ON f.source = q.source
WHERE q.newest = 1
  AND (f.started_at IS NULL OR q.run_started_at >= f.started_at)
  AND NOT EXISTS (
      SELECT 1 FROM meta.loaded_file AS lf
      WHERE lf.run_id = q.run_id AND lf.superseded_by IS NOT NULL
        AND starts_with(q.failed_check, regexp_extract(lf.path, '[^/]+$') || ', row ')
  )
  AND NOT ({" OR ".join(_stored_later(e) for e in FILE_ENTITIES)})
""",
    (
        ("source", "Source system, e.g. 'kolada', 'network', 'scb'."),
        ("entity", "value, kpi, municipality, network_measure, ..."),
        ("natural_key", "Natural key of the record, e.g. N31807/0180/2020/T."),
        ("run_id", "The newest run that rejected it (meta.load_run.run_id)."),
        ("record", "The raw record as JSON text, as the newest run saw it."),
        ("failed_check", "Column, check and bad value, human-readable (newest rejection)."),
        ("quarantined_at", "When the newest run rejected it (UTC)."),
        ("first_quarantined_at", "When it was first rejected (UTC)."),
        ("n_rejections", "Rows in meta.quarantine for this key (one per run, two for a conflicting pair)."),
    ),
)
VIEWS: tuple[View, ...] = (QUARANTINE_CURRENT,)


def ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view and set its comments (the tables it reads must exist)."""
    for view in VIEWS:
        target = f"{quote(view.schema)}.{quote(view.name)}"
        con.execute(f"CREATE OR REPLACE VIEW {target} AS {view.sql}")
        con.execute(f"COMMENT ON VIEW {target} IS {literal(view.comment)}")
        for column, comment in view.columns:
            con.execute(f"COMMENT ON COLUMN {target}.{quote(column)} IS {literal(comment)}")
