"""The Kolada bad-input runner: the Kolada fake serves each case canned, the client fetches, load_fetch loads.

The baseline answers are real v3 items taken from the replay server (two KPIs, every unit, one year,
small metadata catalogues). A case edits them (kolada_fields, kolada_pages); the run fetches them with
the real KoladaClient and loads them with pipeline.kolada.load_fetch onto a copy of the published baseline.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from fakes.kolada import Page, Raw, ReplayServer, Routes
from pipeline.kolada import load_fetch
from settings.config import Paths
from sources.http import SourceHTTPError
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store
from sources.kolada.settings import KoladaSettings
from warehouse.history import ValueScope
from warehouse.publish import connect_readonly

from ..support import sha256
from . import kolada_fields, kolada_pages
from .corpus import Case, Observed
from .kolada_edits import routes

KPIS = ["N31807", "U21468"]
YEARS = [2020]
METADATA = ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou")
BASELINE_PATHS = {
    "kpi": "/kpi/N31807,U21468",
    "municipality": "/municipality",
    "municipality_groups": "/municipality_groups/G36453,G92787,G92790",
    "kpi_groups": "/kpi_groups/GKPI251,GKPI119",
    "ou": "/ou/V21E018000101,V21E018000201,V23E018000101,V11E103371,V15E018000101",
    "data": "/data/kpi/N31807,U21468/year/2020",
}
AS_OF = datetime(2026, 3, 23, 13, 0, tzinfo=UTC)
# Variants of a kind that CI already covers with another case: they run in the soak variant only.
EXTENDED = frozenset(
    {
        "data: entry without isdeleted",
        "data: item without municipality",
        "data: item without values",
        "data: period as a string",
        "data: count as text",
        "data: kpi as a number",
        "kpi: publication_date as dd/mm/yyyy",
        "data: municipality id G",
        "data: year 2101",
        "data: value Infinity",
        "data: value -inf",
        "data: municipality null",
        "data: period null",
        "data: gender null",
        "kpi: id null",
        "municipality: exact duplicate",
        "ou: conflicting duplicate",
        "municipality: mojibake title",
        "ou: mojibake title",
        "data: decimal comma count",
        "data: missing value marker -",
        "data: value with a percent sign",
    }
)
CASES = [
    Case("kolada", name, change, expect, extended=name in EXTENDED)
    for name, change, expect in kolada_fields.CASES + kolada_pages.CASES
]
assert {c.name for c in CASES} >= EXTENDED, "an EXTENDED name matches no case"


class KoladaRunner:
    """Fetches each case from the Kolada fake (canned pages) with the real client; loads it on a baseline."""

    def __init__(self, replay_base_url: str, workdir: Path) -> None:
        self.items = {endpoint: _get(replay_base_url + path) for endpoint, path in BASELINE_PATHS.items()}
        # each case edits a fresh copy (json round trip: cheaper than deepcopy)
        self._frozen = json.dumps(self.items)
        self.canned = ReplayServer()
        self.workdir = workdir
        self.baseline = workdir / "baseline.duckdb"

    def __enter__(self) -> KoladaRunner:
        self.canned.start()
        # the published warehouse every case loads onto: the baseline itself, loaded once
        seen = self._run(routes(self.items), self.workdir / "baseline", "baseline", step=0)
        assert seen.outcome == "loaded" and not seen.quarantined, seen
        shutil.copyfile(self.workdir / "baseline" / "jamfor.duckdb", self.baseline)
        return self

    def __exit__(self, *exc: object) -> None:
        self.canned.stop()

    def run(self, case: Case, workdir: Path) -> Observed:
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.baseline, workdir / "jamfor.duckdb")
        return self._run(case.change(json.loads(self._frozen)), workdir, "case", step=1)

    def _run(self, served: Routes, workdir: Path, run_id: str, step: int) -> Observed:
        self.canned.reset()
        self.canned.set_canned(served)
        workdir.mkdir(parents=True, exist_ok=True)
        paths = Paths(workdir, workdir / "jamfor.duckdb")
        before = sha256(paths.warehouse) if paths.warehouse.exists() else None
        settings = KoladaSettings(
            base_url=self.canned.base_url, rate=5000.0, max_attempts=2, backoff_base=0.0, backoff_max=0.0
        )
        store = kolada_store(workdir, run_id)
        client = KoladaClient(settings, store)
        try:
            for entity in METADATA:
                client.metadata(entity)
            client.data(kpi=KPIS, year=[str(y) for y in YEARS])
        except SourceHTTPError as exc:
            return Observed(
                "error", "fetch", str(exc), warehouse_unchanged=_unchanged(paths.warehouse, before)
            )
        try:
            summary = load_fetch(
                paths,
                store.fetch_dir,
                run_id=run_id,
                flow_name="bad-input",
                scope={"name": "bad-input"},
                as_of=AS_OF + timedelta(hours=step),
                value_scope=ValueScope(kpi_ids=KPIS, years=YEARS),
                watermark=None,
            )
        except Exception as exc:  # noqa: BLE001 - the error is the observation
            message = f"{type(exc).__name__}: {exc}"
            return Observed("error", "load", message, warehouse_unchanged=_unchanged(paths.warehouse, before))
        return _observe(paths.warehouse, run_id, served, summary.entities)


def _get(url: str) -> list[Any]:
    return requests.get(url, params={"per_page": 5000}, timeout=30).json()["values"]


def _unchanged(warehouse: Path, before: str | None) -> bool:
    no_build = not list(warehouse.parent.glob(f"{warehouse.name}.build-*"))
    return no_build and (sha256(warehouse) == before if before else not warehouse.exists())


def _observe(warehouse: Path, run_id: str, routes: Routes, entities: dict[str, dict[str, int]]) -> Observed:
    con = connect_readonly(warehouse)
    try:
        quarantined = con.execute(
            "SELECT entity, natural_key, failed_check, record FROM meta.quarantine "
            "WHERE run_id = ? ORDER BY ALL",
            [run_id],
        ).fetchall()
        ledger = con.execute(
            "SELECT rows_in, rows_loaded, rows_quarantined FROM meta.load_run WHERE run_id = ?", [run_id]
        ).fetchone()
    finally:
        con.close()
    held: dict[str, int] = {}
    for entity, *_ in quarantined:
        held[entity] = held.get(entity, 0) + 1
    raw = _raw_counts(routes)
    loaded_rows = {
        "value": entities["core.kpi_value_history"]["rows_in"],
        "kpi": entities["core.kpi"]["rows_in"],
        "municipality": entities["core.municipality"]["rows_in"],
        "ou": entities["core.ou"]["rows_in"],
    }
    reconciliation = {e: (raw[e], loaded_rows[e], held.get(e, 0)) for e in loaded_rows}
    outcome = "quarantine" if quarantined else "loaded"
    return Observed(outcome, None, "", [tuple(r) for r in quarantined], tuple(ledger), reconciliation)


def _items_served(pages: list[Page]) -> list[Any]:
    out: list[Any] = []
    for page in pages:
        out += json.loads(page.body)["values"] if isinstance(page, Raw) else page
    return out


def _raw_counts(routes: Routes) -> dict[str, int]:
    """Raw records served per entity, counted from the replies (a value item counts its entries, >= 1)."""
    served = {endpoint: _items_served(p) for endpoint, p in routes.items()}
    entries = sum(max(1, len(it.get("values") or ())) if isinstance(it, dict) else 1 for it in served["data"])
    return {
        "value": entries,
        "kpi": len(served["kpi"]),
        "municipality": len(served["municipality"]) + len(served["municipality_groups"]),
        "ou": len(served["ou"]),
    }
