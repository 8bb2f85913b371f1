"""Municipality groups (with family, Liknande-kommuner area/anchor/vintage) and KPI groups."""

from __future__ import annotations

import logging
from typing import NamedTuple

import polars as pl

from schemas.kolada import KpiGroupMember, MunicipalityGroupMember
from schemas.validate import validate_split
from transforms.kolada.municipality import GROUP_DTYPE, KOMMUNGRUPP_GROUP_IDS
from transforms.kolada.pages import (
    SOURCE,
    decode_items,
    parse_errors,
    reject_unknown_fields,
    require_fields,
)

# "Liknande kommuner IFO, Arboga, 2024", "Liknande kommuner, övergripande, Ale, 2025",
# "Liknande regioner, hälso- och sjukvård (inkl läkemedel), Region Stockholm, 2024"
LIKNANDE_PREFIX = r"^Liknande (kommuner|regioner)\b"
LIKNANDE_PATTERN = r"^Liknande (?:kommuner|regioner),?\s+(?<area>[^,]+?),\s*(?<anchor>.+?),\s*(?<year>\d{4})$"
VINTAGE_PATTERN = r",\s*(\d{4})$"
LAN_PATTERN = r"^\S.* läns kommuner\b"
SIZE_PATTERN = r"^Kommuner med .*invånare\b"
ALL_PATTERN = r"^Alla (kommuner|regioner)\b"
ANCHOR_KINDS = ("kommun", "region")
# /kpi_groups items have the same shape as /municipality_groups items (kolada_v3.md §4.4)
KPI_GROUP_DTYPE = GROUP_DTYPE

logger = logging.getLogger(__name__)


class _GroupFrames(NamedTuple):
    groups: pl.DataFrame
    members: pl.DataFrame
    quarantine: pl.DataFrame


class GroupsResult(_GroupFrames):
    """Unpacks as (core.municipality_group, core.municipality_group_member, quarantine); `.warnings`
    lists the Liknande groups whose anchor could not be resolved."""

    warnings: list[str]

    def __new__(
        cls, groups: pl.DataFrame, members: pl.DataFrame, quarantine: pl.DataFrame, warnings: list[str]
    ) -> GroupsResult:
        result = super().__new__(cls, groups, members, quarantine)
        result.warnings = warnings
        return result


class KpiGroupsResult(NamedTuple):
    """core.kpi_group, core.kpi_group_member and the quarantine."""

    groups: pl.DataFrame
    members: pl.DataFrame
    quarantine: pl.DataFrame


def municipality_groups(group_pages: pl.DataFrame, municipality_dim: pl.DataFrame) -> GroupsResult:
    """Validate exploded group memberships once; derive group families and Liknande-kommuner details.

    Anchors are resolved against the titles of kommuner and regions in `municipality_dim`; a name that
    matches none (or several) keeps the group with a null anchor and is reported in `warnings`.
    """
    members = _exploded(group_pages, GROUP_DTYPE, entity="municipality_group")
    rows = members.select(
        group_id=pl.col("id"),
        title=pl.col("title"),
        member_id=pl.col("member_id"),
        member_title=pl.col("member_title"),
        _record=pl.col("_record"),
        _parse_errors=pl.col("_parse_errors"),
    )
    valid, quarantine = validate_split(
        rows,
        MunicipalityGroupMember,
        source=SOURCE,
        entity="municipality_group",
        key_cols=["group_id", "member_id"],
    )
    groups = _classify(valid.select("group_id", "title").unique("group_id", maintain_order=True))
    anchors = (
        municipality_dim.filter(pl.col("kind").is_in(ANCHOR_KINDS))
        .filter(pl.col("title").is_unique())
        .select(_anchor_name=pl.col("title"), anchor_municipality_id=pl.col("municipality_id"))
    )
    groups = groups.join(anchors, on="_anchor_name", how="left", maintain_order="left")
    unresolved = groups.filter(
        pl.col("family") == "liknande", pl.col("anchor_municipality_id").is_null()
    ).select(
        pl.format(
            "{} '{}': anchor '{}' matches no single kommun/region title",
            "group_id",
            "title",
            pl.col("_anchor_name").fill_null("<title not parsed>"),
        )
    )
    member_frame = valid.filter(pl.col("member_id").is_not_null()).drop("title")
    warnings = unresolved.to_series().to_list()
    if warnings:
        # the flow may not read .warnings, so say it once in the log as well
        logger.warning("%d Liknande group anchor(s) unresolved, e.g. %s", len(warnings), warnings[0])
    return GroupsResult(
        groups=groups.select("group_id", "title", "family", "area", "anchor_municipality_id", "vintage_year"),
        members=member_frame,
        quarantine=quarantine,
        warnings=warnings,
    )


def kpi_groups(pages: pl.DataFrame) -> KpiGroupsResult:
    """Validate exploded /kpi_groups memberships once; return core.kpi_group and core.kpi_group_member."""
    members = _exploded(pages, KPI_GROUP_DTYPE, entity="kpi_group")
    rows = members.select(
        kpi_group_id=pl.col("id"),
        title=pl.col("title"),
        kpi_id=pl.col("member_id"),
        member_title=pl.col("member_title"),
        _record=pl.col("_record"),
        _parse_errors=pl.col("_parse_errors"),
    )
    valid, quarantine = validate_split(
        rows, KpiGroupMember, source=SOURCE, entity="kpi_group", key_cols=["kpi_group_id", "kpi_id"]
    )
    return KpiGroupsResult(
        groups=valid.select("kpi_group_id", "title").unique("kpi_group_id", maintain_order=True),
        members=valid.filter(pl.col("kpi_id").is_not_null()).select("kpi_group_id", "kpi_id", "member_title"),
        quarantine=quarantine,
    )


def _exploded(pages: pl.DataFrame, dtype: pl.Struct, *, entity: str) -> pl.DataFrame:
    """One row per (group, member); a group without members keeps one row with null member fields.

    A member entry that is null or lacks member_id is not "no members": it gets a `_parse_errors`
    reason, so that validation quarantines it instead of the group silently losing a member.
    """
    groups = decode_items(pages, dtype, entity=entity)
    require_fields(groups, ("id", "title"), entity=entity)
    reject_unknown_fields(pages, dtype, entity=entity)
    listed = pl.col("_listed") > 0
    member = pl.col("members")
    return (
        groups.select("id", "title", "members", _listed=pl.col("members").list.len())
        .explode("members", empty_as_null=True)
        .with_columns(
            pl.col("members").struct.unnest(),
            _record=pl.struct("id", "title", pl.concat_list("members").alias("members")),
            _parse_errors=parse_errors(
                pl.when(listed & member.is_null()).then(pl.lit("members: null member entry")),
                pl.when(member.is_not_null() & member.struct.field("member_id").is_null()).then(
                    pl.lit("member_id: missing in a member entry")
                ),
            ),
        )
        .drop("members", "_listed")
    )


def _classify(groups: pl.DataFrame) -> pl.DataFrame:
    """Add family, area, vintage_year and the helper `_anchor_name` from id and title."""
    title = pl.col("title")
    liknande = title.str.contains(LIKNANDE_PREFIX)
    parts = title.str.extract_groups(LIKNANDE_PATTERN)
    family = (
        pl.when(liknande)
        .then(pl.lit("liknande"))
        .when(pl.col("group_id").is_in(KOMMUNGRUPP_GROUP_IDS))
        .then(pl.lit("kommungrupp"))
        .when(title.str.contains(LAN_PATTERN))
        .then(pl.lit("lan"))
        .when(title.str.contains(SIZE_PATTERN))
        .then(pl.lit("size"))
        .when(title.str.contains(ALL_PATTERN))
        .then(pl.lit("all"))
        .otherwise(pl.lit("other"))
    )
    return groups.with_columns(
        family=family,
        area=pl.when(liknande).then(parts.struct.field("area")),
        vintage_year=title.str.extract(VINTAGE_PATTERN, 1).cast(pl.Int32),
        _anchor_name=pl.when(liknande).then(parts.struct.field("anchor")),
    )
