"""Turn one fetch (raw pages) into a published warehouse: validate, transform, merge, rebuild marts."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pipeline import nochange
from pipeline.reference import ReferenceFiles, reference_frames
from pipeline.skeleton import Build, Run, build_and_publish, locked
from pipeline.summary import LoadSummary
from pipeline.values import load_values, merge_changed_values, page_manifest
from settings.config import Paths, Tuning
from sources.kolada.rawstore import read_pages
from transforms.kolada import metadata as meta_tf
from warehouse import history, marts, quarantine, runs
from warehouse.publish import WarehouseHeldReadWrite

if TYPE_CHECKING:  # a DuckDB connection only ever passes through pipeline/
    from warehouse.load import Connection

log = logging.getLogger("jamfor.load")
METADATA_ENDPOINTS = ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou")


@dataclass
class Transformed:
    """Validated dimension frames ready to merge, the KPI metadata values need, what was quarantined."""

    dimensions: dict[str, tuple[pl.DataFrame, tuple[str, ...]]]
    kpi_meta: pl.DataFrame | None
    quarantine: dict[str, pl.DataFrame]
    manifest: pl.DataFrame


def transform_fetch(fetch_dir: Path) -> Transformed:
    """Read a fetch's metadata pages and produce validated dimension frames (pure after reading).

    The /data pages are not read here: `load_values` streams them in batches.
    """
    pages = {ep: read_pages(fetch_dir, ep) for ep in METADATA_ENDPOINTS}
    dims: dict[str, tuple[pl.DataFrame, tuple[str, ...]]] = {}
    quarantined: dict[str, pl.DataFrame] = {}

    kpi_meta = None
    if pages["kpi"].height:
        kpi, quarantined["kpi"] = meta_tf.kpi_dimension(pages["kpi"])
        dims["core.kpi"] = (kpi, ("kpi_id",))
        kpi_meta = kpi.select("kpi_id", "prel_publication_date", "publication_date", "publ_period")
    if pages["municipality"].height:
        muni, quarantined["municipality"] = meta_tf.municipality_dimension(
            pages["municipality"], pages["municipality_groups"]
        )
        dims["core.municipality"] = (muni, ("municipality_id",))
        if pages["municipality_groups"].height:
            groups, members, quarantined["municipality_group"] = meta_tf.municipality_groups(
                pages["municipality_groups"], muni
            )
            dims["core.municipality_group"] = (groups, ("group_id",))
            dims["core.municipality_group_member"] = (members, ("group_id", "member_id"))
    if pages["kpi_groups"].height:
        kgroups, kmembers, quarantined["kpi_group"] = meta_tf.kpi_groups(pages["kpi_groups"])
        dims["core.kpi_group"] = (kgroups, ("kpi_group_id",))
        dims["core.kpi_group_member"] = (kmembers, ("kpi_group_id", "kpi_id"))
    if pages["ou"].height:
        ou, quarantined["ou"] = meta_tf.ou_dimension(pages["ou"])
        dims["core.ou"] = (ou, ("ou_id",))

    manifest = pl.concat([page_manifest(frame, fetch_dir) for frame in pages.values()], how="vertical")
    return Transformed(dims, kpi_meta, quarantined, manifest)


@dataclass(frozen=True)
class _Fetch:
    """What a Kolada load adds to its Run: the fetch, its scope, the value scope and the watermark."""

    fetch_dir: Path
    scope: dict[str, Any]
    value_scope: history.ValueScope | None
    watermark: tuple[str, date] | None


def load_fetch(
    paths: Paths,
    fetch_dir: Path,
    *,
    run_id: str,
    flow_name: str,
    scope: dict[str, Any],
    as_of: datetime,
    value_scope: history.ValueScope | None,
    watermark: tuple[str, date] | None,
    lock_held: bool = False,
    tuning: Tuning | None = None,
) -> LoadSummary:
    """Load one fetch into a build copy of the warehouse and publish it atomically.

    `value_scope` set means a full refresh of those KPIs/years (absent values become tombstones);
    None means an incremental load (only what the pages say changes). `watermark` is
    (scope_key, date) to store for the next incremental run.
    """
    started = time.perf_counter()
    run = Run(paths, run_id, flow_name, as_of, tuning or Tuning.from_env())
    fetch = _Fetch(fetch_dir, scope, value_scope, watermark)
    summary = LoadSummary(run_id=run_id, flow=flow_name)
    data = transform_fetch(fetch_dir)
    clock = summary.step("metadata", started)
    # the lock is taken before the check, so the file compared is the one the build would copy
    with locked(run, lock_held=lock_held):
        verdict = _check(run, fetch, data)
        if verdict is not None:
            clock = summary.step("check", clock)
            if verdict.reason is None:
                return _unchanged(summary, verdict, started)
        build = Build(
            scope=json.dumps(scope),
            merge=partial(_merge, run, fetch, data, verdict),
            merged_step="values",
            reference=partial(reference_frames, files=ReferenceFiles.from_env()),
        )
        build_and_publish(run, build, summary, clock)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _check(run: Run, fetch: _Fetch, data: Transformed) -> nochange.Check | None:
    """Whether an incremental load changes the published file (None: not checked, build and publish).

    Full refreshes always build (their tombstones are inferred in the merge). A published file that a
    read-write opener locks, or that has a WAL beside it, is not read: the build publishes past the
    opener, or stops with its own message about the WAL.
    """
    warehouse = run.paths.warehouse
    wal = warehouse.with_name(warehouse.name + ".wal")
    if fetch.value_scope is not None or not warehouse.exists() or wal.exists():
        return None
    try:
        return nochange.check(
            warehouse,
            run_id=run.run_id,
            dimensions=data.dimensions,
            quarantined=sum(frame.height for frame in data.quarantine.values()),
            kpi_meta=data.kpi_meta,
            fetch_dir=fetch.fetch_dir,
            pages_per_batch=run.tuning.value_batch_pages,
            duckdb_config=run.tuning.duckdb_config(),
            watermark=fetch.watermark,
        )
    except WarehouseHeldReadWrite as exc:
        log.warning("not checking for changes, building instead: %s", exc)
        return None


def _unchanged(summary: LoadSummary, verdict: nochange.Check, started: float) -> LoadSummary:
    """The summary of a run that changes nothing: every row in counted unchanged, nothing published."""
    for table, rows in verdict.dimension_rows.items():
        summary.add(table, history.MergeStats(rows_in=rows, unchanged=rows), 0)
    values = verdict.values
    assert values is not None  # the check stages the values before it can find nothing changed
    stats = history.MergeStats(rows_in=values.stage.rows, unchanged=values.stage.rows)
    summary.add(history.VALUES_TABLE, stats, 0, rows_in=values.rows_in)
    summary.marts_unchanged = [m.table for m in marts.MARTS]
    summary.published = False
    summary.note = "nothing changed: not republished (watermark left as published)"
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _merge(
    run: Run,
    fetch: _Fetch,
    data: Transformed,
    verdict: nochange.Check | None,
    con: Connection,
    summary: LoadSummary,
    clock: float,
) -> float:
    """The Kolada merge of the skeleton (inside its transaction): dimensions, values, quarantine, the
    page manifest and the watermark."""
    for table, (frame, keys) in data.dimensions.items():
        # a quarantined (malformed) record was still sent: its current version must not be
        # tombstoned as if the source had deleted it
        stats = history.merge_dimension(
            con,
            table,
            frame,
            key_cols=keys,
            run_id=run.run_id,
            as_of=run.as_of,
            full_snapshot=True,
            keep_keys=_quarantined_keys(data, table),
        )
        summary.add(table, stats, _quarantined(data, table))
    clock = summary.step("dimensions", clock)
    if verdict is not None and verdict.values is not None and verdict.changed_values is not None:
        # staged by the check: merge only the rows it found changed
        values = merge_changed_values(
            con, verdict.values, verdict.changed_values, run_id=run.run_id, as_of=run.as_of
        )
    else:
        values = load_values(
            con,
            fetch.fetch_dir,
            data.kpi_meta,
            pages_per_batch=run.tuning.value_batch_pages,
            run_id=run.run_id,
            as_of=run.as_of,
            value_scope=fetch.value_scope,
        )
    summary.add(history.VALUES_TABLE, values.stats, values.quarantine.height, rows_in=values.rows_in)
    found = [*data.quarantine.values(), values.quarantine]
    quarantine.record(con, pl.concat(found, how="vertical"), run_id=run.run_id)
    runs.record_pages(con, run.run_id, pl.concat([data.manifest, values.manifest], how="vertical"))
    if fetch.watermark is not None:
        runs.set_watermark(con, "kolada", fetch.watermark[0], fetch.watermark[1], run_id=run.run_id)
    return clock


_QUARANTINE_ENTITY = {
    "core.kpi": "kpi",
    "core.municipality": "municipality",
    "core.municipality_group": "municipality_group",
    "core.kpi_group": "kpi_group",
    "core.ou": "ou",
}


def _quarantined_keys(data: Transformed, table: str) -> list[str]:
    entity = _QUARANTINE_ENTITY.get(table)
    if entity not in data.quarantine:
        return []
    keys = data.quarantine[entity]["natural_key"]
    # group quarantine rows are keyed group/member; the group table's key is the group part
    return (
        keys.str.split("/").list.first().unique().to_list()
        if table == "core.municipality_group"
        else keys.to_list()
    )


def _quarantined(data: Transformed, table: str) -> int:
    entity = _QUARANTINE_ENTITY.get(table)
    return data.quarantine[entity].height if entity in data.quarantine else 0
