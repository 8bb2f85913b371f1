"""CSV for spreadsheets: text cells that Excel or LibreOffice would run as a formula are defused.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or the start of
one) to a spreadsheet; measure names and notes come from users' files, so such a text cell gets a
leading `'` (OWASP's advice for CSV injection), which the spreadsheet shows as text. Only text
columns are touched: numbers such as -3.5 in numeric columns stay numbers. JSON and Parquet output
keep the text as it is.
"""

from __future__ import annotations

import sys

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS_FORMULA = "^[" + "".join("\\" + c if c in "+-" else c for c in FORMULA_STARTS) + "]"


def defuse_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that starts like a formula prefixed by a single quote."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_STARTS_FORMULA)).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def spreadsheet_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV text that is safe to open in a spreadsheet (see the module docstring)."""
    return defuse_formulas(frame).write_csv()


def write_machine_readable(frame: pl.DataFrame, fmt: str) -> bool:
    """Write `frame` to stdout as `--format csv` (spreadsheet-safe; lists joined by '; ') or `json`;
    False for any other format (the caller prints its table)."""
    if fmt == "csv":
        lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
        sys.stdout.write(spreadsheet_csv(frame.with_columns(pl.col(lists).list.join("; "))))
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        return False
    return True
