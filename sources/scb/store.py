"""Raw store for SCB answers: every json-stat2 response body kept verbatim as its own file.

Layout: `<root>/raw/scb/<fetch_id>/<table>-<nnnn>.json` plus `manifest.ndjson` (one line per response:
url, fetched_at, status, sha256 of the body, the request body and the file name). The response files
are what `jamfor load files` (pipeline.files) loads, so a fetch and a downloaded file take the same path
into the warehouse, and a response identical to one already loaded is skipped by its content hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC
from pathlib import Path
from typing import Any

from sources.http import JsonResponse

_FETCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TABLE = re.compile(r"[A-Za-z0-9_.-]+")


class ResponseStore:
    """Writes SCB responses under root/raw/scb/<fetch_id>/; safe to share between threads."""

    def __init__(self, root: Path, fetch_id: str) -> None:
        if not _FETCH_ID.fullmatch(fetch_id):
            raise ValueError(f"invalid fetch_id {fetch_id!r}: use letters, digits, '.', '_' or '-'")
        self.fetch_id = fetch_id
        self.fetch_dir = Path(root) / "raw" / "scb" / fetch_id
        self.fetch_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0
        self.files: list[Path] = []

    @property
    def manifest_path(self) -> Path:
        return self.fetch_dir / "manifest.ndjson"

    def write(self, table_id: str, resp: JsonResponse, request: Any = None) -> Path:
        """Write one response body as received and append its manifest line; return the file."""
        name = table_id.replace("/", "_")
        if not _TABLE.fullmatch(name):
            raise ValueError(f"invalid table id {table_id!r} for a file name")
        with self._lock:
            self._count += 1
            path = self.fetch_dir / f"{name}-{self._count:04d}.json"
            path.write_bytes(resp.body)
            record = {
                "url": resp.url,
                "fetched_at": resp.fetched_at.astimezone(UTC).isoformat(timespec="microseconds"),
                "status": resp.status,
                "sha256": hashlib.sha256(resp.body).hexdigest(),
                "request": request,
                "file": path.name,
            }
            with self.manifest_path.open("a", encoding="utf-8", newline="\n") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                fh.flush()
            self.files.append(path)
        return path
