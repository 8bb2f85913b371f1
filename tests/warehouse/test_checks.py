"""Table hashes and integrity checks, including the problems they must catch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from warehouse import checks, marts
from warehouse.history import ValueScope, merge_dimension, merge_values

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _loaded(con, values, kpi_frame):
    merge_dimension(con, "core.kpi", kpi_frame, key_cols=["kpi_id"], run_id="r1", as_of=T0)
    merge_values(con, values, run_id="r1", as_of=T0, scope=None)
    marts.rebuild(con)


def test_integrity_clean_after_loads(con, small_values, kpi_frame):
    _loaded(con, small_values, kpi_frame)
    later = T0 + timedelta(days=1)
    refresh = small_values.filter(pl.col("year") != 2020)
    merge_values(con, refresh, run_id="r2", as_of=later, scope=ValueScope(["N31807", "U30452", "N21701"]))
    marts.rebuild(con)
    assert checks.integrity_problems(con) == []


def test_hashes_are_order_independent_and_content_sensitive(con, small_values, kpi_frame):
    _loaded(con, small_values, kpi_frame)
    first = checks.table_hashes(con)
    assert set(first) >= {"core.kpi", "core.kpi_value_history", "mart.kpi_value"}
    con.execute("CREATE TABLE mart.shuffled AS SELECT * FROM mart.kpi_value ORDER BY random()")
    con.execute("CREATE TABLE core.sorted AS SELECT * FROM mart.kpi_value ORDER BY value DESC")
    hashes = checks.table_hashes(con)
    assert hashes["mart.shuffled"] == hashes["core.sorted"] == first["mart.kpi_value"]
    con.execute(
        "UPDATE mart.shuffled SET value = value + 1 WHERE kpi_id = 'N31807' AND year = 2020 "
        "AND municipality_id = '0180'"
    )
    assert checks.table_hashes(con, schemas=("mart",))["mart.shuffled"] != first["mart.kpi_value"]


def test_integrity_catches_broken_history_and_mart(con, small_values, kpi_frame):
    _loaded(con, small_values, kpi_frame)
    key = "kpi_id = 'N31807' AND municipality_id = '0180' AND year = 2020 AND gender = 'T'"
    con.execute(f"INSERT INTO core.kpi_value_history SELECT * FROM core.kpi_value_history WHERE {key}")
    con.execute("UPDATE core.kpi SET valid_to = TIMESTAMPTZ '2020-01-01' WHERE kpi_id = 'N00003'")
    con.execute(
        "UPDATE core.kpi_value_history SET is_deleted = TRUE WHERE kpi_id = 'U30452' AND year = 2020 "
        "AND municipality_id = '0180'"
    )
    problems = checks.integrity_problems(con)
    text = "\n".join(problems)
    assert "more than one current version" in text
    assert "valid_to < valid_from" in text
    assert "closed versions not followed" in text  # N00003 closed with no successor
    assert "rows without a current non-deleted history version" in text
    assert "mart.kpi_value has" in text
