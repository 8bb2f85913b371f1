"""Suite 4: readers in other processes during loads never fail and never see a partial load.

Two reader processes read the published file continuously: one alternates a fresh read-only DuckDB
connection and a fresh SQLAlchemy (duckdb-engine, access_mode=read_only) connection per read, the other
holds one read-only connection open through all loads. Meanwhile this process publishes loads that
alternate the revised and the base dataset, so every publish changes the counts. Each counts tuple a
reader reports must be the tuple of some complete publish; after each publish the test waits until
both fresh-connection clients have seen it, so every generation is observed by both.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import sources.http
from fakes.kolada.server import ReplayServer
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from .reader_child import COUNTS_SQL
from .support import DEMO_KPIS, REPO_ROOT, FrozenDatetime, fetch, integrity, load, query

SYNC_TIMEOUT = 60.0
# the demo KPIs over the recent years, all metadata but the 35,000 OUs: a load of a few seconds
YEARS = list(range(2010, 2023))
# the 13 KPIs of the first dump folder (the demo scope's first 13): the test is about publishes under
# readers, and the demo's later IFO additions would only make each load slower on a 2-core runner
KPIS = DEMO_KPIS[:13]
ENTITIES = ("kpi", "municipality", "municipality_groups", "kpi_groups")
# a breath between reads leaves the CPU to the loads on a 2-core runner; still hundreds of reads per load
READ_PAUSE = 0.005
CI_LOADS = 3
SOAK_LOADS = 24


@dataclass(frozen=True)
class Fetches:
    base: Path
    revised: Path


@pytest.fixture(scope="module")
def fetches(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetches]:
    """The demo KPIs fetched once from each dataset (frozen clock)."""
    replay = _replay_server
    root = tmp_path_factory.mktemp("reader-fetches")
    settings = KoladaSettings(base_url=replay.base_url, rate=5000.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources.http, "datetime", FrozenDatetime)
        replay.reset()
        base = fetch(settings, root, "base", kpis=KPIS, years=YEARS, entities=ENTITIES).fetch_dir
        replay.set_dataset("revised")
        revised = fetch(settings, root, "revised", kpis=KPIS, years=YEARS, entities=ENTITIES).fetch_dir
        replay.reset()
    yield Fetches(base, revised)


class ReaderProcess:
    """A reader_child process and its JSON lines, read by a thread."""

    def __init__(self, warehouse: Path, stop_file: Path, clients: list[str]) -> None:
        args = {
            "warehouse": str(warehouse),
            "stop_file": str(stop_file),
            "clients": clients,
            "max_seconds": 600,
            "pause_seconds": READ_PAUSE,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.reader_child", json.dumps(args)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: dict[str, set[tuple[int, ...]]] = {c: set() for c in clients}
        self.errors: list[dict] = []
        self.summary: dict | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put({"event": "eof"})

    def _take(self, timeout: float) -> dict:
        event = self.events.get(timeout=timeout)
        if event["event"] == "new":
            self.seen[event["client"]].add(tuple(event["counts"]))
        elif event["event"] == "error":
            self.errors.append(event)
        elif event["event"] == "summary":
            self.summary = event
        return event

    def wait_until(self, done, what: str) -> None:
        """Consume events until done() holds; bounded by SYNC_TIMEOUT."""
        deadline = time.monotonic() + SYNC_TIMEOUT
        while not done():
            left = deadline - time.monotonic()
            if left <= 0 or self._take(left)["event"] == "eof":
                raise AssertionError(f"reader: {what} not seen in time; errors {self.errors[:3]}")

    def finish(self) -> dict:
        self.wait_until(lambda: self.summary is not None, "summary")
        self.proc.wait(timeout=SYNC_TIMEOUT)
        assert self.proc.returncode == 0, self.proc.stderr.read() if self.proc.stderr else ""
        assert self.summary is not None
        return self.summary


def _published(warehouse: Path) -> tuple[int, ...]:
    return tuple(query(warehouse, COUNTS_SQL).row(0))


def _scenario(fetches: Fetches, root: Path, loads: int) -> None:
    paths = Paths(root, root / "jamfor.duckdb")
    load(paths, fetches.base, run_id="load-0", step=0, kpis=KPIS, years=YEARS)
    published = [_published(paths.warehouse)]
    stop = root / "stop"
    fresh = ReaderProcess(paths.warehouse, stop, ["duckdb", "sqlalchemy"])
    held = ReaderProcess(paths.warehouse, stop, ["held"])
    try:
        for reader in (fresh, held):
            reader.wait_until(
                lambda r=reader: all(published[0] in s for s in r.seen.values()), "first publish"
            )
        for step in range(1, loads + 1):
            fetched = fetches.revised if step % 2 else fetches.base
            load(paths, fetched, run_id=f"load-{step}", step=step, kpis=KPIS, years=YEARS)
            published.append(_published(paths.warehouse))
            fresh.wait_until(lambda: all(published[-1] in s for s in fresh.seen.values()), f"publish {step}")
    finally:
        stop.touch()
    summaries = {"fresh": fresh.finish(), "held": held.finish()}

    assert len(set(published)) == len(published), "every publish must change the counts"
    assert all(runs - 1 == step and mart == live for step, (runs, _, mart, live) in enumerate(published))
    assert fresh.errors == [] and held.errors == []
    for client, seen in {**fresh.seen, **held.seen}.items():
        assert seen <= set(published), f"{client} saw counts of no complete publish: {seen - set(published)}"
    assert fresh.seen["duckdb"] == fresh.seen["sqlalchemy"] == set(published)
    assert held.seen["held"] == {published[0]}, "a held connection must keep the snapshot it opened"
    assert integrity(paths.warehouse) == []
    reads = {name: s["reads"] for name, s in summaries.items()}
    observed = {
        client: sum(n for _, n in counts) for s in summaries.values() for client, counts in s["seen"].items()
    }
    print(
        f"\nFIGURES readers: publishes={len(published)} reads={reads} by_client={observed} "
        f"distinct_counts_seen={ {c: len(s) for c, s in {**fresh.seen, **held.seen}.items()} } "
        f"errors=0 partial_counts=0"
    )


def test_readers_during_loads_see_only_complete_publishes(fetches: Fetches, tmp_path: Path) -> None:
    _scenario(fetches, tmp_path, CI_LOADS)


@pytest.mark.soak
def test_soak_readers_during_many_loads(fetches: Fetches, tmp_path: Path) -> None:
    _scenario(fetches, tmp_path, SOAK_LOADS)
