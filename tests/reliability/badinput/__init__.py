"""The bad-input corpus: per source a table of cases (input -> expected outcome) and a runner.

"files" covers the delivered-file sources (SCB and Socialstyrelsen exports) through pipeline.files.
To add a source (an SCB API fetch, network files ...): write `badinput/<source>.py` with `CASES`
(a list of corpus.Case) and a runner class (corpus.Runner: `run(case, workdir) -> Observed`), then add
both to `SOURCES` below. tests/reliability/test_bad_input.py runs every case of every source.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from . import files, kolada
from .corpus import Case, Runner

# source -> (its cases, a factory (replay_base_url, workdir) -> context manager yielding its runner)
SOURCES: dict[str, tuple[list[Case], Callable[[str, Path], AbstractContextManager[Runner]]]] = {
    "kolada": (kolada.CASES, kolada.KoladaRunner),
    "files": (files.CASES, files.FilesRunner),
}


def all_cases() -> list[Case]:
    """Every case of every source, in table order."""
    return [case for cases, _ in SOURCES.values() for case in cases]
