"""Network template header discovery in CSV and XLSX (files built here from tiny synthetic literals)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from sources.files import FileFormatError, read_delivery
from sources.fixtures import REPO_ROOT

TEMPLATE = REPO_ROOT / "pipeline/reference/network_template.csv"


def _csv(tmp_path: Path, text: str, name: str = "net.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_template_header_is_recognised(tmp_path: Path) -> None:
    # the shipped template plus one synthetic row
    text = TEMPLATE.read_text("utf-8") + "Fyra;0114;BT1;Brukartid;2024;12,5;%;higher;\r\n"
    parsed = read_delivery(_csv(tmp_path, text))
    assert parsed.kind == "network-csv" and parsed.table is not None
    assert parsed.table.header == [
        "network",
        "municipality",
        "measure_id",
        "measure_title",
        "period",
        "value",
        "unit",
        "direction",
        "note",
    ]
    assert parsed.table.rows == [["Fyra", "0114", "BT1", "Brukartid", "2024", "12,5", "%", "higher", ""]]


def test_english_any_order_title_rows_and_ignored_columns(tmp_path: Path) -> None:
    text = (
        "Network measures 2024,,,\n,,,\n"
        "Value,Period,Measure ID,Municipality,Source\n3,2024-05,BT1,Vallentuna,x\n"
    )
    table = read_delivery(_csv(tmp_path, text)).table
    assert table is not None
    assert table.header == ["value", "period", "measure_id", "municipality"]
    assert table.rows == [["3", "2024-05", "BT1", "Vallentuna"]] and table.row_numbers == [4]
    assert table.notes == ["ignored columns: Source"]
    assert table.labels()["municipality"] == "Municipality"


def test_year_and_month_columns(tmp_path: Path) -> None:
    table = read_delivery(_csv(tmp_path, "Kommun;Mått;År;Månad;Värde\n0114;A;2024;3;1\n")).table
    assert table is not None and table.header == ["municipality", "measure_id", "year", "month", "value"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Kommun;Mått;Värde\n0114;A;1\n",
            r": the header lacks the required column\(s\) 'period' \(or 'år'\); "
            r"found 'Kommun', 'Mått', 'Värde' \(row 1\)$",
        ),
        ("Kommun;Mått;Period;Värde;Value\n0114;A;2024;1;2\n", "columns 'Värde' and 'Value' both mean value"),
        ("Kommun;Mått;Period;År;Värde\n0114;A;2024;2024;1\n", "either a period column or år"),
        (
            "Kommun;Mått;Månad;Värde;Enhet\n0114;A;3;1;%\n",
            r"lacks the required column\(s\) 'period' \(or 'år'\); found 'Kommun', 'Mått', 'Månad'",
        ),
        ("Kommun;Mått;Period;Värde\n0114;A;2024;1;extra\n", "row 2: cells beyond the header"),
    ],
)
def test_header_problems_name_file_and_row(tmp_path: Path, text: str, message: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(FileFormatError, match=message) as info:
        read_delivery(path)
    assert str(info.value).startswith(str(path))


def test_xlsx_template_on_second_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Info"
    book.active["A1"] = "Om filen"
    sheet = book.create_sheet("Mått")
    sheet.append(["Nätverkets egna mått"])
    sheet.append([])
    sheet.append(["Kommun", "Mått", "Period", "Värde", "Riktning"])
    sheet.append([114, "BT1", 2024, 12.5, "högre"])
    sheet.append(["Vallentuna", "BT1", "2024-05", None, None])
    path = tmp_path / "net.xlsx"
    book.save(path)
    parsed = read_delivery(path)
    assert parsed.kind == "network-xlsx" and parsed.table is not None
    assert parsed.table.rows == [
        ["114", "BT1", "2024", "12.5", "högre"],
        ["Vallentuna", "BT1", "2024-05", "", ""],
    ]
    assert parsed.table.row_numbers == [4, 5]


def test_xlsx_without_template_and_broken_zip(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "nothing here"
    path = tmp_path / "other.xlsx"
    book.save(path)
    with pytest.raises(FileFormatError, match="no sheet with a network template header"):
        read_delivery(path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(FileFormatError, match="not a readable XLSX workbook"):
        read_delivery(broken)
