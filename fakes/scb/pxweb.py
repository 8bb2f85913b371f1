"""A local PxWeb API on fakes.http.LocalServer (loopback), serving the real SCB fixture responses.

- GET  /api/v2/config                   -> pxweb_v2/config.json (limits may be overridden: synthetic)
- GET  /api/v2/tables/TAB6471/metadata  -> pxweb_v2/TAB6471_metadata.json, verbatim
- POST /api/v2/tables/TAB6471/data      -> the part of pxweb_v2/TAB6471_data.json the selection asks for
  (the real cube sliced with NumPy; no number is made up). A selection of more cells than the enforced
  limit gets HTTP 400 with PxWeb's wording; codes outside the fixture cube get 400 too.
- GET  /api/v1/?config and POST /api/v1/doris/sv/ssd/<table> -> pxweb_v1/response_se.json for the
  real pxweb_v1/query_se.json body.
Every route counts calls in a sliding window and answers 429 (Retry-After) above the enforced rate.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from fakes.http import Answer, LocalServer, Request
from sources.fixtures import fixtures_dir

V1_TABLE = "HE/HE0110/HE0110A/SamForvInk1"
# v1 limits recorded for SCB by rOpenGov/pxweb api.json (sources.md §c1): 30 calls/10 s, 110,000 values
V1_CONFIG = {"maxValues": 110000, "maxCalls": 30, "timeWindow": 10, "CORS": True}


def fixture_json(name: str) -> Any:
    return json.loads((fixtures_dir() / "scb" / name).read_text("utf-8"))


def ordered_codes(dimension: dict[str, Any]) -> list[str]:
    index = dimension["category"]["index"]
    return [code for code, _ in sorted(index.items(), key=lambda item: item[1])]


def slice_cube(doc: dict[str, Any], selection: dict[str, list[str]]) -> dict[str, Any]:
    """The sub-cube of a json-stat2 dataset for explicit codes per dimension (all dimensions required)."""
    positions, dims = [], {}
    for dim in doc["id"]:
        codes = ordered_codes(doc["dimension"][dim])
        wanted = selection[dim]
        positions.append([codes.index(c) for c in wanted])
        entry = copy.deepcopy(doc["dimension"][dim])
        entry["category"]["index"] = {c: i for i, c in enumerate(wanted)}
        if "label" in entry["category"]:
            entry["category"]["label"] = {c: entry["category"]["label"][c] for c in wanted}
        dims[dim] = entry
    cube = np.array(doc["value"], dtype=object).reshape(doc["size"])
    values = cube[np.ix_(*positions)].ravel().tolist()
    return {**doc, "size": [len(p) for p in positions], "dimension": dims, "value": values}


class PxWebReplay:
    """Routes on a LocalServer; `enforce_cells` / `enforce_calls` default to what /config announces."""

    def __init__(
        self,
        server: LocalServer,
        *,
        config_overrides: dict[str, Any] | None = None,
        enforce_cells: int | None = None,
        enforce_calls: tuple[int, float] | None = None,
    ) -> None:
        self.server = server
        self.config = {**fixture_json("pxweb_v2/config.json"), **(config_overrides or {})}
        self.max_cells = enforce_cells or self.config["maxDataCells"]
        self.calls: int
        self.window: float
        self.calls, self.window = enforce_calls or (
            self.config["maxCallsPerTimeWindow"],
            self.config["timeWindow"],
        )
        self.data = fixture_json("pxweb_v2/TAB6471_data.json")
        self.arrivals: deque[float] = deque()
        self.bodies: list[dict[str, Any]] = []
        self.rejected: list[int] = []
        self._lock = threading.Lock()
        self._routes()

    @property
    def base_url(self) -> str:
        return self.server.url_for("/api/v2")

    @property
    def v1_url(self) -> str:
        return self.server.url_for("/api/v1/doris/sv/ssd")

    def _routes(self) -> None:
        s = self.server
        s.route("/api/v2/config", self._limited(self._config))
        metadata = (fixtures_dir() / "scb/pxweb_v2/TAB6471_metadata.json").read_bytes()
        s.route("/api/v2/tables/TAB6471/metadata", self._limited(lambda _r: Answer(200, metadata)))
        s.route("/api/v2/tables/TAB6471/data", self._limited(self._v2_data), method="POST")
        s.route("/api/v1/doris/sv/", self._limited(lambda _r: Answer(200, json.dumps(V1_CONFIG))))
        s.route(f"/api/v1/doris/sv/ssd/{V1_TABLE}", self._limited(self._v1_data), method="POST")

    def _limited(self, handler: Callable[[Request], Answer]) -> Callable[[Request], Answer]:
        def wrapped(request: Request) -> Answer:
            now = time.monotonic()
            with self._lock:
                while self.arrivals and now - self.arrivals[0] >= self.window:
                    self.arrivals.popleft()
                if len(self.arrivals) >= self.calls:
                    self.rejected.append(429)
                    return Answer(429, '{"error": "Too many requests"}', headers=(("Retry-After", "1"),))
                self.arrivals.append(now)
            return handler(request)

        return wrapped

    def _config(self, _request: Request) -> Answer:
        return Answer(200, json.dumps(self.config))

    def _v2_data(self, request: Request) -> Answer:
        body = json.loads(request.body)
        self.bodies.append(body)
        selection = {e["variableCode"]: e["valueCodes"] for e in body["selection"]}
        for dim in self.data["id"]:
            codes = ordered_codes(self.data["dimension"][dim])
            chosen = selection.get(dim)
            if chosen is None:
                return Answer(400, f'{{"title": "Missing selection for mandatory variable {dim}"}}')
            if chosen == ["*"]:
                selection[dim] = codes
            elif unknown := [c for c in chosen if c not in codes]:
                return Answer(400, f'{{"title": "Non-existent value {unknown[0]} in {dim}"}}')
        cells = int(np.prod([len(v) for v in selection.values()]))
        if cells > self.max_cells:
            self.rejected.append(400)
            return Answer(400, f'{{"title": "Too many cells selected ({cells} > {self.max_cells})"}}')
        return Answer(200, json.dumps(slice_cube(self.data, selection)))

    def _v1_data(self, request: Request) -> Answer:
        body = json.loads(request.body)
        self.bodies.append(body)
        if body != {**fixture_json("pxweb_v1/query_se.json")}:
            return Answer(400, "query not in the fixtures", "text/plain")
        return Answer(200, (fixtures_dir() / "scb/pxweb_v1/response_se.json").read_bytes())


@contextmanager
def pxweb_server(**options: Any) -> Iterator[PxWebReplay]:
    """A PxWebReplay (PxWebReplay's keyword options) on its own LocalServer, stopped on exit."""
    with LocalServer() as server:
        yield PxWebReplay(server, **options)
