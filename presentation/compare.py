"""`jamfor compare` and `jamfor export`: a kommun against its peer sets, and the marts as Parquet.

The command's table is presentation.compare_table (side by side); the one-table-per-peer-set layout here is
the demo's closing look. Number formats and the footers are shared by both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from pipeline.scope import ScopeError, parse_kpis
from presentation.csv_out import write_records
from presentation.numbers import format_number
from settings.config import EXIT_USAGE, OUTDATED_YEARS, Paths, outdated_years
from warehouse.comparison_query import NEUTRAL_RANK
from warehouse.network_comparison import NETWORK_SOURCE

FOOTER = (
    "Källa: Kolada: value, Riket. Egen bearbetning (not Kolada): peer mean, rank, colour, Δ year, "
    "median (of all kommuner, shown beside Riket, never in its place). Peers are the set's other "
    "kommuner; rank 1 = bäst by the KPI's direction. A neutral KPI (cost, volume, context: no better "
    "direction) is ranked in value order, 1 = högst värde, and gets no colour."
)
NETWORK_FOOTER = (
    "A network's own measures (KPI = the network's measure id): Källa: nätverkets egen fil "
    "(core.network_measure), not Kolada; no Riket; colour from the network's own quartiles."
)
OUTDATED_FOOTER = (
    "old: the value is more than {years} years older than the KPI's newest year in the warehouse "
    "(JAMFOR_OUTDATED_YEARS); compare it with care."
)
VINTAGE_FOOTER = (
    "Liknande kommuner of another year: the value was compared within the group version of the year "
    "shown beside it ('IFO (2024)'; in a per-set table, the year in its title), as the warehouse holds "
    "none of the value's year (the newest earlier version is used, else the oldest later one)."
)
NUMBER_COLUMNS = ("year", "value", "peer mean", "rank", "colour", "Δ year", "Riket", "median")
# a neutral KPI has no best: its rank is value order (NEUTRAL_RANK) and it is shown without a colour
COLOUR_STYLE = {"green": "green", "yellow": "yellow", "red": "red", "grey": "dim"}
Row = Mapping[str, Any]  # one comparison row (warehouse.comparison_query.comparison_records)


def parse_peers(text: str | None) -> tuple[str | None, str | None]:
    """--peers: a kind (liknande, kommungrupp, lan, riket, network) or network:NAME."""
    if not text:
        return None, None
    if text.lower().startswith("network:"):
        return "network", text.split(":", 1)[1]
    return text.lower(), None


def other_vintage(row: Mapping[str, Any]) -> bool:
    """Whether a Liknande row was compared within a group version of another year than its value's."""
    vintage = row["peer_set_vintage"]
    return row["peer_set_kind"] == "liknande" and vintage is not None and vintage != row["year"]


def own_measure(row: Mapping[str, Any]) -> bool:
    """Whether the row is a network's own measure (its source note says so), not a Kolada KPI."""
    return (row.get("source_note") or "").startswith(NETWORK_SOURCE)


def grouped(rows: Iterable[Row], key: Callable[[Row], Hashable]) -> dict[Any, list[Row]]:
    """The rows by key, the keys in order of first appearance and each group's rows in their order."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _display_cells(row: Row) -> list[str]:
    """The figures of one comparison row as text, in NUMBER_COLUMNS order (rank as "3 av 7")."""
    neutral = row["direction"] == "neutral"
    if row["rank_in_peers"] is None or row["n_ranked"] is None:
        rank = "–"
    else:
        ranked = f"{row['rank_in_peers']} av {row['n_ranked']}"
        rank = f"{ranked} ({NEUTRAL_RANK})" if neutral else ranked
    return [
        f"{row['year']}{' old' if row['is_outdated'] else ''}",
        format_number(row["value"]),
        format_number(row["peer_mean"]),
        rank,
        "–" if neutral else row["colour_band"] or "",
        format_number(row["delta_prev_year"], signed=True),
        format_number(row["national_value"]),
        format_number(row["national_kommun_median"]),
    ]


def figure_widths(columns: tuple[str, ...], lines: list[tuple[str, list[str]]]) -> list[int]:
    """The on-screen width of each figure column: its widest cell or header line."""
    return [
        max(*(cell_len(part) for part in h.split("\n")), *(cell_len(cells[i]) for _, cells in lines))
        for i, h in enumerate(columns)
    ]


def label_room(console_width: int, widths: list[int]) -> int:
    """The width left for the label column of a `rich_table` whose figure columns have these widths
    (each figure column takes 2 characters beyond its text: its padding and the box's rule)."""
    return console_width - sum(widths) - 2 * (len(widths) + 1)


def plain_table(title: str) -> Table:
    """An empty table in the compare commands' one style: the title on the left, a rule under the
    headers, one space between columns and none at the edges (`title` is plain text)."""
    return Table(
        title=escape(title), title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )


def rich_table(
    console: Console,
    title: str,
    label: str,
    label_min: int,
    columns: tuple[str, ...],
    lines: list[tuple[str, list[str]]],
    left: tuple[str, ...] = ("colour",),
) -> Table:
    """An empty rich table: a label column that gives way first, then the figure columns at full width.

    A header may have two lines ("Riket\nrank"); columns whose last header line is in `left` are
    left-aligned, the figures right-aligned. Cells are plain text here (their width on screen is measured).
    """
    widths = figure_widths(columns, lines)
    table = plain_table(title)
    room = label_room(console.width, widths)
    table.add_column(label, no_wrap=True, overflow="ellipsis", max_width=max(label_min, room))
    # a table that fits has the figure columns at exactly these widths: fixed, rich need not measure
    # every cell again (most of the print's time); one that overflows keeps rich's own narrowing
    fits = room >= label_min
    for header, width in zip(columns, widths, strict=True):
        justify: JustifyMethod = "left" if header.split("\n")[-1] in left else "right"
        fixed, least = (width, None) if fits else (None, width)
        table.add_column(header, justify=justify, no_wrap=True, width=fixed, min_width=least)
    return table


def print_tables(
    console: Console, name: str, code: str, rows: Sequence[Row], outdated_years: int = OUTDATED_YEARS
) -> None:
    """One table per peer set, then the attribution footer (and what "old" means, when shown)."""
    if not rows:
        console.print(f"{name} ({code}): no comparison rows for this selection")
        return
    for (kind, title), part in grouped(rows, lambda r: (r["peer_set_kind"], r["peer_set_title"])).items():
        lines = [(f"{row['kpi_id']} {row['kpi_title'] or ''}", _display_cells(row)) for row in part]
        title_line = f"{name} ({code}) against {title} ({kind})"
        table = rich_table(console, title_line, "KPI", 12, NUMBER_COLUMNS, lines)
        for kpi, cells in lines:
            colour = cells[4]
            cells[4] = f"[{COLOUR_STYLE.get(colour, 'default')}]{colour}[/]"
            table.add_row(escape(kpi), *cells)
        console.print(table)
    for line in [FOOTER, *marker_footers(rows, outdated_years)]:
        console.print(line)


def marker_footers(rows: Sequence[Row], outdated_years: int) -> list[str]:
    """A footer line per marker the rows show: an old value, a peer set of another year, a network's
    own measure (both table layouts print them after their attribution lines)."""
    lines = []
    if any(row["is_outdated"] for row in rows):
        lines.append(OUTDATED_FOOTER.format(years=outdated_years))
    if any(other_vintage(row) for row in rows):
        lines.append(VINTAGE_FOOTER)
    if any(own_measure(row) for row in rows):
        lines.append(NETWORK_FOOTER)
    return lines


def compare(args: argparse.Namespace) -> int:
    """Print a kommun against its peer sets as a table, CSV or JSON; bad names exit 2 with one line."""
    from warehouse.comparison_query import ComparisonFilter, LookupProblem, compare_per_capita
    from warehouse.comparison_query import compare as query

    kind, network = parse_peers(args.peers)
    if getattr(args, "monthly", False):
        from presentation.compare_monthly import compare_monthly

        return compare_monthly(args, kind, network)
    wanted = ComparisonFilter(
        kpis=list(parse_kpis(args.kpi)) if args.kpi else None,
        area=args.area,
        peer_kind=kind,
        network=network,
        year=args.year,
        gender=args.gender,
        outdated_years=outdated_years(),
    )
    paths = Paths.from_env(args.data_dir, args.warehouse)
    try:
        # only the table shows per-capita figures: CSV and JSON stay the mart's rows
        if args.format == "table":
            code, name, rows, per_capita = compare_per_capita(paths.warehouse, args.municipality, wanted)
        else:
            (code, name, rows), per_capita = query(paths.warehouse, args.municipality, wanted), None
    except LookupProblem as exc:
        print(f"jamfor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not write_records(rows, args.format):
        from presentation.compare_per_capita import print_per_capita
        from presentation.compare_table import print_side_by_side, table_console

        console = table_console()
        print_side_by_side(console, name, code, rows, wanted.outdated_years)
        if rows and per_capita is not None:
            print_per_capita(console, name, code, per_capita)
        if args.area:
            from presentation.compare_areas import show_areas

            show_areas(console, paths.warehouse, code, wanted)
    return 0


def export(args: argparse.Namespace) -> int:
    """Write every mart as a Parquet file into the directory."""
    from warehouse.comparison_query import export_marts

    if args.format != "parquet":
        raise ScopeError(f"unknown export format {args.format!r}; use parquet")
    paths = Paths.from_env(args.data_dir, args.warehouse)
    for table, path in export_marts(paths.warehouse, Path(args.directory)).items():
        print(f"{table} -> {path}")
    return 0


def print_demo_comparison(warehouse: Path, console: Console, municipality: str = "0561") -> None:
    """The demo's closing look: a kommun (Åtvidaberg) against its network and its Liknande kommuner IFO,
    then its Öppna jämförelser areas (share positive, the year before)."""
    from warehouse.comparison_query import ComparisonFilter
    from warehouse.comparison_query import compare as query

    years = outdated_years()
    for wanted in (
        ComparisonFilter(peer_kind="network", outdated_years=years),
        ComparisonFilter(peer_kind="liknande", area="IFO", outdated_years=years),
    ):
        code, name, rows = query(warehouse, municipality, wanted)
        print_tables(console, name, code, rows, years)
    from presentation.compare_areas import show_areas

    show_areas(console, warehouse, municipality, ComparisonFilter())
