"""Finding the network template header below title rows, and naming what an incomplete header lacks.

The files are built here: real kommun codes, made-up measure values (a network's own figures).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from sources.files import FileFormatError, read_delivery
from sources.files.reader import read_raw
from sources.files.template import HEADER_SCAN_ROWS, template_delimiter

HEADER = ["nätverk", "kommun", "mått", "period", "värde"]
BODY = [["skl-ifo", "0561", "VNB1", "2023", "12,5"], ["skl-ifo", "0860", "VNB1", "2023", "10"]]


def _csv(tmp_path: Path, lines: list[str], name: str = "natverk.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode("utf-8") + b"\n")
    return path


def _lines(delimiter: str) -> list[str]:
    # a value with a decimal comma is quoted in a ','-separated file, as spreadsheets write it
    return [delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in (HEADER, *BODY)]


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("bom", [False, True], ids=["no BOM", "BOM"])
@pytest.mark.parametrize(
    "titles",
    [
        [],
        ["Nätverkets egna mått 2023"],
        ["Mått, ej granskade; preliminära", ""],
        ["", "Jämförelsenätverket", "Levererad 2024-02-01", "", ""],
    ],
    ids=["no title", "one title", "title with both delimiters", "titles and blank rows"],
)
def test_title_rows_above_the_header_load_like_without_them(
    tmp_path: Path, delimiter: str, bom: bool, titles: list[str]
) -> None:
    parsed = read_delivery(_csv(tmp_path, [*titles, *_lines(delimiter)], bom=bom))
    assert parsed.kind == "network-csv" and parsed.table is not None
    assert parsed.table.header == ["network", "municipality", "measure_id", "period", "value"]
    assert parsed.table.rows == BODY
    assert parsed.table.row_numbers == [len(titles) + 2, len(titles) + 3]


def test_the_delimiter_comes_from_the_header_not_the_title(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["Mått, 2023, preliminärt", *_lines(";")])
    assert template_delimiter(read_raw(path), path.read_text("utf-8")) == ";"


def test_the_header_is_looked_for_in_the_first_rows_only(tmp_path: Path) -> None:
    titles = [f"Titelrad {i}" for i in range(1, HEADER_SCAN_ROWS)]
    assert read_delivery(_csv(tmp_path, [*titles, *_lines(";")])).kind == "network-csv"
    too_deep = _csv(tmp_path, ["Titelrad 0", *titles, *_lines(";")], name="djup.csv")
    with pytest.raises(FileFormatError) as info:
        read_delivery(too_deep)
    message = str(info.value)
    assert message.startswith(f"{too_deep}: ") and "\n" not in message
    assert (
        f"no network template header in the first {HEADER_SCAN_ROWS} rows (the template needs the "
        "columns 'kommun', 'mått', 'värde', 'period' (or 'år'))" in message
    )


@pytest.mark.parametrize(
    ("header", "lacks", "found"),
    [
        ("nätverk;kommun;mått;enhet", "'värde', 'period' (or 'år')", "'nätverk', 'kommun', 'mått', 'enhet'"),
        ("Kommun;Mått;Period", "'värde'", "'Kommun', 'Mått', 'Period'"),
        ("Measure;Year;Value", "'kommun'", "'Measure', 'Year', 'Value'"),
        ("kommunkod;värde;period;anmärkning", "'mått'", "'kommunkod', 'värde', 'period', 'anmärkning'"),
    ],
)
def test_a_missing_required_column_is_named(tmp_path: Path, header: str, lacks: str, found: str) -> None:
    path = _csv(tmp_path, ["Nätverkets mått", header, "0561;VNB1;2023"])
    with pytest.raises(FileFormatError) as info:
        read_delivery(path)
    assert str(info.value) == (
        f"{path}: the header lacks the required column(s) {lacks}; found {found} (row 2)"
    )


def test_an_xlsx_sheet_missing_a_required_column_is_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Info"
    book.active["A1"] = "Om filen"
    sheet = book.create_sheet("Mått")
    sheet.append(["Nätverkets egna mått"])
    sheet.append(["Kommun", "Mått", "Period"])
    sheet.append(["0561", "VNB1", 2023])
    path = tmp_path / "natverk.xlsx"
    book.save(path)
    with pytest.raises(FileFormatError) as info:
        read_delivery(path)
    assert str(info.value) == (
        f"{path}: the header lacks the required column(s) 'värde'; found 'Kommun', 'Mått', 'Period' "
        "(row 2 of sheet 'Mått')"
    )


def test_xlsx_and_csv_share_the_header_row_limit(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for i in range(HEADER_SCAN_ROWS):
        book.active.append([f"Titelrad {i}"])
    book.active.append(HEADER)
    book.active.append(BODY[0])
    path = tmp_path / "djup.xlsx"
    book.save(path)
    limit = f"no sheet with a network template header .* in its first {HEADER_SCAN_ROWS} rows"
    with pytest.raises(FileFormatError, match=limit):
        read_delivery(path)
