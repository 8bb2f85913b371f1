"""sources.files.read_delivery: every real fixture is recognised or refused with a reason; broken
variants (synthetic, made here from the real files) fail with an error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.files import FileFormatError, read_delivery
from sources.fixtures import fixtures_dir

FX = fixtures_dir()
KINDS = {
    "scb/pxweb_v1/response_se.json": "scb-jsonstat2",
    "scb/pxweb_v2/TAB6471_data.json": "scb-jsonstat2",
    "scb/web_export/befolkning.csv": "scb-csv",
    "scb/web_export/population2018.csv": "scb-csv",
    "socialstyrelsen/sdb_api/adhd_medication_2006-tbc.json": "sdb-api-json",
    "socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv": "sdb-csv",
    "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html": "sdb-html",
}
NOT_DATA = {
    "scb/pxweb_v1/query_se.json": "PxWeb v1 query",
    "scb/pxweb_v1/response_table_variables.json": "PxWeb v1 table metadata",
    "scb/pxweb_v2/TAB6471_metadata.json": "metadata without values",
    "scb/pxweb_v2/config.json": "PxWeb /config",
}


@pytest.mark.parametrize(("name", "kind"), sorted(KINDS.items()))
def test_fixture_kinds(name: str, kind: str) -> None:
    assert read_delivery(FX / name).kind == kind


@pytest.mark.parametrize(("name", "what"), sorted(NOT_DATA.items()))
def test_pxweb_inputs_that_are_not_data_are_refused(name: str, what: str) -> None:
    with pytest.raises(FileFormatError, match=what) as info:
        read_delivery(FX / name)
    assert str(info.value).startswith(str(FX / name))


def test_scb_csv_tables() -> None:
    befolkning = read_delivery(FX / "scb/web_export/befolkning.csv").table
    assert befolkning is not None and befolkning.header == ["region", "2017"] and len(befolkning.rows) == 290
    assert befolkning.rows[0] == ["0114 Upplands Väsby", "44605"] and befolkning.row_numbers[0] == 2
    pop = read_delivery(FX / "scb/web_export/population2018.csv").table
    assert pop is not None and pop.header == ["municipality_code", "municipality_name", "pop2018"]
    assert pop.rows[0] == ["114", "Upplands Väsby", "45543"] and len(pop.rows) == 290


def _variant(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_truncated_json_names_line(tmp_path: Path) -> None:
    data = (FX / "scb/pxweb_v2/TAB6471_data.json").read_bytes()
    path = _variant(tmp_path, "TAB6471_cut.json", data[: len(data) // 2])
    with pytest.raises(FileFormatError, match=r"row \d+: malformed or truncated JSON"):
        read_delivery(path)


def test_truncated_html_table(tmp_path: Path) -> None:
    data = (FX / "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html").read_bytes()
    path = _variant(tmp_path, "cut.html", data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="not closed: the file is truncated"):
        read_delivery(path)


def test_html_error_page(tmp_path: Path) -> None:
    # synthetic: what ASP.NET answers when the statistics database fails
    page = (
        b"<!DOCTYPE html><html><head><title>Runtime Error</title></head>"
        b"<body>Server Error in '/' Application.</body></html>"
    )
    with pytest.raises(FileFormatError, match=r"without a result table .*'Runtime Error'.*error page"):
        read_delivery(_variant(tmp_path, "resultat.html", page))


def test_truncated_sdb_export_without_footer(tmp_path: Path) -> None:
    lines = (
        (FX / "socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv").read_bytes().splitlines(True)
    )
    path = _variant(tmp_path, "export.csv", b"".join(lines[:100]))
    with pytest.raises(
        FileFormatError, match="row 100: the last line is not 'Socialstyrelsens statistikdatabas"
    ):
        read_delivery(path)


def test_truncated_scb_csv_row(tmp_path: Path) -> None:
    data = (FX / "scb/web_export/befolkning.csv").read_bytes()
    cut = data[: data.index(b"\r\n", 200) - 8]  # ends inside a row: '"0128 Sa' with no value cell
    with pytest.raises(FileFormatError, match=r"row \d+: 1 cells but the header has 2"):
        read_delivery(_variant(tmp_path, "befolkning.csv", cut))


def test_missing_column_is_unrecognised(tmp_path: Path) -> None:
    text = (FX / "scb/web_export/population2018.csv").read_text("utf-8-sig")
    dropped = "\n".join(";".join(line.split(";")[:2]) for line in text.splitlines())
    with pytest.raises(FileFormatError, match="unrecognised CSV header"):
        read_delivery(_variant(tmp_path, "population.csv", dropped.encode()))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="empty file"):
        read_delivery(_variant(tmp_path, "empty.csv", b""))


def test_unknown_json(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="neither json-stat2 data nor statistics-API rows"):
        read_delivery(_variant(tmp_path, "x.json", b'{"values": []}'))
