"""Load functions for the file-fed tables: merges into core.population / core.register_value /
core.network_measure and the ledger of loaded files (meta.loaded_file); mart.population_year (the
year-end population per unit, from core.population) is the model models/mart/population_year.sql.

A file's rows merge like any SCD2 dimension (new keys inserted, changed values versioned, unchanged
rows untouched). A corrected re-delivery of the same logical file additionally tombstones the rows of
its coverage (tables/measures x periods x regions) that it no longer contains, so the current state
is exactly the newest delivery while history keeps both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from models.catalogue import table as table_spec
from warehouse import history
from warehouse.ddl import quote, scalar

FILE_TARGETS = ("core.population", "core.register_value", "core.network_measure")
# what a file is "about" in each table: the coverage a re-delivery replaces
IDENTITY_SQL = {
    "core.population": "h.source_table",
    "core.register_value": "h.source || '/' || h.measure",
    "core.network_measure": "h.network || '/' || h.measure_id",
}
_INCOMING = "_jamfor_file_incoming"
_GONE = "_jamfor_file_gone"


@dataclass(frozen=True)
class Coverage:
    """What a superseding delivery covers: identities (see IDENTITY_SQL), periods and municipality ids."""

    identities: Sequence[str]
    periods: Sequence[str]
    municipalities: Sequence[str]


def merge_file(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    *,
    key_cols: Sequence[str],
    run_id: str,
    as_of: datetime,
    supersedes: Coverage | None = None,
) -> history.MergeStats:
    """Merge one file's valid rows; with `supersedes`, tombstone the covered rows the file lacks."""
    if table not in FILE_TARGETS:
        raise ValueError(f"{table} is not a file-fed table; expected one of {FILE_TARGETS}")
    stats = history.merge_dimension(
        con, table, frame, key_cols=key_cols, run_id=run_id, as_of=as_of, full_snapshot=False
    )
    if supersedes is None:
        return stats
    return stats + history.MergeStats(
        deleted=_tombstone_missing(con, table, frame, key_cols, supersedes, run_id, as_of)
    )


def _tombstone_missing(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    key_cols: Sequence[str],
    scope: Coverage,
    run_id: str,
    as_of: datetime,
) -> int:
    """Close current covered rows absent from `frame` and append tombstone versions; return how many."""
    business = table_spec(table).business_columns
    cols = ", ".join(quote(c) for c in business)
    keys = ", ".join(quote(k) for k in key_cols)
    match = " AND ".join(f"g.{quote(k)} = h.{quote(k)}" for k in key_cols)
    con.register(_INCOMING, frame.select(list(key_cols)))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_GONE} AS SELECT {', '.join('h.' + quote(c) for c in business)} "
            f"FROM {table} AS h WHERE h.valid_to IS NULL AND NOT h.is_deleted "
            f"AND list_contains($ids::VARCHAR[], {IDENTITY_SQL[table]}) "
            "AND list_contains($periods::VARCHAR[], h.period) "
            "AND list_contains($units::VARCHAR[], h.municipality_id) "
            f"AND NOT EXISTS (SELECT 1 FROM {_INCOMING} AS g WHERE {match})",
            {
                "ids": list(scope.identities),
                "periods": list(scope.periods),
                "units": list(scope.municipalities),
            },
        )
    finally:
        con.unregister(_INCOMING)
    gone = scalar(con, f"SELECT count(*) FROM {_GONE}")
    if gone:
        con.execute(
            f"UPDATE {table} AS h SET valid_to = $as_of FROM {_GONE} AS g "
            f"WHERE {match} AND h.valid_to IS NULL",
            {"as_of": as_of},
        )
        con.execute(
            f"INSERT INTO {table} ({cols}, valid_from, valid_to, is_deleted, load_run_id) "
            f"SELECT {cols}, $as_of, NULL, TRUE, $run_id FROM {_GONE} ORDER BY {keys}",
            {"as_of": as_of, "run_id": run_id},
        )
    con.execute(f"DROP TABLE {_GONE}")
    return int(gone)


def loaded_files(con: duckdb.DuckDBPyConnection, hashes: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """sha256 -> (path, run_id, kind) for the given hashes already in meta.loaded_file."""
    rows = con.execute(
        "SELECT sha256, path, run_id, kind FROM meta.loaded_file WHERE list_contains($h::VARCHAR[], sha256)",
        {"h": list(hashes)},
    ).fetchall()
    return {sha: (path, run_id, kind) for sha, path, run_id, kind in rows}


def current_deliveries(con: duckdb.DuckDBPyConnection, logical_key: str) -> list[str]:
    """Hashes of not-yet-superseded files with this logical key (what a re-delivery replaces)."""
    rows = con.execute(
        "SELECT sha256 FROM meta.loaded_file WHERE logical_key = ? AND superseded_by IS NULL "
        "ORDER BY loaded_at",
        [logical_key],
    ).fetchall()
    return [sha for (sha,) in rows]


def record_file(
    con: duckdb.DuckDBPyConnection, entry: dict[str, object], supersedes: Sequence[str] = ()
) -> None:
    """Insert one meta.loaded_file row and point the files it supersedes at it."""
    columns = [c.name for c in table_spec("meta.loaded_file").columns if c.name != "superseded_by"]
    missing = sorted(set(columns) - set(entry))
    if missing:
        raise ValueError(f"loaded_file entry lacks {missing}")
    con.execute(
        f"INSERT INTO meta.loaded_file ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [entry[c] for c in columns],
    )
    if supersedes:
        con.execute(
            "UPDATE meta.loaded_file SET superseded_by = $new WHERE list_contains($old::VARCHAR[], sha256)",
            {"new": entry["sha256"], "old": list(supersedes)},
        )


def municipality_reference(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Current Kolada units (kommuner, regions as 'lan', riket) as (municipality_id, name, kind)."""
    return con.sql(
        "SELECT municipality_id, title AS name, CASE kind WHEN 'region' THEN 'lan' ELSE kind END AS kind "
        "FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted AND title IS NOT NULL "
        "AND kind IN ('kommun', 'region', 'riket')"
    ).pl()
