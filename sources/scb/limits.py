"""PxWeb limits (from `/config`) and splitting a selection into requests that respect them.

PxWeb answers a query with more cells than `maxDataCells` with an error, and more than
`maxCallsPerTimeWindow` calls per `timeWindow` seconds with HTTP 429. The client therefore spaces its
calls at window/calls seconds (the shared RateLimiter) and splits every selection into chunks of at most
max cells, cutting the time dimension first (chunks then differ by period, which keeps each stored
response a distinct logical file) and the region dimension next.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Selection = dict[str, list[str]]
DEFAULT_SPLIT_ORDER = ("Tid", "Region")


class PxWebConfigError(ValueError):
    """A `/config` answer without usable limits."""


@dataclass(frozen=True)
class ApiLimits:
    """The server's limits: cells per request and calls per time window (seconds)."""

    max_cells: int
    max_calls: int
    window_s: float

    @property
    def rate_per_s(self) -> float:
        """Calls per second that keep every window within max_calls."""
        return self.max_calls / self.window_s

    def cells(self, local_cap: int | None = None) -> int:
        """Cells per request: the server's maximum, lowered (never raised) by a local cap."""
        return min(self.max_cells, local_cap) if local_cap else self.max_cells

    def rate(self, local_cap: float | None = None) -> float:
        """Requests per second: the server's rate, lowered (never raised) by a local cap."""
        return min(self.rate_per_s, local_cap) if local_cap else self.rate_per_s

    @classmethod
    def from_v2_config(cls, config: Any, url: str = "/config") -> ApiLimits:
        """Read maxDataCells, maxCallsPerTimeWindow and timeWindow from a v2 `/config` answer."""
        return cls._read(config, url, ("maxDataCells", "maxCallsPerTimeWindow", "timeWindow"))

    @classmethod
    def from_v1_config(cls, config: Any, url: str = "?config") -> ApiLimits:
        """Read maxValues, maxCalls and timeWindow from a v1 `?config` answer."""
        return cls._read(config, url, ("maxValues", "maxCalls", "timeWindow"))

    @classmethod
    def _read(cls, config: Any, url: str, names: tuple[str, str, str]) -> ApiLimits:
        if not isinstance(config, Mapping):
            raise PxWebConfigError(
                f"{url}: expected a JSON object with {list(names)}, got {type(config).__name__}"
            )
        values = []
        for name in names:
            value = config.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise PxWebConfigError(f"{url}: {name} must be a positive number, got {value!r}")
            values.append(value)
        return cls(int(values[0]), int(values[1]), float(values[2]))


def cell_count(selection: Mapping[str, Sequence[str]]) -> int:
    """Cells a selection asks for: the product of the value counts (an eliminated variable counts 1)."""
    return math.prod(len(v) for v in selection.values())


def _chunks(values: list[str], size: int) -> list[list[str]]:
    """Split into ceil(n/size) chunks of near-equal length (never longer than size)."""
    parts = math.ceil(len(values) / size)
    even = math.ceil(len(values) / parts)
    return [values[i : i + even] for i in range(0, len(values), even)]


def split_selection(
    selection: Mapping[str, Sequence[str]], max_cells: int, order: Sequence[str] = DEFAULT_SPLIT_ORDER
) -> list[Selection]:
    """Split a selection (variable -> explicit value codes) into selections of at most max_cells cells.

    Variables named in `order` are cut first, then the others from the largest down. Values keep their
    order; the union of the chunks is exactly the selection.
    """
    if max_cells < 1:
        raise ValueError(f"max_cells must be >= 1, got {max_cells}")
    sel: Selection = {k: list(v) for k, v in selection.items()}
    empty = [k for k, v in sel.items() if not v]
    if empty:
        raise ValueError(f"selection has no values for {empty}")
    if cell_count(sel) <= max_cells:
        return [sel]
    ranked = [d for d in order if d in sel] + sorted(
        (d for d in sel if d not in order), key=lambda d: len(sel[d]), reverse=True
    )
    dim = next(d for d in ranked if len(sel[d]) > 1)
    rest = cell_count(sel) // len(sel[dim])
    if rest <= max_cells:
        return [{**sel, dim: chunk} for chunk in _chunks(sel[dim], max_cells // rest)]
    return [part for value in sel[dim] for part in split_selection({**sel, dim: [value]}, max_cells, order)]
