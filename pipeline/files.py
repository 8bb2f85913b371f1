"""`jamfor load files PATH...` and the inbox: load delivered files of any supported kind, once each.

For each file: read and recognise it (sources.files), transform and validate it (transforms.files),
then, in one build/publish for the whole batch (pipeline.skeleton: writer lock, one transaction, run
ledger, quarantine, mart refresh), merge it into its core table and record it in meta.loaded_file. A
file whose content hash is already recorded is skipped; a file with the same logical key (kind, target,
measures, periods, regions) as a recorded one but another hash is a corrected re-delivery: it
supersedes the earlier one (see warehouse.registers). Files are merged in the order given, each with its
own version timestamp.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pipeline.file_kinds import transform_delivery
from pipeline.file_report import FileOutcome, FilesReport, logical_key
from pipeline.reference import network_members
from pipeline.skeleton import Build, Run, build_and_publish, locked
from pipeline.summary import LoadSummary
from schemas.registers import KEYS
from settings import runlog
from settings.config import Paths, Tuning, lock_wait_seconds
from sources.files import (
    FileFormatError,
    ParsedFile,
    RawFile,
    archive,
    inbox_dir,
    list_inbox,
    read_delivery,
    read_raw,
)
from sources.files.municipalities import read_municipality_list
from sources.rawstore import new_fetch_id
from sources.scb import ScbClient, ScbSettings, scb_store
from transforms.files.network_owner import empty_networks
from transforms.files.regions import build_reference
from transforms.files.result import FileFrames
from warehouse import quarantine
from warehouse import registers as wh_files
from warehouse.load import published_files

if TYPE_CHECKING:  # a DuckDB connection only ever passes through pipeline/
    from warehouse.load import Connection

FLOW_NAME = "load-files"


class FilesLoadError(RuntimeError):
    """One or more files could not be read or transformed; nothing was loaded."""


@dataclass
class _Prepared:
    raw: RawFile
    parsed: ParsedFile
    frames: FileFrames
    logical_key: str
    coverage: dict[str, Any]


def load_files(
    paths: Sequence[str | Path],
    *,
    warehouse: str | Path | None = None,
    data_dir: str | Path | None = None,
    on_error: str = "raise",
    run_id: str | None = None,
    lock_held: bool = False,
    lock_wait: float | None = None,
    tuning: Tuning | None = None,
) -> FilesReport:
    """Load files into the warehouse (one publish); see the module docstring.

    on_error "raise": any unreadable file raises FilesLoadError and nothing is written.
    on_error "report": unreadable files are reported as failed and the others still load.
    lock_held: the caller (e.g. a flow) already holds warehouse.publish.writer_lock for the warehouse.
    lock_wait: seconds to wait for another load's lock (None: JAMFOR_LOCK_WAIT, else at once).
    tuning: DuckDB memory and threads of the build (None: settings.config.Tuning.from_env()).
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be 'raise' or 'report', got {on_error!r}")
    where = Paths.from_env(data_dir, warehouse)
    run_id = run_id or str(uuid.uuid4())
    as_of = datetime.now(UTC)
    record: dict[str, Any] = {"run_id": run_id, "flow": FLOW_NAME, "started_at": as_of.isoformat()}
    try:
        wait = lock_wait_seconds(lock_wait, in_deployment=False)
        run = Run(where, run_id, FLOW_NAME, as_of, tuning or Tuning.from_env())
        with locked(run, lock_held=lock_held, wait_s=wait):
            report = _load_locked(run, [Path(p) for p in paths], on_error)
    except BaseException as exc:
        runlog.append_failure(where.run_log, record, exc)
        raise
    totals = report.summary.counts() if report.summary else {}
    # the reasons the report printed, not all of them: a bad SCB file can quarantine thousands of rows
    lists = {"warnings": report.warnings(), "quarantine_reasons": report.reasons()}
    message = report.format().splitlines()[-1]
    extra = {key: lines for key, lines in lists.items() if lines}
    runlog.append(where.run_log, {**record, "status": "completed", **totals, "message": message, **extra})
    return report


def _load_locked(run: Run, paths: list[Path], on_error: str) -> FilesReport:
    report = FilesReport(run_id=None)
    raws: list[RawFile] = []
    for path in paths:
        try:
            raws.append(read_raw(path))
        except FileFormatError as exc:
            report.files.append(FileOutcome(str(path), "failed", message=str(exc)))
    known, kolada_units = published_files(run.paths.warehouse, [r.sha256 for r in raws])
    fresh: list[RawFile] = []
    first_seen: dict[str, str] = {}
    for raw in raws:
        if raw.sha256 in known:
            loaded_from, loaded_by, kind = known[raw.sha256]
            message = f"already loaded from {loaded_from} in run {loaded_by}"
            report.files.append(FileOutcome(str(raw.path), "skipped", kind=kind, message=message))
        elif raw.sha256 in first_seen:
            report.files.append(
                FileOutcome(str(raw.path), "skipped", message=f"same content as {first_seen[raw.sha256]}")
            )
        else:
            first_seen[raw.sha256] = str(raw.path)
            fresh.append(raw)
    prepared = _prepare(fresh, kolada_units, report)
    failed = [f for f in report.files if f.status == "failed"]
    if failed and on_error == "raise":
        reasons = "; ".join(f.message for f in failed)
        raise FilesLoadError(
            f"{len(failed)} of {len(paths)} files cannot be loaded, nothing written: {reasons}"
        )
    if prepared:
        report.run_id = run.run_id
        report.summary = _write(run, prepared, report)
    order = {str(p): i for i, p in enumerate(paths)}
    report.files.sort(key=lambda f: order.get(f.path, len(order)))
    return report


def _prepare(raws: list[RawFile], kolada_units: pl.DataFrame, report: FilesReport) -> list[_Prepared]:
    """Parse and transform each new file; failures become 'failed' outcomes naming the file."""
    prepared: list[_Prepared] = []
    reference: pl.DataFrame | None = None
    networks: list[pl.DataFrame] = []

    def known_networks() -> pl.DataFrame:
        # networks.yaml is read once per batch, and only when a network file needs it
        if not networks:
            networks.append(network_members(reference) if reference is not None else empty_networks())
        return networks[0]

    for raw in raws:
        kind = None
        try:
            parsed = read_delivery(raw.path)
            kind = parsed.kind
            if reference is None:
                reference = build_reference(kolada_units, read_municipality_list())
            frames = transform_delivery(parsed, reference, known_networks)
        except ValueError as exc:
            message = str(exc) if str(raw.path) in str(exc) else f"{raw.path}: {exc}"
            report.files.append(
                FileOutcome(str(raw.path), "failed", kind=kind, message=message.splitlines()[0])
            )
            continue
        key, coverage = logical_key(parsed.kind, frames)
        if parsed.table is not None and parsed.table.notes:
            coverage["source_notes"] = parsed.table.notes
        prepared.append(_Prepared(raw, parsed, frames, key, coverage))
    return prepared


def _write(run: Run, prepared: list[_Prepared], report: FilesReport) -> LoadSummary:
    """Merge every prepared file in one build and publish it (pipeline.skeleton)."""
    summary = LoadSummary(run_id=run.run_id, flow=FLOW_NAME)
    build = Build(
        scope={"files": [str(p.raw.path) for p in prepared]},
        merge=partial(_merge, run, prepared, report),
        merged_step="files",
        message=f"{len(prepared)} files",
    )
    build_and_publish(run, build, summary, time.perf_counter())
    return summary


def _merge(
    run: Run,
    prepared: list[_Prepared],
    report: FilesReport,
    con: Connection,
    summary: LoadSummary,
    clock: float,
) -> float:
    """The file merge of the skeleton (inside its transaction): each file's rows, its quarantine and its
    meta.loaded_file entry, superseding an earlier delivery of the same logical key."""
    for index, item in enumerate(prepared):
        frames = item.frames
        # each file gets its own version time, so history orders files of one batch as given
        file_as_of = run.as_of + timedelta(microseconds=index)
        previous = wh_files.current_deliveries(con, item.logical_key)
        scope_cov = wh_files.Coverage(frames.identities, frames.periods, frames.municipalities)
        stats = wh_files.merge_file(
            con,
            frames.target,
            frames.valid,
            key_cols=KEYS[frames.target],
            run_id=run.run_id,
            as_of=file_as_of,
            supersedes=scope_cov if previous else None,
        )
        quarantine.record(con, frames.quarantine, run_id=run.run_id, quarantined_at=file_as_of)
        entity = f"{frames.target} <- {item.raw.name}"
        summary.add(entity, stats, frames.quarantine.height, rows_in=frames.rows_in, table=frames.target)
        wh_files.record_file(con, _entry(item, run.run_id, file_as_of), supersedes=previous)
        message = f"supersedes {', '.join(s[:12] for s in previous)}" if previous else ""
        report.files.append(FileOutcome.loaded(str(item.raw.path), item.parsed.kind, frames, message))
    return clock


def _entry(item: _Prepared, run_id: str, loaded_at: datetime) -> dict[str, object]:
    return {
        "sha256": item.raw.sha256,
        "path": str(item.raw.path),
        "kind": item.parsed.kind,
        "target_table": item.frames.target,
        "logical_key": item.logical_key,
        "coverage": json.dumps(item.coverage, ensure_ascii=False),
        "rows_in": item.frames.rows_in,
        "rows_loaded": item.frames.valid.height,
        "rows_quarantined": item.frames.quarantine.height,
        "run_id": run_id,
        "loaded_at": loaded_at,
    }


def load_inbox(
    inbox: str | Path | None = None,
    *,
    warehouse: str | Path | None = None,
    data_dir: str | Path | None = None,
    lock_held: bool = False,
) -> FilesReport:
    """Load every file waiting in the inbox (JAMFOR_INBOX, default $JAMFOR_DATA_DIR/inbox) and file it away.

    Loaded and already-loaded files move to inbox/loaded/, unreadable ones to inbox/failed/ with the
    reason next to them; the monthly flow calls this after its Kolada load.
    """
    where = Paths.from_env(data_dir, warehouse)
    folder = inbox_dir(where.data_dir, inbox)
    waiting = list_inbox(folder)
    if not waiting:
        return FilesReport(run_id=None)
    report = load_files(
        waiting, warehouse=where.warehouse, data_dir=where.data_dir, on_error="report", lock_held=lock_held
    )
    for outcome in report.files:
        failed = outcome.status == "failed"
        archive(
            Path(outcome.path), folder, "failed" if failed else "loaded", outcome.message if failed else None
        )
    return report


def fetch_scb(
    table_id: str,
    *,
    selection: dict[str, list[str]] | None = None,
    periods: Sequence[str] | None = None,
    scb_url: str | None = None,
    warehouse: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> FilesReport:
    """Fetch an SCB table (default: population per kommun and riket for `periods`) and load the answers.

    The json-stat2 answers are stored under $JAMFOR_DATA_DIR/raw/scb/<fetch_id>/ and loaded like any
    delivered file, so an unchanged answer is skipped by its hash.
    """
    where = Paths.from_env(data_dir, warehouse)
    client = ScbClient(ScbSettings.from_env(base_url=scb_url), scb_store(where.data_dir, new_fetch_id()))
    if selection is None:
        fetched = client.population(table_id, periods=periods)
    else:
        fetched = client.data(table_id, selection)
    return load_files(fetched.files, warehouse=where.warehouse, data_dir=where.data_dir)
