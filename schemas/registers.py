"""Pandera (polars) models for the frames loaded from files: population, register values, network measures.

Strict like schemas.kolada: exact dtypes, no extra columns, no coercion. Each model is the core
table's frame (models/core/<table>.yml; tests/schemas/test_catalogue_contracts.py keeps them equal),
validated once with `schemas.validate.validate_split`. The natural keys come from the models.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from models.catalogue import table
from schemas.ids import YEAR_MAX, YEAR_MIN

MUNICIPALITY_ID = r"^\d{4}$"
PERIOD = r"^\d{4}(-(0[1-9]|1[0-2]))?$"
SEXES = ("T", "K", "M")
STATUSES = ("ok", "suppressed", "not_reported", "not_applicable", "missing")
DIRECTIONS = ("higher", "lower", "neutral")


class _FileModel(pa.DataFrameModel):
    """Shared: a value is present exactly when the status is 'ok' (markers never become numbers)."""

    class Config:
        strict = True
        coerce = False


def _value_matches_status(value_col: str) -> pl.Expr:
    return pl.col(value_col).is_not_null() == (pl.col("status") == "ok")


class Population(_FileModel):
    """One population figure: table, region, period, sex and age group (core.population)."""

    source_table: str = pa.Field(str_length={"min_value": 1})
    contents_code: str = pa.Field(nullable=True)
    municipality_id: str = pa.Field(str_matches=MUNICIPALITY_ID)
    region_code: str
    period: str = pa.Field(str_matches=PERIOD)
    year: pl.Int32 = pa.Field(ge=YEAR_MIN, le=YEAR_MAX)
    month: pl.Int32 = pa.Field(nullable=True, ge=1, le=12)
    sex: str = pa.Field(isin=SEXES)
    age: str = pa.Field(str_length={"min_value": 1})
    population: pl.Int64 = pa.Field(nullable=True, ge=0)
    status: str = pa.Field(isin=STATUSES)

    @pa.dataframe_check(name="population_present_iff_status_ok")
    def population_present_iff_status_ok(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_value_matches_status("population"))

    class Config:
        unique = table("core.population").key


class RegisterValue(_FileModel):
    """One register value: source, measure, region, period and breakdown (core.register_value)."""

    source: str = pa.Field(isin=("socialstyrelsen", "scb"))
    measure: str = pa.Field(str_length={"min_value": 1})
    municipality_id: str = pa.Field(str_matches=MUNICIPALITY_ID)
    region: str
    period: str = pa.Field(str_matches=PERIOD)
    year: pl.Int32 = pa.Field(ge=YEAR_MIN, le=YEAR_MAX)
    month: pl.Int32 = pa.Field(nullable=True, ge=1, le=12)
    breakdown: str
    value: pl.Float64 = pa.Field(nullable=True)
    status: str = pa.Field(isin=STATUSES)

    @pa.dataframe_check(name="value_present_iff_status_ok")
    def value_present_iff_status_ok(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_value_matches_status("value"))

    class Config:
        unique = table("core.register_value").key


class NetworkMeasure(_FileModel):
    """One value of a comparison network's own measure (core.network_measure)."""

    network: str = pa.Field(str_matches=r"^\S(.*\S)?$")
    measure_id: str = pa.Field(str_matches=r"^\S(.*\S)?$")
    measure_title: str = pa.Field(nullable=True)
    municipality_id: str = pa.Field(str_matches=MUNICIPALITY_ID)
    period: str = pa.Field(str_matches=PERIOD)
    year: pl.Int32 = pa.Field(ge=YEAR_MIN, le=YEAR_MAX)
    month: pl.Int32 = pa.Field(nullable=True, ge=1, le=12)
    value: pl.Float64 = pa.Field(nullable=True)
    status: str = pa.Field(isin=STATUSES)
    unit: str = pa.Field(nullable=True)
    direction: str = pa.Field(nullable=True, isin=DIRECTIONS)
    note: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="value_present_iff_status_ok")
    def value_present_iff_status_ok(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_value_matches_status("value"))

    class Config:
        unique = table("core.network_measure").key


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "core.population": Population,
    "core.register_value": RegisterValue,
    "core.network_measure": NetworkMeasure,
}
# each target's natural key, from its model (models/core/<table>.yml)
KEYS: dict[str, tuple[str, ...]] = {target: table(target).key for target in MODELS}
