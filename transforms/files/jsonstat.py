"""Decode a json-stat2 dataset (PxWeb v1 and v2 answers) into a long Polars frame, vectorised.

`value` is row-major in `id` order, so cell i has, for dimension k, category position
(i // stride_k) % size_k with stride_k = prod(size[k+1:]). The codes are gathered by those positions
with NumPy/Polars; there is no loop over cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

CELL_COL = "_cell"


class JsonStatError(ValueError):
    """A document that is not a well-formed json-stat2 dataset; the message names what is wrong."""


@dataclass(frozen=True)
class JsonStatDataset:
    """The decoded cube: one String column per dimension (codes), `value`, `status` and `_cell`."""

    frame: pl.DataFrame
    dims: list[str]
    labels: dict[str, dict[str, str]]
    dim_labels: dict[str, str]
    table_id: str | None
    title: str
    time_dims: list[str] = field(default_factory=list)
    metric_dims: list[str] = field(default_factory=list)


def _category_codes(name: str, dim: str, category: Mapping[str, Any], size: int) -> list[str]:
    """Codes in position order; index may be {code: pos}, [code, ...] or absent (one label)."""
    index = category.get("index")
    if index is None:
        labels = category.get("label") or {}
        if len(labels) != 1:
            raise JsonStatError(f"{name}: dimension {dim!r} has no category.index")
        return [str(next(iter(labels)))]
    if isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, Mapping):
        positions = sorted(index.values())
        if positions != list(range(len(index))):
            raise JsonStatError(f"{name}: dimension {dim!r} index positions are not 0..{len(index) - 1}")
        codes = [str(code) for code, _ in sorted(index.items(), key=lambda item: item[1])]
    else:
        raise JsonStatError(f"{name}: dimension {dim!r} category.index is {type(index).__name__}")
    if len(codes) != size:
        raise JsonStatError(f"{name}: dimension {dim!r} has {len(codes)} categories but size says {size}")
    return codes


def _dense(name: str, what: str, raw: Any, n: int, dtype: pl.DataType) -> pl.Series:
    """A json-stat value/status array (list, sparse {"pos": x} object or one scalar) as n cells."""
    if raw is None:
        return pl.Series(what, [None] * n, dtype=dtype)
    if isinstance(raw, list):
        if len(raw) != n:
            raise JsonStatError(f"{name}: {what} has {len(raw)} entries but the sizes multiply to {n}")
        items = raw
    elif isinstance(raw, Mapping):
        items = [None] * n
        for key, item in raw.items():
            if not str(key).isdigit() or int(key) >= n:
                raise JsonStatError(f"{name}: {what} key {key!r} is not a cell position below {n}")
            items[int(key)] = item
    elif what == "status" and isinstance(raw, str):
        items = [raw] * n
    else:
        raise JsonStatError(f"{name}: {what} is {type(raw).__name__}, expected a list or an object")
    try:
        return pl.Series(what, items, dtype=dtype, strict=True)
    except (TypeError, pl.exceptions.PolarsError):
        bad = next(
            (i for i, v in enumerate(items) if v is not None and not isinstance(v, int | float | str)), None
        )
        if bad is None and dtype == pl.Float64():
            bad = next(i for i, v in enumerate(items) if v is not None and not isinstance(v, int | float))
        shown = "?" if bad is None else repr(items[bad])
        raise JsonStatError(f"{name}: {what} at cell {bad} is {shown}, not a number") from None


def decode_jsonstat2(doc: Any, *, name: str = "json-stat2") -> JsonStatDataset:
    """Decode one dataset; raise JsonStatError naming the file (`name`) and the problem."""
    if not isinstance(doc, Mapping) or doc.get("class") != "dataset":
        raise JsonStatError(f"{name}: not a json-stat2 dataset (class must be 'dataset')")
    ids, sizes, dims = doc.get("id"), doc.get("size"), doc.get("dimension")
    if not isinstance(ids, list) or not isinstance(sizes, list) or not isinstance(dims, Mapping):
        raise JsonStatError(f"{name}: id, size and dimension are required")
    if len(ids) != len(sizes) or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise JsonStatError(f"{name}: size {sizes} does not match id {ids}")
    missing = [d for d in ids if d not in dims]
    if missing:
        raise JsonStatError(f"{name}: dimension entries missing for {missing}")
    n = math.prod(sizes)
    cells = np.arange(n, dtype=np.int64)
    strides = [math.prod(sizes[k + 1 :]) for k in range(len(sizes))]
    columns: list[pl.Series] = [pl.Series(CELL_COL, cells)]
    labels: dict[str, dict[str, str]] = {}
    for dim, size, stride in zip(ids, sizes, strides, strict=True):
        category = dims[dim].get("category") or {}
        codes = _category_codes(name, dim, category, size)
        labels[dim] = {str(k): str(v) for k, v in (category.get("label") or {}).items()}
        positions = pl.Series((cells // stride) % size)
        columns.append(pl.Series(dim, codes, dtype=pl.String).gather(positions))
    columns.append(_dense(name, "value", doc.get("value"), n, pl.Float64()))
    columns.append(_dense(name, "status", doc.get("status"), n, pl.String()))
    px = (doc.get("extension") or {}).get("px") or {}
    role = doc.get("role") or {}
    return JsonStatDataset(
        frame=pl.DataFrame(columns),
        dims=list(ids),
        labels=labels,
        dim_labels={d: str(dims[d].get("label", d)) for d in ids},
        table_id=px.get("tableid") or px.get("matrix"),
        title=str(doc.get("label", "")),
        time_dims=list(role.get("time") or []),
        metric_dims=list(role.get("metric") or []),
    )
