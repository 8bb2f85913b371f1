"""Rows from Socialstyrelsen's statistics API v1 (`/api/v1/sv/{topic}/resultat/...`) as a text frame.

Accepted shapes: a page (`{"data": [...], "amne": ...}`), a bare list of rows, or rows grouped under
names (`{"Guanfacin": [...], ...}`, as in the ADHD-medication fixture). A row is an object of
`<variable>Id` fields, `ar` and `varde` (text with a decimal comma; "X" = suppressed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from sources.files.errors import FileFormatError
from sources.files.rawtable import ROW_COL
from sources.files.reader import RawFile

GROUP_COL = "_group"
TOPIC_COL = "_topic"
REQUIRED = ("ar", "varde")


def is_api_rows(doc: Any) -> bool:
    """Whether a parsed JSON document looks like statistics-API rows (any accepted shape)."""
    groups = _groups(doc)
    return bool(groups) and all(
        isinstance(rows, list) and rows and isinstance(rows[0], Mapping) and "varde" in rows[0]
        for rows in groups.values()
    )


def _groups(doc: Any) -> dict[str, Any]:
    if isinstance(doc, list):
        return {"": doc}
    if isinstance(doc, Mapping) and isinstance(doc.get("data"), list):
        return {"": doc["data"]}
    if isinstance(doc, Mapping):
        return dict(doc)
    return {}


def api_rows_frame(raw: RawFile, doc: Any) -> pl.DataFrame:
    """All rows as String columns plus `_group` (the grouping name), `_topic` and `_row` (1-based)."""
    topic = doc.get("amne") if isinstance(doc, Mapping) and "data" in doc else None
    rows: list[dict[str, str | None]] = []
    for group, items in _groups(doc).items():
        for item in items:
            if not isinstance(item, Mapping):
                raise FileFormatError(raw.path, f"row {len(rows) + 1} is not an object: {item!r}"[:200])
            rows.append({str(k): None if v is None else str(v) for k, v in item.items()} | {GROUP_COL: group})
    columns = sorted({k for row in rows for k in row})
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileFormatError(raw.path, f"statistics-API rows lack {missing}")
    frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))
    return frame.with_columns(
        pl.lit(topic, pl.String).alias(TOPIC_COL),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_COL),
    )
