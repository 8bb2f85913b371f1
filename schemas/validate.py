"""Validate a collected frame once and split it into valid rows and quarantined rows.

Columns whose name starts with "_" are helpers: they are not validated and never reach the valid frame.
Two helpers have a meaning here: the record column (`_record`, the raw record as a JSON string or as a
struct that is JSON-encoded for quarantined rows only) and `_parse_errors` (null, or the reasons a
transform could not parse a raw field, already formatted like a failed check).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandera.polars as pa
import polars as pl
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaErrors

from models.catalogue import table
from models.frames import frame_schema

HELPER_PREFIX = "_"
PARSE_ERRORS_COL = "_parse_errors"
ROW_COL = "_row"
UNIQUENESS_CHECKS = ("multiple_fields_uniqueness", "field_uniqueness")
DUPLICATE_KEY = "duplicate natural key"
EXACT_DUPLICATE = "exact duplicate"
# the quarantine frame: meta.quarantine's `frame` columns in models/meta/quarantine.yml
QUARANTINE_SCHEMA = pl.Schema(frame_schema(table("meta.quarantine")))


class SchemaDriftError(ValueError):
    """The frame's shape no longer matches the model (missing, unexpected or retyped column)."""


def validate_split(
    df: pl.DataFrame,
    model: type[pa.DataFrameModel],
    *,
    source: str,
    entity: str,
    key_cols: Sequence[str],
    record_col: str = "_record",
    ignore_in_compare: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (valid rows without helper columns, quarantine frame); len(df) == len(valid) + len(quarantine).

    Rows equal in every data column except `ignore_in_compare` are exact duplicates: the first is kept,
    the copies are quarantined. Remaining rows sharing a natural key (`key_cols`) are all quarantined.
    Schema-level problems raise SchemaDriftError instead of quarantining every row.
    """
    if not isinstance(df, pl.DataFrame):
        # a LazyFrame is validated at schema depth only by pandera, so data errors would pass silently
        raise TypeError(f"{entity}: validate_split needs a collected pl.DataFrame, got {type(df).__name__}")
    if record_col not in df.columns:
        raise ValueError(f"{entity}: record column {record_col!r} is missing")
    data_cols = [c for c in df.columns if not c.startswith(HELPER_PREFIX)]
    missing_keys = [c for c in key_cols if c not in data_cols]
    if missing_keys:
        raise SchemaDriftError(f"{entity}: natural key column(s) {missing_keys} missing from the frame")

    compare_cols = [c for c in data_cols if c not in set(ignore_in_compare)]
    rows = df.with_row_index(ROW_COL)
    keys_compared = set(key_cols) <= set(compare_cols)
    if not keys_compared or rows.select(pl.struct(list(key_cols)).is_duplicated().any()).item():
        rows = rows.with_columns(_copy=~pl.struct(compare_cols).is_first_distinct())
        # exact copies leave before the key check, so only conflicting rows count as duplicate keys
        candidates = rows.filter(~pl.col("_copy")).with_columns(
            _dup_key=pl.struct(list(key_cols)).is_duplicated()
        )
    else:
        # the usual case: an exact copy repeats its key too, so with unique keys there is none and the
        # wide comparison over every data column can be skipped
        rows = rows.with_columns(_copy=pl.lit(False))
        candidates = rows.with_columns(_dup_key=pl.lit(False))
    # pandera's failure index is the position in `candidates`; map it back to the input row number
    positions = candidates.select(pl.int_range(pl.len(), dtype=pl.get_index_type()).alias("index"), ROW_COL)
    failures = _pandera_failures(candidates.select(data_cols), model, entity)
    failures = failures.with_columns(pl.col("index").cast(pl.get_index_type())).join(positions, on="index")
    messages = _row_messages(candidates, failures)
    flagged = rows.join(messages, on=ROW_COL, how="left", maintain_order="left").with_columns(
        _failed=pl.when(pl.col("_copy")).then(pl.lit(EXACT_DUPLICATE)).otherwise(pl.col("_failed"))
    )
    valid = flagged.filter(pl.col("_failed").is_null()).select(data_cols)
    bad = flagged.filter(pl.col("_failed").is_not_null())
    quarantine = bad.select(
        source=pl.lit(source, pl.String),
        entity=pl.lit(entity, pl.String),
        natural_key=pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in key_cols], separator="/"),
        record=_record_json(bad, record_col),
        failed_check=pl.col("_failed"),
    )
    return valid, quarantine


def empty_quarantine() -> pl.DataFrame:
    """An empty frame with the quarantine columns."""
    return QUARANTINE_SCHEMA.to_frame()


def _pandera_failures(data: pl.DataFrame, model: type[pa.DataFrameModel], entity: str) -> pl.DataFrame:
    """Row-level failure cases (index, message); raise SchemaDriftError on schema-level ones."""
    empty = pl.DataFrame(schema={"index": pl.Int64, "message": pl.String})
    with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        try:
            model.validate(data, lazy=True)
        except SchemaErrors as exc:
            cases = exc.failure_cases
        else:
            return empty
    drift = cases.filter(pl.col("index").is_null())
    if drift.height:
        raise SchemaDriftError(_drift_message(entity, drift))
    got = pl.col("failure_case").fill_null("null")
    return cases.select(
        pl.col("index").cast(pl.Int64),
        message=pl.when(pl.col("check").is_in(UNIQUENESS_CHECKS))
        .then(pl.lit(DUPLICATE_KEY))
        .when(pl.col("schema_context") == "DataFrameSchema")
        .then(pl.format("{} (got {})", pl.col("check"), got))
        .otherwise(pl.format("{}: {} (got {})", pl.col("column"), pl.col("check"), got)),
    )


def _row_messages(rows: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """One `_failed` string per failing row: parse errors, duplicate key, then pandera failures."""
    parts = [failures.select(ROW_COL, pl.col("message"), order=pl.lit(2))]
    duplicates = rows.filter(pl.col("_dup_key"))
    parts.append(duplicates.select(ROW_COL, message=pl.lit(DUPLICATE_KEY), order=pl.lit(1)))
    if PARSE_ERRORS_COL in rows.columns:
        parts.append(
            rows.filter(pl.col(PARSE_ERRORS_COL).is_not_null()).select(
                ROW_COL, message=pl.col(PARSE_ERRORS_COL), order=pl.lit(0)
            )
        )
    return (
        pl.concat(parts)
        .sort(ROW_COL, "order", maintain_order=True)
        .unique([ROW_COL, "message"], keep="first", maintain_order=True)
        .group_by(ROW_COL, maintain_order=True)
        .agg(_failed=pl.col("message").str.join("; "))
    )


def _record_json(bad: pl.DataFrame, record_col: str) -> pl.Expr:
    """The record column as a JSON string (structs are encoded here, for quarantined rows only)."""
    dtype = bad.schema[record_col]
    if isinstance(dtype, pl.Struct):
        return pl.col(record_col).struct.json_encode()
    if dtype == pl.String:
        return pl.col(record_col)
    raise TypeError(f"record column {record_col!r} must be String or Struct, got {dtype}")


def _drift_message(entity: str, drift: pl.DataFrame) -> str:
    """A readable summary of schema-level failure cases (one line per column problem)."""
    retyped = set(drift.filter(pl.col("check").str.starts_with("dtype("))["column"])
    problems = []
    for case in drift.unique(["column", "check"], maintain_order=True).iter_rows(named=True):
        check, column, got = str(case["check"]), case["column"], case["failure_case"]
        if check == "column_in_dataframe":
            problems.append(f"column {got!r} is missing")
        elif check == "column_in_schema":
            problems.append(f"column {got!r} is not in the schema")
        elif check.startswith("dtype("):
            problems.append(f"column {column!r} has dtype {got}, expected {check[6:-1].strip(chr(39))}")
        elif column not in retyped:
            # a data check that could not even run on the column is a schema problem too
            problems.append(f"column {column!r}: check {check} could not run ({str(got)[:120]})")
    return f"{entity}: schema drift: " + "; ".join(problems)
