"""The source-independent part of the bad-input corpus: cases, expected outcomes and the checks.

A source contributes a list of `Case`s and a `Runner` that turns one case into an `Observed`. Every
case must end in exactly what its `Expect` says: a clear one-line error (and an untouched published
warehouse), or quarantined rows with the reason, or (for the few control cases) a clean load. Whenever
anything was loaded, rows in = loaded + quarantined must hold in the run ledger and, counted
independently from the raw records served, per entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

MAX_MESSAGE_CHARS = 1000


@dataclass(frozen=True)
class Expect:
    """error: `stage` and a message pattern; quarantine: rows per entity and a failed_check pattern."""

    outcome: str
    pattern: str = ""
    stage: str | None = None
    rows: dict[str, int] = field(default_factory=dict)


def error(stage: str, pattern: str) -> Expect:
    """The run fails at `stage` ("fetch" or "load") with a one-line message matching `pattern`."""
    return Expect("error", pattern, stage)


def quarantine(pattern: str, **rows: int) -> Expect:
    """The run completes with exactly `rows` quarantined per entity, each reason matching `pattern`."""
    return Expect("quarantine", pattern, rows=rows)


def loaded(note: str) -> Expect:
    """A control: the input is acceptable (`note` says why) and loads with nothing quarantined."""
    return Expect("loaded", note)


@dataclass(frozen=True)
class Case:
    """One bad input of one source; `change` is interpreted by the source's runner."""

    source: str
    name: str
    change: Callable[..., Any]
    expect: Expect
    # the current behaviour is wrong (reported); the case runs as a strict xfail until it is fixed
    xfail: str | None = None
    # one more variant of a kind other cases cover: runs in the soak variant only (CI time)
    extended: bool = False

    @property
    def id(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass
class Observed:
    """What a runner saw for one case."""

    outcome: str
    stage: str | None = None
    message: str = ""
    # (entity, natural_key, failed_check, record)
    quarantined: list[tuple[str, str, str, str]] = field(default_factory=list)
    # meta.load_run: rows_in, rows_loaded, rows_quarantined
    ledger: tuple[int, int, int] | None = None
    # entity -> (raw records served, loaded, quarantined), counted independently of the transforms
    reconciliation: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    warehouse_unchanged: bool | None = None


class Runner(Protocol):
    """Runs one case of its source in `workdir` and reports what happened."""

    def run(self, case: Case, workdir: Path) -> Observed: ...


def check(case: Case, seen: Observed) -> None:
    """Assert that `seen` is what `case.expect` promises (raises AssertionError naming the case)."""
    want = case.expect
    where = f"{case.id}: "
    assert seen.outcome == want.outcome, f"{where}expected {want.outcome}, got {seen}"
    if want.outcome == "error":
        assert seen.stage == want.stage, (
            f"{where}failed at {seen.stage}, expected {want.stage}: {seen.message}"
        )
        assert "\n" not in seen.message and 0 < len(seen.message) <= MAX_MESSAGE_CHARS, where + seen.message
        assert re.search(want.pattern, seen.message), f"{where}{seen.message!r} !~ {want.pattern!r}"
        assert seen.warehouse_unchanged, f"{where}a failed run changed the published warehouse"
        return
    by_entity: dict[str, int] = {}
    for entity, _, failed_check, record in seen.quarantined:
        by_entity[entity] = by_entity.get(entity, 0) + 1
        if want.outcome == "quarantine":
            assert re.search(want.pattern, failed_check), f"{where}{failed_check!r} !~ {want.pattern!r}"
        assert record.strip(), f"{where}a quarantined row without its record"
    assert by_entity == want.rows, (
        f"{where}quarantined {by_entity}, expected {want.rows}: {seen.quarantined[:3]}"
    )
    assert seen.ledger is not None
    rows_in, rows_loaded, rows_quarantined = seen.ledger
    assert rows_in == rows_loaded + rows_quarantined, f"{where}ledger {seen.ledger} does not reconcile"
    assert rows_quarantined == len(seen.quarantined), f"{where}ledger {seen.ledger} vs meta.quarantine"
    for entity, (raw, got, held) in seen.reconciliation.items():
        assert raw == got + held, f"{where}{entity}: {raw} raw records != {got} loaded + {held} quarantined"
