"""A second process holding the published file read-write (DBeaver's default) and what jamfor says.

DuckDB lets one read-write opener lock a file against every other process; readers then fail. The CLI's
readers must say so on one line, naming the holder's PID and the fix, and a load must still publish
past the holder (which frees the path for readers again).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from warehouse import marts, storage
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import building, connect_readonly

from ..warehouse.conftest import load_values

HOLDER = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"  # read-write, as DBeaver opens a file by default
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
)


def _publish(path: Path, frame: pl.DataFrame, run_id: str) -> None:
    with building(path, run_id=run_id) as con, transaction(con):
        merge_values(con, frame, run_id=run_id, as_of=datetime(2026, 1, 1, tzinfo=UTC), scope=None)
        marts.rebuild(con)


@pytest.fixture(scope="module")
def values() -> pl.DataFrame:
    return load_values(["n31807"])


@pytest.fixture
def warehouse(tmp_path: Path, values: pl.DataFrame) -> Path:
    path = tmp_path / "jamfor.duckdb"
    _publish(path, values, "run-1")
    return path


@pytest.fixture
def holder(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.communicate(timeout=30)  # closing stdin ends it


@pytest.mark.parametrize(
    "command",
    [["status"], ["compare", "0561"], ["report", "0561"]],
    ids=["status", "compare", "report"],
)
def test_reader_commands_name_the_read_write_holder_on_one_line(
    command: list[str],
    warehouse: Path,
    holder: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*command, "--warehouse", str(warehouse), "--data-dir", str(warehouse.parent)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1, err
    assert f"open read-write by PID {holder.pid}" in err
    assert "reopen it read-only" in err and "docs/connect.md" in err


def test_a_load_publishes_past_the_holder_and_frees_the_path(
    warehouse: Path, holder: subprocess.Popen[str], values: pl.DataFrame
) -> None:
    _publish(warehouse, values.with_columns(pl.col("value") * 2), "run-2")
    assert storage.file_version(warehouse) == storage.STORAGE_VERSION
    con = connect_readonly(warehouse)  # the holder keeps the old file; the path is free again
    try:
        total = con.execute("SELECT sum(value) FROM mart.kpi_value").fetchone()[0]
    finally:
        con.close()
    assert total == pytest.approx(2 * values["value"].sum())
