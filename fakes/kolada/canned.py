"""Canned pages: the replay answers given pages instead of its dataset (the bad-input corpus).

Routes map the first path segment after /v3 (e.g. "kpi", "data") to a list of pages; the `page` query
parameter picks one (1-based). A page is either a list of items, wrapped into a v3 envelope whose
`next_url` points at the next page, or a `Raw` reply served verbatim. Faults, latency and the request
log of the server apply as they do to the dataset's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes.kolada.routes import BASE_PATH, DEFAULT_PER_PAGE, JSON_TYPE, Reply, json_reply


@dataclass(frozen=True)
class Raw:
    """A reply sent exactly as given."""

    body: bytes
    status: int = 200
    content_type: str = JSON_TYPE


Page = list[Any] | Raw
Routes = dict[str, list[Page]]


def canned_reply(routes: Routes, target: str, origin: str) -> Reply:
    """The answer to GET `target` (path with query) from `routes`; `origin` is "http://host:port"."""
    split = urlsplit(target)
    rest = split.path.removeprefix(BASE_PATH + "/")
    pages = routes.get(rest.split("/")[0])
    if not split.path.startswith(BASE_PATH + "/") or pages is None:
        return json_reply(404, {"detail": "Not Found"})
    number = int(parse_qs(split.query).get("page", ["1"])[0])
    if not 1 <= number <= len(pages):
        return json_reply(404, {"detail": "no such page"})
    page = pages[number - 1]
    if isinstance(page, Raw):
        return Reply(page.status, page.body, content_type=page.content_type)
    query = urlencode({"page": number + 1, "per_page": DEFAULT_PER_PAGE})
    next_url = f"{origin}{split.path}?{query}" if number < len(pages) else None
    return json_reply(200, {"values": page, "count": len(page), "next_url": next_url, "previous_url": None})
