"""Register statistics (Socialstyrelsen tables, exports and API rows; non-population SCB tables) as
core.register_value frames: one row per source, measure, region, period and breakdown.

The breakdown is the row's other dimensions as "name=value" joined with " | " in column order ("" when
there are none), e.g. "Inrikes- eller utrikesfödda hushåll=Inrikes födda". Status markers (X, --)
become a status with a null value, never a number.
"""

from __future__ import annotations

import re

import polars as pl

from transforms.files import common
from transforms.files.jsonstat import JsonStatDataset
from transforms.files.regions import resolve_codes, resolve_names
from transforms.files.result import FileFrames, finish

PERIOD_HEADERS = re.compile(r"^(år|månad|year|month|period)$", re.IGNORECASE)
TRAILING_YEAR = re.compile(r",?\s*\d{4}(\s*-\s*\d{4})?$")
# topics whose rows carry these ids, for API rows saved without their page envelope
TOPIC_HINTS = {"atcId": "lakemedel", "diagnosId": "diagnoser"}
# a soft hyphen between digits stands for a visible dash in the export ("0\u00ad4" is the band 0-4)
SOFT_HYPHEN = "\u00ad"


def _breakdown(columns: list[str]) -> pl.Expr:
    if not columns:
        return pl.lit("")
    parts = [
        pl.format("{}={}", pl.lit(c), pl.col(c).str.replace_all(SOFT_HYPHEN, "-", literal=True))
        for c in columns
    ]
    return pl.concat_str(parts, separator=" | ")


def _finish(
    staged: pl.DataFrame,
    file_name: str,
    raw_cols: list[str],
    errors: list[pl.Expr],
    source: str,
    notes: list[str] | None = None,
) -> FileFrames:
    staged = staged.with_columns(common.year_month())
    return finish(
        staged,
        "core.register_value",
        source=source,
        file_name=file_name,
        raw_cols=raw_cols,
        errors=errors,
        notes=notes,
    )


def register_from_result_page(
    frame: pl.DataFrame,
    header: list[str],
    groups: list[str],
    title: str | None,
    reference: pl.DataFrame,
    file_name: str,
    notes: list[str],
) -> FileFrames:
    """A saved `#ph1_GridView1` table: Region, breakdown columns, then month (or year) columns.

    Month columns take their year from the spanning group above them ("2017" over Januari..).
    """
    month_cols = [h for h in header if h.casefold() in common.MONTHS]
    year_cols = [h for h in header if re.fullmatch(r"\d{4}", h)]
    value_cols = month_cols + year_cols
    dims = [h for h in header if h not in value_cols and h != "Region"]
    if "Region" not in header or not value_cols:
        raise ValueError(f"{file_name}: a result table needs Region and month or year columns, got {header}")
    year_of = {h: g for h, g in zip(header, groups, strict=False) if h in month_cols}
    if any(not re.fullmatch(r"\d{4}", year_of.get(h, "")) for h in month_cols):
        raise ValueError(f"{file_name}: month columns without a year above them (groups {groups})")
    measure = TRAILING_YEAR.sub("", title or "").strip() or "unknown measure"
    long = frame.unpivot(
        index=["Region", *dims, "_row"], on=value_cols, variable_name="_column", value_name="_cell"
    )
    when_period = pl.col("_column").replace_strict(
        {h: f"{h} {year_of[h]}" if h in month_cols else h for h in value_cols}, return_dtype=pl.String
    )
    long = resolve_names(long.with_columns(_tid=when_period), "Region", "Region", reference)
    period, period_error = common.period("_tid", "period")
    value, status, value_error = common.number("_cell", pl.col("_column"))
    staged = _register_columns(long, measure, period, value, status, dims)
    errors = [pl.col("_region_error"), period_error, value_error]
    return _finish(staged, file_name, ["Region", *dims, "_column", "_cell"], errors, "socialstyrelsen", notes)


def register_from_export(
    frame: pl.DataFrame, header: list[str], reference: pl.DataFrame, file_name: str, notes: list[str]
) -> FileFrames:
    """A statistics-database CSV export: a period column, Region, breakdown columns, the value last."""
    period_cols = [h for h in header if PERIOD_HEADERS.match(h)]
    if "Region" not in header or len(period_cols) != 1:
        raise ValueError(
            f"{file_name}: an export needs a Region column and one År/Månad column, got {header}"
        )
    value_col, period_col = header[-1], period_cols[0]
    dims = [h for h in header[:-1] if h not in ("Region", period_col)]
    staged = resolve_names(frame, "Region", "Region", reference)
    period, period_error = common.period(period_col, period_col)
    value, status, value_error = common.number(value_col, value_col)
    staged = _register_columns(staged, value_col, period, value, status, dims)
    errors = [pl.col("_region_error"), period_error, value_error]
    return _finish(staged, file_name, header, errors, "socialstyrelsen", notes)


def _register_columns(
    frame: pl.DataFrame, measure: str, period: pl.Expr, value: pl.Expr, status: pl.Expr, dims: list[str]
) -> pl.DataFrame:
    """The core.register_value columns of a Socialstyrelsen table, whichever layout it came in."""
    return frame.with_columns(
        source=pl.lit("socialstyrelsen"),
        measure=pl.lit(measure),
        region=pl.col("Region"),
        period=period,
        breakdown=_breakdown(dims),
        value=value,
        status=status,
    )


def register_from_api_rows(frame: pl.DataFrame, reference: pl.DataFrame, file_name: str) -> FileFrames:
    """Statistics-API rows: regionId (0 = Riket, n = län n), ar, varde; other *Id columns break down."""
    topic = frame["_topic"].drop_nulls().first() if frame["_topic"].drop_nulls().len() else None
    topic = topic or next((t for col, t in TOPIC_HINTS.items() if col in frame.columns), "sdb")
    dims = sorted(c for c in frame.columns if c.endswith("Id") and c not in ("regionId", "mattId"))
    matt = (
        pl.format("{}/matt={}", pl.lit(topic), pl.col("mattId"))
        if "mattId" in frame.columns
        else pl.lit(topic)
    )
    region = pl.col("regionId").str.strip_chars()
    staged = frame.with_columns(
        _region_code=pl.when(region.str.contains(r"^\d{1,2}$")).then(region.str.zfill(2)).otherwise(region)
    )
    staged = resolve_codes(staged, "_region_code", "regionId", reference)
    period, period_error = common.period("ar", "ar")
    value, status, value_error = common.number("varde", "varde")
    staged = staged.with_columns(
        source=pl.lit("socialstyrelsen"),
        measure=matt,
        region=pl.col("regionId"),
        period=period,
        breakdown=_breakdown(dims),
        value=value,
        status=status,
    )
    errors = [pl.col("_region_error"), period_error, value_error]
    raw = [c for c in frame.columns if not c.startswith("_")]
    return _finish(staged, file_name, raw, errors, "socialstyrelsen")


def register_from_jsonstat(ds: JsonStatDataset, reference: pl.DataFrame, file_name: str) -> FileFrames:
    """A non-population SCB table: measure = '<table>/<ContentsCode>'; Region absent means Riket."""
    frame = ds.frame.with_columns(pl.col("_cell").add(1).alias("_row"))
    if "Region" not in frame.columns:
        frame = frame.with_columns(Region=pl.lit("00"))
    time = ds.time_dims[0] if ds.time_dims else "Tid"
    if time not in frame.columns:
        raise ValueError(f"{file_name}: json-stat2 dataset without a time dimension ({ds.dims})")
    contents = "ContentsCode" if "ContentsCode" in frame.columns else None
    dims = [d for d in ds.dims if d not in ("Region", time, contents)]
    frame = resolve_codes(frame, "Region", "Region", reference)
    period, period_error = common.period(time, time)
    measure = (
        pl.format("{}/{}", pl.lit(ds.table_id or "scb"), pl.col(contents))
        if contents
        else pl.lit(ds.table_id or "scb")
    )
    status = (
        pl.when(pl.col("value").is_not_null())
        .then(pl.lit("ok"))
        .otherwise(
            pl.col("status")
            .replace_strict(common.STATUS_MARKERS, default=None, return_dtype=pl.String)
            .fill_null("missing")
        )
    )
    staged = frame.with_columns(
        source=pl.lit("scb"),
        measure=measure,
        region=pl.col("Region"),
        period=period,
        breakdown=_breakdown(dims),
        status=status,
    )
    raw = [c for c in ds.dims if c in frame.columns] + ["value"]
    return _finish(staged, file_name, raw, [pl.col("_region_error"), period_error], "scb")
