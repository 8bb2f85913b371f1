"""Shared parsing of delivered cells as Polars expressions: Swedish numbers, status markers, periods.

Each parser returns expressions for the parsed value and for an error text (null when the cell is
fine), so a transform can collect every problem of a row into `_parse_errors` and quarantine it with
the file, row and column named.
"""

from __future__ import annotations

import polars as pl

# Socialstyrelsen: X suppressed, -- not reported; Kolada/SCB: .. sekretess, - bortfall, . ej tillämpligt.
STATUS_MARKERS: dict[str, str] = {
    "X": "suppressed",
    "x": "suppressed",
    "..": "suppressed",
    "--": "not_reported",
    "-": "not_reported",
    "–": "not_reported",
    ".": "not_applicable",
}
STATUSES = ("ok", "suppressed", "not_reported", "not_applicable", "missing")
MONTHS = {
    name: f"{i:02d}"
    for i, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("mars", "march", "mar"),
            ("april", "apr"),
            ("maj", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("augusti", "august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# thousands separators seen in exports: space, NBSP, narrow NBSP, thin space
_SEPARATORS = "[ \u00a0\u202f\u2009]"


def text(col: str) -> pl.Expr:
    """The cell stripped of surrounding whitespace (NBSP too); null stays null."""
    return pl.col(col).str.strip_chars()


def number(col: str, label: str | pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value Float64, status, error) for a cell holding a number with a decimal comma or point.

    Status markers give a null value and their status (never zero); an empty cell is 'missing'; any
    other text that is not a number is an error naming `label` (a column name, or an expression
    giving it per row).
    """
    cell = text(col)
    marker = cell.replace_strict(STATUS_MARKERS, default=None, return_dtype=pl.String)
    cleaned = cell.str.replace_all(_SEPARATORS, "").str.replace(",", ".", literal=True)
    parsed = pl.when(marker.is_null()).then(cleaned.cast(pl.Float64, strict=False))
    empty = cell.is_null() | (cell == "")
    status = (
        pl.when(marker.is_not_null())
        .then(marker)
        .when(empty)
        .then(pl.lit("missing"))
        .when(parsed.is_not_null())
        .then(pl.lit("ok"))
    )
    error = (
        pl.when(status.is_null())
        .then(pl.format("column '{}': not a number or status marker (got '{}')", _label(label), cell))
        .otherwise(pl.lit(None, pl.String))
    )
    return parsed, status.fill_null("missing"), error


def _label(label: str | pl.Expr) -> pl.Expr:
    return pl.lit(label) if isinstance(label, str) else label


def period(col: str, label: str) -> tuple[pl.Expr, pl.Expr]:
    """(period 'YYYY' or 'YYYY-MM', error) from '2017', '2017M03', '2017-03', '2017-03-01', 'Mars 2017'."""
    cell = text(col).str.replace_all(r"\s+", " ")
    lower = cell.str.to_lowercase()
    month_name = lower.str.extract(r"^([a-zåäö]+)\.? (\d{4})$", 1)
    month_year = lower.str.extract(r"^([a-zåäö]+)\.? (\d{4})$", 2)
    by_name = pl.concat_str(
        [month_year, pl.lit("-"), month_name.replace_strict(MONTHS, default=None, return_dtype=pl.String)]
    )
    parsed = (
        pl.when(cell.str.contains(r"^\d{4}$"))
        .then(cell)
        .when(cell.str.contains(r"^\d{4}M(0[1-9]|1[0-2])$"))
        .then(cell.str.replace("M", "-", literal=True))
        .when(cell.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$"))
        .then(cell)
        .when(cell.str.contains(r"^\d{4}-(0[1-9]|1[0-2])-01( 00:00:00)?$"))
        .then(cell.str.slice(0, 7))
        .when(cell.str.contains(r"^\d{4}\.0$"))
        .then(cell.str.slice(0, 4))
        .otherwise(by_name)
    )
    error = pl.when(parsed.is_null()).then(
        pl.format("column '{}': not a period YYYY or YYYY-MM (got '{}')", pl.lit(label), cell.fill_null(""))
    )
    return parsed, error


def year_month(period_col: str = "period") -> list[pl.Expr]:
    """year (Int32) and month (Int32, null for a yearly period) from a parsed period column."""
    return [
        pl.col(period_col).str.slice(0, 4).cast(pl.Int32, strict=False).alias("year"),
        pl.col(period_col).str.slice(5, 2).cast(pl.Int32, strict=False).alias("month"),
    ]


def join_errors(*errors: pl.Expr) -> pl.Expr:
    """All non-null error texts of a row joined with '; ', or null when there are none."""
    joined = pl.concat_str([e.fill_null("") for e in errors], separator="\x1f")
    parts = joined.str.split("\x1f").list.eval(pl.element().filter(pl.element() != ""))
    return pl.when(parts.list.len() > 0).then(parts.list.join("; "))
