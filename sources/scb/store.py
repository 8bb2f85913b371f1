"""SCB's part of the raw store (sources.rawstore): every json-stat2 answer kept verbatim as its own file.

Layout: `<root>/raw/scb/<fetch_id>/<table>-<nnnn>.json` plus `manifest.ndjson` (one line per answer:
url, fetched_at, status, sha256 of the body, the request body and the file name). The answer files
are what `jamfor load files` (pipeline.files) loads, so a fetch and a downloaded file take the same path
into the warehouse, and an answer identical to one already loaded is skipped by its content hash.
"""

from __future__ import annotations

from pathlib import Path

from sources.rawstore import RawStore

SOURCE = "scb"


def scb_store(root: Path, fetch_id: str) -> RawStore:
    """The raw store of one SCB fetch: root/raw/scb/<fetch_id>/."""
    return RawStore(root, SOURCE, fetch_id)


def answer_name(table_id: str) -> str:
    """The file-name stem of a table's answers (a v1 table path's slashes become underscores)."""
    return table_id.replace("/", "_")
