"""Runtime configuration of flows and the CLI, read from JAMFOR_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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


def quiet_prefect_defaults() -> None:
    """Set Prefect defaults that keep a local run quiet, unless the user configured them.

    The temporary server's telemetry write races its own SQLite migrations and prints a
    'database is locked' traceback on a fresh PREFECT_HOME; analytics are off by default here.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
