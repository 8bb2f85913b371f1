"""Runtime settings of the loads and the CLI, read from JAMFOR_* environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# the CLI's exit codes: a usage error (bad argument, unknown id) and a failed command
EXIT_USAGE = 2
EXIT_FAILED = 1


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


@dataclass(frozen=True)
class Paths:
    """Where a run keeps its raw pages, its warehouse and its run log."""

    data_dir: Path
    warehouse: Path

    @property
    def run_log(self) -> Path:
        """NDJSON log of every run, failed ones included (a failed run never reaches the warehouse)."""
        return self.data_dir / "runs.ndjson"

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, warehouse: str | Path | None = None) -> Paths:
        """Resolve paths: explicit argument, else JAMFOR_DATA_DIR / JAMFOR_WAREHOUSE, else ./data."""
        base = Path(data_dir) if data_dir else _env_path("JAMFOR_DATA_DIR", Path("data"))
        wh = Path(warehouse) if warehouse else _env_path("JAMFOR_WAREHOUSE", base / "jamfor.duckdb")
        return cls(data_dir=base, warehouse=wh)


# a value more than this many years older than its KPI's newest year is flagged (JAMFOR_OUTDATED_YEARS)
OUTDATED_YEARS = 2


def outdated_years() -> int:
    """JAMFOR_OUTDATED_YEARS: compare and report flag a value more than this many years older than its
    KPI's newest year (default OUTDATED_YEARS, 2)."""
    years = _env_int("JAMFOR_OUTDATED_YEARS", OUTDATED_YEARS, minimum=0)
    assert years is not None  # the default is a number
    return years


# charts render one at a time per process: more processes than this gain little on a report's ~120
REPORT_PROCESSES_MAX = 4


def report_processes() -> int:
    """JAMFOR_REPORT_PROCESSES: processes rendering a report's charts, this one included (1: no worker
    processes); default one per CPU, at most REPORT_PROCESSES_MAX."""
    processes = _env_int("JAMFOR_REPORT_PROCESSES", min(REPORT_PROCESSES_MAX, os.cpu_count() or 1))
    assert processes is not None  # the default is a number
    return processes


# a scheduled run may find the other deployment's run loading; a full-scope yearly load takes hours
DEPLOYMENT_LOCK_WAIT_S = 6 * 3600


def lock_wait_seconds(explicit: float | None, *, in_deployment: bool) -> float:
    """How long a load waits for another load's writer lock before it fails with WarehouseLocked.

    The flow parameter or `jamfor load --wait`, else JAMFOR_LOCK_WAIT, else 6 hours in a deployment
    run (the yearly and monthly runs queue behind each other) and 0 from the CLI (it fails at once).
    """
    if explicit is not None:
        seconds = float(explicit)
    elif os.environ.get("JAMFOR_LOCK_WAIT"):
        value = os.environ["JAMFOR_LOCK_WAIT"]
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"JAMFOR_LOCK_WAIT={value!r} is not a number of seconds") from None
    else:
        seconds = DEPLOYMENT_LOCK_WAIT_S if in_deployment else 0.0
    if seconds < 0:
        raise ValueError(f"the lock wait must be 0 or more seconds, got {seconds:g}")
    return seconds


@dataclass(frozen=True)
class Tuning:
    """How much one load may hold at once: DuckDB's memory limit and threads, value pages per batch.

    Defaults suit an ordinary 8 GB machine and keep a 10 M value load under 3 GB of RSS (bench/README.md):
    DuckDB spills joins and sorts to disk beyond its limit and builds the KPI-wise marts a chunk of KPIs
    (≈ 0.5 M values) at a time, and the Python side holds one batch of pages (40 pages ≈ 200,000 items
    ≈ 0.5 GB while transformed).
    """

    duckdb_memory_limit: str = "1536MB"
    duckdb_threads: int | None = None
    value_batch_pages: int = 40
    mart_chunk_values: int = 500_000

    @classmethod
    def from_env(cls) -> Tuning:
        """JAMFOR_DUCKDB_MEMORY_LIMIT (e.g. 4GB), JAMFOR_DUCKDB_THREADS, JAMFOR_VALUE_BATCH_PAGES,
        JAMFOR_MART_CHUNK_VALUES."""
        default = cls()
        memory = os.environ.get("JAMFOR_DUCKDB_MEMORY_LIMIT") or default.duckdb_memory_limit
        if not _MEMORY.fullmatch(memory.strip()):
            raise ValueError(f"JAMFOR_DUCKDB_MEMORY_LIMIT={memory!r} is not a size such as 2GB or 512MB")
        return cls(
            duckdb_memory_limit=memory.strip(),
            duckdb_threads=_env_int("JAMFOR_DUCKDB_THREADS", default.duckdb_threads),
            value_batch_pages=_env_int("JAMFOR_VALUE_BATCH_PAGES", None) or default.value_batch_pages,
            mart_chunk_values=_env_int("JAMFOR_MART_CHUNK_VALUES", None) or default.mart_chunk_values,
        )

    def duckdb_config(self) -> dict[str, str]:
        """The settings for duckdb.connect(config=...) of the build copy."""
        config = {"memory_limit": self.duckdb_memory_limit}
        if self.duckdb_threads is not None:
            config["threads"] = str(self.duckdb_threads)
        return config


_MEMORY = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)


def _env_int(name: str, default: int | None, *, minimum: int = 1) -> int | None:
    """A whole-number JAMFOR_* setting of at least `minimum`; unset or empty gives `default`."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ValueError(f"{name}={value!r} must be {minimum} or more")
    return number
