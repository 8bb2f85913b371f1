"""POST with a JSON body on top of the shared HTTP layer (PxWeb data queries are POSTs).

`PostHttpClient` is a `sources.http.HttpClient` (same rate limiter, retry policy, per-thread sessions
and counters) that also has `post_json`. Retried: what GET retries (429 with Retry-After, 5xx,
timeouts, dropped or truncated replies, unparseable JSON). Every other 4xx fails at once with a
`SourcePostError` naming the URL, the status and the body (PxWeb says "too many cells" with a 400/413).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import requests

from sources.http import (
    RETRY_STATUSES,
    HttpClient,
    JsonResponse,
    SourceHTTPError,
    _Attempt,
    _short,
    excerpt,
    parse_retry_after,
)

log = logging.getLogger("jamfor.http")


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
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            with self._lock:
                self._requests += 1
            result = self._attempt_post(url, payload)
            if isinstance(result, JsonResponse):
                return JsonResponse(
                    result.url, result.status, result.body, result.data, result.fetched_at, attempt
                )
            with self._lock:
                self._by_reason[result.kind] += 1
            if not result.retryable or attempt >= self.retry.max_attempts:
                with self._lock:
                    self._failures += 1
                raise SourcePostError(url, result.status, excerpt(result.body), attempt, result.reason)
            delay = self.retry.delay(attempt, result.retry_after, self._rng)
            with self._lock:
                self._retries += 1
            log.warning(
                "POST %s: %s (attempt %d/%d), retrying in %.2fs",
                url,
                result.reason,
                attempt,
                self.retry.max_attempts,
                delay,
            )
            self._sleep(delay)

    def _attempt_post(self, url: str, payload: bytes) -> JsonResponse | _Attempt:
        """One POST; network, HTTP and JSON problems come back as an _Attempt, never raised."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            resp = self._session().post(url, data=payload, headers=headers, timeout=self.timeout)
            body = resp.content
        except requests.exceptions.Timeout as exc:
            return _Attempt("timeout", _short(exc), retryable=True)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            return _Attempt("truncated", _short(exc), retryable=True)
        except requests.exceptions.ConnectionError as exc:
            return _Attempt("connection", _short(exc), retryable=True)
        except requests.exceptions.RequestException as exc:
            return _Attempt("request_error", _short(exc), retryable=False)
        status = resp.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After")) if status == 429 else None
            return _Attempt(f"http_{status}", "", True, status, body, retry_after)
        if not 200 <= status < 300:
            return _Attempt(f"http_{status}", "", False, status, body)
        try:
            data = json.loads(body)
        except ValueError as exc:
            return _Attempt("invalid_json", _short(exc), True, status, body)
        return JsonResponse(url, status, body, data, datetime.now(UTC), 0)
