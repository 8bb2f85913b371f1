"""A warehouse of schema version 1 (network measures keyed without their network) migrates on the next
load (SYNTHETIC warehouse of tests/comparison_data: network "trio" = 0101, 0102, 0105)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from models.catalogue import SCHEMA_VERSION
from pipeline.files import load_files
from tests import comparison_data as data
from warehouse.ddl import ensure_schema
from warehouse.publish import connect_readonly

# (network as a version-1 file may hold it, measure, municipality, value)
LEGACY = [
    (None, "BT1", "0101", 60.0),  # no network named: it meant every network of the kommun
    (None, "BT1", "0102", 70.0),
    ("Syntetiskt NÄTVERK", "BT1", "0105", 50.0),  # trio's title, as written in the file
    ("annat", "XX1", "0101", 1.0),  # a network no networks file defines
    (None, "BT1", "0103", 5.0),  # a kommun in no network
]


def _old_warehouse(path: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        data.build(con, data.reference_files(tmp_path))
        # the version-1 shape: network nullable, and the file says version 1
        con.execute("ALTER TABLE core.network_measure ALTER COLUMN network DROP NOT NULL")
        for network, measure, kommun, value in LEGACY:
            con.execute(
                "INSERT INTO core.network_measure (network, measure_id, municipality_id, period, year, "
                "value, status, direction, valid_from, is_deleted, load_run_id) "
                "VALUES (?, ?, ?, '2023', 2023, ?, 'ok', 'higher', ?, FALSE, 'old')",
                [network, measure, kommun, value, data.AS_OF + timedelta(days=1)],
            )
        con.execute("DELETE FROM meta.schema_version")
        con.execute("INSERT INTO meta.schema_version VALUES (1, now(), 'version 1')")
    finally:
        con.close()


def test_the_next_load_migrates_an_old_shaped_network_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = data.reference_files(tmp_path)
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(files.networks))
    warehouse = tmp_path / "jamfor.duckdb"
    _old_warehouse(warehouse, tmp_path)
    delivery = tmp_path / "trio.csv"
    delivery.write_text("nätverk;kommun;mått;period;värde\ntrio;0101;VT9;2024;3\n", encoding="utf-8")
    report = load_files([delivery], warehouse=warehouse)
    assert report.count("loaded") == 1
    con = connect_readonly(warehouse)
    try:
        rows = con.execute(
            "SELECT network, measure_id, municipality_id, value FROM core.network_measure "
            "WHERE valid_to IS NULL ORDER BY ALL"
        ).fetchall()
        version = con.execute("SELECT max(version) FROM meta.schema_version").fetchall()
        nullable = con.execute(
            "SELECT is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'core' AND table_name = 'network_measure' AND column_name = 'network'"
        ).fetchall()
        compared = con.execute(
            "SELECT municipality_id, peer_mean FROM mart.municipality_comparison "
            "WHERE kpi_id = 'BT1' AND peer_set_id = 'network:trio' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("", "BT1", "0103", 5.0),
        ("annat", "XX1", "0101", 1.0),
        ("trio", "BT1", "0101", 60.0),
        ("trio", "BT1", "0102", 70.0),
        ("trio", "BT1", "0105", 50.0),
        ("trio", "VT9", "0101", 3.0),
    ]
    assert version == [(SCHEMA_VERSION,)] and nullable == [("NO",)]
    # the comparisons are what they were: trio's three kommuner compared with each other
    assert compared == [("0101", 60.0), ("0102", 55.0), ("0105", 65.0)]
