"""Run ledger, page manifest, watermarks, quarantine and the read-only status summary."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from sources.fixtures import fixtures_dir
from warehouse import marts, quarantine, runs, status
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import building

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _pages() -> pl.DataFrame:
    """A pages frame whose bodies are real v3 payload bytes (the municipality list)."""
    body = (
        fixtures_dir() / "kolada" / "rkolada_sysdata" / "rkolada_v3_2026-03-23_municipality.json"
    ).read_text()
    return pl.DataFrame(
        {
            "url": ["https://api.kolada.se/v3/municipality"],
            "fetched_at": [T0],
            "status": [200],
            "sha256": [hashlib.sha256(body.encode()).hexdigest()],
            "endpoint": ["municipality"],
            "body": [body],
        },
        schema_overrides={"fetched_at": pl.Datetime("us", "UTC")},
    )


def _quarantine_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["kolada", "kolada", "kolada"],
            "entity": ["value", "value", "kpi"],
            "natural_key": ["N31807/0180/2020/X", "N31807/0180/2021/X", "Q1"],
            "record": ['{"gender": "X"}', '{"gender": "X"}', '{"id": "Q1"}'],
            "failed_check": ["gender isin T,K,M: X", "gender isin T,K,M: X", "kpi_id str_matches: Q1"],
        }
    )


def test_run_ledger_roundtrip(con):
    runs.start_run(
        con, "r1", flow="kolada-yearly", scope={"kpis": ["N31807"], "years": [2020]}, started_at=T0
    )
    runs.finish_run(
        con,
        "r1",
        {"rows_in": 10, "rows_loaded": 9, "rows_quarantined": 1},
        "completed",
        "ok",
        finished_at=T0 + timedelta(minutes=1),
    )
    row = con.sql("SELECT * FROM meta.load_run").pl().to_dicts()[0]
    assert json.loads(row["scope"]) == {"kpis": ["N31807"], "years": [2020]}
    assert (row["status"], row["rows_in"], row["rows_quarantined"], row["rows_revised"]) == (
        "completed",
        10,
        1,
        None,
    )
    assert row["finished_at"] == T0 + timedelta(minutes=1)


def test_run_ledger_errors(con):
    runs.start_run(con, "r1", flow="f", scope='{"already": "json"}')
    with pytest.raises(ValueError, match=r"already in meta\.load_run"):
        runs.start_run(con, "r1", flow="f")
    with pytest.raises(json.JSONDecodeError):
        runs.start_run(con, "r2", flow="f", scope="not json")
    with pytest.raises(ValueError, match="unknown count keys"):
        runs.finish_run(con, "r1", {"rows_bogus": 1}, "completed")
    with pytest.raises(ValueError, match="status"):
        runs.finish_run(con, "r1", {}, "great")
    with pytest.raises(ValueError, match="not found"):
        runs.finish_run(con, "nope", {}, "completed")
    with pytest.raises(ValueError, match="timezone-aware"):
        runs.start_run(con, "r3", flow="f", started_at=datetime(2026, 1, 1))


def test_record_pages_sizes_bodies_without_storing_them(con):
    pages = _pages()
    assert runs.record_pages(con, "r1", pages, raw_path="data/raw/kolada/f1/municipality.ndjson") == 1
    row = con.sql("SELECT * FROM raw.kolada_page").pl().to_dicts()[0]
    assert row["n_bytes"] == len(pages["body"][0].encode())
    assert row["raw_path"].endswith("municipality.ndjson") and row["sha256"] == pages["sha256"][0]
    with_size = pages.drop("body").with_columns(n_bytes=pl.lit(7, pl.Int64), raw_path=pl.lit("p"))
    runs.record_pages(con, "r2", with_size)
    assert con.execute("SELECT n_bytes, raw_path FROM raw.kolada_page WHERE run_id = 'r2'").fetchall() == [
        (7, "p")
    ]
    with pytest.raises(ValueError, match="n_bytes or a body"):
        runs.record_pages(con, "r3", pages.drop("body"))
    with pytest.raises(ValueError, match="lacks columns"):
        runs.record_pages(con, "r3", pages.drop("sha256"))


def test_watermarks_upsert(con):
    assert runs.get_watermark(con, "kolada", "default") is None
    runs.set_watermark(con, "kolada", "default", date(2026, 1, 1), run_id="r1")
    runs.set_watermark(con, "kolada", "default", date(2026, 2, 1), run_id="r2")
    runs.set_watermark(con, "kolada", "other", date(2025, 1, 1), run_id="r2")
    assert runs.get_watermark(con, "kolada", "default") == date(2026, 2, 1)
    assert con.execute("SELECT count(*) FROM meta.watermark").fetchall() == [(2,)]


def test_quarantine_record(con):
    assert quarantine.record(con, _quarantine_frame(), run_id="r1", quarantined_at=T0) == 3
    assert quarantine.record(con, _quarantine_frame().clear(), run_id="r1") == 0
    assert con.execute(
        "SELECT entity, count(*) FROM meta.quarantine GROUP BY entity ORDER BY entity"
    ).fetchall() == [("kpi", 1), ("value", 2)]
    with pytest.raises(ValueError, match="contract"):
        quarantine.record(con, _quarantine_frame().drop("record"), run_id="r1")


def test_status_summary_of_a_published_warehouse(tmp_path, small_values):
    wh = tmp_path / "jamfor.duckdb"
    with building(wh, run_id="r1") as con:
        with transaction(con):
            runs.start_run(con, "r1", flow="kolada-yearly", scope={"kpis": "demo"}, started_at=T0)
            stats = merge_values(con, small_values, run_id="r1", as_of=T0, scope=None)
            quarantine.record(con, _quarantine_frame(), run_id="r1")
            runs.set_watermark(con, "kolada", "demo", date(2026, 1, 1), run_id="r1")
            marts.rebuild(con)
        runs.finish_run(con, "r1", stats.as_counts(), "completed")
        # The summary reads the published file only: the load in progress is invisible and not blocked.
        with pytest.raises(FileNotFoundError):
            status.summary(wh)
    summary = status.summary(wh)
    assert summary["row_counts"]["core.kpi_value_history"] == small_values.height
    assert summary["row_counts"]["mart.kpi_value"] == small_values.height
    assert summary["quarantine_by_entity"] == {"kpi": 1, "value": 2}
    assert summary["watermarks"][0]["watermark"] == "2026-01-01"
    assert summary["last_runs"][0]["rows_inserted"] == small_values.height
    json.dumps(summary)  # JSON-ready for CLI output and Prefect artifacts
    text = status.format_summary(summary)
    assert "mart.kpi_value" in text and "kolada/demo: 2026-01-01" in text and "value: 2" in text


def test_status_of_a_file_from_before_a_new_mart_names_it_instead_of_failing(tmp_path, small_values):
    wh = tmp_path / "jamfor.duckdb"
    with building(wh, run_id="r1") as con:
        with transaction(con):
            merge_values(con, small_values, run_id="r1", as_of=T0, scope=None)
            marts.rebuild(con)
        con.execute("DROP TABLE mart.peer_set_member")  # as published by a jamfor before that mart
    summary = status.summary(wh)
    assert summary["missing_tables"] == ["mart.peer_set_member"]
    assert summary["row_counts"]["mart.kpi_value"] == small_values.height
    assert "mart.peer_set_member" in status.format_summary(summary) and "next load" in status.format_summary(
        summary
    )
