"""Socialstyrelsen readers on the real fixtures: the saved result table, the CSV export, API rows."""

from __future__ import annotations

import json
from collections import Counter

from sources.files import read_raw
from sources.files.reader import decode_text
from sources.fixtures import fixtures_dir
from sources.socialstyrelsen import api_rows_frame, is_api_rows, parse_export, parse_result_page

SDB = fixtures_dir() / "socialstyrelsen"
HTML = SDB / "sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html"
CSV = SDB / "sdb_web/Statistikdatabasen_10_antibiotics.csv"
API = SDB / "sdb_api/adhd_medication_2006-tbc.json"
MONTHS = ["Januari", "Februari", "Mars", "April", "Maj", "Juni", "Juli", "Augusti"]


def test_result_page_table() -> None:
    raw = read_raw(HTML)
    table = parse_result_page(raw, decode_text(raw)[0])
    assert table.title == "Ekonomiskt bistånd, Antal hushåll, 2017"
    assert table.header == ["Region", "Inrikes- eller utrikesfödda hushåll", *MONTHS]
    assert table.groups == ["", "", *["2017"] * 8]
    assert len(table.rows) == 582  # Riket + 290 kommuner, two household groups each
    assert len({r[0] for r in table.rows}) == 291
    assert table.rows[0] == [
        "Riket",
        "Inrikes födda",
        "--",
        "--",
        "44\u00a0164",
        "44\u00a0885",
        "44\u00a0737",
        "43\u00a0925",
        "42\u00a0817",
        "42\u00a0634",
    ]
    cells = Counter(c for row in table.rows for c in row[2:])
    assert (cells["X"], cells["--"]) == (211, 171)
    assert table.notes[0].startswith("Augusti 2017: Ingen skattning på rike och län")
    assert table.row_numbers == sorted(table.row_numbers) and table.row_numbers[0] > 100


def test_export_table_keeps_cells_as_written() -> None:
    raw = read_raw(CSV)
    table = parse_export(raw, decode_text(raw)[0])
    assert table.header == ["Månad", "Läkemedel", "Region", "Kön", "Ålder", "Patienter/1000 invånare"]
    assert len(table.rows) == 228 and table.notes == ["exported 2025-04-09"]
    assert table.rows[0] == ["September 2024", "A07AA Antibiotika", "Riket", "Båda könen", "0\u00ad4", "1,54"]
    assert table.rows[-1][-2:] == ["0\u00ad85+", "0,93"] and table.row_numbers[0] == 2


def test_api_rows_grouped_by_drug() -> None:
    doc = json.loads(API.read_text("utf-8"))
    assert is_api_rows(doc)
    frame = api_rows_frame(read_raw(API), doc)
    assert frame.height == 14806
    assert dict(Counter(frame["_group"].to_list())) == {
        "Guanfacin": 2119,
        "Lisdexamfetamin": 2292,
        "Atomoxetin": 3906,
        "Metylfenidat": 4173,
        "Dexamfetamin": 2316,
    }
    first = frame.row(0, named=True)
    assert (first["atcId"], first["regionId"], first["ar"], first["varde"]) == (
        "C02AC02",
        "0",
        "2016",
        "0,01",
    )


def test_api_page_shape() -> None:
    # synthetic page envelope around two rows copied from the fixture
    page = {
        "data": [{"regionId": 0, "ar": 2016, "varde": "0,01"}, {"regionId": 1, "ar": 2016, "varde": "X"}],
        "amne": "lakemedel",
        "sida": 1,
        "sidor": 1,
    }
    assert is_api_rows(page) and not is_api_rows({"values": []})
    frame = api_rows_frame(read_raw(API), page)
    assert frame["_topic"].to_list() == ["lakemedel", "lakemedel"] and frame["_row"].to_list() == [1, 2]
