"""Kolada v3 client: validated ids, <=25-id chunks, Cartesian paths, concurrent paging, raw pages.

Every page is written to the RawStore as it arrives; the client itself only counts what came back
and reports requested ids that never did (Kolada answers unknown ids with an empty list, not 404).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from schemas import ids
from sources.http import HttpClient, RateLimiter, RetryPolicy
from sources.rawstore import RawStore

from .paging import chunked, iter_pages, segment_product
from .settings import KoladaSettings

log = logging.getLogger("jamfor.kolada")

ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "kpi": re.compile(ids.KPI_ID_BODY),
    "municipality": re.compile(f"{ids.MUNICIPALITY_ID_BODY}|{ids.GROUP_ID_BODY}"),
    "year": re.compile(ids.YEAR_TEXT_BODY),
    "ou": re.compile(ids.OU_ID_BODY),
    "kpi_groups": re.compile(ids.KPI_GROUP_ID_BODY),
    "municipality_groups": re.compile(ids.GROUP_ID_BODY),
}
METADATA_ENTITIES = ("kpi", "kpi_groups", "municipality", "municipality_groups", "ou")
# Which item field echoes each requested segment back (data items carry the year as `period`).
ITEM_FIELDS = {"kpi": "kpi", "municipality": "municipality", "ou": "ou", "year": "period"}
MISSING_SHOWN = 20

Ids = str | int | Sequence[str | int] | None


@dataclass
class FetchResult:
    """What one client call fetched; `values` counts gender rows (data/oudata only, else 0)."""

    endpoint: str
    urls: list[str]
    pages: int
    items: int
    values: int
    missing_ids: dict[str, list[str]]
    elapsed_s: float


@dataclass
class _PathOutcome:
    urls: list[str] = field(default_factory=list)
    items: int = 0
    values: int = 0
    seen: dict[str, set[str]] = field(default_factory=dict)


def validate_ids(segment: str, ids: Ids) -> list[str] | None:
    """Normalise ids to a list of strings and check them against the segment's pattern."""
    if ids is None:
        return None
    values = [str(ids)] if isinstance(ids, str | int) else [str(i) for i in ids]
    if not values:
        raise ValueError(f"{segment}: empty id list (pass None to leave the segment out)")
    bad = [v for v in values if not ID_PATTERNS[segment].fullmatch(v)]
    if bad:
        raise ValueError(
            f"invalid {segment} ids (pattern {ID_PATTERNS[segment].pattern}): {_listing(bad, MISSING_SHOWN)}"
        )
    return values


def _listing(ids: Sequence[str], shown: int) -> str:
    text = ", ".join(ids[:shown])
    return text + (f" ... (+{len(ids) - shown} more)" if len(ids) > shown else "")


class KoladaClient:
    """Fetches Kolada v3 metadata and data into a RawStore, sharing one rate limit across threads."""

    def __init__(
        self,
        settings: KoladaSettings,
        store: RawStore,
        progress: Callable[[str, int], None] | None = None,
        *,
        http: HttpClient | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.progress = progress
        self.http = http or HttpClient(
            RateLimiter(settings.rate),
            RetryPolicy(settings.max_attempts, settings.backoff_base, settings.backoff_max),
            settings.connect_timeout,
            settings.read_timeout,
            settings.user_agent,
            max_body_bytes=settings.max_response_bytes,
        )
        self._lock = threading.Lock()
        self._pages = 0
        self._items = 0

    @property
    def stats(self) -> dict[str, Any]:
        """requests, retries, failures, by_reason (from the HTTP layer) plus pages and items fetched."""
        with self._lock:
            return {**self.http.stats, "pages": self._pages, "items": self._items}

    def metadata(
        self,
        entity: str,
        ids: Sequence[str] | None = None,
        title: str | None = None,
        municipality: Sequence[str] | None = None,
    ) -> FetchResult:
        """Fetch /{entity}[/{ids}][?title=..][&municipality=..] (municipality only for entity 'ou')."""
        if entity not in METADATA_ENTITIES:
            raise ValueError(f"unknown Kolada entity {entity!r}; expected one of {METADATA_ENTITIES}")
        if municipality is not None and entity != "ou":
            raise ValueError("the municipality filter only applies to entity 'ou'")
        requested = {entity: v} if (v := validate_ids(entity, ids)) is not None else {}
        filters = {"municipality": v} if (v := validate_ids("municipality", municipality)) else {}
        segments = {name: chunked(v, self.settings.max_ids) for name, v in {**requested, **filters}.items()}
        urls = []
        for combo in segment_product(**segments):
            path = f"{self.settings.base_url}/{entity}"
            if entity in combo:
                path += "/" + ",".join(combo[entity])
            query = [f"title={quote(title, safe='')}"] if title is not None else []
            if "municipality" in combo:
                query.append("municipality=" + ",".join(combo["municipality"]))
            urls.append(path + ("?" + "&".join(query) if query else ""))
        return self._run(entity, urls, requested, {entity: "id"}, count_values=False)

    def data(
        self, kpi: Ids = None, municipality: Ids = None, year: Ids = None, from_date: date | None = None
    ) -> FetchResult:
        """Fetch /data/kpi/{k}/municipality/{m}/year/{y} (any two or all three segments)."""
        return self._data("data", {"kpi": kpi, "municipality": municipality, "year": year}, from_date)

    def oudata(
        self, kpi: Ids = None, ou: Ids = None, year: Ids = None, from_date: date | None = None
    ) -> FetchResult:
        """Fetch /oudata/kpi/{k}/ou/{o}/year/{y} (any two or all three segments)."""
        return self._data("oudata", {"kpi": kpi, "ou": ou, "year": year}, from_date)

    def _data(self, endpoint: str, given: dict[str, Ids], from_date: date | None) -> FetchResult:
        requested = {name: v for name, raw in given.items() if (v := validate_ids(name, raw)) is not None}
        if len(requested) < 2:
            raise ValueError(
                f"/{endpoint} needs at least two of {list(given)}; got {list(requested) or 'none'}"
            )
        if from_date is not None and not isinstance(from_date, date):
            raise ValueError(f"from_date must be a datetime.date, got {from_date!r}")
        query = f"?from_date={from_date:%Y-%m-%d}" if from_date is not None else ""
        segments = {name: chunked(ids, self.settings.max_ids) for name, ids in requested.items()}
        urls = [
            f"{self.settings.base_url}/{endpoint}/"
            + "/".join(f"{name}/{quote(','.join(chunk), safe=',')}" for name, chunk in combo.items())
            + query
            for combo in segment_product(**segments)
        ]
        # a changes-only query (from_date) legitimately returns nothing for unchanged ids: no warning then
        fields = {} if from_date is not None else {name: ITEM_FIELDS[name] for name in requested}
        return self._run(endpoint, urls, requested, fields, count_values=True)

    def _run(
        self,
        endpoint: str,
        urls: list[str],
        requested: dict[str, list[str]],
        fields: dict[str, str],
        count_values: bool,
    ) -> FetchResult:
        """Fetch every path's pages (paths run concurrently), then total them and report missing ids."""
        started = time.monotonic()
        tracked = {seg: fld for seg, fld in fields.items() if seg in requested}
        cancel = threading.Event()
        counter = _PageCounter(endpoint, self.progress)
        pool = ThreadPoolExecutor(
            max_workers=min(self.settings.concurrency, len(urls)), thread_name_prefix="kolada"
        )
        try:
            futures = [
                pool.submit(self._fetch_path, endpoint, url, tracked, count_values, cancel, counter)
                for url in urls
            ]
            wait(futures, return_when=FIRST_EXCEPTION)
            for fut in futures:
                exc = fut.exception() if fut.done() else None
                if exc is not None:
                    cancel.set()
                    raise exc
            outcomes = [fut.result() for fut in futures]
        finally:
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
        missing: dict[str, list[str]] = {}
        for seg in tracked:
            seen: set[str] = set().union(*(o.seen[seg] for o in outcomes))
            if absent := [i for i in dict.fromkeys(requested[seg]) if i not in seen]:
                missing[seg] = absent
        if missing:
            self._warn_missing(endpoint, missing)
        result = FetchResult(
            endpoint=endpoint,
            urls=[u for o in outcomes for u in o.urls],
            pages=counter.pages,
            items=sum(o.items for o in outcomes),
            values=sum(o.values for o in outcomes),
            missing_ids=missing,
            elapsed_s=time.monotonic() - started,
        )
        log.info(
            "kolada %s: %d paths, %d pages, %d items in %.1fs",
            endpoint,
            len(urls),
            result.pages,
            result.items,
            result.elapsed_s,
        )
        return result

    def _fetch_path(
        self,
        endpoint: str,
        url: str,
        tracked: dict[str, str],
        count_values: bool,
        cancel: threading.Event,
        counter: _PageCounter,
    ) -> _PathOutcome:
        """Follow one path's pages in order, storing each page as received."""
        out = _PathOutcome(seen={seg: set() for seg in tracked})
        for page in iter_pages(self.http, url, self.settings.per_page, base_url=self.settings.base_url):
            self.store.write(endpoint, page)
            values = page.data["values"]
            # Malformed items are counted but left to the validation layer to quarantine.
            items = [it for it in values if isinstance(it, dict)]
            out.urls.append(page.url)
            out.items += len(values)
            if count_values:
                out.values += sum(len(it.get("values") or ()) for it in items)
            for seg, fld in tracked.items():
                out.seen[seg] |= {str(it.get(fld)) for it in items}
            with self._lock:
                self._pages += 1
                self._items += len(values)
            counter.page_done()
            if cancel.is_set():
                break
        return out

    def _warn_missing(self, endpoint: str, missing: dict[str, list[str]]) -> None:
        flat = [f"{seg}={i}" for seg, ids in missing.items() for i in ids]
        log.warning(
            "kolada %s: %d requested ids never came back: %s",
            endpoint,
            len(flat),
            _listing(flat, MISSING_SHOWN),
        )


class _PageCounter:
    """Counts pages across threads and reports the running total to the progress callback."""

    def __init__(self, endpoint: str, progress: Callable[[str, int], None] | None) -> None:
        self.endpoint = endpoint
        self.progress = progress
        self.pages = 0
        self._lock = threading.Lock()

    def page_done(self) -> None:
        # The callback runs under the lock so a progress bar never sees the total go backwards.
        with self._lock:
            self.pages += 1
            if self.progress is not None:
                self.progress(self.endpoint, self.pages)
