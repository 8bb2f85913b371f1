"""Suite 3: kill -9 of the load process at seeded moments in every phase never damages the warehouse.

Start: a published warehouse of a first load (base dataset). The killed load fetches the revised
dataset (values changed and deleted), so the states before and after it differ. A calibration run of
the same load, not killed, gives the after state and how long each phase lasts. Each kill then aims
at a phase (round robin) and lands a seeded random delay into it. After every kill the published file
must open, pass the integrity queries and hash equal to the before or the after state; the rerun must
get the writer lock at once (flock dies with its process), clean the stale build files and complete.

Speed: each lane's load processes are forked from a zygote that imported the load path once
(tests/reliability/kill_child.py), and two independent lanes of kills run side by side.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import sources.http
from fakes.kolada.server import ReplayServer
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from .support import FrozenDatetime, build_files, fetch, hashes, integrity, load, query
from .zygote import Zygote

KPIS = ["N31807", "U21468", "N21701", "U30452"]
YEARS = list(range(2008, 2023))
ENTITIES = ["kpi", "municipality"]
# Phases a kill aims at; "rename" covers the os.replace itself and the directory fsync after it.
TARGETS = ("fetch", "transform", "copy", "merge", "marts", "checkpoint", "fsync", "rename")
MARKERS = (*TARGETS, "published", "done")
LANES = 2
CI_KILLS = 22
SOAK_KILLS = 120


@dataclass(frozen=True)
class Outcome:
    """What one kill hit and what it left behind."""

    target: str
    delay: float
    last_phase: str
    killed: bool
    state: str
    stale_build_files: int
    stale_lock: bool


def _args(replay: ReplayServer, data_dir: Path) -> dict:
    return {
        "base_url": replay.base_url,
        "data_dir": str(data_dir),
        "run_id": "killed",
        "step": 1,
        "kpis": KPIS,
        "years": YEARS,
        "entities": ENTITIES,
    }


@dataclass(frozen=True)
class Scenario:
    """The warehouse before the killed load, the state after it, and the phase durations."""

    before_file: Path
    before: dict[str, str]
    after: dict[str, str]
    durations: dict[str, float]
    rerun_fetch: Path


@pytest.fixture(scope="module")
def scenario(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    replay = _replay_server
    replay.reset()
    seed = tmp_path_factory.mktemp("seed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources.http, "datetime", FrozenDatetime)
        settings = KoladaSettings(base_url=replay.base_url, rate=5000.0)
        first = fetch(
            settings, seed, "first", kpis=KPIS, years=YEARS, entities=ENTITIES, only_scope_kpis=True
        )
        paths = Paths(seed, seed / "jamfor.duckdb")
        load(paths, first.fetch_dir, run_id="first", step=0, kpis=KPIS, years=YEARS)
    before = hashes(seed / "jamfor.duckdb")

    replay.set_dataset("revised")
    calibration = tmp_path_factory.mktemp("calibration")
    shutil.copyfile(seed / "jamfor.duckdb", calibration / "jamfor.duckdb")
    zygote = Zygote()
    try:
        zygote.start(_args(replay, calibration))
        times = zygote.finish()
    finally:
        zygote.close()
    replay.reset()
    after = hashes(calibration / "jamfor.duckdb")
    assert after != before and integrity(calibration / "jamfor.duckdb") == []
    order = [m for m in MARKERS if m in times]
    assert order == list(MARKERS), f"phases seen: {order}"
    durations = {a: times[b] - times[a] for a, b in itertools.pairwise(order)}
    # the rename window is the replace plus the directory fsync that follows it
    durations["rename"] = times["done"] - times["rename"]
    rerun_fetch = calibration / "raw" / "kolada" / "killed"
    return Scenario(seed / "jamfor.duckdb", before, after, durations, rerun_fetch)


def _state(warehouse: Path, scenario: Scenario) -> str:
    """'before' or 'after' (or an assertion error naming what is wrong)."""
    assert warehouse.is_file(), "the published warehouse vanished"
    assert integrity(warehouse) == []
    got = hashes(warehouse)
    runs = query(warehouse, "SELECT run_id, status FROM meta.load_run ORDER BY started_at").rows()
    if got == scenario.before:
        assert runs == [("first", "completed")]
        return "before"
    assert got == scenario.after, "the published warehouse is neither the state before nor after the load"
    assert runs == [("first", "completed"), ("killed", "completed")]
    return "after"


def _sibling_lock(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _prepare(scenario: Scenario, root: Path) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    shutil.copyfile(scenario.before_file, data / "jamfor.duckdb")
    return data


def _kill_and_rerun(
    zygote: Zygote, replay: ReplayServer, scenario: Scenario, data: Path, target: str, delay: float
) -> Outcome:
    warehouse = data / "jamfor.duckdb"
    zygote.start(_args(replay, data))
    if zygote.wait_for(target):
        time.sleep(delay)
    killed = zygote.kill()
    state = _state(warehouse, scenario)
    stale = len(build_files(warehouse))
    # the dead writer's details stay in the lock file, but its flock died with it
    lock_text = _sibling_lock(warehouse).read_text() if _sibling_lock(warehouse).exists() else ""
    stale_lock = bool(lock_text) and json.loads(lock_text).get("pid") == zygote.pid

    # the rerun: same upstream data, a new run id; building() takes the writer lock itself
    summary = load(
        Paths(data, warehouse), scenario.rerun_fetch, run_id="rerun", step=2, kpis=KPIS, years=YEARS
    )
    assert summary.rows_in == summary.rows_loaded + summary.rows_quarantined
    assert build_files(warehouse) == [], "the rerun left (or did not clean) build files"
    assert hashes(warehouse, ("mart",)) == {t: h for t, h in scenario.after.items() if t.startswith("mart.")}
    completed = query(warehouse, "SELECT count(*) AS n FROM meta.load_run WHERE status = 'completed'")
    assert completed["n"][0] == (3 if state == "after" else 2)
    return Outcome(target, delay, zygote.last, killed, state, stale, stale_lock)


def _lane(
    replay: ReplayServer, scenario: Scenario, root: Path, jobs: list[tuple[int, str, float]]
) -> list[Outcome]:
    """Kill after kill, each load forked from this lane's zygote into its own data directory."""
    zygote = Zygote()
    try:
        return [
            _kill_and_rerun(
                zygote, replay, scenario, _prepare(scenario, root / f"kill-{i:03d}"), target, delay
            )
            for i, target, delay in jobs
        ]
    finally:
        zygote.close()


def _kills(replay: ReplayServer, scenario: Scenario, root: Path, n: int, seed: int) -> list[Outcome]:
    rng = random.Random(seed)
    jobs = []
    for i in range(n):
        target = TARGETS[i % len(TARGETS)]
        # within the first half of the phase as calibrated: a busy machine stretches phases, not less
        jobs.append((i, target, rng.uniform(0.0, scenario.durations[target] / 2)))
    replay.set_dataset("revised")
    with ThreadPoolExecutor(max_workers=LANES, thread_name_prefix="kill-lane") as pool:
        lanes = [pool.submit(_lane, replay, scenario, root, jobs[lane::LANES]) for lane in range(LANES)]
        outcomes = [o for lane in lanes for o in lane.result()]
    kills = [o for o in outcomes if o.killed]
    print(
        f"\nFIGURES kill -9: runs={n} killed={len(kills)} "
        f"by_last_phase={dict(Counter(o.last_phase for o in kills))} "
        f"states={dict(Counter(o.state for o in outcomes))} "
        f"stale_build_files_cleaned={sum(o.stale_build_files for o in outcomes)} "
        f"stale_locks_taken_over={sum(o.stale_lock for o in outcomes)} "
        f"phase_seconds={ {k: round(v, 3) for k, v in scenario.durations.items()} }"
    )
    return outcomes


def test_kill_minus_nine_at_random_moments(replay: ReplayServer, scenario: Scenario, tmp_path: Path) -> None:
    outcomes = _kills(replay, scenario, tmp_path, CI_KILLS, seed=20261122)
    kills = [o for o in outcomes if o.killed]
    assert len(kills) >= 20
    # kills landed in every long phase of the load, and both outcomes occurred
    assert {o.last_phase for o in kills} >= {"fetch", "transform", "merge", "marts"}
    assert {o.state for o in outcomes} == {"before", "after"}


@pytest.mark.soak
def test_soak_kill_minus_nine(replay: ReplayServer, scenario: Scenario, tmp_path: Path) -> None:
    outcomes = _kills(replay, scenario, tmp_path, SOAK_KILLS, seed=7)
    assert sum(o.killed for o in outcomes) >= SOAK_KILLS * 3 // 4
