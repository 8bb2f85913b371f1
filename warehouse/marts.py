"""Marts: analyst-facing tables rebuilt from the core tables, one SQL model per mart.

Each mart is `models/mart/<name>.sql`: a CTE chain ending in one SELECT that can be pasted into the
`duckdb` CLI against a published warehouse. Its header declares what it reads and how it is built:

    -- depends_on: core.kpi_value_history, core.kpi, mart.kpi_value
    -- by_kpi: true

`MARTS` is every model, ordered so that a mart comes after the marts it depends on (a cycle or a
dependency on an unknown mart is a one-line error). `rebuild` materialises them with CREATE OR REPLACE
TABLE ... AS <the file's SQL> (the only text put around a model's SQL), checks the built columns against
the model catalogue (models/mart/<name>.yml) and re-applies the comments, which CREATE OR REPLACE drops.

A `by_kpi` mart is a pure function, KPI by KPI, of that KPI's values plus the dimensions and reference
tables: its SQL keeps only the KPIs of the temp table `mart_kpis` (one column, kpi_id). The runner fills
it with a chunk of KPIs at a time (bounded memory), and when a load changed values only,
`rebuild(..., kpis=[...])` replaces those KPIs' rows (DELETE + INSERT) instead of the whole table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from models.catalogue import Table as TableSpec
from models.catalogue import table as table_spec
from warehouse.ddl import SchemaDriftError, apply_comments, present_tables, quote, scalar

MODELS = Path(__file__).resolve().parent.parent / "models" / "mart"
# the temp table of kpi_ids a by_kpi model selects (one column, kpi_id); the models name it literally
MART_KPIS = "mart_kpis"
# default KPI chunk of a by-KPI mart build, in current values (flows pass Tuning.mart_chunk_values)
CHUNK_VALUES = 500_000
LAYERS = ("raw", "staging", "core", "mart", "meta")
_HEADER = re.compile(r"^--\s*(depends_on|by_kpi):(.*)$", re.MULTILINE)
_TABLE_REF = re.compile(r"\b(" + "|".join(LAYERS) + r")\.([a-z_][a-z0-9_]*)\b")


class MartModelError(ValueError):
    """A model that cannot be built as declared (bad header, cycle, unknown dependency); one line."""


@dataclass(frozen=True)
class Mart:
    """One mart model: its `schema.table` (declared in models/mart/<name>.yml), its SQL, the tables it reads
    (`depends_on`, as declared) and whether it is built KPI by KPI (`by_kpi`, filtered by mart_kpis)."""

    table: str
    sql: str
    depends_on: tuple[str, ...]
    by_kpi: bool = False


def without_comments(sql: str) -> str:
    """The SQL with its `--` comments removed (string literals, which may hold `--`, kept)."""
    return re.sub(r"('(?:[^']|'')*')|--[^\n]*", lambda m: m.group(1) or "", sql)


def referenced_tables(sql: str) -> set[str]:
    """Every `schema.table` of the warehouse layers that the SQL names outside comments and literals."""
    code = re.sub(r"'(?:[^']|'')*'", "''", without_comments(sql))
    return {f"{schema}.{name}" for schema, name in _TABLE_REF.findall(code)}


def parse_model(table: str, sql: str) -> Mart:
    """The Mart of `table` from its model text; the header's depends_on must be exactly what it reads."""
    header = {key: value.strip() for key, value in _HEADER.findall(sql)}
    if "depends_on" not in header:
        raise MartModelError(f"{table}: the model has no '-- depends_on:' header line")
    depends = tuple(d.strip() for d in header["depends_on"].split(",") if d.strip())
    if set(depends) != referenced_tables(sql):
        raise MartModelError(
            f"{table}: depends_on {sorted(depends)} != tables the SQL reads {sorted(referenced_tables(sql))}"
        )
    by_kpi = header.get("by_kpi", "false").lower() == "true"
    spec = table_spec(table)
    if spec.kind != "mart":
        raise MartModelError(f"{table} is not a mart in the model catalogue (models/)")
    if by_kpi and "kpi_id" not in spec.column_names:
        raise MartModelError(f"{table} has no kpi_id column, so it cannot be rebuilt by KPI")
    return Mart(table, sql, depends, by_kpi)


def build_order(models: Sequence[Mart]) -> list[Mart]:
    """The models, each after the marts it depends on (ties by name); cycles and unknown marts fail."""
    by_table = {m.table: m for m in models}
    for mart in models:
        unknown = [d for d in mart.depends_on if d.startswith("mart.") and d not in by_table]
        if unknown:
            raise MartModelError(f"{mart.table} depends on {', '.join(unknown)}, which no model builds")
    ordered: list[Mart] = []
    waiting = dict(by_table)
    while waiting:
        ready = sorted(t for t, m in waiting.items() if not set(m.depends_on) & set(waiting))
        if not ready:
            raise MartModelError(f"mart dependencies form a cycle among {', '.join(sorted(waiting))}")
        ordered += [waiting.pop(t) for t in ready[:1]]
    return ordered


def discover(directory: Path = MODELS) -> list[Mart]:
    """Every `<name>.sql` of `directory` as mart.<name>, in build order."""
    return build_order(
        [parse_model(f"mart.{p.stem}", p.read_text(encoding="utf-8")) for p in directory.glob("*.sql")]
    )


MARTS: list[Mart] = discover()


def missing(con: duckdb.DuckDBPyConnection) -> list[Mart]:
    """Marts whose table does not exist yet (a new warehouse, or a mart added by an upgrade)."""
    present = present_tables(con)
    return [mart for mart in MARTS if mart.table not in present]


def patched_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts `rebuild(con, kpis=...)` patches KPI by KPI instead of rebuilding: the by_kpi marts the
    file holds already (a missing one is built whole)."""
    present = present_tables(con)
    return [mart.table for mart in MARTS if mart.by_kpi and mart.table in present]


def rebuild(
    con: duckdb.DuckDBPyConnection,
    marts: list[Mart] | None = None,
    *,
    kpis: Sequence[str] | None = None,
    chunk_values: int = CHUNK_VALUES,
) -> dict[str, int]:
    """Rebuild every mart in build order (or the given ones, in the given order); return rows per mart.

    `kpis` given: only those KPIs changed (dimensions and reference tables did not), so a `by_kpi` mart
    that exists replaces just their rows; every other mart is rebuilt whole. A `by_kpi` mart is built in
    chunks of KPIs holding at most ~`chunk_values` current values each, so the memory a build needs is
    bounded by the chunk, not by the warehouse (a 10 M value comparison mart at once needs > 2 GB).
    """
    rows: dict[str, int] = {}
    patched = set(patched_tables(con)) if kpis is not None else set()
    try:
        for mart in MARTS if marts is None else marts:
            rows[mart.table] = _build(con, mart, kpis if mart.table in patched else None, chunk_values)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {MART_KPIS}")
    return rows


def _build(con: duckdb.DuckDBPyConnection, mart: Mart, kpis: Sequence[str] | None, chunk_values: int) -> int:
    """Build one mart (patch the KPIs `kpis` of an existing by_kpi mart); return its rows."""
    spec = table_spec(mart.table)
    target = f"{quote(spec.schema)}.{quote(spec.name)}"
    patch = mart.by_kpi and kpis is not None
    if mart.by_kpi:
        chunks = kpi_chunks(con, kpis if patch else None, chunk_values)
        if patch:
            _set_kpis(con, kpis or [])
            con.execute(f"DELETE FROM {target} WHERE kpi_id IN (SELECT kpi_id FROM {MART_KPIS})")
        elif not chunks:  # no values at all: the empty table the SQL gives for no KPIs
            _set_kpis(con, [])
            con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.sql}")
        for n, chunk in enumerate(chunks):
            _set_kpis(con, chunk)
            if n == 0 and not patch:
                con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.sql}")
            else:
                con.execute(f"INSERT INTO {target} {mart.sql}")
    else:
        con.execute(f"CREATE OR REPLACE TABLE {target} AS {mart.sql}")
    if not patch:
        _check_built(con, spec)
        apply_comments(con, [spec])
    return scalar(con, f"SELECT count(*) FROM {target}")


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


def _set_kpis(con: duckdb.DuckDBPyConnection, kpis: Sequence[str]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MART_KPIS} AS SELECT unnest($k::VARCHAR[]) AS kpi_id",
        {"k": list(kpis)},
    )


def _check_built(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    built = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [spec.schema, spec.name],
    ).fetchall()
    expected = [(c.name, c.type) for c in spec.columns]
    if built != expected:
        raise SchemaDriftError(f"{spec.schema}.{spec.name} built columns {built} != spec {expected}")
