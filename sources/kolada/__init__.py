"""jamfor sources.kolada layer: the Kolada v3 client, its settings, paging and the raw page store."""

from __future__ import annotations

from .client import FetchResult, KoladaClient
from .paging import PagingError, chunked, iter_pages, segment_product
from .rawstore import RawStore, new_fetch_id, read_pages, verify_pages
from .settings import KoladaSettings

__all__ = [
    "FetchResult",
    "KoladaClient",
    "KoladaSettings",
    "PagingError",
    "RawStore",
    "chunked",
    "iter_pages",
    "new_fetch_id",
    "read_pages",
    "segment_product",
    "verify_pages",
]
