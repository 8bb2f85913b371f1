"""ReplayServer: a local Kolada v3 API on the stdlib ThreadingHTTPServer, with faults and a request log.

Real Kolada values (open-numbers' 2024 v2 scrape, rKolada's 2026 v3 metadata) are served in v3 page
shape; the "revised" dataset is a synthetic, seeded modification (see dataset.py); `set_canned` serves
given pages instead (canned.py). Faults are random, forced (`fail_next`) or tied to a path needle
(`fail_path`); `set_page_size` makes the server page below per_page, as the live API may, so small
fetches page too. Control endpoints under /_replay/ are never faulted, delayed or logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from fakes.http import LoopbackHTTPServer, Served, ServerContext, loopback
from fakes.kolada.canned import Routes
from fakes.kolada.dataset import DATASETS, ReplayDataset, load_dataset
from fakes.kolada.faults import ALL_FAULTS, DEFAULT_RETRY_AFTER, DEFAULT_SLOW_SECONDS, FaultPlan
from fakes.kolada.handler import ReplayHandler, RequestRecord
from sources.kolada.settings import API_MAX_PER_PAGE

logger = logging.getLogger(__name__)


class _HTTPServer(LoopbackHTTPServer):
    def __init__(self, address: tuple[str, int], replay: ReplayServer) -> None:
        super().__init__(address, ReplayHandler)
        self.replay = replay

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        logger.exception("replay server: error while handling a request from %s", client_address)


class ReplayServer(ServerContext):
    """A local Kolada v3 replay API on loopback; use as a context manager or start()/stop()."""

    def __init__(self, fixtures_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._fixtures_dir = fixtures_dir
        self._host = loopback(host)
        self._port = port
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        # requests that arrived before the last reset are not logged when they finish after it
        self._log_since = float("-inf")
        self._dataset_name = "base"
        self._canned: Routes | None = None
        self._latency = 0.0
        self._page_size = API_MAX_PER_PAGE
        self._faults = FaultPlan()

    def start(self) -> Self:
        """Load the dataset (cached), bind and serve in a daemon thread."""
        if self._served is not None:
            raise RuntimeError("replay server already started")
        _ = self.dataset
        self._served = Served(_HTTPServer((self._host, self._port), self), "kolada-replay")
        logger.info("kolada replay server listening on %s", self.base_url)
        return self

    @property
    def port(self) -> int:
        """The bound port (after start())."""
        if self._served is None:
            raise RuntimeError("replay server not started")
        return self._served.port

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:8765/v3"."""
        return f"http://{self._host}:{self.port}/v3"

    @property
    def dataset(self) -> ReplayDataset:
        """The loaded fixtures (shared, cached per fixtures dir)."""
        return load_dataset(self._fixtures_dir)

    @property
    def dataset_name(self) -> str:
        """ "base" or "revised"."""
        with self._lock:
            return self._dataset_name

    def set_dataset(self, name: str) -> None:
        """Serve the "base" (real) or "revised" (synthetic revision) values from now on."""
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")
        # Build the revision here, not inside the first request that needs it.
        self.dataset.values(name)
        with self._lock:
            self._dataset_name = name

    @property
    def canned(self) -> Routes | None:
        """The canned pages served instead of the dataset, if any."""
        with self._lock:
            return self._canned

    def set_canned(self, routes: Routes | None) -> None:
        """Answer /v3 from `routes` (endpoint -> pages, canned.py) from now on; None: the dataset again."""
        with self._lock:
            self._canned = routes

    @property
    def faults(self) -> FaultPlan:
        """The fault plan the request handler draws from."""
        return self._faults

    def set_faults(
        self,
        rate: float,
        kinds: Sequence[str] = ALL_FAULTS,
        seed: int = 0,
        retry_after: float = DEFAULT_RETRY_AFTER,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
    ) -> None:
        """Fault a seeded-random fraction `rate` of /v3 requests with kinds from `kinds`."""
        self._faults.configure(rate, kinds, seed, retry_after, slow_seconds)

    def fail_next(self, n: int, kind: str) -> None:
        """Force the next `n` /v3 requests to fault with `kind`."""
        self._faults.force(n, kind)

    def fail_path(self, needle: str, kind: str = "500") -> None:
        """Fault every /v3 request whose decoded path contains `needle` with `kind`, until reset."""
        self._faults.fail_path(needle, kind)

    @property
    def page_size(self) -> int:
        """The most items a page holds, whatever per_page asks."""
        with self._lock:
            return self._page_size

    def set_page_size(self, items: int) -> None:
        """Serve pages of at most `items` (1 to the API's per_page limit), so small fetches page too."""
        if not 1 <= items <= API_MAX_PER_PAGE:
            raise ValueError(f"page size must be between 1 and {API_MAX_PER_PAGE}, got {items}")
        with self._lock:
            self._page_size = items

    @property
    def latency(self) -> float:
        """Fixed delay (seconds) before every /v3 reply."""
        with self._lock:
            return self._latency

    def set_latency(self, seconds: float) -> None:
        """Add a fixed delay to every /v3 reply (benchmarks)."""
        if seconds < 0:
            raise ValueError(f"latency must be >= 0, got {seconds}")
        with self._lock:
            self._latency = float(seconds)

    @property
    def request_log(self) -> list[RequestRecord]:
        """A snapshot of the /v3 requests that arrived since the last reset, in arrival order."""
        with self._lock:
            return sorted(self._log, key=lambda r: r.arrived_monotonic)

    def reset_log(self) -> None:
        """Forget all logged requests, and any still being answered."""
        with self._lock:
            self._log.clear()
            self._log_since = time.monotonic()

    def reset(self) -> None:
        """Back to defaults: empty log, no faults, no latency, full pages, base dataset, nothing canned."""
        self._faults.reset()
        with self._lock:
            self._log.clear()
            self._log_since = time.monotonic()
            self._canned = None
            self._latency = 0.0
            self._page_size = API_MAX_PER_PAGE
            self._dataset_name = "base"

    def record(self, record: RequestRecord) -> None:
        """Append to the request log (called by the handler before it sends the reply)."""
        with self._lock:
            if record.arrived_monotonic >= self._log_since:
                self._log.append(record)
