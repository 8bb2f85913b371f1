"""SCD2 merges on the real fixture values and v3 metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from warehouse import checks, marts
from warehouse.ddl import transaction
from warehouse.history import (
    MergeStats,
    ValueScope,
    merge_dimension,
    merge_values,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=30)
T2 = T1 + timedelta(days=30)
KEY = ["kpi_id", "municipality_id", "year", "gender"]


def _load(
    con: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    as_of: datetime,
    run_id: str,
    scope: ValueScope | None = None,
) -> MergeStats:
    with transaction(con):
        stats = merge_values(con, frame, run_id=run_id, as_of=as_of, scope=scope)
        marts.rebuild(con)
    return stats


def _versions(con: duckdb.DuckDBPyConnection, kpi: str, unit: str, year: int, gender: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM core.kpi_value_history WHERE kpi_id = ? AND municipality_id = ? AND year = ? "
        "AND gender = ? ORDER BY valid_from",
        params=[kpi, unit, year, gender],
    ).pl()


def _mart_row(con: duckdb.DuckDBPyConnection, kpi: str, unit: str, year: int, gender: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM mart.kpi_value WHERE kpi_id = ? AND municipality_id = ? AND year = ? AND gender = ?",
        params=[kpi, unit, year, gender],
    ).pl()


def _is_key(kpi: str, unit: str, year: int, gender: str) -> pl.Expr:
    return (
        (pl.col("kpi_id") == kpi)
        & (pl.col("municipality_id") == unit)
        & (pl.col("year") == year)
        & (pl.col("gender") == gender)
    )


def test_first_load_inserts_every_fixture_value(con, all_values):
    stats = _load(con, all_values, T0, "r1")
    assert stats == MergeStats(rows_in=all_values.height, inserted=all_values.height)
    history = con.sql("SELECT * FROM core.kpi_value_history").pl()
    assert history.height == all_values.height
    assert history["valid_to"].null_count() == history.height
    assert set(history["load_run_id"]) == {"r1"}
    assert con.sql("SELECT count(*) AS n FROM mart.kpi_value").pl()["n"][0] == all_values.height
    assert checks.integrity_problems(con) == []


def test_same_frame_twice_writes_nothing(con, small_values):
    _load(con, small_values, T0, "r1")
    before = checks.table_hashes(con)
    stats = _load(con, small_values, T1, "r2", ValueScope(kpi_ids=["N31807", "U30452", "N21701"]))
    assert stats == MergeStats(rows_in=small_values.height, unchanged=small_values.height)
    assert checks.table_hashes(con) == before
    assert (
        con.sql("SELECT count(*) AS n FROM core.kpi_value_history WHERE load_run_id = 'r2'").pl()["n"][0] == 0
    )


def test_fetched_at_alone_is_not_a_revision(con, small_values):
    _load(con, small_values, T0, "r1")
    refetched = small_values.with_columns(pl.col("fetched_at") + timedelta(days=400))
    assert _load(con, refetched, T1, "r2").unchanged == small_values.height


def test_changed_value_keeps_both_versions(con, small_values):
    _load(con, small_values, T0, "r1")
    key = ("N31807", "0180", 2020, "T")
    old = small_values.filter(_is_key(*key))["value"][0]
    # Test mutation (not a real figure): the published value revised upwards by 1.0.
    revised = small_values.with_columns(
        pl.when(_is_key(*key)).then(pl.col("value") + 1.0).otherwise(pl.col("value")).alias("value")
    )
    stats = _load(con, revised, T1, "r2")
    assert stats == MergeStats(rows_in=small_values.height, revised=1, unchanged=small_values.height - 1)
    versions = _versions(con, *key)
    assert versions["value"].to_list() == [old, old + 1.0]
    assert versions["valid_to"].to_list() == [T1, None]
    assert versions["valid_from"].to_list() == [T0, T1]
    assert versions["load_run_id"].to_list() == ["r1", "r2"]
    assert _mart_row(con, *key)["value"].to_list() == [old + 1.0]
    assert checks.integrity_problems(con) == []


def test_source_deletion_drops_from_mart_and_stays_in_history(con, small_values):
    _load(con, small_values, T0, "r1")
    key = ("U30452", "0180", 2020, "T")
    deleted = small_values.with_columns(
        pl.when(_is_key(*key)).then(True).otherwise(pl.col("is_deleted")).alias("is_deleted"),
        pl.when(_is_key(*key)).then(None).otherwise(pl.col("value")).alias("value"),
    )
    stats = _load(con, deleted, T1, "r2")
    assert (stats.deleted, stats.revised, stats.inserted) == (1, 0, 0)
    assert _mart_row(con, *key).height == 0
    assert _versions(con, *key)["is_deleted"].to_list() == [False, True]
    # The source sends the value again: a live version follows the tombstone.
    assert _load(con, small_values, T2, "r3").revised == 1
    assert _mart_row(con, *key).height == 1
    assert checks.integrity_problems(con) == []


def test_full_refresh_tombstones_only_missing_keys_in_scope(con, small_values):
    _load(con, small_values, T0, "r1")
    gone = ("N31807", "0180", 2020, "T")
    refresh = small_values.filter((pl.col("kpi_id") == "N31807") & (pl.col("year") == 2020) & ~_is_key(*gone))
    stats = _load(con, refresh, T1, "r2", ValueScope(kpi_ids=["N31807"], years=[2020]))
    assert stats == MergeStats(rows_in=refresh.height, deleted=1, unchanged=refresh.height)
    tombstone = _versions(con, *gone)[-1]
    assert tombstone["is_deleted"][0] and tombstone["value"][0] is None and tombstone["valid_to"][0] is None
    assert _mart_row(con, *gone).height == 0
    untouched = con.sql(
        "SELECT count(*) AS n FROM core.kpi_value_history WHERE valid_to IS NOT NULL OR is_deleted"
    ).pl()["n"][0]
    assert untouched == 2  # only the closed version and the tombstone of the one missing key
    assert con.sql("SELECT count(*) AS n FROM mart.kpi_value").pl()["n"][0] == small_values.height - 1


def test_full_refresh_scope_by_municipality(con, small_values):
    _load(con, small_values, T0, "r1")
    refresh = small_values.filter((pl.col("municipality_id") == "0180") & (pl.col("kpi_id") == "N21701"))
    refresh_minus_one = refresh.filter(pl.col("year") != 2015)
    scope = ValueScope(kpi_ids=["N21701"], municipality_ids=["0180"])
    stats = _load(con, refresh_minus_one, T1, "r2", scope)
    assert stats.deleted == refresh.height - refresh_minus_one.height > 0


def test_incremental_leaves_absent_keys_alone(con, small_values):
    _load(con, small_values, T0, "r1")
    changes = small_values.filter(pl.col("year") == 2020)
    stats = _load(con, changes, T1, "r2")
    assert stats == MergeStats(rows_in=changes.height, unchanged=changes.height)
    assert con.sql("SELECT count(*) AS n FROM mart.kpi_value").pl()["n"][0] == small_values.height


def test_null_values_are_kept_as_rows(con, small_values):
    _load(con, small_values, T0, "r1")
    nulls_in = small_values.filter(pl.col("value").is_null()).height
    assert nulls_in > 1000  # U30452 survey cells published as missing
    mart_nulls = con.sql("SELECT count(*) AS n FROM mart.kpi_value WHERE value IS NULL").pl()["n"][0]
    assert mart_nulls == nulls_in
    # Loading the nulls again is not a change (NULL IS NOT DISTINCT FROM NULL).
    assert _load(con, small_values, T1, "r2").unchanged == small_values.height


def test_floats_round_trip_bit_exact(con, all_values):
    _load(con, all_values, T0, "r1")
    back = con.sql("SELECT kpi_id, municipality_id, year, gender, value FROM mart.kpi_value").pl()
    # The shortest round-trip repr differs for any two distinct doubles (also 0.0 vs -0.0).
    as_text = pl.col("value").cast(pl.String)
    joined = all_values.select(*KEY, as_text.alias("sent")).join(
        back.select(*KEY, as_text.alias("stored")), on=KEY, how="left", nulls_equal=True
    )
    assert joined.height == all_values.height
    assert joined.filter(pl.col("sent").ne_missing(pl.col("stored"))).height == 0


def test_synthetic_edge_floats_round_trip(con, small_values):
    # Synthetic values (labelled, not Kolada figures) that lose bits if anything rounds on the way.
    edge = [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0, 1 / 3]
    frame = small_values.head(len(edge)).with_columns(value=pl.Series(edge, dtype=pl.Float64))
    _load(con, frame, T0, "r1")
    back = con.sql(
        "SELECT value FROM core.kpi_value_history ORDER BY kpi_id, municipality_id, year, gender"
    ).pl()
    assert back["value"].cast(pl.String).to_list() == frame["value"].cast(pl.String).to_list()
    assert _load(con, frame, T1, "r2").unchanged == len(edge)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: pl.concat([f, f.head(2)]), "share a natural key"),
        (lambda f: f.with_columns(pl.lit(None, pl.String).alias("gender")), "null in key"),
        (lambda f: f.with_columns(pl.col("year").cast(pl.Int64)), "contract"),
        (lambda f: f.drop("count"), "contract"),
    ],
)
def test_bad_frames_are_rejected(con, small_values, mutate, message):
    with pytest.raises(ValueError, match=message):
        merge_values(con, mutate(small_values.head(50)), run_id="r1", as_of=T0, scope=None)


def test_guards_on_time_and_empty_refresh(con, small_values):
    _load(con, small_values.head(10), T1, "r1")
    with pytest.raises(ValueError, match="before the latest version"):
        merge_values(con, small_values.head(10), run_id="r2", as_of=T0, scope=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        merge_values(con, small_values.head(10), run_id="r2", as_of=datetime(2026, 3, 1), scope=None)
    with pytest.raises(ValueError, match="empty values frame"):
        merge_values(con, small_values.clear(), run_id="r2", as_of=T2, scope=ValueScope(["N31807"]))


def test_transaction_rolls_back_a_failed_merge(con, small_values):
    with pytest.raises(RuntimeError, match="boom"), transaction(con):
        merge_values(con, small_values, run_id="r1", as_of=T0, scope=None)
        raise RuntimeError("boom")
    assert con.sql("SELECT count(*) AS n FROM core.kpi_value_history").pl()["n"][0] == 0


def test_dimension_scd2_change_delete_and_revival(con, kpi_frame):
    first = merge_dimension(con, "core.kpi", kpi_frame, key_cols=["kpi_id"], run_id="r1", as_of=T0)
    assert first == MergeStats(rows_in=kpi_frame.height, inserted=kpi_frame.height)
    # Test mutation: one title edited, one KPI withdrawn from the snapshot.
    edited = kpi_frame.with_columns(
        pl.when(pl.col("kpi_id") == "N31807")
        .then(pl.col("title") + " (ändrad)")
        .otherwise("title")
        .alias("title")
    ).filter(pl.col("kpi_id") != "U28112")
    second = merge_dimension(con, "core.kpi", edited, key_cols=["kpi_id"], run_id="r2", as_of=T1)
    assert second == MergeStats(rows_in=edited.height, revised=1, deleted=1, unchanged=edited.height - 1)
    titles = con.sql("SELECT title, valid_to FROM core.kpi WHERE kpi_id = 'N31807' ORDER BY valid_from").pl()
    assert titles["title"][1].endswith("(ändrad)") and titles["valid_to"].to_list() == [T1, None]
    withdrawn = con.sql(
        "SELECT is_deleted, title FROM core.kpi WHERE kpi_id = 'U28112' ORDER BY valid_from"
    ).pl()
    assert withdrawn["is_deleted"].to_list() == [False, True] and withdrawn["title"][1] is not None
    third = merge_dimension(con, "core.kpi", kpi_frame, key_cols=["kpi_id"], run_id="r3", as_of=T2)
    assert (third.revised, third.deleted, third.inserted) == (2, 0, 0)
    assert checks.integrity_problems(con) == []


def test_dimension_partial_snapshot_leaves_absent_keys(con, municipality_frame):
    merge_dimension(
        con, "core.municipality", municipality_frame, key_cols=["municipality_id"], run_id="r1", as_of=T0
    )
    part = municipality_frame.head(5)
    stats = merge_dimension(
        con,
        "core.municipality",
        part,
        key_cols=["municipality_id"],
        run_id="r2",
        as_of=T1,
        full_snapshot=False,
    )
    assert stats == MergeStats(rows_in=5, unchanged=5)


def test_dimension_errors(con, kpi_frame):
    with pytest.raises(KeyError, match="unknown warehouse table"):
        merge_dimension(con, "core.nope", kpi_frame, key_cols=["kpi_id"], run_id="r1", as_of=T0)
    with pytest.raises(ValueError, match="not an SCD2 dimension"):
        merge_dimension(con, "meta.load_run", kpi_frame, key_cols=["kpi_id"], run_id="r1", as_of=T0)
    with pytest.raises(ValueError, match="frame columns"):
        merge_dimension(con, "core.kpi", kpi_frame.drop("title"), key_cols=["kpi_id"], run_id="r1", as_of=T0)
    with pytest.raises(ValueError, match="key_cols"):
        merge_dimension(con, "core.kpi", kpi_frame, key_cols=["id"], run_id="r1", as_of=T0)
    with pytest.raises(ValueError, match="empty full snapshot"):
        merge_dimension(con, "core.kpi", kpi_frame.clear(), key_cols=["kpi_id"], run_id="r1", as_of=T0)


def test_mart_labels_values_and_keeps_unknown_ids(con, small_values, kpi_frame, municipality_frame):
    merge_dimension(
        con,
        "core.kpi",
        kpi_frame.filter(pl.col("kpi_id") != "N21701"),
        key_cols=["kpi_id"],
        run_id="r1",
        as_of=T0,
    )
    merge_dimension(
        con, "core.municipality", municipality_frame, key_cols=["municipality_id"], run_id="r1", as_of=T0
    )
    _load(con, small_values, T0, "r1")
    row = _mart_row(con, "N31807", "0180", 2020, "T")
    assert row["municipality_title"][0] == "Stockholm" and row["municipality_kind"][0] == "kommun"
    assert row["operating_area"][0] == "Individ- och familjeomsorg"
    unknown_kpi = con.sql(
        "SELECT count(*) AS n, count(kpi_title) AS titled FROM mart.kpi_value WHERE kpi_id = 'N21701'"
    ).pl()
    assert unknown_kpi["n"][0] == small_values.filter(pl.col("kpi_id") == "N21701").height
    assert unknown_kpi["titled"][0] == 0


def test_merge_stats_add_and_counts():
    total = MergeStats(10, 4, 3, 2, 1) + MergeStats(1, 1, 0, 0, 0)
    assert total == MergeStats(11, 5, 3, 2, 1)
    assert total.as_counts() == {
        "rows_in": 11,
        "rows_inserted": 5,
        "rows_revised": 3,
        "rows_deleted": 2,
        "rows_unchanged": 1,
    }
