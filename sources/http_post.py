"""POST with a JSON body on top of the shared HTTP layer (PxWeb data queries are POSTs).

`PostHttpClient` is a `sources.http.HttpClient` (same rate limiter, retry policy, per-thread sessions
and counters) that also has `post_json`. Retried: what GET retries (429 with Retry-After, 5xx,
timeouts, dropped or truncated replies, unparseable JSON). Every other 4xx fails at once with a
`SourcePostError` naming the URL, the status and the body (PxWeb says "too many cells" with a 400/413).
"""

from __future__ import annotations

import json
from typing import Any

from sources.http import HttpClient, JsonResponse, SourceHTTPError


class SourcePostError(SourceHTTPError):
    """A POST that failed for good; the message says POST instead of GET."""

    def __str__(self) -> str:
        text = super().__str__()
        return "POST " + text[4:] if text.startswith("GET ") else text


class PostHttpClient(HttpClient):
    """HttpClient plus `post_json(url, body)`; both share the limiter, retries and statistics."""

    def post_json(self, url: str, body: Any) -> JsonResponse:
        """POST `body` as JSON to `url` and parse the JSON answer; raise SourcePostError when it fails."""
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.request_json("POST", url, payload, error=SourcePostError)
