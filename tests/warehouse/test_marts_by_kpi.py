"""Partial mart rebuilds: replacing the changed KPIs' rows equals rebuilding everything.

On the SYNTHETIC warehouse of tests/comparison_data (invented values; see that module).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests import comparison_data as data
from warehouse import checks, datatests, history, marts
from warehouse.ddl import ensure_schema
from warehouse.load import refresh_marts


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    data.build(connection, data.reference_files(tmp_path))
    yield connection
    connection.close()


def _revise(con: duckdb.DuckDBPyConnection) -> list[str]:
    """K1 revised (one value changed, one new kommun, one tombstone), K3 gains a year; run "r2"."""
    rows = [
        (data.K1, "0101", 2020, "T", 52.0),
        (data.K1, "0105", 2020, "T", 61.0),
        (data.K3, "0101", 2021, "T", 110.0),
    ]
    frame = data.values_frame(rows)
    gone = data.values_frame([(data.K1, "0104", 2019, "T", None)]).with_columns(is_deleted=pl.lit(True))
    history.merge_values(
        con, pl.concat([frame, gone]), run_id="r2", as_of=data.AS_OF + timedelta(days=1), scope=None
    )
    return history.kpis_written(con, "r2")


def test_kpis_written_names_the_changed_kpis(con: duckdb.DuckDBPyConnection) -> None:
    assert _revise(con) == sorted([data.K1, data.K3])


def test_partial_rebuild_equals_full_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    before = checks.table_hashes(con, ["mart"])
    # a sentinel row of an untouched KPI survives only if the KPI-wise marts were not rebuilt whole
    sentinel = "U99999"
    con.execute(
        f"INSERT INTO mart.kpi_value SELECT * REPLACE ('{sentinel}' AS kpi_id) FROM mart.kpi_value LIMIT 1"
    )
    changed = _revise(con)
    rows = marts.rebuild(con, kpis=changed)
    deleted = con.execute("DELETE FROM mart.kpi_value WHERE kpi_id = ?", [sentinel]).fetchall()
    assert deleted == [(1,)]
    rows["mart.kpi_value"] -= 1
    partial = checks.table_hashes(con, ["mart"])
    full_rows = marts.rebuild(con)
    assert checks.table_hashes(con, ["mart"]) == partial
    assert rows == full_rows
    # the revision did change the KPI-wise marts (so the comparison above is not vacuous)
    assert partial["mart.kpi_value"] != before["mart.kpi_value"]
    assert partial["mart.municipality_comparison"] != before["mart.municipality_comparison"]
    revised = con.execute(
        "SELECT value, delta_prev_year FROM mart.municipality_comparison "
        "WHERE municipality_id = '0101' AND kpi_id = ? AND year = 2020 AND gender = 'T' "
        "AND peer_set_id = 'riket'",
        [data.K1],
    ).fetchall()
    assert revised == [(52.0, 12.0)]


def test_a_missing_mart_is_built_whole(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE mart.municipality_comparison")
    changed = _revise(con)
    marts.rebuild(con, kpis=changed)
    partial = checks.table_hashes(con, ["mart"])
    marts.rebuild(con)
    assert checks.table_hashes(con, ["mart"]) == partial


def test_by_kpi_needs_a_kpi_column() -> None:
    with pytest.raises(ValueError, match="no kpi_id column"):
        marts.parse_model(
            "mart.population_year",
            "-- depends_on: core.population\n-- by_kpi: true\nSELECT * FROM core.population",
        )


def test_chunked_build_equals_one_build(con: duckdb.DuckDBPyConnection) -> None:
    """Building the KPI-wise marts one KPI at a time gives the same tables as building them at once."""
    whole = marts.rebuild(con, chunk_values=10**9)
    at_once = checks.table_hashes(con, ["mart"])
    assert len(marts.kpi_chunks(con, None, 1)) == len(marts.kpi_chunks(con, None, 10**9)[0]) > 1
    assert marts.rebuild(con, chunk_values=1) == whole
    assert checks.table_hashes(con, ["mart"]) == at_once


def test_kpi_chunks_pack_by_value_count(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute(
            "SELECT kpi_id, count(*) FROM core.kpi_value_history WHERE valid_to IS NULL AND NOT is_deleted "
            "GROUP BY ALL"
        ).fetchall()
    )
    chunks = marts.kpi_chunks(con, None, 12)
    assert [k for chunk in chunks for k in chunk] == sorted(counts)
    for chunk in chunks:
        assert len(chunk) == 1 or sum(counts[k] for k in chunk) <= 12
    assert marts.kpi_chunks(con, [data.K3, "U00000"], 12) == [[data.K3]]


def test_a_mart_of_no_values_is_emptied(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM core.kpi_value_history")
    marts.rebuild(con)
    assert con.execute("SELECT count(*) FROM mart.municipality_comparison").fetchone() == (0,)


def test_a_values_only_load_tests_only_the_rows_it_rewrote(con: duckdb.DuckDBPyConnection) -> None:
    changed = _revise(con)
    refresh_marts(
        con, {history.VALUES_TABLE: 4}, run_id="r2", reference_changed=False, chunk_values=marts.CHUNK_VALUES
    )
    by_kpi = {m.table for m in marts.MARTS if m.by_kpi}
    assert datatests.limited_tables(con) == {history.VALUES_TABLE} | by_kpi
    limited = con.execute(f"SELECT kpi_id FROM temp.main.{datatests.SCOPE_KPIS} ORDER BY kpi_id").fetchall()
    assert [k for (k,) in limited] == changed


def test_a_load_that_changed_dimensions_tests_everything(con: duckdb.DuckDBPyConnection) -> None:
    _revise(con)
    refresh_marts(
        con,
        {history.VALUES_TABLE: 4, "core.municipality": 1},
        run_id="r2",
        reference_changed=False,
        chunk_values=marts.CHUNK_VALUES,
    )
    assert datatests.limited_tables(con) == set()
