"""Suite 5: every case of the bad-input corpus ends in a clear error or a quarantine with its reason.

The corpus (tests/reliability/badinput) is a table per source: input -> expected outcome. Errors must
be one line and leave the published warehouse untouched; quarantines must name the failed check; and
rows in = loaded + quarantined must hold in the ledger and per entity from the raw records served.
The cases run once per variant, two at a time (one runner per worker), then each is checked as its
own test. CI runs the core cases; the soak variant adds the extended ones (more variants per kind).
"""

from __future__ import annotations

import queue
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from fakes.kolada.server import ReplayServer

from .badinput import SOURCES, all_cases
from .badinput.corpus import Case, Observed, Runner, check

CASES = all_cases()
CORE = [c for c in CASES if not c.extended]
EXTENDED = [c for c in CASES if c.extended]
MIN_BAD_CASES = 50
WORKERS = 2
Observations = dict[str, Observed | BaseException]


def _run_source(cases: list[Case], runners: list[Runner], root: Path) -> Observations:
    idle: queue.Queue[Runner] = queue.Queue()
    for runner in runners:
        idle.put(runner)

    def work(n: int, case: Case) -> Observed:
        runner = idle.get()
        try:
            return runner.run(case, root / f"case-{n:03d}")
        finally:
            idle.put(runner)

    with ThreadPoolExecutor(max_workers=len(runners), thread_name_prefix="bad-input") as pool:
        futures = {case.id: pool.submit(work, n, case) for n, case in enumerate(cases)}
    return {cid: fut.exception() or fut.result() for cid, fut in futures.items()}


def _observe_all(replay: ReplayServer, factory: pytest.TempPathFactory, cases: list[Case]) -> Observations:
    """Every case's observation, keyed by case id (an exception if the runner itself broke)."""
    replay.reset()
    results: Observations = {}
    with ExitStack() as stack:
        for source, (_, make_runner) in SOURCES.items():
            mine = [c for c in cases if c.source == source]
            if not mine:
                continue
            root = factory.mktemp(source)
            runners = [
                stack.enter_context(make_runner(replay.base_url, root / f"runner-{i}"))
                for i in range(WORKERS)
            ]
            results |= _run_source(mine, runners, root)
    seen = [o for o in results.values() if isinstance(o, Observed)]
    outcomes = Counter(
        f"{cid.split(':')[0]}:{o.outcome}:{o.stage or '-'}" for cid, o in results.items() if o in seen
    )
    print(
        f"\nFIGURES bad input: cases={len(cases)} outcomes={dict(outcomes)} "
        f"quarantined_rows={sum(len(o.quarantined) for o in seen)}"
    )
    return results


@pytest.fixture(scope="module")
def observed(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Observations:
    return _observe_all(_replay_server, tmp_path_factory, CORE)


@pytest.fixture(scope="module")
def observed_extended(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Observations:
    return _observe_all(_replay_server, tmp_path_factory, EXTENDED)


def _params(cases: list[Case]) -> list:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
        for c in cases
    ]


def _check(case: Case, seen: Observed | BaseException) -> None:
    if isinstance(seen, BaseException):
        raise seen
    check(case, seen)


def test_the_corpus_is_big_enough() -> None:
    bad = [c for c in CORE if c.expect.outcome != "loaded" and not c.xfail]
    assert len(bad) >= MIN_BAD_CASES and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", _params(CORE))
def test_bad_input(case: Case, observed: Observations) -> None:
    _check(case, observed[case.id])


@pytest.mark.soak
@pytest.mark.parametrize("case", _params(EXTENDED))
def test_bad_input_extended(case: Case, observed_extended: Observations) -> None:
    _check(case, observed_extended[case.id])
