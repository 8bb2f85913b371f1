"""How a figure is written in the terminal tables: Swedish thin grouping, a sign when asked, '–' for none."""

from __future__ import annotations

MISSING = "–"


def format_number(value: float | None, *, signed: bool = False, whole_as_integer: bool = False) -> str:
    """`value` with a space as thousands separator and one decimal below 1,000 (none from 1,000 up).

    `whole_as_integer` writes whole values without the decimal (counts in the monthly statistics);
    `signed` puts a '+' before a positive change.
    """
    if value is None:
        return MISSING
    sign = "+" if signed and value > 0 else ""
    whole = whole_as_integer and float(value).is_integer()
    text = f"{value:,.0f}" if whole or abs(value) >= 1000 else f"{value:,.1f}"
    return sign + text.replace(",", " ")
