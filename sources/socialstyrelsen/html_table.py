"""A saved result page of Socialstyrelsen's statistics database (`resultat.aspx`) as a RawTable.

The page holds the table `#ph1_GridView1`: a first header row of spanned groups (the year over its
month columns), a second header row of column names (Region, the breakdown, Januari...), then one
row per region and breakdown value. Cells are kept as text (NBSP thousands separators, `X`, `--`);
the title comes from `#ph1_lblTableTitle` and the footnotes from `#ph1_pFotnoter`.
"""

from __future__ import annotations

from html.parser import HTMLParser

from sources.files.errors import FileFormatError
from sources.files.rawtable import RawTable, trim_rows
from sources.files.reader import RawFile

TABLE_ID = "ph1_GridView1"
TITLE_ID = "ph1_lblTableTitle"
NOTES_ID = "ph1_pFotnoter"


class _ResultPageParser(HTMLParser):
    """Collects the result table's rows (cell text, colspan, source line), the title and footnotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[int, list[tuple[str, int]]]] = []
        self.title: list[str] = []
        self.notes: list[str] = []
        self.table_found = False
        self.table_closed = False
        self._depth = 0  # nested <table> depth inside the result table
        self._row: list[tuple[str, int]] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._in_title = False
        self._notes_depth = 0
        self._note: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table" and (attr.get("id") == TABLE_ID or self._depth):
            self.table_found = True
            self._depth += 1
        elif self._depth == 1 and tag == "tr":
            self._row = []
            self.rows.append((self.getpos()[0], self._row))
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._span = int(attr.get("colspan") or 1)
        elif tag == "span" and attr.get("id") == TITLE_ID:
            self._in_title = True
        elif tag == "div" and (attr.get("id") == NOTES_ID or self._notes_depth):
            self._notes_depth += 1
        elif tag == "p" and self._notes_depth:
            self._note = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
            self.table_closed = self._depth == 0
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(("".join(self._cell), self._span))
            self._cell = None
        elif tag == "span" and self._in_title:
            self._in_title = False
        elif tag == "p" and self._note is not None:
            self.notes.append(" ".join("".join(self._note).split()))
            self._note = None
        elif tag == "div" and self._notes_depth:
            self._notes_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title.append(data)
        if self._note is not None:
            self._note.append(data)


def parse_result_page(raw: RawFile, text: str) -> RawTable:
    """Read `#ph1_GridView1`; a page without it, or cut off inside it, is a FileFormatError."""
    parser = _ResultPageParser()
    parser.feed(text)
    parser.close()
    if not parser.table_found:
        raise FileFormatError(raw.path, f"no result table #{TABLE_ID} in the HTML page (an error page?)")
    if not parser.table_closed:
        raise FileFormatError(raw.path, f"the result table #{TABLE_ID} is not closed: the file is truncated")
    header_at = next((i for i, (_, cells) in enumerate(parser.rows) if "Region" in _texts(cells)), None)
    if header_at is None:
        raise FileFormatError(raw.path, "the result table has no header row with a 'Region' column")
    groups: list[str] = []
    for _, cells in parser.rows[:header_at]:
        # a group row spans the columns below it; the last one (closest to the names) wins
        groups = [text.strip() for text, span in cells for _ in range(span)]
    header = [t.strip() for t in _texts(parser.rows[header_at][1])]
    groups = (groups + [""] * len(header))[: len(header)]
    body = trim_rows([(line, _texts(cells)) for line, cells in parser.rows[header_at + 1 :]])
    return RawTable.from_body(
        raw.path,
        header,
        body,
        empty="the result table has a header row but no data rows",
        title=" ".join("".join(parser.title).split()) or None,
        groups=groups,
        notes=parser.notes,
    )


def _texts(cells: list[tuple[str, int]]) -> list[str]:
    return [text for text, _ in cells]
