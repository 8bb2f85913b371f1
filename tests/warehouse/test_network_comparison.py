"""A network's own measures in mart.municipality_comparison (SYNTHETIC warehouse of tests/comparison_data).

The network "trio" lists 0101, 0102 and 0105; the measure values below are invented for the test and
every expected figure is worked out by hand from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests import comparison_data as data
from warehouse import checks, marts
from warehouse.comparison_query import ComparisonFilter, comparison_rows
from warehouse.ddl import ensure_schema
from warehouse.registers import merge_file

# (network, measure, municipality, year, month, value, direction)
MEASURES = [
    ("trio", "BT1", "0101", 2023, None, 60.0, "higher"),
    ("trio", "BT1", "0102", 2023, None, 70.0, "higher"),
    ("trio", "BT1", "0105", 2023, None, 50.0, "higher"),
    ("trio", "BT1", "0101", 2024, None, 64.0, "higher"),
    ("trio", "BT1", "0102", 2024, None, 64.0, "higher"),
    ("trio", "BT1", "0105", 2024, None, None, "higher"),
    ("trio", "VT9", "0101", 2024, None, 12.0, "lower"),
    ("trio", "VT9", "0102", 2024, None, 8.0, "lower"),
    ("trio", "BT1", "0101", 2024, 5, 66.0, "higher"),  # a monthly period: not in the yearly mart
    ("another", "XX1", "0101", 2024, None, 1.0, "higher"),  # delivered for a network not defined here
    # another network's measure with trio's id, kommun and period: its own row, not trio's
    ("another", "BT1", "0101", 2024, None, 99.0, "lower"),
    ("trio", "BT1", "0201", 2024, None, 99.0, "higher"),  # 0201 is not in trio
]


def measure_frame(rows: list[tuple]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={
            "network": pl.String,
            "measure_id": pl.String,
            "municipality_id": pl.String,
            "year": pl.Int32,
            "month": pl.Int32,
            "value": pl.Float64,
            "direction": pl.String,
        },
        orient="row",
    )
    return frame.with_columns(
        measure_title=pl.format("Syntetiskt mått {}", "measure_id"),
        period=pl.when(pl.col("month").is_null())
        .then(pl.col("year").cast(pl.String))
        .otherwise(pl.format("{}-{}", "year", pl.col("month").cast(pl.String).str.zfill(2))),
        status=pl.when(pl.col("value").is_null()).then(pl.lit("X")).otherwise(pl.lit("ok")),
        unit=pl.lit("%"),
        note=pl.lit(None, pl.String),
    )


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    data.build(connection, data.reference_files(tmp_path))
    merge_file(
        connection,
        "core.network_measure",
        measure_frame(MEASURES),
        key_cols=("network", "measure_id", "municipality_id", "period"),
        run_id="network-file",
        as_of=data.AS_OF + timedelta(days=1),
    )
    marts.rebuild(connection)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, kpi: str, year: int) -> dict[str, dict]:
    frame = con.sql(
        "SELECT * FROM mart.municipality_comparison WHERE kpi_id = ? AND year = ? ORDER BY municipality_id",
        params=[kpi, year],
    ).pl()
    return {r["municipality_id"]: r for r in frame.iter_rows(named=True)}


def test_measure_is_compared_within_the_network(con: duckdb.DuckDBPyConnection) -> None:
    by_kommun = rows(con, "BT1", 2024)
    assert set(by_kommun) == {"0101", "0102", "0105"}  # 0201 is no member; monthly 66.0 left out
    a = by_kommun["0101"]
    assert (a["peer_set_kind"], a["peer_set_id"], a["gender"], a["value"]) == (
        "network",
        "network:trio",
        "T",
        64.0,
    )
    # peers 0102 = 64 and 0105 = NULL: the tie shares the best rank
    assert (a["n_peers"], a["n_peers_with_value"], a["peer_mean"], a["peer_median"]) == (2, 1, 64.0, 64.0)
    assert (a["rank_in_peers"], a["n_ranked"]) == (1, 2)
    assert (a["delta_prev_year"], a["peer_mean_delta_prev_year"]) == (4.0, 64.0 - 60.0)
    assert a["national_value"] is None and a["national_rank"] is None and a["n_national"] is None
    assert a["kpi_title"] == "Syntetiskt mått BT1" and a["municipality_title"] == "Aby"
    assert a["source_note"].startswith("Källa: nätverkets egen fil")
    e = by_kommun["0105"]
    assert (e["value"], e["rank_in_peers"], e["colour_band"], e["n_ranked"]) == (None, None, "grey", 2)


def test_ranks_and_colours_follow_the_direction(con: duckdb.DuckDBPyConnection) -> None:
    by_kommun = rows(con, "BT1", 2023)  # 60, 70, 50, higher is better; quartiles 55 and 65
    assert {k: r["rank_in_peers"] for k, r in by_kommun.items()} == {"0101": 2, "0102": 1, "0105": 3}
    assert {k: r["colour_band"] for k, r in by_kommun.items()} == {
        "0101": "yellow",
        "0102": "green",
        "0105": "red",
    }
    lower = rows(con, "VT9", 2024)  # 8 beats 12
    assert {k: (r["rank_in_peers"], r["peer_mean"]) for k, r in lower.items()} == {
        "0101": (2, 8.0),
        "0102": (1, 12.0),
    }


def test_unknown_networks_and_kolada_rows_are_untouched(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "XX1", 2024) == {}
    kolada = con.execute(
        "SELECT count(*) FROM mart.municipality_comparison WHERE source_note LIKE 'Källa: Kolada%'"
    ).fetchone()
    assert kolada[0] > 0


def test_chunked_and_patched_builds_keep_the_network_rows(con: duckdb.DuckDBPyConnection) -> None:
    whole = checks.table_hashes(con, ["mart"])
    marts.rebuild(con, chunk_values=1)
    assert checks.table_hashes(con, ["mart"]) == whole
    marts.rebuild(con, kpis=[data.K1, "BT1"])
    assert checks.table_hashes(con, ["mart"]) == whole


def test_compare_shows_the_network_measures(con: duckdb.DuckDBPyConnection) -> None:
    shown = comparison_rows(con, "0101", ComparisonFilter(network="trio"))
    network_rows = shown.filter(pl.col("kpi_id") == "BT1")
    assert network_rows.select("year", "value", "peer_set_id").rows() == [(2024, 64.0, "network:trio")]


def test_each_network_keeps_its_own_value_of_a_shared_measure_id(con: duckdb.DuckDBPyConnection) -> None:
    current = con.execute(
        "SELECT network, value FROM core.network_measure WHERE measure_id = 'BT1' "
        "AND municipality_id = '0101' AND period = '2024' AND valid_to IS NULL ORDER BY 1"
    ).fetchall()
    assert current == [("another", 99.0), ("trio", 64.0)]
    # "another" is in no networks file here: compared nowhere, and trio's figures are its own
    assert {r["peer_set_id"] for r in rows(con, "BT1", 2024).values()} == {"network:trio"}
