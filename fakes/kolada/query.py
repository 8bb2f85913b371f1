"""Answer replay queries as frames of pre-serialised v3 items, in the API's stable order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from fakes.kolada.dataset import KEY, ReplayDataset

VALUE_FIELDS = ["gender", "count", "status", "value", "isdeleted"]
GROUP_PREFIX = "G"


@dataclass(frozen=True)
class Selection:
    """The matching items of one request, in order; JSON is produced per page only."""

    frame: pl.DataFrame
    # True: `frame` has one JSON column; False: its columns are the item's fields, encoded on demand.
    encoded: bool

    @property
    def total(self) -> int:
        """Number of items over all pages."""
        return self.frame.height

    def page(self, offset: int, length: int) -> list[str]:
        """The JSON texts of items [offset, offset + length)."""
        part = self.frame.slice(offset, length)
        if not self.encoded:
            part = part.select(pl.struct(pl.all()).struct.json_encode())
        return part.to_series().to_list()


@dataclass(frozen=True)
class DataQuery:
    """One data request; None means the segment was not in the path (no filter)."""

    kpis: Sequence[str] | None
    units: Sequence[str] | None
    periods: Sequence[int] | None
    from_date: date | None = None


def data_items(dataset: ReplayDataset, name: str, query: DataQuery) -> Selection:
    """Items for a /data request: one per (kpi, municipality, period), ordered by (kpi, period, unit).

    Group ids (G...) in `units` answer the unweighted mean of the group's members; groups are
    never listed unless requested by id.
    """
    values = _filter(dataset.values(name), "kpi", query.kpis)
    values = _filter(values, "period", query.periods)
    rows = _filter(values, "municipality", query.units)
    if query.units is not None:
        group_ids = [u for u in query.units if u.startswith(GROUP_PREFIX)]
        if group_ids:
            rows = pl.concat([rows, _group_rows(values, dataset.members, group_ids)])
    if query.from_date is not None:
        rows = rows.filter(pl.col("updated") > query.from_date)
    return Selection(_nest(rows, "municipality"), encoded=False)


def empty_items() -> Selection:
    """No items (OU data, the query-parameter form)."""
    return Selection(pl.DataFrame(schema={"item": pl.String}), encoded=True)


def meta_items(
    dataset: ReplayDataset,
    entity: str,
    ids: Sequence[str] | None = None,
    title: str | None = None,
    municipality: Sequence[str] | None = None,
    unit_type: str | None = None,
) -> Selection:
    """Metadata objects in file (id) order, filtered like the v3 API."""
    frame = _filter(dataset.meta[entity], "id", ids)
    if title is not None:
        frame = frame.filter(pl.col("title_lower").str.contains(title.lower(), literal=True))
    if municipality is not None and "municipality" in frame.columns:
        frame = _filter(frame, "municipality", municipality)
    if unit_type is not None and "type" in frame.columns:
        frame = frame.filter(pl.col("type") == unit_type)
    return Selection(frame.select("json"), encoded=True)


def _filter(frame: pl.DataFrame, column: str, allowed: Sequence[str] | Sequence[int] | None) -> pl.DataFrame:
    if allowed is None:
        return frame
    return frame.filter(pl.col(column).is_in(list(allowed)))


def _group_rows(values: pl.DataFrame, members: pl.DataFrame, group_ids: Sequence[str]) -> pl.DataFrame:
    """Unweighted member means per (kpi, group, period, gender); count = members with a value."""
    wanted = members.filter(pl.col("group_id").is_in(list(group_ids)))
    joined = values.join(wanted, left_on="municipality", right_on="member_id", how="inner")
    return (
        joined.group_by("kpi", "group_id", "period", "gender", "gender_rank")
        .agg(
            pl.col("value").count().cast(pl.Int64).alias("count"),
            pl.col("value").mean().alias("value"),
            pl.col("isdeleted").all().alias("isdeleted"),
            pl.col("updated").max().alias("updated"),
        )
        .select(
            "kpi",
            pl.col("group_id").alias("municipality"),
            "period",
            "gender",
            "count",
            pl.lit("").alias("status"),
            "value",
            "isdeleted",
            "updated",
            "gender_rank",
        )
    )


def _nest(rows: pl.DataFrame, unit_key: str) -> pl.DataFrame:
    """Nest value rows into v3 item columns ordered by (kpi, period, unit), genders T, K, M."""
    return (
        rows.sort("kpi", "period", "municipality", "gender_rank")
        .group_by(KEY, maintain_order=True)
        .agg(pl.struct(VALUE_FIELDS).alias("values"))
        .select("kpi", pl.col("municipality").alias(unit_key), "period", "values")
    )
