"""warehouse.registers: merges of file rows (twice = no-op, revisions, superseding re-deliveries),
the loaded-file ledger, the municipality reference and mart.population_year, on real fixture rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from sources.files import read_delivery, read_municipality_list
from sources.fixtures import fixtures_dir
from transforms.files.population import population_from_scb_csv
from transforms.files.regions import build_reference
from warehouse import marts
from warehouse import registers as reg

T0 = datetime(2026, 1, 5, tzinfo=UTC)
KEY = ("source_table", "municipality_id", "period", "sex", "age")


@pytest.fixture(scope="module")
def befolkning() -> pl.DataFrame:
    """The 290 real rows of SCB's befolkning.csv (2017) as a core.population frame."""
    ref = build_reference(read_municipality_list(fixtures_dir() / "municipalities/municipality_county.csv"))
    table = read_delivery(fixtures_dir() / "scb/web_export/befolkning.csv").table
    return population_from_scb_csv(table.to_frame(), table.header, ref, "befolkning.csv").valid


def merge(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, at: datetime, run: str, cover: bool = False):
    scope = reg.Coverage(["scb-web-export"], ["2017"], sorted(frame["municipality_id"])) if cover else None
    return reg.merge_file(con, "core.population", frame, key_cols=KEY, run_id=run, as_of=at, supersedes=scope)


def test_merge_twice_writes_nothing_the_second_time(
    con: duckdb.DuckDBPyConnection, befolkning: pl.DataFrame
) -> None:
    first = merge(con, befolkning, T0, "r1")
    assert (first.inserted, first.revised, first.deleted, first.unchanged) == (290, 0, 0, 0)
    before = con.sql("SELECT * FROM core.population ORDER BY ALL").fetchall()
    second = merge(con, befolkning, T0 + timedelta(days=1), "r2", cover=True)
    assert (second.inserted, second.revised, second.deleted, second.unchanged) == (0, 0, 0, 290)
    assert con.sql("SELECT * FROM core.population ORDER BY ALL").fetchall() == before


def test_superseding_delivery_revises_and_tombstones_keeping_history(
    con: duckdb.DuckDBPyConnection, befolkning: pl.DataFrame
) -> None:
    merge(con, befolkning, T0, "r1")
    # synthetic correction: Upplands Väsby revised, Vallentuna dropped
    corrected = befolkning.filter(pl.col("municipality_id") != "0115").with_columns(
        population=pl.when(pl.col("municipality_id") == "0114").then(44606).otherwise(pl.col("population"))
    )
    scope = reg.Coverage(["scb-web-export"], ["2017"], sorted(befolkning["municipality_id"]))
    stats = reg.merge_file(
        con,
        "core.population",
        corrected,
        key_cols=KEY,
        run_id="r2",
        as_of=T0 + timedelta(days=1),
        supersedes=scope,
    )
    assert (stats.revised, stats.deleted, stats.unchanged) == (1, 1, 288)
    history = con.sql(
        "SELECT municipality_id, population, is_deleted, valid_to IS NULL AS current, load_run_id "
        "FROM core.population WHERE municipality_id IN ('0114', '0115') ORDER BY municipality_id, valid_from"
    ).fetchall()
    assert history == [
        ("0114", 44605, False, False, "r1"),
        ("0114", 44606, False, True, "r2"),
        ("0115", 33175, False, False, "r1"),
        ("0115", 33175, True, True, "r2"),
    ]


def test_without_supersede_nothing_is_tombstoned(
    con: duckdb.DuckDBPyConnection, befolkning: pl.DataFrame
) -> None:
    merge(con, befolkning, T0, "r1")
    stats = merge(con, befolkning.head(10), T0 + timedelta(days=1), "r2")
    assert (stats.deleted, stats.unchanged) == (0, 10)
    live = "SELECT count(*) FROM core.population WHERE valid_to IS NULL AND NOT is_deleted"
    assert con.sql(live).fetchall() == [(290,)]


def test_rejects_other_tables(con: duckdb.DuckDBPyConnection, befolkning: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="not a file-fed table"):
        reg.merge_file(con, "core.kpi", befolkning, key_cols=KEY, run_id="r", as_of=T0)


def test_loaded_file_ledger(con: duckdb.DuckDBPyConnection) -> None:
    entry = {
        "sha256": "a" * 64,
        "path": "x.csv",
        "kind": "scb-csv",
        "target_table": "core.population",
        "logical_key": "k1",
        "coverage": "{}",
        "rows_in": 2,
        "rows_loaded": 2,
        "rows_quarantined": 0,
        "run_id": "r1",
        "loaded_at": T0,
    }
    reg.record_file(con, entry)
    assert reg.loaded_files(con, ["a" * 64, "b" * 64]) == {"a" * 64: ("x.csv", "r1", "scb-csv")}
    assert reg.current_deliveries(con, "k1") == ["a" * 64]
    reg.record_file(
        con, {**entry, "sha256": "b" * 64, "run_id": "r2", "loaded_at": T0 + timedelta(1)}, ["a" * 64]
    )
    assert reg.current_deliveries(con, "k1") == ["b" * 64]
    assert con.sql(
        "SELECT superseded_by FROM meta.loaded_file WHERE sha256 = 'aaa' || repeat('a', 61)"
    ).fetchall() == [("b" * 64,)]
    with pytest.raises(ValueError, match="lacks"):
        reg.record_file(con, {"sha256": "c"})


def test_municipality_reference_from_core(
    con: duckdb.DuckDBPyConnection, municipality_frame: pl.DataFrame
) -> None:
    from warehouse import history

    history.merge_dimension(
        con, "core.municipality", municipality_frame, key_cols=("municipality_id",), run_id="r1", as_of=T0
    )
    ref = reg.municipality_reference(con)
    kinds = dict(ref.group_by("kind").len().rows())
    assert kinds["kommun"] == 290 and kinds["riket"] == 1 and kinds["lan"] >= 21
    assert ref.filter(pl.col("municipality_id") == "0114")["name"].to_list() == ["Upplands Väsby"]


def test_population_year_mart_prefers_yearly_then_december(
    con: duckdb.DuckDBPyConnection, befolkning
) -> None:
    merge(con, befolkning, T0, "r1")
    # synthetic monthly rows for one kommun: December 2017 (must lose to the yearly figure) and December 2018
    monthly = befolkning.filter(pl.col("municipality_id") == "0114").with_columns(
        source_table=pl.lit("TAB6471"), period=pl.lit("2017-12"), month=pl.lit(12, pl.Int32)
    )
    later = monthly.with_columns(
        period=pl.lit("2018-12"), year=pl.lit(2018, pl.Int32), population=pl.lit(1, pl.Int64)
    )
    november = later.with_columns(period=pl.lit("2018-11"), month=pl.lit(11, pl.Int32))
    merge(con, pl.concat([monthly, later, november]), T0 + timedelta(1), "r2")
    rows = marts.rebuild(con, [m for m in marts.MARTS if m.table == "mart.population_year"])
    assert rows == {"mart.population_year": 291}
    got = con.sql(
        "SELECT year, population, period, source_table, source_note FROM mart.population_year "
        "WHERE municipality_id = '0114' ORDER BY year"
    ).fetchall()
    assert got == [
        (2017, 44605, "2017", "scb-web-export", "Källa: SCB"),
        (2018, 1, "2018-12", "TAB6471", "Källa: SCB"),
    ]
