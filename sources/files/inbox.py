"""The inbox: a directory where deliveries are dropped for the monthly flow to load.

JAMFOR_INBOX, default `$JAMFOR_DATA_DIR/inbox`. After a run each file moves to `loaded/` (loaded or
already loaded) or `failed/` (with a `<name>.error.txt` saying why) under the inbox, so the next run
sees only new deliveries.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

DONE_DIRS = ("loaded", "failed")


def inbox_dir(data_dir: Path, configured: str | Path | None = None) -> Path:
    """The inbox directory: the argument, else JAMFOR_INBOX, else data_dir/inbox."""
    value = configured or os.environ.get("JAMFOR_INBOX", "").strip()
    return Path(value) if value else Path(data_dir) / "inbox"


def list_inbox(inbox: Path) -> list[Path]:
    """Files waiting in the inbox (not hidden, not in loaded/ or failed/), sorted by name."""
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))


def archive(path: Path, inbox: Path, outcome: str, error: str | None = None) -> Path:
    """Move a processed file to inbox/<outcome>/<UTC timestamp>-<name>; write the error next to it."""
    if outcome not in DONE_DIRS:
        raise ValueError(f"outcome must be one of {DONE_DIRS}, got {outcome!r}")
    target_dir = inbox / outcome
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{path.name}"
    shutil.move(str(path), target)
    if error is not None:
        target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
    return target
