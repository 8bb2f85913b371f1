"""The core.kpi dimension from /kpi pages (v3 fields; v2 `auspices` and 0/1 flags accepted)."""

from __future__ import annotations

import polars as pl

from schemas.kolada import Kpi
from schemas.validate import validate_split
from transforms.kolada.pages import (
    SOURCE,
    DimResult,
    blank_to_null,
    decode_items,
    parse_bool,
    parse_date,
    parse_error,
    parse_errors,
    reject_unknown_fields,
    require_fields,
)

KPI_FIELDS = (
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "auspice",
    "auspices",
    "operating_area",
    "perspective",
    "prel_publication_date",
    "publication_date",
    "publ_period",
    "has_ou_data",
)
REQUIRED_FIELDS = ("id", "title", "municipality_type")
# v2-only fields, known and deliberately not loaded (v3 dropped them; `definition` was always empty)
IGNORED_FIELDS = ("ou_publication_date", "definition")
KPI_DTYPE = pl.Struct(dict.fromkeys(KPI_FIELDS, pl.String))
# "(-2021)" marks a series discontinued after that year; 14 v3 titles write "(- 2024)", one has it mid-title
DISCONTINUED_PATTERN = r"\(-\s?(\d{4})\)"


def kpi_dimension(pages: pl.DataFrame) -> DimResult:
    """Parse /kpi pages into core.kpi rows (docs/design.md) and quarantine the invalid ones."""
    items = decode_items(pages, KPI_DTYPE, entity="kpi")
    require_fields(items, REQUIRED_FIELDS, entity="kpi")
    reject_unknown_fields(pages, KPI_DTYPE, entity="kpi", ignored=IGNORED_FIELDS)
    divided = parse_bool("is_divided_by_gender")
    has_ou = parse_bool("has_ou_data")
    prel = parse_date("prel_publication_date")
    publ = parse_date("publication_date")
    rows = items.select(
        kpi_id=pl.col("id"),
        title=pl.col("title"),
        description=pl.col("description"),
        is_divided_by_gender=divided,
        municipality_type=pl.col("municipality_type"),
        auspice=pl.coalesce("auspice", "auspices"),
        operating_area=pl.col("operating_area"),
        perspective=pl.col("perspective"),
        prel_publication_date=prel,
        publication_date=publ,
        publ_period=blank_to_null("publ_period"),
        has_ou_data=has_ou,
        discontinued_year=pl.col("title").str.extract(DISCONTINUED_PATTERN, 1).cast(pl.Int32),
        _record=pl.col("_item"),
        _parse_errors=parse_errors(
            parse_error("is_divided_by_gender", divided, "is_divided_by_gender", "parse boolean"),
            parse_error("has_ou_data", has_ou, "has_ou_data", "parse boolean"),
            parse_error("prel_publication_date", prel, "prel_publication_date", "parse date YYYY-MM-DD"),
            parse_error("publication_date", publ, "publication_date", "parse date YYYY-MM-DD"),
        ),
    )
    valid, quarantine = validate_split(rows, Kpi, source=SOURCE, entity="kpi", key_cols=["kpi_id"])
    return DimResult(valid, quarantine)
