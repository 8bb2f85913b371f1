"""The network measure template (docs/network_template.md): find its header row and name its columns.

The header may sit below title rows, in any column order, in Swedish or English. Each recognised
column gets its canonical name (municipality, measure_id, measure_title, period, year, month, value,
unit, direction, note, network); other columns are ignored and listed in the table's notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .csvread import DELIMITERS, read_head, sniff_delimiter
from .errors import FileFormatError
from .rawtable import RawTable, trim_rows
from .reader import RawFile

SYNONYMS: dict[str, tuple[str, ...]] = {
    "municipality": (
        "kommun",
        "kommunkod",
        "kommunnamn",
        "municipality",
        "municipality id",
        "municipality code",
    ),
    "measure_id": ("mått", "mått id", "måttid", "måttkod", "measure", "measure id", "measure code"),
    "measure_title": (
        "måttnamn",
        "mått namn",
        "benämning",
        "titel",
        "measure title",
        "measure name",
        "title",
    ),
    "period": ("period", "år månad", "tidsperiod", "year month"),
    "year": ("år", "year"),
    "month": ("månad", "month"),
    "value": ("värde", "value"),
    "unit": ("enhet", "unit"),
    "direction": ("riktning", "direction", "bättre", "better"),
    "note": ("kommentar", "anmärkning", "not", "note", "comment", "notes"),
    "network": ("nätverk", "network"),
}
CANONICAL = {syn: name for name, syns in SYNONYMS.items() for syn in syns}
# "period" may instead be given as år (+ månad); each column is named by its Swedish name, SYNONYMS[...][0]
REQUIRED = ("municipality", "measure_id", "value", "period")
# the header is looked for in the first rows that are not blank, of a CSV file or of each XLSX sheet
HEADER_SCAN_ROWS = 20


def normalise_header(text: str) -> str:
    """Casefold, treat '-', '_' and '/' as spaces, collapse spaces, drop a trailing ':' or '*'."""
    return " ".join(re.sub(r"[-_/]", " ", text.casefold()).split()).rstrip(":* ")


def _mapping(cells: Sequence[str]) -> dict[int, str]:
    return {i: CANONICAL[n] for i, c in enumerate(cells) if (n := normalise_header(c)) in CANONICAL}


def _missing(found: set[str]) -> list[str]:
    return [c for c in REQUIRED if c not in found and not (c == "period" and "year" in found)]


def required_names(columns: Sequence[str] = REQUIRED) -> str:
    """The required columns by their Swedish names: "'värde', 'period' (or 'år')"."""
    alternative = f" (or '{SYNONYMS['year'][0]}')"
    return ", ".join(f"'{SYNONYMS[c][0]}'" + (alternative if c == "period" else "") for c in columns)


def header_score(rows: Sequence[tuple[int, list[str]]]) -> int:
    """The most template columns any of the first rows names (0: no row looks like a template header)."""
    return max((len(set(_mapping(cells).values())) for _, cells in rows[:HEADER_SCAN_ROWS]), default=0)


def looks_like_template(rows: Sequence[tuple[int, list[str]]]) -> bool:
    """Whether one of the first rows is a complete template header."""
    return any(not _missing(set(_mapping(cells).values())) for _, cells in rows[:HEADER_SCAN_ROWS])


def near_template(rows: Sequence[tuple[int, list[str]]]) -> bool:
    """Whether a row names a measure or value column and one more template column (an incomplete
    template, refused by read_template naming what it lacks)."""
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        found = set(_mapping(cells).values())
        if found & {"measure_id", "value"} and len(found) >= 2:
            return True
    return False


def template_delimiter(raw: RawFile, text: str) -> str:
    """The delimiter under which the CSV's first rows name the most template columns.

    The first line alone may mislead: a title row above the header ("Mått, 2024" above a `;` header)
    has its own punctuation. On a tie (e.g. no template columns at all) the first line decides.
    """
    first = sniff_delimiter(next((line for line in text.splitlines() if line.strip()), ""))
    scores: dict[str, int] = {}
    for delimiter in DELIMITERS:
        try:
            scores[delimiter] = header_score(read_head(raw, text, delimiter, HEADER_SCAN_ROWS))
        except FileFormatError:
            # unreadable when split this way: this delimiter is not the file's
            scores[delimiter] = -1
    return max(DELIMITERS, key=lambda d: (scores[d], d == first))


def read_template(raw: RawFile, rows: Sequence[tuple[int, list[str]]], sheet: str | None = None) -> RawTable:
    """Locate the header row, rename its columns canonically and return the rows below it."""
    rows = trim_rows(rows)
    where = f" (sheet {sheet!r})" if sheet else ""
    head = rows[:HEADER_SCAN_ROWS]
    for number, cells in head:
        if not _missing(set(_mapping(cells).values())):
            table = _table(raw, rows, number, cells)
            if not table.rows:
                # the blank template as shipped, sent back unfilled: refuse rather than load 0 rows
                raise FileFormatError(raw.path, f"no data rows below the template header{where}", row=number)
            return table
    # the nearest candidate: the first row naming the most template columns
    best = max(head, key=lambda row: header_score([row]), default=None)
    raise FileFormatError(raw.path, _lacks(best, sheet))


def _lacks(best: tuple[int, list[str]] | None, sheet: str | None) -> str:
    """Why no header was found: the nearest row's missing required columns, and what it did have."""
    of_sheet = f" of sheet {sheet!r}" if sheet else ""
    if best is None or not _mapping(best[1]):
        return (
            f"no network template header in the first {HEADER_SCAN_ROWS} rows{of_sheet}: no row names "
            f"the required columns {required_names()}"
        )
    number, cells = best
    missing = required_names(_missing(set(_mapping(cells).values())))
    found = ", ".join(f"'{c}'" for c in cells if c)
    return f"the header lacks the required column(s) {missing}; found {found} (row {number}{of_sheet})"


def _table(
    raw: RawFile, rows: Sequence[tuple[int, list[str]]], header_row: int, cells: list[str]
) -> RawTable:
    mapping = _mapping(cells)
    seen: dict[str, int] = {}
    for index, name in mapping.items():
        if name in seen:
            raise FileFormatError(
                raw.path,
                f"columns {cells[seen[name]]!r} and {cells[index]!r} both mean {name}",
                row=header_row,
                column=cells[index],
            )
        seen[name] = index
    if "period" in seen and ("year" in seen or "month" in seen):
        raise FileFormatError(
            raw.path, "give either a period column or år (+ månad) columns, not both", row=header_row
        )
    if "month" in seen and "year" not in seen:
        raise FileFormatError(raw.path, "a månad/month column needs an år/year column", row=header_row)
    ignored = [c for i, c in enumerate(cells) if c and i not in mapping]
    body = [(n, c) for n, c in rows if n > header_row]
    order = sorted(mapping)
    out_rows, numbers = [], []
    for number, row in body:
        extra = [c for i, c in enumerate(row) if c and i not in mapping and i >= len(cells)]
        if extra:
            raise FileFormatError(raw.path, f"cells beyond the header: {extra[:3]}", row=number)
        padded = row + [""] * (len(cells) - len(row))
        out_rows.append([padded[i] for i in order])
        numbers.append(number)
    notes = [f"ignored columns: {', '.join(ignored)}"] if ignored else []
    return RawTable(
        raw.path,
        [mapping[i] for i in order],
        out_rows,
        numbers,
        notes=notes,
        source_header=[cells[i] for i in order],
    )
