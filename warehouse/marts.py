"""Marts: analyst-facing tables rebuilt from the core tables with CREATE OR REPLACE ... AS SELECT.

Each mart is a registered builder returning its SELECT; `rebuild` materialises them all, checks the
result against the mart's spec (so every column is documented) and re-applies the comments, which
CREATE OR REPLACE drops.

A mart registered with `by_kpi=True` is a pure function, KPI by KPI, of that KPI's values plus the
dimensions and reference tables: its builder also takes `only`, the name of a temp table of kpi_ids,
and then selects just their rows. When a load changed values only, `rebuild(..., kpis=[...])` replaces
those KPIs' rows (DELETE + INSERT) instead of rebuilding the whole table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from models.catalogue import Table as TableSpec
from models.catalogue import table as table_spec
from warehouse.ddl import SchemaDriftError, apply_comments, quote, scalar

MartSelect = Callable[..., str]
# the temp table of kpi_ids a partial rebuild selects (one column, kpi_id)
ONLY_KPIS = "_jamfor_mart_kpis"
# default KPI chunk of a by-KPI mart build, in current values (flows pass Tuning.mart_chunk_values)
CHUNK_VALUES = 500_000


@dataclass(frozen=True)
class Mart:
    """A mart: its `schema.table` (must be in warehouse.spec), the builder of its SELECT, and whether
    the builder can select a subset of KPIs (`by_kpi`: called as select(con, only=<temp table>))."""

    table: str
    select: MartSelect
    by_kpi: bool = False


MARTS: list[Mart] = []


def register(table: str, *, by_kpi: bool = False) -> Callable[[MartSelect], MartSelect]:
    """Decorator: register a builder for `table` (spec lookup fails early on an undocumented mart)."""
    spec = table_spec(table)
    if spec.kind != "mart":
        raise ValueError(f"{table} is not a mart in warehouse.spec")
    if by_kpi and "kpi_id" not in {c.name for c in spec.columns}:
        raise ValueError(f"{table} has no kpi_id column, so it cannot be rebuilt by KPI")

    def decorate(builder: MartSelect) -> MartSelect:
        MARTS.append(Mart(table, builder, by_kpi))
        return builder

    return decorate


def kpi_filter(column: str, only: str | None) -> str:
    """SQL predicate: `column` is one of the KPIs of the partial rebuild (TRUE for a full rebuild)."""
    return "TRUE" if only is None else f"{column} IN (SELECT kpi_id FROM {quote(only)})"


@register("mart.kpi_value", by_kpi=True)
def kpi_value(con: duckdb.DuckDBPyConnection, only: str | None = None) -> str:
    """Current, non-deleted values with KPI and unit labels; LEFT JOINs keep values of unknown ids."""
    return f"""
        SELECT h.kpi_id, k.title AS kpi_title, k.operating_area, h.municipality_id,
               m.title AS municipality_title, m.kind AS municipality_kind, h.year, h.gender, h.value,
               h.status, h.is_preliminary, h.source, h.fetched_at
        FROM core.kpi_value_history AS h
        LEFT JOIN core.kpi AS k
               ON k.kpi_id = h.kpi_id AND k.valid_to IS NULL AND NOT k.is_deleted
        LEFT JOIN core.municipality AS m
               ON m.municipality_id = h.municipality_id AND m.valid_to IS NULL AND NOT m.is_deleted
        WHERE h.valid_to IS NULL AND NOT h.is_deleted AND {kpi_filter("h.kpi_id", only)}
        ORDER BY h.kpi_id, h.municipality_id, h.year, h.gender
    """


def missing(con: duckdb.DuckDBPyConnection) -> list[Mart]:
    """Registered marts whose table does not exist yet (a new warehouse, or a mart added by an upgrade)."""
    present = set(_present_tables(con))
    return [mart for mart in MARTS if mart.table not in present]


def rebuild(
    con: duckdb.DuckDBPyConnection,
    marts: list[Mart] | None = None,
    *,
    kpis: Sequence[str] | None = None,
    chunk_values: int = CHUNK_VALUES,
) -> dict[str, int]:
    """Rebuild every registered mart (or the given ones); return rows per mart.

    `kpis` given: only those KPIs changed (dimensions and reference tables did not), so a `by_kpi` mart
    that exists replaces just their rows; every other mart is rebuilt whole. A `by_kpi` mart is built in
    chunks of KPIs holding at most ~`chunk_values` current values each, so the memory a build needs is
    bounded by the chunk, not by the warehouse (a 10 M value comparison mart at once needs > 2 GB).
    """
    rows: dict[str, int] = {}
    present = {m.table for m in MARTS} - {m.table for m in missing(con)}
    try:
        for mart in MARTS if marts is None else marts:
            spec = table_spec(mart.table)
            target = f"{quote(spec.schema)}.{quote(spec.name)}"
            patch = mart.by_kpi and kpis is not None and mart.table in present
            if mart.by_kpi:
                chunks = kpi_chunks(con, kpis if patch else None, chunk_values)
                if patch:
                    _only(con, kpis or [])
                    con.execute(f"DELETE FROM {target} WHERE {kpi_filter('kpi_id', ONLY_KPIS)}")
                elif not chunks:  # no values at all: the (empty) table from the whole-table SELECT
                    con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.select(con)}")
                for n, chunk in enumerate(chunks):
                    _only(con, chunk)
                    if n == 0 and not patch:
                        con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.select(con, only=ONLY_KPIS)}")
                    else:
                        con.execute(f"INSERT INTO {target} {mart.select(con, only=ONLY_KPIS)}")
            else:
                con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.select(con)}")
            if not patch:
                _check_built(con, spec)
                apply_comments(con, [spec])
            rows[mart.table] = scalar(con, f"SELECT count(*) FROM {target}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ONLY_KPIS}")
    return rows


def kpi_chunks(
    con: duckdb.DuckDBPyConnection, kpis: Sequence[str] | None, chunk_values: int
) -> list[list[str]]:
    """The KPIs (and network measures) with current values (all, or those of `kpis`) in kpi_id order,
    packed into chunks of at most `chunk_values` values (a KPI larger than that is a chunk of its own)."""
    # a network's own measure ids count as KPIs too: mart.municipality_comparison compares them
    counts = con.execute(
        "SELECT kpi_id, count(*) FROM ("
        "SELECT kpi_id FROM core.kpi_value_history WHERE valid_to IS NULL AND NOT is_deleted UNION ALL "
        "SELECT measure_id FROM core.network_measure WHERE valid_to IS NULL AND NOT is_deleted) "
        "WHERE $kpis::VARCHAR[] IS NULL OR list_contains($kpis::VARCHAR[], kpi_id) "
        "GROUP BY kpi_id ORDER BY kpi_id",
        {"kpis": None if kpis is None else list(kpis)},
    ).fetchall()
    chunks: list[list[str]] = []
    size = chunk_values
    for kpi, n in counts:  # one entry per KPI (~1,150 in the full scope), not per value
        if size + n > chunk_values and (not chunks or chunks[-1]):
            chunks.append([])
            size = 0
        chunks[-1].append(kpi)
        size += n
    return chunks


def _only(con: duckdb.DuckDBPyConnection, kpis: Sequence[str]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ONLY_KPIS} AS SELECT unnest($k::VARCHAR[]) AS kpi_id",
        {"k": list(kpis)},
    )


def _present_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    ]


def _check_built(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    built = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [spec.schema, spec.name],
    ).fetchall()
    expected = [(c.name, c.type) for c in spec.columns]
    if built != expected:
        raise SchemaDriftError(f"{spec.schema}.{spec.name} built columns {built} != spec {expected}")
