"""The real `duckdb` CLI from PyPI (1.x) reads the published warehouse while a load runs.

DuckDB 1.x cannot open DuckDB 2.0's own storage format, so this is the test that the published file
is in warehouse.storage.STORAGE_VERSION for a reader that users actually run, during a load (the
load fetches from the replay and publishes in a thread; every read is a fresh `duckdb -readonly`).
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from fakes.kolada.server import ReplayServer
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from ..duckdb_cli import cli_version, duckdb_cli
from .support import fetch, load

YEARS = list(range(2010, 2023))
ENTITIES = ("kpi", "municipality", "municipality_groups", "kpi_groups")
# one statement: the load ledger and mart row counts, and a column comment (comments must survive)
QUERY = (
    "SELECT (SELECT count(*) FROM meta.load_run) AS runs, (SELECT count(*) FROM mart.kpi_value) AS n, "
    "(SELECT comment FROM duckdb_columns() WHERE schema_name = 'mart' AND table_name = 'kpi_value' "
    "AND column_name = 'value') AS comment"
)
MIN_READS_DURING_LOAD = 5


def _read(cli: Path, warehouse: Path) -> tuple[int, int, str]:
    done = subprocess.run(
        [cli, "-readonly", "-csv", "-noheader", str(warehouse), QUERY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", f"duckdb CLI failed: {done.stderr.strip()}"
    runs, n, comment = done.stdout.strip().split(",", 2)
    return int(runs), int(n), comment.strip('"')


def test_duckdb_cli_1x_reads_the_warehouse_during_a_load(replay: ReplayServer, tmp_path: Path) -> None:
    cli = duckdb_cli()
    assert cli_version(cli) < (2, 0, 0), "the point is a reader older than the DuckDB that writes"
    settings = KoladaSettings(base_url=replay.base_url, rate=5000.0)
    paths = Paths(tmp_path, tmp_path / "jamfor.duckdb")
    first = fetch(settings, tmp_path, "base", years=YEARS, entities=ENTITIES)
    load(paths, first.fetch_dir, run_id="load-0", step=0, years=YEARS)
    assert _read(cli, paths.warehouse)[0] == 1

    failure: list[BaseException] = []

    def second_load() -> None:
        try:
            replay.set_dataset("revised")
            again = fetch(settings, tmp_path, "revised", years=YEARS, entities=ENTITIES)
            load(paths, again.fetch_dir, run_id="load-1", step=1, years=YEARS)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread below
            failure.append(exc)

    loader = threading.Thread(target=second_load)
    reads: list[tuple[int, int, str]] = []
    started = time.monotonic()
    loader.start()
    while loader.is_alive():
        reads.append(_read(cli, paths.warehouse))
    loader.join()
    elapsed = time.monotonic() - started
    assert not failure, failure
    after = _read(cli, paths.warehouse)

    print(
        f"\nFIGURES duckdb-cli {'.'.join(map(str, cli_version(cli)))}: {len(reads)} reads in "
        f"{elapsed:.1f} s of load, 0 errors; query: {QUERY}"
    )
    assert len(reads) >= MIN_READS_DURING_LOAD
    assert {runs for runs, _, _ in reads} <= {1, 2}  # only complete publishes
    assert all(n > 0 and comment for _, n, comment in reads)
    assert after[0] == 2 and after[2] == reads[0][2]
