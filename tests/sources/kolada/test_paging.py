"""sources.kolada.paging: chunking, Cartesian segments and every stop rule of the page follower."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fakes.http import Answer, LocalServer, Request
from fakes.kolada import ReplayServer
from sources.http import HttpClient, RateLimiter, RetryPolicy, SourceHTTPError
from sources.kolada.paging import (
    OffBaseError,
    PagingError,
    chunked,
    iter_pages,
    segment_product,
    under_base,
    with_per_page,
)

from . import metadata, seen


def make_http() -> HttpClient:
    retry = RetryPolicy(max_attempts=2, backoff_base=0.0, jitter=0.0)
    return HttpClient(RateLimiter(1000.0), retry, 2.0, 10.0, "jamfor-test/1", sleep=lambda _s: None)


def test_chunked_dedupes_keeps_order_and_bounds_size() -> None:
    ids = [f"N{i:05d}" for i in range(30)] + ["N00003", "N00001"]
    chunks = chunked(ids, 25)
    assert [len(c) for c in chunks] == [25, 5]
    assert [i for c in chunks for i in c] == [f"N{i:05d}" for i in range(30)]
    assert chunked([], 25) == []
    with pytest.raises(ValueError, match="chunk size"):
        chunked(ids, 0)


def test_segment_product_is_the_cartesian_product_of_chunks() -> None:
    combos = segment_product(kpi=[["a"], ["b"]], municipality=[["m1", "m2"]], year=[["2020"], ["2021"]])
    assert len(combos) == 4
    assert {(c["kpi"][0], c["year"][0]) for c in combos} == {
        ("a", "2020"),
        ("a", "2021"),
        ("b", "2020"),
        ("b", "2021"),
    }
    assert all(c["municipality"] == ["m1", "m2"] for c in combos)
    assert list(combos[0]) == ["kpi", "municipality", "year"]
    assert segment_product() == [{}]


def test_with_per_page_replaces_and_keeps_the_rest_verbatim() -> None:
    assert with_per_page("https://h/v3/kpi") == "https://h/v3/kpi?per_page=5000"
    assert (
        with_per_page("https://h/v3/kpi?title=%C3%A4ldre%20v%C3%A5rd&per_page=10&page=2")
        == "https://h/v3/kpi?title=%C3%A4ldre%20v%C3%A5rd&page=2&per_page=5000"
    )


def test_follows_next_url_over_many_pages_of_the_real_catalogue(replay: ReplayServer) -> None:
    replay.set_page_size(500)
    pages = list(iter_pages(make_http(), replay.base_url + "/kpi"))
    catalogue = metadata("kpi")
    assert len(pages) == -(-len(catalogue) // 500) == 13
    assert [it["id"] for p in pages for it in p.data["values"]] == [k["id"] for k in catalogue]
    assert all(s.args["per_page"] == "5000" and s.status == 200 for s in seen(replay))
    assert [s.args.get("page", "1") for s in seen(replay)] == [str(n) for n in range(1, 14)]
    assert pages[1].url == pages[0].data["next_url"]


def scripted(pages: list[dict[str, Any]]) -> Callable[[Request], Answer]:
    """A handler answering request n with pages[n]; `{next}` in next_url is the next page's URL."""
    calls = {"n": 0}

    def handle(request: Request) -> Answer:
        n = calls["n"]
        calls["n"] += 1
        body = dict(pages[min(n, len(pages) - 1)])
        if isinstance(body.get("next_url"), str):
            body["next_url"] = body["next_url"].format(base=request.origin, n=n + 2)
        return Answer(200, json.dumps(body))

    return handle


NEXT = "{base}/v3/kpi?page={n}&per_page=5000&token=opaque-{n}"
ITEM = [{"id": "N00003"}]


@pytest.mark.parametrize(
    "last",
    [
        {"values": ITEM, "next_url": None},
        {"values": ITEM},
        {"values": ITEM, "next_url": ""},
        {"values": [], "next_url": NEXT},
    ],
    ids=["null", "absent", "empty-string", "empty-values"],
)
def test_stop_rules(server: LocalServer, last: dict[str, Any]) -> None:
    handler = scripted([{"values": ITEM, "next_url": NEXT}, {"values": ITEM, "next_url": NEXT}, last])
    server.route("/v3/kpi", handler, prefix=True)
    pages = list(iter_pages(make_http(), server.url_for("/v3/kpi")))
    assert len(pages) == 3 and len(server.log) == 3
    # The opaque token proves next_url was followed as given, not rebuilt from a page counter.
    assert [r.args.get("token") for r in server.log] == [None, "opaque-2", "opaque-3"]


def test_cycle_guard_names_the_url(server: LocalServer) -> None:
    loop = "{base}/v3/kpi?per_page=5000"
    handler = scripted([{"values": ITEM, "next_url": NEXT}, {"values": ITEM, "next_url": loop}])
    server.route("/v3/kpi", handler, prefix=True)
    first = server.url_for("/v3/kpi")
    with pytest.raises(PagingError, match="cycle") as info:
        list(iter_pages(make_http(), first))
    assert info.value.url == first + "?per_page=5000"
    assert info.value.url in str(info.value)
    assert len(server.log) == 2


def test_max_pages_guard(server: LocalServer) -> None:
    server.route("/v3/kpi", scripted([{"values": ITEM, "next_url": NEXT}]), prefix=True)
    with pytest.raises(PagingError, match="more than 3 pages"):
        list(iter_pages(make_http(), server.url_for("/v3/kpi"), max_pages=3))


@pytest.mark.parametrize(
    "payload",
    [[{"id": "N00003"}], {"error": "This endpoint is deprecated. Please use /v3 instead."}, {"values": None}],
    ids=["list", "v2-deprecation", "values-null"],
)
def test_unexpected_shape_is_an_error_naming_the_url(server: LocalServer, payload: Any) -> None:
    server.route("/v3/kpi", Answer(200, json.dumps(payload)))
    url = server.url_for("/v3/kpi")
    with pytest.raises(SourceHTTPError, match="unexpected response shape") as info:
        list(iter_pages(make_http(), url))
    assert info.value.url == url + "?per_page=5000" and info.value.url in str(info.value)


def test_relative_next_url_is_resolved(server: LocalServer) -> None:
    handler = scripted([{"values": ITEM, "next_url": "/v3/kpi?page=2&per_page=5000"}, {"values": ITEM}])
    server.route("/v3/kpi", handler, prefix=True)
    assert len(list(iter_pages(make_http(), server.url_for("/v3/kpi")))) == 2


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8765/v3/kpi?page=2", True),
        ("http://127.0.0.1:8765/v3", True),
        ("HTTP://127.0.0.1:8765/v3/data/kpi/N1/year/2020", True),
        ("http://127.0.0.2:8765/v3/kpi?page=2", False),
        ("http://127.0.0.1:9999/v3/kpi", False),
        ("https://127.0.0.1:8765/v3/kpi", False),
        ("file:///etc/passwd", False),
        ("http://127.0.0.1:8765/v3secret/kpi", False),
        ("http://127.0.0.1:8765/v3/../admin", False),
        ("http://127.0.0.1:8765/v3/%2e%2e/admin", False),
        ("http://127.0.0.1:8765/other", False),
    ],
)
def test_under_base_compares_scheme_host_port_and_path(url: str, ok: bool) -> None:
    assert under_base(url, "http://127.0.0.1:8765/v3") is ok
    assert under_base("https://api.kolada.se/v3/kpi", "https://api.kolada.se:443/v3")


def test_a_relative_next_url_stays_on_the_base(server: LocalServer) -> None:
    rel = [{"values": ITEM, "next_url": "/v3/kpi?page=2&per_page=5000"}, {"values": ITEM, "next_url": None}]
    server.route("/v3/kpi", scripted(rel), prefix=True)
    base = server.url_for("/v3")
    assert len(list(iter_pages(make_http(), server.url_for("/v3/kpi"), base_url=base))) == 2


def test_off_base_next_url_is_not_requested(server: LocalServer) -> None:
    away = [{"values": ITEM, "next_url": "{base}/elsewhere?page=2"}]
    server.route("/", scripted(away), prefix=True)
    base = server.url_for("/v3")
    with pytest.raises(OffBaseError, match="leaves the base URL") as info:
        list(iter_pages(make_http(), server.url_for("/v3/kpi"), base_url=base))
    assert info.value.url.endswith("/elsewhere?page=2") and not info.value.transient
    assert len(server.log) == 1


def test_a_page_over_per_page_is_refused(server: LocalServer) -> None:
    server.route("/v3/kpi", Answer(200, json.dumps({"values": ITEM * 3, "next_url": None})), prefix=True)
    with pytest.raises(PagingError, match="the page has 3 items, more than per_page=2"):
        list(iter_pages(make_http(), server.url_for("/v3/kpi"), per_page=2))
