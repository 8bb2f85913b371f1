"""A CSV exported from Socialstyrelsen's statistics database ("Spara tabellen som: csv") as a RawTable.

The export is `;`-separated UTF-8 with a BOM, decimal commas, and ends with the line
"Socialstyrelsens statistikdatabas YYYY-MM-DD"; a file without that footer was cut off or edited and
is refused rather than loaded in part.
"""

from __future__ import annotations

import re

from sources.files.csvread import read_rows
from sources.files.errors import FileFormatError
from sources.files.rawtable import RawTable, trim_rows
from sources.files.reader import RawFile

FOOTER = re.compile(r"^Socialstyrelsens statistikdatabas\s+(\d{4}-\d{2}-\d{2})$")
FOOTER_PREFIX = "Socialstyrelsens statistikdatabas"


def has_footer(text: str) -> bool:
    """True when the last non-blank line is the statistics database's footer."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and lines[-1].strip().startswith(FOOTER_PREFIX)


def parse_export(raw: RawFile, text: str) -> RawTable:
    """Header, data rows and the export date (in notes) of a statistics-database CSV export."""
    rows = trim_rows(read_rows(raw, text, ";"))
    if len(rows) < 2:
        raise FileFormatError(raw.path, "no data rows in the export")
    footer_line, footer = rows[-1]
    match = FOOTER.match(";".join(footer).strip(" ;"))
    if not match:
        raise FileFormatError(
            raw.path,
            f"the last line is not '{FOOTER_PREFIX} YYYY-MM-DD': the export is truncated or was edited",
            row=footer_line,
        )
    (_, header), body = rows[0], rows[1:-1]
    return RawTable.from_body(
        raw.path,
        header,
        body,
        empty="no data rows between the header and the footer",
        title=header[-1],
        notes=[f"exported {match.group(1)}"],
    )
