"""The connection steps of a load (pipeline.skeleton runs them in order): the build copy under the
load's DuckDB tuning, the reference refresh, the one mart-refresh policy, and what the published file
already holds (a batch of delivered files, a scope's watermark).

Everything here takes or opens a DuckDB connection; pipeline/ hands connections through as the opaque
`Connection` and never runs SQL itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TypeAlias

import duckdb
import polars as pl

from warehouse import checks, datatests, history, marts, runs
from warehouse import registers as wh_files
from warehouse.ddl import present_tables
from warehouse.publish import building, connect_readonly
from warehouse.reference import ReferenceInputs, read_inputs, reference_tables, write_reference

Connection: TypeAlias = duckdb.DuckDBPyConnection
# sha256 -> (path, run_id, kind) of a file already in meta.loaded_file
KnownFiles: TypeAlias = dict[str, tuple[str, str, str]]
_NO_UNITS = pl.DataFrame(schema={"municipality_id": pl.String, "name": pl.String, "kind": pl.String})


def build_copy(
    warehouse: Path, *, run_id: str, config: Mapping[str, str]
) -> AbstractContextManager[Connection]:
    """The build copy of `warehouse` with DuckDB `config` (memory limit, threads), published atomically
    when the body ends normally, deleted when it raises. The caller holds the writer lock."""
    return building(warehouse, run_id=run_id, lock_held=True, config=config)


def replace_reference(con: Connection, frames: Callable[[ReferenceInputs], dict[str, pl.DataFrame]]) -> bool:
    """Rewrite the reference tables with `frames` of the current dimensions; whether any table changed."""
    tables = reference_tables()
    before = checks.fingerprint(con, tables)
    write_reference(con, frames(read_inputs(con)))
    return checks.fingerprint(con, tables) != before


def refresh_marts(
    con: Connection,
    written: Mapping[str, int],
    *,
    run_id: str,
    reference_changed: bool,
    chunk_values: int,
) -> tuple[dict[str, int], list[str]]:
    """Rebuild the marts a load made stale; return (rows per mart rebuilt, marts left as they were).

    Marts are a pure function of core + reference tables, and `written` holds the rows each core table
    got this run. Nothing written and no reference change: only missing marts are built. Only
    core.kpi_value_history written: the KPI-wise marts replace the rows of the KPIs this run wrote (a
    monthly run touches a few), the rest are rebuilt, and the data tests of the history and of the
    patched marts read only those KPIs' rows (warehouse.datatests.limit_to_kpis). Otherwise (dimensions,
    file-fed tables or reference tables changed) every mart is rebuilt.
    """
    changed = {table for table, rows in written.items() if rows}
    if not changed and not reference_changed:
        rebuilt = marts.rebuild(con, marts.missing(con))
    elif changed == {history.VALUES_TABLE} and not reference_changed:
        kpis = history.kpis_written(con, run_id)
        patched = marts.patched_tables(con)
        rebuilt = marts.rebuild(con, kpis=kpis, chunk_values=chunk_values)
        datatests.limit_to_kpis(con, [history.VALUES_TABLE, *patched], kpis)
    else:
        rebuilt = marts.rebuild(con, chunk_values=chunk_values)
    return rebuilt, [m.table for m in marts.MARTS if m.table not in rebuilt]


def published_files(warehouse: Path, hashes: list[str]) -> tuple[KnownFiles, pl.DataFrame]:
    """Of the published file (if any): which of the content hashes are loaded already, and the Kolada
    units (municipality_id, name, kind) delivered files are checked against."""
    if not warehouse.exists():
        return {}, _NO_UNITS
    con = connect_readonly(warehouse)
    try:
        known = wh_files.loaded_files(con, hashes) if "meta.loaded_file" in present_tables(con) else {}
        return known, wh_files.municipality_reference(con)
    finally:
        con.close()


def published_watermark(warehouse: Path, source: str, scope_key: str) -> date | None:
    """The watermark of `source`/`scope_key` in the published file; None without a file or watermark."""
    if not warehouse.exists():
        return None
    con = connect_readonly(warehouse)
    try:
        return runs.get_watermark(con, source, scope_key)
    finally:
        con.close()
