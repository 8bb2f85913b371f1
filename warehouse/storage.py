"""The on-disk storage format of the published warehouse: one version that every current reader opens.

DuckDB 2.0 writes storage version 69 by default, which DuckDB 1.x (the CLI from the package index, the
JDBC driver of DBeaver and Metabase, the Node client Evidence uses, ibis on an older duckdb) refuses:
"Trying to read a database file with version number 69, but we can only read versions between 64 and
68". A file created with `STORAGE_VERSION` stays in that format for every later write by DuckDB 2.0
(DuckDB never upgrades a file by itself), so the loader only has to create new files with it and
rewrite, once, a file an earlier jamfor wrote in the newer format.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# The oldest DuckDB release that must be able to open the published file (its storage version, 67,
# also covers 1.5.x). Change it here only: the build connection, the migration and README follow it.
STORAGE_VERSION = "v1.4.0"
READABLE_BY = "DuckDB 1.4.0 and later (1.4 LTS, 1.5.x, 2.0)"

# the aliases are written out in the SQL below (no SQL text is built from values in warehouse/)
_SOURCE = "jamfor_migrate_source"
_TARGET = "jamfor_migrate_target"


def new_file_config() -> dict[str, str]:
    """DuckDB settings under which a file created by `duckdb.connect(path)` gets STORAGE_VERSION."""
    return {"storage_compatibility_version": STORAGE_VERSION}


def attached_version(con: duckdb.DuckDBPyConnection, alias: str) -> str | None:
    """The storage version DuckDB reports for an attached database, e.g. "v1.4.0" (None if untagged).

    DuckDB tags each attached file with the oldest release that reads it, written "v1.4.0+".
    """
    row = con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = ?", [alias]
    ).fetchone()
    if row is None or not row[0]:
        return None
    return str(row[0]).rstrip("+")


def file_version(path: Path) -> str | None:
    """The storage version of a DuckDB file on disk, read through a read-only attach."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH $path AS jamfor_migrate_source (READ_ONLY)", {"path": str(path)})
        return attached_version(con, _SOURCE)
    finally:
        con.close()


def rewrite(source: Path, target: Path) -> None:
    """Write a copy of `source` in STORAGE_VERSION to `target` (which must not exist).

    COPY FROM DATABASE carries schemas, tables, constraints, views and their comments; the copy is
    checked to report STORAGE_VERSION before it is used.
    """
    if target.exists():
        raise FileExistsError(f"{target} exists; the storage migration writes a new file only")
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH $path AS jamfor_migrate_source (READ_ONLY)", {"path": str(source)})
        con.execute(
            "ATTACH $path AS jamfor_migrate_target (STORAGE_VERSION $version)",
            {"path": str(target), "version": STORAGE_VERSION},
        )
        con.execute("COPY FROM DATABASE jamfor_migrate_source TO jamfor_migrate_target")
        written = attached_version(con, _TARGET)
        con.execute("DETACH jamfor_migrate_target")
    finally:
        con.close()
    if written != STORAGE_VERSION:
        raise RuntimeError(f"{target} was written as storage version {written}, not {STORAGE_VERSION}")


def migrate(path: Path) -> None:
    """Rewrite a DuckDB file (a private build copy, never the published file) in STORAGE_VERSION."""
    rewritten = path.with_name(path.name + ".migrating")
    rewritten.unlink(missing_ok=True)
    try:
        rewrite(path, rewritten)
        os.replace(rewritten, path)
    finally:
        rewritten.unlink(missing_ok=True)
