"""kpi_dimension on the real v3 (2026-03) and v2 (2024-04) KPI catalogues."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from schemas.kolada import Kpi
from schemas.validate import SchemaDriftError
from tests.kolada_pages import fixture_records, kolada_dir, metadata_pages, pages_from_records
from transforms.kolada.kpi import kpi_dimension

CORE_KPI = {
    "kpi_id": pl.String,
    "title": pl.String,
    "description": pl.String,
    "is_divided_by_gender": pl.Boolean,
    "municipality_type": pl.String,
    "auspice": pl.String,
    "operating_area": pl.String,
    "perspective": pl.String,
    "prel_publication_date": pl.Date,
    "publication_date": pl.Date,
    "publ_period": pl.String,
    "has_ou_data": pl.Boolean,
    "discontinued_year": pl.Int32,
}


@pytest.fixture(scope="module")
def v3_records() -> list[dict]:
    return fixture_records("kpi")


def _by_id(records: list[dict], kpi_id: str) -> dict:
    return next(r for r in records if r["id"] == kpi_id)


def test_all_v3_kpis_pass(v3_records: list[dict]) -> None:
    pages = metadata_pages("kpi")
    assert pages.height == 2  # 6,099 items need a second page of <= 5,000
    valid, quarantine = kpi_dimension(pages)
    assert quarantine.height == 0
    assert valid.height == len(v3_records) == 6_099
    assert dict(valid.schema) == CORE_KPI
    Kpi.validate(valid)
    assert valid["discontinued_year"].is_not_null().sum() == 426
    assert valid["has_ou_data"].sum() == 679
    assert valid["municipality_type"].value_counts().sort("municipality_type").rows() == [
        ("A", 1132),
        ("K", 3649),
        ("L", 1318),
    ]
    n00003 = valid.filter(pl.col("kpi_id") == "N00003").row(0, named=True)
    assert n00003["prel_publication_date"] == date(2026, 4, 1)
    assert n00003["publication_date"] == date(2026, 8, 28)
    assert n00003["publ_period"] == "2025"
    assert n00003["is_divided_by_gender"] is False and n00003["auspice"] == "E"


def test_discontinued_year_variants() -> None:
    valid, _ = kpi_dimension(metadata_pages("kpi"))
    years = dict(
        valid.filter(pl.col("kpi_id").is_in(["U21401", "N63080", "N00003"]))
        .select("kpi_id", "discontinued_year")
        .iter_rows()
    )
    assert years == {"U21401": 2024, "N63080": 1997, "N00003": None}


def test_v2_catalogue_is_accepted() -> None:
    records = json.loads((kolada_dir() / "rkolada_sysdata/rkolada_v2_2024-04-06_kpi.json").read_text())
    valid, quarantine = kpi_dimension(pages_from_records(records, "kpi"))
    assert quarantine.height == 0 and valid.height == 6_433
    # v2 named it `auspices` and sent is_divided_by_gender as 0/1
    assert valid["auspice"].is_not_null().sum() == 6_176
    assert valid["is_divided_by_gender"].dtype == pl.Boolean
    assert valid["has_ou_data"].null_count() == 326


def test_lenient_flag_and_period_types(v3_records: list[dict]) -> None:
    record = _by_id(v3_records, "N00003") | {"is_divided_by_gender": 1, "has_ou_data": 0, "publ_period": 2025}
    other = _by_id(v3_records, "N00005") | {"is_divided_by_gender": "true", "prel_publication_date": ""}
    valid, quarantine = kpi_dimension(pages_from_records([record, other], "kpi"))
    assert quarantine.height == 0
    rows = {r["kpi_id"]: r for r in valid.iter_rows(named=True)}
    assert rows["N00003"]["is_divided_by_gender"] is True and rows["N00003"]["has_ou_data"] is False
    assert rows["N00003"]["publ_period"] == "2025"
    assert rows["N00005"]["is_divided_by_gender"] is True
    assert rows["N00005"]["prel_publication_date"] is None


def test_bad_records_are_quarantined(v3_records: list[dict]) -> None:
    good = v3_records[:20]
    broken_title = v3_records[22]["title"].replace("ä", "Ã¤").replace("ö", "Ã¶")
    assert broken_title != v3_records[22]["title"]
    bad = [
        v3_records[20] | {"id": "N0003"},
        v3_records[21] | {"prel_publication_date": "2026-13-45"},
        v3_records[22] | {"title": broken_title},
        v3_records[23] | {"municipality_type": "R", "has_ou_data": "kanske"},
        good[3] | {"title": "another title"},
        good[4],
    ]
    valid, quarantine = kpi_dimension(pages_from_records(good + bad, "kpi"))
    assert valid.height + quarantine.height == len(good) + len(bad)
    assert valid.height == len(good) - 1
    reasons = dict(zip(quarantine["natural_key"], quarantine["failed_check"], strict=False))
    assert reasons["N0003"] == r"kpi_id: str_matches('^[NU]\d{5}$') (got N0003)"
    assert reasons[v3_records[21]["id"]] == "prel_publication_date: parse date YYYY-MM-DD (got 2026-13-45)"
    assert reasons[v3_records[22]["id"]] == f"title: no_mojibake (got {broken_title})"
    assert reasons[v3_records[23]["id"]] == (
        "has_ou_data: parse boolean (got kanske); municipality_type: isin(('K', 'L', 'A')) (got R)"
    )
    key3, key4 = good[3]["id"], good[4]["id"]
    assert quarantine.filter(pl.col("natural_key") == key3)["failed_check"].to_list() == [
        "duplicate natural key",
        "duplicate natural key",
    ]
    assert quarantine.filter(pl.col("natural_key") == key4)["failed_check"].to_list() == ["exact duplicate"]
    record = json.loads(quarantine.filter(pl.col("natural_key") == v3_records[21]["id"])["record"].item())
    # the record is the item as decoded: every field as text, absent fields null
    as_text = {"prel_publication_date": "2026-13-45", "is_divided_by_gender": "false", "has_ou_data": "false"}
    assert record == {"auspices": None} | v3_records[21] | as_text
    assert key3 not in valid["kpi_id"].to_list() and key4 in valid["kpi_id"].to_list()


def test_renamed_field_is_schema_drift(v3_records: list[dict]) -> None:
    renamed = [{("kpi_id" if k == "id" else k): v for k, v in r.items()} for r in v3_records[:5]]
    with pytest.raises(SchemaDriftError, match=r"kpi: field\(s\) \['id'\] absent"):
        kpi_dimension(pages_from_records(renamed, "kpi"))
