"""SYNTHETIC, seeded Kolada v3 data pages for benchmarks (never real numbers).

Values are random floats (5 % null) for synthetic KPI ids N90000.. over the real 312 unit ids and
years from 1998; items carry genders T, K, M like real gender-divided KPIs. Pages have the exact v3
shape (`values`, `count`, `next_url`, `previous_url`) with 5,000 items each, and are written twice:
as a jamfor raw store (`data.ndjson`, body as text, what the pipeline reads) and as plain NDJSON with
one page object per line (what DuckDB's read_json reads for the ceiling).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from sources.fixtures import fixtures_dir
from sources.rawstore import PAGES_SCHEMA

PER_PAGE = 5000
GENDERS = ("T", "K", "M")
FIRST_YEAR = 1998
SEED = 20261122


# Real metadata catalogues ride along (they are metadata, not values) so dimensions and networks resolve.
METADATA = {
    "kpi": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_kpi.json",
    "municipality": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json",
    "municipality_groups": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality_groups.json",
}


@dataclass(frozen=True)
class SyntheticFetch:
    """Where the synthetic pages were written and how many values they hold."""

    fetch_dir: Path
    pages_ndjson: Path
    kpi_ids: list[str]
    years: list[int]
    values: int
    pages: int


def _write_metadata(fetch_dir: Path, endpoint: str, source: Path, now: datetime) -> None:
    rows = json.loads(source.read_text(encoding="utf-8"))
    lines = []
    for start in range(0, len(rows), PER_PAGE):
        body = json.dumps(
            {
                "values": rows[start : start + PER_PAGE],
                "count": len(rows[start : start + PER_PAGE]),
                "next_url": None,
                "previous_url": None,
            },
            ensure_ascii=False,
        )
        lines.append(
            json.dumps(
                {
                    "url": f"http://127.0.0.1/v3/{endpoint}?page={start // PER_PAGE + 1}",
                    "fetched_at": now.isoformat(),
                    "status": 200,
                    "sha256": hashlib.sha256(body.encode()).hexdigest(),
                    "endpoint": endpoint,
                    "body": body,
                },
                ensure_ascii=False,
            )
        )
    (fetch_dir / f"{endpoint}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")


def unit_ids() -> list[str]:
    """The real 312 Kolada unit ids (kommuner, regions, Riket) from the v3 fixture."""
    path = fixtures_dir() / "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json"
    return [row["id"] for row in json.loads(path.read_text(encoding="utf-8"))]


def value_frame(n_values: int, *, seed: int = SEED, years: int = 25, revision: int = 0) -> pl.DataFrame:
    """One row per synthetic value (kpi, municipality, period, gender, value), about n_values rows.

    `revision` > 0 changes a seeded 1 % of values (for incremental benchmarks).
    """
    units = unit_ids()
    per_kpi = len(units) * years * len(GENDERS)
    n_kpis = max(1, -(-n_values // per_kpi))
    rng = np.random.default_rng(seed)
    kpi = np.repeat(np.arange(n_kpis), per_kpi)[:n_values]
    rest = np.tile(np.arange(per_kpi), n_kpis)[:n_values]
    value = np.round(rng.gamma(2.0, 20.0, n_values), 3)
    null = rng.random(n_values) < 0.05
    if revision:
        changed = np.random.default_rng(seed + revision).random(n_values) < 0.01
        value = np.where(changed, value + 1.0, value)
    frame = pl.DataFrame(
        {
            "kpi_no": kpi,
            "unit_no": rest // (years * len(GENDERS)) % len(units),
            "period": (FIRST_YEAR + (rest // len(GENDERS)) % years).astype(np.int32),
            "gender_no": rest % len(GENDERS),
            "value": value,
            "null": null,
        }
    )
    return frame.select(
        pl.format("N9{}", pl.col("kpi_no").cast(pl.String).str.zfill(4)).alias("kpi"),
        pl.col("unit_no")
        .replace_strict(list(range(len(units))), units, return_dtype=pl.String)
        .alias("municipality"),
        "period",
        pl.col("gender_no").replace_strict([0, 1, 2], list(GENDERS), return_dtype=pl.String).alias("gender"),
        pl.when(pl.col("null")).then(None).otherwise(pl.col("value")).alias("value"),
    )


def write_fetch(values: pl.DataFrame, root: Path, fetch_id: str = "synthetic") -> SyntheticFetch:
    """Write the values as v3 data pages: a raw store fetch dir and a plain page NDJSON."""
    items = (
        values.with_columns(
            pl.struct(
                "gender",
                pl.lit(1).alias("count"),
                pl.lit("").alias("status"),
                "value",
                pl.lit(False).alias("isdeleted"),
            ).alias("v")
        )
        .group_by("kpi", "period", "municipality", maintain_order=True)
        .agg(pl.col("v").alias("values"))
        .with_row_index("i")
        .with_columns((pl.col("i") // PER_PAGE).alias("page"))
        .with_columns(pl.struct("kpi", "municipality", "period", "values").struct.json_encode().alias("item"))
    )
    pages = items.group_by("page", maintain_order=True).agg(
        pl.col("item").str.join(",").alias("joined"), pl.len().alias("count")
    )
    n_pages = pages.height
    base = "http://127.0.0.1/v3/data/kpi/synthetic/year/synthetic?per_page=5000"
    next_urls = [f"{base}&page={p + 2}" if p + 1 < n_pages else None for p in range(n_pages)]
    bodies = pages.select(
        pl.concat_str(
            pl.lit('{"values":['),
            "joined",
            pl.lit('],"count":'),
            pl.col("count").cast(pl.String),
            pl.lit(',"next_url":'),
        ).alias("head"),
    )["head"].to_list()
    bodies = [
        h + (json.dumps(u) if u else "null") + ',"previous_url":null}'
        for h, u in zip(bodies, next_urls, strict=True)
    ]
    fetch_dir = root / "raw" / "kolada" / fetch_id
    fetch_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    pages_frame = pl.DataFrame(
        {
            "url": [f"{base}&page={p + 1}" for p in range(n_pages)],
            "fetched_at": [now] * n_pages,
            "status": [200] * n_pages,
            "sha256": [hashlib.sha256(b.encode()).hexdigest() for b in bodies],
            "endpoint": ["data"] * n_pages,
            "body": bodies,
        },
        schema_overrides=dict(PAGES_SCHEMA),
    )
    pages_frame.with_columns(pl.col("fetched_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")).write_ndjson(
        fetch_dir / "data.ndjson"
    )
    for endpoint, path in METADATA.items():
        _write_metadata(fetch_dir, endpoint, fixtures_dir() / path, now)
    plain = root / "pages.ndjson"
    plain.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    return SyntheticFetch(
        fetch_dir=fetch_dir,
        pages_ndjson=plain,
        kpi_ids=values["kpi"].unique().sort().to_list(),
        years=values["period"].unique().sort().to_list(),
        values=values.height,
        pages=n_pages,
    )
