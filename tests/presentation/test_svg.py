"""The chart renderer: worker processes give exactly the SVGs this process gives, in job order."""

from __future__ import annotations

import multiprocessing

import pytest

from presentation.svg import CHUNK, WORKERS_FROM_CHARTS, SvgRenderer, render_batch, render_svg
from settings.config import report_processes


def _jobs(n: int) -> list[tuple[dict, str]]:
    return [
        (
            {
                "data": {"values": [{"x": i, "y": i * 1.5}, {"x": i + 1, "y": 2.25}]},
                "mark": "bar",
                "encoding": {
                    "x": {"field": "x", "type": "ordinal"},
                    "y": {"field": "y", "type": "quantitative"},
                },
            },
            f"chart {i} <&>",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("processes", [1, 2])
def test_the_renderer_gives_each_jobs_svg_in_order(processes: int) -> None:
    jobs = _jobs(5 * CHUNK + 1)  # chunks for the workers and for this process, and a short last one
    expected = [render_svg(chart, label) for chart, label in jobs]
    assert len(set(expected)) == len(jobs)
    with SvgRenderer(processes) as renderer:
        assert renderer.render(jobs) == expected
        assert renderer.render([]) == []
        assert renderer.render(jobs[:1]) == expected[:1]
    renderer.close()  # idempotent


def test_a_small_batch_renders_here_without_worker_processes() -> None:
    jobs = _jobs(3)
    assert len(jobs) < WORKERS_FROM_CHARTS
    before = set(multiprocessing.active_children())
    assert render_batch(jobs) == [render_svg(chart, label) for chart, label in jobs]
    assert set(multiprocessing.active_children()) == before


def test_report_processes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_REPORT_PROCESSES", "1")
    assert report_processes() == 1
    monkeypatch.setenv("JAMFOR_REPORT_PROCESSES", "0")
    with pytest.raises(ValueError, match="JAMFOR_REPORT_PROCESSES"):
        report_processes()
    monkeypatch.delenv("JAMFOR_REPORT_PROCESSES")
    assert 1 <= report_processes() <= 4
