"""Shared setup of the hostile-input suites: a sandbox tree with a published warehouse in it.

The sandbox holds a working directory three levels deep (so "../.." stays inside), a data directory
with a copy of a small real warehouse, and an `outside` directory with a victim file that no command
may ever touch. Fixtures live in tests/reliability/conftest.py.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import sources.http
from fakes.kolada.server import ReplayServer
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from .support import REPO_ROOT, FrozenDatetime, fetch, load

KPIS = ["N31807", "U21468"]
YEARS = [2019, 2020]
ENTITIES = ["kpi", "municipality", "municipality_groups", "kpi_groups"]
VICTIM_TEXT = "precious\n"
INJECTIONS = [
    "'; DROP TABLE core.kpi; --",
    "0561' OR '1'='1",
    "0561\u2019 OR \u20181\u2019=\u20181",  # typographic quotes
    'Åtvidaberg"; DELETE FROM core.municipality; --',
    "N31807,N31814'); DROP TABLE mart.kpi_value; --",
    "../../etc/passwd",
    "%27%3B%20DROP%20TABLE%20core.kpi",
    "$(touch pwned) `touch pwned`",
]
INJECTED_NAMES = ("DROP", "pwned", "passwd", "DELETE", "%27")


@dataclass(frozen=True)
class Sandbox:
    """A temp tree: cwd (three levels deep, so ../.. stays inside), data dir, warehouse, outside."""

    root: Path
    cwd: Path
    data: Path
    warehouse: Path
    outside: Path


def publish_seed(replay: ReplayServer, root: Path) -> Path:
    """Fetch and load a small real scope; return the published warehouse (raw pages under root/raw)."""
    replay.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources.http, "datetime", FrozenDatetime)
        settings = KoladaSettings(base_url=replay.base_url, rate=5000.0)
        fetched = fetch(settings, root, "seed", kpis=KPIS, years=YEARS, entities=ENTITIES)
    load(
        Paths(root, root / "jamfor.duckdb"), fetched.fetch_dir, run_id="seed", step=0, kpis=KPIS, years=YEARS
    )
    return root / "jamfor.duckdb"


def make_sandbox(published: Path, tmp_path: Path) -> Sandbox:
    """The sandbox tree under tmp_path, with a copy of the published warehouse."""
    cwd = tmp_path / "cwd" / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(published, data / "jamfor.duckdb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text(VICTIM_TEXT)
    return Sandbox(tmp_path, cwd, data, data / "jamfor.duckdb", outside)


def assert_repo_untouched() -> None:
    """Nothing named after an injection string may appear next to the code either."""
    assert not [p for p in REPO_ROOT.iterdir() if any(n in p.name for n in INJECTED_NAMES)]


def load_seed(box: Sandbox, fetch_dir: Path, run_id: str = "hostile") -> None:
    """Load the seed's raw pages again into the sandbox warehouse (a full publish)."""
    load(Paths(box.data, box.warehouse), fetch_dir, run_id=run_id, step=5, kpis=KPIS, years=YEARS)
