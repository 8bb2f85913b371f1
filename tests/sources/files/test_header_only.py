"""A delivery with a header and no data rows is refused naming the file, never loaded as 0 rows.

The files are the real fixtures' (and the shipped template's) header lines with the data cut away.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipeline.files import FilesLoadError, load_files
from sources.files import FileFormatError, read_delivery
from sources.fixtures import REPO_ROOT, fixtures_dir

FX = fixtures_dir()
BEFOLKNING = FX / "scb/web_export/befolkning.csv"  # ISO-8859-1, CRLF
SDB_EXPORT = FX / "socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv"
TEMPLATE = REPO_ROOT / "pipeline/reference/network_template.csv"  # shipped: the header line only


def _header(path: Path) -> bytes:
    return path.read_bytes().splitlines(keepends=True)[0]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _one_line_error(path: Path, pattern: str) -> None:
    with pytest.raises(FileFormatError, match=pattern) as info:
        read_delivery(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("befolkning.csv", _header(BEFOLKNING)),
        ("befolkning_blank_lines.csv", _header(BEFOLKNING) + b"\r\n\r\n ,\r\n"),
        # SCB exports may start with a one-cell title line
        (
            "befolkning_titled.csv",
            "Folkmängd efter region och år\r\n".encode("latin-1") + _header(BEFOLKNING),
        ),
    ],
    ids=["header", "blank lines", "title line"],
)
def test_scb_csv_header_only(tmp_path: Path, name: str, data: bytes) -> None:
    _one_line_error(_write(tmp_path, name, data), r": no data rows below the header")


def test_network_csv_header_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "network.csv", TEMPLATE.read_bytes())
    _one_line_error(path, r", row 1: no data rows below the template header$")


def test_network_xlsx_header_only(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Mått"
    book.active.append(TEMPLATE.read_text("utf-8").strip().split(";"))
    path = tmp_path / "network.xlsx"
    book.save(path)
    _one_line_error(path, r", row 1: no data rows below the template header \(sheet 'Mått'\)$")


def test_sdb_csv_header_and_footer_only(tmp_path: Path) -> None:
    """Already refused before this fix; kept here so the three file kinds stay consistent."""
    footer = SDB_EXPORT.read_bytes().splitlines(keepends=True)[-1]
    path = _write(tmp_path, "antibiotics.csv", _header(SDB_EXPORT) + footer)
    _one_line_error(path, r": no data rows between the header and the footer$")


def test_load_files_writes_nothing(tmp_path: Path) -> None:
    files = [
        _write(tmp_path, "befolkning.csv", _header(BEFOLKNING)),
        _write(tmp_path, "network.csv", TEMPLATE.read_bytes()),
    ]
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(
        FilesLoadError, match=r"2 of 2 files cannot be loaded, nothing written: .*no data rows"
    ):
        load_files(files, warehouse=warehouse, data_dir=tmp_path)
    assert not warehouse.exists()


def test_socialstyrelsen_html_header_only(tmp_path: Path) -> None:
    """The real result page with every data row of its table cut away: refused, not 0 rows."""
    page = (FX / "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html").read_text(
        encoding="utf-8"
    )
    table = page.index('id="ph1_GridView1"')
    header_end = page.index("</tr>", page.index("Sort$Region", table)) + len("</tr>")
    cut = page[:header_end] + page[page.index("</tbody></table>", header_end) :]
    path = _write(tmp_path, "bistand_header_only.html", cut.encode("utf-8"))
    _one_line_error(path, r"header row but no data rows")
