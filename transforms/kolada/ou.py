"""The core.ou dimension from /ou pages."""

from __future__ import annotations

import polars as pl

from schemas.kolada import Ou
from schemas.validate import validate_split
from transforms.kolada.pages import (
    SOURCE,
    DimResult,
    decode_items,
    reject_unknown_fields,
    require_fields,
)

OU_DTYPE = pl.Struct({"id": pl.String, "municipality": pl.String, "title": pl.String})
# "V21E…" → "V21": the 2-digit unit type (V21 hemtjänst, V23 särskilt boende, …; kolada_v3.md §4.5)
OU_TYPE_LENGTH = 3


def ou_dimension(pages: pl.DataFrame) -> DimResult:
    """Parse /ou pages into core.ou rows (ou_id, municipality_id, title, ou_type) and quarantine."""
    items = decode_items(pages, OU_DTYPE, entity="ou")
    require_fields(items, ("id", "municipality", "title"), entity="ou")
    reject_unknown_fields(pages, OU_DTYPE, entity="ou")
    rows = items.select(
        ou_id=pl.col("id"),
        municipality_id=pl.col("municipality"),
        title=pl.col("title"),
        ou_type=pl.col("id").str.slice(0, OU_TYPE_LENGTH),
        _record=pl.col("_item"),
    )
    valid, quarantine = validate_split(rows, Ou, source=SOURCE, entity="ou", key_cols=["ou_id"])
    return DimResult(valid, quarantine)
