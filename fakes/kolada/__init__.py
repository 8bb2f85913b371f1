"""Local Kolada v3 replay API for tests and `make demo`.

The values are real Kolada values (open-numbers' 2024 v2 scrape of api.kolada.se) and the metadata is
real Kolada metadata (rKolada's 2026 v3 snapshot; pykolada's 2024 kpi_groups and ou), reconstructed into
v3 page shape (`values`, `count`, `next_url`, `previous_url`). The "revised" dataset is a synthetic,
seeded modification of those values (about 1% of T values + 1.0, about 0.5% of items deleted), for
testing incremental loads; it is not real data. `ReplayServer.set_canned` serves given pages instead
(the bad-input corpus: fakes/kolada/canned.py).
"""

from __future__ import annotations

from fakes.kolada.canned import Page, Raw, Routes
from fakes.kolada.dataset import ReplayDataset, RevisionKeys, load_dataset
from fakes.kolada.faults import ALL_FAULTS
from fakes.kolada.handler import RequestRecord
from fakes.kolada.server import ReplayServer

__all__ = [
    "ALL_FAULTS",
    "Page",
    "Raw",
    "ReplayDataset",
    "ReplayServer",
    "RequestRecord",
    "RevisionKeys",
    "Routes",
    "load_dataset",
]
