"""`jamfor report`: one self-contained HTML page per kommun, its charts rendered to SVG at build time.

The page needs no network to be read: Vega-Lite specs are rendered offline by vl-convert and inlined,
the CSS is inline and there is no script. Queries live in warehouse.report_query, chart specs in
presentation.report_charts and the markup in presentation.report_template.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import polars as pl
from rich.console import Console

from pipeline.scope import ScopeError
from presentation import report_charts as charts
from presentation import report_monthly
from presentation import report_template as html
from presentation import vegalite as vl
from presentation.compare import parse_peers  # the same --peers syntax as `jamfor compare`
from presentation.compare_table import KIND_ORDER  # the same peer set order as `jamfor compare`
from presentation.svg import SvgRenderer, render_batch
from presentation.svg import render_svg as render_svg  # where the report's charts and tests find it
from settings.config import EXIT_USAGE, Paths, outdated_years
from warehouse.comparison_query import ComparisonFilter, LookupProblem
from warehouse.monthly_query import monthly_trend
from warehouse.report_query import ReportData, report_data


def output_path(out: str | None, data_dir: Path, code: str) -> Path:
    """Where the page goes: `--out` (.html, in an existing directory) or <data_dir>/report-<code>.html."""
    if out is None:
        if not re.fullmatch(r"[0-9]{4}", code):
            raise ScopeError(f"refusing a report file name from the kommun code {code!r}")
        return data_dir / f"report-{code}.html"
    target = Path(out)
    if target.suffix.lower() != ".html":
        raise ScopeError(f"--out must name an .html file, got {out!r}")
    if target.is_dir():
        raise ScopeError(f"--out {out!r} is a directory")
    if not target.parent.is_dir():
        raise ScopeError(f"--out: directory {str(target.parent)!r} does not exist")
    return target


def write_atomic(target: Path, text: str) -> int:
    """Write the page beside its target and rename it into place (a reader never sees half a page)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, temp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)  # mkstemp creates 0600; a report is meant to be shared
        os.replace(temp, target)  # replaces a symlink itself, never writes through it
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return len(data)


def selection_text(wanted: ComparisonFilter) -> str:
    """The report's filter in words, for the page header."""
    peers = f"nätverket {wanted.network}" if wanted.network else wanted.peer_kind or "alla jämförelsegrupper"
    year = f"år {wanted.year}" if wanted.year else "senaste år med värde per nyckeltal"
    area = f"område {wanted.area}" if wanted.area else "alla nyckeltal"
    return f"{area} · {peers} · {year} · kön: totalt"


def build_page(
    data: ReportData,
    wanted: ComparisonFilter,
    monthly: pl.DataFrame | None = None,
    renderer: SvgRenderer | None = None,
) -> str:
    """Render every chart and assemble the page (a loop over the report's KPIs, not over data rows);
    `monthly` (mart.monthly_comparison rows of the kommun) adds the monthly trend section. The charts
    are rendered by `renderer`, else by one made for this page (presentation.svg.render_batch)."""
    rows = data.rows.with_columns(order=pl.col("peer_set_kind").replace_strict(KIND_ORDER, default=9)).sort(
        "kpi_id", "order", "peer_set_id"
    )
    members = data.peers.partition_by("peer_set_id", "kpi_id", as_dict=True)
    trends = data.trend.partition_by("kpi_id", as_dict=True)
    kpis: list[list[dict]] = []
    jobs: list[tuple[vl.Spec, str]] = []
    for (kpi_id,), part in rows.group_by("kpi_id", maintain_order=True):
        kpi_rows = part.to_dicts()  # one row per peer set: a handful
        kpis.append(kpi_rows)
        for r in kpi_rows:
            chart = charts.peer_chart(members[(r["peer_set_id"], kpi_id)], r, data.name)
            jobs.append((chart, f"{data.name} bland {r['peer_set_title']}, {r['year']}"))
        title = kpi_rows[0]["kpi_title"] or str(kpi_id)
        jobs.append((charts.trend_chart(trends[(kpi_id,)], data.name, title), f"{data.name}: {title}"))
    areas = data.areas.to_dicts()
    area_jobs = [(charts.area_chart(data.areas), "Öppna jämförelser")] if areas else []
    months = report_monthly.groups(monthly if monthly is not None else pl.DataFrame())
    titles = [report_monthly.chart_title(m) for m in months]
    month_jobs = [
        (report_monthly.monthly_chart(m, data.name, t), f"{data.name}: {t}, per månad")
        for m, t in zip(months, titles, strict=True)
    ]
    # one batch: the renderer's processes share it out best
    svgs = render_batch(jobs + area_jobs + month_jobs, renderer)
    area_svg = svgs[len(jobs)] if areas else None
    month_svgs = svgs[len(jobs) + len(area_jobs) :]
    sections, start = [], 0
    for kpi_rows in kpis:  # each KPI's jobs: its peer charts, then its trend
        end = start + len(kpi_rows)
        sections.append(html.kpi_section(kpi_rows, svgs[start:end], svgs[end]))
        start = end + 1
    if kpis:
        body = html.overview([k[0] for k in kpis]) + html.area_section(data.name, areas, area_svg)
        body += "".join(sections)
    else:
        body = '<p class="note">Inga jämförelserader för detta urval (no comparison rows).</p>'
        body += html.area_section(data.name, areas, area_svg)
    if months:
        body += report_monthly.monthly_section(data.name, months, month_svgs)
    return html.page(
        name=data.name,
        code=data.code,
        selection=selection_text(wanted),
        loaded=html.when(data.loaded_at),
        fetched=html.when(data.fetched_at),
        body=body,
        outdated_years=wanted.outdated_years,
    )


def write_report(
    warehouse: Path,
    data_dir: Path,
    municipality: str,
    wanted: ComparisonFilter,
    out: str | None = None,
    renderer: SvgRenderer | None = None,
) -> tuple[Path, int]:
    """Query, render (with `renderer`, else one of its own) and write one kommun's page; returns (path,
    bytes written)."""
    if out is not None:
        output_path(out, data_dir, "0000")  # a bad --out fails before the work, not after it
    data = report_data(warehouse, municipality, wanted)
    target = output_path(out, data_dir, data.code)
    page = build_page(data, wanted, monthly_trend(warehouse, data.code), renderer)
    return target, write_atomic(target, page)


def report(args: argparse.Namespace) -> int:
    """The CLI handler: unknown kommun, area or peer set → one line on stderr and exit 2."""
    kind, network = parse_peers(args.peers)
    wanted = ComparisonFilter(
        area=args.area, peer_kind=kind, network=network, year=args.year, outdated_years=outdated_years()
    )
    paths = Paths.from_env(args.data_dir, args.warehouse)
    try:
        target, size = write_report(paths.warehouse, paths.data_dir, args.municipality, wanted, args.out)
    except LookupProblem as exc:
        print(f"jamfor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report: {target} ({size / 1024:,.0f} KiB)")
    return 0


def write_demo_report(
    paths: Paths, console: Console, municipality: str, renderer: SvgRenderer | None = None
) -> Path:
    """`make demo`'s last step: the kommun's report beside the warehouse; prints its path and size.
    `renderer`: one the demo started early, its worker processes ready by now."""
    wanted = ComparisonFilter(outdated_years=outdated_years())
    target, size = write_report(paths.warehouse, paths.data_dir, municipality, wanted, renderer=renderer)
    console.print(f"demo: report {target} ({size / 1024:,.0f} KiB): open it in a browser, no network needed")
    return target
