"""Building PxWeb selections from table metadata, and splitting v1 queries by the cell limit."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .limits import Selection, cell_count, split_selection

POPULATION_LABEL = re.compile(r"^folkmängd", re.IGNORECASE)
TOTAL_CODE = re.compile(r"^tot", re.IGNORECASE)
REGION_LEVELS = {
    "riket": re.compile(r"^00$"),
    "lan": re.compile(r"^\d{2}$"),
    "kommun": re.compile(r"^\d{4}$"),
}


class SelectionError(ValueError):
    """The table's metadata cannot give the selection asked for."""


def _codes(meta: Mapping[str, Any], dim: str) -> list[str]:
    """A dimension's value codes in index order (index may be an object or an array)."""
    index = meta["dimension"][dim]["category"]["index"]
    if isinstance(index, list):
        return [str(c) for c in index]
    return [code for code, _ in sorted(index.items(), key=lambda item: item[1])]


def _labels(meta: Mapping[str, Any], dim: str) -> dict[str, str]:
    return dict(meta["dimension"][dim]["category"].get("label") or {})


def population_selection(
    meta: Mapping[str, Any],
    *,
    periods: Sequence[str] | None = None,
    by_sex: bool = False,
    levels: Sequence[str] = ("riket", "kommun"),
) -> Selection:
    """Select total population per region at `levels` for `periods` (codes or years; None = all).

    The population content is the ContentsCode labelled "Folkmängd...". Other variables are left out
    when the table allows eliminating them, else set to their total ("tot..." code); `by_sex` keeps
    every Kon value. A variable that can neither be eliminated nor totalled is an error.
    """
    table = meta.get("extension", {}).get("px", {}).get("tableid") or meta.get("label", "?")
    patterns = [REGION_LEVELS[level] for level in levels]
    selection: Selection = {}
    for dim in meta["id"]:
        codes = _codes(meta, dim)
        extension = meta["dimension"][dim].get("extension") or {}
        if dim == "Region":
            selection[dim] = [c for c in codes if any(p.match(c) for p in patterns)]
        elif dim == "Tid":
            wanted = set(periods) if periods is not None else None
            selection[dim] = [c for c in codes if wanted is None or c in wanted or c[:4] in wanted]
        elif dim == "ContentsCode":
            labels = _labels(meta, dim)
            found = [c for c in codes if POPULATION_LABEL.match(labels.get(c, ""))]
            if not found:
                raise SelectionError(f"{table}: no ContentsCode labelled 'Folkmängd...' in {labels}")
            selection[dim] = found[:1]
        elif dim == "Kon" and by_sex:
            selection[dim] = codes
        elif not extension.get("elimination", False):
            totals = [c for c in codes if TOTAL_CODE.match(c)]
            if not totals:
                raise SelectionError(f"{table}: variable {dim} cannot be eliminated and has no total code")
            selection[dim] = totals[:1]
    empty = [dim for dim, values in selection.items() if not values]
    if empty:
        raise SelectionError(
            f"{table}: nothing to select for {empty} (periods {periods}, levels {list(levels)})"
        )
    return selection


def split_v1_query(query: Mapping[str, Any], max_cells: int) -> Iterator[tuple[dict[str, Any], int]]:
    """Yield (body, cells) per request for a v1 query; only `item` filters can be split.

    A query with other filters (all, vs:, agg:, top) has a cell count only the server knows, so it is
    sent whole and the server's own limit applies. The response format is forced to json-stat2.
    """
    entries = list(query.get("query") or [])
    body = {**query, "response": {"format": "json-stat2"}}
    if any((e.get("selection") or {}).get("filter") != "item" for e in entries):
        yield body, 0
        return
    selection = {e["code"]: list(e["selection"]["values"]) for e in entries}
    for chunk in split_selection(selection, max_cells):
        part = [{**e, "selection": {**e["selection"], "values": chunk[e["code"]]}} for e in entries]
        yield {**body, "query": part}, cell_count(chunk)
