"""The HTTP request handler: faults and latency around the /v3 routes, plus the /_replay/ control API."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from fakes.kolada.canned import canned_reply
from fakes.kolada.faults import (
    ALL_FAULTS,
    DEFAULT_RETRY_AFTER,
    DEFAULT_SLOW_SECONDS,
    HOSTILE_FAULTS,
    HTML_ERROR_PAGE,
    FaultSettings,
    retry_after_header,
)
from fakes.kolada.hostile import Streamed, hostile_reply
from fakes.kolada.routes import Reply, handle_api, json_reply

if TYPE_CHECKING:
    from fakes.kolada.server import ReplayServer

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_replay/"
HTML_TYPE = "text/html; charset=utf-8"
# Idle keep-alive connections give their thread back after this long.
IDLE_TIMEOUT_SECONDS = 60
GATEWAY_REASONS = {"502": "Bad Gateway", "503": "Service Temporarily Unavailable", "504": "Gateway Time-out"}


@dataclass(frozen=True)
class RequestRecord:
    """One /v3 request as the server saw it (status None: the connection was dropped)."""

    arrived_monotonic: float
    arrived_wall: float
    method: str
    path: str
    status: int | None
    fault: str | None


def fault_reply(fault: str | None, settings: FaultSettings) -> Reply | None:
    """The canned reply for an error-status fault; None when the request is answered normally."""
    if fault == "429":
        headers = (("Retry-After", retry_after_header(settings.retry_after)),)
        return Reply(429, b'{"detail": "Too Many Requests"}', headers=headers)
    if fault == "500":
        return json_reply(500, {"detail": "Internal Server Error"})
    if fault in GATEWAY_REASONS:
        page = HTML_ERROR_PAGE.format(code=fault, reason=GATEWAY_REASONS[fault])
        return Reply(int(fault), page.encode("utf-8"), content_type=HTML_TYPE)
    if fault == "html200":
        page = HTML_ERROR_PAGE.format(code="502", reason="Bad Gateway")
        return Reply(200, page.encode("utf-8"), content_type=HTML_TYPE)
    return None


class ReplayHandler(BaseHTTPRequestHandler):
    """Serves one connection (HTTP/1.1 keep-alive) for a ReplayServer."""

    protocol_version = "HTTP/1.1"
    server_version = "kolada-replay/1"
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body go out in separate writes; with Nagle on, keep-alive replies stall ~40 ms each.
    disable_nagle_algorithm = True

    @property
    def replay(self) -> ReplayServer:
        return self.server.replay  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control("GET", {})
        else:
            self._api("GET")

    def do_POST(self) -> None:
        # Always consume the body so the keep-alive connection stays in sync.
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith(CONTROL_PREFIX):
            self._api("POST")
            return
        try:
            payload = json.loads(body or b"{}")
        except ValueError as err:
            self._send(json_reply(400, {"detail": f"body is not JSON: {err}"}))
            return
        if not isinstance(payload, dict):
            self._send(json_reply(400, {"detail": "body must be a JSON object"}))
            return
        self._control("POST", payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def _api(self, method: str) -> None:
        arrived = (time.monotonic(), time.time())
        fault = self.replay.faults.draw(unquote(self.path))
        settings = self.replay.faults.settings
        delay = self.replay.latency + (settings.slow_seconds if fault == "slow" else 0.0)
        if delay > 0:
            time.sleep(delay)
        if fault == "drop":
            self.replay.record(RequestRecord(*arrived, method, self.path, None, fault))
            self.close_connection = True
            return
        reply = fault_reply(fault, settings) or self._route(method)
        if fault in HOSTILE_FAULTS:
            hostile = hostile_reply(fault, reply, self.path, self._port())
            if isinstance(hostile, Streamed):
                self.replay.record(RequestRecord(*arrived, method, self.path, hostile.status, fault))
                self._stream(hostile)
                return
            reply = hostile
        self.replay.record(RequestRecord(*arrived, method, self.path, reply.status, fault))
        self._send(reply, truncate=fault == "truncate")

    def _address(self) -> tuple[str, int]:
        """The host and port this server listens on (an AF_INET server address is (host, port))."""
        address = self.server.server_address
        assert isinstance(address, tuple)
        return str(address[0]), int(address[1])

    def _port(self) -> int:
        return self._address()[1]

    def _route(self, method: str) -> Reply:
        if method != "GET":
            return Reply(405, b'{"detail": "Method Not Allowed"}', headers=(("Allow", "GET"),))
        host = self.headers.get("Host") or f"{self._address()[0]}:{self._address()[1]}"
        canned = self.replay.canned
        if canned is not None:
            return canned_reply(canned, self.path, f"http://{host}")
        try:
            return handle_api(
                self.replay.dataset,
                self.replay.dataset_name,
                self.path,
                f"http://{host}",
                page_size=self.replay.page_size,
            )
        except Exception:
            # A bug in the replay itself: answer like a real server would and keep the traceback.
            logger.exception("replay server failed on %s", self.path)
            return json_reply(500, {"detail": "Internal Server Error"})

    def _control(self, method: str, payload: dict[str, Any]) -> None:
        name = self.path[len(CONTROL_PREFIX) :].split("?", 1)[0]
        replay = self.replay
        try:
            if method == "GET" and name == "log":
                self._send(json_reply(200, [asdict(r) for r in replay.request_log]))
                return
            if method == "POST" and name == "faults":
                replay.set_faults(
                    rate=float(payload.get("rate", 0.0)),
                    kinds=payload.get("kinds", ALL_FAULTS),
                    seed=int(payload.get("seed", 0)),
                    retry_after=float(payload.get("retry_after", DEFAULT_RETRY_AFTER)),
                    slow_seconds=float(payload.get("slow_seconds", DEFAULT_SLOW_SECONDS)),
                )
            elif method == "POST" and name == "fail_next":
                replay.fail_next(int(payload["n"]), str(payload["kind"]))
            elif method == "POST" and name == "fail_path":
                replay.fail_path(str(payload["needle"]), str(payload.get("kind", "500")))
            elif method == "POST" and name == "page_size":
                replay.set_page_size(int(payload["items"]))
            elif method == "POST" and name == "latency":
                replay.set_latency(float(payload["seconds"]))
            elif method == "POST" and name == "dataset":
                replay.set_dataset(str(payload["name"]))
            elif method == "POST" and name == "reset":
                replay.reset()
            else:
                self._send(json_reply(404, {"detail": f"no control endpoint {method} {self.path}"}))
                return
        except (KeyError, TypeError, ValueError) as err:
            self._send(json_reply(400, {"detail": f"bad control request: {err!r}"}))
            return
        state = {
            "dataset": replay.dataset_name,
            "latency": replay.latency,
            "page_size": replay.page_size,
            "faults": asdict(replay.faults.settings),
            "fail_paths": replay.faults.path_rules,
        }
        self._send(json_reply(200, state))

    def _stream(self, reply: Streamed) -> None:
        """Write a body of unannounced length in chunks, then close (the end of the body is the close)."""
        self.close_connection = True
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in reply.chunks():
                self.wfile.write(chunk)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as err:
            # expected: a client with a byte ceiling hangs up once the body passes it
            logger.debug("client %s hung up during a streamed reply: %r", self.address_string(), err)

    def _send(self, reply: Reply, truncate: bool = False) -> None:
        """Write `reply`; with `truncate`, announce the full length, send half the body and hang up."""
        body = reply.body[: len(reply.body) // 2] if truncate else reply.body
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as err:
            # Expected after "slow": the client timed out and closed before we answered.
            logger.debug("client %s went away before the reply was sent: %r", self.address_string(), err)
            self.close_connection = True
        if truncate:
            self.close_connection = True
