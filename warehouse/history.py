"""SCD2 merges of Polars frames into the core tables, as set-based SQL inside the caller's transaction.

A merge registers the frame with DuckDB (zero copy), computes the changed and vanished keys in temp
tables, closes the superseded current versions with one UPDATE and appends the new versions with one
INSERT ordered by key. No Python row loops and no executemany.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import duckdb
import polars as pl

from models.catalogue import table as table_spec
from models.frames import frame_schema
from warehouse.ddl import quote, scalar

VALUES_TABLE = "core.kpi_value_history"
VALUE_KEY: tuple[str, ...] = table_spec(VALUES_TABLE).key
# fetched_at and source are provenance, not content: a refetch of the same number is not a revision.
VALUE_COMPARED: tuple[str, ...] = ("value", "count", "status", "is_deleted", "is_preliminary")
# the values frame contract (docs/design.md): the model's `frame` columns with their Polars dtypes
VALUE_FRAME_SCHEMA: dict[str, pl.DataType] = frame_schema(table_spec(VALUES_TABLE))
_INCOMING = "_jamfor_incoming"


@dataclass
class MergeStats:
    """What one merge did. `deleted` counts every tombstone written (sent by the source or inferred)."""

    rows_in: int = 0
    inserted: int = 0
    revised: int = 0
    deleted: int = 0
    unchanged: int = 0

    def __add__(self, other: MergeStats) -> MergeStats:
        return MergeStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_counts(self) -> dict[str, int]:
        """The matching meta.load_run counter columns (rows_in, rows_inserted, ...)."""
        return {
            f.name if f.name == "rows_in" else f"rows_{f.name}": getattr(self, f.name) for f in fields(self)
        }


@dataclass
class ValueScope:
    """A full refresh: every value of these kpis (optionally only these years / units) was requested."""

    kpi_ids: list[str]
    years: list[int] | None = None
    municipality_ids: list[str] | None = None
    # "kpi/unit/year" items the source did send but malformed (quarantined): no evidence of a deletion,
    # so their current values are kept rather than tombstoned
    keep_items: list[str] | None = None


def _check_frame(frame: pl.DataFrame, key: Sequence[str], what: str) -> None:
    if frame.select(pl.any_horizontal(pl.col(list(key)).is_null()).any()).item():
        raise ValueError(f"{what}: null in key columns {list(key)}")
    duplicated = pl.struct(list(key)).is_duplicated()
    if frame.select(duplicated.any()).item():
        dupes = frame.filter(duplicated)
        sample = dupes.select(list(key)).unique().head(3).to_dicts()
        raise ValueError(f"{what}: {dupes.height} rows share a natural key {list(key)}, e.g. {sample}")


def _check_as_of(con: duckdb.DuckDBPyConnection, table: str, as_of: datetime) -> None:
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC)")
    latest = scalar(con, f"SELECT max(valid_from) FROM {table}")
    if latest is not None and as_of < latest:
        raise ValueError(f"as_of {as_of.isoformat()} is before the latest version in {table} ({latest})")


def _on(key: Sequence[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in key)


def _apply(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    *,
    changed_where: str,
    gone: tuple[str, dict[str, object]] | None,
    run_id: str,
    as_of: datetime,
    rows_in: int,
    incoming: str = _INCOMING,
) -> MergeStats:
    """Shared SCD2 core: stage changed/vanished rows, close old versions, append new ones, count."""
    cols = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(k) for k in key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _jamfor_changes AS "
        f"SELECT i.*, h.{quote(key[0])} IS NOT NULL AS _had_current FROM {quote(incoming)} AS i "
        f"LEFT JOIN {table} AS h ON {_on(key, 'h', 'i')} AND h.valid_to IS NULL "
        f"WHERE h.{quote(key[0])} IS NULL OR {changed_where}"
    )
    gone_sql, gone_params = gone or (f"SELECT {cols}, _had_current FROM _jamfor_changes WHERE FALSE", {})
    con.execute(f"CREATE OR REPLACE TEMP TABLE _jamfor_gone AS {gone_sql}", gone_params)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _jamfor_new AS SELECT {cols}, _had_current FROM _jamfor_changes "
        f"UNION ALL SELECT {cols}, _had_current FROM _jamfor_gone"
    )
    con.execute(
        f"UPDATE {table} AS h SET valid_to = $as_of "
        f"FROM (SELECT {keys} FROM _jamfor_new WHERE _had_current) AS n "
        f"WHERE {_on(key, 'h', 'n')} AND h.valid_to IS NULL",
        {"as_of": as_of},
    )
    con.execute(
        f"INSERT INTO {table} ({cols}, valid_from, valid_to, load_run_id) "
        f"SELECT {cols}, $as_of, NULL, $run_id FROM _jamfor_new ORDER BY {keys}",
        {"as_of": as_of, "run_id": run_id},
    )
    inserted, revised, deleted, changed = con.execute(
        "SELECT count(*) FILTER (NOT _had_current AND NOT is_deleted), "
        "count(*) FILTER (_had_current AND NOT is_deleted), count(*) FILTER (is_deleted), "
        "(SELECT count(*) FROM _jamfor_changes) FROM _jamfor_new"
    ).fetchall()[0]
    con.execute("DROP VIEW _jamfor_new")
    con.execute("DROP TABLE _jamfor_changes")
    con.execute("DROP TABLE _jamfor_gone")
    return MergeStats(rows_in, inserted, revised, deleted, rows_in - changed)


def _distinct(columns: Sequence[str]) -> str:
    # IS DISTINCT FROM: NULL vs NULL is equal, NULL vs a value differs; DOUBLE comparison is bit-exact.
    return " OR ".join(f"h.{quote(c)} IS DISTINCT FROM i.{quote(c)}" for c in columns)


def merge_values(
    con: duckdb.DuckDBPyConnection,
    values: pl.DataFrame,
    *,
    run_id: str,
    as_of: datetime,
    scope: ValueScope | None,
) -> MergeStats:
    """Merge a values frame (design.md contract) into core.kpi_value_history.

    `scope` set: a full refresh, so current values inside it that the frame lacks get tombstones.
    `scope` None: an incremental load; keys absent from the frame are left alone.
    """
    if dict(values.schema) != VALUE_FRAME_SCHEMA:
        raise ValueError(f"values frame schema {dict(values.schema)} != contract {VALUE_FRAME_SCHEMA}")
    _check_frame(values, VALUE_KEY, "values frame")
    con.register(_INCOMING, values)
    try:
        return merge_values_from(
            con, _INCOMING, rows_in=values.height, run_id=run_id, as_of=as_of, scope=scope
        )
    finally:
        con.unregister(_INCOMING)


def merge_values_from(
    con: duckdb.DuckDBPyConnection,
    incoming: str,
    *,
    rows_in: int,
    run_id: str,
    as_of: datetime,
    scope: ValueScope | None,
) -> MergeStats:
    """Merge the rows of the relation named `incoming` (the values frame columns, unique keys; extra
    columns are ignored) into core.kpi_value_history: the SQL half of `merge_values`."""
    if scope is not None and rows_in == 0:
        # An empty full refresh would tombstone everything in scope; far likelier an upstream outage.
        raise ValueError("refusing a full-refresh merge of an empty values frame")
    if scope is not None and not scope.kpi_ids:
        raise ValueError("ValueScope.kpi_ids must name at least one KPI")
    _check_as_of(con, VALUES_TABLE, as_of)
    gone = None
    if scope is not None:
        gone = (
            "SELECT h.kpi_id, h.municipality_id, h.year, h.gender, NULL::DOUBLE AS value, "
            "NULL::BIGINT AS count, NULL::VARCHAR AS status, TRUE AS is_deleted, h.is_preliminary, "
            "$as_of::TIMESTAMPTZ AS fetched_at, h.source, TRUE AS _had_current "
            f"FROM {VALUES_TABLE} AS h WHERE h.valid_to IS NULL AND NOT h.is_deleted "
            "AND list_contains($kpis::VARCHAR[], h.kpi_id) "
            "AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], h.year)) "
            "AND ($units::VARCHAR[] IS NULL OR list_contains($units::VARCHAR[], h.municipality_id)) "
            "AND ($keep::VARCHAR[] IS NULL OR NOT list_contains($keep::VARCHAR[], "
            "h.kpi_id || '/' || h.municipality_id || '/' || h.year::VARCHAR)) "
            f"AND NOT EXISTS (SELECT 1 FROM {quote(incoming)} AS i WHERE {_on(VALUE_KEY, 'i', 'h')})",
            {
                "as_of": as_of,
                "kpis": list(scope.kpi_ids),
                "years": scope.years,
                "units": scope.municipality_ids,
                "keep": scope.keep_items,
            },
        )
    return _apply(
        con,
        VALUES_TABLE,
        VALUE_KEY,
        list(VALUE_FRAME_SCHEMA),
        changed_where=_distinct(VALUE_COMPARED),
        gone=gone,
        run_id=run_id,
        as_of=as_of,
        rows_in=rows_in,
        incoming=incoming,
    )


def kpis_written(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The KPIs whose values `run_id` wrote (new versions and tombstones) in core.kpi_value_history."""
    rows = con.execute(
        f"SELECT DISTINCT kpi_id FROM {VALUES_TABLE} WHERE load_run_id = $run ORDER BY kpi_id",
        {"run": run_id},
    ).fetchall()
    return [kpi for (kpi,) in rows]


def merge_dimension(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    *,
    key_cols: Sequence[str],
    run_id: str,
    as_of: datetime,
    full_snapshot: bool = True,
    keep_keys: Sequence[str] | None = None,
) -> MergeStats:
    """Merge a dimension frame (design.md contract) into an SCD2 core table such as `core.kpi`.

    `full_snapshot`: the frame is the whole dimension, so current keys it lacks get a tombstone version
    (attributes carried over, is_deleted true). A tombstoned key that reappears gets a new live version.
    `keep_keys`: natural keys ("/"-joined key values, as in meta.quarantine) the source did send but
    malformed; their current versions are kept instead of tombstoned.
    """
    spec = table_spec(table)
    if spec.kind != "scd2" or table == VALUES_TABLE:
        raise ValueError(f"{table} is not an SCD2 dimension table")
    expected = spec.business_columns
    if sorted(frame.columns) != sorted(expected):
        raise ValueError(f"{table} frame columns {frame.columns} != expected {expected}")
    _check_key(spec.qualified, key_cols)
    _check_frame(frame, key_cols, f"{table} frame")
    if full_snapshot and frame.height == 0:
        raise ValueError(f"refusing an empty full snapshot of {table}: it would tombstone every row")
    _check_as_of(con, table, as_of)
    changed = _dimension_changed(expected, key_cols)
    gone = None
    if full_snapshot:
        cols = ", ".join(f"h.{quote(c)}" for c in expected)
        params: dict[str, object] = {"keep": None if keep_keys is None else list(keep_keys)}
        gone = (
            f"SELECT {cols}, TRUE AS is_deleted, TRUE AS _had_current FROM {_gone_sql(table, key_cols)}",
            params,
        )
    # Live rows carry is_deleted = false so the shared staging SQL treats both merges alike.
    con.register(_INCOMING, frame.select(expected).with_columns(is_deleted=pl.lit(False)))
    try:
        return _apply(
            con,
            table,
            key_cols,
            [*expected, "is_deleted"],
            changed_where=changed,
            gone=gone,
            run_id=run_id,
            as_of=as_of,
            rows_in=frame.height,
        )
    finally:
        con.unregister(_INCOMING)


def _check_key(table: str, key_cols: Sequence[str]) -> None:
    """A dimension is merged on its model's key (models/<schema>/<table>.yml), never on another one."""
    if tuple(key_cols) != (key := table_spec(table).key):
        raise ValueError(f"key_cols {list(key_cols)} must be {table}'s key {list(key)}")


def _dimension_changed(columns: Sequence[str], key_cols: Sequence[str]) -> str:
    """The predicate on an incoming row `i` joined to its current version `h` that makes it a change."""
    attributes = [c for c in columns if c not in key_cols]
    return "h.is_deleted" + (f" OR {_distinct(attributes)}" if attributes else "")


def _gone_sql(table: str, key_cols: Sequence[str]) -> str:
    """FROM-clause tail: the current live versions a full snapshot lacks (`$keep`: keys kept anyway)."""
    natural_key = "concat_ws('/', " + ", ".join(f"h.{quote(k)}::VARCHAR" for k in key_cols) + ")"
    return (
        f"{table} AS h WHERE h.valid_to IS NULL AND NOT h.is_deleted "
        f"AND ($keep::VARCHAR[] IS NULL OR NOT list_contains($keep::VARCHAR[], {natural_key})) "
        f"AND NOT EXISTS (SELECT 1 FROM {_INCOMING} AS i WHERE {_on(key_cols, 'i', 'h')})"
    )


def dimension_changes(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, *, key_cols: Sequence[str]
) -> int:
    """How many versions `merge_dimension(full_snapshot=True)` of `frame` would write (0: none).

    The same predicates as the merge, read-only: it runs against the published file before a build copy
    exists, to decide whether a load changes anything at all.
    """
    expected = table_spec(table).business_columns
    _check_key(table, key_cols)
    _check_frame(frame, key_cols, f"{table} frame")
    con.register(_INCOMING, frame.select(expected))
    try:
        return int(
            scalar(
                con,
                f"SELECT (SELECT count(*) FROM {_INCOMING} AS i "
                f"LEFT JOIN {table} AS h ON {_on(key_cols, 'h', 'i')} AND h.valid_to IS NULL "
                f"WHERE h.{quote(key_cols[0])} IS NULL OR {_dimension_changed(expected, key_cols)}) "
                f"+ (SELECT count(*) FROM {_gone_sql(table, key_cols)})",
                {"keep": None},
            )
        )
    finally:
        con.unregister(_INCOMING)


def changed_values_sql(incoming: str) -> str:
    """SELECT the rows of relation `incoming` (values frame columns, unique keys) that an incremental
    `merge_values_from` would write: new keys and rows differing from the current version. Read-only."""
    cols = ", ".join(f"i.{quote(c)}" for c in VALUE_FRAME_SCHEMA)
    return (
        f"SELECT {cols} FROM {quote(incoming)} AS i "
        f"LEFT JOIN {VALUES_TABLE} AS h ON {_on(VALUE_KEY, 'h', 'i')} AND h.valid_to IS NULL "
        f"WHERE h.{quote(VALUE_KEY[0])} IS NULL OR {_distinct(VALUE_COMPARED)}"
    )
