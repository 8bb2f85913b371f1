"""Tests for sources.kolada, plus FakeKolada: a fakes.http.LocalServer handler with the real API's rules.

FakeKolada serves the real fixture data (docs/kolada_v3.md; ../shared/fixtures/kolada) and enforces
what the live v3 API enforces: per_page <= 5000 (422), at most 25 ids per path segment or id list (422),
path-form data queries with at least two segments (404 otherwise) and an absolute `next_url`. The page
size is the server's choice (`page_size`), so clients must follow `next_url` rather than count pages.
One extra rule of ours: a request without `per_page` gets 400, because the client must always send it.
OU data (`/oudata`) has no real fixture: those items are synthetic (structure only, every value null).
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl

from fakes.http import Answer, Request
from sources.fixtures import fixtures_dir
from sources.kolada.settings import API_MAX_IDS, API_MAX_PER_PAGE

DATA_SEGMENTS = {"data": ("kpi", "municipality", "year"), "oudata": ("kpi", "ou", "year")}
METADATA_FILES = {
    "kpi": "rkolada_sysdata/rkolada_v3_2026-03-23_kpi.json",
    "municipality": "rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json",
    "municipality_groups": "rkolada_sysdata/rkolada_v3_2026-03-23_municipality_groups.json",
    "kpi_groups": "pykolada_v2_2024-01/kpi_groups.json",
    "ou": "pykolada_v2_2024-01_ou/ou.json",
}
VALUE_FILES = (
    "rkolada_sysdata/rkolada_v3_2026-03-23_values_tidy_N00945.csv",
    "rkolada_sysdata/rkolada_v3_2026-03-23_values_tidy_N03702_N03703_arboga_peers.csv",
)


@functools.cache
def metadata(entity: str) -> list[dict[str, Any]]:
    """The real metadata list for an entity (v3 where we have it, else v2 2024-01)."""
    path = fixtures_dir() / "kolada" / METADATA_FILES[entity]
    items = json.loads(path.read_text(encoding="utf-8"))
    return items["values"] if isinstance(items, dict) else items


@functools.cache
def data_items() -> list[dict[str, Any]]:
    """Real v3 values (rKolada tidy CSVs) regrouped into API items: one per (kpi, municipality, year)."""
    frames = [
        pl.read_csv(
            fixtures_dir() / "kolada" / rel,
            schema_overrides={"municipality_id": pl.String, "status": pl.String, "value": pl.Float64},
        )
        for rel in VALUE_FILES
    ]
    return (
        pl.concat(frames)
        .with_columns(pl.col("status").fill_null(""), isdeleted=pl.lit(False))
        .group_by("kpi", "municipality_id", "year", maintain_order=True)
        .agg(values=pl.struct("gender", "count", "status", "value", "isdeleted"))
        .rename({"municipality_id": "municipality", "year": "period"})
        .to_dicts()
    )


@dataclass(frozen=True)
class Seen:
    """One request as the fake server received it."""

    path: str
    args: dict[str, str]
    status: int


def _reply(payload: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False))


class FakeKolada:
    """A stateful handler for `LocalServer.route("/v3/", fake.handle, prefix=True)`."""

    def __init__(self, page_size: int = 1000) -> None:
        self.page_size = page_size
        self.seen: list[Seen] = []
        self.fail_paths: dict[str, int] = {}
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Answer:
        args = request.args
        response = self._route(request, args)
        with self._lock:
            self.seen.append(Seen(request.path, args, response.status))
        return response

    def _route(self, request: Request, args: dict[str, str]) -> Answer:
        if "per_page" not in args:
            return _reply({"detail": "per_page missing (test rule: always send it)"}, 400)
        per_page, page = int(args["per_page"]), int(args.get("page", "1"))
        if not 1 <= per_page <= API_MAX_PER_PAGE:
            return _reply({"detail": f"per_page must be <= {API_MAX_PER_PAGE}"}, 422)
        for needle, status in self.fail_paths.items():
            if needle in request.path:
                return _reply({"detail": f"injected failure for {needle}"}, status)
        parts = request.path.removeprefix("/v3/").strip("/").split("/")
        lists = [p.split(",") for p in parts[1:]] + [args.get("municipality", "").split(",")]
        if any(len(ids) > API_MAX_IDS for ids in lists):
            return _reply({"detail": f"too many ids: at most {API_MAX_IDS} per segment"}, 422)
        items = self._items(parts, args)
        if items is None:
            return _reply({"detail": "Not Found"}, 404)
        size = min(per_page, self.page_size)
        chunk = items[(page - 1) * size : page * size]
        more = page * size < len(items)
        next_url = None
        if more:
            query = urlencode({**args, "page": str(page + 1)}, quote_via=quote, safe=",")
            next_url = f"{request.base_url}?{query}"
        return _reply({"values": chunk, "count": len(chunk), "next_url": next_url, "previous_url": None})

    def _items(self, parts: list[str], args: dict[str, str]) -> list[dict[str, Any]] | None:
        head = parts[0]
        if head in DATA_SEGMENTS:
            names, values = parts[1::2], parts[2::2]
            if len(names) != len(values) or len(names) < 2 or not set(names) <= set(DATA_SEGMENTS[head]):
                return None
            wanted = {n: set(v.split(",")) for n, v in zip(names, values, strict=True)}
            return self._data(head, wanted)
        if head not in METADATA_FILES or len(parts) > 2:
            return None
        items = metadata(head)
        if len(parts) == 2:
            ids = set(parts[1].split(","))
            items = [it for it in items if it["id"] in ids]
        if title := args.get("title"):
            items = [it for it in items if title.lower() in it["title"].lower()]
        if munis := args.get("municipality"):
            items = [it for it in items if it.get("municipality") in set(munis.split(","))]
        return items

    def _data(self, head: str, wanted: dict[str, set[str]]) -> list[dict[str, Any]]:
        if head == "data":
            keys = {"kpi": "kpi", "municipality": "municipality", "year": "period"}
            return [it for it in data_items() if all(str(it[keys[n]]) in v for n, v in wanted.items())]
        # Synthetic OU items: the cross product of what was asked, with null values (no real OU data).
        return [
            {
                "kpi": k,
                "ou": o,
                "period": int(y),
                "values": [{"gender": "T", "count": 1, "status": "", "value": None, "isdeleted": False}],
            }
            for k in sorted(wanted.get("kpi", {"N00001"}))
            for o in sorted(wanted.get("ou", {"V21E000000"}))
            for y in sorted(wanted.get("year", {"2020"}))
        ]

    def first_pages(self) -> list[Seen]:
        """Requests that started a path (no page parameter)."""
        return [s for s in self.seen if "page" not in s.args]
