"""sources.http_post: POST with a JSON body, the shared retries, and errors that say POST."""

from __future__ import annotations

import json

import pytest

from fakes.http import Answer, LocalServer, Request
from sources.fixtures import fixtures_dir
from sources.http import RateLimiter, RetryPolicy
from sources.http_post import PostHttpClient, SourcePostError

BODY = (fixtures_dir() / "scb/pxweb_v1/response_se.json").read_bytes()


def make_client(sleeps: list[float]) -> PostHttpClient:
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, jitter=0.0)
    return PostHttpClient(RateLimiter(1000.0), retry, 2.0, 5.0, "jamfor-test/1", sleep=sleeps.append)


def test_post_sends_json_and_parses_the_answer(server: LocalServer) -> None:
    seen: list[object] = []

    def handler(request: Request) -> Answer:
        seen.append((request.headers["Content-Type"], json.loads(request.body)))
        return Answer(200, BODY)

    server.route("/data", handler, method="POST")
    client = make_client([])
    resp = client.post_json(
        server.url_for("/data"), {"selection": [{"variableCode": "Kön", "valueCodes": ["1"]}]}
    )
    assert resp.body == BODY and resp.data["source"] == "SCB" and resp.attempts == 1
    assert seen == [
        ("application/json; charset=utf-8", {"selection": [{"variableCode": "Kön", "valueCodes": ["1"]}]})
    ]
    assert client.stats["requests"] == 1


def test_429_and_503_are_retried(server: LocalServer) -> None:
    answers = [Answer(429, "slow", "text/plain", (("Retry-After", "0"),)), Answer(503, "busy", "text/plain")]

    def handler(_request: Request) -> Answer:
        return answers.pop(0) if answers else Answer(200, BODY)

    server.route("/data", handler, method="POST")
    sleeps: list[float] = []
    client = make_client(sleeps)
    resp = client.post_json(server.url_for("/data"), {})
    assert resp.attempts == 3 and len(sleeps) == 2
    assert client.stats["by_reason"] == {"http_429": 1, "http_503": 1}


def test_client_error_fails_at_once_naming_post(server: LocalServer) -> None:
    server.route("/data", Answer(413, '{"title": "Too many cells"}'), method="POST")
    client = make_client([])
    with pytest.raises(SourcePostError) as info:
        client.post_json(server.url_for("/data"), {})
    assert str(info.value).startswith(f"POST {server.url_for('/data')} failed: HTTP 413 after 1 attempt")
    assert "Too many cells" in str(info.value)


def test_html_answer_is_retried_then_reported(server: LocalServer) -> None:
    server.route("/data", Answer(200, "<html>maintenance</html>", "text/html"), method="POST")
    with pytest.raises(SourcePostError, match="invalid_json"):
        make_client([]).post_json(server.url_for("/data"), {})
