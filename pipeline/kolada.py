"""Turn one fetch (raw pages) into a published warehouse: validate, transform, merge, rebuild marts."""

from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipeline import nochange
from pipeline.reference import apply_reference
from pipeline.values import load_values, merge_changed_values, page_manifest
from settings.config import Paths, Tuning
from sources.kolada.rawstore import read_pages
from transforms.kolada import metadata as meta_tf
from warehouse import checks, history, marts, quarantine, runs
from warehouse.publish import WarehouseHeldReadWrite, building, writer_lock
from warehouse.reference import reference_tables

log = logging.getLogger("jamfor.load")
METADATA_ENDPOINTS = ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou")


class ReconciliationError(RuntimeError):
    """Rows in did not equal rows loaded plus rows quarantined: something was lost or invented."""


@dataclass
class LoadSummary:
    """What one load did, per entity and in total (rows in = loaded + quarantined)."""

    run_id: str
    flow: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    inserted: int = 0
    revised: int = 0
    deleted: int = 0
    unchanged: int = 0
    entities: dict[str, dict[str, int]] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    marts_unchanged: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    # wall seconds per step: metadata (transform), check (does anything change?), copy (of the
    # published file), dimensions, values, reference, marts, publish
    steps_s: dict[str, float] = field(default_factory=dict)
    # False: nothing changed, so no build copy was made and nothing was published (`note` says why)
    published: bool = True
    note: str = ""

    def step(self, name: str, since: float) -> float:
        """Record the seconds of step `name` begun at perf_counter() `since`; return the clock now."""
        now = time.perf_counter()
        self.steps_s[name] = now - since
        return now

    def add(
        self, entity: str, stats: history.MergeStats, quarantined: int, rows_in: int | None = None
    ) -> None:
        """Fold one entity's merge statistics and quarantine count into the totals.

        `rows_in` is the raw record count the transform saw; it must equal loaded + quarantined.
        """
        if rows_in is not None and rows_in != stats.rows_in + quarantined:
            raise ReconciliationError(
                f"{entity}: {rows_in} rows in but {stats.rows_in} loaded + {quarantined} quarantined"
            )
        self.entities[entity] = {**asdict(stats), "quarantined": quarantined}
        self.rows_in += stats.rows_in + quarantined
        self.rows_loaded += stats.rows_in
        self.rows_quarantined += quarantined
        self.inserted += stats.inserted
        self.revised += stats.revised
        self.deleted += stats.deleted
        self.unchanged += stats.unchanged

    def counts(self) -> dict[str, int]:
        """The totals as stored in meta.load_run."""
        return {
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_inserted": self.inserted,
            "rows_revised": self.revised,
            "rows_deleted": self.deleted,
            "rows_unchanged": self.unchanged,
        }


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
class _Run:
    """One load's inputs as load_fetch received them, handed on to the check and the build."""

    paths: Paths
    fetch_dir: Path
    run_id: str
    flow_name: str
    scope: dict[str, Any]
    as_of: datetime
    value_scope: history.ValueScope | None
    watermark: tuple[str, date] | None
    tuning: Tuning


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
    run = _Run(
        paths, fetch_dir, run_id, flow_name, scope, as_of, value_scope, watermark, tuning or Tuning.from_env()
    )
    summary = LoadSummary(run_id=run_id, flow=flow_name)
    data = transform_fetch(fetch_dir)
    clock = summary.step("metadata", started)
    # the lock is taken before the check, so the file compared is the one the build would copy
    with nullcontext() if lock_held else writer_lock(paths.warehouse, run_id=run_id):
        verdict = _check(run, data)
        if verdict is not None:
            clock = summary.step("check", clock)
            if verdict.reason is None:
                return _unchanged(summary, verdict, started)
        _build(run, data, summary, clock, verdict)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _check(run: _Run, data: Transformed) -> nochange.Check | None:
    """Whether an incremental load changes the published file (None: not checked, build and publish).

    Full refreshes always build (their tombstones are inferred in the merge). A published file that a
    read-write opener locks, or that has a WAL beside it, is not read: the build publishes past the
    opener, or stops with its own message about the WAL.
    """
    warehouse = run.paths.warehouse
    wal = warehouse.with_name(warehouse.name + ".wal")
    if run.value_scope is not None or not warehouse.exists() or wal.exists():
        return None
    try:
        return nochange.check(
            warehouse,
            run_id=run.run_id,
            dimensions=data.dimensions,
            quarantined=sum(frame.height for frame in data.quarantine.values()),
            kpi_meta=data.kpi_meta,
            fetch_dir=run.fetch_dir,
            pages_per_batch=run.tuning.value_batch_pages,
            duckdb_config=run.tuning.duckdb_config(),
            watermark=run.watermark,
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


def _build(
    run: _Run, data: Transformed, summary: LoadSummary, clock: float, verdict: nochange.Check | None
) -> None:
    """Merge the fetch into a build copy, rebuild the marts, record the run and publish (lock held)."""
    with building(
        run.paths.warehouse, run_id=run.run_id, lock_held=True, config=run.tuning.duckdb_config()
    ) as con:
        clock = summary.step("copy", clock)
        runs.start_run(
            con, run_id=run.run_id, flow=run.flow_name, scope=json.dumps(run.scope), started_at=run.as_of
        )
        with history.transaction(con):
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
                    run.fetch_dir,
                    data.kpi_meta,
                    pages_per_batch=run.tuning.value_batch_pages,
                    run_id=run.run_id,
                    as_of=run.as_of,
                    value_scope=run.value_scope,
                )
            summary.add(
                "core.kpi_value_history", values.stats, values.quarantine.height, rows_in=values.rows_in
            )
            found = [*data.quarantine.values(), values.quarantine]
            quarantine.record(con, pl.concat(found, how="vertical"), run_id=run.run_id)
            runs.record_pages(con, run.run_id, pl.concat([data.manifest, values.manifest], how="vertical"))
            if run.watermark is not None:
                runs.set_watermark(con, "kolada", run.watermark[0], run.watermark[1], run_id=run.run_id)
        clock = summary.step("values", clock)
        # networks, directions and peer-area rules are re-read and validated on every publish
        before = checks.fingerprint(con, reference_tables())
        apply_reference(con)
        reference_changed = checks.fingerprint(con, reference_tables()) != before
        clock = summary.step("reference", clock)
        _rebuild_marts(con, summary, run.run_id, reference_changed, run.tuning.mart_chunk_values)
        clock = summary.step("marts", clock)
        runs.finish_run(con, run.run_id, summary.counts(), status="completed", message="")
    summary.step("publish", clock)  # checkpoint, fsync, rename


def _rebuild_marts(
    con: duckdb.DuckDBPyConnection, summary: LoadSummary, run_id: str, reference_changed: bool, chunk: int
) -> None:
    """Marts are a pure function of core + reference tables: rebuild what this load made stale.

    Nothing changed: only missing marts are built. Only values changed: the KPI-wise marts replace the
    rows of the KPIs this run wrote (a monthly run touches a few), the rest are rebuilt. Otherwise
    (dimensions or reference tables changed) everything is rebuilt.
    """
    written = {
        entity: stats["inserted"] + stats["revised"] + stats["deleted"]
        for entity, stats in summary.entities.items()
    }
    values_only = not reference_changed and not any(
        n for entity, n in written.items() if entity != history.VALUES_TABLE
    )
    if not any(written.values()) and not reference_changed:
        summary.marts = marts.rebuild(con, marts.missing(con))
        summary.marts_unchanged = [m.table for m in marts.MARTS if m.table not in summary.marts]
    elif values_only:
        summary.marts = marts.rebuild(con, kpis=history.kpis_written(con, run_id), chunk_values=chunk)
    else:
        summary.marts = marts.rebuild(con, chunk_values=chunk)


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
