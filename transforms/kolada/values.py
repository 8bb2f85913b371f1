"""Flatten Kolada /data and /oudata pages into one validated row per (kpi, unit, year, gender)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

import polars as pl

from models.catalogue import table
from schemas.ids import KPI_ID
from schemas.kolada import UNIT_ID as UNIT_ID_PATTERN
from schemas.kolada import DataValue, OuDataValue
from schemas.validate import validate_split

if TYPE_CHECKING:  # the models are passed in; validation itself happens in schemas.validate
    import pandera.polars as pa
from transforms.kolada.pages import (
    SOURCE,
    decode_items,
    parse_bool,
    parse_int,
    reject_unknown_fields,
    require_fields,
    sparse_parse_errors,
)

# Kolada publishes on Swedish calendar days, so "fetched before the publication date" uses local dates.
KOLADA_TIMEZONE = "Europe/Stockholm"
KPI_META_COLUMNS = ("kpi_id", "prel_publication_date", "publication_date", "publ_period")
# the values frame after its two id columns (kpi_id and the unit id, named per endpoint)
VALUE_COLUMNS = table("core.kpi_value_history").frame[2:]
ENTRY_DTYPE = pl.Struct(
    {"gender": pl.String, "count": pl.String, "status": pl.String, "value": pl.String, "isdeleted": pl.String}
)


@dataclass(frozen=True)
class ValuesResult:
    """Valid value rows, quarantined rows and the number of value entries read (rows_in)."""

    valid: pl.DataFrame
    quarantine: pl.DataFrame
    rows_in: int


def flatten_values(pages: pl.DataFrame, kpi_meta: pl.DataFrame | None) -> ValuesResult:
    """Flatten /data pages: columns kpi_id, municipality_id, year, gender, value, count, status,
    is_deleted, is_preliminary, fetched_at, source (docs/design.md)."""
    return _flatten(pages, kpi_meta, unit_field="municipality", unit_col="municipality_id", model=DataValue)


def flatten_ou_values(pages: pl.DataFrame, kpi_meta: pl.DataFrame | None) -> ValuesResult:
    """Flatten /oudata pages: as flatten_values with `ou_id` in place of `municipality_id`."""
    return _flatten(pages, kpi_meta, unit_field="ou", unit_col="ou_id", model=OuDataValue)


def _flatten(
    pages: pl.DataFrame,
    kpi_meta: pl.DataFrame | None,
    *,
    unit_field: str,
    unit_col: str,
    model: type[pa.DataFrameModel],
) -> ValuesResult:
    """Decode, explode to value entries, parse leniently, flag preliminary values, validate once."""
    item_dtype = pl.Struct(
        {"kpi": pl.String, unit_field: pl.String, "period": pl.String, "values": pl.List(ENTRY_DTYPE)}
    )
    items = decode_items(pages, item_dtype, entity="value")
    require_fields(items, ("kpi", unit_field, "period"), entity="value")
    reject_unknown_fields(pages, item_dtype, entity="value")
    # an item with an empty values list stays as one null entry so that it is quarantined, not lost
    entries = items.drop("_item").explode("values", empty_as_null=True)
    entries = entries.with_columns(
        pl.col("values").struct.unnest(),
        # the raw item narrowed to this one value entry
        _record=pl.struct("kpi", unit_field, "period", pl.concat_list("values").alias("values")),
    ).drop("values")
    year = parse_int("period", pl.Int32)
    value = pl.col("value").cast(pl.Float64, strict=False)
    count = parse_int("count")
    is_deleted = parse_bool("isdeleted")
    typed = entries.select(
        kpi_id=pl.col("kpi"),
        **{unit_col: pl.col(unit_field)},
        year=year,
        gender=pl.col("gender"),
        value=value,
        count=count,
        status=pl.col("status"),
        is_deleted=is_deleted,
        fetched_at=pl.col("fetched_at"),
        source=pl.lit(SOURCE),
        _record=pl.col("_record"),
    )
    checks = [
        ("period", year, "year", "parse integer year"),
        ("value", value, "value", "parse number"),
        ("count", count, "count", "parse integer"),
        ("isdeleted", is_deleted, "is_deleted", "parse boolean"),
    ]
    # a row can only have failed to parse where some raw field is set and its parsed column is null
    candidates = reduce(
        or_, (entries[raw].is_not_null() & typed[target].is_null() for raw, _, target, _ in checks)
    )
    typed = typed.with_columns(sparse_parse_errors(entries, checks, candidates))
    flagged = _with_preliminary(typed, kpi_meta)
    ordered = flagged.select("kpi_id", unit_col, *VALUE_COLUMNS, "_record", "_parse_errors")
    valid, quarantine = validate_split(
        ordered,
        model,
        source=SOURCE,
        entity="value" if unit_col == "municipality_id" else "ou_value",
        key_cols=["kpi_id", unit_col, "year", "gender"],
        ignore_in_compare=["fetched_at", "is_preliminary"],
    )
    return ValuesResult(valid=valid, quarantine=quarantine, rows_in=ordered.height)


def quarantined_items(quarantine: pl.DataFrame) -> list[str]:
    """The "kpi/unit/year" items of quarantined value rows whose key parts are all known.

    A full refresh passes them as ValueScope.keep_items: the source sent these items, only malformed,
    so their current values must not be tombstoned as if the source had deleted them.
    """
    parts = quarantine.select(pl.col("natural_key").str.split("/").alias("_p")).filter(
        pl.col("_p").list.len() >= 3
    )
    items = parts.select(
        kpi=pl.col("_p").list.get(0), unit=pl.col("_p").list.get(1), year=pl.col("_p").list.get(2)
    ).filter(
        pl.col("kpi").str.contains(KPI_ID)
        & pl.col("unit").str.contains(UNIT_ID_PATTERN)
        & pl.col("year").str.contains(r"^\d{4}$")
    )
    return sorted(
        set(items.select(pl.concat_str("kpi", "unit", "year", separator="/")).to_series().to_list())
    )


def _with_preliminary(values: pl.DataFrame, kpi_meta: pl.DataFrame | None) -> pl.DataFrame:
    """Add is_preliminary per kolada_v3.md §7 from the KPI metadata valid at fetch time."""
    if kpi_meta is None:
        return values.with_columns(is_preliminary=pl.lit(False))
    missing = [c for c in KPI_META_COLUMNS if c not in kpi_meta.columns]
    if missing:
        raise ValueError(f"kpi_meta lacks column(s) {missing}")
    meta = kpi_meta.select(
        pl.col("kpi_id"),
        _prel=pl.col("prel_publication_date").cast(pl.Date),
        _publ=pl.col("publication_date").cast(pl.Date),
        _publ_year=pl.col("publ_period").cast(pl.String).str.strip_chars().cast(pl.Int32, strict=False),
    )
    if meta["kpi_id"].is_duplicated().any():
        # a duplicated KPI would multiply value rows in the join below
        raise ValueError("kpi_meta has duplicate kpi_id values")
    fetch_day = pl.col("fetched_at").dt.convert_time_zone(KOLADA_TIMEZONE).dt.date()
    preliminary = (
        (pl.col("year") == pl.col("_publ_year"))
        & pl.col("_prel").is_not_null()
        & (pl.col("_prel") <= fetch_day)
        & (pl.col("_publ").is_null() | (fetch_day < pl.col("_publ")))
    )
    return (
        values.join(meta, on="kpi_id", how="left", maintain_order="left")
        .with_columns(is_preliminary=preliminary.fill_null(False))
        .drop("_prel", "_publ", "_publ_year")
    )
