"""Bulk page decoding shared by the Kolada transforms: envelopes, paging, lenient field types."""

from __future__ import annotations

import polars as pl
import pytest

from schemas.validate import SchemaDriftError
from tests.kolada_pages import fixture_records, metadata_pages, pages_from_records
from transforms.kolada.pages import decode_items, parse_bool, parse_date, parse_int, require_fields

UNIT = pl.Struct({"id": pl.String, "title": pl.String, "type": pl.String})


def test_items_of_all_pages_in_order() -> None:
    pages = metadata_pages("municipality_groups")
    items = decode_items(pages, pl.Struct({"id": pl.String, "title": pl.String}), entity="municipality_group")
    assert items.height == 3630
    assert items["id"].to_list() == [g["id"] for g in fixture_records("municipality_groups")]
    assert items.columns == ["fetched_at", "_item", "id", "title"]


def test_lenient_scalars_decode_as_text() -> None:
    records = [{"id": 1, "title": True, "type": None}, {"id": "0114", "title": "Upplands Väsby"}]
    items = decode_items(pages_from_records(records, "municipality"), UNIT, entity="municipality")
    rows = items.select("id", "title", "type").rows()
    assert rows == [("1", "true", None), ("0114", "Upplands Väsby", None)]


def test_parsers() -> None:
    frame = pl.DataFrame({"t": ["true", "0", " 1 ", "FALSE", "", None, "ja", "2026-04-01", "2025"]})
    parsed = frame.select(b=parse_bool("t"), d=parse_date("t"), i=parse_int("t", pl.Int32))
    assert parsed["b"].to_list() == [True, False, True, False, None, None, None, None, None]
    assert parsed["d"].drop_nulls().cast(pl.String).to_list() == ["2026-04-01"]
    assert parsed["i"].to_list() == [None, 0, 1, None, None, None, None, None, 2025]


def test_require_fields() -> None:
    items = decode_items(pages_from_records([{"kod": "0114"}], "municipality"), UNIT, entity="municipality")
    with pytest.raises(SchemaDriftError, match=r"\['id', 'title'\]"):
        require_fields(items, ("id", "title"), entity="municipality")
    require_fields(items.head(0), ("id",), entity="municipality")


def test_page_contract_errors() -> None:
    pages = pages_from_records(fixture_records("municipality")[:3], "municipality")
    with pytest.raises(ValueError, match="lacks column"):
        decode_items(pages.drop("status"), UNIT, entity="municipality")
    with pytest.raises(ValueError, match=r"non-2xx.*status 422"):
        decode_items(pages.with_columns(status=pl.lit(422, pl.Int64)), UNIT, entity="municipality")
