"""Suite 6 (paths half): symlinks planted in the data directory and hostile network files.

A symbolic link where the loader writes (lock file, run log, raw store, build files, the warehouse path
itself, an export target) must never be written through; a network file full of injection strings
must fail the load in one line with the warehouse untouched, or be stored as plain data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from fakes.kolada.server import ReplayServer
from flows.cli import main
from settings import runlog
from settings.config import Paths
from warehouse.publish import WarehouseLockError

from .hostile import VICTIM_TEXT, Sandbox, load_seed
from .support import build_files, files_under, query, sha256


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


# ---- symbolic links planted in the data directory ----


def test_lock_file_symlink_is_not_written_through(sandbox: Sandbox, seed_fetch: Path) -> None:
    victim = sandbox.outside / "victim.txt"
    (sandbox.data / "jamfor.duckdb.lock").symlink_to(victim)
    digest = sha256(sandbox.warehouse)
    with pytest.raises(WarehouseLockError, match="symbolic link"):
        load_seed(sandbox, seed_fetch)
    assert victim.read_text() == VICTIM_TEXT and sha256(sandbox.warehouse) == digest


def test_run_log_symlink_is_not_appended_through(sandbox: Sandbox) -> None:
    victim = sandbox.outside / "victim.txt"
    paths = Paths(sandbox.data, sandbox.warehouse)
    paths.run_log.symlink_to(victim)
    with pytest.raises(runlog.RunLogError, match="symbolic link"):
        runlog.append(paths.run_log, {"status": "completed"})
    assert victim.read_text() == VICTIM_TEXT


def test_raw_store_symlink_out_of_the_data_dir_is_refused(
    sandbox: Sandbox, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (sandbox.data / "raw").symlink_to(sandbox.outside, target_is_directory=True)
    before = files_under(sandbox.outside)
    code, err = _run(["fetch", "--kpi", "N31807", "--years", "2020", "--kolada-url", replay.base_url], capsys)
    assert code == 1 and "outside the data directory" in err and len(err.strip().splitlines()) == 1
    assert files_under(sandbox.outside) == before and not any(sandbox.outside.rglob("*.ndjson"))


def test_planted_build_file_symlinks_are_removed_not_followed(sandbox: Sandbox, seed_fetch: Path) -> None:
    victim = sandbox.outside / "victim.txt"
    for name in (
        "jamfor.duckdb.build-hostile",
        "jamfor.duckdb.build-other",
        "jamfor.duckdb.build-hostile.wal",
    ):
        (sandbox.data / name).symlink_to(victim)
    load_seed(sandbox, seed_fetch)
    assert victim.read_text() == VICTIM_TEXT and build_files(sandbox.warehouse) == []


def test_warehouse_path_symlink_is_replaced_not_written_through(sandbox: Sandbox, seed_fetch: Path) -> None:
    target = sandbox.outside / "elsewhere.duckdb"
    shutil.move(sandbox.warehouse, target)
    sandbox.warehouse.symlink_to(target)
    digest = sha256(target)
    load_seed(sandbox, seed_fetch)
    assert sha256(target) == digest, "the publish wrote into the symlink's target"
    assert sandbox.warehouse.is_file() and not sandbox.warehouse.is_symlink()
    assert query(sandbox.warehouse, "SELECT count(*) AS n FROM meta.load_run")["n"][0] == 2


def test_export_target_symlink_is_not_written_through(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    out = sandbox.root / "export"
    out.mkdir()
    victim = sandbox.outside / "victim.txt"
    (out / "kpi_value.parquet").symlink_to(victim)
    code, err = _run(["export", "parquet", str(out), "--warehouse", str(sandbox.warehouse)], capsys)
    assert code == 1 and "outside" in err
    assert victim.read_text() == VICTIM_TEXT


# ---- network files (user-defined comparison networks, read on every load) ----

HOSTILE_TITLE = "Nätverk '; DROP TABLE core.kpi; --"


@pytest.mark.parametrize(
    ("name", "members", "error"),
    [
        ("'; DROP TABLE core.kpi; --", ["0180", "0114"], "letters, digits"),
        ("ok-name", ["0180' OR '1'='1", "0114"], "matches no kommun"),
        ("ok-name", ["Stockholm\u2019; DELETE FROM core.municipality; --", "0114"], "matches no kommun"),
        ("ok-name", ["../../etc/passwd", "0114"], "matches no kommun"),
    ],
)
def test_hostile_network_file_fails_the_load_cleanly(
    name: str,
    members: list[str],
    error: str,
    sandbox: Sandbox,
    seed_fetch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    networks = sandbox.root / "networks.yaml"
    networks.write_text(
        yaml.safe_dump({"networks": [{"name": name, "title": HOSTILE_TITLE, "members": members}]}),
        encoding="utf-8",
    )
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(networks))
    digest = sha256(sandbox.warehouse)
    with pytest.raises(ValueError, match=error) as failure:
        load_seed(sandbox, seed_fetch)
    assert "\n" not in str(failure.value)
    assert sha256(sandbox.warehouse) == digest and build_files(sandbox.warehouse) == []


def test_hostile_network_title_is_stored_as_data(
    sandbox: Sandbox, seed_fetch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    networks = sandbox.root / "networks.yaml"
    members = ["Stockholm", "0114", "Åtvidaberg"]
    networks.write_text(
        yaml.safe_dump({"networks": [{"name": "hostile", "title": HOSTILE_TITLE, "members": members}]}),
        encoding="utf-8",
    )
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(networks))
    load_seed(sandbox, seed_fetch)
    rows = query(sandbox.warehouse, "SELECT network_id, title FROM core.ref_network").rows()
    assert rows == [("hostile", HOSTILE_TITLE)]
    assert query(sandbox.warehouse, "SELECT count(*) AS n FROM core.kpi")["n"][0] > 0
