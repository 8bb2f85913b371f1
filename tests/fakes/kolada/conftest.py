"""The Kolada replay for this folder's tests: one server per module, reset around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from fakes.kolada import ReplayServer


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean(server: ReplayServer) -> Iterator[None]:
    server.reset()
    yield
    server.reset()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
