"""A table read from a file, every cell still text, with the file's own row numbers.

Readers (CSV, XLSX, HTML) produce a RawTable; transforms turn it into typed, validated frames. Row
numbers are the file's (CSV line, sheet row, HTML source line), so every later error or quarantine
reason can point at the exact place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .errors import FileFormatError

ROW_COL = "_row"


@dataclass(frozen=True)
class RawTable:
    """Header, data rows (lists of text cells) and their row numbers; groups label spanned columns."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    title: str | None = None
    groups: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the header as written in the file when `header` holds canonical names (network template)
    source_header: list[str] = field(default_factory=list)

    @classmethod
    def from_body(
        cls,
        path: Path,
        header: list[str],
        body: Sequence[tuple[int, list[str]]],
        *,
        empty: str,
        **fields: Any,
    ) -> RawTable:
        """The table of `body` rows given as (row number, cells); a body without a single row raises
        FileFormatError(`empty`): a delivery with a header and no data is refused, never loaded as 0 rows."""
        if not body:
            raise FileFormatError(path, empty)
        return cls(path, header, [cells for _, cells in body], [number for number, _ in body], **fields)

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.row_numbers):
            raise ValueError("rows and row_numbers differ in length")
        seen: set[str] = set()
        for name in self.header:
            if not name:
                raise FileFormatError(self.path, "the header has an empty column name")
            if name in seen:
                raise FileFormatError(self.path, "the header names this column twice", column=name)
            seen.add(name)
        width = len(self.header)
        for cells, number in zip(self.rows, self.row_numbers, strict=True):
            if len(cells) != width:
                raise FileFormatError(
                    self.path,
                    f"{len(cells)} cells but the header has {width} (truncated file or stray delimiter?)",
                    row=number,
                )

    def to_frame(self) -> pl.DataFrame:
        """All columns as String (None for missing cells) plus `_row` (Int64, the file's row number)."""
        columns = {name: [r[i] for r in self.rows] for i, name in enumerate(self.header)}
        frame = pl.DataFrame(columns, schema=dict.fromkeys(self.header, pl.String))
        return frame.with_columns(pl.Series(ROW_COL, self.row_numbers, dtype=pl.Int64))

    def labels(self) -> dict[str, str]:
        """Column name -> the name as written in the file (the same unless renamed canonically)."""
        return dict(zip(self.header, self.source_header or self.header, strict=True))


def trim_rows(rows: Sequence[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Drop rows whose cells are all blank and strip whitespace around every cell."""
    out = []
    for number, cells in rows:
        cleaned = [c.strip() if c is not None else "" for c in cells]
        if any(cleaned):
            out.append((number, cleaned))
    return out
