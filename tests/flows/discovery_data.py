"""A warehouse loaded by the real pipeline from the Kolada replay with the demo scope (real values)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.scope import load_scope
from settings.config import Paths
from tests.replay_load import CATALOGUES, fetch_and_load


def build_demo_warehouse(root: Path) -> Path:
    """Fetch every catalogue and the demo scope's values from a local replay, load and publish them."""
    paths = Paths(root, root / "jamfor.duckdb")
    scope = load_scope("demo")
    fetch_and_load(
        paths,
        scope.kpis,
        scope.years,
        run_id="demo-load",
        as_of=datetime.now(UTC),
        catalogues=(*CATALOGUES, "ou"),
        scope=scope.as_dict(),
        fetch_id="demo",
    )
    return paths.warehouse
