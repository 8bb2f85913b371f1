"""SCB PxWeb client: v2 (`/config`, `/tables/{id}/metadata`, POST `/tables/{id}/data`) and v1 (POST query).

Limits come from the server's config before the first data call: the shared rate limiter is set to
maxCallsPerTimeWindow / timeWindow and every selection is split into requests of at most maxDataCells
cells (sources.scb.limits). Each json-stat2 answer is written verbatim to the raw store; decoding is
a pure transform (transforms.files.jsonstat).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sources.http import RateLimiter, RetryPolicy
from sources.http_post import PostHttpClient
from sources.rawstore import RawStore

from .limits import ApiLimits, Selection, cell_count, split_selection
from .selection import population_selection, split_v1_query
from .settings import ScbSettings
from .store import answer_name

log = logging.getLogger("jamfor.scb")
# Before /config has answered, be gentle: one call per second.
BOOTSTRAP_RATE = 1.0


@dataclass
class FetchResult:
    """What one data call fetched: the stored response files, requests made and cells asked for."""

    table_id: str
    files: list[Path] = field(default_factory=list)
    requests: int = 0
    cells: int = 0
    elapsed_s: float = 0.0


class ScbClient:
    """Fetches PxWeb json-stat2 data into a raw store (sources.scb.store) within the server's limits."""

    def __init__(self, settings: ScbSettings, store: RawStore, *, http: PostHttpClient | None = None) -> None:
        self.settings = settings
        self.store = store
        self.http = http or PostHttpClient(
            RateLimiter(settings.rate or BOOTSTRAP_RATE),
            RetryPolicy(settings.max_attempts, settings.backoff_base, settings.backoff_max),
            settings.connect_timeout,
            settings.read_timeout,
            settings.user_agent,
            max_body_bytes=settings.max_response_bytes,
        )
        self._limits: ApiLimits | None = None
        self._v1_limits: ApiLimits | None = None

    def limits(self) -> ApiLimits:
        """GET /config once; set the rate limiter from it (never faster than settings.rate)."""
        if self._limits is None:
            url = f"{self.settings.base_url}/config"
            self._limits = ApiLimits.from_v2_config(self.http.get_json(url).data, url)
            self._apply_rate(self._limits)
        return self._limits

    def v1_limits(self) -> ApiLimits:
        """GET the v1 `{lang}/?config` (the parent of the database path) once."""
        if self._v1_limits is None:
            url = self.settings.v1_url.rsplit("/", 1)[0] + "/?config"
            self._v1_limits = ApiLimits.from_v1_config(self.http.get_json(url).data, url)
            self._apply_rate(self._v1_limits)
        return self._v1_limits

    def _apply_rate(self, limits: ApiLimits) -> None:
        rate = limits.rate(self.settings.rate)
        if rate != self.http.limiter.rate_per_s:
            self.http.limiter = RateLimiter(rate)
        log.info(
            "scb limits: %d cells per request, %.2f requests/s", limits.cells(self.settings.max_cells), rate
        )

    def metadata(self, table_id: str) -> dict[str, Any]:
        """GET /tables/{id}/metadata (a json-stat2 dataset without values)."""
        url = f"{self.settings.base_url}/tables/{quote(table_id, safe='')}/metadata?lang={self.settings.lang}"
        data = self.http.get_json(url).data
        if not isinstance(data, dict) or "dimension" not in data or "id" not in data:
            raise ValueError(f"{url}: not a json-stat2 metadata dataset (keys {sorted(data)[:8]})")
        return data

    def data(
        self,
        table_id: str,
        selection: Mapping[str, Sequence[str]],
        codelists: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """POST /tables/{id}/data in as many requests as the cell limit needs; store every answer.

        `selection` maps each selected variable to explicit value codes (a variable left out is
        eliminated, as PxWeb allows for eliminable ones); `codelists` optionally names a codelist per
        variable.
        """
        started = time.monotonic()
        limits = self.limits()
        chunks = split_selection(selection, limits.cells(self.settings.max_cells))
        url = (
            f"{self.settings.base_url}/tables/{quote(table_id, safe='')}/data"
            f"?lang={self.settings.lang}&outputFormat=json-stat2"
        )
        result = FetchResult(table_id)
        for chunk in chunks:
            body = {"selection": [_variable(k, v, (codelists or {}).get(k)) for k, v in chunk.items()]}
            resp = self.http.post_json(url, body)
            result.files.append(self.store.write_file(answer_name(table_id), resp, body))
            result.requests += 1
            result.cells += cell_count(chunk)
        result.elapsed_s = time.monotonic() - started
        log.info(
            "scb %s: %d requests, %d cells in %.1fs",
            table_id,
            result.requests,
            result.cells,
            result.elapsed_s,
        )
        return result

    def v1_data(self, table_path: str, query: Mapping[str, Any]) -> FetchResult:
        """POST a v1 query (json-stat2 answer) to `{v1_url}/{table_path}`, split by `item` filters."""
        started = time.monotonic()
        limits = self.v1_limits()
        url = f"{self.settings.v1_url}/{table_path.strip('/')}"
        table_id = table_path.strip("/").rsplit("/", 1)[-1]
        result = FetchResult(table_id)
        for body, cells in split_v1_query(query, limits.cells(self.settings.max_cells)):
            resp = self.http.post_json(url, body)
            result.files.append(self.store.write_file(answer_name(table_id), resp, body))
            result.requests += 1
            result.cells += cells
        result.elapsed_s = time.monotonic() - started
        return result

    def population(
        self, table_id: str, *, periods: Sequence[str] | None = None, by_sex: bool = False
    ) -> FetchResult:
        """Population per kommun (and riket) for the table's periods: metadata, then split data calls."""
        meta = self.metadata(table_id)
        return self.data(table_id, population_selection(meta, periods=periods, by_sex=by_sex))


def _variable(code: str, values: Sequence[str], codelist: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"variableCode": code, "valueCodes": list(values)}
    if codelist:
        entry["codelist"] = codelist
    return entry


__all__ = ["FetchResult", "ScbClient", "Selection"]
