"""jamfor sources.scb layer: the SCB PxWeb client (v2 and v1), its settings, limits and raw store."""

from __future__ import annotations

from .client import FetchResult, ScbClient
from .limits import ApiLimits, PxWebConfigError, cell_count, split_selection
from .selection import SelectionError, population_selection, split_v1_query
from .settings import ScbSettings
from .store import scb_store

__all__ = [
    "ApiLimits",
    "FetchResult",
    "PxWebConfigError",
    "ScbClient",
    "ScbSettings",
    "SelectionError",
    "cell_count",
    "population_selection",
    "scb_store",
    "split_selection",
    "split_v1_query",
]
