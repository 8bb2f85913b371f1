"""The one load skeleton of Kolada fetches and delivered files.

    lock → (source checks on the published file) → build copy → merge → quarantine → ledger
         → reference (Kolada) → mart refresh → checks → publish

A source (pipeline.kolada, pipeline.files) decides under the lock whether to build at all, then hands
`build_and_publish` its `Build`: what to record in meta.load_run and the merge that writes its rows,
its quarantine and its ledger entries (pages and watermark, or loaded files). The skeleton runs that
merge in one transaction on a build copy opened with the load's DuckDB tuning, refreshes the marts by
one policy (warehouse.load.refresh_marts: patch by KPI when only values changed, whole marts
otherwise), finishes the run and publishes; any exception deletes the build copy, so the published
warehouse stays as it was. Rows in = loaded + quarantined is checked as each entity is added to the
summary (pipeline.summary).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from pipeline.summary import LoadSummary
from settings.config import Paths, Tuning
from warehouse import ddl, runs
from warehouse.load import build_copy, refresh_marts, replace_reference
from warehouse.publish import writer_lock
from warehouse.reference import ReferenceInputs

if TYPE_CHECKING:  # a DuckDB connection only ever passes through pipeline/
    from warehouse.load import Connection


class Merge(Protocol):
    """A source's merge: writes its rows, quarantine and ledger entries; returns the clock (perf_counter)."""

    def __call__(self, con: Connection, summary: LoadSummary, clock: float, /) -> float: ...


@dataclass(frozen=True)
class Run:
    """What every load has: where it writes, its run id, flow name and version time, its tuning."""

    paths: Paths
    run_id: str
    flow: str
    as_of: datetime
    tuning: Tuning


@dataclass(frozen=True)
class Build:
    """A source's part of the build: the ledger's scope and message, the merge, and whether (and from
    what) the reference tables are rewritten before the marts are refreshed."""

    scope: dict[str, Any] | str
    merge: Merge
    # the step name the merge's time (and its commit) is recorded under
    merged_step: str
    reference: Callable[[ReferenceInputs], dict[str, pl.DataFrame]] | None = None
    message: str = ""


def locked(run: Run, *, lock_held: bool, wait_s: float = 0.0) -> AbstractContextManager[None]:
    """The writer lock for the run's warehouse, unless the caller (a flow) already holds it."""
    return nullcontext() if lock_held else writer_lock(run.paths.warehouse, run_id=run.run_id, wait_s=wait_s)


def build_and_publish(run: Run, build: Build, summary: LoadSummary, clock: float) -> None:
    """Build a copy, merge into it in one transaction, refresh reference and marts, record the run and
    publish it atomically (the writer lock is held)."""
    with build_copy(run.paths.warehouse, run_id=run.run_id, config=run.tuning.duckdb_config()) as con:
        clock = summary.step("copy", clock)
        runs.start_run(con, run_id=run.run_id, flow=run.flow, scope=build.scope, started_at=run.as_of)
        with ddl.transaction(con):
            clock = build.merge(con, summary, clock)
        clock = summary.step(build.merged_step, clock)
        reference_changed = False
        if build.reference is not None:
            # networks, directions and peer-area rules are re-read and validated on every publish
            reference_changed = replace_reference(con, build.reference)
            clock = summary.step("reference", clock)
        summary.marts, summary.marts_unchanged = refresh_marts(
            con,
            summary.written,
            run_id=run.run_id,
            reference_changed=reference_changed,
            chunk_values=run.tuning.mart_chunk_values,
        )
        clock = summary.step("marts", clock)
        runs.finish_run(con, run.run_id, summary.counts(), status="completed", message=build.message)
    summary.step("publish", clock)  # checkpoint, fsync, rename
