"""Detect what a delivered file is and read it: `read_delivery(path) -> ParsedFile`.

Kinds (the first that matches wins):

| kind | recognised by |
|---|---|
| network-xlsx | a ZIP/XLSX workbook with a network template header on a sheet |
| scb-jsonstat2 | JSON, `class: dataset` with values (PxWeb v1/v2 json-stat2 answer) |
| sdb-api-json | JSON rows with `varde` (Socialstyrelsen statistics API v1) |
| sdb-html | HTML with the result table `#ph1_GridView1` |
| sdb-csv | CSV ending "Socialstyrelsens statistikdatabas YYYY-MM-DD", or with Region + År/Månad columns |
| network-csv | CSV with a network template header |
| scb-csv | CSV with a region column ("0114 Upplands Väsby", or code + name) and period columns |

PxWeb metadata, configs and queries, HTML without the result table (an error page) and anything else
are refused with a FileFormatError naming the file and saying what it looks like instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.socialstyrelsen import api_rows_frame, has_footer, is_api_rows, parse_export, parse_result_page

from .csvread import read_rows
from .errors import FileFormatError
from .rawtable import RawTable, trim_rows
from .reader import RawFile, decode_text, read_raw
from .template import (
    HEADER_SCAN_ROWS,
    looks_like_template,
    near_template,
    read_template,
    required_names,
    template_delimiter,
)
from .xlsx import iter_sheets

KINDS = ("scb-jsonstat2", "scb-csv", "sdb-api-json", "sdb-html", "sdb-csv", "network-csv", "network-xlsx")
SCB_PERIOD_HEADER = re.compile(r"^\D*(\d{4})(M\d{2})?$")
SCB_REGION_HEADER = re.compile(r"^(region|kommun|municipality)([ _](code|kod|name|namn))?$", re.IGNORECASE)
SDB_PERIOD_HEADER = re.compile(r"^(år|månad|kvartal)$", re.IGNORECASE)
HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ParsedFile:
    """A recognised file: its kind, encoding, and its content.

    `table` for CSV, XLSX and HTML kinds; `document` is the parsed JSON for scb-jsonstat2 and the
    rows frame (sources.socialstyrelsen.api_rows_frame) for sdb-api-json.
    """

    raw: RawFile
    kind: str
    encoding: str | None = None
    table: RawTable | None = None
    document: Any = None


def read_delivery(path: Path | str) -> ParsedFile:
    """Read, recognise and parse one file; raise FileFormatError when it is none of KINDS."""
    raw = read_raw(path)
    if raw.data.startswith(b"PK\x03\x04"):
        return _xlsx(raw)
    text, encoding = decode_text(raw)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return _json(raw, text, encoding)
    if head == "<":
        if 'id="ph1_GridView1"' in text:
            return ParsedFile(raw, "sdb-html", encoding, table=parse_result_page(raw, text))
        title = HTML_TITLE.search(text)
        shown = " ".join(title.group(1).split())[:80] if title else "no title"
        raise FileFormatError(
            raw.path, f"an HTML page without a result table #ph1_GridView1 ({shown!r}): an error page?"
        )
    return _csv(raw, text, encoding)


def _xlsx(raw: RawFile) -> ParsedFile:
    checked = []
    near: tuple[str, list[tuple[int, list[str]]]] | None = None
    for sheet, rows in iter_sheets(raw):
        if looks_like_template(trim_rows(rows)):
            return ParsedFile(raw, "network-xlsx", None, table=read_template(raw, rows, sheet))
        if near is None and near_template(trim_rows(rows)):
            near = (sheet, rows)
        checked.append(sheet)
    if near is not None:
        read_template(raw, near[1], near[0])  # raises, naming what the sheet's header lacks
    raise FileFormatError(
        raw.path,
        f"no sheet with a network template header (sheets {checked}) in its first {HEADER_SCAN_ROWS} "
        f"rows: the template needs the columns {required_names()}",
    )


def _json(raw: RawFile, text: str, encoding: str) -> ParsedFile:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            raw.path, f"malformed or truncated JSON: {exc.msg} (column {exc.colno})", row=exc.lineno
        ) from None
    if isinstance(doc, dict) and doc.get("class") == "dataset":
        values = doc.get("value")
        if not values or (isinstance(values, list) and all(v is None for v in values)):
            raise FileFormatError(raw.path, "json-stat2 table metadata without values: nothing to load")
        return ParsedFile(raw, "scb-jsonstat2", encoding, document=doc)
    if isinstance(doc, dict) and isinstance(doc.get("query"), list):
        raise FileFormatError(raw.path, "a PxWeb v1 query (request body), not data")
    if isinstance(doc, dict) and "variables" in doc and "title" in doc:
        raise FileFormatError(raw.path, "PxWeb v1 table metadata (variables), not data")
    if isinstance(doc, dict) and ("maxDataCells" in doc or "maxCalls" in doc):
        raise FileFormatError(raw.path, "a PxWeb /config answer, not data")
    if is_api_rows(doc):
        return ParsedFile(raw, "sdb-api-json", encoding, document=api_rows_frame(raw, doc))
    raise FileFormatError(raw.path, "JSON that is neither json-stat2 data nor statistics-API rows")


def _csv(raw: RawFile, text: str, encoding: str) -> ParsedFile:
    if has_footer(text):
        return ParsedFile(raw, "sdb-csv", encoding, table=parse_export(raw, text))
    rows = trim_rows(read_rows(raw, text, template_delimiter(raw, text)))
    if not rows:
        raise FileFormatError(raw.path, "no rows")
    if looks_like_template(rows):
        return ParsedFile(raw, "network-csv", encoding, table=read_template(raw, rows))
    title = None
    if len(rows) > 1 and len([c for c in rows[0][1] if c]) == 1 and len(rows[1][1]) > 1:
        # an SCB export may start with a one-cell title line ("Folkmängd efter region och år")
        title, rows = rows[0][1][0], rows[1:]
    (_, header), body = rows[0], rows[1:]
    if any(SDB_PERIOD_HEADER.match(h) for h in header) and "Region" in header:
        # the statistics database's header without its footer: refuse rather than load a cut-off file
        parse_export(raw, text)
    regions = [h for h in header if SCB_REGION_HEADER.match(h)]
    periods = [h for h in header if SCB_PERIOD_HEADER.match(h)]
    if regions and periods and len(regions) + len(periods) == len(header):
        # an export saved before the selection returned anything is refused rather than loaded as 0 rows
        empty = "no data rows below the header: an SCB export without data"
        table = RawTable.from_body(raw.path, header, body, empty=empty, title=title)
        return ParsedFile(raw, "scb-csv", encoding, table=table)
    if near_template(rows):
        read_template(raw, rows)  # raises, naming what the template header lacks
    raise FileFormatError(
        raw.path,
        f"unrecognised CSV header {header[:8]}: not a supported export, and no network template header "
        f"in the first {HEADER_SCAN_ROWS} rows (the template needs the columns {required_names()})",
    )
