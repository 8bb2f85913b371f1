"""The raw store: every API answer as received, one NDJSON line each (docs/design.md, Raw store).

Layout: `<root>/raw/<source>/<fetch_id>/`. Every line starts with the same four facts — URL, UTC fetch
time, HTTP status, sha256 of the body bytes — and then either holds the body itself (`write`: Kolada's
pages, `<kind>.ndjson` with `endpoint` and `body`) or names the file the body was kept in verbatim
(`write_file`: SCB's json-stat2 answers, `<name>-<nnnn>.json` plus a `manifest.ndjson` line with the
request and the file name), so later layers can re-parse and audit exactly what the API said.
Lines are appended through sources.appendfile, so a symbolic link planted in the store is refused.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
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

PAGES_SCHEMA = pl.Schema(
    {
        "url": pl.String(),
        "fetched_at": pl.Datetime("us", "UTC"),
        "status": pl.Int64(),
        "sha256": pl.String(),
        "endpoint": pl.String(),
        "body": pl.String(),
    }
)
_STORED_SCHEMA = pl.Schema({**PAGES_SCHEMA, "fetched_at": pl.String()})
_FETCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
MANIFEST = "manifest.ndjson"


class RawStoreIntegrityError(ValueError):
    """A stored body no longer matches its recorded sha256."""


class RawStoreEscapeError(ValueError):
    """The raw store would write outside the data directory (a symbolic link in the way)."""


def new_fetch_id() -> str:
    """A sortable, unique fetch id: UTC timestamp plus a short random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(6)}"


def check_kind(kind: str, kinds: frozenset[str] | None, source: str) -> str:
    """`kind` if it is one of `kinds` (any file-safe name when None); else ValueError naming them."""
    if kinds is None:
        if not _NAME.fullmatch(kind):
            raise ValueError(f"invalid {source} name {kind!r} for a file name")
    elif kind not in kinds:
        raise ValueError(f"unknown {source.capitalize()} endpoint {kind!r}; expected one of {sorted(kinds)}")
    return kind


class RawStore:
    """Appends one fetch's answers under root/raw/<source>/<fetch_id>/; safe to share between threads.

    `kinds` names the files `write` may append to (a source's endpoints); None allows any file-safe name.
    """

    def __init__(self, root: Path, source: str, fetch_id: str, kinds: frozenset[str] | None = None) -> None:
        if not _FETCH_ID.fullmatch(fetch_id):
            raise ValueError(f"invalid fetch_id {fetch_id!r}: use letters, digits, '.', '_' or '-'")
        self.source = check_kind(source, None, "source")
        self.kinds = kinds
        self.fetch_id = fetch_id
        self.fetch_dir = Path(root) / "raw" / source / fetch_id
        self.fetch_dir.mkdir(parents=True, exist_ok=True)
        # a symlink planted under the data directory (raw/, raw/<source>/) must not carry answers elsewhere
        if not self.fetch_dir.resolve().is_relative_to(Path(root).resolve()):
            raise RawStoreEscapeError(
                f"raw store {self.fetch_dir} resolves to {self.fetch_dir.resolve()}, outside the data "
                f"directory {Path(root).resolve()}; remove the symbolic link"
            )
        self._lock = threading.Lock()
        self._pages: dict[str, int] = {}
        self._bytes: dict[str, int] = {}
        self.files: list[Path] = []

    def path(self, kind: str) -> Path:
        """The NDJSON file holding this kind's pages (never the manifest of `write_file`)."""
        path = self.fetch_dir / f"{check_kind(kind, self.kinds, self.source)}.ndjson"
        if path.name == MANIFEST:
            raise ValueError(f"{MANIFEST} lists the answers kept as files; pages cannot go there")
        return path

    @property
    def manifest_path(self) -> Path:
        """The NDJSON file listing the answers kept as files (`write_file`)."""
        return self.fetch_dir / MANIFEST

    def write(self, kind: str, resp: JsonResponse) -> None:
        """Append one page, its body inline, and flush it to disk before returning."""
        path = self.path(kind)
        # Strict decoding: a body that is not UTF-8 must fail loudly, not be stored altered.
        line = _line(resp, endpoint=kind, body=resp.body.decode("utf-8"))
        with self._lock, open_append_no_follow(path) as fh:
            fh.write(line)
            fh.flush()
            self._pages[kind] = self._pages.get(kind, 0) + 1
            self._bytes[kind] = self._bytes.get(kind, 0) + len(resp.body)

    def write_file(self, name: str, resp: JsonResponse, request: Any = None) -> Path:
        """Keep one answer's body verbatim as `<name>-<nnnn>.json`, append its manifest line; the file."""
        check_kind(name, None, self.source)
        with self._lock:
            path = self.fetch_dir / f"{name}-{len(self.files) + 1:04d}.json"
            # O_EXCL | O_NOFOLLOW: never write through a link or over an earlier answer
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as body:
                body.write(resp.body)
            with open_append_no_follow(self.manifest_path) as fh:
                fh.write(_line(resp, request=request, file=path.name))
                fh.flush()
            self.files.append(path)
        return path

    def manifest(self) -> dict[str, dict[str, Any]]:
        """Pages and body bytes appended by `write`, per kind."""
        with self._lock:
            return {
                kind: {"pages": n, "bytes": self._bytes[kind], "file": str(self.fetch_dir / f"{kind}.ndjson")}
                for kind, n in sorted(self._pages.items())
            }


def _line(resp: JsonResponse, **fields: Any) -> str:
    """One stored line: the four facts every answer has, then `fields`."""
    record = {
        "url": resp.url,
        "fetched_at": resp.fetched_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "status": resp.status,
        "sha256": hashlib.sha256(resp.body).hexdigest(),
        **fields,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def read_pages(path: Path) -> pl.DataFrame:
    """Load a page file (`RawStore.path`) as the design's pages frame; a missing file gives an empty one."""
    if not path.is_file() or path.stat().st_size == 0:
        return pl.DataFrame(schema=PAGES_SCHEMA)
    return _pages_frame(pl.read_ndjson(path, schema=_STORED_SCHEMA))


def iter_pages(path: Path, pages_per_batch: int) -> Iterator[pl.DataFrame]:
    """A page file's pages as frames of at most `pages_per_batch` pages, in stored order.

    Memory stays bounded by one batch of page bodies (a full-scope /data fetch is ~1 GB of text).
    A missing or empty file yields nothing.
    """
    if pages_per_batch < 1:
        raise ValueError(f"pages_per_batch must be at least 1, got {pages_per_batch}")
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
