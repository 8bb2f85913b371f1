"""What one load did: rows in, loaded and quarantined per entity and in total, marts, step times."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from warehouse.history import MergeStats


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
    # rows written (new, revised or deleted versions) per core table: what the mart refresh goes by
    written: dict[str, int] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    marts_unchanged: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    # wall seconds per step: metadata (transform), check (does anything change?), copy (of the
    # published file), dimensions, values (or files), reference, marts, publish
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
        self,
        entity: str,
        stats: MergeStats,
        quarantined: int,
        rows_in: int | None = None,
        *,
        table: str | None = None,
    ) -> None:
        """Fold one entity's merge statistics and quarantine count into the totals.

        `rows_in` is the raw record count the transform saw; it must equal loaded + quarantined.
        `table` is the core table the entity was merged into, when the entity is not named after it.
        """
        if rows_in is not None and rows_in != stats.rows_in + quarantined:
            raise ReconciliationError(
                f"{entity}: {rows_in} rows in but {stats.rows_in} loaded + {quarantined} quarantined"
            )
        self.entities[entity] = {**asdict(stats), "quarantined": quarantined}
        target = table or entity
        self.written[target] = self.written.get(target, 0) + stats.inserted + stats.revised + stats.deleted
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
