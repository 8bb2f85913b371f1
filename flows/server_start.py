"""`jamfor demo`'s temporary Prefect server, started first so that its start overlaps the demo's own work.

Without PREFECT_API_URL a flow run starts Prefect's temporary server when it first needs the API and
waits for it: the server's API modules imported in this process (~2.5 s), then a server process that
imports them again, migrates its database (much longer on a fresh PREFECT_HOME) and starts its services,
several seconds in which the demo does nothing else. `TemporaryServer.start()` starts the same server
process the same way (Prefect's SubprocessASGIServer command and environment) before the demo imports
anything heavy, and `wait()` hands its URL to the flow run as PREFECT_API_URL. A configured
PREFECT_API_URL is reused, as by every other command: nothing is started.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    PREFECT_UI_URL,
    get_current_settings,
    temporary_settings,
)

# what SubprocessASGIServer sets for its server process: no UI, the ephemeral set of services
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
STOP_WAIT_S = 5.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryServer:
    """A Prefect API server process on loopback for this process's flow runs, stopped at exit."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        """The server's API URL (what PREFECT_API_URL would say)."""
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def start(cls) -> TemporaryServer:
        """Start the server process unless PREFECT_API_URL is set (then it is reused: nothing starts)."""
        server = cls()
        if not PREFECT_API_URL.value():
            server.port = _free_port()
            server.process = subprocess.Popen(server._command(), env=server._env())
            atexit.register(server.stop)  # like Prefect's: after its log and event workers have drained
        return server

    def _command(self) -> list[str]:
        import prefect

        app_dir = Path(prefect.__file__).resolve().parent.parent
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(app_dir),
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ]

    def _env(self) -> dict[str, str]:
        settings = get_current_settings().to_environment_variables(exclude_unset=True)
        return {**os.environ, **SERVER_ENV, **settings}

    def wait(self) -> None:
        """Block until the server answers its health check (Prefect's startup timeout bounds it)."""
        if self.process is None:
            return
        import httpx
        from prefect.logging import get_logger

        get_logger().info(
            f"Starting temporary server on http://127.0.0.1:{self.port}\nSee "
            "https://docs.prefect.io/v3/concepts/server#how-to-guides "
            "for more information on running a dedicated Prefect server."
        )
        timeout = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the temporary Prefect server exited with {self.process.returncode}")
                try:
                    status = client.get(f"{self.api_url}/health", timeout=5).status_code
                    if status == 200:
                        return
                    last = f"GET {self.api_url}/health answered {status}"
                except httpx.TransportError as exc:  # not listening yet: try again shortly
                    last = f"GET {self.api_url}/health: {exc!r}"
                time.sleep(0.05)
        raise RuntimeError(f"the temporary Prefect server did not answer within {timeout:g} s ({last})")

    @contextmanager
    def used(self) -> Iterator[None]:
        """Flow runs inside go to this server (nothing changes when PREFECT_API_URL was set)."""
        if self.process is None:
            yield
            return
        self.wait()
        # no UI URL: the server serves none (as Prefect's own temporary server, whose runs get no link)
        with temporary_settings({PREFECT_API_URL: self.api_url, PREFECT_UI_URL: ""}):
            yield

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after a few seconds); idempotent."""
        if self.process is None:
            return
        from prefect.logging import get_logger

        get_logger().info(f"Stopping temporary server on http://127.0.0.1:{self.port}")
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
