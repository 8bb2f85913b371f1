"""An append-only NDJSON log of every run, including failed runs that never reach the warehouse."""

from __future__ import annotations

import errno
import json
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sources.appendfile import open_append_no_follow


class RunLogError(RuntimeError):
    """The run log cannot be written safely."""


def append(path: Path, record: dict[str, Any]) -> None:
    """Append one run record (one JSON line); the directory is created when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"logged_at": datetime.now(UTC).isoformat(), **record}, default=str, ensure_ascii=False)
    try:
        handle = open_append_no_follow(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RunLogError(
                f"run log {path} is a symbolic link; remove it (the loader creates it)"
            ) from None
        raise
    with handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def one_line(exc: BaseException) -> str:
    """An exception as the one line a failed run reports: `Type: first line of the message`."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def append_failure(path: Path, record: dict[str, Any], exc: BaseException) -> None:
    """Append a failed run with its one-line reason and full traceback, then release the traceback's
    finished frames.

    Those frames hold what the run held (a DuckDB connection, relations, frames of data); kept alive
    by the exception until the interpreter exits, DuckDB's bindings report them as "nanobind: leaked
    ..." on stderr. The traceback text needs only code and line numbers, which clearing keeps.
    """
    text = "".join(traceback.format_exception(exc))
    try:
        append(path, {**record, "status": "failed", "message": one_line(exc), "traceback": text})
    finally:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            traceback.clear_frames(current.__traceback__)
            current = current.__cause__ or current.__context__


def tail(path: Path, n: int = 10) -> list[dict[str, Any]]:
    """The last n run records, newest last; an unreadable line is reported, not skipped silently."""
    if not path.is_file():
        return []
    records: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            records.append({"status": "unreadable", "message": f"{path}:{number} is not valid JSON"})
    return records[-n:]
