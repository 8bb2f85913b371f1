"""SCB population figures (json-stat2 answers and CSV exports) as core.population frames.

Sex follows Kolada (T totalt, K kvinnor, M män; SCB codes 1+2/TotSa, 2, 1); an eliminated variable
means its total (sex T, age 'tot'). Periods are 'YYYY' for yearly tables and 'YYYY-MM' for monthly
ones (SCB 2026M01).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from transforms.files import common
from transforms.files.jsonstat import JsonStatDataset
from transforms.files.regions import resolve_codes
from transforms.files.result import FileFrames, finish

POPULATION_DIMS = {"Region", "Alder", "Kon", "ContentsCode", "Tid"}
POPULATION_LABEL = re.compile(r"^folkmängd", re.IGNORECASE)
SEX_CODES = {"1+2": "T", "TotSa": "T", "TotSA": "T", "tot": "T", "1": "M", "2": "K"}
TOTAL_AGE = re.compile(r"^tot(sa)?$", re.IGNORECASE)
# An SCB CSV export does not say what it counts; these mark a population export.
POPULATION_HINT = re.compile(r"befolk|folkm|population|^pop\d{4}$", re.IGNORECASE)
WEB_EXPORT_TABLE = "scb-web-export"


def is_population(ds: JsonStatDataset) -> bool:
    """A population table: a 'Folkmängd...' content and no dimensions beyond region, age, sex, time."""
    contents = ds.labels.get("ContentsCode", {})
    return (
        set(ds.dims) <= POPULATION_DIMS
        and bool(contents)
        and all(POPULATION_LABEL.match(label) for label in contents.values())
    )


def population_from_jsonstat(ds: JsonStatDataset, reference: pl.DataFrame, file_name: str) -> FileFrames:
    """One core.population row per cell; an absent Region means Riket, an absent Kon/Alder the total."""
    frame = ds.frame.with_columns(
        pl.col("_cell").add(1).alias("_row"),
        *(
            pl.lit(default).alias(dim)
            for dim, default in (("Region", "00"), ("Kon", "1+2"), ("Alder", "tot"))
            if dim not in ds.frame.columns
        ),
    )
    frame = resolve_codes(frame, "Region", "Region", reference)
    period, period_error = common.period("Tid", "Tid")
    integral = pl.col("value").is_null() | (pl.col("value") == pl.col("value").round(0))
    staged = frame.with_columns(
        source_table=pl.lit(ds.table_id or "unknown"),
        contents_code=pl.col("ContentsCode"),
        region_code=pl.col("Region"),
        period=period,
        sex=pl.col("Kon").replace_strict(SEX_CODES, default=None),
        age=pl.when(pl.col("Alder").str.contains(TOTAL_AGE.pattern))
        .then(pl.lit("tot"))
        .otherwise(pl.col("Alder")),
        population=pl.when(integral).then(pl.col("value")).cast(pl.Int64, strict=False),
        status=_jsonstat_status(),
    ).with_columns(common.year_month())
    errors = [
        pl.col("_region_error"),
        period_error,
        pl.when(pl.col("sex").is_null()).then(
            pl.format("column 'Kon': unknown sex code '{}'", pl.col("Kon"))
        ),
        pl.when(~integral).then(pl.format("population {} is not a whole number", pl.col("value"))),
    ]
    raw_cols: list[str] = [
        c for c in ("Region", "Alder", "Kon", "ContentsCode", "Tid", "value") if c in ds.frame.columns
    ]
    return finish(
        staged, "core.population", source="scb", file_name=file_name, raw_cols=raw_cols, errors=errors
    )


def _jsonstat_status() -> pl.Expr:
    """'ok' for a value; a json-stat status symbol mapped like the text markers; else 'missing'."""
    marker = pl.col("status").replace_strict(common.STATUS_MARKERS, default=None, return_dtype=pl.String)
    return pl.when(pl.col("value").is_not_null()).then(pl.lit("ok")).otherwise(marker.fill_null("missing"))


def csv_is_population(path: Path, header: list[str], title: str | None) -> bool:
    """Whether an SCB CSV export counts population: its title, a period header or its file name says so."""
    hints = [title or "", path.stem, *header]
    return any(POPULATION_HINT.search(h) for h in hints)


def population_from_scb_csv(
    frame: pl.DataFrame, header: list[str], reference: pl.DataFrame, file_name: str
) -> FileFrames:
    """Unpivot an SCB CSV export (region column(s) + one column per period) into core.population rows."""
    periods = [h for h in header if re.match(r"^\D*\d{4}(M\d{2})?$", h)]
    regions = [h for h in header if h not in periods]
    code_col = next((h for h in regions if re.search(r"code|kod", h, re.IGNORECASE)), None)
    name_col = next((h for h in regions if re.search(r"name|namn", h, re.IGNORECASE)), None)
    long = frame.unpivot(
        index=[*regions, "_row"], on=periods, variable_name="_period_col", value_name="_value"
    )
    if code_col is None:
        # "0114 Upplands Väsby": code, a space, the name
        combined = regions[0]
        long = long.with_columns(
            pl.col(combined).str.extract(r"^(\d+)\s", 1).alias("_code"),
            pl.col(combined).str.extract(r"^\d+\s+(.+)$", 1).alias("_name"),
        )
        code_col, name_col, label = "_code", "_name", combined
    else:
        label = code_col
    long = resolve_codes(long, code_col, label, reference, name_col)
    long = long.with_columns(_tid=pl.col("_period_col").str.extract(r"(\d{4}(M\d{2})?)$", 1))
    period, period_error = common.period("_tid", "period")
    value, status, value_error = common.number("_value", "value")
    integral = value.is_null() | (value == value.round(0))
    staged = long.with_columns(
        source_table=pl.lit(WEB_EXPORT_TABLE),
        contents_code=pl.lit(None, pl.String),
        region_code=pl.col(code_col).fill_null(pl.col(regions[0])),
        period=period,
        sex=pl.lit("T"),
        age=pl.lit("tot"),
        population=pl.when(integral).then(value).cast(pl.Int64, strict=False),
        status=status,
    ).with_columns(common.year_month())
    errors = [
        pl.col("_region_error"),
        period_error,
        value_error,
        pl.when(~integral).then(
            pl.format("column '{}': {} is not a whole number", pl.col("_period_col"), value)
        ),
    ]
    notes = (
        [f"repaired {n} region codes that had lost a leading zero"] if (n := long["_repaired"].sum()) else []
    )
    return finish(
        staged,
        "core.population",
        source="scb",
        file_name=file_name,
        raw_cols=[*regions, "_period_col", "_value"],
        errors=errors,
        notes=notes,
    )
