"""`jamfor demo`'s early-started temporary Prefect server: a real server on loopback that a flow run
reports to, stopped by the test; and no server at all when PREFECT_API_URL is configured."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    PREFECT_UI_URL,
    temporary_settings,
)

from flows.server_start import TemporaryServer

# a fresh database is migrated first: tens of seconds on a busy 2-core machine
START_TIMEOUT_S = 180


@flow(name="server-start-probe")
def probe() -> str:
    """A flow run whose only job is to be recorded by the server; returns its id."""
    return str(flow_run.get_id())


def test_a_configured_api_url_is_reused_and_nothing_is_started() -> None:
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        server = TemporaryServer.start()
        assert server.process is None
        with server.used():
            assert PREFECT_API_URL.value() == "http://127.0.0.1:9/api"
        server.stop()  # nothing to stop


def test_the_flow_run_is_recorded_by_the_started_server_which_then_stops() -> None:
    settings = {PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: START_TIMEOUT_S}
    with temporary_settings(settings, restore_defaults={PREFECT_API_URL}):
        started = time.monotonic()
        server = TemporaryServer.start()
        try:
            assert server.process is not None and server.api_url.startswith("http://127.0.0.1:")
            with server.used():
                assert PREFECT_API_URL.value() == server.api_url
                assert not PREFECT_UI_URL.value()  # no link to a UI this server does not serve
                run_id = probe()
                with get_client(sync_client=True) as client:
                    assert client.read_flow_run(run_id).state_name == "Completed"
            assert PREFECT_API_URL.value() is None  # only the demo's flow run goes there
            print(f"\nFIGURES temporary server start and one flow run: {time.monotonic() - started:.1f} s")
        finally:
            process = server.process
            server.stop()
        assert process is not None and process.poll() is not None
        assert server.process is None
        server.stop()  # idempotent: the exit handler calls it again


def _stand_in(code: str) -> TemporaryServer:
    """A TemporaryServer whose process is `python -c code` on a port nothing listens on."""
    server = TemporaryServer()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        server.port = sock.getsockname()[1]
    server.process = subprocess.Popen([sys.executable, "-c", code])
    return server


def test_a_server_that_never_answers_fails_in_one_line_naming_the_url() -> None:
    server = _stand_in("import time; time.sleep(60)")
    try:
        with (
            temporary_settings({PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 1}),
            pytest.raises(RuntimeError) as info,
        ):
            server.wait()
    finally:
        server.stop()
    message = str(info.value)
    assert "\n" not in message and "did not answer within 1 s" in message
    assert f"GET http://127.0.0.1:{server.port}/api/health" in message
    assert server.process is None  # stopped, not left behind


def test_a_server_process_that_exits_fails_with_its_status() -> None:
    server = _stand_in("raise SystemExit(3)")
    try:
        with pytest.raises(RuntimeError, match="the temporary Prefect server exited with 3"):
            server.wait()
    finally:
        server.stop()
