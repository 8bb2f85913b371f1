"""`jamfor compare`'s "Per invånare" table: count KPIs per 1000 invånare, the kommun and its peers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from presentation.compare import Row, grouped, rich_table

if TYPE_CHECKING:
    from warehouse.per_capita_query import PerCapita

PER_CAPITA_COLUMNS = ("year", "value", "population", "per 1000 inv", "peers")
PER_CAPITA_FOOTER = (
    "Källa: Kolada: value (the kommun's). Källa: SCB: population (folkmängd 31 december). "
    "Egen bearbetning (jamfor), ej Kolada: per 1000 inv (value / population × 1000) and every peer set "
    "row: the summed values and populations of the peers that have both (peers: used av all)."
)


def _count(value: float | None) -> str:
    """A count or a population: whole numbers without decimals, thousands spaced."""
    if value is None:
        return "–"
    return (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}").replace(",", " ")


def _rate(value: float | None) -> str:
    """A per 1000 invånare figure, two decimals (small rates keep their precision)."""
    return "–" if value is None else f"{value:.2f}"


def _per_capita_lines(name: str, rows: Sequence[Row]) -> list[tuple[str, list[str]]]:
    """(label, cells) per table row: per KPI a heading row, the kommun's figures, then each peer set's."""
    lines: list[tuple[str, list[str]]] = []
    for kpi, part in grouped(rows, lambda r: r["kpi_id"]).items():
        first = part[0]
        year = str(first["year"])
        own = [_count(first["value"]), _count(first["population"]), _rate(first["value_per_1000_inv"])]
        lines.append((f"{kpi} {first['kpi_title'] or ''}", [""] * len(PER_CAPITA_COLUMNS)))
        lines.append((f"  {name}", [year, *own, ""]))
        for row in part:  # a few peer sets per KPI, display only
            peers = [
                _count(row["peers_value"]),
                _count(row["peers_population"]),
                _rate(row["peers_per_1000_inv"]),
            ]
            used = f"{row['n_peers_used']} av {row['n_peers']}"
            # the kind first: a long set title is cut at its end
            lines.append((f"  {row['peer_set_kind']}: {row['peer_set_title']}", [year, *peers, used]))
    return lines


def print_per_capita(console: Console, name: str, code: str, per_capita: PerCapita) -> None:
    """The "Per invånare" table of the count KPIs (the kommun, then its peers per set) and any notes."""
    for note in per_capita.notes:
        console.print(escape(f"Per invånare: {note}"), soft_wrap=True)
    figures = ("value_per_1000_inv", "peers_per_1000_inv")
    if all(row[f] is None for row in per_capita.rows for f in figures):
        return  # no figure at all (no population that year): the note says why, a table of dashes would not
    lines = _per_capita_lines(name, per_capita.rows)
    title = f"Per invånare: {name} ({code}) and its peers, count KPIs"
    table = rich_table(console, title, "KPI / kommun / peers", 20, PER_CAPITA_COLUMNS, lines)
    for label, cells in lines:
        table.add_row(escape(label), *cells)
    console.print(table)
    console.print(PER_CAPITA_FOOTER)
