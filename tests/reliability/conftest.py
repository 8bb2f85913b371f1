"""Fixtures of the reliability suites: one replay server per session and a frozen fetch clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import sources.http
from fakes.kolada.server import ReplayServer
from warehouse.ddl import ensure_schema

from .hostile import Sandbox, assert_repo_untouched, make_sandbox, publish_seed
from .support import FrozenDatetime


@pytest.fixture(scope="session")
def _replay_server() -> Iterator[ReplayServer]:
    with ReplayServer(host="127.0.0.1", port=0) as server:
        # the revision is built once here, not inside the first request that needs it
        server.set_dataset("revised")
        server.reset()
        yield server


@pytest.fixture
def replay(_replay_server: ReplayServer) -> Iterator[ReplayServer]:
    """The shared replay server, reset to the base dataset without faults before and after each test."""
    _replay_server.reset()
    yield _replay_server
    _replay_server.reset()


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages fetched in this process get fetched_at = FROZEN_AT."""
    monkeypatch.setattr(sources.http, "datetime", FrozenDatetime)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the full schema."""
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def published(_replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse of a small real load (hostile-input suites)."""
    return publish_seed(_replay_server, tmp_path_factory.mktemp("hostile-seed"))


@pytest.fixture(scope="session")
def seed_fetch(published: Path) -> Path:
    """The raw pages the published seed warehouse was loaded from."""
    return published.parent / "raw" / "kolada" / "seed"


@pytest.fixture
def sandbox(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh sandbox tree as the working directory, with JAMFOR_DATA_DIR pointing into it."""
    box = make_sandbox(published, tmp_path)
    monkeypatch.chdir(box.cwd)
    monkeypatch.setenv("JAMFOR_DATA_DIR", str(box.data))
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "5000")
    monkeypatch.setenv("JAMFOR_KOLADA_RETRIES", "1")
    yield box
    assert_repo_untouched()
