"""Id chunking and page following for the Kolada v3 API.

The API takes at most 25 ids per path segment and at most 5000 items per page; the server decides the
real page size and tells us where the next page is in `next_url`, which we follow verbatim, but only
while it stays under the configured base URL (same scheme, host, port and path prefix): a tampered
upstream must not steer the client to another address. A page with more items than asked for is
refused before it is stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from sources.http import JsonResponse, SourceHTTPError, excerpt, origin

from .settings import API_MAX_PER_PAGE

# A runaway paginator (e.g. a server that invents ever-new page URLs) must stop somewhere.
DEFAULT_MAX_PAGES = 100_000


class PagingError(SourceHTTPError):
    """Paging went wrong: a next_url that was already fetched, or too many pages."""

    def __init__(self, url: str, message: str) -> None:
        self.message = message
        super().__init__(url, None, "", 0, message)

    @property
    def transient(self) -> bool:
        """Paging errors come from what the server sent; asking again gets the same answer."""
        return False

    def __str__(self) -> str:
        return f"paging {self.url} failed: {self.message}"


class OffBaseError(PagingError):
    """A next_url outside the configured base URL; the fetch stops without requesting it."""

    def __init__(self, base_url: str, refused: str) -> None:
        self.base_url = base_url
        super().__init__(refused, "")

    def __str__(self) -> str:
        return (
            f"paging refused next_url {self.url}: it leaves the base URL {self.base_url} "
            "(scheme, host, port and path must stay the same)"
        )


def under_base(url: str, base_url: str) -> bool:
    """Whether `url` has the base URL's scheme, host and port and a path at or below the base path.

    Dot segments ("..", also percent-encoded) are refused outright: a server may resolve them after
    the prefix check and land elsewhere.
    """
    scheme, _, _ = origin(url)
    if origin(url) != origin(base_url) or scheme not in ("http", "https"):
        return False
    path, b_path = urlsplit(url).path, urlsplit(base_url).path
    if any(seg in (".", "..") for seg in unquote(path).split("/")):
        return False
    prefix = b_path.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


class JsonGetter(Protocol):
    """What iter_pages needs from an HTTP client (sources.http.HttpClient satisfies it)."""

    def get_json(self, url: str) -> JsonResponse: ...


def chunked(ids: Sequence[str], size: int) -> list[list[str]]:
    """Split ids into lists of at most `size`, dropping duplicates and keeping first-seen order."""
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def segment_product(**segments: Sequence[Sequence[str]]) -> list[dict[str, list[str]]]:
    """Cartesian product of each segment's chunks, e.g. kpi=[[a],[b]], year=[[y]] -> 2 dicts."""
    names = list(segments)
    combos = itertools.product(*(segments[name] for name in names))
    return [{name: list(chunk) for name, chunk in zip(names, combo, strict=True)} for combo in combos]


def with_per_page(url: str, per_page: int = API_MAX_PER_PAGE) -> str:
    """Return url with exactly one per_page=<n> query parameter; the rest of the query is kept as is."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "per_page"]
    kept.append(f"per_page={per_page}")
    return urlunsplit(parts._replace(query="&".join(kept)))


def iter_pages(
    http: JsonGetter,
    first_url: str,
    per_page: int = API_MAX_PER_PAGE,
    max_pages: int = DEFAULT_MAX_PAGES,
    base_url: str | None = None,
) -> Iterator[JsonResponse]:
    """Yield every page of a list endpoint, following `next_url` until it is null, absent or "".

    Also stops after a page with an empty `values` list. A next_url that was already fetched raises
    PagingError (cycle guard), one outside `base_url` (default: the first URL's directory) raises
    OffBaseError, a page with more than `per_page` items PagingError; a body that is not an object
    with a `values` list raises SourceHTTPError ("unexpected response shape").
    """
    url = with_per_page(first_url, per_page)
    base = base_url if base_url is not None else first_url.split("?", 1)[0].rsplit("/", 1)[0]
    seen: set[str] = set()
    while True:
        if url in seen:
            raise PagingError(url, "next_url points to a page already fetched (cycle)")
        if len(seen) >= max_pages:
            raise PagingError(url, f"more than {max_pages} pages")
        seen.add(url)
        page = http.get_json(url)
        data = page.data
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise SourceHTTPError(
                url, page.status, excerpt(page.body), page.attempts, "unexpected response shape"
            )
        if len(data["values"]) > per_page:
            raise PagingError(
                url, f"the page has {len(data['values'])} items, more than per_page={per_page}; not stored"
            )
        yield page
        next_url = data.get("next_url")
        if not data["values"] or not next_url:
            return
        if not isinstance(next_url, str):
            raise SourceHTTPError(
                url, page.status, excerpt(page.body), page.attempts, f"next_url is not a string: {next_url!r}"
            )
        # urljoin returns an absolute next_url unchanged and only resolves a relative one.
        url = urljoin(url, next_url)
        if not under_base(url, base):
            raise OffBaseError(base, url)
