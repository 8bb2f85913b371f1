"""Shared helpers of the reliability suites: deterministic fetches, loads and warehouse fingerprints.

A load is made reproducible bit for bit by freezing three things: the page fetch time (the HTTP layer's
clock, which becomes `fetched_at`), the load's `as_of` (`valid_from`) and its run id. Two loads of the
same upstream data then give identical core and mart tables, whatever happened on the wire.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.kolada import load_fetch
from pipeline.scope import load_scope
from pipeline.summary import LoadSummary
from settings.config import Paths
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store
from sources.kolada.settings import KoladaSettings
from warehouse import checks
from warehouse.history import ValueScope
from warehouse.publish import connect_readonly

REPO_ROOT = Path(__file__).resolve().parents[2]
# The day rKolada's v3 metadata snapshot was taken: a fixed "now" for fetched_at.
FROZEN_AT = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
METADATA = ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou")
DEMO = load_scope("demo")
DEMO_KPIS: tuple[str, ...] = DEMO.kpis
DEMO_YEARS: tuple[int, ...] = DEMO.years
VALUE_KEY = ["kpi_id", "municipality_id", "year", "gender"]


class FrozenDatetime(datetime):
    """`datetime` whose now() is FROZEN_AT: patched into sources.http so pages get a fixed fetched_at."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return FROZEN_AT.astimezone(tz) if tz is not None else FROZEN_AT.replace(tzinfo=None)


def as_of(step: int) -> datetime:
    """The `as_of` of the n-th load in a scenario (strictly increasing, after FROZEN_AT)."""
    return FROZEN_AT + timedelta(hours=1 + step)


@dataclass(frozen=True)
class Fetched:
    """A fetch on disk and what the client counted while making it."""

    fetch_dir: Path
    stats: dict[str, Any]
    pages: int
    values: int


def fetch(
    settings: KoladaSettings,
    root: Path,
    fetch_id: str,
    *,
    kpis: Sequence[str] = DEMO_KPIS,
    years: Sequence[int] = DEMO_YEARS,
    entities: Sequence[str] = METADATA,
    only_scope_kpis: bool = False,
) -> Fetched:
    """Fetch metadata catalogues and the values of kpis x years (every unit) into a raw store.

    `only_scope_kpis`: fetch just the scope's KPIs from /kpi instead of the whole catalogue.
    """
    store = kolada_store(root, fetch_id)
    client = KoladaClient(settings, store)
    results = [
        client.metadata(entity, ids=list(kpis) if entity == "kpi" and only_scope_kpis else None)
        for entity in entities
    ]
    results.append(client.data(kpi=list(kpis), year=[str(y) for y in years]))
    return Fetched(store.fetch_dir, client.stats, sum(r.pages for r in results), results[-1].values)


def load(
    paths: Paths,
    fetch_dir: Path,
    *,
    run_id: str,
    step: int,
    kpis: Sequence[str] = DEMO_KPIS,
    years: Sequence[int] = DEMO_YEARS,
) -> LoadSummary:
    """A full-refresh load of one fetch (the whole load path without Prefect), published atomically."""
    return load_fetch(
        paths,
        fetch_dir,
        run_id=run_id,
        flow_name="reliability",
        scope={"name": "reliability"},
        as_of=as_of(step),
        value_scope=ValueScope(kpi_ids=list(kpis), years=list(years)),
        watermark=None,
    )


def query(warehouse: Path, sql: str) -> pl.DataFrame:
    """Run one read-only query on the published file."""
    con = connect_readonly(warehouse)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def hashes(warehouse: Path, schemas: Sequence[str] = ("core", "mart")) -> dict[str, str]:
    """checks.table_hashes of the published file."""
    con = connect_readonly(warehouse)
    try:
        return checks.table_hashes(con, schemas)
    finally:
        con.close()


def integrity(warehouse: Path) -> list[str]:
    """checks.integrity_problems of the published file."""
    con = connect_readonly(warehouse)
    try:
        return checks.integrity_problems(con)
    finally:
        con.close()


def sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_values(
    dataset_values: pl.DataFrame, years: Sequence[int] = DEMO_YEARS, kpis: Sequence[str] = DEMO_KPIS
) -> pl.DataFrame:
    """The replay dataset's live values of the KPIs and years, shaped like mart.kpi_value's key + value.

    The replay serves more KPIs than the demo scope; only the loaded ones are expected.
    """
    return dataset_values.filter(
        pl.col("period").is_between(min(years), max(years))
        & pl.col("kpi").is_in(list(kpis))
        & ~pl.col("isdeleted")
    ).select(
        kpi_id="kpi",
        municipality_id="municipality",
        year=pl.col("period").cast(pl.Int32),
        gender="gender",
        expected="value",
    )


def value_mismatches(warehouse: Path, expected: pl.DataFrame) -> tuple[int, int]:
    """(values compared, mismatches): mart.kpi_value against `expected`, exact, keys missing either side."""
    mart = query(warehouse, "SELECT kpi_id, municipality_id, year, gender, value FROM mart.kpi_value")
    joined = mart.with_columns(_in_mart=pl.lit(True)).join(
        expected.with_columns(_in_expected=pl.lit(True)), on=VALUE_KEY, how="full", coalesce=True
    )
    bad = joined.filter(
        pl.col("_in_mart").is_null()
        | pl.col("_in_expected").is_null()
        | pl.col("value").ne_missing(pl.col("expected"))
    )
    return joined.height, bad.height


def build_files(warehouse: Path) -> list[Path]:
    """Leftover build copies (and their WALs) next to the published file."""
    return sorted(warehouse.parent.glob(f"{warehouse.name}.build-*"))


def files_under(root: Path) -> dict[str, str]:
    """Every regular file under root (symlinks not followed) with its sha256, keyed by relative path."""
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
