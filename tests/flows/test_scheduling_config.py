"""Schedules, the lock wait and prefect.yaml: one set of settings, checked, that both routes use."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import yaml

from flows.cli import main
from flows.deployments import WORKER_NAME, Schedules, deploy_settings
from settings.config import DEPLOYMENT_LOCK_WAIT_S, lock_wait_seconds
from sources.fixtures import REPO_ROOT
from warehouse.publish import WarehouseLocked, writer_lock


def test_schedules_default_and_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Schedules.from_env() == Schedules("0 6 15 9 *", "0 6 5 * *", "Europe/Stockholm")
    monkeypatch.setenv("JAMFOR_MONTHLY_CRON", "30 4 6 * *")
    monkeypatch.setenv("JAMFOR_TIMEZONE", "UTC")
    assert Schedules.from_env() == Schedules("0 6 15 9 *", "30 4 6 * *", "UTC")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JAMFOR_YEARLY_CRON", "every september", "JAMFOR_YEARLY_CRON='every september' is not a cron"),
        ("JAMFOR_MONTHLY_CRON", "0 6 32 * *", "JAMFOR_MONTHLY_CRON='0 6 32 * *' is not a cron"),
        ("JAMFOR_TIMEZONE", "Europe/Stokholm", "JAMFOR_TIMEZONE='Europe/Stokholm' is not an IANA timezone"),
        ("JAMFOR_TIMEZONE", "../etc/passwd", "JAMFOR_TIMEZONE='../etc/passwd' is not an IANA timezone"),
    ],
)
def test_bad_schedule_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        Schedules.from_env()


def test_prefect_yaml_takes_every_setting_from_the_build_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("JAMFOR_YEARLY_CRON", "0 5 16 9 *")
    settings = deploy_settings()
    assert settings == {
        "project_dir": str(REPO_ROOT),
        "yearly_cron": "0 5 16 9 *",
        "monthly_cron": Schedules().monthly_cron,
        "timezone": Schedules().timezone,
    }
    config = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (step,) = config["build"]
    assert step == {"flows.deployments.deploy_settings": {"id": "jamfor"}}
    (pull,) = config["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ jamfor.project_dir }}"
    schedules = {d["entrypoint"]: d["schedules"] for d in config["deployments"]}
    assert schedules == {
        "flows/kolada_flows.py:yearly": [
            {"cron": "{{ jamfor.yearly_cron }}", "timezone": "{{ jamfor.timezone }}"}
        ],
        "flows/kolada_flows.py:monthly": [
            {"cron": "{{ jamfor.monthly_cron }}", "timezone": "{{ jamfor.timezone }}"}
        ],
    }
    assert {d["name"] for d in config["deployments"]} == {WORKER_NAME}
    assert "JAMFOR_HOME" not in (REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8")


def test_lock_wait_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lock_wait_seconds(None, in_deployment=False) == 0
    assert lock_wait_seconds(None, in_deployment=True) == DEPLOYMENT_LOCK_WAIT_S == 6 * 3600
    monkeypatch.setenv("JAMFOR_LOCK_WAIT", "90")
    assert lock_wait_seconds(None, in_deployment=False) == 90
    assert lock_wait_seconds(None, in_deployment=True) == 90
    assert lock_wait_seconds(5, in_deployment=True) == 5
    monkeypatch.setenv("JAMFOR_LOCK_WAIT", "soon")
    with pytest.raises(ValueError, match="JAMFOR_LOCK_WAIT='soon' is not a number of seconds"):
        lock_wait_seconds(None, in_deployment=False)
    with pytest.raises(ValueError, match="0 or more seconds"):
        lock_wait_seconds(-1, in_deployment=False)


def _hold(warehouse: Path, release: threading.Event, seconds: float = 60) -> threading.Thread:
    """Another load: holds the writer lock until `release` is set (or `seconds` pass)."""
    held = threading.Event()

    def run() -> None:
        with writer_lock(warehouse, run_id="holder"):
            held.set()
            release.wait(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(10)
    return thread


def test_writer_lock_waits_for_the_holder_then_takes_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "jamfor.duckdb"
    thread = _hold(warehouse, threading.Event(), seconds=1.5)
    started = time.monotonic()
    with writer_lock(warehouse, run_id="waiter", wait_s=30):
        waited = time.monotonic() - started
        assert '"run_id": "waiter"' in warehouse.with_name("jamfor.duckdb.lock").read_text()
    thread.join()
    assert 1.0 <= waited < 5


def test_writer_lock_wait_is_bounded(tmp_path: Path) -> None:
    warehouse = tmp_path / "jamfor.duckdb"
    release = threading.Event()
    thread = _hold(warehouse, release)
    started = time.monotonic()
    with (
        pytest.raises(WarehouseLocked, match=r"run holder, .* after waiting 1 s\. Wait for it"),
        writer_lock(warehouse, run_id="waiter", wait_s=1),
    ):
        pass
    assert 0.9 <= time.monotonic() - started < 2.5
    release.set()
    thread.join()


@pytest.mark.usefixtures("prefect_harness")
def test_cli_load_wait_is_bounded_and_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    release = threading.Event()
    thread = _hold(data / "jamfor.duckdb", release)
    try:
        code = main(["load", "yearly", "--scope", "demo", "--wait", "1", "--data-dir", str(data)])
    finally:
        release.set()
        thread.join()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("jamfor: load failed: WarehouseLocked: warehouse is being loaded by pid")
    assert "after waiting 1 s" in err[-1] and "Traceback" not in "\n".join(err)
