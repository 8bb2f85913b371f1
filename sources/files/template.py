"""The network measure template (docs/network_template.md): find its header row and name its columns.

The header may sit below title rows, in any column order, in Swedish or English. Each recognised
column gets its canonical name (municipality, measure_id, measure_title, period, year, month, value,
unit, direction, note, network); other columns are ignored and listed in the table's notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
REQUIRED_HELP = "kommun/municipality, mått/measure, period/år/månad (or år + månad), värde/value"
HEADER_SCAN_ROWS = 20


def normalise_header(text: str) -> str:
    """Casefold, treat '-', '_' and '/' as spaces, collapse spaces, drop a trailing ':' or '*'."""
    return " ".join(re.sub(r"[-_/]", " ", text.casefold()).split()).rstrip(":* ")


def _mapping(cells: Sequence[str]) -> dict[int, str]:
    return {i: CANONICAL[n] for i, c in enumerate(cells) if (n := normalise_header(c)) in CANONICAL}


def _missing(found: set[str]) -> list[str]:
    missing = [c for c in ("municipality", "measure_id", "value") if c not in found]
    if "period" not in found and "year" not in found:
        missing.append("period")
    return missing


def looks_like_template(rows: Sequence[tuple[int, list[str]]]) -> bool:
    """Whether one of the first rows is a complete template header."""
    return any(not _missing(set(_mapping(cells).values())) for _, cells in rows[:HEADER_SCAN_ROWS])


def near_template(rows: Sequence[tuple[int, list[str]]]) -> bool:
    """Whether a row names a measure column and one more template column (an incomplete template)."""
    for _, cells in rows[:HEADER_SCAN_ROWS]:
        found = set(_mapping(cells).values())
        if "measure_id" in found and len(found) >= 2:
            return True
    return False


def read_template(raw: RawFile, rows: Sequence[tuple[int, list[str]]], sheet: str | None = None) -> RawTable:
    """Locate the header row, rename its columns canonically and return the rows below it."""
    rows = trim_rows(rows)
    where = f" (sheet {sheet!r})" if sheet else ""
    best: tuple[int, list[str]] | None = None
    for number, cells in rows[:HEADER_SCAN_ROWS]:
        missing = _missing(set(_mapping(cells).values()))
        if not missing:
            table = _table(raw, rows, number, cells)
            if not table.rows:
                # the blank template as shipped, sent back unfilled: refuse rather than load 0 rows
                raise FileFormatError(raw.path, f"no data rows below the template header{where}", row=number)
            return table
        if best is None or len(missing) < len(best[1]):
            best = (number, missing)
    detail = f"; best candidate row {best[0]} lacks {best[1]}" if best else ""
    raise FileFormatError(raw.path, f"no template header{where} with {REQUIRED_HELP}{detail}")


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
