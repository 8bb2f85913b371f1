"""`jamfor compare KOMMUN --monthly`: the kommun's months against its peer sets (mart.monthly_comparison).

The table shows one block per measure, breakdown and peer set, a row per month; CSV and JSON are the
mart's rows (CSV through the spreadsheet-safe writer, since measure names come from users' files).
"""

from __future__ import annotations

import argparse
import sys

import polars as pl
from rich.console import Console, JustifyMethod
from rich.markup import escape

from presentation.compare import plain_table
from presentation.csv_out import write_machine_readable
from presentation.numbers import format_number
from settings.config import EXIT_USAGE, Paths
from warehouse.comparison_query import NEUTRAL_RANK, LookupProblem

COLUMNS = ("month", "value", "status", "peer mean", "median", "rank", "Δ år")
FOOTER = (
    "Peers are the set's other kommuner with a row that month; rank 1 = bäst by the measure's direction, "
    "a measure without one (the register counts) in value order, 1 = högst värde. Egen bearbetning: "
    "peer mean, median, rank, Δ år (the change from the same month a year earlier)."
)


def _rank(row: dict) -> str:
    return "–" if row["rank_in_peers"] is None else f"{row['rank_in_peers']} av {row['n_ranked']}"


def _cells(row: dict) -> list[str]:
    """One month's figures as text, in COLUMNS order."""
    return [
        row["period"],
        format_number(row["value"], whole_as_integer=True),
        row["status"] or "",
        format_number(row["peer_mean"], whole_as_integer=True),
        format_number(row["peer_median"], whole_as_integer=True),
        _rank(row),
        format_number(row["delta_prev_year"], signed=True, whole_as_integer=True),
    ]


def _breakdown(text: str) -> str:
    """'dimension=value | ...' as the values only, for a block title."""
    return ", ".join(part.split("=", 1)[-1] for part in text.split(" | ")) if text else ""


def print_monthly(console: Console, name: str, code: str, rows: pl.DataFrame) -> None:
    """One rich table per measure, breakdown and peer set, then each source's attribution once."""
    keys = ("measure_title", "breakdown", "peer_set_kind", "peer_set_title")
    for (measure, breakdown, kind, title), part in rows.group_by(*keys, maintain_order=True):
        what = f"{measure}" + (f" · {_breakdown(breakdown)}" if breakdown else "")
        lines = [_cells(row) for row in part.iter_rows(named=True)]  # a dozen months, display only
        neutral = part["direction"][0] == "neutral"
        headers = [f"rank ({NEUTRAL_RANK})" if h == "rank" and neutral else h for h in COLUMNS]
        table = plain_table(f"{name} ({code}): {what}, against {title} ({kind})")
        # every column at its full width: piped output (80 columns) must not cut a figure
        for i, header in enumerate(headers):
            width = max(len(header), *(len(cells[i]) for cells in lines))
            justify: JustifyMethod = "left" if header in ("month", "status") else "right"
            table.add_column(escape(header), justify=justify, no_wrap=True, min_width=width)
        for cells in lines:
            table.add_row(*(escape(c) for c in cells))
        console.print(table)
    for note in rows["source_note"].unique(maintain_order=True).to_list():
        console.print(escape(note), soft_wrap=True)
    console.print(FOOTER, soft_wrap=True)


def compare_monthly(args: argparse.Namespace, peer_kind: str | None, network: str | None) -> int:
    """The --monthly handler: unknown kommun, no monthly data or a filter matching nothing → exit 2."""
    from warehouse.monthly_query import compare_monthly as query

    if args.kpi or args.area:
        print("jamfor: error: --monthly takes --peers and --year, not --kpi or --area", file=sys.stderr)
        return EXIT_USAGE
    paths = Paths.from_env(args.data_dir, args.warehouse)
    try:
        code, name, rows = query(
            paths.warehouse, args.municipality, peer_kind=peer_kind, network=network, year=args.year
        )
    except LookupProblem as exc:
        print(f"jamfor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not write_machine_readable(rows, args.format):
        print_monthly(Console(), name, code, rows)
    return 0
