"""Build-then-publish: atomic replace, single writer, readers that neither block nor see partial loads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import marts
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import (
    WarehouseLocked,
    building,
    connect_readonly,
    writer_lock,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publish(path: Path, frame: pl.DataFrame, run_id: str, as_of: datetime) -> None:
    with building(path, run_id=run_id) as con, transaction(con):
        merge_values(con, frame, run_id=run_id, as_of=as_of, scope=None)
        marts.rebuild(con)


def _mart_count(path: Path) -> int:
    con = connect_readonly(path)
    try:
        return con.sql("SELECT count(*) AS n FROM mart.kpi_value").pl()["n"][0]
    finally:
        con.close()


def _leftovers(path: Path) -> list[str]:
    return sorted(
        p.name for p in path.parent.iterdir() if p.name != path.name and not p.name.endswith(".lock")
    )


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "jamfor.duckdb"


def test_publish_creates_file_without_wal_or_build_leftovers(wh, small_values):
    _publish(wh, small_values, "run-1", T0)
    assert wh.is_file()
    assert _leftovers(wh) == []  # no .wal, no .build-*
    assert _mart_count(wh) == small_values.height


def test_exception_leaves_published_file_byte_identical(wh, small_values):
    _publish(wh, small_values.head(100), "run-1", T0)
    before = _sha(wh)
    with pytest.raises(RuntimeError, match="boom"), building(wh, run_id="run-2") as con:
        merge_values(con, small_values, run_id="run-2", as_of=T0 + timedelta(days=1), scope=None)
        raise RuntimeError("boom")
    assert _sha(wh) == before
    assert _leftovers(wh) == []
    assert _mart_count(wh) == 100


def test_open_transaction_at_exit_is_not_published(wh, small_values):
    _publish(wh, small_values.head(100), "run-1", T0)
    before = _sha(wh)
    with pytest.raises(duckdb.Error), building(wh, run_id="run-2") as con:
        con.execute("BEGIN TRANSACTION")
        merge_values(con, small_values, run_id="run-2", as_of=T0 + timedelta(days=1), scope=None)
    assert _sha(wh) == before and _leftovers(wh) == []


def test_second_writer_is_refused_naming_the_holder(wh):
    with (
        building(wh, run_id="holder-run"),
        pytest.raises(WarehouseLocked) as info,
        building(wh, run_id="second-run"),
    ):
        pass
    message = str(info.value)
    assert "holder-run" in message and f"pid {os.getpid()}" in message and "started" in message
    assert info.value.holder["run_id"] == "holder-run"
    # The lock is released afterwards: a later writer gets in.
    with building(wh, run_id="third-run"):
        pass


def test_writer_lock_spans_fetch_and_build(wh):
    with writer_lock(wh, run_id="flow-run"):
        with pytest.raises(WarehouseLocked, match="flow-run"), writer_lock(wh, run_id="other"):
            pass
        with building(wh, run_id="flow-run", lock_held=True):
            pass
    assert wh.is_file()
    with pytest.raises(RuntimeError, match="holds no writer_lock"), building(wh, run_id="x", lock_held=True):
        pass


def test_stale_build_files_of_killed_runs_are_removed(wh, small_values):
    _publish(wh, small_values.head(10), "run-1", T0)
    stale = wh.with_name(wh.name + ".build-killed")
    stale.write_bytes(b"left by a killed run")
    wh.with_name(wh.name + ".build-killed.wal").write_bytes(b"")
    with building(wh, run_id="run-2"):
        assert not stale.exists()
    assert _leftovers(wh) == []


def test_published_wal_refuses_to_build(wh, small_values):
    _publish(wh, small_values.head(10), "run-1", T0)
    wh.with_name(wh.name + ".wal").write_bytes(b"")
    with pytest.raises(RuntimeError, match="read-write"), building(wh, run_id="run-2"):
        pass


def test_run_id_must_be_file_name_safe(wh):
    with pytest.raises(ValueError, match="run_id"), building(wh, run_id="../escape"):
        pass


READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    query = "SELECT count(*) FROM mart.kpi_value"
    print(con.execute(query).fetchall()[0][0], flush=True)
    sys.stdin.readline()
    print(con.execute(query).fetchall()[0][0], flush=True)
    """
)


def test_reader_keeps_its_snapshot_and_does_not_block_the_load(wh, small_values):
    _publish(wh, small_values.head(100), "run-1", T0)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(wh)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "100"
        _publish(wh, small_values, "run-2", T0 + timedelta(days=1))  # the reader holds the old file open
        assert _mart_count(wh) == small_values.height  # a new reader sees the new generation
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "100"  # the open reader kept its snapshot
    finally:
        reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert _leftovers(wh) == []


def test_in_process_reader_sees_each_new_generation(wh, small_values):
    _publish(wh, small_values.head(10), "run-1", T0)
    old = connect_readonly(wh)
    _publish(wh, small_values.head(20), "run-2", T0 + timedelta(days=1))
    try:
        assert old.sql("SELECT count(*) AS n FROM mart.kpi_value").pl()["n"][0] == 10
        assert _mart_count(wh) == 20
    finally:
        old.close()


def test_connect_readonly_is_read_only_and_explains_a_missing_file(wh, small_values):
    with pytest.raises(FileNotFoundError, match="no published warehouse"):
        connect_readonly(wh)
    _publish(wh, small_values.head(10), "run-1", T0)
    con = connect_readonly(wh)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM core.kpi_value_history")
    finally:
        con.close()


def test_build_copy_uses_a_reflink_when_the_file_system_has_them(tmp_path: Path, monkeypatch) -> None:
    """FICLONE where supported (XFS, btrfs); otherwise (ext4 here) a plain, byte-identical copy."""
    from warehouse import publish

    source = tmp_path / "w.duckdb"
    source.write_bytes(bytes(range(256)) * 1000)
    publish._copy(source, tmp_path / "plain")
    assert (tmp_path / "plain").read_bytes() == source.read_bytes()

    cloned = []

    def fake_clone(fd: int, request: int, src_fd: int) -> int:
        assert request == publish._FICLONE
        cloned.append(request)
        os.write(fd, os.pread(src_fd, source.stat().st_size, 0))
        return 0

    def no_copy(*args, **kwargs):
        raise AssertionError("fell back to a byte copy although the reflink worked")

    monkeypatch.setattr(publish.fcntl, "ioctl", fake_clone)
    monkeypatch.setattr(publish.shutil, "copyfile", no_copy)
    publish._copy(source, tmp_path / "reflinked")
    assert cloned and (tmp_path / "reflinked").read_bytes() == source.read_bytes()
