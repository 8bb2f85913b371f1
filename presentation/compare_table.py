"""`jamfor compare`'s table: one row per KPI and a column group per peer set, side by side.

Per KPI the kommun's year, value and markers once (preliminary; older than the KPI's newest year by
more than JAMFOR_OUTDATED_YEARS), what rank 1 means, the colour band, Δ year, Kolada's Riket value and
the kommuner's median; then per peer set (Liknande, networks, kommungrupp, län, Riket) the rank
"3 av 7", the percentile within the set and the peers' mean. A Liknande group version from another
year than the value says so ("IFO (2024)"). A network's own measure is a row of its own (the value is
the network's), with only that network's group filled. Piped, every table is printed whole; on a
terminal too narrow for it, the command says so and prints one table per peer set instead.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from presentation.compare import (
    COLOUR_STYLE,
    FOOTER,
    Row,
    figure_widths,
    grouped,
    label_room,
    marker_footers,
    other_vintage,
    own_measure,
    print_tables,
    rich_table,
)
from presentation.numbers import format_number
from warehouse.comparison_query import NEUTRAL_RANK

# most specific first: the hand-picked and structural peers before the county and the whole country
KIND_ORDER = {"liknande": 0, "network": 1, "kommungrupp": 2, "lan": 3, "riket": 4}
GROUP_NAMES = {"liknande": "Liknande", "kommungrupp": "Kommungrupp", "lan": "Län", "riket": "Riket"}
KPI_COLUMNS = ("year", "value", "note", "1 =", "colour", "Δ year", "riksvärde", "median")
SET_COLUMNS = ("rank", "pct", "mean")
LEFT = ("note", "1 =", "colour", "set")
# piped output is not wrapped at any width: a table is as wide as its columns, a footer one line
PIPE_WIDTH = 100_000
SET_FOOTER = (
    "riksvärde = Kolada's Riket value; median = of all kommuner. Per peer set: rank 'n av m' among the "
    "kommun and the peers with a value; pct = percentile in the set (share of the others ranked there "
    "that are not better; 100 = best, a neutral KPI: the highest value); mean = the peers' unweighted "
    "mean, the kommun itself excluded (egen bearbetning)."
)
PRELIMINARY_FOOTER = "prel.: the value was preliminary in Kolada when fetched."
LABEL_MIN = 12
NARROW = (
    "The side-by-side table needs {need} columns, this terminal has {have}: one table per peer set "
    "instead (a wider terminal or a pipe, e.g. `| less -S`, shows it side by side)."
)


def table_console() -> Console:
    """A console at the terminal's width; piped (not a terminal), wide enough that nothing is cut."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)


def _width(table: Table) -> int:
    """How many columns the table takes when printed whole (its KPI labels cut to LABEL_MIN)."""
    buffer = io.StringIO()
    Console(width=PIPE_WIDTH, file=buffer).print(table)
    return max(len(line.rstrip()) for line in buffer.getvalue().splitlines())


def _keyed(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The rows with `line` (a KPI; a network's own measure per network), `group` (its column group
    name) and `order` (the group's place), in line order and then group order."""
    keyed = [
        {
            **row,
            "line": f"{row['kpi_id']} {row['peer_set_id']}" if own_measure(row) else row["kpi_id"],
            "group": row["peer_set_id"].removeprefix("network:")
            if row["peer_set_kind"] == "network"
            else GROUP_NAMES.get(row["peer_set_kind"], row["peer_set_kind"]),
            "order": KIND_ORDER.get(row["peer_set_kind"], 9),
        }
        for row in rows
    ]
    return sorted(keyed, key=lambda r: (r["line"], r["order"], r["group"]))


def _note(row: Row) -> str:
    """The markers of the kommun's value: preliminary, and older than the KPI's newest year."""
    notes = ["prel." if row["is_preliminary"] else ""]
    notes.append(f"old: newest {row['kpi_newest_year']}" if row.get("is_outdated") else "")
    return ", ".join(n for n in notes if n)


def _set_cells(row: Row | None, liknande: bool) -> list[str]:
    """Rank, percentile and peer mean of one peer set ('–' where the set has no row); Liknande adds
    its area and, from another year, the version's year."""
    if row is None:
        return ["–"] * (len(SET_COLUMNS) + liknande)
    rank = "–" if row["rank_in_peers"] is None else f"{row['rank_in_peers']} av {row['n_ranked']}"
    pct = "–" if row["percentile_in_peers"] is None else f"{row['percentile_in_peers']:.0f}"
    cells = [rank, pct, format_number(row["peer_mean"])]
    if liknande:
        area = row["peer_area"] or ""
        cells.append(f"{area} ({row['peer_set_vintage']})" if other_vintage(row) else area)
    return cells


def _kpi_cells(row: Row) -> list[str]:
    """The KPI's own cells, in KPI_COLUMNS order, as plain text."""
    neutral = row["direction"] == "neutral"
    colour = "–" if neutral else row["colour_band"] or ""
    return [
        str(row["year"]),
        format_number(row["value"]),
        _note(row),
        NEUTRAL_RANK.removeprefix("1 = ") if neutral else "bäst",
        colour,
        format_number(row["delta_prev_year"], signed=True),
        format_number(row["national_value"]),
        format_number(row["national_kommun_median"]),
    ]


def side_by_side(rows: Sequence[Row]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(column headers, (KPI label, cells) per line) of the side-by-side table; a group's first header
    has the group's name above the column's."""
    keyed = _keyed(rows)
    groups = [group for _, group in sorted({(row["order"], row["group"]) for row in keyed})]
    liknande = GROUP_NAMES["liknande"]
    headers = list(KPI_COLUMNS)
    for group in groups:
        columns = [*SET_COLUMNS, "set"] if group == liknande else list(SET_COLUMNS)
        headers += [f"{group if i == 0 else ''}\n{c}" for i, c in enumerate(columns)]
    lines = []
    for part in grouped(keyed, lambda r: r["line"]).values():
        sets = {row["group"]: row for row in part}
        first = part[0]
        cells = _kpi_cells(first)
        for group in groups:
            cells += _set_cells(sets.get(group), group == liknande)
        lines.append((f"{first['kpi_id']} {first['kpi_title'] or ''}", cells))
    return headers, lines


def _legend(rows: Sequence[Row]) -> list[str]:
    """One line per column group: the peer sets' full titles (a Liknande group per KPI area and year)."""
    keyed = sorted(_keyed(rows), key=lambda r: (r["order"], r["group"], r["peer_set_id"]))
    legend = []
    for group, part in grouped(keyed, lambda r: r["group"]).items():
        titles: dict[str, Any] = {}  # each set once, with the title of its first row
        for row in part:
            titles.setdefault(row["peer_set_id"], row["peer_set_title"])
        legend.append(f"{group}: {'; '.join(str(t) for t in titles.values())}")
    return legend


def footers(rows: Sequence[Row], outdated_years: int) -> list[str]:
    """The attribution and rank rules, then a line per marker the table shows."""
    lines = [FOOTER, SET_FOOTER]
    if any(row["is_preliminary"] for row in rows):
        lines.append(PRELIMINARY_FOOTER)
    return lines + marker_footers(rows, outdated_years)


def print_side_by_side(
    console: Console, name: str, code: str, rows: Sequence[Row], outdated_years: int
) -> None:
    """The side-by-side table of one kommun's comparison rows, the peer sets' titles and the footers."""
    if not rows:
        console.print(f"{name} ({code}): no comparison rows for this selection")
        return
    headers, lines = side_by_side(rows)
    note = KPI_COLUMNS.index("note")
    if not any(cells[note] for _, cells in lines):  # no marker at all: no empty note column
        headers.pop(note)
        lines = [(label, cells[:note] + cells[note + 1 :]) for label, cells in lines]
    title = f"{name} ({code}) against its peer sets"
    # only a terminal can be too narrow (a pipe is as wide as the table), and only when its labels would
    # get less than LABEL_MIN: the table measured with labels cut to LABEL_MIN is no wider than the terminal
    room = label_room(console.width, figure_widths(tuple(headers), lines))
    if console.is_terminal and room < LABEL_MIN:
        need = _width(rich_table(Console(width=1), title, "KPI", LABEL_MIN, tuple(headers), lines, LEFT))
        if need > console.width:
            console.print(NARROW.format(need=need, have=console.width))
            print_tables(console, name, code, rows, outdated_years)
            return
    table = rich_table(console, title, "KPI", LABEL_MIN, tuple(headers), lines, LEFT)
    at = headers.index("colour")
    for label, cells in lines:
        colour = cells[at]
        cells = [escape(c) for c in cells]
        cells[at] = f"[{COLOUR_STYLE.get(colour, 'default')}]{cells[at]}[/]"
        table.add_row(escape(label), *cells)
    console.print(table)
    for line in [*_legend(rows), *footers(rows, outdated_years)]:
        console.print(escape(line), soft_wrap=True)
