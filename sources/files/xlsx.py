"""XLSX sheets as rows of text cells with their sheet row numbers (fastexcel/calamine)."""

from __future__ import annotations

from collections.abc import Iterator

import fastexcel

from .errors import FileFormatError
from .reader import RawFile


def iter_sheets(raw: RawFile) -> Iterator[tuple[str, list[tuple[int, list[str]]]]]:
    """Yield (sheet name, [(row number, cells)]) for every sheet; cells are text, "" when empty.

    Numbers come back as their shortest text ("12.5", "2023") and dates as "YYYY-MM-DD 00:00:00".
    """
    try:
        reader = fastexcel.read_excel(raw.data)
    except fastexcel.FastExcelError as exc:
        raise FileFormatError(
            raw.path, f"not a readable XLSX workbook ({str(exc).splitlines()[0]})"
        ) from None
    for index, name in enumerate(reader.sheet_names):
        try:
            # skip_rows=0 keeps leading blank rows, so row numbers match the sheet's own
            sheet = reader.load_sheet(index, header_row=None, dtypes="string", skip_rows=0)
            frame = sheet.to_polars()
        except fastexcel.FastExcelError as exc:
            raise FileFormatError(
                raw.path, f"sheet {name!r} cannot be read ({str(exc).splitlines()[0]})"
            ) from None
        rows = [
            (number, ["" if cell is None else cell for cell in cells])
            for number, cells in enumerate(frame.iter_rows(), start=1)
        ]
        yield name, rows
