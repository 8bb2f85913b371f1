"""Kolada's part of the raw store (sources.rawstore): its endpoints, one page file per endpoint.

Layout: `<root>/raw/kolada/<fetch_id>/<endpoint>.ndjson`, one line per page with the body inline
(docs/design.md, Raw store).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sources import rawstore
from sources.rawstore import RawStore, check_kind

SOURCE = "kolada"
ENDPOINTS = frozenset({"kpi", "kpi_groups", "municipality", "municipality_groups", "ou", "data", "oudata"})


def kolada_store(root: Path, fetch_id: str) -> RawStore:
    """The raw store of one Kolada fetch: root/raw/kolada/<fetch_id>/, the v3 endpoints only."""
    return RawStore(root, SOURCE, fetch_id, ENDPOINTS)


def page_file(fetch_dir: Path, endpoint: str) -> Path:
    """The file holding an endpoint's pages in a Kolada fetch directory."""
    return Path(fetch_dir) / f"{check_kind(endpoint, ENDPOINTS, SOURCE)}.ndjson"


def read_pages(fetch_dir: Path, endpoint: str) -> pl.DataFrame:
    """Load an endpoint's pages as the design's pages frame; a missing file gives an empty frame."""
    return rawstore.read_pages(page_file(fetch_dir, endpoint))


def iter_pages(fetch_dir: Path, endpoint: str, pages_per_batch: int) -> Iterator[pl.DataFrame]:
    """The endpoint's pages as frames of at most `pages_per_batch` pages, in stored order."""
    return rawstore.iter_pages(page_file(fetch_dir, endpoint), pages_per_batch)
