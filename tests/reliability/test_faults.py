"""Suite 1: a full demo-scope load through 20 % injected faults equals a fault-free load, value for value.

The faulted fetch uses small pages so that hundreds of requests (and so about a hundred faults of every
kind) happen; the reference uses the API's default page size. Same upstream data, same frozen clock,
same run id and as_of: the core and mart tables must hash equal and every value must match.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

import sources.http
from fakes.kolada.faults import ALL_FAULTS
from fakes.kolada.server import ReplayServer
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from .support import FrozenDatetime, expected_values, fetch, hashes, integrity, load, query, value_mismatches

FAULT_RATE = 0.2
RETRY_AFTER = 0.05
# "slow" replies wait longer than the read timeout, so every one of them is a client-side timeout.
READ_TIMEOUT = 0.5
# the fault-free reference must not time out: on a busy machine (two test workers on two cores) a
# 3.8 MB page can take longer than READ_TIMEOUT to arrive, which the faulted runs count as a retry
REFERENCE_READ_TIMEOUT = 10.0
SLOW_SECONDS = 1.0
CI_PER_PAGE = 300


class Loaded(NamedTuple):
    """A published warehouse and the client's request statistics."""

    paths: Paths
    stats: dict


def _settings(replay: ReplayServer, per_page: int, read_timeout: float = READ_TIMEOUT) -> KoladaSettings:
    return KoladaSettings(
        base_url=replay.base_url,
        rate=5000.0,
        per_page=per_page,
        read_timeout=read_timeout,
        connect_timeout=5.0,
        # 0.2 ** 12: a request failing for good by chance is out of the question
        max_attempts=12,
        backoff_base=0.005,
        backoff_max=0.05,
    )


def _fetch_and_load(
    replay: ReplayServer, root: Path, per_page: int, read_timeout: float = READ_TIMEOUT
) -> Loaded:
    paths = Paths(root, root / "jamfor.duckdb")
    fetched = fetch(_settings(replay, per_page, read_timeout), root, "fetch")
    load(paths, fetched.fetch_dir, run_id="load-1", step=0)
    return Loaded(paths, fetched.stats)


@pytest.fixture(scope="module")
def reference(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The fault-free load of the demo scope at the API's default page size."""
    _replay_server.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources.http, "datetime", FrozenDatetime)
        loaded = _fetch_and_load(
            _replay_server, tmp_path_factory.mktemp("reference"), 5000, REFERENCE_READ_TIMEOUT
        )
    assert loaded.stats["retries"] == 0 and integrity(loaded.paths.warehouse) == []
    yield loaded


def _assert_same_warehouse(replay: ReplayServer, faulted: Loaded, reference: Loaded) -> dict[str, int]:
    """Hashes, full frames and every value equal; returns the figures for the report."""
    assert integrity(faulted.paths.warehouse) == []
    got, want = hashes(faulted.paths.warehouse), hashes(reference.paths.warehouse)
    assert got == want, {
        t: (got.get(t), want.get(t)) for t in set(got) | set(want) if got.get(t) != want.get(t)
    }
    for table in ("mart.kpi_value", "core.kpi_value_history", "core.kpi", "core.municipality", "core.ou"):
        sql = f"SELECT * FROM {table} ORDER BY ALL"
        assert query(faulted.paths.warehouse, sql).equals(query(reference.paths.warehouse, sql)), table
    compared, mismatches = value_mismatches(faulted.paths.warehouse, expected_values(replay.dataset.values()))
    assert mismatches == 0
    return {"tables_hashed": len(got), "values_compared": compared, "mismatches": mismatches}


def _faults_by_kind(replay: ReplayServer) -> tuple[int, Counter[str]]:
    log = replay.request_log
    return len(log), Counter(r.fault for r in log if r.fault)


def _run(
    replay: ReplayServer, root: Path, reference: Loaded, *, rate: float, seed: int, per_page: int
) -> None:
    replay.set_faults(rate, ALL_FAULTS, seed=seed, retry_after=RETRY_AFTER, slow_seconds=SLOW_SECONDS)
    faulted = _fetch_and_load(replay, root, per_page)
    requests, kinds = _faults_by_kind(replay)
    replay.reset()
    injected = sum(kinds.values())
    assert set(kinds) == set(ALL_FAULTS), f"every fault kind must occur, got {dict(kinds)}"
    assert rate / 2 <= injected / requests <= rate * 1.5
    assert faulted.stats["failures"] == 0 and faulted.stats["retries"] >= injected
    figures = _assert_same_warehouse(replay, faulted, reference)
    print(
        f"\nFIGURES faults rate={rate} seed={seed} per_page={per_page}: requests={requests} "
        f"injected={injected} by_kind={dict(sorted(kinds.items()))} client={faulted.stats['by_reason']} "
        f"{figures}"
    )


@pytest.mark.usefixtures("frozen_clock")
def test_twenty_percent_faults_change_nothing(
    replay: ReplayServer, tmp_path: Path, reference: Loaded
) -> None:
    _run(replay, tmp_path, reference, rate=FAULT_RATE, seed=1, per_page=CI_PER_PAGE)


@pytest.mark.soak
@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("seed", range(2, 6))
@pytest.mark.parametrize("rate", [0.2, 0.35])
def test_soak_faults_change_nothing(
    replay: ReplayServer, tmp_path: Path, reference: Loaded, rate: float, seed: int
) -> None:
    _run(replay, tmp_path, reference, rate=rate, seed=seed, per_page=100)


def test_reference_matches_the_dataset(reference: Loaded, replay: ReplayServer) -> None:
    """The comparison target itself holds exactly the replay's values (no fault-free bug hides a loss)."""
    expected = expected_values(replay.dataset.values())
    compared, mismatches = value_mismatches(reference.paths.warehouse, expected)
    assert mismatches == 0 and compared == expected.height
    assert query(reference.paths.warehouse, "SELECT count(*) AS n FROM core.ou")["n"][0] > 0
    counts = query(
        reference.paths.warehouse, "SELECT rows_in, rows_loaded, rows_quarantined FROM meta.load_run"
    )
    rows_in, loaded, quarantined = counts.row(0)
    assert rows_in == loaded > expected.height and quarantined == 0
