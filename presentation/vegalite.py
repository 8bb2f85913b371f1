"""Vega-Lite specifications as plain dicts: the few building blocks the report's charts use.

The report draws ~120 small charts; building them as Altair objects cost more than rendering them
(Altair validates every object against the Vega-Lite JSON schema as it is built and again on
`to_dict`). The dicts built here are the specs Altair produced for the same charts (the same
`$schema`, view config, named datasets and layer data placement); the tests validate them against
the Vega-Lite schema, and vl-convert renders them to SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

# the Vega-Lite version vl-convert renders (the one Altair 6.3 targets)
SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
# Altair's default view size for continuous axes; every chart here sets width and height itself
VIEW = {"continuousHeight": 300, "continuousWidth": 300}
TYPES = {"N": "nominal", "Q": "quantitative", "T": "temporal", "O": "ordinal"}

Spec = dict[str, Any]


def channel(shorthand: str, **options: Any) -> Spec:
    """An encoding channel from Altair's shorthand `field:T` (N, Q, T or O) plus its options."""
    field, _, kind = shorthand.rpartition(":")
    return {"field": field, "type": TYPES[kind], **options}


def condition(test: str, if_true: Any, otherwise: Any) -> Spec:
    """A conditional value: `if_true` where the Vega expression `test` holds, else `otherwise`."""
    return {"condition": {"test": test, "value": if_true}, "value": otherwise}


def mark(kind: str, **options: Any) -> Spec:
    """A mark definition: its type and options (Vega-Lite keeps them in one object)."""
    return {"type": kind, **options}


def layer(
    kind: str,
    encoding: Spec,
    *,
    data: pl.DataFrame,
    filter_: str | None = None,
    **mark_options: Any,
) -> tuple[pl.DataFrame, Spec]:
    """One layer: its data frame and its spec (mark, encoding, an optional filter transform)."""
    spec: Spec = {"mark": mark(kind, **mark_options), "encoding": encoding}
    if filter_ is not None:
        spec["transform"] = [{"filter": filter_}]
    return data, spec


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def layered(layers: Sequence[tuple[pl.DataFrame, Spec]], **properties: Any) -> Spec:
    """A layer chart. Layers drawing the same frame share one dataset; when all of them do, the data
    moves to the top level (as Altair does), otherwise each layer names its own."""
    names: dict[int, str] = {}
    datasets: dict[str, list[dict[str, Any]]] = {}
    for frame, _ in layers:
        if id(frame) not in names:
            names[id(frame)] = f"data-{len(names)}"
            datasets[names[id(frame)]] = _records(frame)
    shared = len(names) == 1
    top: Spec = {"$schema": SCHEMA_URL, "config": {"view": dict(VIEW)}, "datasets": datasets}
    if shared:
        top["data"] = {"name": next(iter(names.values()))}
        top["layer"] = [spec for _, spec in layers]
    else:
        top["layer"] = [{"data": {"name": names[id(frame)]}, **spec} for frame, spec in layers]
    return {**top, **properties}


def single(frame: pl.DataFrame, kind: str, encoding: Spec, **properties: Any) -> Spec:
    """A one-mark chart of `frame`."""
    return {
        "$schema": SCHEMA_URL,
        "config": {"view": dict(VIEW)},
        "data": {"name": "data-0"},
        "datasets": {"data-0": _records(frame)},
        "mark": mark(kind),
        "encoding": encoding,
        **properties,
    }
