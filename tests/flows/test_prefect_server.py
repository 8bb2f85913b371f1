"""The scheduling routes against a real `prefect server start`: serve, deploy, triggered runs, the CLI.

One server for the module (loopback, its own PREFECT_HOME, stopped by the fixture). Its scheduler runs
every 2 s and looks 400 days ahead (the default 100 days would not reach next September's yearly run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from subprocess import DEVNULL
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from fakes.kolada.server import ReplayServer
from flows.deployments import SERVE_NAME, WORKER_NAME, Schedules
from sources.fixtures import REPO_ROOT
from warehouse.publish import connect_readonly

YEARS = "2018-2022"
BIN = Path(sys.executable).parent
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Server:
    """A running Prefect server and the environment that points a client at it."""

    def __init__(self, url: str, env: dict[str, str], log: Path) -> None:
        self.url = url
        self.env = env
        self.log = log
        self.http = httpx.Client(base_url=url, timeout=30)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        # a busy SQLite answers 503 "database is locked"; Prefect's own client retries those too
        for attempt in range(6):
            response = self.http.request(method, path, json=body)
            if response.status_code != 503:
                break
            time.sleep(0.5 * (attempt + 1))
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call("POST", path, body or {})

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def deployments(self) -> dict[str, dict[str, Any]]:
        """Deployments by their full name, flow/deployment."""
        flows = {f["id"]: f["name"] for f in self.post("/flows/filter")}
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in self.post("/deployments/filter")}

    def runs(self, deployment_id: str, state: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"deployment_id": {"any_": [deployment_id]}}
        if state:
            query["state"] = {"type": {"any_": [state]}}
        return self.post("/flow_runs/filter", {"flow_runs": query, "sort": "EXPECTED_START_TIME_ASC"})

    def finished(self, run_id: str, timeout: float) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.get(f"/flow_runs/{run_id}")
            return run if run["state_type"] in TERMINAL else None

        return _wait_for(f"flow run {run_id} to finish", done, timeout)

    def logs(self, run_id: str) -> list[dict[str, Any]]:
        query = {"logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC"}
        return self.post("/logs/filter", query)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JAMFOR_"))}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P400D",
    }
    if "JAMFOR_FIXTURES_DIR" in os.environ:
        env["JAMFOR_FIXTURES_DIR"] = os.environ["JAMFOR_FIXTURES_DIR"]
    log = home / "server.log"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:

        def healthy() -> bool:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for("the Prefect server to answer", healthy, timeout=120)
        print(f"\nprefect server start: healthy after {time.monotonic() - started:.1f} s")
        yield Server(url, {**env, "PREFECT_API_URL": url}, log)
    finally:
        _stop(process)
    text = log.read_text(errors="replace")
    assert "Can't evaluate bulk DML" not in text, "the scheduler failed (SQLAlchemy version?)"


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(port=0) as replay_server:
        yield replay_server


@pytest.fixture(scope="module")
def serving(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """`jamfor serve --scope demo` against the server, until the module ends."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    # the runner polls for due runs every 10 s by default; 2 s keeps the triggered runs prompt
    env = {**server.env, "JAMFOR_KOLADA_RATE": "200", "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--scope", "demo"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:

        def registered() -> dict[str, dict[str, Any]] | None:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            found = server.deployments()
            names = {f"kolada-yearly/{SERVE_NAME}", f"kolada-monthly/{SERVE_NAME}"}
            return found if names <= set(found) else None

        yield _wait_for("jamfor serve to register its deployments", registered, timeout=90)
    finally:
        _stop(process)


def test_serve_registers_both_schedules_and_the_server_schedules_runs(
    server: Server, serving: dict[str, dict[str, Any]]
) -> None:
    expected = Schedules()
    crons = {"kolada-yearly": expected.yearly_cron, "kolada-monthly": expected.monthly_cron}
    tz = ZoneInfo(expected.timezone)
    for flow_name, cron in crons.items():
        deployment = serving[f"{flow_name}/{SERVE_NAME}"]
        (schedule,) = deployment["schedules"]
        assert schedule["schedule"]["cron"] == cron
        assert schedule["schedule"]["timezone"] == "Europe/Stockholm" == expected.timezone
        assert schedule["active"] and not deployment["paused"]
        assert deployment["parameters"] == {"scope": "demo"}
        runs = _wait_for(
            f"scheduled runs of {flow_name}",
            lambda d=deployment: server.runs(d["id"], "SCHEDULED"),
            timeout=60,
        )
        starts = [datetime.fromisoformat(r["expected_start_time"]).astimezone(tz) for r in runs]
        print(f"{flow_name}/{SERVE_NAME} scheduled:", ", ".join(s.isoformat() for s in starts))
        minute, hour, day, month, _ = cron.split()
        for start in starts:
            assert (start.minute, start.hour, start.day) == (int(minute), int(hour), int(day))
            assert month == "*" or start.month == int(month)
        # the scheduler keeps at least 3 runs ahead, within the 400 days it looks ahead
        assert len(starts) >= (3 if month == "*" else 1)
        assert starts == sorted(starts) and len(set(starts)) == len(starts)


def _trigger(server: Server, deployment: dict[str, Any], parameters: dict[str, Any]) -> str:
    run = server.post(f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})
    return run["id"]


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory the triggered runs load into (the inbox test reuses its watermark)."""
    return tmp_path_factory.mktemp("loads") / "data"


def test_triggered_runs_publish_log_and_wait_for_each_other(
    server: Server, serving: dict[str, dict[str, Any]], replay: ReplayServer, loads: Path
) -> None:
    data = loads
    warehouse = data / "jamfor.duckdb"
    params = {"kolada_url": replay.base_url, "data_dir": str(data), "warehouse": str(warehouse)}
    params["years"] = YEARS
    replay.reset()
    # slow replies keep the yearly run loading until the monthly one waits
    replay.set_latency(3)
    started = time.monotonic()
    yearly = _trigger(server, serving[f"kolada-yearly/{SERVE_NAME}"], params)
    lock = warehouse.with_name(warehouse.name + ".lock")
    _wait_for("the yearly run to hold the lock", lambda: lock.is_file() and yearly in lock.read_text(), 90)
    monthly = _trigger(server, serving[f"kolada-monthly/{SERVE_NAME}"], params)

    def waiting() -> bool:
        wait = "waiting up to 21600 s for the warehouse lock"
        return any(wait in line["message"] for line in server.logs(monthly))

    _wait_for("the monthly run to wait for the lock", waiting, timeout=90)
    replay.set_latency(0)
    first = server.finished(yearly, timeout=240)
    second = server.finished(monthly, timeout=240)
    print(f"yearly + queued monthly through the server: {time.monotonic() - started:.1f} s")
    assert (first["state_type"], second["state_type"]) == ("COMPLETED", "COMPLETED"), (first, second)
    # the monthly run loaded after the yearly one had published (it found the yearly watermark)
    runs = [json.loads(line) for line in (data / "runs.ndjson").read_text().splitlines()]
    assert [(r["run_id"], r["status"]) for r in runs] == [(yearly, "completed"), (monthly, "completed")]
    # the same data again: the monthly run changed nothing, so it is logged but not published
    assert [r.get("published") for r in runs] == [True, False]
    con = connect_readonly(warehouse)
    try:
        loads = con.execute("SELECT run_id, flow FROM meta.load_run ORDER BY started_at").fetchall()
        assert loads == [(yearly, "kolada-yearly")]
        assert con.execute("SELECT count(*) FROM mart.kpi_value").fetchone()[0] > 0
    finally:
        con.close()

    def jamfor_lines() -> list[str] | None:
        lines = [line["message"] for line in server.logs(yearly) if line["name"].startswith("jamfor")]
        return lines if any(m.startswith("yearly load done in") for m in lines) else None

    # the run's logs reach the API in batches, shortly after the run ends
    jamfor = _wait_for("jamfor's last line in the yearly run's logs", jamfor_lines, timeout=30)
    assert any(m.startswith("yearly load of demo into") for m in jamfor), jamfor
    assert any(m.startswith("kolada data: ") for m in jamfor), jamfor
    assert any(m.startswith("published: rows in") for m in jamfor), jamfor


def test_inbox_file_that_fails_fails_the_run(
    server: Server, serving: dict[str, dict[str, Any]], replay: ReplayServer, loads: Path
) -> None:
    data = loads
    params = {"kolada_url": replay.base_url, "data_dir": str(data), "years": YEARS}
    replay.reset()
    if not (data / "jamfor.duckdb").is_file():  # run on its own: the monthly run needs a yearly one first
        yearly = server.finished(_trigger(server, serving[f"kolada-yearly/{SERVE_NAME}"], params), 240)
        assert yearly["state_type"] == "COMPLETED"
    (data / "inbox").mkdir()
    (data / "inbox" / "broken.csv").write_bytes(b"")
    run = server.finished(_trigger(server, serving[f"kolada-monthly/{SERVE_NAME}"], params), 240)
    assert run["state_type"] == "FAILED"
    assert "1 of 1 inbox files failed" in run["state"]["message"]
    assert "broken.csv" in run["state"]["message"]
    query = {"flow_run_id": {"any_": [run["id"]]}, "key": {"any_": ["kolada-monthly-summary"]}}
    (artifact,) = server.post("/artifacts/filter", {"artifacts": query})
    assert "## Inbox" in artifact["data"] and "broken.csv" in artifact["data"]
    assert [p.name for p in (data / "inbox" / "failed").iterdir() if p.name.endswith("broken.csv")]
    last = json.loads((data / "runs.ndjson").read_text().splitlines()[-1])
    assert last["status"] == "completed" and "inbox files failed" in last["message"]
    # the same from the CLI: the report of what was published, then the reason as the last line
    (data / "inbox" / "empty.csv").write_bytes(b"")
    argv = ["load", "monthly", "--scope", "demo", "--years", YEARS, "--kolada-url", replay.base_url]
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *argv, "--data-dir", str(data)],
        env={**server.env, "JAMFOR_KOLADA_RATE": "200"},
        capture_output=True,
        text=True,
        timeout=240,
        stdin=DEVNULL,
    )
    assert done.returncode == 1
    assert "# kolada-monthly run" in done.stdout and "empty.csv" in done.stdout.split("## Inbox")[1]
    reason = done.stderr.strip().splitlines()[-1]
    assert reason.startswith("jamfor: load failed: InboxFilesFailed: 1 of 1 inbox files failed"), done.stderr
    assert "Traceback" not in done.stderr


def test_prefect_deploy_outside_the_checkout_fails_at_deploy_time(server: Server, tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text((REPO_ROOT / "prefect.yaml").read_text())
    done = subprocess.run(
        [str(BIN / "prefect"), "deploy", "--all"],
        cwd=tmp_path,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "No such file or directory: 'flows/kolada_flows.py'" in done.stderr, done.stdout + done.stderr
    assert {f"kolada-yearly/{WORKER_NAME}", f"kolada-monthly/{WORKER_NAME}"}.isdisjoint(server.deployments())


def test_prefect_deploy_from_the_checkout_without_a_hand_set_variable(
    server: Server, replay: ReplayServer, tmp_path: Path
) -> None:
    env = {**server.env, "JAMFOR_MONTHLY_CRON": "0 7 5 * *"}
    prefect = str(BIN / "prefect")
    for argv in (
        [prefect, "work-pool", "create", "jamfor-local", "--type", "process"],
        [prefect, "deploy", "--all"],
    ):
        done = subprocess.run(
            argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=DEVNULL
        )
        assert done.returncode == 0, done.stdout + done.stderr
    found = server.deployments()
    pull = [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}]
    crons = {"kolada-yearly": Schedules().yearly_cron, "kolada-monthly": "0 7 5 * *"}
    for flow_name, cron in crons.items():
        deployment = found[f"{flow_name}/{WORKER_NAME}"]
        assert deployment["pull_steps"] == pull
        assert deployment["work_pool_name"] == "jamfor-local"
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in deployment["schedules"]] == [
            (cron, "Europe/Stockholm")
        ]
    # the serve route's deployments are separate, not overwritten
    assert {f"kolada-yearly/{SERVE_NAME}", f"kolada-monthly/{SERVE_NAME}"} <= set(found)
    # a worker started elsewhere runs the deployment in the checkout (the pull step's directory)
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as out:
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "jamfor-local"],
            cwd=tmp_path,
            env={**env, "PREFECT_WORKER_QUERY_SECONDS": "2", "JAMFOR_KOLADA_RATE": "200"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        data = tmp_path / "data"
        params = {"kolada_url": replay.base_url, "data_dir": str(data), "years": YEARS}
        run = server.finished(_trigger(server, found[f"kolada-yearly/{WORKER_NAME}"], params), 240)
    finally:
        _stop(worker)
    assert run["state_type"] == "COMPLETED", worker_log.read_text(errors="replace")[-3000:]
    assert (data / "jamfor.duckdb").is_file()


def test_failed_cli_load_ends_with_its_one_line_reason(
    server: Server, replay: ReplayServer, tmp_path: Path
) -> None:
    # a DuckDB memory limit too small for the load fails it inside the build, holding a connection
    env = {**server.env, "JAMFOR_DUCKDB_MEMORY_LIMIT": "1MB", "JAMFOR_KOLADA_RATE": "200"}
    argv = ["load", "yearly", "--scope", "demo", "--years", YEARS, "--kolada-url", replay.base_url]
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *argv, "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("jamfor: load failed: OutOfMemoryException: "), done.stderr
    assert "Traceback" not in done.stderr and "nanobind" not in done.stderr, done.stderr
    assert len(lines) == 2, done.stderr  # the start line and the reason
    (record,) = [json.loads(line) for line in (tmp_path / "data" / "runs.ndjson").read_text().splitlines()]
    assert record["status"] == "failed" and record["message"].startswith("OutOfMemoryException: ")
    assert record["traceback"].startswith("Traceback") and "load_fetch" in record["traceback"]
