"""Build-then-publish: one writer (flock) builds a copy of the warehouse and atomically replaces it.

Readers open the published file read-only. A load never writes to that file: it copies it to
`<warehouse>.build-<run_id>`, writes there, checkpoints, closes and `os.replace`s the copy over the
published path. A reader that already has the old file open keeps its snapshot (it holds the old
inode); a reader that connects afterwards sees the new data. Readers never block the load.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from models import catalogue
from warehouse import storage
from warehouse.ddl import ensure_schema, transaction

READ_ALIAS = "jamfor"
_RUN_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_POLL_S = 1.0
log = logging.getLogger("jamfor.warehouse")


class WarehouseLockError(RuntimeError):
    """The lock file itself is unusable (e.g. a symlink planted where it belongs)."""


class WarehouseLocked(RuntimeError):
    """Another process is loading this warehouse; `holder` is what it wrote into the lock file."""

    def __init__(self, lock_path: Path, holder: dict[str, Any], waited_s: float = 0) -> None:
        self.lock_path = lock_path
        self.holder = holder
        if holder:
            who = (
                f"pid {holder.get('pid')} on host {holder.get('host')}, run {holder.get('run_id')}, "
                f"started {holder.get('started_at')}"
            )
        else:
            who = "an unidentified process (lock file empty or unreadable)"
        after = f" after waiting {waited_s:.0f} s" if waited_s else ""
        super().__init__(
            f"warehouse is being loaded by {who}; lock {lock_path}{after}. Wait for it to finish."
        )


class WarehouseHeldReadWrite(RuntimeError):
    """Another process has the published file open read-write, which locks out every reader."""

    def __init__(self, path: Path, duckdb_message: str) -> None:
        held = _HELD_BY.search(duckdb_message)
        who = f"PID {held['pid']} ({held['program']})" if held else "another process"
        super().__init__(
            f"{path} is open read-write by {who}, which locks out every reader: close that connection "
            "or reopen it read-only (DBeaver: 'Read-only connection'; duckdb -readonly; "
            "access_mode=read_only; see docs/connect.md). The next load's publish also frees the path."
        )


# DuckDB 2.0: 'Could not set lock on file "...": Conflicting lock is held in /usr/bin/x (PID 12)'
_HELD_BY = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


# Linux ioctl FICLONE (_IOW(0x94, 9, int)): make `dst` share `src`'s blocks (copy on write)
_FICLONE = 0x40049409


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _read_holder(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    text = handle.read().strip()
    try:
        holder = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"raw": text}
    return holder if isinstance(holder, dict) else {"raw": text}


def _open_lock(lock_path: Path) -> IO[str]:
    """Open (create) the lock file read-write without following a symlink planted in its place."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            # writing the holder's details through the link would overwrite whatever it points at
            raise WarehouseLockError(
                f"{lock_path} is a symbolic link; remove it, the loader creates it"
            ) from None
        raise
    return os.fdopen(fd, "r+", encoding="utf-8")


# Warehouse paths whose writer lock this process holds (resolved path -> run_id).
_HELD: dict[Path, str] = {}


def _acquire(handle: IO[str], lock_path: Path, wait_s: float) -> None:
    """flock the lock file, polling for up to `wait_s` seconds while another writer holds it."""
    deadline = time.monotonic() + wait_s
    announced = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _read_holder(handle)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseLocked(lock_path, holder, waited_s=wait_s) from None
            if not announced:
                log.info("waiting up to %.0f s for the warehouse lock held by %s", wait_s, holder or "?")
                announced = True
            time.sleep(min(_POLL_S, remaining))


@contextmanager
def writer_lock(warehouse_path: Path, *, run_id: str, wait_s: float = 0) -> Iterator[None]:
    """Hold the single-writer lock (`<warehouse>.lock`, flock); raise WarehouseLocked if another writer
    still holds it after `wait_s` seconds (0: at once).

    A flow takes it around fetch + load so two runs never interleave; `building(..., lock_held=True)`
    then publishes under it. A waiting run polls, so it starts within a second of the holder's end.
    """
    path = Path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _sibling(path, ".lock")
    # No O_TRUNC, so a failed attempt does not wipe the holder's details before we can read them.
    with _open_lock(lock_path) as handle:
        _acquire(handle, lock_path, wait_s)
        key = path.resolve()
        try:
            handle.seek(0)
            handle.truncate()
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "run_id": run_id,
                "started_at": datetime.now(UTC).isoformat(),
            }
            handle.write(json.dumps(holder))
            handle.flush()
            _HELD[key] = run_id
            yield
        finally:
            _HELD.pop(key, None)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove(paths: list[Path]) -> None:
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)  # a killed run's spill directory
        else:
            p.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """Copy the published file to the build file: a reflink where the file system has them.

    On XFS or btrfs a reflink shares the blocks, so the copy and its fsync at publish cost what the
    load changed, not the file's size (a no-change monthly run stays flat as the warehouse grows).
    Elsewhere (ext4, tmpfs, other OSes) it is a plain copy.
    """
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
        return
    except OSError:
        target.unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _copy_in_storage_version(path: Path, build: Path) -> None:
    """The build copy of the published file, migrated to storage.STORAGE_VERSION if it is not in it.

    A warehouse published by an earlier jamfor in DuckDB 2.0's own format is rewritten once (by the
    first load after the upgrade); from then on the cheap copy keeps the format.
    """
    # the version is read from the private copy: the published file may be held by a read-write
    # opener, and a load must still publish past it
    _copy(path, build)
    if storage.file_version(build) != storage.STORAGE_VERSION:
        storage.migrate(build)


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def building(
    warehouse_path: Path, *, run_id: str, lock_held: bool = False, config: Mapping[str, str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a fresh build copy; publish it atomically on normal exit.

    `config` holds DuckDB settings for that connection (memory_limit, threads): beyond its memory limit
    DuckDB spills sorts and joins to a temp directory beside the build file.

    Takes the writer lock (WarehouseLocked if another writer has it) unless `lock_held`, in which case
    this process must already hold `writer_lock` for the path. On an exception in the body, or a failed
    data test of the finished build (warehouse.datatests.DataTestError), the build file is deleted, the
    published file is untouched and the exception propagates.
    """
    if not _RUN_ID.match(run_id):
        raise ValueError(f"run_id {run_id!r} must match {_RUN_ID.pattern} (it names the build file)")
    path = Path(warehouse_path)
    if lock_held:
        if path.resolve() not in _HELD:
            raise RuntimeError(
                f"building({path}, lock_held=True) but this process holds no writer_lock on it"
            )
        yield from _build_and_publish(path, run_id, config or {})
        return
    with writer_lock(path, run_id=run_id):
        yield from _build_and_publish(path, run_id, config or {})


def _build_and_publish(
    path: Path, run_id: str, config: Mapping[str, str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    # Holding the lock means any build file left behind belongs to a killed run.
    _remove(sorted(path.parent.glob(f"{path.name}.build-*")))
    if _sibling(path, ".wal").exists():
        raise RuntimeError(
            f"{_sibling(path, '.wal')} exists: something opened the published warehouse read-write. "
            "Only the loader may write; find out what wrote it, then remove it or load it by hand."
        )
    build = _sibling(path, f".build-{run_id}")
    con: duckdb.DuckDBPyConnection | None = None
    published = False
    try:
        if path.exists():
            _copy_in_storage_version(path, build)
        # a first load creates the file: give it the storage version older readers open
        con = duckdb.connect(str(build), config={**storage.new_file_config(), **config})
        with transaction(con):
            ensure_schema(con)
        yield con
        con.execute("CHECKPOINT")
        # every model's data tests on the finished build; a failure leaves the published file as it was
        # (imported here: the read-only connects of status and compare need neither them nor every model)
        from warehouse.datatests import check_build

        check_build(con)
        con.close()
        con = None
        if _sibling(build, ".wal").exists():
            raise RuntimeError(f"{build}.wal survived CHECKPOINT and close; not publishing")
        _fsync_path(build)
        os.replace(build, path)
        published = True
        _fsync_path(path.parent, directory=True)
    finally:
        if con is not None:
            con.close()
        # DuckDB's spill directory for the build connection (created only when it spilled)
        shutil.rmtree(_sibling(build, ".tmp"), ignore_errors=True)
        if not published:
            _remove([build, _sibling(build, ".wal")])


class WarehouseOutdated(RuntimeError):
    """The published file predates this code's schema: the next load migrates it."""

    def __init__(self, path: Path, version: int | None) -> None:
        super().__init__(
            f"{path} has warehouse schema v{version or 1}, this jamfor reads v{catalogue.SCHEMA_VERSION}: "
            "run a load (e.g. `jamfor load monthly`, or `jamfor load files` for a file-only warehouse) and "
            "it is migrated; nothing is lost"
        )


def connect_readonly(warehouse_path: Path, *, current: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only, always on the file's current generation.

    The file is ATTACHed to a private in-memory database (not `duckdb.connect(path)`), because DuckDB
    caches one database instance per path per process: a second `connect(path)` in the same process
    would keep returning the generation that was open first, even after a publish replaced the file.
    `current=True` (the comparison, report and discovery reads) refuses a file of an older schema
    version with one line saying how to migrate it, instead of failing on a missing column.
    """
    path = Path(warehouse_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no published warehouse at {path}; run a load first (or set JAMFOR_WAREHOUSE)"
        )
    con = duckdb.connect(":memory:")
    try:
        # the path is a parameter: a file name is user text and never becomes SQL
        con.execute(f"ATTACH $path AS {READ_ALIAS} (READ_ONLY)", {"path": str(path)})
        con.execute(f"USE {READ_ALIAS}")
        con.execute("SET TimeZone = 'UTC'")
    except duckdb.IOException as exc:
        con.close()
        if "Conflicting lock" in str(exc):
            raise WarehouseHeldReadWrite(path, str(exc)) from None
        raise
    except duckdb.Error:
        con.close()
        raise
    if current:
        # fetchall: DuckDB 2 refuses further work on a connection with a half-read result
        [(version,)] = con.execute("SELECT max(version) FROM meta.schema_version").fetchall()
        if version is None or version < catalogue.SCHEMA_VERSION:
            con.close()
            raise WarehouseOutdated(path, version)
    return con
