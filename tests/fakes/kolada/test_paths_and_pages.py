"""ReplayServer's path-needle failure rule and its server-side page size (direct and via /_replay/)."""

from __future__ import annotations

import pytest
import requests

from fakes.kolada import ReplayServer
from fakes.kolada.faults import FaultPlan
from sources.kolada.settings import API_MAX_PER_PAGE

TIMEOUT = 30


def get(http: requests.Session, url: str) -> requests.Response:
    return http.get(url, timeout=TIMEOUT)


def test_a_path_rule_fails_every_matching_request_until_reset(
    server: ReplayServer, http: requests.Session
) -> None:
    server.fail_path("N31807", "503")
    # the rule matches the decoded path: an encoded comma still reaches the needle
    hit = server.base_url + "/data/kpi/N31814%2CN31807/year/2020"
    assert [get(http, hit).status_code for _ in range(3)] == [503, 503, 503]
    assert get(http, server.base_url + "/data/kpi/N31814/year/2020").status_code == 200
    assert [(r.status, r.fault) for r in server.request_log] == [(503, "503")] * 3 + [(200, None)]
    server.reset()
    assert get(http, hit).status_code == 200


def test_path_rules_come_before_forced_faults_and_default_to_500(server: ReplayServer) -> None:
    server.fail_path("kpi/N1")
    server.fail_next(1, "429")
    plan = server.faults
    assert plan.path_rules == {"kpi/N1": "500"}
    assert plan.draw("/v3/kpi/N1") == "500"
    assert plan.draw("/v3/municipality") == "429" and plan.draw("/v3/municipality") is None


def test_path_rules_are_validated() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown fault"):
        plan.fail_path("N1", "418")
    with pytest.raises(ValueError, match="needle"):
        plan.fail_path("", "500")
    assert plan.path_rules == {}


def test_page_size_caps_pages_and_next_url_keeps_per_page(
    server: ReplayServer, http: requests.Session
) -> None:
    server.set_page_size(100)
    first = get(http, server.base_url + "/municipality?per_page=5000").json()
    assert first["count"] == 100 and "per_page=5000" in first["next_url"] and "page=2" in first["next_url"]
    ids = [m["id"] for m in first["values"]]
    url = first["next_url"]
    while url:
        page = get(http, url).json()
        assert page["count"] <= 100
        ids += [m["id"] for m in page["values"]]
        url = page["next_url"]
    # a per_page below the cap still decides
    assert get(http, server.base_url + "/municipality?per_page=7").json()["count"] == 7
    server.reset()
    assert server.page_size == API_MAX_PER_PAGE
    full = get(http, server.base_url + "/municipality?per_page=5000").json()
    assert full["next_url"] is None and ids == [m["id"] for m in full["values"]] and len(ids) == 312


@pytest.mark.parametrize("items", [0, API_MAX_PER_PAGE + 1])
def test_page_size_stays_within_the_api_limit(server: ReplayServer, items: int) -> None:
    with pytest.raises(ValueError, match="page size"):
        server.set_page_size(items)


def test_control_endpoints_for_paths_and_page_size(server: ReplayServer, http: requests.Session) -> None:
    control = server.base_url.removesuffix("/v3") + "/_replay"
    state = http.post(f"{control}/fail_path", json={"needle": "N31807", "kind": "502"}, timeout=TIMEOUT)
    assert state.status_code == 200 and state.json()["fail_paths"] == {"N31807": "502"}
    assert get(http, server.base_url + "/kpi/N31807").status_code == 502
    state = http.post(f"{control}/page_size", json={"items": 10}, timeout=TIMEOUT)
    assert state.status_code == 200 and state.json()["page_size"] == 10
    assert get(http, server.base_url + "/municipality").json()["count"] == 10
    bad = http.post(f"{control}/page_size", json={"items": API_MAX_PER_PAGE + 1}, timeout=TIMEOUT)
    assert bad.status_code == 400
    assert http.post(f"{control}/fail_path", json={"kind": "500"}, timeout=TIMEOUT).status_code == 400
    reset = http.post(f"{control}/reset", timeout=TIMEOUT).json()
    assert (reset["fail_paths"], reset["page_size"]) == ({}, API_MAX_PER_PAGE)
