"""Vega-Lite specs rendered to inline SVG by vl-convert, in this process and in worker processes.

vl-convert renders one chart at a time per process (its JavaScript runtime is single-threaded), so a
report's ~120 charts take ~6 CPU-seconds in a row however many threads ask. `SvgRenderer` shares them
between this process and `JAMFOR_REPORT_PROCESSES - 1` worker processes, which import only this module
(not Polars or DuckDB) and start their renderer as soon as they are created: a caller that knows it
will render later (`jamfor demo`) creates the renderer early, so that start-up overlaps other work.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from html import escape
from types import TracebackType
from typing import Any

import vl_convert

from settings.config import report_processes

_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')
# a worker process costs ~1 s to start (~12 charts' rendering): a batch this small renders here alone
WORKERS_FROM_CHARTS = 24
# charts per task sent to a worker process: few enough to share out evenly, enough to amortise pickling
CHUNK = 4
# the smallest chart: rendering it starts vl-convert's runtime and loads Vega-Lite (~0.5 s)
WARM_UP_SPEC: dict[str, Any] = {
    "data": {"values": [{"x": 1}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}},
}

Job = tuple[dict[str, Any], str]


def render_svg(chart: dict[str, Any], label: str) -> str:
    """The chart as inline SVG: Swedish number format, scalable (viewBox), no namespace URLs.

    Inline SVG in HTML needs no xmlns; dropping it leaves the page without any http(s) text at all.
    The spec is not validated here (the tests validate every kind of chart against the schema).
    """
    spec = {**chart}
    # the root becomes one labelled image; per-mark ARIA labels would only add ~10 % of bytes
    spec["config"] = {**spec.get("config", {}), "aria": False}
    svg = vl_convert.vegalite_to_svg(spec, format_locale="sv-SE")
    root = _SVG_ROOT.search(svg)
    if root is None or "viewBox" not in root.group(0):
        raise ValueError("vl-convert returned SVG without a viewBox; it would not scale on a phone")
    opened = _NAMESPACES.sub("", root.group(0))[:-1] + f' role="img" aria-label="{escape(label)}">'
    return svg[: root.start()] + opened + svg[root.end() :]


def render_chunk(jobs: Sequence[Job]) -> list[str]:
    """`render_svg` of each (chart, label) job, in order (one task of a worker process)."""
    return [render_svg(chart, label) for chart, label in jobs]


def warm_up() -> None:
    """Start vl-convert's runtime in this process (a worker's initializer; the caller's own, early)."""
    vl_convert.vegalite_to_svg(WARM_UP_SPEC)


class SvgRenderer:
    """Renders batches of charts here and in worker processes; a context manager that stops them."""

    def __init__(self, processes: int | None = None) -> None:
        count = report_processes() if processes is None else processes
        self._pool: ProcessPoolExecutor | None = None
        if count > 1:
            # spawn, not fork: this process may already run DuckDB, Polars or vl-convert threads
            self._pool = ProcessPoolExecutor(
                count - 1, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up
            )
            for _ in range(count - 1):  # the executor starts a worker per submitted task: all of them now
                self._pool.submit(int)

    def render(self, jobs: Sequence[Job]) -> list[str]:
        """The SVG of every job, in order: the workers take chunks from the front, this process from the
        back, until they meet (each chunk is rendered once)."""
        chunks = [list(jobs[i : i + CHUNK]) for i in range(0, len(jobs), CHUNK)]
        if self._pool is None:
            return [svg for chunk in chunks for svg in render_chunk(chunk)]
        futures: list[Future[list[str]]] = [self._pool.submit(render_chunk, chunk) for chunk in chunks]
        done: dict[int, list[str]] = {}
        for index in reversed(range(len(chunks))):
            if not futures[index].cancel():  # already with a worker: so are all chunks before it
                break
            done[index] = render_chunk(chunks[index])
        return [svg for i in range(len(chunks)) for svg in (done[i] if i in done else futures[i].result())]

    def close(self) -> None:
        """Stop the worker processes (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> SvgRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def render_batch(jobs: Sequence[Job], renderer: SvgRenderer | None = None) -> list[str]:
    """The SVG of every job, in order, by `renderer`; without one, by a renderer made for this batch
    (worker processes only for a batch of WORKERS_FROM_CHARTS charts or more)."""
    if renderer is not None:
        return renderer.render(jobs)
    with SvgRenderer(None if len(jobs) >= WORKERS_FROM_CHARTS else 1) as own:
        return own.render(jobs)
