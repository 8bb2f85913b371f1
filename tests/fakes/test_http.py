"""fakes.http.LocalServer: routes and prefixes, the request log, loopback only, stopping releases the port."""

from __future__ import annotations

import socket

import pytest
import requests

from fakes.http import Answer, LocalServer, Request
from fakes.kolada import ReplayServer


def test_routes_prefixes_and_the_log() -> None:
    seen: list[Request] = []

    def echo(request: Request) -> Answer:
        seen.append(request)
        return Answer(201, request.body, "text/plain", (("X-Args", str(sorted(request.args))),))

    with LocalServer() as server:
        server.route("/v3/", Answer(200, '{"under": "v3"}'), prefix=True)
        server.route("/v3/kpi", Answer(200, '{"exact": true}'))
        server.route("/v3/data", echo, method="POST")
        assert requests.get(server.url_for("/v3/kpi?page=2"), timeout=10).json() == {"exact": True}
        assert requests.get(server.url_for("/v3/ou/V1"), timeout=10).json() == {"under": "v3"}
        posted = requests.post(server.url_for("/v3/data?b=1&a=2"), data=b"body", timeout=10)
        assert (posted.status_code, posted.content, posted.headers["X-Args"]) == (201, b"body", "['a', 'b']")
        assert requests.get(server.url_for("/other"), timeout=10).status_code == 404
        assert [(r.method, r.target) for r in server.log] == [
            ("GET", "/v3/kpi?page=2"),
            ("GET", "/v3/ou/V1"),
            ("POST", "/v3/data?b=1&a=2"),
            ("GET", "/other"),
        ]
        assert seen[0].base_url == server.url_for("/v3/data") and seen[0].origin == server.url_for("")
        server.clear()
        assert server.log == [] and requests.get(server.url_for("/v3/kpi"), timeout=10).status_code == 404


@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.0.2.1", "example.org", "::"])
def test_fakes_serve_on_loopback_only(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        LocalServer(host)
    with pytest.raises(ValueError, match="loopback only"):
        ReplayServer(host=host)


def test_stop_releases_the_port_and_is_idempotent() -> None:
    server = LocalServer().start()
    port = server.port
    server.stop()
    server.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
