"""Raw page store: every Kolada page as received, one NDJSON line per page (docs/design.md, Raw store).

Layout: `<root>/raw/kolada/<fetch_id>/<endpoint>.ndjson`. Each line holds the URL, the UTC fetch time,
the HTTP status, the sha256 of the body bytes and the body text verbatim, so later layers can re-parse
and audit exactly what the API said.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sources.appendfile import open_append_no_follow
from sources.http import JsonResponse

ENDPOINTS = frozenset({"kpi", "kpi_groups", "municipality", "municipality_groups", "ou", "data", "oudata"})
PAGES_SCHEMA = pl.Schema(
    {
        "url": pl.String,
        "fetched_at": pl.Datetime("us", "UTC"),
        "status": pl.Int64,
        "sha256": pl.String,
        "endpoint": pl.String,
        "body": pl.String,
    }
)
_STORED_SCHEMA = pl.Schema({**PAGES_SCHEMA, "fetched_at": pl.String})
_FETCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class RawStoreIntegrityError(ValueError):
    """A stored body no longer matches its recorded sha256."""


class RawStoreEscapeError(ValueError):
    """The raw store would write outside the data directory (a symbolic link in the way)."""


def new_fetch_id() -> str:
    """A sortable, unique fetch id: UTC timestamp plus a short random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(6)}"


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown Kolada endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS)}")


class RawStore:
    """Appends pages for one fetch under root/raw/kolada/<fetch_id>/; safe to share between threads."""

    def __init__(self, root: Path, fetch_id: str) -> None:
        if not _FETCH_ID.fullmatch(fetch_id):
            raise ValueError(f"invalid fetch_id {fetch_id!r}: use letters, digits, '.', '_' or '-'")
        self.fetch_id = fetch_id
        self.fetch_dir = Path(root) / "raw" / "kolada" / fetch_id
        self.fetch_dir.mkdir(parents=True, exist_ok=True)
        # a symlink planted under the data directory (raw/, raw/kolada/) must not carry pages elsewhere
        if not self.fetch_dir.resolve().is_relative_to(Path(root).resolve()):
            raise RawStoreEscapeError(
                f"raw store {self.fetch_dir} resolves to {self.fetch_dir.resolve()}, outside the data "
                f"directory {Path(root).resolve()}; remove the symbolic link"
            )
        self._lock = threading.Lock()
        self._pages: dict[str, int] = {}
        self._bytes: dict[str, int] = {}

    def path(self, endpoint: str) -> Path:
        """The NDJSON file holding this endpoint's pages."""
        _check_endpoint(endpoint)
        return self.fetch_dir / f"{endpoint}.ndjson"

    def write(self, endpoint: str, resp: JsonResponse) -> None:
        """Append one page and flush it to disk before returning."""
        path = self.path(endpoint)
        record = {
            "url": resp.url,
            "fetched_at": resp.fetched_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "status": resp.status,
            "sha256": hashlib.sha256(resp.body).hexdigest(),
            "endpoint": endpoint,
            # Strict decoding: a body that is not UTF-8 must fail loudly, not be stored altered.
            "body": resp.body.decode("utf-8"),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, open_append_no_follow(path) as fh:
            fh.write(line)
            fh.flush()
            self._pages[endpoint] = self._pages.get(endpoint, 0) + 1
            self._bytes[endpoint] = self._bytes.get(endpoint, 0) + len(resp.body)

    def manifest(self) -> dict[str, dict[str, Any]]:
        """Pages and body bytes written by this store, per endpoint."""
        with self._lock:
            return {
                ep: {"pages": n, "bytes": self._bytes[ep], "file": str(self.fetch_dir / f"{ep}.ndjson")}
                for ep, n in sorted(self._pages.items())
            }


def read_pages(fetch_dir: Path, endpoint: str) -> pl.DataFrame:
    """Load an endpoint's pages as the design's pages frame; a missing file gives an empty frame."""
    _check_endpoint(endpoint)
    path = Path(fetch_dir) / f"{endpoint}.ndjson"
    if not path.is_file() or path.stat().st_size == 0:
        return pl.DataFrame(schema=PAGES_SCHEMA)
    return _pages_frame(pl.read_ndjson(path, schema=_STORED_SCHEMA))


def iter_pages(fetch_dir: Path, endpoint: str, pages_per_batch: int) -> Iterator[pl.DataFrame]:
    """The endpoint's pages as frames of at most `pages_per_batch` pages, in stored order.

    Memory stays bounded by one batch of page bodies (a full-scope /data fetch is ~1 GB of text).
    A missing or empty file yields nothing.
    """
    _check_endpoint(endpoint)
    if pages_per_batch < 1:
        raise ValueError(f"pages_per_batch must be at least 1, got {pages_per_batch}")
    path = Path(fetch_dir) / f"{endpoint}.ndjson"
    if not path.is_file():
        return
    with path.open("rb") as fh:
        while lines := list(itertools.islice(fh, pages_per_batch)):
            # isspace() answers at the first byte of a page line; strip() would copy every line
            if any(line and not line.isspace() for line in lines):
                yield _pages_frame(pl.read_ndjson(io.BytesIO(b"".join(lines)), schema=_STORED_SCHEMA))


def _pages_frame(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(
        pl.col("fetched_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC")
    ).select(PAGES_SCHEMA.names())


def verify_pages(df: pl.DataFrame) -> None:
    """Recompute each body's sha256; raise RawStoreIntegrityError naming the pages that differ."""
    bad = [
        url
        for url, body, digest in df.select("url", "body", "sha256").iter_rows()
        if body is None or hashlib.sha256(body.encode("utf-8")).hexdigest() != digest
    ]
    if bad:
        shown = ", ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else "")
        raise RawStoreIntegrityError(f"{len(bad)} of {df.height} raw pages fail their sha256 check: {shown}")
