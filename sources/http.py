"""Shared HTTP layer for every source: rate limiting, retries with backoff, JSON responses.

`HttpClient.get_json` is the only way sources talk to the network. It retries what is transient
(429, 500/502/503/504, timeouts, dropped connections, truncated bodies, unparseable JSON) and fails
fast on every other 4xx with a `SourceHTTPError` that names the URL, the status and the body. A body
over the client's byte ceiling (sources.http_body) fails at once as well: a retry would cost as much.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from sources.http_body import DEFAULT_MAX_RESPONSE_BYTES, BodyTooLarge, read_capped

log = logging.getLogger("jamfor.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
EXCERPT_CHARS = 300
# Keeps the rate measured at the server under the limit despite delivery jitter: n+1 starts span
# n * (1 + margin) / rate seconds, so at 10 req/s up to 40 ms of jitter cannot put 11 in one second,
# while 1 / 1.04 = 96.2 % of the configured rate is still used (sleep overshoot takes a little more).
RATE_SAFETY_MARGIN = 0.04
_SECONDS = re.compile(r"\d+(\.\d*)?|\.\d+")
# failure kinds without a status that the same request would meet again (a bad URL, an oversized body)
_REFUSALS = ("request_error", "too_large")


class SourceHTTPError(RuntimeError):
    """A request that failed for good: a non-retryable status or retries exhausted."""

    def __init__(self, url: str, status: int | None, body_excerpt: str, attempts: int, reason: str) -> None:
        self.url = url
        self.status = status
        self.body_excerpt = body_excerpt[:EXCERPT_CHARS]
        self.attempts = attempts
        self.reason = reason
        super().__init__(str(self))

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed: a network failure, 429 or 5xx, never a refusal."""
        if self.status is None:
            return not self.reason.startswith(_REFUSALS)
        return self.status == 429 or self.status >= 500

    def __str__(self) -> str:
        what = f"HTTP {self.status}" if self.status is not None else self.reason
        plural = "attempt" if self.attempts == 1 else "attempts"
        text = f"GET {self.url} failed: {what} after {self.attempts} {plural}"
        if self.status is not None and self.reason and not self.reason.startswith("http_"):
            text += f" ({self.reason})"
        if self.body_excerpt:
            text += f": {self.body_excerpt}"
        return " ".join(text.split())


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, lower-cased, the default port filled in (-1: unparseable)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


class _SameOriginSession(requests.Session):
    """Follows a redirect only to the same scheme, host and port; any other is left unfollowed, so an
    upstream cannot steer the client to another address with a 3xx either."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None or origin(urljoin(resp.url, target)) != origin(resp.url):
            return None
        return target


def excerpt(body: bytes) -> str:
    """Return the first EXCERPT_CHARS characters of a body as text, for error messages."""
    return body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


class RateLimiter:
    """Spaces request starts at least 1/rate apart across all threads (GCRA with burst 1)."""

    def __init__(
        self,
        rate_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate_per_s > 0:
            raise ValueError(f"rate_per_s must be > 0, got {rate_per_s!r}")
        self.rate_per_s = rate_per_s
        self.interval = (1.0 + RATE_SAFETY_MARGIN) / rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_allowed = float("-inf")

    def acquire(self) -> None:
        """Block until this caller may start a request."""
        # The lock is held while sleeping so waiting threads queue up behind it, and the next slot is
        # computed from the actual release time: a late wake-up can never squeeze two starts together.
        with self._lock:
            wait = self._next_allowed - self._clock()
            if wait > 0:
                self._sleep(wait)
            self._next_allowed = self._clock() + self.interval


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to back off; delay(n) = min(max, base * 2**(n-1)) with jitter."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_after_max: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter}")

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based); honours Retry-After when given."""
        computed = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        # Full jitter on a fraction of the delay spreads out threads that failed together.
        computed *= 1.0 - self.jitter * (rng or random).random()
        if retry_after is not None:
            return max(min(retry_after, self.retry_after_max), computed)
        return computed


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (seconds, possibly fractional, or an HTTP date) into seconds."""
    if not value:
        return None
    if _SECONDS.fullmatch(value.strip()):
        return max(0.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        log.warning("ignoring unparseable Retry-After header %r", value)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class JsonResponse:
    """One successful response: the raw body bytes and their parsed JSON."""

    url: str
    status: int
    body: bytes
    data: Any
    fetched_at: datetime
    attempts: int


@dataclass
class _Attempt:
    """Outcome of one failed attempt, enough to decide on a retry and to report it."""

    kind: str
    detail: str
    retryable: bool
    status: int | None = None
    body: bytes = b""
    retry_after: float | None = None

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


class HttpClient:
    """GET JSON with a shared rate limiter, retries, timeouts and per-thread sessions."""

    def __init__(
        self,
        limiter: RateLimiter,
        retry: RetryPolicy,
        connect_timeout: float,
        read_timeout: float,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
        max_body_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes
        self.retry = retry
        self.timeout = (connect_timeout, read_timeout)
        self.user_agent = user_agent
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._requests = 0
        self._retries = 0
        self._failures = 0
        self._by_reason: Counter[str] = Counter()

    @property
    def stats(self) -> dict[str, Any]:
        """Snapshot: requests (attempts sent), retries, failures (raised), by_reason (failed attempts)."""
        with self._lock:
            return {
                "requests": self._requests,
                "retries": self._retries,
                "failures": self._failures,
                "by_reason": dict(self._by_reason),
            }

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = _SameOriginSession()
            session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
            self._local.session = session
        return session

    def get_json(self, url: str) -> JsonResponse:
        """GET `url` and parse its JSON body, retrying transient failures; raise SourceHTTPError."""
        return self.request_json("GET", url)

    def request_json(
        self,
        method: str,
        url: str,
        payload: bytes | None = None,
        error: type[SourceHTTPError] = SourceHTTPError,
    ) -> JsonResponse:
        """Send `method` (with a JSON `payload`, if any) and parse the JSON answer, retrying transient
        failures under the shared limiter and policy; a final failure raises `error`."""
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            with self._lock:
                self._requests += 1
            result = self._attempt(method, url, payload)
            if isinstance(result, JsonResponse):
                return replace(result, attempts=attempt)
            with self._lock:
                self._by_reason[result.kind] += 1
            if not result.retryable or attempt >= self.retry.max_attempts:
                with self._lock:
                    self._failures += 1
                raise error(url, result.status, excerpt(result.body), attempt, result.reason)
            delay = self.retry.delay(attempt, result.retry_after, self._rng)
            with self._lock:
                self._retries += 1
            log.warning(
                "%s %s: %s (attempt %d/%d), retrying in %.2fs",
                method,
                url,
                result.reason,
                attempt,
                self.retry.max_attempts,
                delay,
            )
            self._sleep(delay)

    def _attempt(self, method: str, url: str, payload: bytes | None) -> JsonResponse | _Attempt:
        """One request; never raises for network/HTTP/JSON problems, returns them as an _Attempt."""
        headers = {"Content-Type": "application/json; charset=utf-8"} if payload is not None else None
        try:
            resp = self._session().request(
                method, url, data=payload, headers=headers, timeout=self.timeout, stream=True
            )
            try:
                body = read_capped(resp, self.max_body_bytes)
            finally:
                # an over-long body is dropped unread: closing ends the connection instead of draining it
                resp.close()
        except BodyTooLarge as exc:
            return _Attempt("too_large", str(exc), retryable=False)
        except requests.exceptions.Timeout as exc:
            return _Attempt("timeout", _short(exc), retryable=True)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            return _Attempt("truncated", _short(exc), retryable=True)
        except requests.exceptions.ConnectionError as exc:
            # requests reports a read timeout while streaming the body as a ConnectionError too.
            return _Attempt("connection", _short(exc), retryable=True)
        except requests.exceptions.RequestException as exc:
            # A malformed URL, too many redirects ...: retrying cannot help.
            return _Attempt("request_error", _short(exc), retryable=False)
        status = resp.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After")) if status == 429 else None
            return _Attempt(f"http_{status}", "", True, status, body, retry_after)
        if 300 <= status < 400 and resp.headers.get("Location"):
            target = urljoin(resp.url, resp.headers["Location"])
            scheme, host, port = origin(resp.url)
            detail = f"to {target} not followed: it leaves {scheme}://{host}:{port}"
            return _Attempt("redirect", detail, False, status, body)
        if not 200 <= status < 300:
            return _Attempt(f"http_{status}", "", False, status, body)
        try:
            data = json.loads(body)
        except ValueError as exc:
            # An HTML error page or a cut-off JSON document with status 200 is transient on public APIs.
            return _Attempt("invalid_json", _short(exc), True, status, body)
        return JsonResponse(url, status, body, data, datetime.now(UTC), 0)


def _short(exc: BaseException) -> str:
    """First line of an exception message, bounded, for reasons and logs."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
