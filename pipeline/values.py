"""The /data pages of one fetch into core.kpi_value_history, batch by batch.

Each batch of pages is flattened and validated in Polars (transforms.kolada.values), then staged in
DuckDB (warehouse.staging); keys repeated across batches are resolved there, and one merge writes the
history. Memory on the Python side is bounded by one batch, whatever the size of the fetch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from schemas.validate import DUPLICATE_KEY, EXACT_DUPLICATE
from sources.kolada.rawstore import iter_pages
from sources.rawstore import PAGES_SCHEMA
from transforms.kolada.pages import SOURCE
from transforms.kolada.values import flatten_values, quarantined_items
from warehouse.history import MergeStats, ValueScope
from warehouse.quarantine import QUARANTINE_FRAME_SCHEMA
from warehouse.staging import Reasons, ValueStage, merge_changed

if TYPE_CHECKING:  # a DuckDB connection only ever passes through pipeline/
    from warehouse.load import Connection


@dataclass(frozen=True)
class ValuesLoaded:
    """What the values load did: merge statistics, quarantined rows, value entries read, page manifest."""

    stats: MergeStats
    quarantine: pl.DataFrame
    rows_in: int
    manifest: pl.DataFrame
    batches: int


def page_manifest(pages: pl.DataFrame, fetch_dir: Path) -> pl.DataFrame:
    """One meta.page row per page: url, fetched_at, status, sha256, n_bytes, endpoint, raw_path."""
    return pages.select(
        "url",
        "fetched_at",
        "status",
        "sha256",
        pl.col("body").str.len_bytes().cast(pl.Int64).alias("n_bytes"),
        "endpoint",
        (pl.lit(str(fetch_dir) + "/") + pl.col("endpoint") + pl.lit(".ndjson")).alias("raw_path"),
    )


@dataclass
class StagedValues:
    """A fetch's /data pages flattened, validated and staged (repeats resolved), not merged yet."""

    stage: ValueStage
    quarantine: pl.DataFrame
    rows_in: int
    manifest: pl.DataFrame


def stage_values(
    con: Connection, fetch_dir: Path, kpi_meta: pl.DataFrame | None, *, pages_per_batch: int
) -> StagedValues:
    """Flatten, validate and stage the fetch's /data pages in batches in `con`'s temp table; quarantine
    keys repeated across batches. Writes nothing but the session's temp table (works read-only)."""
    stage = ValueStage(con)
    quarantines = [pl.DataFrame(schema=QUARANTINE_FRAME_SCHEMA)]
    manifests = []
    rows_in = 0
    for pages in iter_pages(fetch_dir, "data", pages_per_batch):
        batch = flatten_values(pages, kpi_meta)
        stage.append(batch.valid)
        rows_in += batch.rows_in
        quarantines.append(batch.quarantine)
        manifests.append(page_manifest(pages, fetch_dir))
    found = pl.concat(quarantines, how="vertical")
    conflicted = found.filter(pl.col("failed_check").str.contains(DUPLICATE_KEY, literal=True))
    repeats = stage.resolve_repeats(
        conflicted["natural_key"].unique().to_list(),
        source=SOURCE,
        entity="value",
        reasons=Reasons(exact_duplicate=EXACT_DUPLICATE, duplicate_key=DUPLICATE_KEY),
    )
    quarantine = pl.concat([found, repeats], how="vertical")
    manifest = pl.concat(manifests or [page_manifest(PAGES_SCHEMA.to_frame(), fetch_dir)], how="vertical")
    return StagedValues(stage, quarantine, rows_in, manifest)


def load_values(
    con: Connection,
    fetch_dir: Path,
    kpi_meta: pl.DataFrame | None,
    *,
    pages_per_batch: int,
    run_id: str,
    as_of: datetime,
    value_scope: ValueScope | None,
) -> ValuesLoaded:
    """Flatten, validate and stage the fetch's /data pages in batches, then merge them once.

    `value_scope` set means a full refresh (see history.merge_values); items quarantined in any batch
    are kept out of its tombstones.
    """
    staged = stage_values(con, fetch_dir, kpi_meta, pages_per_batch=pages_per_batch)
    if value_scope is not None:
        value_scope = replace(value_scope, keep_items=quarantined_items(staged.quarantine))
    stats = staged.stage.merge(run_id=run_id, as_of=as_of, scope=value_scope)
    return ValuesLoaded(stats, staged.quarantine, staged.rows_in, staged.manifest, staged.stage.batches)


def merge_changed_values(
    con: Connection,
    staged: StagedValues,
    changed: pl.DataFrame,
    *,
    run_id: str,
    as_of: datetime,
) -> ValuesLoaded:
    """An incremental merge of `changed`, the rows of `staged` (staged in another connection, e.g. on
    the read-only published file) that differ from their current versions: what `load_values` with no
    value scope would write, without transforming the pages twice."""
    stats = merge_changed(con, changed, rows_in=staged.stage.rows, run_id=run_id, as_of=as_of)
    return ValuesLoaded(stats, staged.quarantine, staged.rows_in, staged.manifest, staged.stage.batches)
