"""Test-wide isolation: a private PREFECT_HOME, no analytics, and no JAMFOR_* leaking in from the shell."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Prefect reads its settings when first imported, so these must be set before any test module imports it.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="jamfor-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)

# the fixtures location is the one JAMFOR_ setting a developer's shell may legitimately pass in
KEEP_VARS = {"JAMFOR_FIXTURES_DIR"}


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Every test gets its own data directory and the built-in Kolada defaults."""
    for name in [n for n in os.environ if n.startswith("JAMFOR_") and n not in KEEP_VARS]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JAMFOR_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness: a temporary server with an isolated database, shared by the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
