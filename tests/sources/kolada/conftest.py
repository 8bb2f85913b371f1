"""One Kolada replay server per test module, back to its defaults around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.kolada import ReplayServer


@pytest.fixture(scope="module")
def _replay_server() -> Iterator[ReplayServer]:
    with ReplayServer(port=0) as server:
        yield server


@pytest.fixture
def replay(_replay_server: ReplayServer) -> Iterator[ReplayServer]:
    """The module's replay server: empty log, no faults, full pages, base dataset."""
    _replay_server.reset()
    yield _replay_server
    _replay_server.reset()
