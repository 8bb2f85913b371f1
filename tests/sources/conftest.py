"""One generic loopback server (fakes.http.LocalServer) per test module, cleared between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.http import LocalServer


@pytest.fixture(scope="module")
def _server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def server(_server: LocalServer) -> Iterator[LocalServer]:
    """The module's server with no routes and an empty log; it serves requests concurrently."""
    yield _server
    _server.clear()
