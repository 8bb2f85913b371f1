"""ReplayServer.set_canned: given pages and raw replies instead of the dataset, with the server's faults."""

from __future__ import annotations

import requests

from fakes.kolada import Raw, ReplayServer


def test_pages_are_wrapped_in_v3_envelopes_linked_by_next_url(server: ReplayServer) -> None:
    server.reset()
    server.set_canned({"kpi": [[{"id": "N1"}], [{"id": "N2"}, {"id": "N3"}]]})
    first = requests.get(server.base_url + "/kpi/N1,N2", params={"per_page": 5000}, timeout=10).json()
    assert first["values"] == [{"id": "N1"}] and first["count"] == 1
    assert first["next_url"].startswith(server.base_url + "/kpi/N1,N2?page=2")
    second = requests.get(first["next_url"], timeout=10).json()
    assert second == {
        "values": [{"id": "N2"}, {"id": "N3"}],
        "count": 2,
        "next_url": None,
        "previous_url": None,
    }
    assert requests.get(server.base_url + "/kpi?page=3", timeout=10).status_code == 404
    assert requests.get(server.base_url + "/data/kpi/N1/year/2020", timeout=10).status_code == 404
    assert [r.status for r in server.request_log] == [200, 200, 404, 404]


def test_raw_replies_are_sent_verbatim_and_faults_still_apply(server: ReplayServer) -> None:
    server.reset()
    server.set_canned({"data": [Raw(b"<html>maintenance</html>", 200, "text/html")]})
    server.fail_next(1, "503")
    url = server.base_url + "/data/kpi/N1/year/2020"
    assert requests.get(url, timeout=10).status_code == 503
    answer = requests.get(url, timeout=10)
    assert (answer.status_code, answer.content) == (200, b"<html>maintenance</html>")
    assert answer.headers["Content-Type"] == "text/html"
    assert [r.fault for r in server.request_log] == ["503", None]


def test_reset_serves_the_dataset_again(server: ReplayServer) -> None:
    server.set_canned({"kpi": [[]]})
    server.reset()
    assert server.canned is None
    page = requests.get(server.base_url + "/kpi/N00003", params={"per_page": 10}, timeout=10).json()
    assert [k["id"] for k in page["values"]] == ["N00003"]
