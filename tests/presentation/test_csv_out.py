"""presentation.csv_out: text cells a spreadsheet would run as formulas get a leading quote; numbers not."""

from __future__ import annotations

import io
import math
import random
import struct

import polars as pl
import pytest

from presentation.csv_out import (
    defuse_formulas,
    float_text,
    spreadsheet_csv,
    write_machine_readable,
    write_records,
)
from warehouse.records import Records

TRICKY_FLOATS = [
    0.0, -0.0, 1.0, -3.25, 0.1 + 0.2, 1e-4, 1.5e-5, 1e-5, 9.99e-6, 1.0000000000000003e-5, -1e-5, 1e-6, 2e-7,
    5e-324, 1.2e-300, 123456789012345.6, 1e15, 9999999999999998.0, 1e16, -1.2345e17, 1e22, 1e100,
    1.7976931348623157e308, 26605.271721, 2070.918089999999, 62.903225806451616,
]  # fmt: skip


def test_formula_like_text_is_prefixed_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "kpi_title": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Andel", None],
            "value": [-3.5, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, None],
            "rank": [-1, 1, 2, 3, 4, 5, 6, None],
        }
    )
    safe = defuse_formulas(frame)
    assert safe["kpi_title"].to_list() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Andel",
        None,
    ]
    assert safe["value"].to_list() == frame["value"].to_list() and safe["rank"].dtype == pl.Int64
    back = pl.read_csv(io.StringIO(spreadsheet_csv(frame)))
    assert back["value"].dtype == pl.Float64 and back["value"][0] == -3.5
    assert back["rank"][0] == -1
    assert back["kpi_title"][0] == '\'=HYPERLINK("http://x")'


def _random_doubles(n: int) -> list[float]:
    """Finite doubles over every exponent (random bit patterns), plus round figures around the edges."""
    rng = random.Random(15)
    found: list[float] = []
    while len(found) < n:
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            found += [value, round(value, 3) if abs(value) < 1e300 else value]
    return found


def test_float_text_is_what_polars_writes() -> None:
    values = TRICKY_FLOATS + _random_doubles(20_000)
    lines = pl.DataFrame({"x": values}).write_csv().splitlines()[1:]
    assert [float_text(v) for v in values] == lines


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_plain_rows_are_written_byte_for_byte_as_their_frame(fmt: str, capsys) -> None:
    """write_records (`jamfor compare`, no Polars import) and write_machine_readable agree on text that
    needs quoting, defusing or escaping, nulls, booleans, integers and non-finite floats."""
    frame = pl.DataFrame(
        {
            "title": [
                "",
                None,
                "a,b",
                'say "x"',
                "two\nlines",
                "cr\r",
                " lead",
                "=1+2",
                "-3",
                "Åtvid\u2028",
                "\x01",
            ],
            "value": [*TRICKY_FLOATS[:8], math.nan, math.inf, -math.inf],
            "n": [1, None, -3, 0, 2**53, 5, 6, 7, 8, 9, 10],
            "flag": [True, False, None, True, False, True, False, True, False, True, None],
            "empty": [None] * 11,
            "a,b": ["x"] * 11,
        },
        schema_overrides={"empty": pl.String},
    )
    for part in (frame, frame.head(0)):
        assert write_machine_readable(part, fmt)
        expected = capsys.readouterr().out
        assert write_records(Records(part.columns, part.rows()), fmt)
        assert capsys.readouterr().out == expected
