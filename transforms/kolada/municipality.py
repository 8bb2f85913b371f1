"""The core.municipality dimension: /municipality rows, SKR kommungrupp, and one row per group id."""

from __future__ import annotations

import polars as pl

from schemas.kolada import Municipality
from schemas.validate import validate_split
from transforms.kolada.pages import (
    SOURCE,
    DimResult,
    decode_items,
    reject_unknown_fields,
    require_fields,
)

RIKET_ID = "0000"
REGION_PATTERN = r"^00\d\d$"
GROUP_PATTERN = r"^G"
# SKR kommungrupper (2017 indelning), nine groups that partition the 290 kommuner
KOMMUNGRUPP_GROUP_IDS = tuple(f"G{n}" for n in range(92786, 92795))
UNWEIGHTED_SUFFIX = " (ovägt medel)"
MUNICIPALITY_DTYPE = pl.Struct({"id": pl.String, "title": pl.String, "type": pl.String})
MEMBER_DTYPE = pl.Struct({"member_id": pl.String, "member_title": pl.String})
GROUP_DTYPE = pl.Struct({"id": pl.String, "title": pl.String, "members": pl.List(MEMBER_DTYPE)})
MUNICIPALITY_COLUMNS = (
    "municipality_id",
    "title",
    "type",
    "kind",
    "county_id",
    "kommungrupp_id",
    "kommungrupp_title",
)


def municipality_dimension(municipality_pages: pl.DataFrame, group_pages: pl.DataFrame) -> DimResult:
    """core.municipality rows (kind riket|region|kommun|group) validated once as one table.

    Group rows are validated here as municipality rows; problems inside the groups' member lists are
    reported by transforms.kolada.groups.municipality_groups from the same pages.
    """
    units = decode_items(municipality_pages, MUNICIPALITY_DTYPE, entity="municipality")
    require_fields(units, ("id", "title"), entity="municipality")
    reject_unknown_fields(municipality_pages, MUNICIPALITY_DTYPE, entity="municipality")
    if municipality_pages.height and units.height == 0:
        # group rows alone would make a full snapshot that tombstones every kommun, region and riket
        raise ValueError(
            f"municipality: {municipality_pages.height} /municipality page(s) without a single unit; "
            "refusing to replace the dimension with groups only"
        )
    groups = decode_items(group_pages, GROUP_DTYPE, entity="municipality_group")
    require_fields(groups, ("id", "title"), entity="municipality_group")
    reject_unknown_fields(group_pages, GROUP_DTYPE, entity="municipality_group")

    kind = (
        pl.when(pl.col("id") == RIKET_ID)
        .then(pl.lit("riket"))
        .when(pl.col("id").str.contains(REGION_PATTERN))
        .then(pl.lit("region"))
        .when(pl.col("id").str.contains(GROUP_PATTERN))
        .then(pl.lit("group"))
        .otherwise(pl.lit("kommun"))
    )
    county = (
        pl.when(pl.col("kind") == "kommun")
        .then(pl.col("municipality_id").str.slice(0, 2))
        .when(pl.col("kind") == "region")
        .then(pl.col("municipality_id").str.slice(2, 2))
    )
    unit_rows = units.select(
        municipality_id=pl.col("id"),
        title=pl.col("title"),
        type=pl.col("type"),
        kind=kind,
        _record=pl.col("_item").struct.json_encode(),
    )
    group_rows = groups.select(
        municipality_id=pl.col("id"),
        title=pl.col("title"),
        type=pl.lit(None, pl.String),
        kind=pl.lit("group"),
        _record=pl.struct("id", "title").struct.json_encode(),
    )
    rows = (
        pl.concat([unit_rows, group_rows])
        .with_columns(county_id=county)
        .join(_kommungrupp(groups), on="municipality_id", how="left", maintain_order="left")
        .with_columns(
            # kommungrupp describes kommuner only; a region or group listed as member gets nothing
            pl.when(pl.col("kind") == "kommun").then(pl.col(c)).alias(c)
            for c in ("kommungrupp_id", "kommungrupp_title")
        )
        .select(*MUNICIPALITY_COLUMNS, "_record")
    )
    valid, quarantine = validate_split(
        rows, Municipality, source=SOURCE, entity="municipality", key_cols=["municipality_id"]
    )
    return DimResult(valid, quarantine)


def _kommungrupp(groups: pl.DataFrame) -> pl.DataFrame:
    """municipality_id → kommungrupp_id, kommungrupp_title; a kommun in two groups yields two rows."""
    return (
        groups.filter(pl.col("id").is_in(KOMMUNGRUPP_GROUP_IDS))
        .select("id", "title", "members")
        .explode("members")
        .select(
            municipality_id=pl.col("members").struct.field("member_id"),
            kommungrupp_id=pl.col("id"),
            kommungrupp_title=pl.col("title").str.strip_suffix(UNWEIGHTED_SUFFIX),
        )
        .filter(pl.col("municipality_id").is_not_null())
        .unique(maintain_order=True)
    )
