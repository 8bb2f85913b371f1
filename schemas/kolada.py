"""Pandera (polars) models for Kolada rows: the validated inputs and the core frames of docs/design.md.

A core frame's model has the columns of its model file's `frame` (models/core/<table>.yml) and takes
its natural key from it; tests/schemas/test_catalogue_contracts.py keeps the columns equal.

Each model is strict (no extra columns, exact dtypes, no coercion): transforms parse leniently first and
then validate the typed frame once with `schemas.validate.validate_split`. Custom checks are vectorised
Polars expressions.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

from models.catalogue import table
from schemas.ids import (
    COUNTY_ID_BODY,
    GROUP_ID_BODY,
    KPI_GROUP_ID_BODY,
    KPI_ID,
    MUNICIPALITY_ID_BODY,
    OU_ID_BODY,
    OU_TYPE_BODY,
    YEAR_MAX,
    YEAR_MIN,
    YEAR_TEXT_BODY,
    anchored,
)

MUNICIPALITY_ID = anchored(MUNICIPALITY_ID_BODY)
GROUP_ID = anchored(GROUP_ID_BODY)
UNIT_ID = anchored(f"{MUNICIPALITY_ID_BODY}|{GROUP_ID_BODY}")
KPI_GROUP_ID = anchored(KPI_GROUP_ID_BODY)
OU_ID = anchored(OU_ID_BODY)
OU_TYPE = anchored(OU_TYPE_BODY)
COUNTY_ID = anchored(COUNTY_ID_BODY)
YEAR_TEXT = anchored(YEAR_TEXT_BODY)

GENDERS = ("T", "K", "M")
MUNICIPALITY_TYPES = ("K", "L")
KPI_MUNICIPALITY_TYPES = ("K", "L", "A")
MUNICIPALITY_KINDS = ("kommun", "region", "riket", "group")
# design.md lists liknande|kommungrupp|lan|network|other; size and all are finer families of "other".
GROUP_FAMILIES = ("liknande", "kommungrupp", "lan", "size", "all", "network", "other")

# Typical UTF-8-read-as-cp1252 sequences for ä ö å Ä Ö Å é (kolada_v3.md §3: double-encoded titles).
MOJIBAKE_MARKERS = ("Ã¤", "Ã¶", "Ã¥", "Ã„", "Ã–", "Ã…", "Ã©")
# The same bytes read as ISO-8859-1 (requests' default for text/* without a charset) give "Ã" and a
# character of U+0080..U+00BF, e.g. "Ã\x84" for Ä; no Swedish text contains "Ã" followed by one of those.
MOJIBAKE_PATTERN = "Ã[\u0080-\u00bf\u201e\u2013\u2026\u2030]"

UtcDatetime = Annotated[pl.Datetime, "us", "UTC"]


class _KoladaModel(pa.DataFrameModel):
    """Shared strictness and the mojibake check on every `title`/`*_title` column."""

    # pandera names a check after its method once the model is reused, so method name == check name
    @pa.check(r"^(.*_)?title$", regex=True, name="no_mojibake")
    def no_mojibake(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.col(data.key).str.contains(MOJIBAKE_PATTERN).fill_null(False))

    class Config:
        strict = True
        coerce = False


class DataValue(_KoladaModel):
    """One Kolada value: (kpi, municipality or group, year, gender), the `valid` frame of flatten_values."""

    kpi_id: str = pa.Field(str_matches=KPI_ID)
    municipality_id: str = pa.Field(str_matches=UNIT_ID)
    year: pl.Int32 = pa.Field(ge=YEAR_MIN, le=YEAR_MAX)
    gender: str = pa.Field(isin=GENDERS)
    value: pl.Float64 = pa.Field(nullable=True)
    count: pl.Int64 = pa.Field(nullable=True, ge=0)
    status: str = pa.Field(nullable=True)
    is_deleted: pl.Boolean
    is_preliminary: pl.Boolean
    fetched_at: UtcDatetime
    source: str

    @pa.check("value", name="finite")
    def finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # "NaN", "inf" or 1e400 parse as floats; none of them is a figure Kolada can publish
        return data.lazyframe.select(pl.col(data.key).is_finite().fill_null(True))

    class Config:
        unique = table("core.kpi_value_history").key


class OuDataValue(_KoladaModel):
    """One Kolada OU value (/oudata): like DataValue with `ou_id` in place of `municipality_id`."""

    kpi_id: str = pa.Field(str_matches=KPI_ID)
    ou_id: str = pa.Field(str_matches=OU_ID)
    year: pl.Int32 = pa.Field(ge=YEAR_MIN, le=YEAR_MAX)
    gender: str = pa.Field(isin=GENDERS)
    value: pl.Float64 = pa.Field(nullable=True)
    count: pl.Int64 = pa.Field(nullable=True, ge=0)
    status: str = pa.Field(nullable=True)
    is_deleted: pl.Boolean
    is_preliminary: pl.Boolean
    fetched_at: UtcDatetime
    source: str

    @pa.check("value", name="finite")
    def finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_finite().fill_null(True))

    class Config:
        unique = ("kpi_id", "ou_id", "year", "gender")


class Kpi(_KoladaModel):
    """A KPI from /kpi after lenient parsing; also the core.kpi frame."""

    kpi_id: str = pa.Field(str_matches=KPI_ID)
    title: str
    description: str = pa.Field(nullable=True)
    is_divided_by_gender: pl.Boolean
    municipality_type: str = pa.Field(isin=KPI_MUNICIPALITY_TYPES)
    auspice: str = pa.Field(nullable=True)
    operating_area: str = pa.Field(nullable=True)
    perspective: str = pa.Field(nullable=True)
    prel_publication_date: pl.Date = pa.Field(nullable=True)
    publication_date: pl.Date = pa.Field(nullable=True)
    publ_period: str = pa.Field(nullable=True, str_matches=YEAR_TEXT)
    # only a hint; v2 left it null for some KPIs, and an unknown hint is no reason to drop a KPI
    has_ou_data: pl.Boolean = pa.Field(nullable=True)
    discontinued_year: pl.Int32 = pa.Field(nullable=True, ge=YEAR_MIN, le=YEAR_MAX)

    class Config:
        unique = table("core.kpi").key


class Municipality(_KoladaModel):
    """The core.municipality frame: /municipality rows plus one row per municipality group."""

    municipality_id: str = pa.Field(str_matches=UNIT_ID)
    title: str
    type: str = pa.Field(nullable=True, isin=MUNICIPALITY_TYPES)
    kind: str = pa.Field(isin=MUNICIPALITY_KINDS)
    county_id: str = pa.Field(nullable=True, str_matches=COUNTY_ID)
    kommungrupp_id: str = pa.Field(nullable=True, str_matches=GROUP_ID)
    kommungrupp_title: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="type_null_only_for_groups")
    def type_null_only_for_groups(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("kind") == "group") == pl.col("type").is_null())

    class Config:
        unique = table("core.municipality").key


class MunicipalityGroupMember(_KoladaModel):
    """One exploded /municipality_groups row; member columns are null for a group without members."""

    group_id: str = pa.Field(str_matches=GROUP_ID)
    title: str
    member_id: str = pa.Field(nullable=True, str_matches=MUNICIPALITY_ID)
    member_title: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="one_title_per_group_id")
    def one_title_per_group_id(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("title").n_unique().over("group_id") == 1)

    class Config:
        unique = ("group_id", "member_id")


class KpiGroupMember(_KoladaModel):
    """One exploded /kpi_groups row; member columns are null for a group without members."""

    kpi_group_id: str = pa.Field(str_matches=KPI_GROUP_ID)
    title: str
    kpi_id: str = pa.Field(nullable=True, str_matches=KPI_ID)
    member_title: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="one_title_per_kpi_group_id")
    def one_title_per_kpi_group_id(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("title").n_unique().over("kpi_group_id") == 1)

    class Config:
        unique = ("kpi_group_id", "kpi_id")


class Ou(_KoladaModel):
    """An organisational unit from /ou; also the core.ou frame."""

    ou_id: str = pa.Field(str_matches=OU_ID)
    municipality_id: str = pa.Field(str_matches=MUNICIPALITY_ID)
    title: str
    ou_type: str = pa.Field(str_matches=OU_TYPE)

    class Config:
        unique = table("core.ou").key


class CoreMunicipalityGroup(_KoladaModel):
    """The core.municipality_group frame."""

    group_id: str = pa.Field(str_matches=GROUP_ID)
    title: str
    family: str = pa.Field(isin=GROUP_FAMILIES)
    area: str = pa.Field(nullable=True)
    anchor_municipality_id: str = pa.Field(nullable=True, str_matches=MUNICIPALITY_ID)
    vintage_year: pl.Int32 = pa.Field(nullable=True, ge=YEAR_MIN, le=YEAR_MAX)

    class Config:
        unique = table("core.municipality_group").key


class CoreMunicipalityGroupMember(_KoladaModel):
    """The core.municipality_group_member frame."""

    group_id: str = pa.Field(str_matches=GROUP_ID)
    member_id: str = pa.Field(str_matches=MUNICIPALITY_ID)
    member_title: str = pa.Field(nullable=True)

    class Config:
        unique = table("core.municipality_group_member").key


class CoreKpiGroup(_KoladaModel):
    """The core.kpi_group frame."""

    kpi_group_id: str = pa.Field(str_matches=KPI_GROUP_ID)
    title: str

    class Config:
        unique = table("core.kpi_group").key


class CoreKpiGroupMember(_KoladaModel):
    """The core.kpi_group_member frame."""

    kpi_group_id: str = pa.Field(str_matches=KPI_GROUP_ID)
    kpi_id: str = pa.Field(str_matches=KPI_ID)
    member_title: str = pa.Field(nullable=True)

    class Config:
        unique = table("core.kpi_group_member").key


class Quarantine(pa.DataFrameModel):
    """Rows rejected by validation, appended by the warehouse to meta.quarantine."""

    source: str
    entity: str
    natural_key: str
    record: str
    failed_check: str

    class Config:
        strict = True
        coerce = False


CORE_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "value": DataValue,
    "ou_value": OuDataValue,
    "kpi": Kpi,
    "municipality": Municipality,
    "municipality_group": CoreMunicipalityGroup,
    "municipality_group_member": CoreMunicipalityGroupMember,
    "kpi_group": CoreKpiGroup,
    "kpi_group_member": CoreKpiGroupMember,
    "ou": Ou,
}
