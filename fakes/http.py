"""LocalServer: one small generic HTTP server on loopback for tests of HTTP client behaviour.

Routes map a method and a path (or a path prefix) to a handler: a function of the `Request`, or a
fixed `Answer`. A handler returns the `Answer` to send, or None when it has already written to (or
shut) the connection itself: a dropped connection, a truncated body. Requests are served concurrently
(ThreadingHTTPServer, daemon threads); every request is logged in arrival order; an unrouted request
gets 404 and is logged too. The Kolada and SCB fakes (fakes.kolada, fakes.scb) use the same stdlib
server.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# An idle or stalled client connection gives its thread back after this long.
CONNECTION_TIMEOUT_SECONDS = 30
JSON_TYPE = "application/json"
# The stdlib default backlog (5) refuses connections under concurrent clients.
REQUEST_QUEUE_SIZE = 128


@dataclass(frozen=True)
class Answer:
    """A reply to send: status, body and extra headers (Content-Length is always set)."""

    status: int = 200
    body: bytes | str = b""
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Request:
    """One request as the server read it; `sock` is the client connection (for drop/truncate faults)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    arrived: float
    sock: socket.socket = field(repr=False, compare=False)

    @property
    def path(self) -> str:
        """The path, percent-decoded (what routes match)."""
        return unquote(urlsplit(self.target).path)

    @property
    def origin(self) -> str:
        """ "http://host:port" as the client addressed the server."""
        return f"http://{self.headers.get('Host', '')}"

    @property
    def base_url(self) -> str:
        """The URL as the client addressed it, without the query."""
        return self.origin + urlsplit(self.target).path

    @property
    def args(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


Handler = Callable[[Request], Answer | None]


def loopback(host: str) -> str:
    """`host` if it is an IPv4 loopback address (127.0.0.0/8) or "localhost"; else ValueError."""
    try:
        ok = host == "localhost" or ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"a fake serves on loopback only (127.0.0.0/8 or localhost), not {host!r}")
    return host


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = CONNECTION_TIMEOUT_SECONDS
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def _serve(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = Request(
            method, self.path, dict(self.headers.items()), body, time.monotonic(), self.connection
        )
        server: LocalServer = self.server.local  # type: ignore[attr-defined]
        answer = server.dispatch(request)
        if answer is None:
            self.close_connection = True
            return
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.data)))
            for key, value in answer.headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(answer.data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as err:
            # expected after a client timeout: it closed before the answer was sent
            logger.debug("client %s went away before the answer was sent: %r", self.address_string(), err)
            self.close_connection = True


class LoopbackHTTPServer(ThreadingHTTPServer):
    """The stdlib server every fake runs on: daemon request threads, a backlog the concurrency tests need."""

    daemon_threads = True
    request_queue_size = REQUEST_QUEUE_SIZE


class Served:
    """A LoopbackHTTPServer serving in a daemon thread from construction until stop()."""

    def __init__(self, httpd: LoopbackHTTPServer, name: str) -> None:
        self.httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        """Stop serving, release the port and wait for the serving thread."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()


class ServerContext:
    """A fake's start/stop: start() sets `_served` and returns the server; `with server:` starts it and
    stops it however the block ends."""

    _served: Served | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._served is not None:
            self._served.stop()
            self._served = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LocalServer(ServerContext):
    """A generic loopback HTTP server; use as a context manager or start()/stop()."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self._routes: dict[tuple[str, str], Handler] = {}
        self._prefixes: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self._httpd = LoopbackHTTPServer((loopback(host), 0), _Handler)
        self._httpd.local = self  # type: ignore[attr-defined]

    def start(self) -> Self:
        """Serve in a daemon thread."""
        if self._served is not None:
            raise RuntimeError("server already started")
        self._served = Served(self._httpd, "fake-http")
        return self

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url_for(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        host = self._httpd.server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, handler: Handler | Answer, method: str = "GET", prefix: bool = False) -> None:
        """Answer `method path` (query ignored; with `prefix`, every path under it) with `handler`.

        A fixed Answer is sent for every request. An exact route wins over a prefix, a longer prefix
        over a shorter one.
        """
        call = handler if callable(handler) else (lambda _request, answer=handler: answer)
        with self._lock:
            (self._prefixes if prefix else self._routes)[(method, path)] = call

    @property
    def log(self) -> list[Request]:
        """The requests seen so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        """Forget every route and the log (one server shared by several tests)."""
        with self._lock:
            self._routes.clear()
            self._prefixes.clear()
            self._log.clear()

    def dispatch(self, request: Request) -> Answer | None:
        """Log `request` and answer it from its route (404 without one)."""
        with self._lock:
            self._log.append(request)
            handler = self._routes.get((request.method, request.path))
            if handler is None:
                method, path = request.method, request.path
                under = [k for k in self._prefixes if k[0] == method and path.startswith(k[1])]
                handler = self._prefixes[max(under, key=lambda k: len(k[1]))] if under else None
        if handler is None:
            return Answer(404, f'{{"detail": "no route for {request.method} {request.path}"}}')
        return handler(request)
