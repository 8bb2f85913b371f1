"""validate_split on real Kolada value rows (open-numbers U28112 and N31807) with injected bad values."""

from __future__ import annotations

import json

import polars as pl
import pytest
from pandera.config import config_context

from schemas.kolada import DataValue, Kpi
from schemas.validate import QUARANTINE_SCHEMA, SchemaDriftError, validate_split
from tests.kolada_pages import data_pages
from transforms.kolada.values import flatten_values

KEY = ["kpi_id", "municipality_id", "year", "gender"]


@pytest.fixture(scope="module")
def real_values() -> pl.DataFrame:
    """Real value rows in the DataValue shape (U28112: 1,164 rows incl. 339 nulls)."""
    return flatten_values(data_pages(["U28112"]), None).valid


def _with_record(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(_record=pl.struct(pl.all()))


def _set(df: pl.DataFrame, row: int, **values: object) -> pl.DataFrame:
    """Replace some fields of one row, keeping dtypes."""
    return df.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(v, df.schema[c])).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )


def _split(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return validate_split(_with_record(df), DataValue, source="kolada", entity="value", key_cols=KEY)


def test_real_rows_all_valid(real_values: pl.DataFrame) -> None:
    valid, quarantine = _split(real_values)
    assert valid.equals(real_values)
    assert quarantine.height == 0
    assert quarantine.schema == QUARANTINE_SCHEMA


def test_bad_values_are_quarantined_with_readable_reasons(real_values: pl.DataFrame) -> None:
    bad = _set(real_values, 0, kpi_id="X28112")
    bad = _set(bad, 1, municipality_id="180")
    bad = _set(bad, 2, gender="F")
    bad = _set(bad, 3, year=20201)
    bad = _set(bad, 4, gender="F", year=1900)
    valid, quarantine = _split(bad)

    assert valid.height + quarantine.height == bad.height
    reasons = dict(zip(quarantine["natural_key"], quarantine["failed_check"], strict=True))
    row = bad.row(0, named=True)
    assert reasons[f"X28112/{row['municipality_id']}/{row['year']}/{row['gender']}"] == (
        r"kpi_id: str_matches('^[NU]\d{5}$') (got X28112)"
    )
    assert any(
        r.startswith("municipality_id: str_matches") and r.endswith("(got 180)") for r in reasons.values()
    )
    assert any(r.startswith("gender: isin") and "(got F)" in r for r in reasons.values())
    assert "year: less_than_or_equal_to(2100) (got 20201)" in reasons.values()
    both = quarantine.filter(pl.col("failed_check").str.contains("1900"))["failed_check"].item()
    assert both.startswith("year: greater_than_or_equal_to(1950) (got 1900); gender: isin")
    assert set(quarantine["source"]) == {"kolada"} and set(quarantine["entity"]) == {"value"}


def test_record_is_the_raw_row_as_json(real_values: pl.DataFrame) -> None:
    _, quarantine = _split(_set(real_values, 5, gender="F"))
    record = json.loads(quarantine["record"].item())
    assert record["gender"] == "F"
    assert record["kpi_id"] == "U28112"


def test_conflicting_duplicate_key_quarantines_every_copy(real_values: pl.DataFrame) -> None:
    first = real_values.row(0, named=True)
    clash = real_values.head(1).with_columns(value=pl.lit(-1.0))
    valid, quarantine = _split(pl.concat([real_values, clash]))
    key = "/".join(str(first[c]) for c in KEY)
    assert quarantine["natural_key"].to_list() == [key, key]
    assert set(quarantine["failed_check"]) == {"duplicate natural key"}
    assert valid.height == real_values.height - 1


def test_exact_duplicate_keeps_first_copy(real_values: pl.DataFrame) -> None:
    doubled = pl.concat([real_values, real_values.slice(10, 3), real_values.slice(10, 1)])
    valid, quarantine = _split(doubled)
    assert valid.equals(real_values)
    assert quarantine.height == 4
    assert set(quarantine["failed_check"]) == {"exact duplicate"}


def test_ignore_in_compare_treats_refetched_rows_as_exact_duplicates(real_values: pl.DataFrame) -> None:
    later = real_values.head(2).with_columns(pl.col("fetched_at").dt.offset_by("1h"))
    rows = _with_record(pl.concat([real_values, later]))
    valid, quarantine = validate_split(
        rows, DataValue, source="kolada", entity="value", key_cols=KEY, ignore_in_compare=["fetched_at"]
    )
    assert valid.equals(real_values)
    assert quarantine["failed_check"].to_list() == ["exact duplicate", "exact duplicate"]


def test_parse_errors_are_merged_before_pandera_failures(real_values: pl.DataFrame) -> None:
    df = _with_record(_set(real_values, 0, gender="F")).with_columns(
        _parse_errors=pl.when(pl.int_range(pl.len()) < 2).then(pl.lit("count: parse integer (got x)"))
    )
    valid, quarantine = validate_split(df, DataValue, source="kolada", entity="value", key_cols=KEY)
    assert quarantine["failed_check"].to_list()[0].startswith("count: parse integer (got x); gender: isin")
    assert quarantine["failed_check"].to_list()[1] == "count: parse integer (got x)"
    assert valid.height == real_values.height - 2
    assert "_parse_errors" not in valid.columns


def test_mojibake_title_is_caught() -> None:
    from tests.kolada_pages import metadata_pages
    from transforms.kolada.kpi import kpi_dimension

    kpis = kpi_dimension(metadata_pages("kpi")).valid.head(50)
    broken = _set(kpis, 7, title="Invånare 65+ i sÃ¤rskilt boende, andel (%)")
    valid, quarantine = validate_split(
        broken.with_columns(_record=pl.lit("{}")), Kpi, source="kolada", entity="kpi", key_cols=["kpi_id"]
    )
    assert quarantine["failed_check"].item() == (
        "title: no_mojibake (got Invånare 65+ i sÃ¤rskilt boende, andel (%))"
    )
    assert valid.height == 49


def test_missing_column_is_schema_drift(real_values: pl.DataFrame) -> None:
    with pytest.raises(SchemaDriftError, match=r"value: schema drift: column 'status' is missing"):
        _split(real_values.drop("status"))


def test_retyped_column_is_schema_drift(real_values: pl.DataFrame) -> None:
    with pytest.raises(SchemaDriftError, match=r"column 'year' has dtype String, expected Int32"):
        _split(real_values.with_columns(pl.col("year").cast(pl.String)))


def test_unexpected_column_is_schema_drift(real_values: pl.DataFrame) -> None:
    with pytest.raises(SchemaDriftError, match=r"column 'unit' is not in the schema"):
        _split(real_values.with_columns(unit=pl.lit("%")))


def test_missing_key_column_is_schema_drift(real_values: pl.DataFrame) -> None:
    with pytest.raises(SchemaDriftError, match="natural key"):
        validate_split(
            _with_record(real_values.drop("gender")), DataValue, source="kolada", entity="value", key_cols=KEY
        )


def test_lazyframe_validation_misses_what_validate_split_catches(real_values: pl.DataFrame) -> None:
    bad = _set(real_values, 0, gender="F")
    # pandera validates a LazyFrame at schema depth only: the bad gender passes unnoticed
    DataValue.validate(bad.lazy(), lazy=True)
    _, quarantine = _split(bad)
    assert quarantine.height == 1
    with pytest.raises(TypeError, match=r"collected pl\.DataFrame"):
        validate_split(_with_record(bad).lazy(), DataValue, source="kolada", entity="value", key_cols=KEY)


def test_validation_runs_even_when_pandera_is_disabled(real_values: pl.DataFrame) -> None:
    with config_context(validation_enabled=False):
        _, quarantine = _split(_set(real_values, 0, gender="F"))
    assert quarantine.height == 1


def test_record_column_errors(real_values: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="record column '_record' is missing"):
        validate_split(real_values, DataValue, source="kolada", entity="value", key_cols=KEY)
    with pytest.raises(TypeError, match="must be String or Struct"):
        validate_split(
            _set(real_values, 0, gender="F").with_columns(_record=pl.lit(1)),
            DataValue,
            source="kolada",
            entity="value",
            key_cols=KEY,
        )


def test_unique_keys_skip_nothing_but_a_bad_value(real_values: pl.DataFrame) -> None:
    """The unique-key fast path still validates every row: one bad gender is quarantined, alone."""
    bad = _set(real_values, 5, gender="X")
    valid, quarantine = _split(bad)
    assert quarantine.height == 1 and "gender" in quarantine["failed_check"][0]
    assert valid.height == real_values.height - 1


def test_exact_duplicate_found_when_a_key_column_is_ignored_in_compare(real_values: pl.DataFrame) -> None:
    """With a key column outside the comparison, equal rows can have different keys: full check runs."""
    moved = real_values.head(1).with_columns(pl.col("year") + 100)
    rows = _with_record(pl.concat([real_values, moved]))
    valid, quarantine = validate_split(
        rows, DataValue, source="kolada", entity="value", key_cols=KEY, ignore_in_compare=["year"]
    )
    moved_key = "/".join(str(moved.row(0, named=True)[c]) for c in KEY)
    flagged = dict(zip(quarantine["natural_key"], quarantine["failed_check"], strict=True))
    assert flagged[moved_key] == "exact duplicate"
    assert set(flagged.values()) == {"exact duplicate"}
    assert valid.height + quarantine.height == rows.height
