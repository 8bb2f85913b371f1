"""A warehouse loaded by the real pipeline from the Kolada replay with the demo scope (real values)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.config import Paths
from flows.load import load_fetch
from flows.scope import load_scope
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import RawStore
from sources.kolada.replay.server import ReplayServer
from sources.kolada.settings import KoladaSettings
from warehouse.history import ValueScope


def build_demo_warehouse(root: Path) -> Path:
    """Fetch every catalogue and the demo scope's values from a local replay, load and publish them."""
    paths = Paths(root, root / "jamfor.duckdb")
    scope = load_scope("demo")
    kpis, years = list(scope.kpis), list(scope.years)
    with ReplayServer(port=0) as server:
        store = RawStore(root, "demo")
        client = KoladaClient(KoladaSettings(base_url=server.base_url, rate=500.0), store)
        for entity in ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou"):
            client.metadata(entity)
        client.data(kpi=kpis, year=[str(y) for y in years])
    load_fetch(
        paths,
        store.fetch_dir,
        run_id="demo-load",
        flow_name="test",
        scope=scope.as_dict(),
        as_of=datetime.now(UTC),
        value_scope=ValueScope(kpis, years),
        watermark=None,
    )
    return paths.warehouse
