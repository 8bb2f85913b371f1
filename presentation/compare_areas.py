"""The ÖJ table of `jamfor compare --area` and the demo: share positive per area and the year before."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape

from presentation.compare import label_room, plain_table
from warehouse.comparison_query import ComparisonFilter

AREA_FOOTER = (
    "Öppna jämförelser: Källa: Kolada (the answers). Egen bearbetning (not Kolada): positive = the best "
    "answer by its label (Ja; the highest level such as 'Ja, för alla' or 'Breddinfört'), read from each "
    "KPI's title (core.ref_oj_factor); share = positive / answered factors."
)
COLUMNS = ("year", "positive", "share", "year before", "share before", "Δ share")


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def area_lines(areas: pl.DataFrame) -> list[tuple[str, list[str]]]:
    """(area label, cells) per ÖJ area: the shown year, its positives, the year before and the change."""
    lines = []
    for (_, title), part in areas.group_by("oj_group_id", "oj_area", maintain_order=True):
        current = part.filter(pl.col("is_current"))
        before = part.filter(~pl.col("is_current"))
        if current.height == 0:
            continue
        now = current.row(0, named=True)
        prev = before.row(0, named=True) if before.height else None
        delta = None
        if prev is not None and now["share_positive"] is not None and prev["share_positive"] is not None:
            delta = now["share_positive"] - prev["share_positive"]
        lines.append(
            (
                f"{title} ({now['oj_group_id']})",
                [
                    str(now["year"]),
                    f"{now['n_positive']} av {now['n_answered']}",
                    _share(now["share_positive"]),
                    str(prev["year"]) if prev else "–",
                    _share(prev["share_positive"]) if prev else "–",
                    "–" if delta is None else f"{100 * delta:+.0f} pp",
                ],
            )
        )
    return lines


def print_areas(console: Console, name: str, code: str, areas: pl.DataFrame) -> None:
    """The ÖJ table of one kommun, or one line saying no ÖJ factor answers are loaded for it."""
    lines = area_lines(areas)
    if not lines:
        console.print(f"{name} ({code}): no Öppna jämförelser factor answers loaded (mart.area_summary)")
        return
    # the figures keep their full width; the area title gives way first on a narrow (or piped) console
    widths = [max(len(h), *(len(cells[i]) for _, cells in lines)) for i, h in enumerate(COLUMNS)]
    table = plain_table(f"Öppna jämförelser: share of positive factors per area, {name} ({code})")
    label_width = max(16, label_room(console.width, widths))
    table.add_column("ÖJ area", no_wrap=True, overflow="ellipsis", max_width=label_width)
    for header, width in zip(COLUMNS, widths, strict=True):
        table.add_column(header, justify="right", no_wrap=True, min_width=width)
    for label, cells in lines:
        table.add_row(escape(label), *cells)
    console.print(table)
    console.print(AREA_FOOTER)


def show_areas(console: Console, warehouse: Path, municipality: str, wanted: ComparisonFilter) -> None:
    """Read the kommun's ÖJ area rows (filtered by wanted.area and wanted.year) and print them."""
    from warehouse.report_query import area_summary

    code, name, areas = area_summary(warehouse, municipality, wanted)
    print_areas(console, name, code, areas)
