"""Conventions users expect of a CLI: --version, `python -m jamfor`, machine-readable status."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from flows.cli import main
from settings import runlog
from settings.config import Paths
from warehouse import marts, runs
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import building

from ..warehouse.conftest import load_values

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"jamfor {version('jamfor')}"


def test_python_dash_m_jamfor_runs_the_cli_from_anywhere(tmp_path: Path) -> None:
    # cwd outside the repository: the module comes from the installed package, not the source tree
    done = subprocess.run(
        [sys.executable, "-m", "jamfor", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"jamfor {version('jamfor')}"
    usage = subprocess.run(
        [sys.executable, "-m", "jamfor", "nonsense"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    """A published warehouse with one completed run and a watermark, and a run log of two runs."""
    where = Paths(tmp_path, tmp_path / "jamfor.duckdb")
    with building(where.warehouse, run_id="run-1") as con, transaction(con):
        runs.start_run(con, "run-1", flow="kolada-yearly", scope={"name": "demo"}, started_at=T0)
        merge_values(con, load_values(["n31807"]), run_id="run-1", as_of=T0, scope=None)
        marts.rebuild(con)
        runs.finish_run(con, "run-1", {"rows_in": 5, "rows_loaded": 5}, "completed", finished_at=T0)
        runs.set_watermark(con, "kolada", "demo", date(2026, 1, 1), run_id="run-1", updated_at=T0)
    runlog.append(where.run_log, {"run_id": "run-0", "flow": "kolada-monthly", "status": "failed"})
    runlog.append(where.run_log, {"run_id": "run-1", "flow": "kolada-yearly", "status": "completed"})
    return where


def _status(paths: Paths, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["status", "--format", fmt, "--data-dir", str(paths.data_dir)]) == 0
    return capsys.readouterr().out


def test_status_json_holds_the_facts_of_the_table(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    table = _status(paths, "table", capsys)
    facts = json.loads(_status(paths, "json", capsys))

    published = facts["warehouse"]
    assert facts["warehouse_path"] == str(paths.warehouse)
    assert [r["run_id"] for r in published["last_runs"]] == ["run-1"]
    assert published["last_runs"][0]["status"] == "completed"
    assert published["watermarks"][0]["watermark"] == "2026-01-01"
    assert published["row_counts"]["mart.kpi_value"] > 0
    assert [r["status"] for r in facts["run_log"]] == ["failed", "completed"]
    # every number and name the table shows is in the JSON
    for name, n in published["row_counts"].items():
        assert f"{name}" in table and f"{n:,}" in table
    assert "kolada/demo: 2026-01-01" in table and "kolada-monthly" in table


def test_status_json_before_the_first_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--format", "json", "--data-dir", str(tmp_path)]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts == {"warehouse_path": str(tmp_path / "jamfor.duckdb"), "warehouse": None, "run_log": []}
