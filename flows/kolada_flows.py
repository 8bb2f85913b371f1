"""The Kolada load flows: yearly (full refresh), monthly (incremental via from_date), backfill (years)."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow
from prefect.runtime import deployment, flow_run

from flows.logs import route_to_flow_runs
from flows.tasks import (
    fetch_metadata,
    fetch_values,
    load_inbox_files,
    load_warehouse,
    publish_report,
    resolve_scope,
)
from pipeline.file_report import FilesReport
from pipeline.scope import Scope, load_scope, with_overrides
from pipeline.summary import LoadSummary
from settings import runlog
from settings.config import Paths, lock_wait_seconds
from sources.kolada.settings import KoladaSettings
from sources.rawstore import new_fetch_id
from warehouse.history import ValueScope
from warehouse.load import published_watermark
from warehouse.publish import writer_lock

# Kolada's from_date asks for changes after a date; one day of overlap costs nothing (merges are
# idempotent) and covers changes made on the day of the previous run.
FROM_DATE_OVERLAP = timedelta(days=1)
log = logging.getLogger("jamfor.load")
route_to_flow_runs()


class NoWatermarkError(RuntimeError):
    """A monthly run found no watermark for its scope: run the yearly load first."""


class InboxFilesFailed(RuntimeError):
    """The load was published, but files in the inbox could not be loaded; `report` is the run report.

    The flow run ends Failed: a file that needs fixing and re-delivering needs a person, and Prefect's
    notifications and automations react to a failed run, not to a sentence in a green one.
    """

    def __init__(self, message: str, report: str) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class RunRequest:
    """Everything a load run needs, resolved from flow parameters and the environment."""

    mode: str
    scope: Scope
    paths: Paths
    settings: KoladaSettings
    lock_wait: float = 0.0


def _request(
    mode: str,
    scope: str,
    kpis: str | None,
    years: str | None,
    kolada_url: str | None,
    warehouse: str | None,
    data_dir: str | None,
    lock_wait: float | None,
    kolada_rate: float | None = None,
) -> RunRequest:
    resolved = with_overrides(load_scope(scope, data_dir=data_dir), kpis=kpis, years=years)
    return RunRequest(
        mode,
        resolved,
        Paths.from_env(data_dir, warehouse),
        KoladaSettings.from_env(base_url=kolada_url, rate=kolada_rate),
        lock_wait_seconds(lock_wait, in_deployment=deployment.get_id() is not None),
    )


def run_load(request: RunRequest) -> dict[str, Any]:
    """Fetch, load and publish one run; log it (also when it fails) and return its summary."""
    started = time.perf_counter()
    as_of = datetime.now(UTC)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    record: dict[str, Any] = {
        "run_id": run_id,
        "flow": f"kolada-{request.mode}",
        "started_at": as_of.isoformat(),
        "scope": request.scope.as_dict(),
    }
    log.info(
        "%s load of %s into %s, run %s", request.mode, request.scope.key(), request.paths.warehouse, run_id
    )
    try:
        with writer_lock(request.paths.warehouse, run_id=run_id, wait_s=request.lock_wait):
            summary, fetched = _fetch_and_load(request, run_id, as_of)
            if summary.published:
                log.info(
                    "published: rows in %d = loaded %d + quarantined %d; new %d, revised %d, deleted %d",
                    summary.rows_in,
                    summary.rows_loaded,
                    summary.rows_quarantined,
                    summary.inserted,
                    summary.revised,
                    summary.deleted,
                )
            else:
                log.info("%s; rows in %d, all unchanged", summary.note, summary.rows_in)
            # the monthly cadence is also when files from SCB, Socialstyrelsen and networks arrive
            inbox = load_inbox_files(request.paths) if request.mode == "monthly" else FilesReport(None)
        elapsed = time.perf_counter() - started
        failed = [f for f in inbox.files if f.status == "failed"]
        report = publish_report(summary, fetched, elapsed, inbox.format() if inbox.files else "")
    except BaseException as exc:
        runlog.append_failure(request.paths.run_log, record, exc)
        raise
    outcome = "published" if summary.published else "not republished, nothing changed"
    problem = (
        f"{len(failed)} of {len(inbox.files)} inbox files failed and were moved to the inbox's failed/ "
        f"(the Kolada load was {outcome}): {'; '.join(f.message for f in failed)}"
        if failed
        else ""
    )
    runlog.append(
        request.paths.run_log,
        {
            **record,
            "status": "completed",
            # a run that changed nothing is not in the warehouse's meta.load_run: this line records it
            "published": summary.published,
            "message": "; ".join(m for m in (summary.note, problem) if m),
            **summary.counts(),
            "elapsed_s": round(elapsed, 2),
            "steps_s": {name: round(seconds, 2) for name, seconds in summary.steps_s.items()},
        },
    )
    if failed:
        raise InboxFilesFailed(problem, report)
    log.info("%s load done in %.1f s", request.mode, elapsed)
    return {"run_id": run_id, "summary": summary, "report": report, "elapsed_s": elapsed}


def _fetch_and_load(request: RunRequest, run_id: str, as_of: datetime) -> tuple[LoadSummary, dict[str, Any]]:
    scope, paths = request.scope, request.paths
    from_date = None
    value_scope = None
    if request.mode == "monthly":
        last = published_watermark(paths.warehouse, "kolada", scope.key())
        if last is None:
            raise NoWatermarkError(
                f"no watermark for scope {scope.key()!r} in {paths.warehouse}: run `jamfor load yearly` first"
            )
        from_date = last - FROM_DATE_OVERLAP
    fetch_id = new_fetch_id()
    fetch_dir = paths.data_dir / "raw" / "kolada" / fetch_id
    fetched: dict[str, Any] = dict(fetch_metadata(request.settings, paths.data_dir, fetch_id))
    kpis = resolve_scope(scope, fetch_dir)
    if request.mode != "monthly":
        value_scope = ValueScope(kpi_ids=kpis, years=list(scope.years))
    fetched["data"] = fetch_values(
        request.settings, paths.data_dir, fetch_id, kpis, list(scope.years), from_date
    )
    # a backfill must not move the incremental watermark: it says nothing about changes since then
    watermark = None if request.mode == "backfill" else (scope.key(), as_of.date())
    summary = load_warehouse(
        paths, fetch_dir, run_id, f"kolada-{request.mode}", scope.as_dict(), as_of, value_scope, watermark
    )
    return summary, fetched


@flow(name="kolada-yearly")
def yearly(
    scope: str = "default",
    kpis: str | None = None,
    years: str | None = None,
    kolada_url: str | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
    lock_wait: float | None = None,
    kolada_rate: float | None = None,
) -> dict:
    """Full refresh: all metadata, and every value of the scope's KPIs and years.

    Every flow: `kolada_url` and `kolada_rate` (requests per second) override JAMFOR_KOLADA_URL and
    JAMFOR_KOLADA_RATE for this run (the demo fetches its local replay faster than Kolada allows).
    """
    return run_load(
        _request("yearly", scope, kpis, years, kolada_url, warehouse, data_dir, lock_wait, kolada_rate)
    )


@flow(name="kolada-monthly")
def monthly(
    scope: str = "default",
    kpis: str | None = None,
    years: str | None = None,
    kolada_url: str | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
    lock_wait: float | None = None,
    kolada_rate: float | None = None,
) -> dict:
    """Incremental: metadata, and the values changed or deleted since the scope's last watermark."""
    return run_load(
        _request("monthly", scope, kpis, years, kolada_url, warehouse, data_dir, lock_wait, kolada_rate)
    )


@flow(name="kolada-backfill")
def backfill(
    years: str,
    scope: str = "default",
    kpis: str | None = None,
    kolada_url: str | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
    lock_wait: float | None = None,
    kolada_rate: float | None = None,
) -> dict:
    """Full refresh of a year range only; other years and the watermark are left as they are."""
    return run_load(
        _request("backfill", scope, kpis, years, kolada_url, warehouse, data_dir, lock_wait, kolada_rate)
    )
