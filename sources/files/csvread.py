"""CSV rows with their line numbers; the delimiter (`;`, `,` or tab) is given or guessed from line one."""

from __future__ import annotations

import csv
import io

from .errors import FileFormatError
from .reader import RawFile

DELIMITERS = (";", ",", "\t")


def sniff_delimiter(line: str) -> str:
    """The delimiter that occurs most often outside quotes in a header line (`,` on a tie or none)."""
    outside = "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_rows(raw: RawFile, text: str, delimiter: str | None = None) -> list[tuple[int, list[str]]]:
    """Every CSV record as (line number, cells); a malformed record is an error naming its line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(first))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise FileFormatError(raw.path, f"malformed CSV: {exc}", row=reader.line_num) from None
    return rows


def read_head(raw: RawFile, text: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    """The first `limit` records that are not blank, split by `delimiter` (for finding a header row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
                if len(rows) == limit:
                    break
    except csv.Error as exc:
        raise FileFormatError(raw.path, f"malformed CSV: {exc}", row=reader.line_num) from None
    return rows
