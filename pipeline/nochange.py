"""Decide, before any build copy exists, whether an incremental load would change the published warehouse.

A monthly run whose fetch says nothing new should not copy, checkpoint, fsync and rename a file of
gigabytes to publish the same data. `check` reads the published file read-only (the caller holds the
writer lock, so no load can replace it meanwhile) and compares the fetch with what is current there,
with the merges' own predicates (warehouse.history, run by warehouse.nochange): the dimension
snapshots (changed, new and vanished rows), the values (new keys and changed rows; an incremental load
infers no deletions), the reference tables the files would produce, the marts, the schema and the
storage version. The values it staged
for the comparison are handed to the build when something did change, so the pages are not read twice.

Rules (docs: bench/README.md, "No-change monthly"):
- Any quarantined row is a change: meta.quarantine records each run's rejections, so such a run
  publishes (the skip is for the clean, quiet month).
- The watermark is not a reason to publish: a skipped run leaves the published watermark where it was,
  so the next run asks Kolada for changes since an earlier date, a superset of what it would ask
  otherwise (the merges are idempotent). A skipped run can therefore never make a later run miss data.
  A scope that has no watermark yet is a change (its first watermark must be stored).
- Missing marts, a schema or storage version behind this code's, or a missing spec table, column or
  view: a change (the build would add or migrate them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.reference import ReferenceFiles, reference_frames
from pipeline.values import StagedValues, stage_values
from warehouse import nochange as wh_check
from warehouse.reference import differing, read_inputs


@dataclass
class Check:
    """The verdict: `reason` None means nothing changes. `values` are the staged values (when the check
    got as far as staging them) and `changed_values` their rows that differ from the published ones."""

    reason: str | None
    dimension_rows: dict[str, int]
    values: StagedValues | None = None
    changed_values: pl.DataFrame | None = None


def check(
    warehouse: Path,
    *,
    run_id: str,
    dimensions: dict[str, tuple[pl.DataFrame, tuple[str, ...]]],
    quarantined: int,
    kpi_meta: pl.DataFrame | None,
    fetch_dir: Path,
    pages_per_batch: int,
    duckdb_config: dict[str, str],
    watermark: tuple[str, date] | None,
) -> Check:
    """Compare an incremental fetch with the published `warehouse`; the caller holds its writer lock."""
    dimension_rows = {table: frame.height for table, (frame, _) in dimensions.items()}
    if quarantined:
        return Check(f"{quarantined} metadata rows quarantined", dimension_rows)
    with wh_check.published_session(warehouse, run_id=run_id, config=duckdb_config) as con:
        reason = wh_check.state_change(con, watermark) or wh_check.dimension_change(con, dimensions)
        if reason is None:
            changed_refs = differing(con, reference_frames(read_inputs(con), ReferenceFiles.from_env()))
            reason = f"reference tables changed: {', '.join(changed_refs)}" if changed_refs else None
        if reason is not None:
            return Check(reason, dimension_rows)
        values = stage_values(con, fetch_dir, kpi_meta, pages_per_batch=pages_per_batch)
        changed = wh_check.changed_staged_values(con)
    if values.quarantine.height:
        reason = f"{values.quarantine.height} values quarantined"
    elif changed.height:
        reason = f"{changed.height} values new or changed"
    return Check(reason, dimension_rows, values, changed)
