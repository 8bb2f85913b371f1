"""Warehouse test frames built from the real fixtures, shaped exactly like the design.md contracts.

Values come from the open-numbers dump of Kolada v2 (`geo` read as a string to keep leading zeros);
that dump kept neither `count` nor `status`, so count is NULL and status "" (what v2 sent). KPI and
municipality dimensions come from rKolada's v3 snapshot. Nothing here invents a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sources.fixtures import fixtures_dir
from warehouse.ddl import ensure_schema
from warehouse.history import VALUE_FRAME_SCHEMA

# When the open-numbers scrape ran (PROVENANCE: raw datapoints 2024-08-30); used as fetched_at.
SCRAPED_AT = datetime(2024, 8, 30, tzinfo=UTC)
KOMMUNGRUPP_IDS = [f"G9278{i}" for i in range(6, 10)] + [f"G9279{i}" for i in range(5)]


def _dump() -> Path:
    return fixtures_dir() / "kolada" / "opennumbers_ddf_kolada_dump"


def _sysdata(name: str) -> Path:
    return fixtures_dir() / "kolada" / "rkolada_sysdata" / name


def _read_value_file(path: Path, gendered: bool) -> pl.DataFrame:
    kpi = path.name.split("--")[2]
    frame = pl.read_csv(path, schema_overrides={"geo": pl.String, "year": pl.Int32, kpi: pl.Float64})
    return frame.select(
        pl.lit(kpi.upper()).alias("kpi_id"),
        pl.col("geo").alias("municipality_id"),
        pl.col("year"),
        (pl.col("gender") if gendered else pl.lit("T")).alias("gender"),
        pl.col(kpi).alias("value"),
    )


def load_values(kpis: list[str] | None = None) -> pl.DataFrame:
    """The fixture values as a contract values frame (optionally only some KPIs, lower-case ids)."""
    parts = []
    for folder, gendered in (
        ("datapoints--by--geo--year", False),
        ("datapoints--by--geo--gender--year", True),
    ):
        for path in sorted((_dump() / folder).glob("*.csv")):
            if kpis is None or path.name.split("--")[2] in kpis:
                parts.append(_read_value_file(path, gendered))
    return (
        pl.concat(parts)
        .with_columns(
            count=pl.lit(None, pl.Int64),
            status=pl.lit(""),
            is_deleted=pl.lit(False),
            is_preliminary=pl.lit(False),
            fetched_at=pl.lit(SCRAPED_AT).dt.cast_time_unit("us").dt.replace_time_zone("UTC"),
            source=pl.lit("kolada"),
        )
        .select(list(VALUE_FRAME_SCHEMA))
        .sort("kpi_id", "municipality_id", "year", "gender")
    )


@pytest.fixture(scope="session")
def all_values() -> pl.DataFrame:
    return load_values()


@pytest.fixture(scope="session")
def small_values() -> pl.DataFrame:
    """Three KPIs: N31807 (type A, T only), U30452 (many NULL values, K/M), N21701 (K/M)."""
    return load_values(["n31807", "u30452", "n21701"])


@pytest.fixture(scope="session")
def kpi_frame() -> pl.DataFrame:
    raw = pl.read_json(_sysdata("rkolada_v3_2026-03-23_kpi.json"))
    return raw.select(
        pl.col("id").alias("kpi_id"),
        "title",
        "description",
        "is_divided_by_gender",
        "municipality_type",
        "auspice",
        "operating_area",
        "perspective",
        pl.col("prel_publication_date").str.to_date(),
        pl.col("publication_date").str.to_date(),
        "publ_period",
        "has_ou_data",
        pl.col("title").str.extract(r"\(-(\d{4})\)\s*$").cast(pl.Int32).alias("discontinued_year"),
    )


@pytest.fixture(scope="session")
def municipality_frame() -> pl.DataFrame:
    units = pl.read_json(_sysdata("rkolada_v3_2026-03-23_municipality.json"))
    groups = pl.read_json(_sysdata("rkolada_v3_2026-03-23_municipality_groups.json"))
    kommungrupp = (
        groups.filter(pl.col("id").is_in(KOMMUNGRUPP_IDS))
        .explode("members")
        .select(
            pl.col("members").struct.field("member_id").alias("municipality_id"),
            pl.col("id").alias("kommungrupp_id"),
            pl.col("title").alias("kommungrupp_title"),
        )
    )
    kind = (
        pl.when(pl.col("id") == "0000")
        .then(pl.lit("riket"))
        .when(pl.col("type") == "L")
        .then(pl.lit("region"))
        .otherwise(pl.lit("kommun"))
    )
    county = (
        pl.when(kind == "kommun")
        .then(pl.col("id").str.slice(0, 2))
        .when(kind == "region")
        .then(pl.col("id").str.slice(2, 2))
    )
    return units.select(
        pl.col("id").alias("municipality_id"), "title", "type", kind.alias("kind"), county.alias("county_id")
    ).join(kommungrupp, on="municipality_id", how="left")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the full schema."""
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    yield connection
    connection.close()
