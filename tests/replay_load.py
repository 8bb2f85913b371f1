"""Fetch from a local Kolada replay and load the fetch through the real pipeline (tests' warehouses)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fakes.kolada.server import ReplayServer
from pipeline.kolada import load_fetch
from pipeline.summary import LoadSummary
from settings.config import Paths
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store
from sources.kolada.settings import KoladaSettings
from warehouse.history import ValueScope

CATALOGUES = ("kpi", "municipality", "municipality_groups", "kpi_groups")


def fetch_and_load(
    paths: Paths,
    kpis: Sequence[str],
    years: Sequence[int],
    *,
    run_id: str,
    as_of: datetime,
    catalogues: Sequence[str] = CATALOGUES,
    scope: dict[str, Any] | None = None,
    fetch_id: str = "load",
) -> LoadSummary:
    """The catalogues and the values of `kpis` × `years` from a fresh replay (raw pages under
    raw/kolada/<fetch_id>), loaded as a full refresh."""
    root = paths.data_dir
    with ReplayServer(port=0) as server:
        store = kolada_store(root, fetch_id)
        client = KoladaClient(KoladaSettings(base_url=server.base_url, rate=500.0), store)
        for entity in catalogues:
            client.metadata(entity)
        client.data(kpi=list(kpis), year=[str(y) for y in years])
    return load_fetch(
        paths,
        store.fetch_dir,
        run_id=run_id,
        flow_name="test",
        scope=scope or {},
        as_of=as_of,
        value_scope=ValueScope(list(kpis), list(years)),
        watermark=None,
    )
