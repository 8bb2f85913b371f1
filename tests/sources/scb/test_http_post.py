"""sources.http_post: POST with a JSON body, the shared retries, and errors that say POST."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sources.fixtures import fixtures_dir
from sources.http import RateLimiter, RetryPolicy
from sources.http_post import PostHttpClient, SourcePostError

BODY = (fixtures_dir() / "scb/pxweb_v1/response_se.json").read_bytes()


def make_client(sleeps: list[float]) -> PostHttpClient:
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, jitter=0.0)
    return PostHttpClient(RateLimiter(1000.0), retry, 2.0, 5.0, "jamfor-test/1", sleep=sleeps.append)


def test_post_sends_json_and_parses_the_answer(httpserver: HTTPServer) -> None:
    seen: list[object] = []

    def handler(request: Request) -> Response:
        seen.append((request.headers["Content-Type"], json.loads(request.get_data())))
        return Response(BODY, 200, content_type="application/json")

    httpserver.expect_request("/data", method="POST").respond_with_handler(handler)
    client = make_client([])
    resp = client.post_json(
        httpserver.url_for("/data"), {"selection": [{"variableCode": "Kön", "valueCodes": ["1"]}]}
    )
    assert resp.body == BODY and resp.data["source"] == "SCB" and resp.attempts == 1
    assert seen == [
        ("application/json; charset=utf-8", {"selection": [{"variableCode": "Kön", "valueCodes": ["1"]}]})
    ]
    assert client.stats["requests"] == 1


def test_429_and_503_are_retried(httpserver: HTTPServer) -> None:
    answers = [Response("slow", 429, headers={"Retry-After": "0"}), Response("busy", 503)]

    def handler(_request: Request) -> Response:
        return answers.pop(0) if answers else Response(BODY, 200, content_type="application/json")

    httpserver.expect_request("/data", method="POST").respond_with_handler(handler)
    sleeps: list[float] = []
    client = make_client(sleeps)
    resp = client.post_json(httpserver.url_for("/data"), {})
    assert resp.attempts == 3 and len(sleeps) == 2
    assert client.stats["by_reason"] == {"http_429": 1, "http_503": 1}


def test_client_error_fails_at_once_naming_post(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data", method="POST").respond_with_data('{"title": "Too many cells"}', 413)
    client = make_client([])
    with pytest.raises(SourcePostError) as info:
        client.post_json(httpserver.url_for("/data"), {})
    assert str(info.value).startswith(f"POST {httpserver.url_for('/data')} failed: HTTP 413 after 1 attempt")
    assert "Too many cells" in str(info.value)


def test_html_answer_is_retried_then_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data", method="POST").respond_with_data("<html>maintenance</html>", 200)
    with pytest.raises(SourcePostError, match="invalid_json"):
        make_client([]).post_json(httpserver.url_for("/data"), {})
