"""Suite 2: a persistent outage after the metadata fails the CLI load in one line and changes nothing.

The outage starts the moment the scope is resolved (the metadata is fetched by then) and lasts for every
later request, through the HTTP retries and the Prefect task retry. The published warehouse must be
byte-identical afterwards, no build file may remain, and the next run must complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flows.kolada_flows
import flows.tasks
from fakes.kolada.server import ReplayServer
from flows.cli import main
from warehouse.publish import writer_lock

from .support import build_files, integrity, query, sha256

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEARS = "2021-2022"
OUTAGE_REQUESTS = 10_000


def _cli(replay: ReplayServer, root: Path) -> list[str]:
    return [
        "load",
        "yearly",
        "--scope",
        "demo",
        "--years",
        YEARS,
        "--kolada-url",
        replay.base_url,
        "--data-dir",
        str(root / "data"),
        "--warehouse",
        str(root / "data" / "jamfor.duckdb"),
    ]


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two HTTP attempts per request and no 5 s pause before the Prefect task retry (same retry logic)."""
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "2000")
    monkeypatch.setenv("JAMFOR_KOLADA_RETRIES", "2")
    for name in ("fetch_metadata", "fetch_values"):
        task = getattr(flows.tasks, name)
        monkeypatch.setattr(flows.kolada_flows, name, task.with_options(retry_delay_seconds=0))


def test_outage_after_metadata_fails_in_one_line_and_leaves_the_warehouse(
    replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "data" / "jamfor.duckdb"
    assert main(_cli(replay, tmp_path)) == 0
    capsys.readouterr()
    before = sha256(warehouse)
    runs_before = query(warehouse, "SELECT count(*) AS n FROM meta.load_run")["n"][0]

    resolve = flows.tasks.resolve_kpis
    metadata_requests: list[int] = []

    def outage_after_metadata(*args, **kwargs):
        # the metadata catalogues are on disk now; everything from here on hits the outage
        metadata_requests.append(len(replay.request_log))
        replay.fail_next(OUTAGE_REQUESTS, "503")
        return resolve(*args, **kwargs)

    monkeypatch.setattr(flows.tasks, "resolve_kpis", outage_after_metadata)
    replay.reset_log()
    code = main(_cli(replay, tmp_path))
    err = capsys.readouterr().err
    failed = [r for r in replay.request_log if r.fault == "503"]
    monkeypatch.setattr(flows.tasks, "resolve_kpis", resolve)

    assert code == 1
    # stderr holds the start notice and the reason, one line each, nothing else
    notice, reason = err.splitlines()
    assert notice.startswith("jamfor: starting the yearly load")
    assert reason.startswith("jamfor: load failed: SourceHTTPError: GET ")
    assert "HTTP 503" in reason and "/v3/data/kpi/" in reason and "after 2 attempts" in reason
    assert metadata_requests and metadata_requests[0] >= 5 and len(failed) == 4  # 2 attempts x 2 task runs
    assert sha256(warehouse) == before
    assert build_files(warehouse) == []
    with writer_lock(warehouse, run_id="probe"):
        pass  # the failed run released the writer lock
    log = [json.loads(line) for line in (tmp_path / "data" / "runs.ndjson").read_text().splitlines()]
    assert log[-1]["status"] == "failed" and "\n" not in log[-1]["message"] and "503" in log[-1]["message"]

    replay.reset()
    assert main(_cli(replay, tmp_path)) == 0
    assert query(warehouse, "SELECT count(*) AS n FROM meta.load_run")["n"][0] == runs_before + 1
    assert integrity(warehouse) == []
    print(
        f"\nFIGURES outage: metadata_requests={metadata_requests[0]} failed_503={len(failed)} "
        f"reason={reason!r} sha256_unchanged=True rerun=completed"
    )
