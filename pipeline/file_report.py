"""The report of a `load files` batch (one outcome per file) and the logical key of a delivered file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.summary import LoadSummary
from transforms.files.result import FileFrames
from warehouse.quarantine import file_rows_sql

# quarantine reasons printed per file; the rest are named by a query (and all are in meta.quarantine)
REASONS_SHOWN = 5


@dataclass
class FileOutcome:
    """What happened to one file: loaded, skipped (already loaded) or failed, with its counts, and the
    lines the report shows below it: the file's notes, its warnings (rows kept once, lost or never
    compared; each names the file) and the first REASONS_SHOWN of its quarantine reasons."""

    path: str
    status: str
    kind: str | None = None
    target: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def loaded(cls, path: str, kind: str, frames: FileFrames, message: str = "") -> FileOutcome:
        """The outcome of a merged file, from its transform's frames (quarantine rows are in row order)."""
        return cls(
            path,
            "loaded",
            kind=kind,
            target=frames.target,
            rows_in=frames.rows_in,
            rows_loaded=frames.valid.height,
            rows_quarantined=frames.quarantine.height,
            message=message,
            warnings=frames.warnings,
            notes=frames.notes,
            reasons=frames.quarantine["failed_check"].head(REASONS_SHOWN).to_list(),
        )

    def details(self, run_id: str | None) -> list[str]:
        """The lines below the file's line: notes (named by the file, in the transform's order), warnings,
        the quarantine reasons shown, and a query for the rest when there are more."""
        name = Path(self.path).name
        lines = [f"{name}: {note}" for note in self.notes] + self.warnings + self.reasons
        more = self.rows_quarantined - len(self.reasons)
        if more > 0 and run_id is not None:
            # the query lists every reason of the file, so it still reads right after the ones shown
            query = file_rows_sql(run_id, name)
            lines.append(f"… and {more} more; all {self.rows_quarantined} with: {query}")
        return lines


@dataclass
class FilesReport:
    """The batch: one outcome per file, the run id (None when nothing was written) and totals."""

    run_id: str | None
    files: list[FileOutcome] = field(default_factory=list)
    summary: LoadSummary | None = None

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    def warnings(self) -> list[str]:
        """Every file's warning lines, in file order (for the run log)."""
        return [line for f in self.files for line in f.warnings]

    def reasons(self) -> list[str]:
        """Every file's quarantine reasons shown in the report (at most REASONS_SHOWN a file; for the
        run log)."""
        return [line for f in self.files for line in f.reasons]

    def format(self) -> str:
        """A plain-text table, one line per file (its details indented below it, see
        FileOutcome.details), and a closing line with the totals."""
        lines = [f"{'status':<8} {'kind':<14} {'rows':>7} {'loaded':>7} {'quarant.':>8}  file"]
        for f in self.files:
            lines.append(
                f"{f.status:<8} {f.kind or '?':<14} {f.rows_in:>7} {f.rows_loaded:>7} "
                f"{f.rows_quarantined:>8}  {f.path}{' - ' + f.message if f.message else ''}"
            )
            lines.extend(f"  {line}" for line in f.details(self.run_id))
        run = f"run {self.run_id}" if self.run_id else "nothing written"
        lines.append(
            f"{self.count('loaded')} loaded, {self.count('skipped')} skipped as already loaded, "
            f"{self.count('failed')} failed ({run})"
        )
        return "\n".join(lines)


def logical_key(kind: str, frames: FileFrames) -> tuple[str, dict[str, Any]]:
    """(hash identifying the logical file, readable coverage) from what the file's valid rows cover."""
    periods, units = frames.periods, frames.municipalities
    identity = {
        "kind": kind,
        "target": frames.target,
        "ids": frames.identities,
        "periods": periods,
        "units": units,
    }
    digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8")).hexdigest()
    coverage = {
        "ids": frames.identities,
        "first_period": periods[0] if periods else None,
        "last_period": periods[-1] if periods else None,
        "n_periods": len(periods),
        "n_regions": len(units),
    }
    return digest, coverage
