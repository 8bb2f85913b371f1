"""A canned-response HTTP API on 127.0.0.1 for the bad-input corpus.

Routes map the first path segment after the API prefix (e.g. "kpi", "data") to a list of pages; the
`page` query parameter picks one (1-based). A page is either a list of items, wrapped here into a v3
envelope whose `next_url` points at the next page, or a `Raw` reply served verbatim.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Raw:
    """A reply sent exactly as given."""

    body: bytes
    status: int = 200
    content_type: str = JSON_TYPE


Page = list[Any] | Raw


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        stub: StubApi = self.server.stub  # type: ignore[attr-defined]
        reply = stub.reply(self.path)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read the request log
        return


class StubApi:
    """Serve `routes` under `prefix`; swap them per case with `set_routes`."""

    def __init__(self, prefix: str = "/v3") -> None:
        self.prefix = prefix
        self._routes: dict[str, list[Page]] = {}
        self._lock = threading.Lock()
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.stub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    def __enter__(self) -> StubApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def set_routes(self, routes: dict[str, list[Page]]) -> None:
        with self._lock:
            self._routes = routes
            self.requests = []

    def reply(self, target: str) -> Raw:
        split = urlsplit(target)
        with self._lock:
            self.requests.append(target)
            rest = split.path.removeprefix(self.prefix + "/")
            pages = self._routes.get(rest.split("/")[0])
        if not split.path.startswith(self.prefix + "/") or pages is None:
            return Raw(b'{"detail": "Not Found"}', 404)
        number = int(parse_qs(split.query).get("page", ["1"])[0])
        if not 1 <= number <= len(pages):
            return Raw(b'{"detail": "no such page"}', 404)
        page = pages[number - 1]
        if isinstance(page, Raw):
            return page
        next_url = (
            f"{self.origin}{split.path}?page={number + 1}&per_page=5000" if number < len(pages) else None
        )
        envelope = {"values": page, "count": len(page), "next_url": next_url, "previous_url": None}
        return Raw(json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
