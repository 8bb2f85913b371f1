"""A malformed record in a full refresh must not delete the value (or dimension row) it replaces.

Found by the bad-input corpus: in a full refresh every current value the valid frame lacks gets a
tombstone, so one quarantined record (say "12,5" with a decimal comma) deleted the previous, good value
of its key; a KPI with a mojibake title tombstoned the KPI. ValueScope.keep_items with
quarantined_items (transforms.kolada.values), and merge_dimension(keep_keys=...) with the quarantine's
natural keys fix that; pipeline/kolada.py still has to pass them (reported to the lead).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.cli import main
from pipeline.kolada import load_fetch
from settings.config import Paths
from sources.kolada.rawstore import kolada_store
from tests.kolada_pages import metadata_pages, pages_from_records
from transforms.kolada.kpi import kpi_dimension
from transforms.kolada.values import flatten_values, quarantined_items
from warehouse.history import ValueScope, merge_dimension, merge_values
from warehouse.publish import connect_readonly

from .support import FROZEN_AT

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _page(value: object) -> pl.DataFrame:
    entries = [{"gender": "T", "count": 1, "status": "", "value": value, "isdeleted": False}]
    records = [
        {"kpi": "N31807", "municipality": "0180", "period": 2020, "values": entries},
        {"kpi": "N31807", "municipality": "0114", "period": 2020, "values": [{**entries[0], "value": 2.0}]},
    ]
    return pages_from_records(records, "data")


def test_quarantined_items_are_the_known_key_prefixes() -> None:
    quarantine = pl.DataFrame(
        {
            "natural_key": [
                "N31807/0180/2020/T",
                "N31807/0180/2020/",
                "X1/0180/2020/T",
                "N31807//2020/T",
                "N1/2",
            ]
        }
    )
    assert quarantined_items(quarantine) == ["N31807/0180/2020"]


def test_keep_items_are_not_tombstoned(con: duckdb.DuckDBPyConnection) -> None:
    good = flatten_values(_page(1.5), None).valid
    scope = ValueScope(kpi_ids=["N31807"], years=[2020])
    merge_values(con, good, run_id="r1", as_of=T0, scope=scope)
    bad = flatten_values(_page("12,5"), None)
    assert bad.quarantine.height == 1
    keep = ValueScope(kpi_ids=["N31807"], years=[2020], keep_items=quarantined_items(bad.quarantine))
    stats = merge_values(con, bad.valid, run_id="r2", as_of=T0 + timedelta(days=1), scope=keep)
    assert stats.deleted == 0
    current = con.execute(
        "SELECT municipality_id, value FROM core.kpi_value_history WHERE valid_to IS NULL AND NOT is_deleted "
        "ORDER BY 1"
    ).fetchall()
    assert current == [("0114", 2.0), ("0180", 1.5)]


def test_keep_keys_are_not_tombstoned_in_a_dimension(con: duckdb.DuckDBPyConnection) -> None:
    kpis = kpi_dimension(metadata_pages("kpi")).valid.head(3)
    merge_dimension(con, "core.kpi", kpis, key_cols=["kpi_id"], run_id="r1", as_of=T0)
    kept, dropped = kpis["kpi_id"][0], kpis["kpi_id"][1]
    # the next snapshot lacks two KPIs; one of them came in malformed (quarantined), so it stays
    stats = merge_dimension(
        con,
        "core.kpi",
        kpis.tail(1),
        key_cols=["kpi_id"],
        run_id="r2",
        as_of=T0 + timedelta(days=1),
        keep_keys=[kept],
    )
    assert stats.deleted == 1
    live = con.execute(
        "SELECT kpi_id FROM core.kpi WHERE valid_to IS NULL AND NOT is_deleted ORDER BY 1"
    ).fetchall()
    assert (kept,) in live and (dropped,) not in live


def _fetch_dir(root: Path, fetch_id: str, value: object) -> Path:
    """A raw store holding the real KPI and municipality catalogues and the two-item /data page."""
    store = kolada_store(root, fetch_id)
    for endpoint, pages in {
        "kpi": metadata_pages("kpi"),
        "municipality": metadata_pages("municipality"),
        "data": _page(value),
    }.items():
        text = pages.with_columns(
            pl.col("fetched_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        ).write_ndjson()
        (store.fetch_dir / f"{endpoint}.ndjson").write_text(text, encoding="utf-8")
    return store.fetch_dir


def test_a_quarantined_record_does_not_delete_the_good_value_through_load_fetch(tmp_path: Path) -> None:
    paths = Paths(tmp_path, tmp_path / "jamfor.duckdb")
    scope = ValueScope(kpi_ids=["N31807"], years=[2020])
    for step, value in enumerate((1.5, "12,5")):
        load_fetch(
            paths,
            _fetch_dir(tmp_path, f"f{step}", value),
            run_id=f"r{step}",
            flow_name="test",
            scope={},
            as_of=FROZEN_AT + timedelta(hours=step + 1),
            value_scope=scope,
            watermark=None,
        )
    con = connect_readonly(paths.warehouse)
    try:
        value = con.execute("SELECT value FROM mart.kpi_value WHERE municipality_id = '0180'").fetchall()
    finally:
        con.close()
    assert value == [(1.5,)], "the malformed record deleted the previous value"


def _yearly(paths: Paths, step: int, value: object) -> None:
    """One full refresh (flow kolada-yearly) of the two-item page, `value` for 0180."""
    load_fetch(
        paths,
        _fetch_dir(paths.data_dir, f"y{step}", value),
        run_id=f"yearly-{step}",
        flow_name="kolada-yearly",
        scope={},
        as_of=FROZEN_AT + timedelta(days=step + 1),
        value_scope=ValueScope(kpi_ids=["N31807"], years=[2020]),
        watermark=None,
    )


def test_three_full_refreshes_with_one_bad_row_show_it_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths(tmp_path, tmp_path / "jamfor.duckdb")
    for step in range(3):
        _yearly(paths, step, "12,5")
    con = connect_readonly(paths.warehouse)
    try:
        per_run = con.execute(
            "SELECT run_id, natural_key FROM meta.quarantine WHERE entity = 'value' ORDER BY run_id"
        ).fetchall()
        current = con.execute(
            "SELECT natural_key, run_id, n_rejections, first_quarantined_at < quarantined_at "
            "FROM meta.quarantine_current"
        ).fetchall()
    finally:
        con.close()
    assert per_run == [(f"yearly-{n}", "N31807/0180/2020/T") for n in range(3)]
    assert current == [("N31807/0180/2020/T", "yearly-2", 3, True)]
    assert main(["status", "--warehouse", str(paths.warehouse)]) == 0
    shown = capsys.readouterr().out
    assert "Quarantined now, by entity (meta.quarantine_current):\n  value: 1" in shown
    # the source fixes the record: the next full refresh no longer shows it, the history stays
    _yearly(paths, 3, 2.5)
    con = connect_readonly(paths.warehouse)
    try:
        assert con.execute("SELECT count(*) FROM meta.quarantine_current").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM meta.quarantine").fetchall() == [(3,)]
    finally:
        con.close()
