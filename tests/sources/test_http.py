"""sources.http: retries per fault kind, fail-fast 4xx, Retry-After, rate limiting across threads."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from fakes.http import Answer, LocalServer, Request
from sources.fixtures import fixtures_dir
from sources.http import (
    RATE_SAFETY_MARGIN,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    SourceHTTPError,
    parse_retry_after,
)

# A real body: the v3 municipality list wrapped in the v3 envelope (non-ASCII titles included).
MUNICIPALITIES = json.loads(
    (fixtures_dir() / "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json").read_text("utf-8")
)
BODY = json.dumps({"values": MUNICIPALITIES, "count": len(MUNICIPALITIES), "next_url": None}).encode()


class FaultyEndpoint:
    """Answers with the queued faults first, then with BODY; records arrival times."""

    def __init__(self, faults: list[str], retry_after: str = "2") -> None:
        self.faults = list(faults)
        self.retry_after = retry_after
        self.arrivals: list[float] = []
        self.user_agents: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Answer | None:
        with self._lock:
            self.arrivals.append(time.monotonic())
            self.user_agents.append(request.headers.get("User-Agent", ""))
            fault = self.faults.pop(0) if self.faults else None
        sock = request.sock
        if fault == "429":
            return Answer(429, '{"detail": "slow down"}', headers=(("Retry-After", self.retry_after),))
        if fault in {"500", "502", "503", "504"}:
            return Answer(int(fault), "upstream trouble", "text/plain")
        if fault == "timeout":
            time.sleep(0.6)
        elif fault == "drop":
            sock.shutdown(socket.SHUT_RDWR)
            return None
        elif fault == "truncated":
            # Content-Length promises more than is sent; urllib3 must notice the short body.
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
            sock.sendall(head.encode() + BODY[: len(BODY) // 2])
            sock.shutdown(socket.SHUT_RDWR)
            return None
        elif fault == "bad_json":
            return Answer(200, BODY[:-10])
        elif fault == "html":
            return Answer(200, "<html><body>Service maintenance</body></html>", "text/html")
        return Answer(200, BODY)


class Sleeps(list[float]):
    """An injectable sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(
    sleeps: Sleeps, attempts: int = 3, read_timeout: float = 5.0, rate: float = 1000.0
) -> HttpClient:
    retry = RetryPolicy(max_attempts=attempts, backoff_base=0.01, backoff_max=0.05, jitter=0.0)
    return HttpClient(RateLimiter(rate), retry, 2.0, read_timeout, "jamfor-test/1", sleep=sleeps)


def test_success_returns_body_data_and_metadata(server: LocalServer) -> None:
    endpoint = FaultyEndpoint([])
    server.route("/v3/municipality", endpoint)
    client = make_client(Sleeps())
    resp = client.get_json(server.url_for("/v3/municipality"))
    assert resp.body == BODY
    assert [m["id"] for m in resp.data["values"]][:2] == ["0000", "0001"]
    assert resp.status == 200 and resp.attempts == 1
    assert resp.fetched_at.tzinfo == UTC
    assert endpoint.user_agents == ["jamfor-test/1"]
    assert client.stats == {"requests": 1, "retries": 0, "failures": 0, "by_reason": {}}


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("429", "http_429"),
        ("500", "http_500"),
        ("502", "http_502"),
        ("503", "http_503"),
        ("504", "http_504"),
        ("timeout", "timeout"),
        ("drop", "connection"),
        ("truncated", "truncated"),
        ("bad_json", "invalid_json"),
        ("html", "invalid_json"),
    ],
)
def test_retryable_fault_then_success(
    server: LocalServer, caplog: pytest.LogCaptureFixture, fault: str, reason: str
) -> None:
    endpoint = FaultyEndpoint([fault])
    server.route("/v3/municipality", endpoint)
    sleeps = Sleeps()
    client = make_client(sleeps, read_timeout=0.3)
    url = server.url_for("/v3/municipality")
    with caplog.at_level(logging.WARNING, logger="jamfor.http"):
        resp = client.get_json(url)
    assert resp.body == BODY and resp.attempts == 2
    assert len(endpoint.arrivals) == 2
    assert client.stats["retries"] == 1 and client.stats["by_reason"] == {reason: 1}
    assert len(sleeps) == 1
    (record,) = [r for r in caplog.records if r.name == "jamfor.http"]
    assert record.levelno == logging.WARNING
    assert (
        url in record.getMessage() and reason in record.getMessage() and "attempt 1/3" in record.getMessage()
    )


def test_429_retry_after_seconds_is_honoured(server: LocalServer) -> None:
    server.route("/x", FaultyEndpoint(["429", "429"], retry_after="2.5"))
    sleeps = Sleeps()
    make_client(sleeps).get_json(server.url_for("/x"))
    assert len(sleeps) == 2 and all(s >= 2.5 for s in sleeps)


def test_429_retry_after_http_date_is_honoured(server: LocalServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.route("/x", FaultyEndpoint(["429"], retry_after=when))
    sleeps = Sleeps()
    make_client(sleeps).get_json(server.url_for("/x"))
    assert 25 <= sleeps[0] <= 31


def test_persistent_500_fails_after_exactly_max_attempts(server: LocalServer) -> None:
    endpoint = FaultyEndpoint(["500"] * 10)
    server.route("/v3/kpi", endpoint)
    client = make_client(Sleeps(), attempts=4)
    url = server.url_for("/v3/kpi")
    with pytest.raises(SourceHTTPError) as info:
        client.get_json(url)
    err = info.value
    assert len(endpoint.arrivals) == 4 and err.attempts == 4 and err.status == 500
    assert str(err) == f"GET {url} failed: HTTP 500 after 4 attempts: upstream trouble"
    assert client.stats == {"requests": 4, "retries": 3, "failures": 1, "by_reason": {"http_500": 4}}


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_are_not_retried(server: LocalServer, status: int) -> None:
    detail = '{"detail": "too many ids"}'
    server.route("/v3/kpi/X", Answer(status, detail))
    client = make_client(Sleeps())
    url = server.url_for("/v3/kpi/X")
    with pytest.raises(SourceHTTPError) as info:
        client.get_json(url)
    assert len(server.log) == 1
    assert str(info.value) == f"GET {url} failed: HTTP {status} after 1 attempt: {detail}"
    assert info.value.body_excerpt == detail and info.value.status == status


def test_error_excerpt_is_bounded_and_one_line(server: LocalServer) -> None:
    server.route("/y", Answer(400, "line one\nline two " + "x" * 1000, "text/plain"))
    with pytest.raises(SourceHTTPError) as info:
        make_client(Sleeps()).get_json(server.url_for("/y"))
    assert len(info.value.body_excerpt) == 300
    assert "\n" not in str(info.value)


def test_connection_refused_reports_no_status() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v3/kpi"
    client = make_client(Sleeps(), attempts=2)
    with pytest.raises(SourceHTTPError) as info:
        client.get_json(url)
    assert info.value.status is None and info.value.attempts == 2
    assert str(info.value).startswith(f"GET {url} failed: connection")


@pytest.mark.parametrize("url", ["localhost/v3/kpi", "http://"])
def test_malformed_url_fails_fast_with_the_url(url: str) -> None:
    client = make_client(Sleeps())
    with pytest.raises(SourceHTTPError, match="request_error") as info:
        client.get_json(url)
    assert info.value.attempts == 1 and info.value.status is None and url in str(info.value)


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(1000.0)
        self.calls = 0

    def acquire(self) -> None:
        self.calls += 1
        super().acquire()


def test_every_attempt_calls_the_limiter(server: LocalServer) -> None:
    server.route("/z", FaultyEndpoint(["503", "502"]))
    limiter = CountingLimiter()
    client = HttpClient(limiter, RetryPolicy(backoff_base=0.0, jitter=0.0), 2.0, 5.0, "t", sleep=Sleeps())
    assert client.get_json(server.url_for("/z")).attempts == 3
    assert limiter.calls == 3


def test_rate_limit_holds_at_the_server_across_threads(server: LocalServer) -> None:
    endpoint = FaultyEndpoint([])
    server.route("/r", endpoint)
    client = make_client(Sleeps(), rate=10.0)
    url = server.url_for("/r")
    workers = [threading.Thread(target=lambda: [client.get_json(url) for _ in range(5)]) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    arrivals = sorted(endpoint.arrivals)
    assert len(arrivals) == 20
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    # one arrival of slack: on a loaded machine the server's thread can stamp two queued requests
    # together (the exact spacing is test_rate_limiter_spacing_with_fake_clock's); without the
    # limiter all 20 arrive within a fraction of a second
    assert busiest <= 10 + 1, arrivals


def test_rate_limiter_spacing_with_fake_clock() -> None:
    now = [100.0]
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
        starts.append(now[0])
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[0] == 100.0
    assert all(g == pytest.approx((1 + RATE_SAFETY_MARGIN) / 4.0) for g in gaps)
    assert 1 / (1 + RATE_SAFETY_MARGIN) >= 0.95, "the margin may cost at most 5 % of the configured rate"


@pytest.mark.parametrize("rate", [0, -1.0])
def test_rate_limiter_rejects_non_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        RateLimiter(rate)


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=30.0, jitter=0.0)
    assert [policy.delay(n) for n in (1, 2, 3, 8)] == [0.5, 1.0, 2.0, 30.0]
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(8, retry_after=1.0) == 30.0
    jittered = RetryPolicy(backoff_base=1.0, jitter=0.5)
    assert all(0.5 <= jittered.delay(1) <= 1.0 for _ in range(50))
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after("Sun, 22 Nov 2026 10:00:12 GMT", now=now) == 12.0
    assert parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_a_redirect_to_another_host_is_not_followed(server: LocalServer) -> None:
    elsewhere = f"http://127.0.0.2:{server.port}/v3/secret"
    server.route("/v3/kpi", Answer(302, headers=(("Location", elsewhere),)))
    server.route("/v3/moved", Answer(301, headers=(("Location", "/v3/municipality"),)))
    server.route("/v3/municipality", Answer(200, BODY))
    client = make_client(Sleeps())
    with pytest.raises(SourceHTTPError) as info:
        client.get_json(server.url_for("/v3/kpi"))
    text = str(info.value)
    assert "HTTP 302 after 1 attempt" in text and f"redirect: to {elsewhere} not followed" in text, text
    assert not info.value.transient
    assert [r.path for r in server.log] == ["/v3/kpi"]
    # a redirect on the same host, scheme and port is followed as before
    assert client.get_json(server.url_for("/v3/moved")).body == BODY
