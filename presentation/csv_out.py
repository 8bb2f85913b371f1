"""CSV for spreadsheets: text cells that Excel or LibreOffice would run as a formula are defused.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or the start of
one) to a spreadsheet; measure names and notes come from users' files, so such a text cell gets a
leading `'` (OWASP's advice for CSV injection), which the spreadsheet shows as text. Only text
columns are touched: numbers such as -3.5 in numeric columns stay numbers. JSON and Parquet output
keep the text as it is.

`write_records` writes plain rows (warehouse.records) byte for byte as `write_machine_readable` writes
the same rows as a Polars frame, so `jamfor compare --format csv|json` needs no Polars import.
"""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from warehouse.records import Records

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS_FORMULA = "^[" + "".join("\\" + c if c in "+-" else c for c in FORMULA_STARTS) + "]"


def defuse_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that starts like a formula prefixed by a single quote."""
    import polars as pl

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
    import polars as pl

    if fmt == "csv":
        lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
        sys.stdout.write(spreadsheet_csv(frame.with_columns(pl.col(lists).list.join("; "))))
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        return False
    return True


def float_text(value: float) -> str:
    """A finite float as Polars writes it to CSV and JSON: the shortest digits that read back the same
    (Python's repr), positional from 1e-5 up to 1e16, else with an exponent that has no padding
    ("1.5e-7", "1e+16")."""
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power == -5:  # repr's exponent starts at 1e-5, Polars' below it
        sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
        return f"{sign}0.0000{digits.replace('.', '')}"
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _csv_text(text: str) -> str:
    """A text field as Polars writes it: quoted when empty or holding `,`, `"` or a line break."""
    if text == "" or any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_cell(value: Any) -> str:
    """One CSV cell as Polars writes it (null empty, booleans in lower case), formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value) if math.isfinite(value) else ("NaN" if math.isnan(value) else str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _csv_text("'" + value if value.startswith(FORMULA_STARTS) else value)
    raise TypeError(f"no CSV cell for a {type(value).__name__}: rows hold text, numbers and booleans")


def _json_value(value: Any) -> str:
    """One JSON value as Polars writes it: null for a missing or non-finite number."""
    if isinstance(value, float):
        return float_text(value) if math.isfinite(value) else "null"
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"no JSON value for a {type(value).__name__}: rows hold text, numbers and booleans")


def write_records(rows: Records, fmt: str) -> bool:
    """`write_machine_readable` for plain rows: `--format csv` or `json` to stdout, byte for byte as a
    Polars frame of the same rows is written; False for any other format (the caller prints its table)."""
    if fmt == "csv":
        lines = [",".join(_csv_text(name) for name in rows.columns)]
        lines += [",".join(_csv_cell(row[name]) for name in rows.columns) for row in rows]
        sys.stdout.write("\n".join(lines) + "\n")
    elif fmt == "json":
        objects = (",".join(f"{_json_value(k)}:{_json_value(v)}" for k, v in row.items()) for row in rows)
        sys.stdout.write("[" + ",".join("{" + o + "}" for o in objects) + "]\n")
    else:
        return False
    return True
