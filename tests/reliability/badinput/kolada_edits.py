"""Edits of the Kolada baseline answers: each returns a function from baseline items to canned routes.

`item`, `entry` and `every_item` change or DROP fields; `extra` appends items; `pages` and `raw` serve
other pages or a verbatim reply; `envelope` serves another JSON document than the v3 envelope.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from fakes.kolada.canned import Page, Raw, Routes
from fakes.kolada.routes import JSON_TYPE

DROP = object()  # a key to remove
HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"

Items = dict[str, list[Any]]
Change = Callable[[Items], Routes]


def _with(obj: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def routes(items: Items, **replaced: list[Page]) -> Routes:
    return {endpoint: replaced.get(endpoint, [values]) for endpoint, values in items.items()}


def item(endpoint: str, index: int = 0, **changes: Any) -> Change:
    """Change (or DROP) fields of one item."""

    def change(items: Items) -> Routes:
        values = list(items[endpoint])
        values[index] = _with(values[index], changes)
        return routes(items, **{endpoint: [values]})

    return change


def entry(index: int = 0, **changes: Any) -> Change:
    """Change (or DROP) fields of the first value entry of one /data item."""

    def change(items: Items) -> Routes:
        values = list(items["data"])
        first = _with(values[index]["values"][0], changes)
        values[index] = {**values[index], "values": [first, *values[index]["values"][1:]]}
        return routes(items, data=[values])

    return change


def every_item(endpoint: str, **changes: Any) -> Change:
    """Change (or DROP) fields of every item of an endpoint (upstream schema drift)."""

    def change(items: Items) -> Routes:
        return routes(items, **{endpoint: [[_with(it, changes) for it in items[endpoint]]]})

    return change


def extra(endpoint: str, make: Callable[[list[Any]], list[Any]]) -> Change:
    """Append the items `make` builds from the baseline items."""

    def change(items: Items) -> Routes:
        return routes(items, **{endpoint: [list(items[endpoint]) + make(items[endpoint])]})

    return change


def pages(endpoint: str, make: Callable[[list[Any]], list[Page]]) -> Change:
    """Serve the pages `make` builds from the baseline items."""

    def change(items: Items) -> Routes:
        return routes(items, **{endpoint: make(items[endpoint])})

    return change


def raw(endpoint: str, content: bytes | str, status: int = 200, content_type: str = JSON_TYPE) -> Change:
    """Serve one verbatim reply for the endpoint."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return pages(endpoint, lambda _: [Raw(data, status, content_type)])


def envelope(endpoint: str, make: Callable[[list[Any]], Any]) -> Change:
    """Serve the JSON document `make` builds (a wrong envelope) instead of the v3 envelope."""
    return pages(endpoint, lambda values: [Raw(json.dumps(make(values)).encode("utf-8"))])


def with_entry(it: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A /data item whose only value entry is its first one, changed."""
    return {**it, "values": [_with(it["values"][0], changes)]}


def mojibake(text: str) -> str:
    """UTF-8 bytes read as ISO-8859-1: "Göteborg" -> "GÃ¶teborg"."""
    return text.encode("utf-8").decode("latin-1")


def body(values: list[Any]) -> dict[str, Any]:
    """A one-page v3 envelope."""
    return {"values": values, "count": len(values), "next_url": None, "previous_url": None}
