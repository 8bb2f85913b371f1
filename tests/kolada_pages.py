"""Build Kolada v3-shaped pages frames (the rawstore.read_pages shape) from the real fixtures.

Only the envelope, the page split and the page timestamp are made up here; every item is real fixture
content. Metadata items are the fixture arrays as stored; data items are rebuilt from the open-numbers
CSVs in the v3 item shape, with the CSV value text copied verbatim into the JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from sources.fixtures import fixtures_dir
from sources.rawstore import PAGES_SCHEMA

BASE_URL = "https://api.kolada.se/v3"
PAGE_SIZE = 5000
# synthetic page timestamp: the day the rKolada v3 snapshot was taken
FETCHED_AT = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
METADATA_FILES = {
    "kpi": "rkolada_sysdata/rkolada_v3_2026-03-23_kpi.json",
    "municipality": "rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json",
    "municipality_groups": "rkolada_sysdata/rkolada_v3_2026-03-23_municipality_groups.json",
    "municipality_groups_v2": "pykolada_v2_2024-01/municipality_groups.json",
    "kpi_groups": "pykolada_v2_2024-01/kpi_groups.json",
    "ou": "pykolada_v2_2024-01_ou/ou.json",
}
OPENNUMBERS = "opennumbers_ddf_kolada_dump"


def kolada_dir() -> Path:
    """The kolada fixtures folder."""
    return fixtures_dir() / "kolada"


def fixture_records(name: str) -> list[dict]:
    """The JSON array of one metadata fixture (key of METADATA_FILES)."""
    return json.loads((kolada_dir() / METADATA_FILES[name]).read_text(encoding="utf-8"))


def pages_frame(
    bodies: Sequence[str], urls: Sequence[str], endpoint: str, fetched_at: datetime = FETCHED_AT
) -> pl.DataFrame:
    """A pages frame from body texts (status 200)."""
    return pl.DataFrame(
        {
            "url": list(urls),
            "fetched_at": [fetched_at] * len(bodies),
            "status": [200] * len(bodies),
            "sha256": [hashlib.sha256(body.encode()).hexdigest() for body in bodies],
            "endpoint": [endpoint] * len(bodies),
            "body": list(bodies),
        },
        schema=PAGES_SCHEMA,
    )


def pages_from_records(
    records: Sequence[dict], endpoint: str, fetched_at: datetime = FETCHED_AT
) -> pl.DataFrame:
    """Wrap records into v3 envelopes of at most PAGE_SIZE items, one page per envelope."""
    chunks = [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
    urls = [f"{BASE_URL}/{endpoint}?page={n + 1}&per_page={PAGE_SIZE}" for n in range(len(chunks))]
    bodies = [
        json.dumps(
            {
                "values": list(chunk),
                "count": len(chunk),
                "next_url": urls[n + 1] if n + 1 < len(chunks) else None,
                "previous_url": urls[n - 1] if n else None,
            },
            ensure_ascii=False,
        )
        for n, chunk in enumerate(chunks)
    ]
    return pages_frame(bodies, urls, endpoint.split("/")[0], fetched_at)


def metadata_pages(name: str, fetched_at: datetime = FETCHED_AT) -> pl.DataFrame:
    """Pages for a metadata endpoint from its fixture (name: key of METADATA_FILES)."""
    return pages_from_records(fixture_records(name), name.removesuffix("_v2"), fetched_at)


def opennumbers_values(kpis: Sequence[str] | None = None) -> pl.DataFrame:
    """Long frame kpi, geo, year, gender, value_text from the open-numbers CSVs (T and K/M files)."""
    base = kolada_dir() / OPENNUMBERS
    frames = []
    for path in sorted(base.glob("datapoints--by--geo*--year/*.csv")):
        kpi = path.name.split("--")[2].upper()
        if kpis is not None and kpi not in kpis:
            continue
        raw = pl.read_csv(path, infer_schema=False)  # every column as text: geo keeps zeros, values verbatim
        gender = pl.col("gender") if "gender" in raw.columns else pl.lit("T")
        frames.append(
            raw.select(
                kpi=pl.lit(kpi),
                geo=pl.col("geo"),
                year=pl.col("year").cast(pl.Int32),
                gender=gender,
                value_text=pl.col(kpi.lower()).str.strip_chars(),
            )
        )
    long = pl.concat(frames)
    empty = pl.col("value_text") == ""
    return long.with_columns(value_text=pl.when(empty).then(None).otherwise("value_text"))


def data_pages(kpis: Sequence[str] | None = None, fetched_at: datetime = FETCHED_AT) -> pl.DataFrame:
    """/data pages, one item per (kpi, municipality, period) with its T/K/M entries, per KPI paged."""
    long = opennumbers_values(kpis)
    entries = long.with_columns(
        entry=pl.format(
            '{{"gender":"{}","count":1,"status":"","value":{},"isdeleted":false}}',
            pl.col("gender"),
            pl.col("value_text").fill_null("null"),
        )
    )
    items = (
        entries.group_by("kpi", "geo", "year", maintain_order=True)
        .agg(entries=pl.col("entry").str.join(","))
        .with_columns(
            item=pl.format(
                '{{"kpi":"{}","municipality":"{}","period":{},"values":[{}]}}',
                "kpi",
                "geo",
                "year",
                "entries",
            ),
            page=pl.int_range(pl.len()).over("kpi") // PAGE_SIZE,
        )
    )
    pages = items.group_by("kpi", "page", maintain_order=True).agg(
        body=pl.col("item").str.join(","), count=pl.len()
    )
    pages = pages.with_columns(
        url=pl.format(f"{BASE_URL}/data/kpi/{{}}?page={{}}&per_page={PAGE_SIZE}", "kpi", pl.col("page") + 1),
    ).with_columns(
        next_url=pl.col("url").shift(-1).over("kpi"),
        previous_url=pl.col("url").shift(1).over("kpi"),
    )
    bodies = pages.select(
        pl.format(
            '{{"values":[{}],"count":{},"next_url":{},"previous_url":{}}}',
            "body",
            "count",
            _json_text("next_url"),
            _json_text("previous_url"),
        )
    ).to_series()
    return pages_frame(bodies.to_list(), pages["url"].to_list(), "data", fetched_at)


def _json_text(column: str) -> pl.Expr:
    """A nullable String column as a JSON literal ("..." or null)."""
    return pl.when(pl.col(column).is_null()).then(pl.lit("null")).otherwise(pl.format('"{}"', pl.col(column)))
