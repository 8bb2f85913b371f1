"""The published file is in storage.STORAGE_VERSION: new files, later loads, and migrated old files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sources.fixtures import REPO_ROOT
from warehouse import marts, storage
from warehouse.ddl import ensure_schema, transaction
from warehouse.history import merge_values
from warehouse.publish import building, connect_readonly

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# DuckDB 2.0's own format, what jamfor published before the storage version was pinned
NATIVE = "v2.0.0"


def _publish(path: Path, frame: pl.DataFrame, run_id: str) -> None:
    with building(path, run_id=run_id) as con, transaction(con):
        merge_values(con, frame, run_id=run_id, as_of=T0, scope=None)
        marts.rebuild(con)


def _comments(path: Path) -> dict[str, str]:
    con = connect_readonly(path)
    try:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() AND comment IS NOT NULL"
        ).fetchall()
        rows += con.execute(
            "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND comment IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _values(path: Path) -> pl.DataFrame:
    con = connect_readonly(path)
    try:
        return con.sql("SELECT * FROM mart.kpi_value ORDER BY ALL").pl()
    finally:
        con.close()


def test_first_and_later_publishes_write_the_pinned_storage_version(tmp_path: Path, small_values) -> None:
    wh = tmp_path / "jamfor.duckdb"
    _publish(wh, small_values, "run-1")
    assert storage.file_version(wh) == storage.STORAGE_VERSION
    _publish(wh, small_values.with_columns(pl.col("value") + 1), "run-2")
    assert storage.file_version(wh) == storage.STORAGE_VERSION
    assert len(_comments(wh)) > 100  # every table and column keeps its COMMENT


def test_a_warehouse_in_duckdb_2_format_is_migrated_by_the_next_load(tmp_path: Path, small_values) -> None:
    wh = tmp_path / "jamfor.duckdb"
    # what an earlier jamfor published: a file created by plain duckdb.connect under DuckDB 2.0
    con = duckdb.connect(str(wh))
    ensure_schema(con)
    with transaction(con):
        merge_values(con, small_values, run_id="old", as_of=T0, scope=None)
        marts.rebuild(con)
    con.close()
    assert storage.file_version(wh) == NATIVE
    before_comments, before_values = _comments(wh), _values(wh)

    _publish(wh, small_values.head(0), "run-after-upgrade")  # a load that changes nothing

    assert storage.file_version(wh) == storage.STORAGE_VERSION
    assert _comments(wh) == before_comments
    assert _values(wh).equals(before_values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jamfor.duckdb", "jamfor.duckdb.lock"]


def test_failed_migration_leaves_the_published_file_untouched(
    tmp_path: Path, small_values, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = tmp_path / "jamfor.duckdb"
    con = duckdb.connect(str(wh))
    ensure_schema(con)
    con.close()
    before = wh.read_bytes()

    def broken(source: Path, target: Path) -> None:
        target.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(storage, "rewrite", broken)  # called by migrate()
    with pytest.raises(OSError, match="disk full"), building(wh, run_id="run-x"):
        pass
    assert wh.read_bytes() == before
    assert not list(tmp_path.glob("*.build-*"))


def test_rewrite_never_overwrites(tmp_path: Path) -> None:
    source, target = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    duckdb.connect(str(source)).close()
    target.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        storage.rewrite(source, target)
    assert target.read_bytes() == b"keep"


def test_readme_names_the_readers_of_the_storage_version() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert storage.READABLE_BY in readme
