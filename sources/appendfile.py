"""Append-only text files (raw pages, the run log) opened so that a planted symlink is refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO


def open_append_no_follow(path: Path) -> IO[str]:
    """Open `path` for appending UTF-8 lines, creating it; a symlink in its place raises ELOOP.

    O_NOFOLLOW: a symlink planted in the data directory must not redirect the append elsewhere.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    return os.fdopen(fd, "a", encoding="utf-8", newline="\n")
