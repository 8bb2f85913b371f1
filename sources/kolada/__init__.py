"""jamfor sources.kolada layer: the Kolada v3 client, its settings, paging and its part of the raw store."""

from __future__ import annotations

from .client import FetchResult, KoladaClient
from .paging import PagingError, chunked, iter_pages, segment_product
from .rawstore import kolada_store, read_pages
from .settings import KoladaSettings

__all__ = [
    "FetchResult",
    "KoladaClient",
    "KoladaSettings",
    "PagingError",
    "chunked",
    "iter_pages",
    "kolada_store",
    "read_pages",
    "segment_product",
]
