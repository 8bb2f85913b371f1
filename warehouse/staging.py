"""Values staged batch by batch in a session temp table, then merged once into core.kpi_value_history.

A full-scope fetch holds ~10 M values. Transforming and validating them in batches of pages keeps the
Python process's memory bounded by one batch, while DuckDB holds the staged rows (spilling to its temp
directory under its memory limit). Every batch went through `validate_split`, so keys are unique within
a batch. A key staged by two batches (Kolada's paging can repeat an item when data change mid-fetch) is
resolved here by validate_split's rules: a row equal to an earlier one in every compared column is an
exact duplicate (quarantined, the first kept); a key still staged more than once, or quarantined as a
conflicting key inside a batch, quarantines every staged row of that key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import duckdb
import polars as pl

from models.catalogue import table
from warehouse import history
from warehouse.ddl import quote
from warehouse.history import VALUE_FRAME_SCHEMA, VALUE_KEY, VALUES_TABLE, MergeStats, ValueScope
from warehouse.quarantine import QUARANTINE_FRAME_SCHEMA

STAGE = "_jamfor_staged_values"
_BATCH = "_jamfor_value_batch"
_CHANGED = "_jamfor_changed_values"
ORDINAL = "_ord"
# what validate_split compares for exact duplicates: everything but provenance and the derived flag
IGNORED_IN_COMPARE = ("fetched_at", "is_preliminary")


class Reasons(NamedTuple):
    """The failed_check texts for the two kinds of repeat (the validation layer's own wording)."""

    exact_duplicate: str
    duplicate_key: str


class ValueStage:
    """A temp table of validated value rows: `append` batches, `resolve_repeats`, then `merge`."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows = 0
        self.batches = 0
        values = table(VALUES_TABLE)
        columns = ", ".join(f"{quote(name)} {values.column(name).type}" for name in VALUE_FRAME_SCHEMA)
        # an explicit column list, not CTAS ... LIMIT 0: in DuckDB 2.0.0 a table created by a CTAS of no
        # rows and then filled from an Arrow scan inside a transaction reads back empty in joins
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({columns}, {ORDINAL} BIGINT)")

    def append(self, values: pl.DataFrame) -> None:
        """Stage one validated batch (the values frame contract of docs/design.md)."""
        if dict(values.schema) != VALUE_FRAME_SCHEMA:
            raise ValueError(f"values frame schema {dict(values.schema)} != contract {VALUE_FRAME_SCHEMA}")
        batch = values.with_row_index(ORDINAL, offset=self.rows).with_columns(pl.col(ORDINAL).cast(pl.Int64))
        self.con.register(_BATCH, batch)
        try:
            names = ", ".join(quote(name) for name in (*VALUE_FRAME_SCHEMA, ORDINAL))
            self.con.execute(f"INSERT INTO {STAGE} ({names}) SELECT {names} FROM {_BATCH}")
        finally:
            self.con.unregister(_BATCH)
        self.rows += values.height
        self.batches += 1

    def resolve_repeats(
        self, conflicted: Sequence[str], *, source: str, entity: str, reasons: Reasons
    ) -> pl.DataFrame:
        """Quarantine rows whose key was staged twice or is in `conflicted` ("kpi/unit/year/gender"
        natural keys quarantined as duplicates inside a batch); return them as a quarantine frame.

        With one batch and no conflicted keys there is nothing to do (keys are unique per batch).
        The record is the staged row as JSON: the raw item it came from was in an earlier batch.
        """
        if self.batches <= 1 and not conflicted:
            return pl.DataFrame(schema=QUARANTINE_FRAME_SCHEMA)
        natural_key = " || '/' || ".join(f"s.{quote(k)}::VARCHAR" for k in VALUE_KEY)
        keys = ", ".join(f"s.{quote(k)}" for k in VALUE_KEY)
        compared = ", ".join(f"s.{quote(c)}" for c in VALUE_FRAME_SCHEMA if c not in IGNORED_IN_COMPARE)
        data = ", ".join(f"{quote(c)} := s.{quote(c)}" for c in VALUE_FRAME_SCHEMA)
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _jamfor_repeats AS
            WITH repeated AS (
                SELECT {keys} FROM {STAGE} AS s GROUP BY ALL HAVING count(*) > 1
                UNION
                SELECT {keys} FROM {STAGE} AS s WHERE list_contains($conflicted::VARCHAR[], {natural_key})
            ),
            copies AS (
                SELECT s.*, {natural_key} AS natural_key, to_json(struct_pack({data}))::VARCHAR AS record,
                       row_number() OVER (PARTITION BY {compared} ORDER BY s.{ORDINAL}) > 1 AS is_copy
                FROM {STAGE} AS s SEMI JOIN repeated AS r ON {_on_key("s", "r")}
            )
            SELECT {ORDINAL}, natural_key, record,
                   CASE WHEN is_copy THEN $exact ELSE $conflict END AS failed_check
            FROM copies AS s
            QUALIFY is_copy OR list_contains($conflicted::VARCHAR[], natural_key)
                 OR sum((NOT is_copy)::INTEGER) OVER (PARTITION BY {keys}) > 1
            """,
            {
                "conflicted": list(conflicted),
                "exact": reasons.exact_duplicate,
                "conflict": reasons.duplicate_key,
            },
        )
        self.con.execute(f"DELETE FROM {STAGE} WHERE {ORDINAL} IN (SELECT {ORDINAL} FROM _jamfor_repeats)")
        quarantined = self.con.sql(
            "SELECT $source AS source, $entity AS entity, natural_key, record, failed_check "
            f"FROM _jamfor_repeats ORDER BY {ORDINAL}",
            params={"source": source, "entity": entity},
        ).pl()
        self.con.execute("DROP TABLE _jamfor_repeats")
        self.rows -= quarantined.height
        return quarantined.cast(QUARANTINE_FRAME_SCHEMA)

    def merge(self, *, run_id: str, as_of: datetime, scope: ValueScope | None) -> MergeStats:
        """Merge the staged rows into core.kpi_value_history (see history.merge_values), then drop them."""
        try:
            return history.merge_values_from(
                self.con, STAGE, rows_in=self.rows, run_id=run_id, as_of=as_of, scope=scope
            )
        finally:
            self.con.execute(f"DROP TABLE IF EXISTS {STAGE}")


def merge_changed(
    con: duckdb.DuckDBPyConnection, changed: pl.DataFrame, *, rows_in: int, run_id: str, as_of: datetime
) -> MergeStats:
    """An incremental merge of `changed`, the rows of a stage (made in another connection, e.g. on the
    read-only published file) that differ from their current versions; `rows_in` counts the whole stage.

    The unchanged rows are counted, not sent: an incremental merge writes nothing for them.
    """
    con.register(_CHANGED, changed)
    try:
        return history.merge_values_from(
            con, _CHANGED, rows_in=rows_in, run_id=run_id, as_of=as_of, scope=None
        )
    finally:
        con.unregister(_CHANGED)


def _on_key(left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in VALUE_KEY)
