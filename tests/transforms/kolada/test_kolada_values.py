"""flatten_values / flatten_ou_values on v3-shaped pages built from the real open-numbers CSVs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from schemas.kolada import DataValue
from tests.kolada_pages import data_pages, opennumbers_values, pages_from_records
from transforms.kolada.values import ValuesResult, flatten_ou_values, flatten_values

DESIGN_COLUMNS = {
    "kpi_id": pl.String,
    "municipality_id": pl.String,
    "year": pl.Int32,
    "gender": pl.String,
    "value": pl.Float64,
    "count": pl.Int64,
    "status": pl.String,
    "is_deleted": pl.Boolean,
    "is_preliminary": pl.Boolean,
    "fetched_at": pl.Datetime("us", "UTC"),
    "source": pl.String,
}


@pytest.fixture(scope="module")
def all_values() -> ValuesResult:
    return flatten_values(data_pages(), None)


@pytest.fixture(scope="module")
def real_item() -> dict:
    """One real item: N31807 (ekonomiskt bistånd, andel %), Stockholm 0180, 2022, total."""
    rows = opennumbers_values(["N31807"]).filter(pl.col("geo") == "0180", pl.col("year") == 2022)
    row = rows.row(0, named=True)
    value = float(row["value_text"])
    entry = {"gender": "T", "count": 1, "status": "", "value": value, "isdeleted": False}
    return {"kpi": "N31807", "municipality": "0180", "period": 2022, "values": [entry]}


def _item(base: dict, **changes: object) -> dict:
    """A copy of an item; keys of its single value entry are changed via `entry_<key>`."""
    item = json.loads(json.dumps(base))
    for key, value in changes.items():
        if key.startswith("entry_"):
            if value is ...:
                del item["values"][0][key[6:]]
            else:
                item["values"][0][key[6:]] = value
        else:
            item[key] = value
    return item


def test_reproduces_csv_values_exactly(all_values: ValuesResult) -> None:
    expected = opennumbers_values()
    valid = all_values.valid
    assert dict(valid.schema) == DESIGN_COLUMNS
    assert all_values.quarantine.height == 0
    assert all_values.rows_in == valid.height == expected.height == 103_784
    joined = expected.join(
        valid,
        left_on=["kpi", "geo", "year", "gender"],
        right_on=["kpi_id", "municipality_id", "year", "gender"],
        how="full",
    )
    assert joined.height == expected.height
    # an independent parser (Python's float) for the CSV text; == on floats is bit-exact here
    assert joined["value"].to_list() == [None if t is None else float(t) for t in joined["value_text"]]
    assert valid["value"].null_count() == expected["value_text"].null_count() == 7_468
    counts = dict(valid.group_by("gender").len().iter_rows())
    assert counts == dict(expected.group_by("gender").len().iter_rows())
    assert set(counts) == {"T", "K", "M"}
    assert valid.filter(pl.col("municipality_id") == "0000", pl.col("kpi_id") == "N31807").height == 29
    assert set(valid["source"]) == {"kolada"} and set(valid["status"]) == {""}
    assert not valid["is_deleted"].any() and not valid["is_preliminary"].any()
    assert valid["count"].to_list() == [1] * valid.height


def test_lenient_coercions(real_item: dict) -> None:
    items = [
        _item(real_item),
        _item(real_item, period="2021"),
        _item(real_item, period=2020, entry_isdeleted=1),
        _item(real_item, period="2019", entry_isdeleted="true", entry_value=None),
        _item(real_item, period=2018, entry_isdeleted=0, entry_count=...),
        _item(real_item, period=2017, entry_isdeleted="FALSE", entry_count="3", entry_status=None),
    ]
    result = flatten_values(pages_from_records(items, "data"), None)
    assert result.quarantine.height == 0
    got = result.valid.sort("year", descending=True)
    assert got["year"].to_list() == [2022, 2021, 2020, 2019, 2018, 2017]
    assert got["is_deleted"].to_list() == [False, False, True, True, False, False]
    assert got["value"][3] is None and got["value"][0] == real_item["values"][0]["value"]
    assert got["count"].to_list() == [1, 1, 1, 1, None, 3]
    assert got["status"].to_list() == ["", "", "", "", "", None]


def test_bad_values_are_quarantined_with_reasons(real_item: dict) -> None:
    items = [
        _item(real_item),
        _item(real_item, kpi="X31807"),
        _item(real_item, municipality="180"),
        _item(real_item, entry_gender="F"),
        _item(real_item, period=20201),
        _item(real_item, period="tjugo"),
        _item(real_item, period=2015, entry_isdeleted="maybe"),
        _item(real_item, period=2014, entry_value="n/a"),
        _item(real_item, period=2013, values=[]),
    ]
    result = flatten_values(pages_from_records(items, "data"), None)
    assert result.rows_in == len(items) == result.valid.height + result.quarantine.height
    assert result.valid.height == 1
    reasons = dict(zip(result.quarantine["natural_key"], result.quarantine["failed_check"], strict=True))
    assert reasons["X31807/0180/2022/T"] == r"kpi_id: str_matches('^[NU]\d{5}$') (got X31807)"
    assert reasons["N31807/180/2022/T"].startswith("municipality_id: str_matches")
    assert reasons["N31807/0180/2022/F"] == "gender: isin(('T', 'K', 'M')) (got F)"
    assert reasons["N31807/0180/20201/T"] == "year: less_than_or_equal_to(2100) (got 20201)"
    assert reasons["N31807/0180//T"] == "year: parse integer year (got tjugo); year: not_nullable (got null)"
    assert reasons["N31807/0180/2015/T"].startswith("is_deleted: parse boolean (got maybe)")
    assert reasons["N31807/0180/2014/T"] == "value: parse number (got n/a)"
    assert reasons["N31807/0180/2013/"].startswith("gender: not_nullable")
    record = json.loads(result.quarantine.filter(pl.col("natural_key") == "N31807/0180//T")["record"].item())
    assert record["period"] == "tjugo" and record["values"][0]["gender"] == "T"


def test_duplicates_across_pages(real_item: dict) -> None:
    first = pages_from_records([real_item], "data")
    again = pages_from_records([real_item], "data", fetched_at=datetime(2026, 3, 24, tzinfo=UTC))
    # same key, different (synthetic) value: a conflict, not a re-fetch
    clash = pages_from_records([_item(real_item, entry_value=1.5)], "data")
    result = flatten_values(pl.concat([first, again, clash]), None)
    assert result.valid.height == 0
    assert sorted(result.quarantine["failed_check"]) == [
        "duplicate natural key",
        "duplicate natural key",
        "exact duplicate",
    ]


KPI_META = pl.DataFrame(
    {
        # synthetic metadata dates for the real KPI N31807 (shape of kolada_v3.md §7)
        "kpi_id": ["N31807"],
        "prel_publication_date": [date(2023, 4, 1)],
        "publication_date": [date(2023, 8, 28)],
        "publ_period": ["2022"],
    }
)


@pytest.mark.parametrize(
    ("fetched", "period", "meta", "expected"),
    [
        (datetime(2023, 3, 31, 12, tzinfo=UTC), 2022, KPI_META, False),
        (datetime(2023, 4, 1, 8, tzinfo=UTC), 2022, KPI_META, True),
        (datetime(2023, 6, 1, tzinfo=UTC), 2022, KPI_META, True),
        (datetime(2023, 8, 27, 21, 59, tzinfo=UTC), 2022, KPI_META, True),
        # 22:30 UTC on 27 Aug is already 28 Aug in Stockholm: published
        (datetime(2023, 8, 27, 22, 30, tzinfo=UTC), 2022, KPI_META, False),
        (datetime(2023, 9, 1, tzinfo=UTC), 2022, KPI_META, False),
        (datetime(2023, 6, 1, tzinfo=UTC), 2021, KPI_META, False),
        (datetime(2023, 6, 1, tzinfo=UTC), 2022, KPI_META.with_columns(prel_publication_date=None), False),
        (datetime(2023, 9, 1, tzinfo=UTC), 2022, KPI_META.with_columns(publication_date=None), True),
        (datetime(2023, 6, 1, tzinfo=UTC), 2022, KPI_META.with_columns(publ_period=None), False),
        (datetime(2023, 6, 1, tzinfo=UTC), 2022, KPI_META.with_columns(kpi_id=pl.lit("N00003")), False),
        (datetime(2023, 6, 1, tzinfo=UTC), 2022, None, False),
    ],
)
def test_is_preliminary(
    real_item: dict, fetched: datetime, period: int, meta: pl.DataFrame | None, expected: bool
) -> None:
    pages = pages_from_records([_item(real_item, period=period)], "data", fetched_at=fetched)
    if meta is not None:
        meta = meta.with_columns(pl.col("prel_publication_date", "publication_date").cast(pl.Date))
    result = flatten_values(pages, meta)
    assert result.valid["is_preliminary"].to_list() == [expected]


def test_kpi_meta_errors(real_item: dict) -> None:
    pages = pages_from_records([real_item], "data")
    with pytest.raises(ValueError, match="duplicate kpi_id"):
        flatten_values(pages, pl.concat([KPI_META, KPI_META]))
    with pytest.raises(ValueError, match="publ_period"):
        flatten_values(pages, KPI_META.drop("publ_period"))


def test_page_errors(real_item: dict) -> None:
    pages = pages_from_records([real_item], "data")
    with pytest.raises(ValueError, match="non-2xx"):
        flatten_values(pages.with_columns(status=pl.lit(500, pl.Int64)), None)
    with pytest.raises(ValueError, match="could not be decoded"):
        flatten_values(pages.with_columns(body=pl.lit("<html>busy</html>")), None)
    with pytest.raises(ValueError, match="no 'values' array"):
        flatten_values(pages.with_columns(body=pl.lit('{"error": "This endpoint is deprecated."}')), None)
    empty = flatten_values(pages_from_records([], "data"), None)
    assert empty.rows_in == 0 and empty.valid.height == 0
    assert dict(empty.valid.schema) == DESIGN_COLUMNS


def test_validated_frame_matches_model(all_values: ValuesResult) -> None:
    DataValue.validate(all_values.valid.head(1000))


def test_ou_values(real_item: dict) -> None:
    ou_item = {k: v for k, v in real_item.items() if k != "municipality"} | {"ou": "V21E018000101"}
    bad = ou_item | {"ou": "0180"}
    result = flatten_ou_values(pages_from_records([ou_item, bad], "oudata"), KPI_META)
    assert result.valid.columns[:2] == ["kpi_id", "ou_id"]
    assert result.valid["ou_id"].to_list() == ["V21E018000101"]
    assert result.quarantine["entity"].to_list() == ["ou_value"]
    assert result.quarantine["failed_check"].item().startswith("ou_id: str_matches")
