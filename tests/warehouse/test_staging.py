"""warehouse.staging on the real fixture values: batches staged, repeats across batches resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from warehouse import checks
from warehouse.ddl import ensure_schema, transaction
from warehouse.history import merge_values
from warehouse.staging import Reasons, ValueStage

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REASONS = Reasons(exact_duplicate="exact duplicate", duplicate_key="duplicate natural key")
KEY = ["kpi_id", "municipality_id", "year", "gender"]


def _key(row: dict) -> str:
    return "/".join(str(row[c]) for c in KEY)


def _stage(con: duckdb.DuckDBPyConnection, *batches: pl.DataFrame, conflicted: list[str] | None = None):
    stage = ValueStage(con)
    for batch in batches:
        stage.append(batch)
    quarantine = stage.resolve_repeats(conflicted or [], source="kolada", entity="value", reasons=REASONS)
    return stage, quarantine


def test_batches_merge_like_one_frame(small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    """Three batches staged and merged give the same history as merge_values of the whole frame."""
    other = duckdb.connect(":memory:")
    ensure_schema(other)
    with transaction(other):
        whole = merge_values(other, small_values, run_id="r1", as_of=T0, scope=None)
    thirds = small_values.height // 3
    with transaction(con):
        stage, quarantine = _stage(
            con, small_values[:thirds], small_values[thirds : 2 * thirds], small_values[2 * thirds :]
        )
        staged = stage.merge(run_id="r1", as_of=T0, scope=None)
    assert quarantine.height == 0
    assert staged == whole
    table = "core.kpi_value_history"
    assert checks.table_hashes(con, ["core"])[table] == checks.table_hashes(other, ["core"])[table]
    other.close()


def test_same_row_in_two_batches_keeps_the_first(
    small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    """A refetched item (same content, later fetched_at) in a later batch is an exact duplicate."""
    again = small_values.head(2).with_columns(pl.col("fetched_at") + timedelta(hours=1))
    with transaction(con):
        stage, quarantine = _stage(con, small_values, again)
        stats = stage.merge(run_id="r1", as_of=T0, scope=None)
    assert quarantine["failed_check"].to_list() == ["exact duplicate"] * 2
    assert quarantine["natural_key"].to_list() == [_key(r) for r in small_values.head(2).to_dicts()]
    assert stats.rows_in + quarantine.height == small_values.height + 2
    loaded = con.execute("SELECT min(fetched_at) FROM core.kpi_value_history").fetchone()[0]
    assert loaded == small_values["fetched_at"].min()


def test_conflicting_rows_in_two_batches_quarantine_both(
    small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    """The same key with another value in a later batch: neither can be trusted, both are quarantined."""
    clash = small_values.head(1).with_columns(value=pl.lit(-1.0))
    with transaction(con):
        stage, quarantine = _stage(con, small_values, clash)
        stats = stage.merge(run_id="r1", as_of=T0, scope=None)
    key = _key(small_values.row(0, named=True))
    assert quarantine["natural_key"].to_list() == [key, key]
    assert set(quarantine["failed_check"]) == {"duplicate natural key"}
    assert '"value":-1.0' in quarantine["record"][1]
    assert stats.rows_in == small_values.height - 1
    assert con.execute(
        "SELECT count(*) FROM core.kpi_value_history WHERE kpi_id || '/' || municipality_id || '/' || year "
        "|| '/' || gender = ?",
        [key],
    ).fetchone() == (0,)


def test_key_conflicting_inside_an_earlier_batch_is_not_loaded_from_a_later_one(
    small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    """Batch 1 quarantined key K as conflicting; batch 2's single K row must not load as if clean."""
    key = _key(small_values.row(0, named=True))
    with transaction(con):
        stage, quarantine = _stage(con, small_values[1:], small_values[:1], conflicted=[key])
        stats = stage.merge(run_id="r1", as_of=T0, scope=None)
    assert quarantine.select("natural_key", "failed_check").rows() == [(key, "duplicate natural key")]
    assert stats.rows_in == small_values.height - 1


def test_one_batch_needs_no_resolution(small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        stage, quarantine = _stage(con, small_values)
        first = stage.merge(run_id="r1", as_of=T0, scope=None)
    assert quarantine.height == 0 and first.inserted == small_values.height
    with transaction(con):
        stage, _ = _stage(con, small_values.head(100), small_values[100:])
        again = stage.merge(run_id="r2", as_of=T0 + timedelta(days=1), scope=None)
    assert (again.inserted, again.revised, again.deleted, again.unchanged) == (0, 0, 0, small_values.height)


def test_wrong_frame_shape_is_refused(small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="contract"):
        ValueStage(con).append(small_values.drop("source"))


def test_many_row_groups_inside_a_transaction(
    small_values: pl.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    """Over 122,880 rows (several DuckDB row groups), staged inside a transaction, all reach history.

    SYNTHETIC years: the real rows are repeated with the year shifted by 100·i, so keys stay unique.
    Guards a DuckDB 2.0.0 trap: a CTAS-of-no-rows stage filled from Arrow read back empty in joins.
    """
    copies = -(-300_000 // small_values.height)
    big = pl.concat(small_values.with_columns(pl.col("year") + 100 * i) for i in range(copies))
    assert big.height > 2 * 122_880
    with transaction(con):
        stage, quarantine = _stage(con, big[: big.height // 2], big[big.height // 2 :])
        stats = stage.merge(run_id="r1", as_of=T0, scope=None)
    assert quarantine.height == 0
    assert stats.inserted == big.height
    assert con.execute("SELECT count(*) FROM core.kpi_value_history").fetchone() == (big.height,)
